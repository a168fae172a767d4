//! [`FlvStream`]: the FLV tags of one stream, as `.flv` files and the RTMP publisher both send
//! them: `onMetaData`, the audio and video sequence headers, a tag body per packet and the end
//! of the stream. Files wrap each body in a tag ([`flv::tag`]); RTMP sends it as a message.

use bytes::Bytes;

use super::samples::flv_video_body;
use super::{StreamInfo, flv, obu, sps_pps};
use crate::encode::{AUDIO_RATE, Packet, Track, VideoCodec};

/// Makes the tag bodies of a stream.
#[derive(Clone, Debug)]
pub(crate) struct FlvStream {
    info: StreamInfo,
}

impl FlvStream {
    /// The tags of the stream `info` describes.
    pub(crate) fn new(info: StreamInfo) -> FlvStream {
        FlvStream { info }
    }

    /// The stream.
    pub(crate) fn info(&self) -> &StreamInfo {
        &self.info
    }

    /// The `onMetaData` entries: a file's start with a `duration` (patched at the end); RTMP's
    /// without, with the sample size instead.
    fn metadata_entries(&self, file: bool) -> Vec<(&'static str, f64)> {
        let i = &self.info;
        let mut entries = if file {
            vec![("duration", 0.0)]
        } else {
            vec![]
        };
        entries.extend([
            ("width", i.width as f64),
            ("height", i.height as f64),
            ("framerate", i.fps),
            (
                "videocodecid",
                match i.video {
                    VideoCodec::Av1 => flv::VIDEOCODECID_AV1,
                    _ => flv::VIDEOCODECID_AVC,
                },
            ),
        ]);
        if let Some((codec, _)) = &i.audio {
            entries.extend([
                ("audiocodecid", flv::audio_codec_id(*codec)),
                ("audiosamplerate", AUDIO_RATE as f64),
            ]);
            if !file {
                entries.push(("audiosamplesize", 16.0));
            }
            entries.push(("stereo", 1.0));
        }
        entries
    }

    /// A file's `onMetaData` body and the offset of its `duration` value inside it.
    pub(crate) fn file_metadata(&self) -> (Vec<u8>, Option<usize>) {
        flv::metadata(&self.metadata_entries(true))
    }

    /// RTMP's data message: `@setDataFrame`, then the `onMetaData` body.
    pub(crate) fn rtmp_metadata(&self) -> Vec<u8> {
        let (body, _) = flv::metadata(&self.metadata_entries(false));
        let name = b"@setDataFrame";
        let mut out = Vec::with_capacity(body.len() + 3 + name.len());
        out.push(2);
        out.extend_from_slice(&(name.len() as u16).to_be_bytes());
        out.extend_from_slice(name);
        out.extend_from_slice(&body);
        out
    }

    /// The audio sequence header body, if the stream has audio.
    pub(crate) fn audio_header(&self) -> Option<Vec<u8>> {
        let (codec, config) = self.info.audio.as_ref()?;
        Some(flv::audio_sequence_header(*codec, config))
    }

    /// The video sequence header body made from a key frame's parameter sets (H.264 SPS/PPS,
    /// AV1 sequence header OBU); `None` for packets without them.
    pub(crate) fn video_header(&self, p: &Packet) -> Option<Vec<u8>> {
        if p.track != Track::Video || !p.key {
            return None;
        }
        match self.info.video {
            VideoCodec::Av1 => obu::sequence_header(&p.data).and_then(flv::av1_sequence_start),
            _ => sps_pps(&p.data).map(|(sps, pps)| flv::avc_sequence_header(&sps, &pps)),
        }
    }

    /// What a stream's first video packet lacks when [`FlvStream::video_header`] finds nothing.
    pub(crate) fn missing_header(&self) -> String {
        let video = self.info.video;
        let what = if video == VideoCodec::Av1 {
            "sequence header"
        } else {
            "SPS/PPS"
        };
        format!("the first {video} packet has no {what} (it must be a key frame)")
    }

    /// The tag body of a packet (video shared with every other output of the packet); `None`
    /// for audio in a stream without audio.
    pub(crate) fn body(&self, p: &Packet) -> Option<Bytes> {
        match p.track {
            Track::Video => Some(flv_video_body(p, self.info.video)),
            Track::Audio => {
                let (codec, _) = self.info.audio.as_ref()?;
                Some(Bytes::from(flv::audio_body(*codec, &p.data)))
            }
        }
    }

    /// The video body that ends the stream, if its codec has one (AV1's SequenceEnd).
    pub(crate) fn end(&self) -> Option<Vec<u8>> {
        (self.info.video == VideoCodec::Av1).then(flv::av1_sequence_end)
    }
}
