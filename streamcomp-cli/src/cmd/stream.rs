//! `streamcomp stream`: a scene live, in real time, to RTMP/RTMPS URLs and files at once,
//! until Ctrl-C (graceful: flush and close every output) or `--duration`. Events go to stderr
//! as they happen; a summary line at the end.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use streamcomp_core::{live::Event, live::LiveOptions, live::LiveStream, output::OutputTarget};

/// Arguments of `streamcomp stream`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The scene file (JSON).
    scene: PathBuf,
    #[command(flatten)]
    assets: super::AssetArgs,
    /// Where to send the stream (repeat for several; it is encoded once): rtmp:// or rtmps://
    /// URLs; srt://HOST:PORT?mode=caller|listener&latency=MS&passphrase=… and udp://HOST:PORT
    /// (MPEG-TS); an HLS playlist out/index.m3u8?list_size=6&segment_type=ts|fmp4; a recording
    /// in files of bounded length rec/show-%Y%m%d-%H%M%S.mp4?segment=600; or a file (.mp4,
    /// .ts, .flv, .ivf, .h264).
    #[arg(long = "url", value_name = "URL", required = true)]
    urls: Vec<OutputTarget>,
    /// Stop after this many seconds (default, or 0: run until Ctrl-C).
    #[arg(long, value_name = "SECONDS", value_parser = super::ranges::live_duration)]
    duration: Option<f64>,
    /// A CA certificate file (PEM or DER) to trust for rtmps:// besides the system's store
    /// (which SSL_CERT_FILE / SSL_CERT_DIR replace), e.g. a private CA.
    #[arg(long, value_name = "FILE")]
    ca_file: Option<PathBuf>,
    /// Listen for RTMP publishers of the scene's `rtmp` inputs on this address, e.g.
    /// 0.0.0.0:1935: OBS or ffmpeg push to rtmp://HOST:1935/live/KEY, where KEY is the input's
    /// `key`; a wrong key is refused.
    #[arg(long, value_name = "ADDR:PORT")]
    ingest: Option<std::net::SocketAddr>,
    /// RTMPS for --ingest: the certificate chain (PEM); publishers then use rtmps://.
    #[arg(long, value_name = "FILE", requires = "ingest_key")]
    ingest_cert: Option<PathBuf>,
    /// RTMPS for --ingest: the private key (PEM) of --ingest-cert.
    #[arg(long, value_name = "FILE", requires = "ingest_cert")]
    ingest_key: Option<PathBuf>,
    #[command(flatten)]
    enc: super::EncodeArgs,
}

pub(crate) fn run(a: Args) -> anyhow::Result<ExitCode> {
    let (scene, assets) = super::load_scene(&a.scene, &a.assets)?;
    let mut opts = LiveOptions::default();
    opts.outputs = a.urls;
    a.enc.apply_video(&mut opts.video);
    opts.audio = (!a.enc.no_audio).then_some((a.enc.audio_codec, a.enc.audio_bitrate));
    opts.quality = a.enc.quality;
    opts.threads = a.enc.threads;
    opts.duration = a.duration.filter(|d| *d > 0.0).map(Duration::from_secs_f64);
    if let Some(ca) = &a.ca_file {
        streamcomp_core::output::check_ca_file(ca)
            .map_err(|e| anyhow::anyhow!("--ca-file: {e}"))?;
    }
    opts.rtmp.ca_file = a.ca_file;
    if a.ingest_cert.is_some() && a.ingest.is_none() {
        anyhow::bail!("--ingest-cert and --ingest-key need --ingest ADDR:PORT");
    }
    let tls = a.ingest_cert.clone().zip(a.ingest_key.clone());
    let scheme = if tls.is_some() { "rtmps" } else { "rtmp" };
    opts.ingest = a.ingest.map(|addr| {
        let mut o = streamcomp_core::input::IngestOptions::new(addr);
        o.tls = tls.clone();
        o
    });
    let has_rtmp_inputs = scene
        .inputs
        .values()
        .any(|i| matches!(i.kind, streamcomp_core::scene::InputKind::Rtmp { .. }));
    if has_rtmp_inputs && a.ingest.is_none() {
        eprintln!(
            "note: the scene has rtmp inputs but no --ingest ADDR:PORT: nothing can publish to them"
        );
    }
    let targets = opts
        .outputs
        .iter()
        .map(|t| t.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let stream = LiveStream::start(scene, assets, opts)?;
    let handle = stream.handle();
    let events = stream.events(256);
    let st = handle.status();
    eprintln!(
        "streaming {}x{} at {} fps ({}) to {targets}; Ctrl-C stops",
        st.width, st.height, st.fps, st.codec
    );
    if let Some(addr) = a.ingest {
        for (name, input) in &handle.scene().inputs {
            if let streamcomp_core::scene::InputKind::Rtmp { .. } = input.kind {
                eprintln!("input `{name}`: publish to {scheme}://{addr}/live/<its key>");
            }
        }
    }

    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let flag = Arc::clone(&interrupted);
        let h = handle.clone();
        ctrlc::set_handler(move || {
            if flag.swap(true, Ordering::SeqCst) {
                std::process::exit(130); // a second Ctrl-C: stop now
            }
            eprintln!("stopping (flushing outputs; Ctrl-C again to quit at once)…");
            h.request_stop();
        })?;
    }
    let printer = std::thread::spawn(move || {
        for e in events {
            match e {
                Event::OutputStarted { output } => eprintln!("{output}: live"),
                Event::Reconnecting {
                    output,
                    attempt,
                    delay,
                } => eprintln!(
                    "{output}: connection lost; reconnecting in {:.1} s (attempt {attempt})",
                    delay.as_secs_f64()
                ),
                Event::Reconnected { output } => eprintln!("{output}: reconnected"),
                Event::FileDone { path, .. } => eprintln!("{path}: finished"),
                Event::FramesDropped { count, total } => {
                    eprintln!("dropped {count} frames ({total} in all): the machine is behind")
                }
                Event::LayerFailed { layer, message } => {
                    eprintln!("layer `{layer}` failed and is disabled: {message}")
                }
                Event::LayerRemoved { layer } => {
                    eprintln!("layer `{layer}` played to its end and was removed")
                }
                Event::Input {
                    input,
                    state,
                    message,
                } => match message {
                    Some(m) => eprintln!("input `{input}`: {} ({m})", state.as_str()),
                    None => eprintln!("input `{input}`: {}", state.as_str()),
                },
                Event::Error { message } => eprintln!("error: {message}"),
                Event::Stopped { .. } => break,
                _ => {}
            }
        }
    });
    let status = stream.wait()?;
    let _ = printer.join();
    // The inputs keep their counters after the stream has ended.
    for i in &handle.inputs() {
        eprintln!(
            "input `{}` ({}): {} pictures, {} repeated, {} dropped, {} decode errors; latency {:.0} ms, A/V {:.1} ms, drift {} ppm",
            i.name,
            i.state.as_str(),
            i.frames,
            i.repeated,
            i.dropped,
            i.decode_errors,
            i.latency_ms,
            i.av_offset_ms,
            i.drift_ppm
        );
    }
    eprintln!(
        "stopped after {:.1} s: {} frames rendered, {} encoded, {} dropped; {}",
        status.uptime.as_secs_f64(),
        status.frames_rendered,
        status.frames_encoded,
        status.frames_dropped,
        status
            .outputs
            .iter()
            .map(|o| format!("{} {} bytes", o.target, o.bytes))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(if interrupted.load(Ordering::SeqCst) {
        ExitCode::from(130)
    } else {
        ExitCode::SUCCESS
    })
}
