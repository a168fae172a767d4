//! FLV file demuxer (our own): the header, the tag stream, AVC sequence headers (`avcC`),
//! NALU packets with their composition time offset, AAC; Enhanced FLV (FourCC `av01`, `hvc1`,
//! `vp09`, `avc1`) tags are recognised so such files probe with a clear answer.
//!
//! [`parse_video_tag`] and [`parse_audio_tag`] read one tag body into a [`VideoTag`] /
//! [`AudioTag`] and know nothing of files: the RTMP ingest can share them (RTMP messages carry
//! the same bodies). Opening a file walks its tag headers once (reading only the first bytes of
//! each body) into an index of packets and key frames; a truncated file plays up to its last
//! whole tag.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};

use super::StreamInfo;
use super::avcc::{self, AvcConfig};
use super::h264::SpsError;
use crate::limits::Limits;
use crate::media::{
    AudioCodecId, Demuxer, MediaError, Nanos, Packet, TrackKind, VideoCodecId, nanos_from_ticks,
};

/// One video tag body, parsed.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum VideoTag<'a> {
    /// A decoder configuration record (`avcC`, `hvcC`, `av1C`, `vpcC`).
    Config {
        /// The codec.
        codec: VideoCodecId,
        /// The record.
        record: &'a [u8],
    },
    /// A coded picture.
    Frame {
        /// The codec.
        codec: VideoCodecId,
        /// A key frame.
        keyframe: bool,
        /// Composition time offset, ms (presentation = decode time + this).
        cts_ms: i32,
        /// The payload (length-prefixed NAL units for AVC/HEVC).
        data: &'a [u8],
    },
    /// Anything else (end of sequence, command frames, metadata).
    Other,
}

/// One audio tag body, parsed.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum AudioTag<'a> {
    /// A decoder configuration (AAC `AudioSpecificConfig`).
    Config {
        /// The codec.
        codec: AudioCodecId,
        /// The record.
        record: &'a [u8],
    },
    /// A coded audio frame.
    Frame {
        /// The codec.
        codec: AudioCodecId,
        /// Sample rate the tag's flags state (0 for "see the configuration").
        rate: u32,
        /// Channels the tag's flags state.
        channels: u16,
        /// The payload.
        data: &'a [u8],
    },
}

/// A signed 24-bit big-endian number.
fn si24(b: &[u8]) -> i32 {
    let v = (i32::from(b[0]) << 16) | (i32::from(b[1]) << 8) | i32::from(b[2]);
    (v << 8) >> 8
}

/// The codec of an Enhanced FLV video FourCC.
fn video_fourcc(f: &[u8]) -> VideoCodecId {
    match f {
        b"avc1" => VideoCodecId::H264,
        b"hvc1" => VideoCodecId::Hevc,
        b"av01" => VideoCodecId::Av1,
        b"vp09" => VideoCodecId::Vp9,
        b"vp08" => VideoCodecId::Vp8,
        _ => VideoCodecId::Other(String::from_utf8_lossy(f).into_owned()),
    }
}

/// Parses one video tag body (legacy AVC/H.263/VP6 codec ids and Enhanced FLV FourCC tags).
pub(crate) fn parse_video_tag(body: &[u8]) -> Result<VideoTag<'_>, String> {
    let Some(&b0) = body.first() else {
        return Err("empty video tag".into());
    };
    if b0 & 0x80 != 0 {
        // Enhanced FLV: [1 | frame type:3 | packet type:4] FourCC …
        let frame_type = (b0 >> 4) & 7;
        let packet_type = b0 & 0x0f;
        let fourcc = body.get(1..5).ok_or("enhanced video tag cut short")?;
        let codec = video_fourcc(fourcc);
        let rest = &body[5..];
        return Ok(match packet_type {
            0 => VideoTag::Config {
                codec,
                record: rest,
            },
            1 | 3 => {
                let (cts_ms, data) = if packet_type == 1
                    && matches!(codec, VideoCodecId::H264 | VideoCodecId::Hevc)
                {
                    let c = rest.get(..3).ok_or("enhanced video tag cut short")?;
                    (si24(c), &rest[3..])
                } else {
                    (0, rest)
                };
                VideoTag::Frame {
                    codec,
                    keyframe: frame_type == 1,
                    cts_ms,
                    data,
                }
            }
            _ => VideoTag::Other,
        });
    }
    let frame_type = b0 >> 4;
    let codec_id = b0 & 0x0f;
    if frame_type == 5 {
        return Ok(VideoTag::Other);
    }
    match codec_id {
        7 => {
            let h = body.get(1..5).ok_or("AVC video tag cut short")?;
            let cts_ms = si24(&h[1..4]);
            let data = &body[5..];
            Ok(match h[0] {
                0 => VideoTag::Config {
                    codec: VideoCodecId::H264,
                    record: data,
                },
                1 => VideoTag::Frame {
                    codec: VideoCodecId::H264,
                    keyframe: frame_type == 1,
                    cts_ms,
                    data,
                },
                _ => VideoTag::Other,
            })
        }
        12 => Ok(VideoTag::Frame {
            codec: VideoCodecId::Hevc,
            keyframe: frame_type == 1,
            cts_ms: 0,
            data: &body[1..],
        }),
        c => Ok(VideoTag::Frame {
            codec: VideoCodecId::Other(
                match c {
                    2 => "flv1",
                    3 => "screen video",
                    4 | 5 => "vp6",
                    _ => "unknown FLV video",
                }
                .into(),
            ),
            keyframe: frame_type == 1,
            cts_ms: 0,
            data: &body[1..],
        }),
    }
}

/// Parses one audio tag body.
pub(crate) fn parse_audio_tag(body: &[u8]) -> Result<AudioTag<'_>, String> {
    let Some(&b0) = body.first() else {
        return Err("empty audio tag".into());
    };
    let format = b0 >> 4;
    let rate = [5512, 11025, 22050, 44100][usize::from((b0 >> 2) & 3)];
    let channels = if b0 & 1 == 1 { 2 } else { 1 };
    if format == 9 {
        // Enhanced audio: [9 | packet type:4] FourCC …
        let fourcc = body.get(1..5).ok_or("enhanced audio tag cut short")?;
        let codec = match fourcc {
            b"Opus" => AudioCodecId::Opus,
            b"fLaC" => AudioCodecId::Flac,
            b"mp4a" => AudioCodecId::Aac,
            b".mp3" => AudioCodecId::Mp3,
            f => AudioCodecId::Other(String::from_utf8_lossy(f).into_owned()),
        };
        return Ok(if b0 & 0x0f == 0 {
            AudioTag::Config {
                codec,
                record: &body[5..],
            }
        } else {
            AudioTag::Frame {
                codec,
                rate: 0,
                channels: 0,
                data: &body[5..],
            }
        });
    }
    let codec = match format {
        10 => AudioCodecId::Aac,
        2 | 14 => AudioCodecId::Mp3,
        0 | 3 => AudioCodecId::Pcm,
        f => AudioCodecId::Other(format!("FLV audio format {f}")),
    };
    if format == 10 {
        let t = *body.get(1).ok_or("AAC audio tag cut short")?;
        let data = &body[2..];
        if t == 0 {
            return Ok(AudioTag::Config {
                codec,
                record: data,
            });
        }
        return Ok(AudioTag::Frame {
            codec,
            rate: 0,
            channels: 0,
            data,
        });
    }
    Ok(AudioTag::Frame {
        codec,
        rate,
        channels,
        data: &body[1..],
    })
}

/// Sample rate and channels of an AAC `AudioSpecificConfig`.
pub(crate) fn aac_config(asc: &[u8]) -> Option<(u32, u16)> {
    const RATES: [u32; 13] = [
        96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
    ];
    let b = asc.get(..2)?;
    let idx = ((b[0] & 7) << 1) | (b[1] >> 7);
    let ch = (b[1] >> 3) & 0x0f;
    Some((*RATES.get(usize::from(idx))?, u16::from(ch)))
}

/// A packet of the index.
#[derive(Clone, Copy, Debug)]
struct Entry {
    track: TrackKind,
    /// Where the tag's body starts.
    offset: u64,
    size: u32,
    pts: Nanos,
    dts: Nanos,
    keyframe: bool,
}

/// The FLV demuxer.
pub(crate) struct FlvDemuxer {
    file: File,
    name: String,
    limits: Limits,
    entries: Vec<Entry>,
    next: usize,
    avc: Option<AvcConfig>,
    body: Vec<u8>,
}

/// Turns a `SpsError` into a media error.
fn sps_error(name: &str, e: SpsError) -> MediaError {
    match e {
        SpsError::Malformed(d) => MediaError::malformed(name, d),
        SpsError::TooLarge(d) => MediaError::too_large(name, d),
    }
}

/// Largest configuration record read while indexing.
const MAX_CONFIG_BYTES: u32 = 1 << 16;

impl FlvDemuxer {
    /// Opens an FLV file: walks its tags into an index.
    pub(crate) fn open(
        file: File,
        len: u64,
        name: &str,
        limits: &Limits,
    ) -> Result<(FlvDemuxer, StreamInfo), MediaError> {
        let mut r = BufReader::new(file);
        let io = |e| MediaError::io(name, e);
        r.seek(SeekFrom::Start(0)).map_err(io)?;
        let mut h = [0u8; 9];
        r.read_exact(&mut h)
            .map_err(|_| MediaError::malformed(name, "flv: header cut short"))?;
        let data_offset = u64::from(u32::from_be_bytes([h[5], h[6], h[7], h[8]]));
        if &h[..3] != b"FLV" || data_offset < 9 || data_offset > len {
            return Err(MediaError::malformed(name, "flv: bad header"));
        }
        let mut info = StreamInfo::new("flv");
        let mut entries = Vec::new();
        let mut avc = None;
        let mut video_codec: Option<VideoCodecId> = None;
        // After the header: PreviousTagSize0, then tags.
        let mut pos = data_offset + 4;
        let mut head = [0u8; 11];
        let mut first = [0u8; 16];
        let mut config = Vec::new();
        let (mut end, mut min_pts, mut frames, mut b_frames) = (0, None::<Nanos>, 0u64, false);
        let mut last_dur: Nanos = 0;
        let mut last_dts: Option<Nanos> = None;
        while pos.saturating_add(11) <= len {
            r.seek(SeekFrom::Start(pos)).map_err(io)?;
            if r.read_exact(&mut head).is_err() {
                break;
            }
            let kind = head[0] & 0x1f;
            let size = u32::from_be_bytes([0, head[1], head[2], head[3]]);
            let ts =
                (u32::from(head[7]) << 24) | u32::from_be_bytes([0, head[4], head[5], head[6]]);
            let body_at = pos + 11;
            let next = body_at + u64::from(size) + 4;
            if body_at + u64::from(size) > len {
                break; // truncated: play what is whole
            }
            if head[0] & 0x20 != 0 {
                // Encrypted (filtered) tag.
                return Err(MediaError::unsupported(name, "encrypted FLV"));
            }
            let dts = nanos_from_ticks(i64::from(ts), 1000);
            match kind {
                9 if size > 0 => {
                    let n = (size as usize).min(first.len());
                    r.read_exact(&mut first[..n]).map_err(io)?;
                    let tag = parse_video_tag(&first[..n])
                        .map_err(|e| MediaError::malformed(name, format!("flv: {e}")))?;
                    match tag {
                        VideoTag::Config { codec, .. } => {
                            if video_codec.is_none() {
                                video_codec = Some(codec.clone());
                            }
                            let wanted = match codec {
                                VideoCodecId::H264 => avc.is_none(),
                                VideoCodecId::Av1 => info.av1.is_none(),
                                _ => false,
                            };
                            if wanted {
                                if size > MAX_CONFIG_BYTES {
                                    return Err(MediaError::malformed(
                                        name,
                                        "flv: oversized video sequence header",
                                    ));
                                }
                                config.resize(size as usize, 0);
                                r.seek(SeekFrom::Start(body_at)).map_err(io)?;
                                r.read_exact(&mut config).map_err(io)?;
                                if let Ok(VideoTag::Config { record, .. }) =
                                    parse_video_tag(&config)
                                {
                                    if codec == VideoCodecId::Av1 {
                                        let cfg = super::av1::parse_av1c(record).map_err(|e| {
                                            MediaError::malformed(name, format!("flv: {e}"))
                                        })?;
                                        info.av1 = Some(cfg);
                                    } else {
                                        let cfg = avcc::parse_avcc(record, limits)
                                            .map_err(|e| sps_error(name, e))?;
                                        info.sps = Some(cfg.sps.clone());
                                        avc = Some(cfg);
                                    }
                                }
                            }
                        }
                        VideoTag::Frame {
                            codec,
                            keyframe,
                            cts_ms,
                            ..
                        } => {
                            if video_codec.is_none() {
                                video_codec = Some(codec);
                            }
                            let pts = dts.saturating_add(i64::from(cts_ms) * 1_000_000);
                            if cts_ms != 0 {
                                b_frames = true;
                            }
                            if let Some(l) = last_dts
                                && dts > l
                            {
                                last_dur = dts - l;
                            }
                            last_dts = Some(dts);
                            frames += 1;
                            min_pts = Some(min_pts.map_or(pts, |m: Nanos| m.min(pts)));
                            end = end.max(pts.saturating_add(last_dur));
                            entries.push(Entry {
                                track: TrackKind::Video,
                                offset: body_at,
                                size,
                                pts,
                                dts,
                                keyframe,
                            });
                        }
                        VideoTag::Other => {}
                    }
                }
                8 if size > 0 => {
                    let n = (size as usize).min(first.len());
                    r.read_exact(&mut first[..n]).map_err(io)?;
                    match parse_audio_tag(&first[..n]) {
                        Ok(AudioTag::Config { codec, record }) => {
                            if let Some((rate, ch)) = aac_config(record) {
                                info.sample_rate = rate;
                                info.channels = ch;
                            }
                            info.audio.get_or_insert(codec);
                        }
                        Ok(AudioTag::Frame {
                            codec,
                            rate,
                            channels,
                            ..
                        }) => {
                            if info.audio.is_none() {
                                info.audio = Some(codec);
                                info.sample_rate = rate;
                                info.channels = channels;
                            }
                            entries.push(Entry {
                                track: TrackKind::Audio,
                                offset: body_at,
                                size,
                                pts: dts,
                                dts,
                                keyframe: true,
                            });
                        }
                        Err(_) => {}
                    }
                }
                _ => {}
            }
            if entries.len() as u64 > limits.max_video_samples {
                return Err(MediaError::too_large(
                    name,
                    format!(
                        "more than {} packets exceeds the limit",
                        limits.max_video_samples
                    ),
                ));
            }
            pos = next;
        }
        if b_frames {
            info.notes.push("B-frames".into());
        }
        info.video = video_codec;
        if let Some(h) = info.av1.as_ref().and_then(|c| c.header) {
            info.width = h.max_width;
            info.height = h.max_height;
        }
        if let Some(sps) = &info.sps {
            info.width = sps.width;
            info.height = sps.height;
        }
        info.duration = end;
        let span = end - min_pts.unwrap_or(0);
        if span > 0 && frames > 0 {
            info.fps = frames as f64 * 1e9 / span as f64;
        }
        // Rounded millisecond times: a frame rate within 0.1 % of a whole one is that one.
        if info.fps > 0.0 && (info.fps - info.fps.round()).abs() < info.fps * 1e-3 {
            info.fps = info.fps.round();
        }
        Ok((
            FlvDemuxer {
                file: r.into_inner(),
                name: name.to_string(),
                limits: limits.clone(),
                entries,
                next: 0,
                avc,
                body: Vec::new(),
            },
            info,
        ))
    }
}

impl Demuxer for FlvDemuxer {
    fn next_packet(&mut self) -> Result<Option<Packet>, MediaError> {
        loop {
            let Some(e) = self.entries.get(self.next).copied() else {
                return Ok(None);
            };
            self.next += 1;
            if u64::from(e.size) > self.limits.max_video_packet_bytes {
                return Err(MediaError::too_large(
                    &self.name,
                    format!(
                        "a {}-byte tag exceeds the packet limit of {} bytes",
                        e.size, self.limits.max_video_packet_bytes
                    ),
                ));
            }
            self.body.resize(e.size as usize, 0);
            self.file
                .seek(SeekFrom::Start(e.offset))
                .and_then(|_| self.file.read_exact(&mut self.body))
                .map_err(|err| MediaError::io(&self.name, err))?;
            let data = match e.track {
                TrackKind::Video => {
                    let Ok(VideoTag::Frame { data, .. }) = parse_video_tag(&self.body) else {
                        continue;
                    };
                    match &self.avc {
                        Some(cfg) => {
                            let mut out = Vec::new();
                            avcc::avcc_to_annexb(data, cfg, e.keyframe, &self.limits, &mut out)
                                .map_err(|err| sps_error(&self.name, err))?;
                            out
                        }
                        None => data.to_vec(),
                    }
                }
                TrackKind::Audio => match parse_audio_tag(&self.body) {
                    Ok(AudioTag::Frame { data, .. }) => data.to_vec(),
                    _ => continue,
                },
            };
            return Ok(Some(Packet {
                track: e.track,
                pts: e.pts,
                dts: e.dts,
                duration: 0,
                keyframe: e.keyframe,
                data,
            }));
        }
    }

    fn seek(&mut self, t: Nanos) -> Result<(), MediaError> {
        let mut best = None;
        let mut first_key = None;
        for (i, e) in self.entries.iter().enumerate() {
            if e.track == TrackKind::Video && e.keyframe {
                first_key.get_or_insert(i);
                if e.pts <= t {
                    best = Some(i);
                }
            }
        }
        self.next = best.or(first_key).unwrap_or(0);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tag_bodies() {
        assert_eq!(
            parse_video_tag(&[0x17, 0, 0, 0, 0, 1, 2]),
            Ok(VideoTag::Config {
                codec: VideoCodecId::H264,
                record: &[1, 2]
            })
        );
        assert_eq!(
            parse_video_tag(&[0x27, 1, 0xff, 0xff, 0xdf, 9]),
            Ok(VideoTag::Frame {
                codec: VideoCodecId::H264,
                keyframe: false,
                cts_ms: -33,
                data: &[9]
            })
        );
        assert_eq!(
            parse_video_tag(b"\x91av01\x05"),
            Ok(VideoTag::Frame {
                codec: VideoCodecId::Av1,
                keyframe: true,
                cts_ms: 0,
                data: &[5]
            })
        );
        assert!(matches!(
            parse_video_tag(b"\x90hvc1"),
            Ok(VideoTag::Config {
                codec: VideoCodecId::Hevc,
                ..
            })
        ));
        assert!(parse_video_tag(&[]).is_err());
        assert!(parse_video_tag(&[0x17, 1]).is_err());
        assert!(parse_video_tag(b"\x91av").is_err());
        assert_eq!(
            parse_audio_tag(&[0xaf, 0, 0x11, 0x90]),
            Ok(AudioTag::Config {
                codec: AudioCodecId::Aac,
                record: &[0x11, 0x90]
            })
        );
        assert_eq!(aac_config(&[0x11, 0x90]), Some((48000, 2)));
        assert!(parse_audio_tag(&[0xaf]).is_err());
    }
}
