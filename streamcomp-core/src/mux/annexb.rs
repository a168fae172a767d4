//! [`AnnexBFile`]: raw H.264 files (`.h264`), the video packets as encoded (Annex B, start
//! codes and parameter sets in line), nothing around them.

use super::muxer::{Muxer, Patch};
use crate::encode::{Packet, Track};
use crate::output::OutputError;

/// Writes the video packets as they are; audio is left out.
#[derive(Debug, Default)]
pub(crate) struct AnnexBFile;

impl Muxer for AnnexBFile {
    fn header(&mut self, _out: &mut Vec<u8>) -> Result<(), OutputError> {
        Ok(())
    }

    fn packet(&mut self, p: &Packet, out: &mut Vec<u8>) -> Result<(), OutputError> {
        if p.track == Track::Video {
            out.extend_from_slice(&p.data);
        }
        Ok(())
    }

    fn finish(&mut self, _out: &mut Vec<u8>) -> Result<Vec<Patch>, OutputError> {
        Ok(Vec::new())
    }
}
