//! What an HLS output target says: `path/index.m3u8?list_size=6&segment_type=fmp4`.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::output::OutputError;
use crate::output::query::Query;

/// The container of HLS segments.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SegmentType {
    /// MPEG-TS (`.ts`): H.264 only. The default.
    #[default]
    Ts,
    /// CMAF fragmented MP4 (`.m4s` with an `init` file): H.264 or AV1.
    Fmp4,
}

impl SegmentType {
    /// The segments that carry `codec` video: MPEG-TS for H.264, fMP4 for AV1; none for
    /// VP8/VP9.
    pub fn for_codec(codec: crate::encode::VideoCodec) -> Option<SegmentType> {
        use crate::encode::VideoCodec;
        match codec {
            VideoCodec::H264 => Some(SegmentType::Ts),
            VideoCodec::Av1 => Some(SegmentType::Fmp4),
            _ => None,
        }
    }
}

/// Options of an HLS output.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct HlsOptions {
    /// Segments in the playlist's sliding window (`list_size`, 1 to 1000). Default: 6.
    pub list_size: usize,
    /// Segment container (`segment_type=ts|fmp4`). Default: ts.
    pub segment_type: SegmentType,
}

impl Default for HlsOptions {
    fn default() -> HlsOptions {
        HlsOptions {
            list_size: 6,
            segment_type: SegmentType::Ts,
        }
    }
}

/// The options an HLS target takes.
const KNOWN: &[&str] = &["list_size", "segment_type"];

/// An HLS output to a folder: its playlist's path and options.
#[derive(Clone, PartialEq, Eq)]
pub struct HlsTarget {
    /// The playlist (`…/index.m3u8`); segments go beside it.
    pub playlist: PathBuf,
    /// Its options.
    pub options: HlsOptions,
}

impl HlsTarget {
    /// Whether `s` names an HLS playlist (its path ends in `.m3u8`, options aside).
    pub fn is_hls(s: &str) -> bool {
        let base = s.split_once('?').map_or(s, |(b, _)| b);
        base.to_ascii_lowercase().ends_with(".m3u8")
    }

    /// Parses `path.m3u8?options`.
    pub fn parse(s: &str) -> Result<HlsTarget, OutputError> {
        let (base, mut q) = Query::split(s, "HLS output")?;
        let options = HlsOptions::take(&mut q)?;
        q.finish(KNOWN)?;
        let playlist = PathBuf::from(base);
        let name = playlist.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let stem = name.strip_suffix(".m3u8").unwrap_or("");
        if stem.is_empty() {
            return Err(OutputError::Unsupported(format!(
                "HLS output: `{base}` needs a file name before .m3u8"
            )));
        }
        Ok(HlsTarget { playlist, options })
    }

    /// The folder of the playlist and segments.
    pub fn dir(&self) -> &Path {
        self.playlist.parent().unwrap_or(Path::new(""))
    }
}

impl HlsOptions {
    /// Takes the HLS options out of `q`.
    fn take(q: &mut Query) -> Result<HlsOptions, OutputError> {
        let mut o = HlsOptions::default();
        if let Some(n) = q.number("list_size", 1..=1000, "segments")? {
            o.list_size = n as usize;
        }
        if let Some(t) = q.take("segment_type") {
            o.segment_type = match t.as_str() {
                "ts" | "mpegts" => SegmentType::Ts,
                "fmp4" | "cmaf" => SegmentType::Fmp4,
                _ => {
                    return Err(
                        q.error(&format!("`segment_type` must be `ts` or `fmp4`, got `{t}`"))
                    );
                }
            };
        }
        Ok(o)
    }
}

impl fmt::Display for HlsTarget {
    /// The playlist path with the options that differ from the defaults.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.playlist.display())?;
        let d = HlsOptions::default();
        let mut sep = '?';
        if self.options.list_size != d.list_size {
            write!(f, "{sep}list_size={}", self.options.list_size)?;
            sep = '&';
        }
        if self.options.segment_type == SegmentType::Fmp4 {
            write!(f, "{sep}segment_type=fmp4")?;
        }
        Ok(())
    }
}

impl fmt::Debug for HlsTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hls({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_and_their_options() {
        assert!(HlsTarget::is_hls("out/live/index.M3U8?list_size=3"));
        assert!(!HlsTarget::is_hls("out/a.mp4?x=.m3u8"));
        let t = HlsTarget::parse("out/live/index.m3u8?list_size=3&segment_type=fmp4").unwrap();
        assert_eq!(t.options.list_size, 3);
        assert_eq!(t.options.segment_type, SegmentType::Fmp4);
        assert_eq!(t.dir(), Path::new("out/live"));
        assert_eq!(
            t.to_string(),
            "out/live/index.m3u8?list_size=3&segment_type=fmp4"
        );
        let e = HlsTarget::parse("x.m3u8?segment_type=webm").unwrap_err();
        assert!(e.to_string().contains("segment_type"), "{e}");
        assert!(HlsTarget::parse("out/.m3u8").is_err());
        assert!(HlsTarget::parse("x.m3u8?list_size=-0").is_err());
        assert!(HlsTarget::parse("x.m3u8?list_size=1001").is_err());
        assert!(HlsTarget::parse("x.m3u8?segment=4").is_err());
    }
}
