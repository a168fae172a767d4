//! The steady state allocates nothing: after warm-up, rendering frames of a scene whose layers
//! move and fade (but are not re-rasterised) makes no heap allocation at all.

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
             "animations": [{"property": "x", "from": 40, "to": 1000, "duration": 2, "repeat": -1}]}
        ]}),
        &LoadOptions::default(),
    )
    .unwrap();
    let mut c = Compositor::new(
        CompositorOptions::default().with_threads(1),
        AssetResolver::default(),
    );
    let mut yuv = YuvFrame::new(1280, 720);
    for i in 0..10 {
        c.render(&s, i as f64 / 30.0).unwrap().to_i420(&mut yuv);
    }
    let before = ALLOCS.load(Ordering::Relaxed);
    for i in 10..70 {
        c.render(&s, i as f64 / 30.0).unwrap().to_i420(&mut yuv);
    }
    let allocs = ALLOCS.load(Ordering::Relaxed) - before;
    assert_eq!(
        allocs, 0,
        "60 steady-state frames made {allocs} allocations"
    );
}
