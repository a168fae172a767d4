//! Files by extension: `.mp4` (fragmented: every fragment starts on a key frame and is on disk
//! before the next begins, so a killed process leaves a playable file; H.264 or AV1), `.ts`
//! (MPEG-TS: H.264 with AAC or Opus), `.flv` (H.264 as legacy AVC tags, AV1 as Enhanced FLV
//! tags), `.ivf` (AV1, VP8, VP9), `.h264`
//! (Annex B as encoded), and `.y4m` (raw frames, no encoder). Each is written by its
//! [`Muxer`](crate::mux::Muxer); this file chooses it and puts its bytes on disk.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::{Output, OutputError};
use crate::encode::{Packet, Track, VideoCodec};
use crate::frame::YuvFrame;
use crate::mux::{
    AnnexBFile, FlvFile, Interleaver, IvfFile, Mp4File, Muxer, StreamInfo, TsMuxer, Y4mFile,
};

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
    /// MPEG-TS: H.264 + AAC or Opus.
    Ts,
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
            "ts" | "m2ts" | "mts" => Ok(FileFormat::Ts),
            _ => Err(OutputError::Unsupported(format!(
                "cannot tell the format of {} from its extension; use .mp4, .ts, .flv, .h264, .y4m or .ivf",
                path.display()
            ))),
        }
    }

    /// Whether the container holds audio.
    pub fn has_audio(self) -> bool {
        matches!(self, FileFormat::Mp4 | FileFormat::Flv | FileFormat::Ts)
    }

    /// Checks that the container can hold `codec`.
    pub fn check_codec(self, codec: VideoCodec) -> Result<(), OutputError> {
        let ok = match self {
            FileFormat::Mp4 | FileFormat::Flv => {
                matches!(codec, VideoCodec::H264 | VideoCodec::Av1)
            }
            FileFormat::H264 | FileFormat::Ts => codec == VideoCodec::H264,
            FileFormat::Y4m => true,
            FileFormat::Ivf => matches!(codec, VideoCodec::Av1 | VideoCodec::Vp8 | VideoCodec::Vp9),
        };
        if ok {
            Ok(())
        } else {
            let holds = match self {
                FileFormat::Mp4 | FileFormat::Flv => "H.264 or AV1",
                FileFormat::Ivf => "AV1, VP8 or VP9",
                FileFormat::Ts => "H.264 here",
                _ => "H.264",
            };
            Err(OutputError::Unsupported(format!(
                "a .{} file cannot hold {codec} video (it holds {holds})",
                format!("{self:?}").to_ascii_lowercase()
            )))
        }
    }
}

/// A file being written: the muxer of its format makes the bytes, which go to disk as they
/// come.
pub struct FileOutput {
    path: PathBuf,
    out: BufWriter<File>,
    bytes: u64,
    muxer: Box<dyn Muxer>,
    /// Puts audio and video in one time order (encoders delay video by different amounts).
    interleave: Interleaver,
    /// What the muxer appended, before it is written.
    pending: Vec<u8>,
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
        format.check_codec(info.video)?;
        let interleave = Interleaver::new(info.audio.is_some() && format.has_audio());
        let muxer: Box<dyn Muxer> = match format {
            FileFormat::Mp4 => Box::new(Mp4File::new(info)),
            FileFormat::Flv => Box::new(FlvFile::new(info)),
            FileFormat::H264 => Box::new(AnnexBFile),
            FileFormat::Ts => Box::new(TsMuxer::new(&info)?),
            FileFormat::Y4m => Box::new(Y4mFile::new(info.width, info.height, info.fps)),
            FileFormat::Ivf => {
                Box::new(IvfFile::new(info.video, info.width, info.height, info.fps)?)
            }
        };
        let file = File::create(path).map_err(|source| OutputError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut me = FileOutput {
            path: path.to_path_buf(),
            out: BufWriter::new(file),
            bytes: 0,
            muxer,
            interleave,
            pending: Vec::new(),
        };
        me.muxer.header(&mut me.pending)?;
        me.put_pending()?;
        Ok(me)
    }

    fn io_error(&self, source: std::io::Error) -> OutputError {
        OutputError::Io {
            path: self.path.clone(),
            source,
        }
    }

    /// Writes what the muxer appended; true when there was something.
    fn put_pending(&mut self) -> Result<bool, OutputError> {
        if self.pending.is_empty() {
            return Ok(false);
        }
        let written = self.out.write_all(&self.pending);
        written.map_err(|e| self.io_error(e))?;
        self.bytes += self.pending.len() as u64;
        self.pending.clear();
        Ok(true)
    }

    /// Pushes buffered bytes to the operating system (so they survive the process).
    fn sync(&mut self) -> Result<(), OutputError> {
        let flushed = self.out.flush();
        flushed.map_err(|e| self.io_error(e))
    }

    /// Writes one raw frame (`.y4m` only).
    pub fn write_frame(&mut self, frame: &YuvFrame) -> Result<(), OutputError> {
        self.muxer.frame(frame, &mut self.pending)?;
        self.put_pending().map(|_| ())
    }

    /// Writes one packet, in time order across tracks; a video key frame is pushed to the
    /// operating system at once.
    fn write_one(&mut self, p: &Packet) -> Result<(), OutputError> {
        self.muxer.packet(p, &mut self.pending)?;
        if self.put_pending()? && p.key && p.track == Track::Video {
            self.sync()?;
        }
        Ok(())
    }

    /// Writes what the container needs at the end and over its header, and syncs the file.
    fn finish_file(&mut self) -> Result<(), OutputError> {
        let patches = self.muxer.finish(&mut self.pending)?;
        self.put_pending()?;
        self.sync()?;
        for patch in patches {
            let file = self.out.get_mut();
            let done = file
                .seek(SeekFrom::Start(patch.at))
                .and_then(|_| file.write_all(&patch.bytes))
                .and_then(|_| file.seek(SeekFrom::End(0)));
            done.map_err(|e| self.io_error(e))?;
        }
        let synced = self.out.get_ref().sync_all();
        synced.map_err(|e| self.io_error(e))
    }
}

impl Output for FileOutput {
    fn write(&mut self, p: &Packet) -> Result<(), OutputError> {
        Interleaver::feed(self, |s| &mut s.interleave, p, Self::write_one)
    }

    fn finish(&mut self) -> Result<(), OutputError> {
        Interleaver::flush(self, |s| &mut s.interleave, Self::write_one)?;
        self.finish_file()
    }

    fn bytes(&self) -> u64 {
        self.bytes
    }
}
