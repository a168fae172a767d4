//! Small helpers for the picture tests (`golden.rs`, `reference.rs`, `reference_images.rs`,
//! included with `#[path]` so that they do not build the server helpers of `support/mod.rs`):
//! PNG reading and writing, and how far a rendered frame is from a floating-point reference.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::Path;

/// Reads an 8-bit RGBA PNG: width, height, pixels. `None` when it is missing or not one.
pub(crate) fn read_png(path: &Path) -> Option<(u32, u32, Vec<u8>)> {
    let file = std::fs::File::open(path).ok()?;
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .ok()?;
    let mut buf = vec![0; reader.output_buffer_size()?];
    let info = reader.next_frame(&mut buf).ok()?;
    buf.truncate(info.buffer_size());
    Some((info.width, info.height, buf))
}

/// Writes `rgba` (`w`×`h`, 8-bit RGBA) as a PNG.
pub(crate) fn write_png(path: &Path, w: u32, h: u32, rgba: &[u8]) {
    let file = std::fs::File::create(path).unwrap();
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w, h);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    enc.write_header().unwrap().write_image_data(rgba).unwrap();
}

/// How far a frame is from its reference, per channel.
pub(crate) struct FrameDiff {
    /// Mean absolute difference over every channel of every pixel.
    pub(crate) mean: f64,
    /// Largest difference on a pixel not flagged as an edge, and where (pixel index).
    pub(crate) worst_inner: f64,
    pub(crate) worst_inner_at: usize,
    /// Largest difference on an edge pixel.
    pub(crate) worst_edge: f64,
}

/// Compares `got` (premultiplied RGBA bytes) with `want` (premultiplied, 0–255 as floats),
/// pixels flagged in `edge` apart.
pub(crate) fn frame_diff(got: &[u8], want: &[[f64; 4]], edge: &[bool]) -> FrameDiff {
    let mut d = FrameDiff {
        mean: 0.0,
        worst_inner: 0.0,
        worst_inner_at: 0,
        worst_edge: 0.0,
    };
    let mut sum = 0.0;
    for (i, w) in want.iter().enumerate() {
        for c in 0..4 {
            let e = (got[i * 4 + c] as f64 - w[c]).abs();
            sum += e;
            if edge[i] {
                d.worst_edge = d.worst_edge.max(e);
            } else if e > d.worst_inner {
                d.worst_inner = e;
                d.worst_inner_at = i;
            }
        }
    }
    d.mean = sum / (want.len() * 4) as f64;
    d
}
