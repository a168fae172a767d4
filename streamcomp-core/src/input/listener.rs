//! [`IngestServer`]: the RTMP listener publishers push to (`rtmp://HOST:PORT/APP/KEY`; SPEC §9).
//!
//! One tokio runtime on its own thread serves every connection (sockets only: decoding happens
//! on each input's decode thread). Per connection: the handshake and `rml_rtmp`'s server
//! session (sans-IO), `connect` accepted for any application name (OBS may send an empty one),
//! `publish` accepted only for the key of an `rtmp` input that has no publisher yet; audio and
//! video messages go to the input's feed as FLV tag bodies without waiting.
//!
//! Hostile peers are cut off early: at most [`IngestOptions::max_connections`] at once; the
//! handshake and `publish` must come within [`IngestOptions::handshake_timeout`] and
//! [`PRE_PUBLISH_BYTES`]; a refused key is answered and closed at once; a publisher silent for
//! [`IngestOptions::idle_timeout`] is dropped; a peer that sends more than [`MAX_PENDING`]
//! bytes without a whole message is dropped; the session's code runs under `catch_unwind`.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rml_rtmp::handshake::{Handshake, HandshakeProcessResult, PeerType};
use rml_rtmp::sessions::{
    ServerSession, ServerSessionConfig, ServerSessionEvent, ServerSessionResult,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::feed::Tag;
use super::hub::{InputHub, Publisher, Refusal};

/// Bytes a connection may send before its `publish` is accepted.
pub const PRE_PUBLISH_BYTES: usize = 256 << 10;
/// Bytes a publisher may send without completing a message (a 16 MB message is RTMP's largest).
pub const MAX_PENDING: usize = 20 << 20;
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
}

impl IngestOptions {
    /// Defaults for `addr`.
    pub fn new(addr: SocketAddr) -> IngestOptions {
        IngestOptions {
            addr,
            max_connections: 64,
            handshake_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(10),
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
                        _ = accept_loop(listener, hub, opts) => {}
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

async fn accept_loop(listener: TcpListener, hub: InputHub, opts: IngestOptions) {
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
        let (hub, opts) = (hub.clone(), opts.clone());
        tokio::spawn(async move {
            let r = serve(sock, peer, &hub, &opts).await;
            let counters = hub.listener();
            counters.open.fetch_sub(1, Ordering::Relaxed);
            if let Err(e) = r {
                counters.refused.fetch_add(1, Ordering::Relaxed);
                tracing::info!(%peer, "RTMP connection closed: {e}");
            }
        });
    }
}

/// One connection's state after the handshake.
struct Conn<'a> {
    session: ServerSession,
    hub: &'a InputHub,
    peer: SocketAddr,
    publisher: Option<Publisher>,
    /// Bytes since the last event (a whole message).
    pending: usize,
    /// Set when the connection must end after its replies are written.
    end: Option<Result<(), String>>,
}

async fn write(sock: &mut TcpStream, bytes: &[u8]) -> Result<(), String> {
    match tokio::time::timeout(WRITE_TIMEOUT, sock.write_all(bytes)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("write failed: {e}")),
        Err(_) => Err("the peer does not read".into()),
    }
}

fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .map_err(|_| "the RTMP session failed on this peer's bytes".to_string())
}

async fn serve(
    mut sock: TcpStream,
    peer: SocketAddr,
    hub: &InputHub,
    opts: &IngestOptions,
) -> Result<(), String> {
    let _ = sock.set_nodelay(true);
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
        match guarded(|| hs.process_bytes(&buf[..n]))? {
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
    let (session, first) =
        ServerSession::new(ServerSessionConfig::new()).map_err(|e| format!("session: {e:?}"))?;
    let mut conn = Conn {
        session,
        hub,
        peer,
        publisher: None,
        pending: 0,
        end: None,
    };
    conn.results(first, &mut sock).await?;
    let mut data = remaining;
    loop {
        if !data.is_empty() {
            conn.pending += data.len();
            if conn.pending > MAX_PENDING {
                return Err("too many bytes without a whole message".into());
            }
            let results = guarded(|| conn.session.handle_input(&data))?
                .map_err(|e| format!("bad RTMP data: {e:?}"))?;
            conn.results(results, &mut sock).await?;
            if let Some(end) = conn.end.take() {
                let _ = sock.shutdown().await;
                return end;
            }
        }
        let n = if conn.publisher.is_some() {
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
        if conn.publisher.is_none() {
            received += n;
            if received > PRE_PUBLISH_BYTES {
                return Err("too many bytes before publishing".into());
            }
        }
        data = buf[..n].to_vec();
    }
}

impl Conn<'_> {
    /// Writes replies and acts on events, in order (answers to requests join the queue).
    async fn results(
        &mut self,
        results: Vec<ServerSessionResult>,
        sock: &mut TcpStream,
    ) -> Result<(), String> {
        let mut queue: std::collections::VecDeque<ServerSessionResult> = results.into();
        while let Some(r) = queue.pop_front() {
            match r {
                ServerSessionResult::OutboundResponse(p) => write(sock, &p.bytes).await?,
                ServerSessionResult::RaisedEvent(e) => {
                    self.pending = 0;
                    queue.extend(self.event(e)?);
                }
                ServerSessionResult::UnhandleableMessageReceived(_) => {}
            }
        }
        Ok(())
    }

    fn accept(&mut self, request_id: u32) -> Result<Vec<ServerSessionResult>, String> {
        guarded(|| self.session.accept_request(request_id))?
            .map_err(|e| format!("accepting a request: {e:?}"))
    }

    fn event(&mut self, e: ServerSessionEvent) -> Result<Vec<ServerSessionResult>, String> {
        match e {
            ServerSessionEvent::ConnectionRequested { request_id, .. } => self.accept(request_id),
            ServerSessionEvent::PublishStreamRequested {
                request_id,
                stream_key,
                ..
            } => {
                if self.publisher.is_some() {
                    self.end = Some(Err("a second publish on one connection".into()));
                    return Ok(Vec::new());
                }
                // OBS and others may add a query (`key?param=…`).
                let key = stream_key.split('?').next().unwrap_or("");
                match self.hub.publish(key, &self.peer.to_string()) {
                    Ok(p) => {
                        tracing::info!(peer = %self.peer, input = p.input(), "RTMP publisher connected");
                        self.publisher = Some(p);
                        self.accept(request_id)
                    }
                    Err(why) => {
                        let (code, text, log) = match why {
                            Refusal::UnknownKey => (
                                "NetStream.Publish.BadName",
                                "unknown stream key",
                                "a publisher with an unknown key",
                            ),
                            Refusal::Busy => (
                                "NetStream.Publish.BadName",
                                "this stream key is already publishing",
                                "a second publisher on a live key",
                            ),
                        };
                        self.end = Some(Err(format!("refused {log}")));
                        guarded(|| self.session.reject_request(request_id, code, text))?
                            .map_err(|e| format!("refusing: {e:?}"))
                    }
                }
            }
            ServerSessionEvent::VideoDataReceived {
                data, timestamp, ..
            } => self.media(true, data, timestamp.value),
            ServerSessionEvent::AudioDataReceived {
                data, timestamp, ..
            } => self.media(false, data, timestamp.value),
            ServerSessionEvent::PublishStreamFinished { .. } => {
                self.end = Some(Ok(()));
                Ok(Vec::new())
            }
            _ => Ok(Vec::new()),
        }
    }

    fn media(
        &mut self,
        video: bool,
        body: bytes::Bytes,
        ts_ms: u32,
    ) -> Result<Vec<ServerSessionResult>, String> {
        let Some(p) = &self.publisher else {
            // Media before publish: not ours to take.
            self.end = Some(Err("media before publish".into()));
            return Ok(Vec::new());
        };
        let tag = Tag {
            video,
            ts_ms,
            body,
            arrival: Instant::now(),
        };
        if p.push(tag).is_err() {
            self.end = Some(Err("the input was removed".into()));
        }
        Ok(Vec::new())
    }
}
