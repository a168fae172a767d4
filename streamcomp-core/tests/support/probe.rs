//! What ffprobe and ffmpeg say of a written file: its streams, its video packets and key
//! frames, a decoded frame, and a decoded picture's fidelity (PSNR) against the compositor's.

use std::path::Path;
use std::process::Command;

use streamcomp_core::Frame;

/// ffprobe's output for `args` on `file` (errors only on stderr), which must succeed.
pub(crate) fn ffprobe(args: &[&str], file: &Path) -> String {
    let out = Command::new("ffprobe")
        .args(["-v", "error"])
        .args(args)
        .arg(file)
        .output()
        .expect("ffprobe is installed (scripts/test.sh installs ffmpeg)");
    assert!(
        out.status.success(),
        "ffprobe {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// One line per stream with the `entries` (e.g. `codec_name,width,nb_read_frames`) as
/// `key=value|…`, frames counted by decoding.
pub(crate) fn stream_lines(file: &Path, entries: &str) -> Vec<String> {
    ffprobe(
        &[
            "-count_frames",
            "-show_entries",
            &format!("stream={entries}"),
            "-of",
            "compact=p=0:nk=0",
        ],
        file,
    )
    .lines()
    .map(str::to_string)
    .collect()
}

/// `pts_time,flags` of every video packet, one per line.
pub(crate) fn video_packet_rows(file: &Path) -> String {
    ffprobe(
        &[
            "-select_streams",
            "v",
            "-show_entries",
            "packet=pts_time,flags",
            "-of",
            "csv=p=0",
        ],
        file,
    )
}

/// The times of the video key frames, in seconds.
pub(crate) fn key_times(file: &Path) -> Vec<f64> {
    video_packet_rows(file)
        .lines()
        .filter(|l| l.contains(",K"))
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect()
}

/// Frame `n` of a file, decoded by ffmpeg as rgb24.
pub(crate) fn decoded_frame(path: &Path, n: u32) -> Vec<u8> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-vf", &format!("select=eq(n\\,{n})"), "-frames:v", "1"])
        .args(["-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .output()
        .expect("ffmpeg is installed (scripts/test.sh installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// PSNR (dB) of a decoded rgb24 picture against an (opaque) compositor frame.
pub(crate) fn psnr(decoded: &[u8], want: &Frame) -> f64 {
    let samples = want.width() as usize * want.height() as usize * 3;
    assert_eq!(decoded.len(), samples);
    let mse: f64 = decoded
        .chunks_exact(3)
        .zip(want.premultiplied().chunks_exact(4))
        .map(|(d, w)| {
            (0..3)
                .map(|c| (d[c] as f64 - w[c] as f64).powi(2))
                .sum::<f64>()
        })
        .sum::<f64>()
        / samples as f64;
    10.0 * (255.0f64 * 255.0 / mse.max(1e-9)).log10()
}

/// The container's duration as ffprobe reads it, in seconds.
pub(crate) fn duration(file: &Path) -> f64 {
    ffprobe(
        &["-show_entries", "format=duration", "-of", "csv=p=0"],
        file,
    )
    .trim()
    .parse()
    .unwrap()
}

/// ffmpeg decodes the whole file without a word on stderr (`input_format` names the demuxer
/// when the extension does not tell).
pub(crate) fn decodes_cleanly(path: &Path, input_format: Option<&str>) {
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-v", "error"]);
    if let Some(f) = input_format {
        cmd.args(["-f", f]);
    }
    let out = cmd
        .arg("-i")
        .arg(path)
        .args(["-f", "null", "-"])
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Asserts that the streams of file `name` (from [`stream_lines`]) hold an AAC track exactly
/// when `audio`, at 48 kHz stereo.
pub(crate) fn assert_aac_track(name: &str, s: &[String], audio: bool) {
    let aac = s.iter().find(|l| l.contains("codec_name=aac"));
    assert_eq!(
        aac.is_some(),
        audio,
        "{name}: audio expected {audio}: {s:?}"
    );
    if let Some(a) = aac {
        assert!(
            a.contains("sample_rate=48000") && a.contains("channels=2"),
            "{name}: {a}"
        );
    }
}
