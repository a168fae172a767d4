//! Reading back the sound of what a test wrote: the 48 kHz samples of a file (decoded by
//! ffmpeg) and the times the barcode clips' beeps start.

use std::path::Path;
use std::process::Command;

/// The 48 kHz samples of `file`'s sound (mixed to one channel).
pub(crate) fn sound(file: &Path) -> Vec<f32> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(file)
        .args([
            "-map", "0:a:0", "-f", "f32le", "-ac", "1", "-ar", "48000", "-",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ffmpeg: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// Seconds at which a beep starts (after at least half a second of quiet).
pub(crate) fn beep_onsets(samples: &[f32]) -> Vec<f64> {
    let mut onsets = Vec::new();
    let mut quiet = 24_000usize;
    for (i, s) in samples.iter().enumerate() {
        if s.abs() > 0.05 {
            if quiet >= 24_000 {
                onsets.push(i as f64 / 48_000.0);
            }
            quiet = 0;
        } else {
            quiet += 1;
        }
    }
    onsets
}
