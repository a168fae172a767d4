//! The byte pipe under an RTMP session: a blocking TCP socket, or TLS over it for `rtmps://`
//! (rustls with the `ring` provider; the certificates trusted come from [`super::trust`], and a
//! refused certificate is described by [`super::cert_check`]).

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use std::path::Path;

use rustls::pki_types::ServerName;
use rustls::{CertificateError, ClientConfig, ClientConnection, StreamOwned};

use super::cert_check::{NamingVerifier, Refused};
use super::trust::trust;

/// A connected socket, plain or TLS.
pub(crate) enum Transport {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

/// The client TLS configuration: the roots of [`super::trust`] (the process environment's
/// `SSL_CERT_FILE`/`SSL_CERT_DIR`, `ca_file`, `extra_roots` as DER certificates).
pub(crate) fn client_config(
    ca_file: Option<&Path>,
    extra_roots: &[Vec<u8>],
) -> Result<Arc<ClientConfig>, String> {
    let trust = trust(ca_file, extra_roots, |name| std::env::var_os(name))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = NamingVerifier::new(trust, provider.clone())?;
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup failed: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A TLS failure in words: the description of a refused certificate, else rustls's own.
fn tls_reason(e: &io::Error) -> String {
    let refused = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .and_then(|r| match r {
            rustls::Error::InvalidCertificate(CertificateError::Other(o)) => {
                o.0.downcast_ref::<Refused>().map(|r| r.0.clone())
            }
            _ => None,
        });
    refused.unwrap_or_else(|| e.to_string())
}

/// Opens a TCP connection to `host:port`, trying each address until `timeout` is spent.
pub(crate) fn tcp_connect(host: &str, port: u16, timeout: Duration) -> io::Result<TcpStream> {
    let deadline = Instant::now() + timeout;
    let addrs = (host, port).to_socket_addrs()?;
    let mut last = io::Error::new(io::ErrorKind::NotFound, "the host has no address");
    for addr in addrs {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "connect timed out"));
        }
        match TcpStream::connect_timeout(&addr, left) {
            Ok(s) => {
                s.set_nodelay(true)?;
                return Ok(s);
            }
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// Wraps `tcp` in TLS for `host` and completes the TLS handshake within the socket timeouts.
pub(crate) fn tls_connect(
    tcp: TcpStream,
    host: &str,
    config: Arc<ClientConfig>,
) -> Result<Transport, String> {
    let name = ServerName::try_from(host.to_string())
        .map_err(|_| format!("`{host}` is not a valid TLS server name"))?;
    let conn = ClientConnection::new(config, name).map_err(|e| e.to_string())?;
    let mut stream = StreamOwned::new(conn, tcp);
    while stream.conn.is_handshaking() {
        stream
            .conn
            .complete_io(&mut stream.sock)
            .map_err(|e| match e.kind() {
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                    "TLS handshake timed out".to_string()
                }
                io::ErrorKind::UnexpectedEof => "the server closed during the TLS handshake".into(),
                _ => tls_reason(&e),
            })?;
    }
    Ok(Transport::Tls(Box::new(stream)))
}

impl Transport {
    fn tcp(&self) -> &TcpStream {
        match self {
            Transport::Plain(s) => s,
            Transport::Tls(s) => &s.sock,
        }
    }

    /// Sets the blocking read and write timeouts.
    pub(crate) fn set_timeouts(&self, read: Duration, write: Duration) -> io::Result<()> {
        let tcp = self.tcp();
        tcp.set_read_timeout(Some(read.max(Duration::from_millis(1))))?;
        tcp.set_write_timeout(Some(write.max(Duration::from_millis(1))))
    }

    /// Reads what is available without waiting: `Ok(None)` when nothing is.
    pub(crate) fn try_read(&mut self, buf: &mut [u8]) -> io::Result<Option<usize>> {
        self.tcp().set_nonblocking(true)?;
        let r = self.read(buf);
        self.tcp().set_nonblocking(false)?;
        match r {
            Ok(n) => Ok(Some(n)),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Sends TLS close_notify (if any) and shuts the socket down; errors are ignored.
    pub(crate) fn close(&mut self) {
        if let Transport::Tls(s) = self {
            s.conn.send_close_notify();
            let _ = s.conn.complete_io(&mut s.sock);
        }
        let _ = self.tcp().shutdown(Shutdown::Both);
    }
}

impl Read for Transport {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Transport::Plain(s) => s.read(buf),
            Transport::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Transport {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Transport::Plain(s) => s.write(buf),
            Transport::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Transport::Plain(s) => s.flush(),
            Transport::Tls(s) => s.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_extra_root_is_an_error_not_a_panic() {
        assert!(client_config(None, &[]).is_ok());
        let err = client_config(None, &[vec![1, 2, 3]]).unwrap_err();
        assert!(err.contains("#0"), "{err}");
    }

    #[test]
    fn tls_to_a_plain_server_fails_cleanly() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut b = [0u8; 512];
            let _ = s.read(&mut b);
            let _ = s.write_all(b"HTTP/1.0 400 nope\r\n\r\n");
        });
        let tcp = tcp_connect("127.0.0.1", port, Duration::from_secs(2)).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let err = tls_connect(tcp, "127.0.0.1", client_config(None, &[]).unwrap())
            .err()
            .unwrap();
        assert!(!err.is_empty());
        server.join().unwrap();
    }
}
