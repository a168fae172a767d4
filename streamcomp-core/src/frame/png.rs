//! PNG output: frames are un-premultiplied to straight alpha before encoding.

use std::io::Write;

use super::Frame;
use crate::error::Error;

impl Frame {
    /// Encodes the frame as an 8-bit RGBA PNG (straight alpha).
    pub fn write_png(&self, w: impl Write) -> Result<(), Error> {
        let mut straight = Vec::new();
        self.to_straight_rgba(&mut straight);
        let io = |e: std::io::Error| Error::Write {
            path: "<png stream>".into(),
            source: e,
        };
        let mut enc = png::Encoder::new(w, self.width, self.height);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Fast);
        let mut writer = enc
            .write_header()
            .map_err(|e| io(std::io::Error::other(e)))?;
        writer
            .write_image_data(&straight)
            .map_err(|e| io(std::io::Error::other(e)))?;
        writer.finish().map_err(|e| io(std::io::Error::other(e)))
    }

    /// Writes the frame to a PNG file.
    pub fn save_png(&self, path: impl AsRef<std::path::Path>) -> Result<(), Error> {
        let path = path.as_ref();
        let file = std::fs::File::create(path).map_err(|source| Error::Write {
            path: path.to_path_buf(),
            source,
        })?;
        let mut buf = std::io::BufWriter::new(file);
        self.write_png(&mut buf).map_err(|e| match e {
            Error::Write { source, .. } => Error::Write {
                path: path.to_path_buf(),
                source,
            },
            other => other,
        })?;
        buf.flush().map_err(|source| Error::Write {
            path: path.to_path_buf(),
            source,
        })
    }
}
