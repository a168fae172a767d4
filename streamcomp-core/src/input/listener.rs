//! [`IngestServer`]: the RTMP listener publishers push to (`rtmp://HOST:PORT/APP/KEY`; SPEC §9).
//!
//! One tokio runtime on its own thread serves every connection (sockets only: decoding happens
//! on each input's decode thread). Per connection: `rml_rtmp`'s handshake, then our
//! [`IngestSession`](super::session::IngestSession) (sans-IO, bounded, never a panic): `connect`
//! accepted for any application name (OBS may send an empty one), `publish` accepted only for
//! the key of an `rtmp` input that has no publisher yet; audio and video messages go to the
//! input's feed as FLV tag bodies without waiting.
//!
//! Hostile peers are cut off early: at most [`IngestOptions::max_connections`] at once; the
//! handshake and `publish` must come within [`IngestOptions::handshake_timeout`] and
//! [`PRE_PUBLISH_BYTES`]; a refused key is answered and closed at once; a publisher silent for
//! [`IngestOptions::idle_timeout`] is dropped; a message over 16 MiB or 20 MiB of unfinished
//! messages ends the connection.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rml_rtmp::handshake::{Handshake, HandshakeProcessResult, PeerType};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

use super::feed::Tag;
use super::hub::{InputHub, Publisher, Refusal};
use super::session::{IngestSession, SessionEvent};

/// Bytes a connection may send before its `publish` is accepted.
pub const PRE_PUBLISH_BYTES: usize = 256 << 10;
/// How long writing a reply may take.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// How the listener accepts connections.
#[derive(Clone, Debug)]
pub struct IngestOptions {
    /// Address to listen on (port 0: any free port; see [`IngestServer::local_addr`]).
    pub addr: SocketAddr,
    /// Most connections at once; more are closed at once. Default: 64.
    pub max_connections: u64,
    /// Time from connecting to an accepted `publish`. Default: 10 s.
    pub handshake_timeout: Duration,
    /// A publisher that sends nothing for this long is dropped. Default: 10 s.
    pub idle_timeout: Duration,
    /// RTMPS: the certificate chain and private key files (PEM) to serve TLS with; publishers
    /// then use `rtmps://HOST:PORT/APP/KEY`. Default: none (plain RTMP).
    pub tls: Option<(PathBuf, PathBuf)>,
}

impl IngestOptions {
    /// Defaults for `addr`.
    pub fn new(addr: SocketAddr) -> IngestOptions {
        IngestOptions {
            addr,
            max_connections: 64,
            handshake_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(10),
            tls: None,
        }
    }
}

/// Why the listener could not start.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen for RTMP publishers on {addr}: {source}")]
pub struct IngestError {
    /// The address.
    pub addr: SocketAddr,
    /// The error.
    #[source]
    pub source: std::io::Error,
}

/// A running RTMP listener; dropping it stops it (publishers are disconnected).
pub struct IngestServer {
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for IngestServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IngestServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl IngestServer {
    /// Binds `opts.addr` now (an error if it is taken) and serves publishers of `hub`'s
    /// `rtmp` inputs.
    pub fn start(opts: IngestOptions, hub: InputHub) -> Result<IngestServer, IngestError> {
        let bind_addr = opts.addr;
        let err = move |source| IngestError {
            addr: bind_addr,
            source,
        };
        let tls = match &opts.tls {
            Some((cert, key)) => Some(tls_config(cert, key).map_err(err)?),
            None => None,
        };
        let std_listener = std::net::TcpListener::bind(opts.addr).map_err(err)?;
        std_listener.set_nonblocking(true).map_err(err)?;
        let addr = std_listener.local_addr().map_err(err)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(err)?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("rtmp-ingest".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = match TcpListener::from_std(std_listener) {
                        Ok(l) => l,
                        Err(e) => {
                            tracing::error!("RTMP listener: {e}");
                            return;
                        }
                    };
                    tokio::select! {
                        _ = accept_loop(listener, hub, opts, tls) => {}
                        _ = rx => {}
                    }
                });
                // Dropping the runtime ends every connection task.
            })
            .map_err(err)?;
        Ok(IngestServer {
            addr,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for IngestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The TLS configuration of an RTMPS listener from PEM files (ring, TLS 1.2 and 1.3).
fn tls_config(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> Result<Arc<rustls::ServerConfig>, std::io::Error> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let bad = |what: &str, path: &std::path::Path, e: String| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{what} {}: {e}", path.display()),
        )
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| bad("certificate", cert, e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| bad("certificate", cert, e.to_string()))?;
    if certs.is_empty() {
        return Err(bad("certificate", cert, "holds no certificate".into()));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| bad("key", key, e.to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad("certificate", cert, e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| bad("certificate", cert, e.to_string()))?;
    Ok(Arc::new(config))
}

async fn accept_loop(
    listener: TcpListener,
    hub: InputHub,
    opts: IngestOptions,
    tls: Option<Arc<rustls::ServerConfig>>,
) {
    loop {
        let (sock, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                // Out of file descriptors and the like: wait a little, go on.
                tracing::warn!("RTMP listener: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let counters = hub.listener();
        counters.connections.fetch_add(1, Ordering::Relaxed);
        if counters.open.load(Ordering::Relaxed) >= opts.max_connections {
            counters.refused.fetch_add(1, Ordering::Relaxed);
            drop(sock);
            continue;
        }
        counters.open.fetch_add(1, Ordering::Relaxed);
        let (hub, opts, tls) = (hub.clone(), opts.clone(), tls.clone());
        tokio::spawn(async move {
            let _ = sock.set_nodelay(true);
            let r = match tls {
                None => serve(sock, peer, &hub, &opts).await,
                Some(cfg) => {
                    let acceptor = tokio_rustls::TlsAcceptor::from(cfg);
                    match tokio::time::timeout(opts.handshake_timeout, acceptor.accept(sock)).await
                    {
                        Ok(Ok(tls)) => serve(tls, peer, &hub, &opts).await,
                        Ok(Err(e)) => Err(format!("TLS: {e}")),
                        Err(_) => Err("no TLS handshake in time".into()),
                    }
                }
            };
            let counters = hub.listener();
            counters.open.fetch_sub(1, Ordering::Relaxed);
            if let Err(e) = r {
                counters.refused.fetch_add(1, Ordering::Relaxed);
                tracing::info!(%peer, "RTMP connection closed: {e}");
            }
        });
    }
}

async fn write<S: AsyncWrite + Unpin>(sock: &mut S, bytes: &[u8]) -> Result<(), String> {
    if bytes.is_empty() {
        return Ok(());
    }
    match tokio::time::timeout(WRITE_TIMEOUT, sock.write_all(bytes)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("write failed: {e}")),
        Err(_) => Err("the peer does not read".into()),
    }
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    mut sock: S,
    peer: SocketAddr,
    hub: &InputHub,
    opts: &IngestOptions,
) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + opts.handshake_timeout;
    let mut buf = vec![0u8; 64 << 10];
    let mut received = 0usize;
    let mut hs = Handshake::new(PeerType::Server);
    let remaining = loop {
        let n = match tokio::time::timeout_at(deadline, sock.read(&mut buf)).await {
            Ok(Ok(0)) => return Err("closed during the handshake".into()),
            Ok(Ok(n)) => n,
            Ok(Err(e)) => return Err(format!("read failed: {e}")),
            Err(_) => return Err("no handshake in time".into()),
        };
        received += n;
        if received > PRE_PUBLISH_BYTES {
            return Err("too many bytes before publishing".into());
        }
        let step =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hs.process_bytes(&buf[..n])))
                .map_err(|_| "the handshake failed on this peer's bytes".to_string())?;
        match step {
            Ok(HandshakeProcessResult::InProgress { response_bytes }) => {
                write(&mut sock, &response_bytes).await?;
            }
            Ok(HandshakeProcessResult::Completed {
                response_bytes,
                remaining_bytes,
            }) => {
                write(&mut sock, &response_bytes).await?;
                break remaining_bytes;
            }
            Err(e) => return Err(format!("bad handshake: {e:?}")),
        }
    };
    let mut session = IngestSession::new()?;
    write(&mut sock, &session.take_output()).await?;
    let mut publisher: Option<Publisher> = None;
    // What came with the end of the handshake first, then each read straight from `buf`.
    let mut leftover = Some(remaining);
    let mut got = 0;
    loop {
        {
            let events = match leftover.take() {
                Some(bytes) => session.push(&bytes)?,
                None => session.push(&buf[..got])?,
            };
            for e in events {
                match e {
                    SessionEvent::Publish { key } => {
                        // OBS and others may add a query (`key?param=…`).
                        let key = key.split('?').next().unwrap_or("");
                        match hub.publish(key, &peer.to_string()) {
                            Ok(p) => {
                                tracing::info!(%peer, input = p.input(), "RTMP publisher connected");
                                session.accept(&format!("publishing to input {}", p.input()))?;
                                publisher = Some(p);
                            }
                            Err(why) => {
                                let (text, log) = match why {
                                    Refusal::UnknownKey => {
                                        ("unknown stream key", "a publisher with an unknown key")
                                    }
                                    Refusal::Busy => (
                                        "this stream key is already publishing",
                                        "a second publisher on a live key",
                                    ),
                                };
                                session.refuse(text)?;
                                write(&mut sock, &session.take_output()).await?;
                                let _ = sock.shutdown().await;
                                return Err(format!("refused {log}"));
                            }
                        }
                    }
                    SessionEvent::Media { video, ts_ms, data } => {
                        let Some(p) = &publisher else {
                            return Err("media before publish".into());
                        };
                        let tag = Tag {
                            video,
                            ts_ms,
                            body: data.into(),
                            arrival: Instant::now(),
                        };
                        if p.push(tag).is_err() {
                            return Err("the input was removed".into());
                        }
                    }
                    SessionEvent::Unpublish => {
                        write(&mut sock, &session.take_output()).await?;
                        return Ok(());
                    }
                }
            }
            write(&mut sock, &session.take_output()).await?;
        }
        let n = if session.publishing() {
            match tokio::time::timeout(opts.idle_timeout, sock.read(&mut buf)).await {
                Ok(r) => r,
                Err(_) => return Err("the publisher sent nothing for too long".into()),
            }
        } else {
            match tokio::time::timeout_at(deadline, sock.read(&mut buf)).await {
                Ok(r) => r,
                Err(_) => return Err("no publish in time".into()),
            }
        };
        let n = match n {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) => return Err(format!("read failed: {e}")),
        };
        if !session.publishing() {
            received += n;
            if received > PRE_PUBLISH_BYTES {
                return Err("too many bytes before publishing".into());
            }
        }
        got = n;
    }
}
