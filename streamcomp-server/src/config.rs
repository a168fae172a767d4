//! Configuration: every variable of SPEC section 5 read from the environment (and a `.env` file,
//! loaded by `main` before this runs), with the documented defaults. A bad value is refused with
//! one line naming the variable, the value and what is allowed.
//!
//! Parsing takes a lookup function instead of reading the process environment directly, so the
//! unit tests below need no (unsafe, process-wide) `set_var`.

use std::path::PathBuf;
use std::str::FromStr;

use streamcomp_core::settings::{self, Setting};
use streamcomp_core::{
    Quality, encode::AudioCodec, encode::FFMPEG_HWACCELS, encode::FFMPEG_PRESETS,
    encode::VideoCodec, output::OutputTarget, output::RTMP_CA_FILE, output::check_ca_file,
    scene::LayerId,
};

/// The server's settings.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    /// `PORT`: HTTP API and panel. Default: 4200.
    pub port: u16,
    /// `WS_PORT`: WebSocket events. Default: 4201.
    pub ws_port: u16,
    /// `METRICS_PORT`: Prometheus. Default: 4290.
    pub metrics_port: u16,
    /// `STATE_PATH`: folder of the embedded store. Default: `./streamcomp-state`.
    pub state_path: PathBuf,
    /// `REDIS_URL` and `REDIS_PASSWORD`: layers in Redis. Default: none (the embedded store).
    pub redis: Option<RedisConfig>,
    /// `STREAM_ID`: names this stream in the store. Default: `default`.
    pub stream_id: String,
    /// `STREAM_RESOLUTION`. Default: 1920x1080.
    pub width: u32,
    /// Height from `STREAM_RESOLUTION`.
    pub height: u32,
    /// `TARGET_FPS`. Default: 30.
    pub fps: f64,
    /// `RENDER_QUALITY`. Default: high.
    pub quality: Quality,
    /// `MAX_LAYERS`. Default: 50.
    pub max_layers: usize,
    /// `STREAM_BITRATE`, kbit/s. Default: 4000.
    pub bitrate_kbps: u32,
    /// `STREAM_URL`: outputs used by `start` when the request names none. Default: none.
    pub stream_urls: Vec<OutputTarget>,
    /// The same, as written (they hold stream keys: never logged).
    pub stream_urls_raw: Vec<String>,
    /// `RTMP_CA_FILE`: a CA certificate file trusted for `rtmps://` besides the system's store
    /// (the core's rule: [`streamcomp_core::output::RTMP_CA_FILE`]). Default: none.
    pub rtmp_ca_file: Option<PathBuf>,
    /// `STREAM_CODEC`. Default: h264.
    pub codec: VideoCodec,
    /// `FFMPEG_PRESET`. Default: medium.
    pub ffmpeg_preset: String,
    /// `FFMPEG_HWACCEL`. Default: none.
    pub ffmpeg_hwaccel: Option<String>,
    /// `AUDIO_ENABLED`. Default: true.
    pub audio_enabled: bool,
    /// `AUDIO_CODEC`. Default: aac.
    pub audio_codec: AudioCodec,
    /// `AUDIO_BITRATE`, kbit/s. Default: 128.
    pub audio_bitrate_kbps: u32,
    /// `ASSETS_DIR`: the only folder layer `src` paths may read. Default: `./assets`.
    pub assets_dir: PathBuf,
    /// `REMOTE_IMAGES`: hosts allowed for `http(s)` image sources. Default: none.
    pub remote_images: Vec<String>,
    /// `API_TOKEN`: bearer token required on every API call. Default: none (open).
    pub api_token: Option<String>,
    /// `LOG_LEVEL` as a tracing filter (`fatal` is `error`). Default: info.
    pub log_level: String,
    /// `RTMP_INGEST_PORT`: the RTMP listener publishers push live inputs to
    /// (`rtmp://HOST:PORT/live/KEY`). Default: none (no listener).
    pub rtmp_ingest_port: Option<u16>,
    /// `RTMP_INGEST_ADDR`: the address the listener binds. Default: 0.0.0.0.
    pub rtmp_ingest_addr: std::net::IpAddr,
    /// `RTMP_INGEST_CERT` and `RTMP_INGEST_KEY`: PEM files; the listener then speaks RTMPS.
    pub rtmp_ingest_tls: Option<(PathBuf, PathBuf)>,
    /// `OUTPUT_DIRS`: folders under which a request (`POST /stream/control`) may have the
    /// server write files, HLS and recordings; outside them, and without it, requests may only
    /// name network outputs (`rtmp://`, `srt://`, `udp://`). `STREAM_URL` is not limited.
    /// Default: none.
    pub output_dirs: Vec<PathBuf>,
    /// `HLS_MEMORY`: while live, the stream's own HLS is kept in memory and served at
    /// `GET /stream/hls/index.m3u8` (the panel plays it). Default: true.
    pub hls_memory: bool,
    /// `RESUME`: go live again at start-up when the stored state says the stream was live.
    /// Default: false (the panel and status show that it was live).
    pub resume: bool,
}

/// Where the Redis store connects. Its `Debug` never shows the password.
#[derive(Clone)]
pub(crate) struct RedisConfig {
    /// `REDIS_URL` as given (it may hold a password: never log it; see [`RedisConfig::shown`]).
    pub url: String,
    /// `REDIS_PASSWORD`: used instead of the URL's password when set.
    pub password: Option<String>,
}

impl RedisConfig {
    /// The URL with any password replaced by `****`, for logs.
    pub(crate) fn shown(&self) -> String {
        redact_redis_url(&self.url)
    }
}

impl std::fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisConfig")
            .field("url", &self.shown())
            .field("password", &self.password.as_ref().map(|_| "****"))
            .finish()
    }
}

/// `url` without its password (`redis://user:****@host:port/db`); text that is not a URL is
/// cut to what follows its last `@`.
pub(crate) fn redact_redis_url(url: &str) -> String {
    match redis::parse_redis_url(url) {
        Some(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("****"));
            }
            u.to_string()
        }
        None => match url.rsplit_once('@') {
            Some((_, host)) => format!("…@{host}"),
            None => url.to_string(),
        },
    }
}

/// `path` without `.` components and with each `..` taking the previous component away
/// (lexically: links are not followed).
pub(crate) fn normalize(path: &std::path::Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

/// Checks `REDIS_URL`: `redis://[USER[:PASSWORD]@]HOST[:PORT][/DB]`. TLS (`rediss://`) is not
/// built in.
fn parse_redis(url: &str, password: Option<String>) -> Result<RedisConfig, String> {
    let url = url.trim();
    let shown = redact_redis_url(url);
    let allowed = "must be redis://[USER[:PASSWORD]@]HOST[:PORT][/DB]";
    let parsed = redis::parse_redis_url(url).ok_or_else(|| bad("REDIS_URL", &shown, allowed))?;
    match parsed.scheme() {
        "redis" | "valkey" => {}
        "rediss" | "valkeys" => {
            return Err(bad(
                "REDIS_URL",
                &shown,
                "rediss:// (TLS) is not built into this server; use redis:// on a private network or through a TLS tunnel",
            ));
        }
        _ => return Err(bad("REDIS_URL", &shown, allowed)),
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad("REDIS_URL", &shown, allowed));
    }
    redis::IntoConnectionInfo::into_connection_info(url)
        .map_err(|e| bad("REDIS_URL", &shown, &format!("{allowed} ({e})")))?;
    Ok(RedisConfig {
        url: url.to_string(),
        password,
    })
}

impl Config {
    /// Reads the process environment.
    pub(crate) fn from_env() -> Result<Config, String> {
        Config::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads every variable through `get`; the first bad one is the error line.
    pub(crate) fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, String> {
        let var = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        let port = |k: &str, d: u16| -> Result<u16, String> {
            match var(k) {
                None => Ok(d),
                Some(v) => v
                    .trim()
                    .parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| bad(k, &v, "must be a TCP port, 1 to 65535")),
            }
        };
        let (port_, ws_port, metrics_port) = (
            port("PORT", 4200)?,
            port("WS_PORT", 4201)?,
            port("METRICS_PORT", 4290)?,
        );
        if ws_port == port_ || metrics_port == port_ || ws_port == metrics_port {
            return Err(format!(
                "PORT={port_}, WS_PORT={ws_port}, METRICS_PORT={metrics_port}: the three ports must differ"
            ));
        }
        let redis = match var("REDIS_URL") {
            Some(v) => Some(parse_redis(
                &v,
                get("REDIS_PASSWORD").filter(|p| !p.is_empty()),
            )?),
            None if var("REDIS_PASSWORD").is_some() => {
                return Err(
                    "REDIS_PASSWORD is set but REDIS_URL is not: set REDIS_URL too, or unset REDIS_PASSWORD to use the embedded store"
                        .into(),
                );
            }
            None => None,
        };
        let stream_id = var("STREAM_ID").unwrap_or_else(|| "default".into());
        if LayerId::new(&stream_id).is_err() {
            return Err(bad(
                "STREAM_ID",
                &stream_id,
                "must be 1 to 64 characters of A-Z a-z 0-9 _ . -",
            ));
        }
        let res = var("STREAM_RESOLUTION").unwrap_or_else(|| "1920x1080".into());
        let (width, height) = settings::parse_frame_size(&res).map_err(|_| {
            bad(
                "STREAM_RESOLUTION",
                &res,
                &format!(
                    "must be WIDTHxHEIGHT, even, {0}x{0} to {1}x{2}",
                    settings::MIN_SIDE,
                    settings::MAX_WIDTH,
                    settings::MAX_HEIGHT
                ),
            )
        })?;
        let fps = setting(&var, &settings::FPS)?;
        let quality = choice(&var, "RENDER_QUALITY", "high", &["low", "medium", "high"])?;
        let max_layers = setting(&var, &settings::MAX_LAYERS)? as usize;
        let bitrate_kbps = setting(&var, &settings::BITRATE)? as u32;
        let stream_urls_raw: Vec<String> = var("STREAM_URL")
            .map(|v| split_list(&v))
            .unwrap_or_default();
        let stream_urls = stream_urls_raw
            .iter()
            .map(|u| {
                u.parse::<OutputTarget>()
                    .map_err(|e| format!("STREAM_URL: {e}: must be rtmp://, rtmps://, srt:// or udp:// URLs, or paths (files, .m3u8 playlists, recordings with ?segment=), comma-separated"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let rtmp_ca_file = match var(RTMP_CA_FILE) {
            None => None,
            Some(v) => {
                let path = PathBuf::from(v.trim());
                check_ca_file(&path).map_err(|e| bad(RTMP_CA_FILE, &v, &e))?;
                Some(path)
            }
        };
        let rtmp_ingest_port = match var("RTMP_INGEST_PORT") {
            None => None,
            Some(_) => Some(port("RTMP_INGEST_PORT", 1935)?),
        };
        if let Some(p) = rtmp_ingest_port
            && [port_, ws_port, metrics_port].contains(&p)
        {
            return Err(format!(
                "RTMP_INGEST_PORT={p}: already used by PORT, WS_PORT or METRICS_PORT"
            ));
        }
        let rtmp_ingest_addr = match var("RTMP_INGEST_ADDR") {
            None => std::net::IpAddr::from([0, 0, 0, 0]),
            Some(v) => v.trim().parse().map_err(|_| {
                bad(
                    "RTMP_INGEST_ADDR",
                    &v,
                    "must be an IP address, e.g. 0.0.0.0 or 127.0.0.1",
                )
            })?,
        };
        let rtmp_ingest_tls = match (var("RTMP_INGEST_CERT"), var("RTMP_INGEST_KEY")) {
            (None, None) => None,
            (Some(c), Some(k)) => {
                for (name, v) in [("RTMP_INGEST_CERT", &c), ("RTMP_INGEST_KEY", &k)] {
                    if !std::path::Path::new(v.trim()).is_file() {
                        return Err(bad(name, v, "no such file"));
                    }
                }
                Some((PathBuf::from(c.trim()), PathBuf::from(k.trim())))
            }
            (Some(_), None) => {
                return Err(
                    "RTMP_INGEST_CERT is set but RTMP_INGEST_KEY is not: RTMPS needs both".into(),
                );
            }
            (None, Some(_)) => {
                return Err(
                    "RTMP_INGEST_KEY is set but RTMP_INGEST_CERT is not: RTMPS needs both".into(),
                );
            }
        };
        if rtmp_ingest_tls.is_some() && rtmp_ingest_port.is_none() {
            return Err("RTMP_INGEST_CERT and RTMP_INGEST_KEY need RTMP_INGEST_PORT".into());
        }
        let codec = choice(&var, "STREAM_CODEC", "h264", &["h264", "av1", "vp8", "vp9"])?;
        let ffmpeg_preset = choice(&var, "FFMPEG_PRESET", "medium", &FFMPEG_PRESETS)?;
        let ffmpeg_hwaccel = match var("FFMPEG_HWACCEL") {
            None => None,
            Some(v) if FFMPEG_HWACCELS.contains(&v.trim()) => Some(v.trim().to_string()),
            Some(v) => {
                return Err(bad(
                    "FFMPEG_HWACCEL",
                    &v,
                    &format!("must be one of {}", FFMPEG_HWACCELS.join(", ")),
                ));
            }
        };
        let audio_enabled = boolean(&var, "AUDIO_ENABLED", true)?;
        let audio_codec = choice(&var, "AUDIO_CODEC", "aac", &["aac", "opus"])?;
        let audio_bitrate_kbps = setting(&var, &settings::AUDIO_BITRATE)? as u32;
        let remote_images = var("REMOTE_IMAGES")
            .map(|v| split_list(&v))
            .unwrap_or_default();
        if let Some(h) = remote_images
            .iter()
            .find(|h| h.contains(['/', ':', '@', ' ']))
        {
            return Err(bad(
                "REMOTE_IMAGES",
                h,
                "must be host names, comma-separated (no scheme, port or path)",
            ));
        }
        let output_dirs = var("OUTPUT_DIRS")
            .map(|v| split_list(&v))
            .unwrap_or_default()
            .into_iter()
            .map(|d| {
                std::path::absolute(d.trim())
                    .map(|p| normalize(&p))
                    .map_err(|e| bad("OUTPUT_DIRS", &d, &e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let hls_memory = boolean(&var, "HLS_MEMORY", true)?;
        let log = var("LOG_LEVEL").unwrap_or_else(|| "info".into());
        let log_level = match log.trim().to_ascii_lowercase().as_str() {
            "fatal" | "error" => "error",
            l @ ("warn" | "info" | "debug" | "trace" | "off") => l,
            _ => {
                return Err(bad(
                    "LOG_LEVEL",
                    &log,
                    "must be fatal, error, warn, info, debug, trace or off",
                ));
            }
        }
        .to_string();
        Ok(Config {
            output_dirs,
            hls_memory,
            port: port_,
            ws_port,
            metrics_port,
            redis,
            state_path: var("STATE_PATH")
                .unwrap_or_else(|| "./streamcomp-state".into())
                .into(),
            stream_id,
            width,
            height,
            fps,
            quality: Quality::from_str(&quality).expect("checked by choice"),
            max_layers,
            bitrate_kbps,
            stream_urls,
            stream_urls_raw,
            rtmp_ca_file,
            codec: VideoCodec::from_str(&codec).expect("checked by choice"),
            ffmpeg_preset,
            ffmpeg_hwaccel,
            audio_enabled,
            audio_codec: AudioCodec::from_str(&audio_codec).expect("checked by choice"),
            audio_bitrate_kbps,
            assets_dir: var("ASSETS_DIR")
                .unwrap_or_else(|| "./assets".into())
                .into(),
            remote_images,
            api_token: get("API_TOKEN").filter(|t| !t.is_empty()),
            log_level,
            resume: boolean(&var, "RESUME", false)?,
            rtmp_ingest_port,
            rtmp_ingest_addr,
            rtmp_ingest_tls,
        })
    }
}

fn bad(var: &str, value: &str, allowed: &str) -> String {
    format!("{var}={value}: {allowed}")
}

fn split_list(v: &str) -> Vec<String> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// A number setting read through the core's settings table (range, message and default in
/// one place): `TARGET_FPS=0: must be between 1 and 120, got 0`.
fn setting(var: &impl Fn(&str) -> Option<String>, s: &Setting) -> Result<f64, String> {
    match var(s.env) {
        None => Ok(s.default.expect("server settings have defaults")),
        Some(v) => s.parse(&v).map_err(|m| bad(s.env, &v, &m)),
    }
}

fn choice(
    var: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: &str,
    allowed: &[&str],
) -> Result<String, String> {
    let v = var(name).unwrap_or_else(|| default.into());
    let lower = v.trim().to_ascii_lowercase();
    if allowed.contains(&lower.as_str()) {
        Ok(lower)
    } else {
        Err(bad(
            name,
            &v,
            &format!("must be one of {}", allowed.join(", ")),
        ))
    }
}

fn boolean(
    var: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: bool,
) -> Result<bool, String> {
    match var(name).map(|v| (v.trim().to_ascii_lowercase(), v)) {
        None => Ok(default),
        Some((l, _)) if ["true", "1", "yes", "on"].contains(&l.as_str()) => Ok(true),
        Some((l, _)) if ["false", "0", "no", "off"].contains(&l.as_str()) => Ok(false),
        Some((_, v)) => Err(bad(name, &v, "must be true or false")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(vars: &[(&str, &str)]) -> Result<Config, String> {
        let m: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| m.get(k).cloned())
    }

    #[test]
    fn the_rtmp_listener_settings_are_checked() {
        let c = parse(&[("RTMP_INGEST_PORT", "1935")]).unwrap();
        assert_eq!(c.rtmp_ingest_port, Some(1935));
        assert_eq!(c.rtmp_ingest_addr.to_string(), "0.0.0.0");
        assert!(parse(&[]).unwrap().rtmp_ingest_port.is_none());
        let e = parse(&[("RTMP_INGEST_PORT", "4200")]).unwrap_err();
        assert!(e.contains("already used by PORT"), "{e}");
        let e = parse(&[("RTMP_INGEST_PORT", "1935"), ("RTMP_INGEST_ADDR", "here")]).unwrap_err();
        assert!(e.starts_with("RTMP_INGEST_ADDR=here"), "{e}");
        let e = parse(&[
            ("RTMP_INGEST_PORT", "1935"),
            ("RTMP_INGEST_CERT", "/etc/hostname"),
        ])
        .unwrap_err();
        assert!(e.contains("RTMP_INGEST_KEY is not"), "{e}");
        let e = parse(&[
            ("RTMP_INGEST_PORT", "1935"),
            ("RTMP_INGEST_CERT", "/nonexistent.pem"),
            ("RTMP_INGEST_KEY", "/nonexistent.key"),
        ])
        .unwrap_err();
        assert!(e.contains("no such file"), "{e}");
    }

    #[test]
    fn defaults_are_the_spec_defaults() {
        let c = parse(&[]).unwrap();
        assert_eq!((c.port, c.ws_port, c.metrics_port), (4200, 4201, 4290));
        assert_eq!(c.state_path, PathBuf::from("./streamcomp-state"));
        assert!(c.redis.is_none());
        assert_eq!(c.stream_id, "default");
        assert_eq!((c.width, c.height, c.fps), (1920, 1080, 30.0));
        assert_eq!(c.quality, Quality::High);
        assert_eq!(c.max_layers, 50);
        assert_eq!(c.bitrate_kbps, 4000);
        assert!(c.stream_urls.is_empty());
        assert_eq!(c.codec, VideoCodec::H264);
        assert_eq!(c.ffmpeg_preset, "medium");
        assert_eq!(c.ffmpeg_hwaccel, None);
        assert!(c.audio_enabled);
        assert_eq!(c.audio_codec, AudioCodec::Aac);
        assert_eq!(c.audio_bitrate_kbps, 128);
        assert_eq!(c.assets_dir, PathBuf::from("./assets"));
        assert!(c.remote_images.is_empty());
        assert_eq!(c.api_token, None);
        assert_eq!(c.log_level, "info");
        assert!(!c.resume);
    }

    #[test]
    fn values_are_read() {
        let c = parse(&[
            ("PORT", "8080"),
            ("STREAM_RESOLUTION", "1280x720"),
            ("TARGET_FPS", "59.94"),
            ("RENDER_QUALITY", "LOW"),
            ("STREAM_URL", "rtmp://a.example/live/k1, out.mp4"),
            ("STREAM_CODEC", "av1"),
            ("AUDIO_ENABLED", "false"),
            ("REMOTE_IMAGES", "cdn.example.com, img.example.org"),
            ("API_TOKEN", "s3cret"),
            ("LOG_LEVEL", "fatal"),
        ])
        .unwrap();
        assert_eq!(c.port, 8080);
        assert_eq!((c.width, c.height, c.fps), (1280, 720, 59.94));
        assert_eq!(c.quality, Quality::Low);
        assert_eq!(c.stream_urls.len(), 2);
        assert_eq!(c.stream_urls[0].to_string(), "rtmp://a.example/live/****");
        assert_eq!(c.codec, VideoCodec::Av1);
        assert!(!c.audio_enabled);
        assert_eq!(c.remote_images, ["cdn.example.com", "img.example.org"]);
        assert_eq!(c.api_token.as_deref(), Some("s3cret"));
        assert_eq!(c.log_level, "error");
    }

    #[test]
    fn rtmp_ca_file_is_checked_at_start() {
        let dir = std::env::temp_dir().join(format!("streamcomp-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let not_a_cert = dir.join("not-a-cert.pem");
        std::fs::write(&not_a_cert, "hello\n").unwrap();
        let err = parse(&[("RTMP_CA_FILE", not_a_cert.to_str().unwrap())]).unwrap_err();
        assert!(
            err.starts_with("RTMP_CA_FILE=") && err.contains("holds no certificate"),
            "{err}"
        );
        let err = parse(&[("RTMP_CA_FILE", "/nonexistent/ca.pem")]).unwrap_err();
        assert!(err.contains("cannot read the CA file"), "{err}");
        assert!(parse(&[]).unwrap().rtmp_ca_file.is_none());
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn bad_values_give_one_line_with_variable_value_and_allowed() {
        let cases = [
            (
                ("STREAM_RESOLUTION", "12x9"),
                "STREAM_RESOLUTION=12x9: must be WIDTHxHEIGHT, even, 16x16 to 7680x4320",
            ),
            (
                ("PORT", "70000"),
                "PORT=70000: must be a TCP port, 1 to 65535",
            ),
            (
                ("TARGET_FPS", "0"),
                "TARGET_FPS=0: must be between 1 and 120, got 0",
            ),
            (
                ("RENDER_QUALITY", "ultra"),
                "RENDER_QUALITY=ultra: must be one of low, medium, high",
            ),
            (
                ("MAX_LAYERS", "-3"),
                "MAX_LAYERS=-3: must be a whole number between 1 and 10000, got -3",
            ),
            (
                ("STREAM_CODEC", "hevc"),
                "STREAM_CODEC=hevc: must be one of h264, av1, vp8, vp9",
            ),
            (
                ("AUDIO_ENABLED", "maybe"),
                "AUDIO_ENABLED=maybe: must be true or false",
            ),
            (
                ("LOG_LEVEL", "loud"),
                "LOG_LEVEL=loud: must be fatal, error, warn, info, debug, trace or off",
            ),
            (
                ("STREAM_ID", "a/b"),
                "STREAM_ID=a/b: must be 1 to 64 characters of A-Z a-z 0-9 _ . -",
            ),
            (
                ("REMOTE_IMAGES", "https://x.example"),
                "REMOTE_IMAGES=https://x.example: must be host names, comma-separated (no scheme, port or path)",
            ),
        ];
        for ((k, v), want) in cases {
            let err = parse(&[(k, v)]).unwrap_err();
            assert_eq!(err, want);
            assert!(!err.contains('\n'));
        }
    }

    #[test]
    fn stream_keys_and_redis_passwords_are_not_echoed() {
        let err = parse(&[("STREAM_URL", "rtmp://host/live/SECRETKEY, rtmp://")]).unwrap_err();
        assert!(err.starts_with("STREAM_URL: "), "{err}");
        assert!(!err.contains("SECRETKEY"), "{err}");
        let err = parse(&[("REDIS_URL", "rediss://:pw@redis.local:6379")]).unwrap_err();
        assert!(!err.contains("pw@"), "{err}");
        assert!(
            err.starts_with("REDIS_URL=rediss://:****@redis.local:6379"),
            "{err}"
        );
        assert!(err.contains("TLS"), "{err}");
        let err = parse(&[("REDIS_URL", "http://:secretpw@redis.local")]).unwrap_err();
        assert!(!err.contains("secretpw"), "{err}");
        assert!(err.contains("must be redis://"), "{err}");
        let err = parse(&[("REDIS_URL", "not a url :secretpw@x")]).unwrap_err();
        assert!(!err.contains("secretpw"), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn redis_url_and_password_are_read_and_never_shown() {
        let c = parse(&[]).unwrap();
        assert!(c.redis.is_none());
        let c = parse(&[
            ("REDIS_URL", "redis://user:urlpw@10.0.0.5:6380/2"),
            ("REDIS_PASSWORD", "envpw"),
        ])
        .unwrap();
        let r = c.redis.unwrap();
        assert_eq!(r.url, "redis://user:urlpw@10.0.0.5:6380/2");
        assert_eq!(r.password.as_deref(), Some("envpw"));
        assert_eq!(r.shown(), "redis://user:****@10.0.0.5:6380/2");
        let debug = format!("{r:?}");
        assert!(
            !debug.contains("urlpw") && !debug.contains("envpw"),
            "{debug}"
        );
        let c = parse(&[("REDIS_URL", "redis://127.0.0.1")]).unwrap();
        assert_eq!(c.redis.unwrap().password, None);
        let err = parse(&[("REDIS_PASSWORD", "pw")]).unwrap_err();
        assert!(err.contains("REDIS_URL is not"), "{err}");
        assert!(!err.contains("pw\""), "{err}");
    }

    #[test]
    fn ports_must_differ() {
        let err = parse(&[("PORT", "4201")]).unwrap_err();
        assert!(err.contains("must differ"), "{err}");
    }
}
