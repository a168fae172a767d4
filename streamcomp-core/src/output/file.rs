//! Files by extension: `.mp4` (fragmented: every fragment starts on a key frame and is on disk
//! before the next begins, so a killed process leaves a playable file; H.264 or AV1), `.flv`
//! (H.264 as legacy AVC tags, AV1 as Enhanced FLV tags), `.ivf` (AV1, VP8, VP9), `.h264`
//! (Annex B as encoded), and `.y4m` (raw frames, no encoder).

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use muxide::api::{AacProfile, AudioCodec as MuxAudioCodec};
use muxide::fragmented::{FragmentAudioConfig, FragmentConfig, FragmentedMuxer};

use super::{Output, OutputError};
use crate::encode::{AUDIO_RATE, AudioCodec, Packet, Track, VIDEO_TIMESCALE, VideoCodec};
use crate::frame::YuvFrame;
use crate::mux::{Interleaver, StreamInfo, flv, ivf, obu, sps_pps, to_avcc};

/// File containers, chosen by extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    /// Fragmented MP4: H.264 or AV1, + AAC.
    Mp4,
    /// FLV: H.264 (legacy AVC tags) or AV1 (Enhanced FLV tags), + AAC.
    Flv,
    /// Raw H.264 Annex B, video only.
    H264,
    /// YUV4MPEG2 raw frames, video only, no encoding.
    Y4m,
    /// IVF: AV1, VP8 or VP9, video only.
    Ivf,
}

impl FileFormat {
    /// The format for a path's extension.
    pub fn from_path(path: &Path) -> Result<FileFormat, OutputError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match ext.as_str() {
            "mp4" | "m4v" => Ok(FileFormat::Mp4),
            "flv" => Ok(FileFormat::Flv),
            "h264" | "264" => Ok(FileFormat::H264),
            "y4m" => Ok(FileFormat::Y4m),
            "ivf" => Ok(FileFormat::Ivf),
            _ => Err(OutputError::Unsupported(format!(
                "cannot tell the format of {} from its extension; use .mp4, .flv, .h264, .y4m or .ivf",
                path.display()
            ))),
        }
    }

    /// Whether the container holds audio.
    pub fn has_audio(self) -> bool {
        matches!(self, FileFormat::Mp4 | FileFormat::Flv)
    }

    /// Checks that the container can hold `codec`.
    pub fn check_codec(self, codec: VideoCodec) -> Result<(), OutputError> {
        let ok = match self {
            FileFormat::Mp4 | FileFormat::Flv => {
                matches!(codec, VideoCodec::H264 | VideoCodec::Av1)
            }
            FileFormat::H264 => codec == VideoCodec::H264,
            FileFormat::Y4m => true,
            FileFormat::Ivf => matches!(codec, VideoCodec::Av1 | VideoCodec::Vp8 | VideoCodec::Vp9),
        };
        if ok {
            Ok(())
        } else {
            let holds = match self {
                FileFormat::Mp4 | FileFormat::Flv => "H.264 or AV1",
                FileFormat::Ivf => "AV1, VP8 or VP9",
                _ => "H.264",
            };
            Err(OutputError::Unsupported(format!(
                "a .{} file cannot hold {codec} video (it holds {holds})",
                format!("{self:?}").to_ascii_lowercase()
            )))
        }
    }
}

/// A file being written.
pub struct FileOutput {
    path: PathBuf,
    out: BufWriter<File>,
    bytes: u64,
    kind: Kind,
    /// Puts audio and video in one time order (encoders delay video by different amounts).
    interleave: Interleaver,
}

enum Kind {
    Mp4 {
        info: StreamInfo,
        muxer: Option<Box<FragmentedMuxer>>,
        early_audio: Vec<Packet>,
        scratch: Vec<u8>,
        /// Decode time of the first video and audio sample of the fragment being built.
        first_dts: [Option<u64>; 2],
    },
    Flv {
        video: VideoCodec,
        /// The audio codec, if the file has audio (AAC as legacy tags, Opus as Enhanced tags).
        audio: Option<AudioCodec>,
        have_video_header: bool,
        duration_at: Option<u64>,
        last_ms: u32,
        scratch: Vec<u8>,
    },
    H264,
    Y4m,
    Ivf {
        /// The time base of frame timestamps, as a frame rate `num / den`.
        fps: (u32, u32),
        frames: u32,
    },
}

impl std::fmt::Debug for FileOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileOutput")
            .field("path", &self.path)
            .field("bytes", &self.bytes)
            .finish_non_exhaustive()
    }
}

impl FileOutput {
    /// Creates the file and writes its header.
    pub(crate) fn create(
        path: &Path,
        format: FileFormat,
        info: StreamInfo,
    ) -> Result<FileOutput, OutputError> {
        let io = |source| OutputError::Io {
            path: path.to_path_buf(),
            source,
        };
        format.check_codec(info.video)?;
        let file = File::create(path).map_err(io)?;
        let mut me = FileOutput {
            path: path.to_path_buf(),
            out: BufWriter::new(file),
            bytes: 0,
            kind: Kind::H264,
            interleave: Interleaver::new(info.audio.is_some() && format.has_audio()),
        };
        me.kind = match format {
            FileFormat::Mp4 => Kind::Mp4 {
                info,
                muxer: None,
                early_audio: Vec::new(),
                scratch: Vec::new(),
                first_dts: [None; 2],
            },
            FileFormat::Flv => {
                me.put(&flv::file_header(info.audio.is_some()))?;
                let mut entries = vec![
                    ("duration", 0.0),
                    ("width", info.width as f64),
                    ("height", info.height as f64),
                    ("framerate", info.fps),
                    (
                        "videocodecid",
                        match info.video {
                            VideoCodec::Av1 => flv::VIDEOCODECID_AV1,
                            _ => flv::VIDEOCODECID_AVC,
                        },
                    ),
                ];
                if let Some((codec, _)) = &info.audio {
                    entries.extend([
                        ("audiocodecid", flv::audio_codec_id(*codec)),
                        ("audiosamplerate", AUDIO_RATE as f64),
                        ("stereo", 1.0),
                    ]);
                }
                let (body, at) = flv::metadata(&entries);
                let offset = me.bytes + 11;
                me.put(&flv::tag(flv::TAG_SCRIPT, 0, &body))?;
                if let Some((codec, config)) = &info.audio {
                    let header = flv::audio_sequence_header(*codec, config);
                    me.put(&flv::tag(flv::TAG_AUDIO, 0, &header))?;
                }
                Kind::Flv {
                    video: info.video,
                    audio: info.audio.as_ref().map(|(codec, _)| *codec),
                    have_video_header: false,
                    duration_at: at.map(|a| offset + a as u64),
                    last_ms: 0,
                    scratch: Vec::new(),
                }
            }
            FileFormat::H264 => Kind::H264,
            FileFormat::Y4m => {
                let (num, den) = fps_fraction(info.fps);
                let header = format!(
                    "YUV4MPEG2 W{} H{} F{num}:{den} Ip A1:1 C420jpeg XCOLORRANGE=LIMITED\n",
                    info.width, info.height
                );
                me.put(header.as_bytes())?;
                Kind::Y4m
            }
            FileFormat::Ivf => {
                let Some(fourcc) = ivf::fourcc(info.video) else {
                    return Err(OutputError::Unsupported(format!(
                        "a .ivf file cannot hold {} video (it holds AV1, VP8 or VP9)",
                        info.video
                    )));
                };
                let fps = fps_fraction(info.fps);
                me.put(&ivf::file_header(fourcc, info.width, info.height, fps, 0))?;
                Kind::Ivf { fps, frames: 0 }
            }
        };
        Ok(me)
    }

    fn put(&mut self, b: &[u8]) -> Result<(), OutputError> {
        self.out.write_all(b).map_err(|source| OutputError::Io {
            path: self.path.clone(),
            source,
        })?;
        self.bytes += b.len() as u64;
        Ok(())
    }

    /// Pushes buffered bytes to the operating system (so they survive the process).
    fn sync(&mut self) -> Result<(), OutputError> {
        self.out.flush().map_err(|source| OutputError::Io {
            path: self.path.clone(),
            source,
        })
    }

    /// Writes one raw frame (`.y4m` only).
    pub fn write_frame(&mut self, frame: &YuvFrame) -> Result<(), OutputError> {
        if !matches!(self.kind, Kind::Y4m) {
            return Err(OutputError::Unsupported(
                "raw frames go to .y4m files only".into(),
            ));
        }
        self.put(b"FRAME\n")?;
        self.put(frame.y())?;
        self.put(frame.u())?;
        self.put(frame.v())
    }

    fn mux_err(e: impl std::fmt::Display) -> OutputError {
        OutputError::Mux(format!("MP4: {e}"))
    }
}

/// A frame rate as a fraction (29.97 → 30000/1001).
pub(crate) fn fps_fraction(fps: f64) -> (u32, u32) {
    if (fps - fps.round()).abs() < 1e-6 {
        (fps.round() as u32, 1)
    } else if ((fps * 1.001) - (fps * 1.001).round()).abs() < 1e-3 {
        ((fps * 1.001).round() as u32 * 1000, 1001)
    } else {
        ((fps * 1000.0).round() as u32, 1000)
    }
}

impl Output for FileOutput {
    fn write(&mut self, p: &Packet) -> Result<(), OutputError> {
        self.interleave.push(p.clone());
        while let Some(q) = self.interleave.pop() {
            self.write_one(&q)?;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), OutputError> {
        while let Some(q) = self.interleave.drain() {
            self.write_one(&q)?;
        }
        self.finish_file()
    }

    fn bytes(&self) -> u64 {
        self.bytes
    }
}

impl FileOutput {
    /// Writes one packet, in time order across tracks.
    fn write_one(&mut self, p: &Packet) -> Result<(), OutputError> {
        let mut pending: Vec<u8> = Vec::new();
        match &mut self.kind {
            Kind::H264 => {
                if p.track == Track::Video {
                    pending = p.data.clone();
                }
            }
            Kind::Y4m => {}
            Kind::Ivf { fps, frames } => {
                if p.track == Track::Video {
                    let size = u32::try_from(p.data.len()).map_err(|_| {
                        OutputError::Mux("a video packet is too large for IVF (4 GiB)".into())
                    })?;
                    pending.extend(ivf::frame_header(size, ivf::pts_in_frames(p.pts, *fps)));
                    pending.extend_from_slice(&p.data);
                    *frames = frames.saturating_add(1);
                }
            }
            Kind::Flv {
                video,
                audio,
                have_video_header,
                last_ms,
                scratch,
                ..
            } => {
                let ms = flv::packet_ms(p);
                *last_ms = (*last_ms).max(ms);
                let av1 = *video == VideoCodec::Av1 && p.track == Track::Video;
                if p.track == Track::Video && !*have_video_header {
                    let header = if av1 {
                        obu::sequence_header(&p.data).and_then(flv::av1_sequence_start)
                    } else {
                        sps_pps(&p.data).map(|(sps, pps)| flv::avc_sequence_header(&sps, &pps))
                    };
                    let Some(header) = header else {
                        return Err(OutputError::Mux(format!(
                            "the first {video} packet has no {} (it must be a key frame)",
                            if av1 { "sequence header" } else { "SPS/PPS" }
                        )));
                    };
                    pending.extend(flv::tag(flv::TAG_VIDEO, ms, &header));
                    *have_video_header = true;
                }
                let kind = if p.track == Track::Video {
                    flv::TAG_VIDEO
                } else {
                    flv::TAG_AUDIO
                };
                let body = if av1 {
                    flv::av1_coded_frames(p, scratch)
                } else if let (Track::Audio, Some(codec)) = (p.track, *audio) {
                    flv::audio_body(codec, &p.data)
                } else {
                    flv::packet_body(p, scratch)
                };
                pending.extend(flv::tag(kind, ms, &body));
            }
            Kind::Mp4 {
                info,
                muxer,
                early_audio,
                scratch,
                first_dts,
            } => {
                if muxer.is_none() {
                    if p.track == Track::Audio {
                        early_audio.push(p.clone());
                        return Ok(());
                    }
                    let mut cfg = FragmentConfig::new(info.width, info.height, VIDEO_TIMESCALE);
                    if info.video == VideoCodec::Av1 {
                        // muxide builds the av1C box from the sequence header OBU.
                        let Some(seq) = obu::sequence_header(&p.data) else {
                            return Err(OutputError::Mux(
                                "the first AV1 packet has no sequence header (it must be a key frame)"
                                    .into(),
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
                    .map_err(Self::mux_err)?;
                    pending.extend(m.init_segment());
                    *muxer = Some(Box::new(m));
                }
                let m = muxer.as_mut().expect("set above");
                match p.track {
                    Track::Video => {
                        // Every fragment starts with a key frame: close the previous one first.
                        if p.key {
                            if let Some(seg) = flush_fragment(m, first_dts) {
                                pending.extend(seg);
                            }
                            for a in early_audio.drain(..) {
                                first_dts[1].get_or_insert(a.dts as u64);
                                m.write_audio(a.pts as u64, a.dts as u64, &a.data)
                                    .map_err(Self::mux_err)?;
                            }
                        }
                        first_dts[0].get_or_insert(p.dts as u64);
                        if info.video == VideoCodec::Av1 {
                            // AV1 samples carry no temporal delimiters (AV1-ISOBMFF 2.4).
                            obu::strip_temporal_delimiters(&p.data, scratch);
                        } else {
                            to_avcc(&p.data, scratch);
                        }
                        m.write_video(p.pts as u64, p.dts as u64, scratch, p.key)
                            .map_err(Self::mux_err)?;
                    }
                    Track::Audio => {
                        first_dts[1].get_or_insert(p.dts as u64);
                        m.write_audio(p.pts as u64, p.dts as u64, &p.data)
                            .map_err(Self::mux_err)?
                    }
                }
            }
        }
        if !pending.is_empty() {
            self.put(&pending)?;
            if p.key && p.track == Track::Video {
                self.sync()?;
            }
        }
        Ok(())
    }

    /// Writes what the container needs at the end and syncs the file.
    fn finish_file(&mut self) -> Result<(), OutputError> {
        let mut tail = Vec::new();
        if let Kind::Mp4 {
            muxer: Some(m),
            first_dts,
            ..
        } = &mut self.kind
            && let Some(seg) = flush_fragment(m, first_dts)
        {
            tail = seg;
        }
        if let Kind::Flv {
            video: VideoCodec::Av1,
            have_video_header: true,
            last_ms,
            ..
        } = self.kind
        {
            tail = flv::tag(flv::TAG_VIDEO, last_ms, &flv::av1_sequence_end());
        }
        self.put(&tail)?;
        self.sync()?;
        if let Kind::Ivf { frames, .. } = self.kind {
            let io = |source| OutputError::Io {
                path: self.path.clone(),
                source,
            };
            let file = self.out.get_mut();
            file.seek(SeekFrom::Start(ivf::FRAME_COUNT_OFFSET))
                .map_err(io)?;
            file.write_all(&frames.to_le_bytes()).map_err(io)?;
            file.seek(SeekFrom::End(0)).map_err(io)?;
        }
        if let Kind::Flv {
            duration_at: Some(at),
            last_ms,
            ..
        } = self.kind
        {
            let io = |source| OutputError::Io {
                path: self.path.clone(),
                source,
            };
            let file = self.out.get_mut();
            file.seek(SeekFrom::Start(at)).map_err(io)?;
            file.write_all(&(last_ms as f64 / 1000.0).to_be_bytes())
                .map_err(io)?;
            file.seek(SeekFrom::End(0)).map_err(io)?;
        }
        self.out
            .get_ref()
            .sync_all()
            .map_err(|source| OutputError::Io {
                path: self.path.clone(),
                source,
            })
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
