//! Segmented recordings: `rec/show-%Y%m%d-%H%M%S.mp4?segment=600` writes one file after
//! another, each started on the first video key frame at least `segment` seconds after the
//! previous one began (so no picture is lost or doubled across a cut), named by the strftime
//! pattern at that moment (local time), each playable alone: its timestamps start at 0. Any file
//! format with audio works (`.mp4` is fragmented, so a crash loses at most the fragment being
//! written; `.ts` loses at most a few packets). A name already taken gets `-1`, `-2`… before its
//! extension.

use std::fmt;
use std::path::{Path, PathBuf};

use chrono::format::{Item, StrftimeItems};

use super::file::{FileFormat, FileOutput};
use super::query::Query;
use super::{Output, OutputError};
use crate::encode::{AUDIO_RATE, Packet, Track, VIDEO_TIMESCALE};
use crate::mux::{Interleaver, StreamInfo};

/// A recording in segments: a strftime path pattern and the segment length.
#[derive(Clone, PartialEq)]
pub struct RecordingTarget {
    /// The path pattern (`rec/show-%Y%m%d-%H%M%S.mp4`); its extension chooses the format.
    pub pattern: String,
    /// Seconds per file (at least; files are cut on key frames).
    pub segment: f64,
}

impl Eq for RecordingTarget {}

impl RecordingTarget {
    /// Whether `s` asks for a segmented recording (a `segment` option).
    pub fn is_recording(s: &str) -> bool {
        s.split_once('?')
            .is_some_and(|(_, q)| q.split('&').any(|kv| kv.starts_with("segment=")))
    }

    /// Parses `pattern?segment=SECONDS`.
    pub fn parse(s: &str) -> Result<RecordingTarget, OutputError> {
        let (base, mut q) = Query::split(s, "recording")?;
        let segment = q
            .number("segment", 1..=86_400, "seconds")?
            .ok_or_else(|| q.error("`segment` (seconds per file) is required"))?
            as f64;
        q.finish(&["segment"])?;
        if StrftimeItems::new(base).any(|i| matches!(i, Item::Error)) {
            return Err(OutputError::Unsupported(format!(
                "recording: `{base}` has a % pattern strftime does not know (use %Y %m %d %H %M %S, %% for %)"
            )));
        }
        let format = FileFormat::from_path(Path::new(base))?;
        if !format.has_audio() {
            return Err(OutputError::Unsupported(format!(
                "recording: segmented files are .mp4, .ts or .flv, not `{base}`"
            )));
        }
        Ok(RecordingTarget {
            pattern: base.to_string(),
            segment,
        })
    }

    /// The file format, by the pattern's extension.
    pub fn format(&self) -> FileFormat {
        FileFormat::from_path(Path::new(&self.pattern)).expect("checked when parsed")
    }
}

impl fmt::Display for RecordingTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}?segment={}", self.pattern, self.segment)
    }
}

impl fmt::Debug for RecordingTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Recording({self})")
    }
}

/// The file being written, and where its time starts.
struct Part {
    file: FileOutput,
    path: PathBuf,
    /// The stream time of its first picture (90 kHz), subtracted from every packet.
    start: i64,
}

/// Writes a recording in segments.
pub struct RecordingOutput {
    target: RecordingTarget,
    info: StreamInfo,
    interleave: Interleaver,
    part: Option<Part>,
    /// Files finished so far, oldest first (the last few).
    done: Vec<PathBuf>,
    files: u64,
    /// Bytes of finished files.
    bytes_done: u64,
}

impl std::fmt::Debug for RecordingOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordingOutput")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl RecordingOutput {
    /// A recording of `info`'s stream; the first file opens at the first key frame.
    pub(crate) fn new(
        target: RecordingTarget,
        info: StreamInfo,
    ) -> Result<RecordingOutput, OutputError> {
        target.format().check_codec(info.video)?;
        Ok(RecordingOutput {
            interleave: Interleaver::new(info.audio.is_some()),
            target,
            info,
            part: None,
            done: Vec::new(),
            files: 0,
            bytes_done: 0,
        })
    }

    /// The file being written, if any.
    pub fn current(&self) -> Option<&Path> {
        self.part.as_ref().map(|p| p.path.as_path())
    }

    /// Files started so far.
    pub fn files(&self) -> u64 {
        self.files
    }

    /// Takes the paths of the files finished since the last call.
    pub fn take_finished(&mut self) -> Vec<PathBuf> {
        std::mem::take(&mut self.done)
    }

    /// The next file's path: the pattern at the local time now, made unique.
    fn next_path(&self) -> PathBuf {
        let name = chrono::Local::now()
            .format(&self.target.pattern)
            .to_string();
        let path = PathBuf::from(&name);
        if !path.exists() {
            return path;
        }
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let ext = path
            .extension()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        (1..)
            .map(|n| path.with_file_name(format!("{stem}-{n}.{ext}")))
            .find(|p| !p.exists())
            .expect("some number is free")
    }

    fn close(&mut self) -> Result<(), OutputError> {
        if let Some(mut part) = self.part.take() {
            part.file.finish()?;
            self.bytes_done += part.file.bytes();
            self.done.push(part.path);
        }
        Ok(())
    }

    fn open(&mut self, start: i64) -> Result<(), OutputError> {
        let path = self.next_path();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| OutputError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let file = FileOutput::create(&path, self.target.format(), self.info.clone())?;
        self.files += 1;
        self.part = Some(Part { file, path, start });
        Ok(())
    }

    fn write_one(&mut self, p: &Packet) -> Result<(), OutputError> {
        if p.track == Track::Video && p.key {
            let due = self.target.segment * f64::from(VIDEO_TIMESCALE)
                - f64::from(VIDEO_TIMESCALE) / self.info.fps / 2.0;
            let cut = self
                .part
                .as_ref()
                .is_none_or(|part| (p.pts - part.start) as f64 >= due);
            if cut {
                self.close()?;
                self.open(p.pts)?;
            }
        }
        let Some(part) = self.part.as_mut() else {
            return Ok(()); // before the first key frame
        };
        let mut q = p.clone();
        let shift = match p.track {
            Track::Video => part.start,
            Track::Audio => {
                (part.start * i64::from(AUDIO_RATE) + i64::from(VIDEO_TIMESCALE) / 2)
                    / i64::from(VIDEO_TIMESCALE)
            }
        };
        q.pts -= shift;
        q.dts -= shift;
        if q.dts < 0 {
            return Ok(()); // sound from just before the cut, already in the previous file
        }
        part.file.write(&q)
    }
}

impl Output for RecordingOutput {
    fn write(&mut self, p: &Packet) -> Result<(), OutputError> {
        Interleaver::feed(self, |s| &mut s.interleave, p, Self::write_one)
    }

    fn finish(&mut self) -> Result<(), OutputError> {
        Interleaver::flush(self, |s| &mut s.interleave, Self::write_one)?;
        self.close()
    }

    fn bytes(&self) -> u64 {
        self.bytes_done + self.part.as_ref().map_or(0, |p| p.file.bytes())
    }

    fn detail(&self) -> Option<String> {
        let part = self.part.as_ref()?;
        Some(format!("file {}: {}", self.files, part.path.display()))
    }

    fn take_finished_files(&mut self) -> Vec<String> {
        self.take_finished()
            .into_iter()
            .map(|p| p.display().to_string())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert!(RecordingTarget::is_recording("rec/a-%H.mp4?segment=60"));
        assert!(!RecordingTarget::is_recording("rec/a.mp4"));
        let t = RecordingTarget::parse("rec/show-%Y%m%d-%H%M%S.mp4?segment=600").unwrap();
        assert_eq!(t.segment, 600.0);
        assert_eq!(t.format(), FileFormat::Mp4);
        for bad in [
            "rec/a.mp4?segment=0",
            "rec/a.mp4?segment=1e308",
            "rec/a.mp4?segment=-0",
            "rec/a-%Q.mp4?segment=60",
            "rec/a.h264?segment=60",
            "rec/a.mp4?segment=60&x=1",
            "rec/a.mp4?",
        ] {
            assert!(RecordingTarget::parse(bad).is_err(), "{bad}");
        }
    }
}
