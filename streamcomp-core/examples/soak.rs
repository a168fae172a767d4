//! Soak measurement (not a test): streams a scene live to one or more outputs for a while and
//! prints, every few seconds, frames rendered/encoded/dropped, the process's RSS and CPU time,
//! and the outputs' state, so that leaks and drops over a long run show.
//!
//! ```text
//! cargo run --release -p streamcomp-core --example soak -- \
//!     benches/scenes/overlay-720p.json rtmp://127.0.0.1:1935/live/soak 600 30
//! ```
//!
//! Arguments: scene file, outputs (URLs or paths, comma-separated: the stream is encoded once
//! for all), seconds (default 600), report every N seconds (default 30). The last line gives
//! the CPU time of this process and of the processes it ran (an SRT output's `ffmpeg`).

use std::time::{Duration, Instant};

use streamcomp_core::{
    AssetResolver, LoadOptions, Scene, live::LiveOptions, live::LiveStream, output::OutputTarget,
};

/// A line of `/proc/self/status` in kB.
fn proc_status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

/// User + system CPU seconds of this process.
fn cpu_seconds() -> f64 {
    cpu_fields().0
}

/// User + system CPU seconds of this process, and of its children that ended.
fn cpu_fields() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime, stime, cutime, cstime are fields 14 to 17 of the whole line: 11 to 14 after the
    // name.
    (
        (ticks(11) + ticks(12)) / 100.0,
        (ticks(13) + ticks(14)) / 100.0,
    )
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: soak SCENE.json OUTPUT[,OUTPUT…] [SECONDS] [EVERY]";
    let scene_path = args.first().ok_or(usage)?;
    let outputs = args
        .get(1)
        .ok_or(usage)?
        .split(',')
        .map(str::parse)
        .collect::<Result<Vec<OutputTarget>, _>>()?;
    let output = outputs
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let seconds: f64 = args.get(2).map_or(Ok(600.0), |s| s.parse())?;
    let every: f64 = args.get(3).map_or(Ok(30.0), |s| s.parse())?;

    let scene = Scene::from_file(scene_path, &LoadOptions::default())?;
    let assets = AssetResolver::new(scene.base_dir.clone().unwrap_or_else(|| ".".into()));
    let (w, h, fps, layers) = (scene.width, scene.height, scene.fps, scene.layers.len());
    let mut opts = LiveOptions::default();
    opts.outputs = outputs;
    opts.duration = Some(Duration::from_secs_f64(seconds));
    let rss_before = proc_status_kb("VmRSS:");
    let cpu_before = cpu_seconds();
    let stream = LiveStream::start(scene, assets, opts)?;
    let handle = stream.handle();
    println!(
        "soak: {w}x{h} at {fps} fps, {layers} layers, to {output}, {seconds} s; RSS before start \
         {rss_before} kB; load {}",
        load_average()
    );
    println!("     t |  rendered |   encoded | dropped (+new) |  RSS kB | HWM kB | CPU % | output");
    let start = Instant::now();
    let (mut last_dropped, mut last_cpu, mut last_t) = (0, cpu_before, 0.0);
    let mut next = every;
    while !handle.is_stopped() {
        std::thread::sleep(Duration::from_millis(200));
        let t = start.elapsed().as_secs_f64();
        if t < next {
            continue;
        }
        next += every;
        let s = handle.status();
        let cpu = cpu_seconds();
        let out = s
            .outputs
            .iter()
            .map(|o| {
                format!(
                    "{} {} {:.0} kbit/s, {} reconnects, {} packets dropped",
                    o.kind, o.state, o.bitrate_kbps, o.reconnects, o.dropped_packets
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        println!(
            "{t:6.0} | {:9} | {:9} | {:7} (+{:4}) | {:7} | {:6} | {:5.0} | {out}; load {}",
            s.frames_rendered,
            s.frames_encoded,
            s.frames_dropped,
            s.frames_dropped - last_dropped,
            proc_status_kb("VmRSS:"),
            proc_status_kb("VmHWM:"),
            (cpu - last_cpu) / (t - last_t) * 100.0,
            load_average()
        );
        last_dropped = s.frames_dropped;
        last_cpu = cpu;
        last_t = t;
    }
    let s = stream.wait()?;
    let t = start.elapsed().as_secs_f64();
    let (own, children) = cpu_fields();
    println!(
        "done after {t:.1} s: {} rendered, {} encoded, {} dropped ({:.2} %); RSS {} kB, peak {} kB; \
         CPU {:.0} % of one core on average ({:.1} s, + {children:.1} s in child processes)",
        s.frames_rendered,
        s.frames_encoded,
        s.frames_dropped,
        s.frames_dropped as f64 * 100.0 / (s.frames_encoded + s.frames_dropped).max(1) as f64,
        proc_status_kb("VmRSS:"),
        proc_status_kb("VmHWM:"),
        (own - cpu_before) / t * 100.0,
        own - cpu_before
    );
    Ok(())
}
