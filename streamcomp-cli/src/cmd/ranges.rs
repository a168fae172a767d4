//! Value parsers for numeric flags, reading the core's settings table
//! (`streamcomp_core::settings`), so the command line accepts and refuses what the server and
//! the bindings do, with the same message (`must be a whole number between 50 and 100000, got
//! 200000`).

use streamcomp_core::settings::{self, Setting};

fn whole<T: TryFrom<u64>>(s: &Setting, v: &str) -> Result<T, String> {
    s.parse_whole(v)
}

/// `--bitrate`, kbit/s.
pub(crate) fn bitrate(v: &str) -> Result<u32, String> {
    whole(&settings::BITRATE, v)
}

/// `--audio-bitrate`, kbit/s.
pub(crate) fn audio_bitrate(v: &str) -> Result<u32, String> {
    whole(&settings::AUDIO_BITRATE, v)
}

/// `--threads` (0: every core).
pub(crate) fn threads(v: &str) -> Result<usize, String> {
    whole(&settings::THREADS, v)
}

/// `--keyframe-interval`, seconds.
pub(crate) fn keyframe_interval(v: &str) -> Result<f64, String> {
    settings::KEYFRAME_INTERVAL.parse(v)
}

/// `--fps`.
pub(crate) fn fps(v: &str) -> Result<f64, String> {
    settings::FPS.parse(v)
}

/// `render --duration`, seconds.
pub(crate) fn render_duration(v: &str) -> Result<f64, String> {
    settings::RENDER_DURATION.parse(v)
}

/// `stream --duration`, seconds (0: until Ctrl-C).
pub(crate) fn live_duration(v: &str) -> Result<f64, String> {
    settings::LIVE_DURATION.parse(v)
}
