//! The steady state allocates nothing: after warm-up, rendering frames of a scene whose layers
//! move, fade, turn and zoom (but are not re-rasterised) makes no heap allocation at all with
//! one thread, and with two only rayon's queue block once in 63 frames.

// A counting global allocator needs `unsafe impl GlobalAlloc`; it is test-only.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::json;
use streamcomp_core::{AssetResolver, Compositor, CompositorOptions, LoadOptions, Scene, YuvFrame};

struct Counting;
static ALLOCS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn steady_state_rendering_allocates_nothing() {
    let s = Scene::from_value(
        json!({"width": 1280, "height": 720, "layers": [
            {"type": "rect", "width": 1280, "height": 720, "color": "#203040"},
            {"type": "rect", "x": 0, "y": 600, "width": 1280, "height": 90, "color": "#000000b0", "radius": 12,
             "animations": [{"property": "opacity", "from": 0.2, "to": 1, "duration": 1, "repeat": -1, "alternate": true}]},
            {"type": "ellipse", "x": 40, "y": 40, "width": 160, "height": 160, "color": "#ff8000",
             "animations": [{"property": "x", "from": 40, "to": 1000, "duration": 2, "repeat": -1}]},
            {"type": "image", "src": "assets/pattern.png", "x": 300, "y": 200, "width": 640, "height": 400,
             "animations": [{"property": "rotation", "from": -5, "to": 5, "duration": 2, "repeat": -1, "alternate": true},
                            {"property": "scale", "from": 1.05, "to": 1.3, "duration": 2, "repeat": -1, "alternate": true}]},
            {"type": "text", "text": "turning", "x": 900, "y": 500, "font_size": 40, "color": "#ffffff",
             "animations": [{"property": "rotation", "from": 0, "to": 360, "duration": 3, "repeat": -1}]}
        ]}),
        &LoadOptions::default(),
    )
    .unwrap();
    let assets = AssetResolver::new(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden"),
    )
    .with_system_fonts(false);
    for threads in [1, 2] {
        steady(&s, threads, assets.clone());
    }
}

/// Renders one cycle of every animation (4 s) to warm up (the thread pool's queues grow to the
/// largest frame's number of bands once), then asserts that 60 more frames allocate nothing.
fn steady(s: &Scene, threads: usize, assets: AssetResolver) {
    let mut c = Compositor::new(CompositorOptions::default().with_threads(threads), assets);
    let mut yuv = YuvFrame::new(1280, 720);
    for i in 0..120 {
        c.render(s, i as f64 / 30.0).unwrap().to_i420(&mut yuv);
    }
    let before = ALLOCS.load(Ordering::Relaxed);
    for i in 120..180 {
        c.render(s, i as f64 / 30.0).unwrap().to_i420(&mut yuv);
    }
    let allocs = ALLOCS.load(Ordering::Relaxed) - before;
    // With a thread pool, handing it each frame's bands goes through rayon's injector queue,
    // which allocates one block per 63 jobs it has queued (once in about two seconds at
    // 30 fps): bounded, not per frame. Our own code allocates nothing.
    let frames: u64 = 60;
    let pool_blocks = if threads > 1 { frames.div_ceil(63) } else { 0 };
    assert!(
        allocs <= pool_blocks,
        "{frames} steady-state frames with {threads} threads made {allocs} allocations"
    );
}
