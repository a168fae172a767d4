//! [`TsMuxer`]: MPEG-TS (ISO/IEC 13818-1) of H.264 video and AAC (in ADTS) or Opus audio,
//! as HLS segments, SRT and UDP carry it. The program tables come first and again before every
//! key frame, so any cut at a key frame (an HLS segment) starts with everything a decoder
//! needs: PAT, PMT, then the key frame with an access unit delimiter and its SPS/PPS. The PCR
//! rides on the video stream, sent with every picture; timestamps are the packets' own, 0.7 s
//! ahead of the PCR so a decoder has time to buffer.

use super::adts::Adts;
use super::nal::nal_units;
use super::ts_packet::{PesStart, TsCounters, pes_header, write_pes};
use super::ts_psi::{
    AUDIO_PID, PMT_PID, PmtStream, STREAM_TYPE_AAC_ADTS, STREAM_TYPE_H264, STREAM_TYPE_PRIVATE_PES,
    VIDEO_PID, opus_descriptors, pat, pmt, write_section,
};
use super::{Muxer, Patch, StreamInfo, sps_pps};
use crate::encode::{AUDIO_RATE, AudioCodec, Packet, Track, VIDEO_TIMESCALE, VideoCodec};
use crate::output::OutputError;

/// How far presentation times lead the program clock, in 90 kHz ticks (0.7 s, as FFmpeg's
/// default `max_delay`).
const PTS_LEAD: u64 = 63_000;
/// The access unit delimiter H.264 in MPEG-TS wants before every picture (any slice type).
const AUD: [u8; 6] = [0, 0, 0, 1, 0x09, 0xf0];
/// PES stream ids.
const STREAM_ID_VIDEO: u8 = 0xe0;
const STREAM_ID_AUDIO: u8 = 0xc0;
const STREAM_ID_PRIVATE_1: u8 = 0xbd;

/// The audio of the stream, as MPEG-TS carries it.
#[derive(Clone, Copy, Debug)]
enum TsAudio {
    Aac(Adts),
    Opus,
}

/// Writes an MPEG-TS stream.
pub(crate) struct TsMuxer {
    audio: Option<TsAudio>,
    cc: TsCounters,
    /// The last SPS and PPS seen, put in front of key frames that come without them.
    params: Option<(Vec<u8>, Vec<u8>)>,
    /// A PES being built (reused).
    pes: Vec<u8>,
    /// The first packets after [`TsMuxer::mark_discontinuity`] say so in their adaptation field.
    discontinuity: [bool; 2],
}

impl std::fmt::Debug for TsMuxer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TsMuxer")
            .field("audio", &self.audio)
            .finish_non_exhaustive()
    }
}

impl TsMuxer {
    /// A muxer for the stream `info` describes; only H.264 video goes into MPEG-TS here.
    pub(crate) fn new(info: &StreamInfo) -> Result<TsMuxer, OutputError> {
        if info.video != VideoCodec::H264 {
            return Err(OutputError::Unsupported(format!(
                "MPEG-TS carries H.264 video here, not {} (for HLS use `segment_type=fmp4`)",
                info.video
            )));
        }
        let audio = match &info.audio {
            None => None,
            Some((AudioCodec::Aac, asc)) => Some(TsAudio::Aac(Adts::from_config(asc)?)),
            Some((AudioCodec::Opus, _)) => Some(TsAudio::Opus),
        };
        Ok(TsMuxer {
            audio,
            cc: TsCounters::default(),
            params: None,
            pes: Vec::new(),
            discontinuity: [false; 2],
        })
    }

    /// The next packet of each track says its time base starts again (after a gap, e.g. an
    /// output that reconnects).
    pub(crate) fn mark_discontinuity(&mut self) {
        self.discontinuity = [true, self.audio.is_some()];
    }

    fn tables(&mut self, out: &mut Vec<u8>) {
        let mut streams = vec![PmtStream {
            kind: STREAM_TYPE_H264,
            pid: VIDEO_PID,
            descriptors: Vec::new(),
        }];
        match self.audio {
            Some(TsAudio::Aac(_)) => streams.push(PmtStream {
                kind: STREAM_TYPE_AAC_ADTS,
                pid: AUDIO_PID,
                descriptors: Vec::new(),
            }),
            Some(TsAudio::Opus) => streams.push(PmtStream {
                kind: STREAM_TYPE_PRIVATE_PES,
                pid: AUDIO_PID,
                descriptors: opus_descriptors(),
            }),
            None => {}
        }
        write_section(0, &pat(), &mut self.cc, out);
        write_section(PMT_PID, &pmt(&streams), &mut self.cc, out);
    }

    fn video(&mut self, p: &Packet, out: &mut Vec<u8>) {
        let units = nal_units(&p.data);
        let has = |t: u8| units.iter().any(|n| n[0] & 0x1f == t);
        if let Some(ps) = sps_pps(&p.data) {
            self.params = Some(ps);
        }
        if p.key {
            self.tables(out);
        }
        let dts = p.dts.max(0) as u64;
        let pts = p.pts.max(0) as u64 + PTS_LEAD;
        let mut es = Vec::with_capacity(p.data.len() + 64);
        if !has(9) {
            es.extend(AUD);
        }
        if p.key
            && !has(7)
            && let Some((sps, pps)) = &self.params
        {
            for n in [sps, pps] {
                es.extend([0, 0, 0, 1]);
                es.extend_from_slice(n);
            }
        }
        es.extend_from_slice(&p.data);
        self.pes.clear();
        pes_header(STREAM_ID_VIDEO, pts, es.len(), &mut self.pes);
        self.pes.extend_from_slice(&es);
        let start = PesStart {
            pcr: Some(dts * 300),
            random_access: p.key,
            discontinuity: std::mem::take(&mut self.discontinuity[0]),
        };
        write_pes(VIDEO_PID, &self.pes, start, &mut self.cc, out);
    }

    fn audio(&mut self, p: &Packet, out: &mut Vec<u8>) -> Result<(), OutputError> {
        let Some(audio) = self.audio else {
            return Ok(()); // a stream described without audio has no audio PID
        };
        // 48 kHz samples to 90 kHz ticks.
        let ticks = (p.pts.max(0) as u64 * u64::from(VIDEO_TIMESCALE) + u64::from(AUDIO_RATE) / 2)
            / u64::from(AUDIO_RATE);
        let mut es = Vec::with_capacity(p.data.len() + 16);
        let stream_id = match audio {
            TsAudio::Aac(adts) => {
                adts.header(p.data.len(), &mut es)?;
                STREAM_ID_AUDIO
            }
            TsAudio::Opus => {
                // opus_control_header: prefix 0x3FF, no trim, no extension; then the size.
                es.extend([0x7f, 0xe0]);
                let mut n = p.data.len();
                while n >= 255 {
                    es.push(0xff);
                    n -= 255;
                }
                es.push(n as u8);
                STREAM_ID_PRIVATE_1
            }
        };
        es.extend_from_slice(&p.data);
        self.pes.clear();
        pes_header(stream_id, ticks + PTS_LEAD, es.len(), &mut self.pes);
        self.pes.extend_from_slice(&es);
        let start = PesStart {
            pcr: None,
            random_access: true,
            discontinuity: std::mem::take(&mut self.discontinuity[1]),
        };
        write_pes(AUDIO_PID, &self.pes, start, &mut self.cc, out);
        Ok(())
    }
}

impl Muxer for TsMuxer {
    fn header(&mut self, out: &mut Vec<u8>) -> Result<(), OutputError> {
        self.tables(out);
        Ok(())
    }

    fn packet(&mut self, p: &Packet, out: &mut Vec<u8>) -> Result<(), OutputError> {
        match p.track {
            Track::Video => {
                self.video(p, out);
                Ok(())
            }
            Track::Audio => self.audio(p, out),
        }
    }

    fn finish(&mut self, _out: &mut Vec<u8>) -> Result<Vec<Patch>, OutputError> {
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::super::ts_packet::TS_PACKET;
    use super::*;

    fn info() -> StreamInfo {
        StreamInfo::new(64, 64, 30.0).with_audio(AudioCodec::Aac, &[0x11, 0x90])
    }

    #[test]
    fn key_frames_start_with_tables_aud_and_parameter_sets() {
        let mut m = TsMuxer::new(&info()).unwrap();
        let mut out = Vec::new();
        m.header(&mut out).unwrap();
        let key = [
            &[0, 0, 0, 1, 0x67, 1, 2, 3][..],
            &[0, 0, 0, 1, 0x68, 4, 5][..],
            &[0, 0, 0, 1, 0x65, 9, 9, 9][..],
        ]
        .concat();
        m.packet(&Packet::new(Track::Video, key, 0, true), &mut out)
            .unwrap();
        m.packet(
            &Packet::new(Track::Audio, vec![7u8; 300], 0, true),
            &mut out,
        )
        .unwrap();
        // A later key frame without parameter sets gets the stored ones.
        let at = out.len();
        m.packet(
            &Packet::new(Track::Video, vec![0, 0, 0, 1, 0x65, 8], 180_000, true),
            &mut out,
        )
        .unwrap();
        assert_eq!(out.len() % TS_PACKET, 0);
        let tail = &out[at..];
        // PAT, PMT, then the video PES.
        assert_eq!(&tail[1..3], &[0x40, 0x00]);
        assert_eq!(&tail[TS_PACKET + 1..TS_PACKET + 3], &[0x50, 0x00]);
        let v = &tail[2 * TS_PACKET..];
        assert_eq!(v[1] & 0x40, 0x40, "payload unit start");
        let af = 5 + usize::from(v[4]);
        assert_eq!(v[5] & 0x50, 0x50, "random access and PCR");
        let pes = &v[af..];
        assert_eq!(&pes[..4], &[0, 0, 1, 0xe0]);
        let es = &pes[14..];
        assert_eq!(&es[..6], &AUD);
        assert_eq!(&es[6..11], &[0, 0, 0, 1, 0x67]);
        assert!(
            TsMuxer::new(&StreamInfo {
                video: VideoCodec::Av1,
                ..info()
            })
            .is_err()
        );
    }
}
