//! Remote and inline sources: `data:` URIs, and `http(s)` downloads from allow-listed hosts
//! only, never from loopback, private or link-local addresses, with size and time caps.

use std::net::{IpAddr, ToSocketAddrs};

use crate::error::AssetError;
use crate::limits::Limits;

/// Which remote hosts image sources may come from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RemotePolicy {
    /// Host names allowed (exact, case-insensitive). Default: none, so no remote source.
    pub allowed_hosts: Vec<String>,
    /// Allow hosts that resolve to loopback, private or link-local addresses (tests, trusted
    /// networks). Default: false.
    pub allow_private_addresses: bool,
}

impl RemotePolicy {
    /// A policy allowing exactly these hosts (public addresses only).
    pub fn hosts<S: Into<String>>(hosts: impl IntoIterator<Item = S>) -> RemotePolicy {
        RemotePolicy {
            allowed_hosts: hosts.into_iter().map(Into::into).collect(),
            allow_private_addresses: false,
        }
    }
}

/// The source as shown in messages: URLs lose their query string and fragment (they may hold
/// keys), data URIs their payload.
pub(crate) fn display_src(src: &str) -> String {
    if src.starts_with("data:") {
        let head: String = src.chars().take_while(|&c| c != ',').take(60).collect();
        format!("{head},...")
    } else if src.starts_with("http://") || src.starts_with("https://") {
        src.split(['?', '#']).next().unwrap_or(src).to_string()
    } else {
        src.to_string()
    }
}

fn b64_value(c: u8) -> Option<u32> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' | b'-' => 62,
        b'/' | b'_' => 63,
        _ => return None,
    } as u32)
}

/// Decodes base64 (standard or URL alphabet; whitespace and missing padding tolerated).
fn decode_base64(s: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    out.try_reserve(s.len() / 4 * 3 + 3)
        .map_err(|e| e.to_string())?;
    let (mut acc, mut bits) = (0u32, 0u32);
    let mut padding = false;
    for (i, c) in s.bytes().enumerate() {
        if c.is_ascii_whitespace() {
            continue;
        }
        if c == b'=' {
            padding = true;
            continue;
        }
        if padding {
            return Err(format!("data after `=` padding at byte {i}"));
        }
        let v = b64_value(c)
            .ok_or_else(|| format!("invalid base64 character {:?} at byte {i}", c as char))?;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

/// Percent-decodes `s` (`%20` → a space; `+` stays `+`).
pub(crate) fn decode_percent(s: &str) -> Result<Vec<u8>, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            let v = hex
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad percent escape at byte {i}"))?;
            out.push(v);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Ok(out)
}

/// Decodes a `data:[<mediatype>][;base64],<data>` URI (RFC 2397), refusing results over `max`
/// bytes before decoding them.
pub(crate) fn decode_data_uri(src: &str, max: u64) -> Result<Vec<u8>, AssetError> {
    let shown = display_src(src);
    let bad = |message: String| AssetError::Decode {
        src: shown.clone(),
        message,
    };
    let rest = &src["data:".len()..];
    let (meta, data) = rest
        .split_once(',')
        .ok_or_else(|| bad("a data: URI needs a `,` before its data".into()))?;
    let base64 = meta.split(';').any(|p| p.eq_ignore_ascii_case("base64"));
    let estimate = if base64 {
        data.len() as u64 / 4 * 3
    } else {
        data.len() as u64 / 3
    };
    if estimate > max {
        return Err(AssetError::TooLarge {
            what: format!("data URI {shown}"),
            detail: format!("about {estimate} bytes, the limit is {max}"),
        });
    }
    let bytes = if base64 {
        decode_base64(data)
    } else {
        decode_percent(data)
    }
    .map_err(bad)?;
    if bytes.len() as u64 > max {
        return Err(AssetError::TooLarge {
            what: format!("data URI {shown}"),
            detail: format!("{} bytes, the limit is {max}", bytes.len()),
        });
    }
    Ok(bytes)
}

/// True for addresses a server must never be made to fetch from: loopback, private,
/// link-local, unique-local, shared (CGNAT), unspecified, multicast and broadcast.
pub(crate) fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
        }
    }
}

/// Downloads an allow-listed `http(s)` URL under the size and time limits. No redirects are
/// followed (a redirect could lead off the allow-list).
///
/// The host's addresses are checked before the request; the HTTP client resolves the name
/// again to connect, so a DNS server that answers differently the second time (rebinding)
/// could still steer it. Allow only hosts whose DNS you trust.
pub(crate) fn fetch(
    src: &str,
    policy: &RemotePolicy,
    limits: &Limits,
) -> Result<Vec<u8>, AssetError> {
    let shown = display_src(src);
    let not_allowed = |reason: String| AssetError::RemoteNotAllowed {
        url: shown.clone(),
        reason,
    };
    let after_scheme = src.split_once("://").map(|x| x.1).unwrap_or("");
    let authority = after_scheme.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (h, rest) = v6.split_once(']').unwrap_or((v6, ""));
            (
                h.to_string(),
                rest.strip_prefix(':').and_then(|p| p.parse().ok()),
            )
        }
        None => match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), p.parse::<u16>().ok()),
            None => (authority.to_string(), None),
        },
    };
    if host.is_empty() {
        return Err(not_allowed("the URL has no host".into()));
    }
    if !policy
        .allowed_hosts
        .iter()
        .any(|h| h.eq_ignore_ascii_case(&host))
    {
        return Err(not_allowed(format!(
            "host `{host}` is not on the allow-list (the server's REMOTE_IMAGES, the CLI's --allow-host)"
        )));
    }
    let port = port.unwrap_or(if src.starts_with("https://") { 443 } else { 80 });
    let addrs: Vec<_> = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|e| AssetError::Fetch {
            url: shown.clone(),
            message: format!("cannot resolve `{host}`: {e}"),
        })?
        .collect();
    if !policy.allow_private_addresses
        && let Some(a) = addrs.iter().find(|a| is_private(a.ip()))
    {
        return Err(not_allowed(format!(
            "`{host}` resolves to the private or local address {}",
            a.ip()
        )));
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(limits.fetch_timeout))
        .max_redirects(0)
        .http_status_as_error(false)
        .build()
        .into();
    let fetch_err = |message: String| AssetError::Fetch {
        url: shown.clone(),
        message,
    };
    let mut resp = agent
        .get(src)
        .call()
        .map_err(|e| fetch_err(e.to_string()))?;
    let status = resp.status().as_u16();
    if !(200..300).contains(&status) {
        return Err(fetch_err(format!("the server answered HTTP {status}")));
    }
    resp.body_mut()
        .with_config()
        .limit(limits.max_fetch_bytes)
        .read_to_vec()
        .map_err(|e| match e {
            ureq::Error::BodyExceedsLimit(_) => AssetError::TooLarge {
                what: format!("download {shown}"),
                detail: format!("more than {} bytes", limits.max_fetch_bytes),
            },
            other => fetch_err(other.to_string()),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn data_uris() {
        assert_eq!(
            decode_data_uri("data:text/plain;base64,aGVsbG8=", 100).unwrap(),
            b"hello"
        );
        assert_eq!(
            decode_data_uri("data:;base64,aGVsbG8", 100).unwrap(),
            b"hello"
        );
        assert_eq!(decode_data_uri("data:,a%20b", 100).unwrap(), b"a b");
        assert!(matches!(
            decode_data_uri("data:;base64,a$b=", 100),
            Err(AssetError::Decode { .. })
        ));
        assert!(matches!(
            decode_data_uri("data:nocomma", 100),
            Err(AssetError::Decode { .. })
        ));
        let big = format!("data:;base64,{}", "A".repeat(400));
        assert!(matches!(
            decode_data_uri(&big, 100),
            Err(AssetError::TooLarge { .. })
        ));
        assert_eq!(
            display_src("https://h/x.png?key=secret#f"),
            "https://h/x.png"
        );
    }

    #[test]
    fn private_addresses() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "1.1.1.1", "2606:4700::1111"] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }

    /// Serves one canned HTTP response on a loopback port.
    fn serve_once(status: &str, body: Vec<u8>) -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let status = status.to_string();
        std::thread::spawn(move || {
            if let Ok((mut s, _)) = listener.accept() {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf);
                let head = format!(
                    "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = s.write_all(head.as_bytes());
                let _ = s.write_all(&body);
            }
        });
        port
    }

    #[test]
    fn fetch_obeys_the_policy_and_limits() {
        let limits = Limits::default();
        let url = "http://example.invalid/a.png?token=abc";
        let e = fetch(url, &RemotePolicy::default(), &limits).unwrap_err();
        assert!(matches!(e, AssetError::RemoteNotAllowed { .. }), "{e}");
        assert!(!e.to_string().contains("token"), "{e}");

        let port = serve_once("200 OK", b"payload".to_vec());
        let local = format!("http://127.0.0.1:{port}/img.png");
        let e = fetch(&local, &RemotePolicy::hosts(["127.0.0.1"]), &limits).unwrap_err();
        assert!(e.to_string().contains("private or local address"), "{e}");

        let open = RemotePolicy {
            allowed_hosts: vec!["127.0.0.1".into()],
            allow_private_addresses: true,
        };
        assert_eq!(fetch(&local, &open, &limits).unwrap(), b"payload");

        let port = serve_once("404 Not Found", Vec::new());
        let e = fetch(&format!("http://127.0.0.1:{port}/x"), &open, &limits).unwrap_err();
        assert!(e.to_string().contains("HTTP 404"), "{e}");

        let port = serve_once("200 OK", vec![7; 5000]);
        let small = Limits {
            max_fetch_bytes: 1000,
            ..Limits::default()
        };
        let e = fetch(&format!("http://127.0.0.1:{port}/big"), &open, &small).unwrap_err();
        assert!(matches!(e, AssetError::TooLarge { .. }), "{e}");
    }
}
