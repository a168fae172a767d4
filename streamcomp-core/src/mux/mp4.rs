//! [`Mp4File`]: fragmented MP4 (muxide) of H.264 or AV1 video and AAC or Opus audio. Every
//! fragment starts on a key frame and is handed out whole before the next begins, so a killed
//! process leaves a playable file. Audio that comes before the first video packet waits for
//! it (the init segment needs the video's parameter sets).

use muxide::api::{AacProfile, AudioCodec as MuxAudioCodec};
use muxide::fragmented::{FragmentAudioConfig, FragmentConfig, FragmentedMuxer};

use super::muxer::{Muxer, Patch};
use super::samples::video_samples;
use super::{StreamInfo, obu, sps_pps};
use crate::encode::{AUDIO_RATE, AudioCodec, Packet, Track, VIDEO_TIMESCALE, VideoCodec};
use crate::output::OutputError;

/// Writes a fragmented MP4 file.
pub(crate) struct Mp4File {
    info: StreamInfo,
    muxer: Option<Box<FragmentedMuxer>>,
    early_audio: Vec<Packet>,
    /// Decode time of the first video and audio sample of the fragment being built.
    first_dts: [Option<u64>; 2],
    /// The init segment is kept apart ([`Muxer::init_segment`]) instead of written first.
    init_apart: bool,
    init: Option<Vec<u8>>,
}

impl std::fmt::Debug for Mp4File {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mp4File")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

fn mux_err(e: impl std::fmt::Display) -> OutputError {
    OutputError::Mux(format!("MP4: {e}"))
}

impl Mp4File {
    /// A file for the stream `info` describes.
    pub(crate) fn new(info: StreamInfo) -> Mp4File {
        Mp4File {
            info,
            muxer: None,
            early_audio: Vec::new(),
            first_dts: [None; 2],
            init_apart: false,
            init: None,
        }
    }

    /// A stream of media segments (CMAF fragments, as fMP4 HLS wants them): the same, but the
    /// init segment is kept apart.
    pub(crate) fn segments(info: StreamInfo) -> Mp4File {
        Mp4File {
            init_apart: true,
            ..Mp4File::new(info)
        }
    }

    /// The muxer, made from the first video packet (its parameter sets); its init segment
    /// goes to `out`.
    fn open(&mut self, p: &Packet, out: &mut Vec<u8>) -> Result<Box<FragmentedMuxer>, OutputError> {
        let info = &self.info;
        let mut cfg = FragmentConfig::new(info.width, info.height, VIDEO_TIMESCALE);
        if info.video == VideoCodec::Av1 {
            // muxide builds the av1C box from the sequence header OBU.
            let Some(seq) = obu::sequence_header(&p.data) else {
                return Err(OutputError::Mux(
                    "the first AV1 packet has no sequence header (it must be a key frame)".into(),
                ));
            };
            cfg.av1_sequence_header = Some(seq.to_vec());
        } else {
            let Some((sps, pps)) = sps_pps(&p.data) else {
                return Err(OutputError::Mux(
                    "the first video packet has no SPS/PPS".into(),
                ));
            };
            cfg.sps = sps;
            cfg.pps = pps;
        }
        let mut m = match info.audio {
            Some(_) => FragmentedMuxer::new_with_audio(
                cfg,
                FragmentAudioConfig {
                    codec: match info.audio {
                        // muxide's dOps carries pre-skip 312, as our OpusHead.
                        Some((AudioCodec::Opus, _)) => MuxAudioCodec::Opus,
                        _ => MuxAudioCodec::Aac(AacProfile::Lc),
                    },
                    sample_rate: AUDIO_RATE,
                    channels: 2,
                },
            ),
            None => FragmentedMuxer::new(cfg),
        }
        .map_err(mux_err)?;
        if self.init_apart {
            self.init = Some(m.init_segment());
        } else {
            out.extend(m.init_segment());
        }
        Ok(Box::new(m))
    }
}

impl Muxer for Mp4File {
    fn header(&mut self, _out: &mut Vec<u8>) -> Result<(), OutputError> {
        Ok(())
    }

    fn packet(&mut self, p: &Packet, out: &mut Vec<u8>) -> Result<(), OutputError> {
        if self.muxer.is_none() {
            if p.track == Track::Audio {
                self.early_audio.push(p.clone());
                return Ok(());
            }
            self.muxer = Some(self.open(p, out)?);
        }
        let m = self.muxer.as_mut().expect("set above");
        let first_dts = &mut self.first_dts;
        match p.track {
            Track::Video => {
                // Every fragment starts with a key frame: close the previous one first.
                if p.key {
                    if let Some(seg) = flush_fragment(m, first_dts) {
                        out.extend(seg);
                    }
                    for a in self.early_audio.drain(..) {
                        first_dts[1].get_or_insert(a.dts as u64);
                        m.write_audio(a.pts as u64, a.dts as u64, &a.data)
                            .map_err(mux_err)?;
                    }
                }
                first_dts[0].get_or_insert(p.dts as u64);
                // AV1 samples carry no temporal delimiters (AV1-ISOBMFF 2.4); H.264 is AVCC.
                let samples = video_samples(p, self.info.video);
                m.write_video(p.pts as u64, p.dts as u64, &samples, p.key)
                    .map_err(mux_err)?;
            }
            Track::Audio => {
                first_dts[1].get_or_insert(p.dts as u64);
                m.write_audio(p.pts as u64, p.dts as u64, &p.data)
                    .map_err(mux_err)?
            }
        }
        Ok(())
    }

    fn cut(&mut self, out: &mut Vec<u8>) -> Result<(), OutputError> {
        if let Some(m) = &mut self.muxer
            && let Some(seg) = flush_fragment(m, &mut self.first_dts)
        {
            out.extend(seg);
        }
        Ok(())
    }

    fn init_segment(&self) -> Option<&[u8]> {
        self.init.as_deref()
    }

    fn finish(&mut self, out: &mut Vec<u8>) -> Result<Vec<Patch>, OutputError> {
        if let Some(m) = &mut self.muxer
            && let Some(seg) = flush_fragment(m, &mut self.first_dts)
        {
            out.extend(seg);
        }
        Ok(Vec::new())
    }
}

/// Closes the fragment being built. muxide starts each fragment (`tfdt`) where it guesses the
/// previous one ended, from the average sample duration: wrong as soon as a live stream
/// dropped a frame (a gap), and the error adds up fragment after fragment. The decode time of
/// each track's first sample is known here, so it is written into the `tfdt` boxes.
fn flush_fragment(m: &mut FragmentedMuxer, first_dts: &mut [Option<u64>; 2]) -> Option<Vec<u8>> {
    let mut seg = m.flush_segment()?;
    // muxide numbers the video track 1 and the audio track 2.
    set_fragment_times(&mut seg, &[(1, first_dts[0]), (2, first_dts[1])]);
    *first_dts = [None; 2];
    Some(seg)
}

/// An ISO BMFF box in `buf` at `at`: (type, start, end).
fn mp4_box(buf: &[u8], at: usize) -> Option<([u8; 4], usize, usize)> {
    let size = u32::from_be_bytes(buf.get(at..at + 4)?.try_into().ok()?) as usize;
    let kind: [u8; 4] = buf.get(at + 4..at + 8)?.try_into().ok()?;
    let end = at.checked_add(size)?;
    (size >= 8 && end <= buf.len()).then_some((kind, at, end))
}

/// Sets the base media decode time of each `moof/traf` whose track has a time in `times`.
fn set_fragment_times(seg: &mut [u8], times: &[(u32, Option<u64>)]) {
    let mut at = 0;
    while let Some((kind, start, end)) = mp4_box(seg, at) {
        if &kind == b"moof" {
            let mut t = start + 8;
            while let Some((kind, traf, traf_end)) = mp4_box(seg, t) {
                if &kind == b"traf" {
                    let mut track = None;
                    let mut c = traf + 8;
                    while let Some((kind, b, b_end)) = mp4_box(seg, c) {
                        if &kind == b"tfhd" && b_end >= b + 16 {
                            track = Some(u32::from_be_bytes(
                                seg[b + 12..b + 16].try_into().expect("4 bytes"),
                            ));
                        }
                        let time = times
                            .iter()
                            .find(|(id, _)| Some(*id) == track)
                            .and_then(|(_, time)| *time);
                        if &kind == b"tfdt"
                            && let Some(time) = time
                        {
                            if seg[b + 8] == 1 && b_end >= b + 20 {
                                seg[b + 12..b + 20].copy_from_slice(&time.to_be_bytes());
                            } else if b_end >= b + 16
                                && let Ok(time) = u32::try_from(time)
                            {
                                seg[b + 12..b + 16].copy_from_slice(&time.to_be_bytes());
                            }
                        }
                        c = b_end;
                    }
                }
                t = traf_end;
            }
        }
        at = end;
    }
}
