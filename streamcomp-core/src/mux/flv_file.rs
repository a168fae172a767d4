//! [`FlvFile`]: `.flv` files, written with the tags of [`FlvStream`] (what the RTMP publisher
//! sends too): the file header, `onMetaData` (its `duration` patched at the end), the sequence
//! headers, a tag per packet, and AV1's SequenceEnd.

use super::muxer::{Muxer, Patch};
use super::{FlvStream, StreamInfo, flv};
use crate::encode::{Packet, Track};
use crate::output::OutputError;

/// Writes an FLV file.
#[derive(Debug)]
pub(crate) struct FlvFile {
    tags: FlvStream,
    have_video_header: bool,
    /// Where the `duration` value of `onMetaData` sits.
    duration_at: Option<u64>,
    last_ms: u32,
}

impl FlvFile {
    /// A file for the stream `info` describes.
    pub(crate) fn new(info: StreamInfo) -> FlvFile {
        FlvFile {
            tags: FlvStream::new(info),
            have_video_header: false,
            duration_at: None,
            last_ms: 0,
        }
    }
}

impl Muxer for FlvFile {
    fn header(&mut self, out: &mut Vec<u8>) -> Result<(), OutputError> {
        out.extend(flv::file_header(self.tags.info().audio.is_some()));
        let (body, at) = self.tags.file_metadata();
        self.duration_at = at.map(|a| (out.len() + 11 + a) as u64);
        flv::tag(out, flv::TAG_SCRIPT, 0, &body);
        if let Some(header) = self.tags.audio_header() {
            flv::tag(out, flv::TAG_AUDIO, 0, &header);
        }
        Ok(())
    }

    fn packet(&mut self, p: &Packet, out: &mut Vec<u8>) -> Result<(), OutputError> {
        let ms = flv::packet_ms(p);
        self.last_ms = self.last_ms.max(ms);
        if p.track == Track::Video && !self.have_video_header {
            let Some(header) = self.tags.video_header(p) else {
                return Err(OutputError::Mux(self.tags.missing_header()));
            };
            flv::tag(out, flv::TAG_VIDEO, ms, &header);
            self.have_video_header = true;
        }
        if let Some(body) = self.tags.body(p) {
            let kind = match p.track {
                Track::Video => flv::TAG_VIDEO,
                Track::Audio => flv::TAG_AUDIO,
            };
            flv::tag(out, kind, ms, &body);
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Vec<u8>) -> Result<Vec<Patch>, OutputError> {
        if self.have_video_header
            && let Some(end) = self.tags.end()
        {
            flv::tag(out, flv::TAG_VIDEO, self.last_ms, &end);
        }
        Ok(self
            .duration_at
            .map(|at| Patch {
                at,
                bytes: (self.last_ms as f64 / 1000.0).to_be_bytes().to_vec(),
            })
            .into_iter()
            .collect())
    }
}
