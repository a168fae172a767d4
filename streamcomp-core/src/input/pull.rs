//! [`Puller`]: the thread that brings an `srt` or `rtmp_pull` input's bytes. It runs the
//! `ffmpeg` program (the FFmpeg backend) reading the source (`srt://…` in listener or caller
//! mode, or `rtmp://…`) and copying its streams, without decoding, into FLV on a pipe; the
//! tags go to the input's feed like an RTMP publisher's. When `ffmpeg` ends (the sender left,
//! the server dropped us, a timeout) the input is `reconnecting` and `ffmpeg` starts again
//! after a backoff (1 s doubling to 30 s; back to 1 s once data flowed).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
#[cfg(feature = "ffmpeg")]
use std::time::{Duration, Instant};

use super::feed::Feed;
use crate::scene::InputKind;

/// Reads an input with `ffmpeg` until stopped.
pub(crate) struct Puller {
    stop: Arc<AtomicBool>,
    child: Arc<Mutex<Option<std::process::Child>>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Puller {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(c) = self
            .child
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_mut()
        {
            let _ = c.kill();
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The source URL `ffmpeg` reads, and the same without secrets (for statuses and logs).
#[cfg_attr(not(feature = "ffmpeg"), allow(dead_code))]
pub(crate) fn source_url(kind: &InputKind) -> Option<(String, String)> {
    match kind {
        InputKind::Rtmp { .. } => None,
        InputKind::RtmpPull { url } => {
            let shown = url
                .parse::<crate::output::rtmp::RtmpUrl>()
                .map_or_else(|_| "rtmp://…".to_string(), |u| u.redact(url));
            Some((url.clone(), shown))
        }
        InputKind::Srt(p) => Some(p.ffmpeg_url()),
    }
}

impl Puller {
    /// Starts pulling `feed`'s source.
    pub(crate) fn start(feed: Arc<Feed>) -> Puller {
        let stop = Arc::new(AtomicBool::new(false));
        let child = Arc::new(Mutex::new(None));
        let (s, c) = (Arc::clone(&stop), Arc::clone(&child));
        let thread = std::thread::Builder::new()
            .name(format!("pull-{}", feed.name))
            .spawn(move || run(&feed, &s, &c))
            .ok();
        Puller {
            stop,
            child,
            thread,
        }
    }
}

/// Sleeps `d` in short steps; false when stopped meanwhile.
#[cfg(feature = "ffmpeg")]
fn sleep_unless_stopped(stop: &AtomicBool, d: Duration) -> bool {
    let end = Instant::now() + d;
    while Instant::now() < end {
        if stop.load(Ordering::Acquire) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50).min(end - Instant::now()));
    }
    !stop.load(Ordering::Acquire)
}

#[cfg(not(feature = "ffmpeg"))]
fn run(feed: &Feed, _stop: &AtomicBool, _child: &Mutex<Option<std::process::Child>>) {
    feed.set_error(format!(
        "{} inputs need the FFmpeg backend, which this build leaves out (cargo feature `ffmpeg`)",
        feed.spec.kind.type_name()
    ));
}

#[cfg(feature = "ffmpeg")]
fn run(feed: &Feed, stop: &AtomicBool, child: &Mutex<Option<std::process::Child>>) {
    use std::io::{BufReader, Read};
    use std::process::{Command, Stdio};

    use super::feed::Tag;
    use super::status::InputState;

    let Some((url, shown)) = source_url(&feed.spec.kind) else {
        return;
    };
    let mut backoff =
        crate::output::rtmp::Backoff::new(Duration::from_secs(1), Duration::from_secs(30), 0.2);
    let mut first = true;
    while !stop.load(Ordering::Acquire) {
        if !first {
            feed.set_state(InputState::Reconnecting, None);
        }
        first = false;
        let mut cmd = Command::new(crate::media::ffmpeg::ffmpeg_program());
        cmd.args(["-hide_banner", "-nostdin", "-loglevel", "error"]);
        cmd.args([
            "-fflags",
            "nobuffer",
            "-probesize",
            "500000",
            "-analyzeduration",
            "1000000",
        ]);
        if matches!(feed.spec.kind, InputKind::RtmpPull { .. }) {
            // A server that stops sending: give up after 5 s and connect again.
            cmd.args(["-rw_timeout", "5000000"]);
        }
        cmd.args(["-i", &url, "-map", "0:v:0?", "-map", "0:a:0?", "-c", "copy"]);
        // Each packet out as it comes, no output buffering, and no interleaving: FFmpeg would
        // otherwise hold pictures back until the sound of the same time came (MPEG-TS senders
        // group a few hundred ms of sound per PES), and pictures would arrive in bursts. (0
        // would mean "wait for every stream"; 1 µs means "never wait".)
        cmd.args(["-max_interleave_delta", "1", "-flush_packets", "1"]);
        cmd.args(["-f", "flv", "-flvflags", "no_duration_filesize", "pipe:1"]);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let spawned = cmd.spawn();
        let mut proc = match spawned {
            Ok(p) => p,
            Err(e) => {
                feed.set_error(format!(
                    "{} inputs need the `ffmpeg` program ({e}); install FFmpeg or set FFMPEG_PATH",
                    feed.spec.kind.type_name()
                ));
                if !sleep_unless_stopped(stop, backoff.next_delay()) {
                    return;
                }
                continue;
            }
        };
        let stdout = proc.stdout.take();
        let stderr = proc.stderr.take();
        *child.lock().unwrap_or_else(|e| e.into_inner()) = Some(proc);
        // The last lines ffmpeg wrote say why it ended.
        let err_thread = stderr.map(|mut e| {
            std::thread::spawn(move || {
                let mut s = String::new();
                let _ = (&mut e).take(64 << 10).read_to_string(&mut s);
                s
            })
        });
        feed.restart(Some(shown.clone()));
        let mut flowed = false;
        if let Some(out) = stdout {
            let mut reader =
                super::flv_reader::FlvReader::new(BufReader::with_capacity(1 << 16, out));
            loop {
                if stop.load(Ordering::Acquire) {
                    break;
                }
                match reader.next_tag() {
                    Ok(Some(t)) => {
                        flowed = true;
                        let tag = Tag {
                            video: t.video,
                            ts_ms: t.ts_ms,
                            body: t.body.into(),
                            arrival: Instant::now(),
                        };
                        if feed.push(tag).is_err() {
                            break;
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        feed.set_error(format!("reading {shown}: {e}"));
                        break;
                    }
                }
            }
        }
        if let Some(mut p) = child.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = p.kill();
            let _ = p.wait();
        }
        let said = err_thread.and_then(|t| t.join().ok()).unwrap_or_default();
        if let Some(line) = said.lines().rev().find(|l| !l.trim().is_empty()) {
            let line = line.replace(&url, &shown);
            feed.set_error(format!("ffmpeg: {}", line.trim()));
        }
        if flowed {
            backoff.reset();
        }
        if !sleep_unless_stopped(stop, backoff.next_delay()) {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::SrtParams;
    use crate::scene::SrtMode;

    #[test]
    fn srt_urls_carry_options_and_hide_the_passphrase() {
        let kind = InputKind::Srt(SrtParams {
            mode: SrtMode::Listener,
            host: None,
            port: 9000,
            latency_ms: 120,
            passphrase: Some("0123456789secret".into()),
            streamid: Some("cam".into()),
        });
        let (url, shown) = source_url(&kind).unwrap();
        assert_eq!(
            url,
            "srt://0.0.0.0:9000?mode=listener&latency=120000&passphrase=0123456789secret&streamid=cam"
        );
        assert!(!shown.contains("secret"));
        let kind = InputKind::Srt(SrtParams {
            mode: SrtMode::Caller,
            host: Some("::1".into()),
            port: 9,
            latency_ms: 0,
            passphrase: None,
            streamid: None,
        });
        assert_eq!(
            source_url(&kind).unwrap().0,
            "srt://[::1]:9?mode=caller&latency=0"
        );
    }
}
