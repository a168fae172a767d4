//! [`Y4mFile`]: YUV4MPEG2 files of raw I420 frames (no encoder): a one-line header with size,
//! rate and colour range, then `FRAME` and the three planes per frame.

use super::fps_fraction;
use super::muxer::{Muxer, Patch};
use crate::encode::Packet;
use crate::frame::YuvFrame;
use crate::output::OutputError;

/// Writes raw frames; packets are ignored.
#[derive(Debug)]
pub(crate) struct Y4mFile {
    width: u32,
    height: u32,
    fps: f64,
}

impl Y4mFile {
    /// A file of `width`×`height` frames at `fps`.
    pub(crate) fn new(width: u32, height: u32, fps: f64) -> Y4mFile {
        Y4mFile { width, height, fps }
    }
}

impl Muxer for Y4mFile {
    fn header(&mut self, out: &mut Vec<u8>) -> Result<(), OutputError> {
        let (num, den) = fps_fraction(self.fps);
        let header = format!(
            "YUV4MPEG2 W{} H{} F{num}:{den} Ip A1:1 C420jpeg XCOLORRANGE=LIMITED\n",
            self.width, self.height
        );
        out.extend_from_slice(header.as_bytes());
        Ok(())
    }

    fn packet(&mut self, _p: &Packet, _out: &mut Vec<u8>) -> Result<(), OutputError> {
        Ok(())
    }

    fn frame(&mut self, frame: &YuvFrame, out: &mut Vec<u8>) -> Result<(), OutputError> {
        out.extend_from_slice(b"FRAME\n");
        out.extend_from_slice(frame.y());
        out.extend_from_slice(frame.u());
        out.extend_from_slice(frame.v());
        Ok(())
    }

    fn finish(&mut self, _out: &mut Vec<u8>) -> Result<Vec<Patch>, OutputError> {
        Ok(Vec::new())
    }
}
