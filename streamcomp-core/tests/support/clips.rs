//! Test clips made by ffmpeg: frame k shows `k + offset` as a 16-bit barcode in its top 20
//! rows (bit b white from x = 20·b to 20·b + 19), and the sound beeps for 50 ms on every whole
//! second. Shared by the video-layer tests of the core and of the server.

use std::path::{Path, PathBuf};
use std::process::Command;

/// H.264 High with three B-frames, a key frame every second at 30 fps, and AAC.
pub(crate) const H264_HIGH: &[&str] = &[
    "-c:v",
    "libx264",
    "-profile:v",
    "high",
    "-bf",
    "3",
    "-g",
    "30",
    "-pix_fmt",
    "yuv420p",
    "-c:a",
    "aac",
];

/// Makes a `w`×`h` clip of `secs` seconds at `fps` whose frame k shows `k + offset`, encoded
/// with the `codec` arguments into `dir/name`.
pub(crate) fn barcode_clip(
    dir: &Path,
    name: &str,
    (w, h): (u32, u32),
    fps: u32,
    secs: f64,
    offset: u32,
    codec: &[&str],
) -> PathBuf {
    let out = dir.join(name);
    let video = format!(
        "testsrc2=s={w}x{h}:r={fps},drawbox=x=0:y=0:w={w}:h=20:c=black:t=fill,\
         geq=lum='if(lt(Y,20),255*bitand(floor((N+{offset})/pow(2,floor(X/20))),1),lum(X,Y))':\
         cb='if(lt(Y,20),128,cb(X,Y))':cr='if(lt(Y,20),128,cr(X,Y))'"
    );
    let audio = format!("aevalsrc='if(lt(mod(t,1),0.05),0.5*sin(2*PI*1000*t),0)':s=48000:d={secs}");
    let status = Command::new("ffmpeg")
        .args([
            "-v", "error", "-y", "-f", "lavfi", "-i", &video, "-f", "lavfi", "-i", &audio,
        ])
        .args(["-t", &secs.to_string()])
        .args(codec)
        .arg(&out)
        .status()
        .expect("ffmpeg is installed");
    assert!(status.success(), "ffmpeg made {name}");
    out
}

/// The frame number in the barcode of an RGB24 picture `w` wide (the clip drawn at its own
/// size at the top left).
pub(crate) fn barcode_rgb(rgb: &[u8], w: u32) -> u32 {
    (0..16).fold(0, |v, b| {
        let i = ((10 * w + 20 * b + 10) * 3 + 1) as usize;
        if rgb[i] > 128 { v | (1 << b) } else { v }
    })
}
