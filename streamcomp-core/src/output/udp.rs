//! `udp://HOST:PORT` outputs: MPEG-TS in datagrams of 7 transport packets (1316 bytes, what
//! every receiver expects; `?pkt_size=` changes it), sent as the packets come. UDP has no
//! connection: the output is live at once, and a receiver that is not there (the kernel's
//! "connection refused") is not an error.

use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};

use super::OutputError;
use super::query::Query;
use super::ts_stream::{LinkState, TsConnector, TsLink};
use crate::mux::TS_PACKET;

/// Default datagram size: 7 transport packets.
const DEFAULT_PKT_SIZE: usize = 7 * TS_PACKET;

/// A `udp://` destination.
#[derive(Clone, PartialEq, Eq)]
pub struct UdpTarget {
    /// Host name or address (IPv6 in brackets in the URL).
    pub host: String,
    /// Port.
    pub port: u16,
    /// Bytes per datagram, a multiple of 188.
    pub pkt_size: usize,
}

impl UdpTarget {
    /// Whether `s` is a `udp://` URL.
    pub fn has_scheme(s: &str) -> bool {
        s.get(..6).is_some_and(|p| p.eq_ignore_ascii_case("udp://"))
    }

    /// Parses `udp://HOST:PORT?pkt_size=1316`.
    pub fn parse(s: &str) -> Result<UdpTarget, OutputError> {
        let (base, mut q) = Query::split(s, "UDP output")?;
        let (host, port) = host_port(&base[6..]).map_err(|m| q.error(&m))?;
        let pkt_size = match q.number("pkt_size", 188..=65_424, "bytes")? {
            Some(n) if !(n as usize).is_multiple_of(TS_PACKET) => {
                return Err(q.error(&format!(
                    "`pkt_size` must be a multiple of 188 (transport packets), got {n}"
                )));
            }
            Some(n) => n as usize,
            None => DEFAULT_PKT_SIZE,
        };
        q.finish(&["pkt_size"])?;
        Ok(UdpTarget {
            host,
            port,
            pkt_size,
        })
    }

    /// Opens datagram links to the target.
    pub(crate) fn connector(&self) -> Box<dyn TsConnector> {
        Box::new(self.clone())
    }
}

/// `HOST:PORT` (`[v6]:PORT` for IPv6 addresses), both required.
pub(crate) fn host_port(s: &str) -> Result<(String, u16), String> {
    let s = s.trim_end_matches('/');
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let (h, p) = rest
            .split_once(']')
            .ok_or_else(|| format!("`{s}`: an IPv6 address needs its closing `]`"))?;
        (h, p.strip_prefix(':').unwrap_or(""))
    } else {
        s.rsplit_once(':').unwrap_or((s, ""))
    };
    if host.is_empty() || host.contains(['/', '?', '@', ' ']) {
        return Err(format!("`{s}` needs a host: HOST:PORT"));
    }
    let port = port
        .parse::<u16>()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| format!("`{s}` needs a port from 1 to 65535: HOST:PORT"))?;
    Ok((host.to_string(), port))
}

/// `host` as it goes in a URL (IPv6 in brackets).
pub(crate) fn url_host(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

impl fmt::Display for UdpTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "udp://{}:{}", url_host(&self.host), self.port)
    }
}

impl fmt::Debug for UdpTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Udp({self})")
    }
}

impl TsConnector for UdpTarget {
    fn open(&mut self) -> Result<Box<dyn TsLink>, OutputError> {
        let err = |reason: String| OutputError::Connect {
            url: self.to_string(),
            reason,
        };
        let addr = (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| err(e.to_string()))?
            .next()
            .ok_or_else(|| err("the name has no address".into()))?;
        let local: SocketAddr = if addr.is_ipv4() {
            "0.0.0.0:0".parse().expect("an address")
        } else {
            "[::]:0".parse().expect("an address")
        };
        let socket = UdpSocket::bind(local).map_err(|e| err(e.to_string()))?;
        socket.connect(addr).map_err(|e| err(e.to_string()))?;
        socket
            .set_nonblocking(true)
            .map_err(|e| err(e.to_string()))?;
        Ok(Box::new(UdpLink {
            socket,
            pkt_size: self.pkt_size,
            pending: Vec::new(),
        }))
    }
}

struct UdpLink {
    socket: UdpSocket,
    pkt_size: usize,
    /// Transport packets waiting to fill a datagram.
    pending: Vec<u8>,
}

impl TsLink for UdpLink {
    fn send(&mut self, ts: &[u8]) -> Result<bool, OutputError> {
        self.pending.extend_from_slice(ts);
        let whole = self.pending.len() / self.pkt_size * self.pkt_size;
        let mut ok = true;
        for d in self.pending[..whole].chunks(self.pkt_size) {
            match self.socket.send(d) {
                Ok(_) => {}
                // Nobody listens (yet): UDP does not care.
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => ok = false,
                Err(e) => {
                    return Err(OutputError::Disconnected {
                        url: String::new(),
                        reason: e.to_string(),
                    });
                }
            }
        }
        self.pending.drain(..whole);
        Ok(ok)
    }

    fn poll(&mut self) -> Result<LinkState, OutputError> {
        Ok(LinkState::Live)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let t = UdpTarget::parse("udp://127.0.0.1:5000").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.pkt_size),
            ("127.0.0.1", 5000, 1316)
        );
        let t = UdpTarget::parse("udp://[::1]:5000?pkt_size=188").unwrap();
        assert_eq!((t.host.as_str(), t.pkt_size), ("::1", 188));
        assert_eq!(t.to_string(), "udp://[::1]:5000");
        for bad in [
            "udp://host",
            "udp://:5000",
            "udp://h:0",
            "udp://h:70000",
            "udp://h:1?pkt_size=1000",
            "udp://h:1?ttl=3",
        ] {
            assert!(UdpTarget::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn datagrams_of_whole_transport_packets() {
        let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = rx.local_addr().unwrap().port();
        let mut t = UdpTarget::parse(&format!("udp://127.0.0.1:{port}")).unwrap();
        let mut link = t.open().unwrap();
        assert!(link.send(&vec![0x47; 188 * 10]).unwrap());
        let mut buf = [0u8; 2000];
        let n = rx.recv(&mut buf).unwrap();
        assert_eq!(n, 1316);
        // Three packets wait for four more.
        assert!(link.send(&vec![0x47; 188 * 4]).unwrap());
        assert_eq!(rx.recv(&mut buf).unwrap(), 1316);
    }
}
