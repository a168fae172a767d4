//! Resource limits: one struct, charged before anything is allocated, with safe defaults.

use std::time::Duration;

/// Caps on what loading and rendering may consume. Defaults are safe for untrusted input.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Limits {
    /// Widest image accepted, px. Default: 16384.
    pub max_image_width: u32,
    /// Tallest image accepted, px. Default: 16384.
    pub max_image_height: u32,
    /// Most pixels in one decoded image frame. Default: 64 Mpx (256 MiB as RGBA).
    pub max_image_pixels: u64,
    /// Largest asset file read (image, font, audio), bytes. Default: 64 MiB.
    pub max_file_bytes: u64,
    /// Most frames kept from one animated image. Default: 1000.
    pub max_anim_frames: u32,
    /// Most decoded bytes for all frames of one animated image. Default: 512 MiB.
    pub max_anim_bytes: u64,
    /// Largest remote download, bytes. Default: 16 MiB.
    pub max_fetch_bytes: u64,
    /// Longest remote download. Default: 10 s.
    pub fetch_timeout: Duration,
    /// Most pixels in one layer's raster (its box, scaled). Default: 64 Mpx.
    pub max_raster_pixels: u64,
    /// Memory the raster cache may keep, bytes. Default: 1 GiB.
    pub max_cache_bytes: u64,
    /// Memory the decoded-image cache may keep, bytes: the pixels of every cached image (and
    /// its source text). One cache serves an [`AssetResolver`](crate::AssetResolver) and every
    /// compositor using it; past the budget the least recently used images are dropped (and
    /// decoded again when next needed), though the image just loaded stays even when it alone
    /// is larger. Default: 512 MiB (the largest animation [`Limits::max_anim_bytes`] admits).
    pub max_image_cache_bytes: u64,
    /// Longest sound one audio file may decode to, seconds (48 kHz stereo f32 is 1.4 GiB an
    /// hour). Default: 3600.
    pub max_audio_seconds: f64,
    /// Largest video file a `video` layer may open, bytes (read as a stream, never whole).
    /// Default: 64 GiB.
    pub max_video_file_bytes: u64,
    /// Widest video picture decoded, px. Default: 8192.
    pub max_video_width: u32,
    /// Tallest video picture decoded, px. Default: 8192.
    pub max_video_height: u32,
    /// Most pixels in one video picture. Default: 3840×2160 × 2 (a 4K picture with room).
    pub max_video_pixels: u64,
    /// Longest video file, seconds. Default: 48 hours.
    pub max_video_seconds: f64,
    /// Largest compressed packet (one picture or sound frame), bytes. Default: 32 MiB.
    pub max_video_packet_bytes: u64,
    /// Most samples (pictures or sound frames) in one file's index. Default: 20 million.
    pub max_video_samples: u64,
    /// Memory one video layer's source may hold in decoded pictures, bytes. Default: 256 MiB.
    pub max_video_source_bytes: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_image_width: 16384,
            max_image_height: 16384,
            max_image_pixels: 64 << 20,
            max_file_bytes: 64 << 20,
            max_anim_frames: 1000,
            max_anim_bytes: 512 << 20,
            max_fetch_bytes: 16 << 20,
            fetch_timeout: Duration::from_secs(10),
            max_raster_pixels: 64 << 20,
            max_cache_bytes: 1 << 30,
            max_image_cache_bytes: 512 << 20,
            max_audio_seconds: 3600.0,
            max_video_file_bytes: 64 << 30,
            max_video_width: 8192,
            max_video_height: 8192,
            max_video_pixels: 3840 * 2160 * 2,
            max_video_seconds: 48.0 * 3600.0,
            max_video_packet_bytes: 32 << 20,
            max_video_samples: 20_000_000,
            max_video_source_bytes: 256 << 20,
        }
    }
}

impl Limits {
    /// No caps at all (trusted input only).
    pub fn no_limits() -> Limits {
        Limits {
            max_image_width: u32::MAX,
            max_image_height: u32::MAX,
            max_image_pixels: u64::MAX,
            max_file_bytes: u64::MAX,
            max_anim_frames: u32::MAX,
            max_anim_bytes: u64::MAX,
            max_fetch_bytes: u64::MAX,
            fetch_timeout: Duration::from_secs(3600),
            max_raster_pixels: u64::MAX,
            max_cache_bytes: u64::MAX,
            max_image_cache_bytes: u64::MAX,
            max_audio_seconds: f64::INFINITY,
            max_video_file_bytes: u64::MAX,
            max_video_width: u32::MAX,
            max_video_height: u32::MAX,
            max_video_pixels: u64::MAX,
            max_video_seconds: f64::INFINITY,
            max_video_packet_bytes: u64::MAX,
            max_video_samples: u64::MAX,
            max_video_source_bytes: u64::MAX,
        }
    }
}

impl Limits {
    /// Refuses a video picture over [`Limits::max_video_width`], `…_height` or `…_pixels`,
    /// saying which limits (one rule for every demuxer and decoder).
    pub fn check_video_size(&self, w: u64, h: u64) -> Result<(), String> {
        if w > u64::from(self.max_video_width)
            || h > u64::from(self.max_video_height)
            || w.saturating_mul(h) > self.max_video_pixels
        {
            return Err(format!(
                "video picture {w}x{h} exceeds the limit of {}x{} and {} pixels",
                self.max_video_width, self.max_video_height, self.max_video_pixels
            ));
        }
        Ok(())
    }

    /// Refuses `secs` of `what` (`video`, `sound`) over [`Limits::max_video_seconds`].
    pub fn check_video_seconds(&self, secs: f64, what: &str) -> Result<(), String> {
        if secs > self.max_video_seconds {
            return Err(format!(
                "{secs:.0} s of {what} exceeds the limit of {:.0} s",
                self.max_video_seconds
            ));
        }
        Ok(())
    }
}
