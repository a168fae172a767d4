//! Render and live-stream options read from a JSON object, for front ends that take options as
//! a dictionary (the Python and Node bindings). Unknown keys and bad values are refused with
//! the key's path (`options.codec`), as scene errors are.

use std::time::Duration;

use serde_json::{Map, Value};

use super::live::LiveOptions;
use super::render::RenderOptions;
use crate::encode::{AudioCodec, EncoderBackend, VideoCodec};
use crate::error::Error;
use crate::output::{FileFormat, OutputTarget};
use crate::render::Quality;
use crate::scene::{SceneError, TemplateClock};
use crate::settings::{self, Setting};

/// Keys shared by file renders and live streams.
const ENCODING_KEYS: &[&str] = &[
    "codec",
    "bitrate",
    "audio",
    "audio_codec",
    "audio_bitrate",
    "keyframe_interval",
    "quality",
    "threads",
    "encoder",
    "preset",
    "hwaccel",
];

fn bad(key: &str, message: impl Into<String>) -> Error {
    SceneError::invalid(format!("options.{key}"), message).into()
}

/// Encoding settings common to both kinds of options, each `None` when absent.
#[derive(Default)]
struct Encoding {
    codec: Option<VideoCodec>,
    bitrate: Option<u32>,
    audio: Option<bool>,
    audio_codec: Option<AudioCodec>,
    audio_bitrate: Option<u32>,
    keyframe_interval: Option<f64>,
    quality: Option<Quality>,
    threads: Option<usize>,
    backend: Option<EncoderBackend>,
    preset: Option<String>,
    hwaccel: Option<String>,
}

struct Reader<'a> {
    map: &'a Map<String, Value>,
}

impl<'a> Reader<'a> {
    fn new(v: &'a Value, own_keys: &[&str]) -> Result<Reader<'a>, Error> {
        let map = v
            .as_object()
            .ok_or_else(|| SceneError::invalid("options", "must be an object"))?;
        for k in map.keys() {
            if !ENCODING_KEYS.contains(&k.as_str()) && !own_keys.contains(&k.as_str()) {
                let mut known: Vec<&str> = ENCODING_KEYS.iter().chain(own_keys).copied().collect();
                known.sort_unstable();
                return Err(bad(
                    k,
                    format!("unknown option; known: {}", known.join(", ")),
                ));
            }
        }
        Ok(Reader { map })
    }

    /// The value of `key`, `None` when absent or null.
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn str(&self, key: &str) -> Result<Option<&'a str>, Error> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(bad(key, format!("must be a string, got {other}"))),
        }
    }

    fn parse<T, E: std::fmt::Display>(
        &self,
        key: &str,
        f: impl Fn(&str) -> Result<T, E>,
    ) -> Result<Option<T>, Error> {
        self.str(key)?
            .map(|s| f(s).map_err(|e| bad(key, e.to_string())))
            .transpose()
    }

    /// A number read through its entry in the settings table.
    fn setting(&self, s: &Setting) -> Result<Option<f64>, Error> {
        s.read(self.get(s.key)).map_err(|m| bad(s.key, m))
    }

    fn int(&self, key: &str, min: u64, max: u64) -> Result<Option<u64>, Error> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_u64() {
                Some(x) if (min..=max).contains(&x) => Ok(Some(x)),
                _ => Err(bad(
                    key,
                    format!("must be a whole number between {min} and {max}, got {n}"),
                )),
            },
            Some(other) => Err(bad(key, format!("must be a number, got {other}"))),
        }
    }

    fn bool(&self, key: &str) -> Result<Option<bool>, Error> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(bad(key, format!("must be true or false, got {other}"))),
        }
    }

    fn encoding(&self) -> Result<Encoding, Error> {
        Ok(Encoding {
            codec: self.parse("codec", str::parse::<VideoCodec>)?,
            bitrate: self.setting(&settings::BITRATE)?.map(|x| x as u32),
            audio: self.bool("audio")?,
            audio_codec: self.parse("audio_codec", str::parse::<AudioCodec>)?,
            audio_bitrate: self.setting(&settings::AUDIO_BITRATE)?.map(|x| x as u32),
            keyframe_interval: self.setting(&settings::KEYFRAME_INTERVAL)?,
            quality: self.parse("quality", str::parse::<Quality>)?,
            threads: self.setting(&settings::THREADS)?.map(|x| x as usize),
            backend: self.parse("encoder", str::parse::<EncoderBackend>)?,
            preset: self.str("preset")?.map(str::to_owned),
            hwaccel: self.str("hwaccel")?.map(str::to_owned),
        })
    }
}

impl RenderOptions {
    /// Reads render options from a JSON object: `duration` (seconds, required), `codec`,
    /// `bitrate` (kbit/s), `width` and `height` (both or neither), `fps`, `audio` (bool),
    /// `audio_codec`, `audio_bitrate`, `keyframe_interval`, `quality`, `threads`, `encoder`,
    /// `preset`, `hwaccel`, `clock_start` (RFC 3339 wall-clock time of the first frame, for
    /// `{time}` text). Errors name the key (`options.codec: unknown codec ...`).
    ///
    /// ```
    /// use streamcomp_core::RenderOptions;
    /// let o = RenderOptions::from_value(&serde_json::json!({"duration": 2, "codec": "av1"}))?;
    /// assert_eq!(o.duration, 2.0);
    /// let e = RenderOptions::from_value(&serde_json::json!({"duration": 2, "bitrate": "fast"}));
    /// assert_eq!(e.unwrap_err().to_string(), "options.bitrate: must be a number, got \"fast\"");
    /// # Ok::<(), streamcomp_core::Error>(())
    /// ```
    pub fn from_value(v: &Value) -> Result<RenderOptions, Error> {
        let r = Reader::new(v, &["duration", "width", "height", "fps", "clock_start"])?;
        let duration = r
            .setting(&settings::RENDER_DURATION)?
            .ok_or_else(|| bad("duration", "required: seconds of video, more than 0"))?;
        let mut o = RenderOptions::new(duration);
        let e = r.encoding()?;
        let (min, w, h) = (
            u64::from(settings::MIN_SIDE),
            u64::from(settings::MAX_WIDTH),
            u64::from(settings::MAX_HEIGHT),
        );
        match (r.int("width", min, w)?, r.int("height", min, h)?) {
            (Some(w), Some(h)) => o.size = Some((w as u32, h as u32)),
            (None, None) => {}
            (Some(_), None) => return Err(bad("height", "required when width is given")),
            (None, Some(_)) => return Err(bad("width", "required when height is given")),
        }
        o.fps = r.setting(&settings::FPS)?;
        o.codec = e.codec.unwrap_or(o.codec);
        o.bitrate_kbps = e.bitrate.unwrap_or(o.bitrate_kbps);
        o.audio = e.audio.unwrap_or(o.audio);
        o.audio_codec = e.audio_codec.unwrap_or(o.audio_codec);
        o.audio_bitrate_kbps = e.audio_bitrate.unwrap_or(o.audio_bitrate_kbps);
        o.keyframe_interval = e.keyframe_interval.unwrap_or(o.keyframe_interval);
        o.quality = e.quality.unwrap_or(o.quality);
        o.threads = e.threads.unwrap_or(o.threads);
        o.backend = e.backend.unwrap_or(o.backend);
        if let Some(p) = e.preset {
            o.ffmpeg_preset = p;
        }
        o.ffmpeg_hwaccel = e.hwaccel.or(o.ffmpeg_hwaccel);
        o.clock_start = r.parse("clock_start", TemplateClock::parse_start)?;
        Ok(o)
    }
}

impl LiveOptions {
    /// Reads live-stream options from a JSON object: `urls` (a list of `rtmp://`/`rtmps://`
    /// URLs and file paths; empty or absent: compose only), `duration` (seconds; absent: until
    /// stopped), and the encoding keys of [`RenderOptions::from_value`] (`codec`, `bitrate`,
    /// `audio`, `audio_codec`, `audio_bitrate`, `keyframe_interval`, `quality`, `threads`,
    /// `encoder`, `preset`, `hwaccel`). The frame size and rate are the scene's. `ca_file`: a CA
    /// certificate file trusted for `rtmps://` besides the system's (see
    /// [`RtmpOptions::ca_file`](crate::output::RtmpOptions::ca_file)); it is read when the stream starts.
    /// `ingest`: `"ADDR:PORT"` to listen on for RTMP publishers of the scene's `rtmp` inputs
    /// (see [`LiveOptions::ingest`]).
    ///
    /// ```
    /// use streamcomp_core::live::LiveOptions;
    /// let o = LiveOptions::from_value(&serde_json::json!({"urls": ["rtmp://localhost/live/key"]}))?;
    /// assert_eq!(o.outputs.len(), 1);
    /// let e = LiveOptions::from_value(&serde_json::json!({"urls": ["ftp://x/y"]})).unwrap_err();
    /// assert!(e.to_string().starts_with("options.urls[0]: "));
    /// # Ok::<(), streamcomp_core::Error>(())
    /// ```
    pub fn from_value(v: &Value) -> Result<LiveOptions, Error> {
        let r = Reader::new(v, &["urls", "duration", "ca_file", "ingest"])?;
        let mut o = LiveOptions::default();
        o.rtmp.ca_file = r.str("ca_file")?.map(std::path::PathBuf::from);
        if let Some(addr) = r.str("ingest")? {
            let addr = addr.parse::<std::net::SocketAddr>().map_err(|_| {
                bad(
                    "ingest",
                    format!("must be ADDR:PORT, e.g. \"0.0.0.0:1935\", got {addr:?}"),
                )
            })?;
            o.ingest = Some(crate::input::IngestOptions::new(addr));
        }
        match r.get("urls") {
            None => {}
            Some(Value::Array(list)) => {
                for (i, u) in list.iter().enumerate() {
                    let key = format!("urls[{i}]");
                    let s = u
                        .as_str()
                        .ok_or_else(|| bad(&key, format!("must be a string, got {u}")))?;
                    let target = s
                        .parse::<OutputTarget>()
                        .map_err(|e| bad(&key, e.to_string()))?;
                    if let OutputTarget::File(p) = &target {
                        FileFormat::from_path(p).map_err(|e| bad(&key, e.to_string()))?;
                    }
                    o.outputs.push(target);
                }
            }
            Some(Value::String(_)) => {
                return Err(bad(
                    "urls",
                    "must be a list of URLs, e.g. [\"rtmp://host/app/key\"]",
                ));
            }
            Some(other) => return Err(bad("urls", format!("must be a list of URLs, got {other}"))),
        }
        o.duration = r
            .setting(&settings::LIVE_DURATION)?
            .filter(|d| *d > 0.0)
            .map(Duration::from_secs_f64);
        let e = r.encoding()?;
        let v = &mut o.video;
        v.codec = e.codec.unwrap_or(v.codec);
        v.bitrate_kbps = e.bitrate.unwrap_or(v.bitrate_kbps);
        v.keyframe_interval = e.keyframe_interval.unwrap_or(v.keyframe_interval);
        v.backend = e.backend.unwrap_or(v.backend);
        if let Some(p) = e.preset {
            v.ffmpeg_preset = p;
        }
        v.ffmpeg_hwaccel = e.hwaccel.or(v.ffmpeg_hwaccel.take());
        let audio_codec = e.audio_codec.unwrap_or_default();
        let audio_bitrate = e.audio_bitrate.unwrap_or(128);
        o.audio = (e.audio != Some(false)).then_some((audio_codec, audio_bitrate));
        o.quality = e.quality.unwrap_or(o.quality);
        o.threads = e.threads.unwrap_or(o.threads);
        // The threads setting reaches the encoder too, as in file renders.
        o.video.threads = o.threads;
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn render_options_read_every_key() {
        let o = RenderOptions::from_value(&json!({
            "duration": 3.5, "codec": "av1", "bitrate": 2500, "width": 640, "height": 360,
            "fps": 25, "audio": false, "audio_codec": "opus", "audio_bitrate": 96,
            "keyframe_interval": 1, "quality": "low", "threads": 2, "encoder": "builtin",
            "preset": "fast", "hwaccel": null
        }))
        .unwrap();
        assert_eq!(o.duration, 3.5);
        assert_eq!(o.codec, VideoCodec::Av1);
        assert_eq!(o.bitrate_kbps, 2500);
        assert_eq!(o.size, Some((640, 360)));
        assert_eq!(o.fps, Some(25.0));
        assert!(!o.audio);
        assert_eq!(o.audio_codec, AudioCodec::Opus);
        assert_eq!(o.audio_bitrate_kbps, 96);
        assert_eq!(o.keyframe_interval, 1.0);
        assert_eq!(o.quality, Quality::Low);
        assert_eq!(o.threads, 2);
        assert_eq!(o.backend, EncoderBackend::Builtin);
        assert_eq!(o.ffmpeg_preset, "fast");
    }

    #[test]
    fn errors_name_the_key() {
        let msg = |v: Value| RenderOptions::from_value(&v).unwrap_err().to_string();
        assert_eq!(
            msg(json!({})),
            "options.duration: required: seconds of video, more than 0"
        );
        assert_eq!(
            msg(json!({"duration": 1, "codec": "h265"})),
            "options.codec: unknown codec `h265`; expected h264, av1, vp8 or vp9"
        );
        assert!(
            msg(json!({"duration": 1, "colour": 1}))
                .starts_with("options.colour: unknown option; known: ")
        );
        assert_eq!(
            msg(json!({"duration": 1, "width": 640})),
            "options.height: required when width is given"
        );
        assert_eq!(
            msg(json!({"duration": 1, "threads": -1})),
            "options.threads: must be a whole number between 0 and 256, got -1"
        );
        assert_eq!(msg(json!([1])), "options: must be an object");
        assert!(
            msg(json!({"duration": 1, "clock_start": "noon"}))
                .starts_with("options.clock_start: must be an RFC 3339 time")
        );
    }

    #[test]
    fn clock_start_is_read_with_its_offset() {
        let o = RenderOptions::from_value(
            &json!({"duration": 1, "clock_start": "2026-01-01T20:15:30+01:00"}),
        )
        .unwrap();
        assert_eq!(
            o.clock_start.map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-01-01T20:15:30+01:00")
        );
        let o = RenderOptions::from_value(&json!({"duration": 1})).unwrap();
        assert_eq!(o.clock_start, None);
    }

    #[test]
    fn live_options_read_urls_and_audio() {
        let o = LiveOptions::from_value(&json!({
            "urls": ["rtmp://127.0.0.1/live/secret", "out.flv"], "audio": false,
            "codec": "h264", "duration": 2
        }))
        .unwrap();
        assert_eq!(o.outputs.len(), 2);
        assert!(o.audio.is_none());
        assert_eq!(o.duration, Some(Duration::from_secs(2)));
        let o = LiveOptions::from_value(&json!({"ca_file": "/etc/private-ca.pem"})).unwrap();
        assert_eq!(
            o.rtmp.ca_file.as_deref(),
            Some(std::path::Path::new("/etc/private-ca.pem"))
        );
        let e = LiveOptions::from_value(&json!({"ca_file": 3})).unwrap_err();
        assert!(e.to_string().starts_with("options.ca_file: "), "{e}");
        let o = LiveOptions::from_value(&json!({"audio_codec": "opus"})).unwrap();
        assert_eq!(o.audio, Some((AudioCodec::Opus, 128)));
        let e = LiveOptions::from_value(&json!({"urls": ["ftp://h/x.mp4"]})).unwrap_err();
        assert_eq!(
            e.to_string(),
            "options.urls[0]: `ftp`: outputs are rtmp://, rtmps://, srt:// or udp:// URLs, or paths"
        );
        let o = LiveOptions::from_value(&json!({"urls": ["srt://h:9000", "out/i.m3u8"]})).unwrap();
        assert_eq!(o.outputs[0].kind(), "srt");
        assert_eq!(o.outputs[1].kind(), "hls");
        let e = LiveOptions::from_value(&json!({"urls": "rtmp://h/a/k"})).unwrap_err();
        assert!(e.to_string().starts_with("options.urls: must be a list"));
    }
}
