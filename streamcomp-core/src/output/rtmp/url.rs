//! RTMP publish URLs: `rtmp://host[:port]/app[/instance]/key` and `rtmps://…`, parsed once,
//! with a `Display` (and `Debug`) that never shows the stream key.

use std::fmt;
use std::str::FromStr;

/// Default port of `rtmp://`.
pub const RTMP_PORT: u16 = 1935;
/// Default port of `rtmps://`.
pub const RTMPS_PORT: u16 = 443;

/// Longest URL accepted, in bytes.
const MAX_URL_LEN: usize = 4096;

/// A parsed RTMP or RTMPS publish URL.
///
/// The last path segment is the stream key (with any query string); everything between the
/// host and the key is the application (`app` or `app/instance`). `Display` and `Debug` print
/// the key as `****`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RtmpUrl {
    tls: bool,
    host: String,
    port: u16,
    explicit_port: bool,
    app: String,
    key: String,
}

/// Why a string is not an RTMP publish URL. The messages never contain the stream key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RtmpUrlError {
    /// The scheme is not `rtmp://` or `rtmps://`.
    #[error("an RTMP URL starts with rtmp:// or rtmps://")]
    Scheme,
    /// No host after the scheme.
    #[error("the RTMP URL has no host (expected rtmp://host[:port]/app/key)")]
    MissingHost,
    /// The port is not a number between 1 and 65535.
    #[error("the RTMP URL has a bad port `{0}` (expected 1 to 65535)")]
    BadPort(String),
    /// No application name.
    #[error("the RTMP URL has no application (expected rtmp://host[:port]/app/key)")]
    MissingApp,
    /// No stream key after the application.
    #[error("the RTMP URL has no stream key (expected rtmp://host[:port]/app/key)")]
    MissingKey,
    /// Characters that cannot be in a URL (spaces, control characters) or a URL too long.
    #[error("the RTMP URL has spaces, control characters or is longer than 4096 bytes")]
    BadCharacters,
    /// User info (`user:password@`) is not supported.
    #[error("the RTMP URL has user info (user@host), which is not supported")]
    UserInfo,
}

impl RtmpUrl {
    /// Whether the connection uses TLS (`rtmps://`).
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// The host name or address (IPv6 without brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The TCP port (default 1935 for `rtmp://`, 443 for `rtmps://`).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The application (`app` or `app/instance`).
    pub fn app(&self) -> &str {
        &self.app
    }

    /// The stream key: secret, never print it.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The `tcUrl` sent in `connect`: the URL without the key.
    pub fn tc_url(&self) -> String {
        format!("{}/{}", self.origin(), self.app)
    }

    fn origin(&self) -> String {
        let scheme = if self.tls { "rtmps" } else { "rtmp" };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.explicit_port {
            format!("{scheme}://{host}:{}", self.port)
        } else {
            format!("{scheme}://{host}")
        }
    }

    /// Replaces every occurrence of the key in `text` with `****` (for server messages).
    pub fn redact(&self, text: &str) -> String {
        if self.key.is_empty() {
            return text.to_string();
        }
        let mut out = text.replace(&self.key, "****");
        // The key without its query string may appear alone, too.
        if let Some((bare, _)) = self.key.split_once('?')
            && !bare.is_empty()
        {
            out = out.replace(bare, "****");
        }
        out
    }

    /// Whether `s` looks like an RTMP URL (by its scheme), valid or not.
    pub fn has_rtmp_scheme(s: &str) -> bool {
        let lower = s.trim_start().get(..8).unwrap_or(s).to_ascii_lowercase();
        lower.starts_with("rtmp://") || lower.starts_with("rtmps://")
    }
}

impl FromStr for RtmpUrl {
    type Err = RtmpUrlError;

    fn from_str(s: &str) -> Result<RtmpUrl, RtmpUrlError> {
        let s = s.trim();
        if s.len() > MAX_URL_LEN || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(RtmpUrlError::BadCharacters);
        }
        let (tls, rest) = match s.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("rtmp") => (false, rest),
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("rtmps") => (true, rest),
            _ => return Err(RtmpUrlError::Scheme),
        };
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        if authority.contains('@') {
            return Err(RtmpUrlError::UserInfo);
        }
        let (host, port) = split_host_port(authority)?;
        if host.is_empty() {
            return Err(RtmpUrlError::MissingHost);
        }
        let default_port = if tls { RTMPS_PORT } else { RTMP_PORT };
        let path = path.trim_end_matches('/');
        let (app, key) = match path.rsplit_once('/') {
            Some((app, key)) => (app.trim_matches('/'), key),
            None if path.is_empty() => return Err(RtmpUrlError::MissingApp),
            None => return Err(RtmpUrlError::MissingKey),
        };
        if app.is_empty() {
            return Err(RtmpUrlError::MissingApp);
        }
        if key.is_empty() {
            return Err(RtmpUrlError::MissingKey);
        }
        Ok(RtmpUrl {
            tls,
            host: host.to_string(),
            port: port.unwrap_or(default_port),
            explicit_port: port.is_some(),
            app: app.to_string(),
            key: key.to_string(),
        })
    }
}

/// `host`, `host:port`, `[v6]`, `[v6]:port`.
fn split_host_port(authority: &str) -> Result<(&str, Option<u16>), RtmpUrlError> {
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let Some((host, after)) = v6.split_once(']') else {
            return Err(RtmpUrlError::MissingHost);
        };
        match after {
            "" => (host, None),
            p => match p.strip_prefix(':') {
                Some(p) => (host, Some(p)),
                None => return Err(RtmpUrlError::BadPort(p.to_string())),
            },
        }
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 => Some(n),
            _ => return Err(RtmpUrlError::BadPort(p.chars().take(16).collect())),
        },
    };
    Ok((host, port))
}

impl fmt::Display for RtmpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/****", self.origin(), self.app)
    }
}

impl fmt::Debug for RtmpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RtmpUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> RtmpUrl {
        s.parse().unwrap()
    }

    #[test]
    fn parses_plain_and_tls() {
        let u = url("rtmp://live.example.com/app/secret-key");
        assert!(!u.is_tls());
        assert_eq!(u.host(), "live.example.com");
        assert_eq!(u.port(), 1935);
        assert_eq!(u.app(), "app");
        assert_eq!(u.key(), "secret-key");
        assert_eq!(u.tc_url(), "rtmp://live.example.com/app");
        assert_eq!(u.to_string(), "rtmp://live.example.com/app/****");

        let u = url("RTMPS://live.example.com:8443/app/inst/k?token=x");
        assert!(u.is_tls());
        assert_eq!(u.port(), 8443);
        assert_eq!(u.app(), "app/inst");
        assert_eq!(u.key(), "k?token=x");
        assert_eq!(u.to_string(), "rtmps://live.example.com:8443/app/inst/****");
        assert_eq!(url("rtmps://h/a/k").port(), 443);

        let u = url("rtmp://[::1]:1936/live/k");
        assert_eq!(u.host(), "::1");
        assert_eq!(u.port(), 1936);
        assert_eq!(u.tc_url(), "rtmp://[::1]:1936/live");
        assert_eq!(url("rtmp://h/live/k/").key(), "k");
    }

    #[test]
    fn display_and_debug_hide_the_key() {
        let u = url("rtmp://127.0.0.1:1935/live/sup3rs3cret?auth=abc");
        for s in [u.to_string(), format!("{u:?}")] {
            assert!(!s.contains("sup3rs3cret"), "{s}");
            assert!(!s.contains("abc"), "{s}");
        }
        assert_eq!(
            u.redact("stream sup3rs3cret?auth=abc or sup3rs3cret"),
            "stream **** or ****"
        );
    }

    #[test]
    fn refuses_bad_urls_clearly() {
        let cases = [
            ("http://h/a/k", RtmpUrlError::Scheme),
            ("rtmp:///a/k", RtmpUrlError::MissingHost),
            ("rtmp://h:0/a/k", RtmpUrlError::BadPort("0".into())),
            ("rtmp://h:99999/a/k", RtmpUrlError::BadPort("99999".into())),
            ("rtmp://h:x/a/k", RtmpUrlError::BadPort("x".into())),
            ("rtmp://h", RtmpUrlError::MissingApp),
            ("rtmp://h/", RtmpUrlError::MissingApp),
            ("rtmp://h/app", RtmpUrlError::MissingKey),
            ("rtmp://h//k", RtmpUrlError::MissingApp),
            ("rtmp://h/a b/k", RtmpUrlError::BadCharacters),
            ("rtmp://user:pw@h/a/k", RtmpUrlError::UserInfo),
        ];
        for (s, want) in cases {
            assert_eq!(s.parse::<RtmpUrl>(), Err(want.clone()), "{s}");
        }
        let msg = "rtmp://h/app".parse::<RtmpUrl>().unwrap_err().to_string();
        assert!(msg.contains("no stream key"), "{msg}");
        assert!(RtmpUrl::has_rtmp_scheme("RTMPS://x"));
        assert!(!RtmpUrl::has_rtmp_scheme("out.flv"));
    }
}
