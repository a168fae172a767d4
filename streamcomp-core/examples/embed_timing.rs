//! Times [`SceneSession::render_rgba`] — the call the Python and Node bindings' `render(t)`
//! wrap — so the bindings' overhead can be measured against the Rust API in the same build:
//!
//! ```text
//! cargo run --release -p streamcomp-core --example embed_timing -- benches/scenes/overlay.json 300
//! ```
//!
//! Renders N frames at t = i / fps after 10 warm-up frames; prints mean and median ms per call.

use std::time::Instant;

use streamcomp_core::SceneSession;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: embed_timing SCENE.json [FRAMES]")?;
    let n: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(300);
    let mut s = SceneSession::from_file(&path)?;
    let fps = s.fps();
    for i in 0..10 {
        std::hint::black_box(s.render_rgba(i as f64 / fps)?);
    }
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let t0 = Instant::now();
        let rgba = s.render_rgba((i + 10) as f64 / fps)?;
        times.push(t0.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(rgba);
    }
    let mean = times.iter().sum::<f64>() / n as f64;
    times.sort_by(f64::total_cmp);
    println!(
        "{path}: {}x{}, {n} renders: mean {mean:.3} ms, median {:.3} ms",
        s.width(),
        s.height(),
        times[n / 2]
    );
    Ok(())
}
