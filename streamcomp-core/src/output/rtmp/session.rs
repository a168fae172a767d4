//! One RTMP publishing session on a blocking socket: TCP (+TLS) connect, the handshake (rml_rtmp's
//! sans-IO [`Handshake`]), then the [`Publisher`] conversation driven over the socket until the
//! server says `NetStream.Publish.Start`.
//!
//! [`Session::send`] writes FLV tag bodies as audio/video/data messages, and [`Session::poll`]
//! reads whatever the server sent without waiting (pings, window and chunk sizes,
//! acknowledgements, status changes). Malformed server data is an error, never a panic; what the
//! server may leave out or add is tolerated (see [`super::publisher`]).

use std::io::{self, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rml_rtmp::handshake::{Handshake, HandshakeProcessResult, PeerType};
use rustls::ClientConfig;

pub(crate) use super::publisher::MediaKind;
use super::publisher::{Failure, Publisher};
use super::tls::{Transport, tcp_connect, tls_connect};
use super::url::RtmpUrl;
use crate::output::OutputError;

/// Handshake bytes we accept before giving up (C0+C1+C2 are 3073).
const MAX_HANDSHAKE_BYTES: usize = 16 * 1024;
/// Reads per [`Session::poll`] at most.
const MAX_POLL_READS: usize = 64;

/// How to open a session.
pub(crate) struct OpenParams<'a> {
    pub(crate) url: &'a RtmpUrl,
    pub(crate) tls: Option<Arc<ClientConfig>>,
    /// For TCP connect, handshake and the whole command exchange.
    pub(crate) timeout: Duration,
    /// Blocking write timeout while streaming.
    pub(crate) write_timeout: Duration,
    /// `fourCcList` for `connect` (Enhanced RTMP), if any.
    pub(crate) four_cc: &'a [&'a str],
}

/// A live publishing session.
pub(crate) struct Session {
    io: Transport,
    publisher: Publisher,
    url: RtmpUrl,
    buf: Vec<u8>,
    sent: u64,
    write_timeout: Duration,
    /// We sent Enhanced RTMP (`fourCcList`).
    enhanced: bool,
}

impl Session {
    /// Connects and publishes; returns once the server said `NetStream.Publish.Start`.
    pub(crate) fn open(p: &OpenParams<'_>) -> Result<Session, OutputError> {
        let url = p.url;
        let deadline = Instant::now() + p.timeout;
        let tcp =
            tcp_connect(url.host(), url.port(), p.timeout).map_err(|e| OutputError::Connect {
                url: url.to_string(),
                reason: io_reason(&e),
            })?;
        let left = deadline.saturating_duration_since(Instant::now());
        tcp.set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .and_then(|_| tcp.set_write_timeout(Some(p.timeout)))
            .map_err(|e| OutputError::Connect {
                url: url.to_string(),
                reason: io_reason(&e),
            })?;
        let io = match &p.tls {
            None => Transport::Plain(tcp),
            Some(cfg) => {
                tls_connect(tcp, url.host(), cfg.clone()).map_err(|reason| OutputError::Tls {
                    url: url.to_string(),
                    reason: url.redact(&reason),
                })?
            }
        };
        let publisher = Publisher::new(url, p.four_cc).map_err(|f| failure(url, f))?;
        let mut s = Session {
            io,
            publisher,
            url: url.clone(),
            buf: vec![0; 16 * 1024],
            sent: 0,
            write_timeout: p.write_timeout,
            enhanced: !p.four_cc.is_empty(),
        };
        let early = s.handshake(deadline)?;
        s.flush_output()?;
        s.feed(&early)?;
        while !s.publisher.is_live() {
            let n = match s.read_some(deadline) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                    return Err(s.protocol(format!(
                        "the server did not answer in time (waiting for {})",
                        s.publisher.stage().waiting_for()
                    )));
                }
                Err(e) => return Err(s.lost(&e)),
            };
            let data = s.buf[..n].to_vec();
            s.feed(&data)?;
        }
        s.io.set_timeouts(p.write_timeout, p.write_timeout)
            .map_err(|e| s.lost(&e))?;
        Ok(s)
    }

    /// The handshake; returns bytes the server sent after it (chunks already).
    fn handshake(&mut self, deadline: Instant) -> Result<Vec<u8>, OutputError> {
        let herr = |url: &RtmpUrl, reason: String| OutputError::Handshake {
            url: url.to_string(),
            reason,
        };
        let mut hs = Handshake::new(PeerType::Client);
        let c0c1 = hs
            .generate_outbound_p0_and_p1()
            .map_err(|e| herr(&self.url, e.to_string()))?;
        self.write_raw(&c0c1)
            .map_err(|e| herr(&self.url, io_reason(&e)))?;
        let mut total = 0usize;
        loop {
            let n = self
                .read_some(deadline)
                .map_err(|e| herr(&self.url, io_reason(&e)))?;
            total += n;
            if total > MAX_HANDSHAKE_BYTES {
                return Err(herr(&self.url, "the server sent too many bytes".into()));
            }
            let result = catch_unwind(AssertUnwindSafe(|| hs.process_bytes(&self.buf[..n])))
                .map_err(|_| herr(&self.url, "malformed handshake".into()))?
                .map_err(|e| herr(&self.url, e.to_string()))?;
            match result {
                HandshakeProcessResult::InProgress { response_bytes } => {
                    if !response_bytes.is_empty() {
                        self.write_raw(&response_bytes)
                            .map_err(|e| herr(&self.url, io_reason(&e)))?;
                    }
                }
                HandshakeProcessResult::Completed {
                    response_bytes,
                    remaining_bytes,
                } => {
                    if !response_bytes.is_empty() {
                        self.write_raw(&response_bytes)
                            .map_err(|e| herr(&self.url, io_reason(&e)))?;
                    }
                    return Ok(remaining_bytes);
                }
            }
        }
    }

    /// Gives server bytes to the publisher and sends what it answers.
    fn feed(&mut self, data: &[u8]) -> Result<(), OutputError> {
        let fed = self.publisher.feed(data);
        // Answers queued before a failure (a pong, an ack) still go out.
        self.flush_output()?;
        fed.map_err(|f| failure(&self.url, f))
    }

    fn flush_output(&mut self) -> Result<(), OutputError> {
        let out = self.publisher.take_output();
        if out.is_empty() {
            return Ok(());
        }
        self.write_raw(&out).map_err(|e| self.lost(&e))
    }

    /// Sends one FLV tag body as a message at `ms`.
    pub(crate) fn send(
        &mut self,
        kind: MediaKind,
        ms: u32,
        body: Bytes,
    ) -> Result<(), OutputError> {
        self.publisher
            .media(kind, ms, body)
            .map_err(|f| failure(&self.url, f))?;
        self.flush_output()
    }

    /// Handles whatever the server sent, without waiting: pings, window sizes, chunk sizes,
    /// status changes. An error status or a closed connection is an error.
    pub(crate) fn poll(&mut self) -> Result<(), OutputError> {
        for _ in 0..MAX_POLL_READS {
            let n = match self.io.try_read(&mut self.buf) {
                Ok(Some(0)) => {
                    return Err(self.lost(&io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the server closed the connection",
                    )));
                }
                Ok(Some(n)) => n,
                Ok(None) => return Ok(()),
                Err(e) => return Err(self.lost(&e)),
            };
            let data = self.buf[..n].to_vec();
            self.feed(&data)?;
        }
        Ok(())
    }

    /// A warning for the user when we publish Enhanced RTMP (AV1, Opus) and the server did not
    /// list it (`fourCcList`) in its answer to `connect`.
    pub(crate) fn enhanced_warning(&self) -> Option<String> {
        (self.enhanced && self.publisher.server_four_cc().is_none()).then(|| {
            "the server did not list Enhanced RTMP (fourCcList) in its answer to connect: it \
             may not read AV1 or Opus (FFmpeg before 6.1 cannot; nginx-rtmp and \
             Node-Media-Server pass them on as they are)"
                .to_string()
        })
    }

    /// Bytes written since the last call.
    pub(crate) fn take_sent(&mut self) -> u64 {
        std::mem::take(&mut self.sent)
    }

    /// Ends the publication politely (`FCUnpublish`, `deleteStream`) and closes, within the
    /// write timeout. Errors are ignored: the stream is over either way.
    pub(crate) fn close(mut self) {
        let _ = self.io.set_timeouts(self.write_timeout, self.write_timeout);
        self.publisher.close();
        let _ = self.flush_output();
        let _ = self.io.flush();
        self.io.close();
    }

    fn read_some(&mut self, deadline: Instant) -> io::Result<usize> {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "timed out"));
            }
            self.io.set_timeouts(left, self.write_timeout)?;
            match std::io::Read::read(&mut self.io, &mut self.buf) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the server closed the connection",
                    ));
                }
                Ok(n) => return Ok(n),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock
                            | io::ErrorKind::TimedOut
                            | io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => return Err(e),
            }
        }
    }

    fn write_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.io.write_all(bytes)?;
        self.io.flush()?;
        self.sent += bytes.len() as u64;
        Ok(())
    }

    fn protocol(&self, reason: String) -> OutputError {
        failure(&self.url, Failure::Protocol(reason))
    }

    fn lost(&self, e: &io::Error) -> OutputError {
        OutputError::Disconnected {
            url: self.url.to_string(),
            reason: io_reason(e),
        }
    }
}

/// The error for a failed conversation, key hidden.
fn failure(url: &RtmpUrl, f: Failure) -> OutputError {
    match f {
        Failure::Rejected(status) => OutputError::Rejected {
            url: url.to_string(),
            status: url.redact(&status),
        },
        Failure::Protocol(reason) => OutputError::Protocol {
            url: url.to_string(),
            reason: url.redact(&reason),
        },
    }
}

fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => "timed out".into(),
        io::ErrorKind::ConnectionRefused => "connection refused".into(),
        io::ErrorKind::UnexpectedEof => "the server closed the connection".into(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::io::Read;
    use std::net::{TcpListener, TcpStream};
    use std::thread;

    use rml_amf0::Amf0Value;
    use rml_rtmp::chunk_io::{ChunkDeserializer, ChunkSerializer};
    use rml_rtmp::messages::{MessagePayload, RtmpMessage, UserControlEventType};
    use rml_rtmp::time::RtmpTimestamp;

    use super::super::publisher::{TX_CONNECT, TX_CREATE};
    use super::*;

    /// The server side of a scripted conversation, on rml_rtmp's parts.
    struct Peer {
        sock: TcpStream,
        de: ChunkDeserializer,
        ser: ChunkSerializer,
        pending: Vec<u8>,
    }

    impl Peer {
        fn handshake(&mut self) {
            let mut hs = Handshake::new(PeerType::Server);
            let mut buf = [0u8; 4096];
            loop {
                let n = self.sock.read(&mut buf).unwrap();
                assert!(n > 0, "client left during the handshake");
                match hs.process_bytes(&buf[..n]).unwrap() {
                    HandshakeProcessResult::InProgress { response_bytes } => {
                        self.sock.write_all(&response_bytes).unwrap();
                    }
                    HandshakeProcessResult::Completed {
                        response_bytes,
                        remaining_bytes,
                    } => {
                        self.sock.write_all(&response_bytes).unwrap();
                        self.pending = remaining_bytes;
                        return;
                    }
                }
            }
        }

        /// The next command from the client (other messages are applied or skipped).
        fn command(&mut self) -> (String, Amf0Value, Vec<Amf0Value>) {
            let mut buf = [0u8; 4096];
            loop {
                let input = std::mem::take(&mut self.pending);
                if let Some(p) = self.de.get_next_message(&input).unwrap() {
                    match p.to_rtmp_message().unwrap() {
                        RtmpMessage::SetChunkSize { size } => {
                            self.de.set_max_chunk_size(size as usize).unwrap();
                        }
                        RtmpMessage::Amf0Command {
                            command_name,
                            command_object,
                            additional_arguments,
                            ..
                        } => return (command_name, command_object, additional_arguments),
                        _ => {}
                    }
                    continue;
                }
                let n = self.sock.read(&mut buf).unwrap();
                assert!(n > 0, "client left");
                self.pending = buf[..n].to_vec();
            }
        }

        fn reply(&mut self, name: &str, tx: f64, args: Vec<Amf0Value>, stream: u32) {
            let msg = RtmpMessage::Amf0Command {
                command_name: name.into(),
                transaction_id: tx,
                command_object: Amf0Value::Null,
                additional_arguments: args,
            };
            let payload = msg
                .into_message_payload(RtmpTimestamp::new(0), stream)
                .unwrap();
            let packet = self.ser.serialize(&payload, false, false).unwrap();
            self.sock.write_all(&packet.bytes).unwrap();
        }
    }

    /// Serves one connection with `script`; returns the port.
    fn serve(script: impl FnOnce(&mut Peer) + Send + 'static) -> (u16, thread::JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let t = thread::spawn(move || {
            let (sock, _) = listener.accept().unwrap();
            let mut peer = Peer {
                sock,
                de: ChunkDeserializer::new(),
                ser: ChunkSerializer::new(),
                pending: Vec::new(),
            };
            script(&mut peer);
        });
        (port, t)
    }

    fn open(port: u16, four_cc: &[&str]) -> Result<Session, OutputError> {
        let url: RtmpUrl = format!("rtmp://127.0.0.1:{port}/live/s3cret")
            .parse()
            .unwrap();
        Session::open(&OpenParams {
            url: &url,
            tls: None,
            timeout: Duration::from_secs(3),
            write_timeout: Duration::from_secs(3),
            four_cc,
        })
    }

    fn string(v: &str) -> Amf0Value {
        Amf0Value::Utf8String(v.into())
    }

    fn status(level: &str, code: &str, description: &str) -> Amf0Value {
        Amf0Value::Object(HashMap::from([
            ("level".to_string(), string(level)),
            ("code".to_string(), string(code)),
            ("description".to_string(), string(description)),
        ]))
    }

    /// Answers connect and createStream; returns the connect command object.
    fn accept_until_publish(peer: &mut Peer) -> Amf0Value {
        peer.handshake();
        let (name, connect, _) = peer.command();
        assert_eq!(name, "connect");
        peer.reply(
            "_result",
            TX_CONNECT,
            vec![status("status", "NetConnection.Connect.Success", "")],
            0,
        );
        let mut seen = Vec::new();
        loop {
            let (name, _, args) = peer.command();
            seen.push(name.clone());
            match name.as_str() {
                "createStream" => peer.reply("_result", TX_CREATE, vec![Amf0Value::Number(1.0)], 0),
                "publish" => {
                    assert_eq!(args, [string("s3cret"), string("live")]);
                    break;
                }
                _ => {}
            }
        }
        assert_eq!(
            seen,
            ["releaseStream", "FCPublish", "createStream", "publish"]
        );
        connect
    }

    #[test]
    fn publishes_with_four_cc_list_and_answers_pings() {
        // The peer keeps its socket open until the client has seen the pong go out: closing it
        // as soon as the pong arrived raced the client's last poll ("the server closed the
        // connection"), which failed a CI run.
        let (pong_tx, pong_rx) = std::sync::mpsc::channel::<()>();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let (port, server) = serve(move |peer| {
            let connect = accept_until_publish(peer);
            let Amf0Value::Object(o) = connect else {
                panic!("connect object: {connect:?}")
            };
            assert_eq!(o.get("app"), Some(&string("live")));
            assert_eq!(o.get("type"), Some(&string("nonprivate")));
            assert_eq!(
                o.get("tcUrl"),
                Some(&string(&format!(
                    "rtmp://127.0.0.1:{}/live",
                    peer.sock.local_addr().unwrap().port()
                )))
            );
            assert_eq!(
                o.get("fourCcList"),
                Some(&Amf0Value::StrictArray(vec![
                    string("av01"),
                    string("Opus")
                ]))
            );
            peer.reply(
                "onStatus",
                0.0,
                vec![status("status", "NetStream.Publish.Start", "go")],
                1,
            );
            let ping = RtmpMessage::UserControl {
                event_type: UserControlEventType::PingRequest,
                stream_id: None,
                buffer_length: None,
                timestamp: Some(RtmpTimestamp::new(1234)),
            };
            let payload = ping.into_message_payload(RtmpTimestamp::new(0), 0).unwrap();
            let bytes = peer.ser.serialize(&payload, false, false).unwrap().bytes;
            peer.sock.write_all(&bytes).unwrap();
            // The pong comes back.
            let mut buf = [0u8; 4096];
            loop {
                let input = std::mem::take(&mut peer.pending);
                if let Some(p) = peer.de.get_next_message(&input).unwrap() {
                    if let RtmpMessage::UserControl {
                        event_type: UserControlEventType::PingResponse,
                        timestamp,
                        ..
                    } = p.to_rtmp_message().unwrap()
                    {
                        assert_eq!(timestamp, Some(RtmpTimestamp::new(1234)));
                        pong_tx.send(()).unwrap();
                        let _ = done_rx.recv();
                        return;
                    }
                    continue;
                }
                let n = peer.sock.read(&mut buf).unwrap();
                assert!(n > 0);
                peer.pending = buf[..n].to_vec();
            }
        });
        let mut s = open(port, &["av01", "Opus"]).unwrap();
        let deadline = Instant::now() + Duration::from_secs(3);
        // Until the peer has its pong (or its script failed, which `join` then reports).
        while pong_rx.try_recv().is_err() && !server.is_finished() {
            assert!(Instant::now() < deadline, "no pong");
            s.poll().unwrap();
            thread::sleep(Duration::from_millis(10));
        }
        done_tx.send(()).ok();
        server.join().unwrap();
    }

    #[test]
    fn bad_name_is_rejected_without_the_key() {
        let (port, server) = serve(|peer| {
            accept_until_publish(peer);
            peer.reply(
                "onStatus",
                0.0,
                vec![status(
                    "error",
                    "NetStream.Publish.BadName",
                    "Already publishing s3cret",
                )],
                1,
            );
        });
        let err = open(port, &[]).err().unwrap();
        server.join().unwrap();
        let msg = err.to_string();
        assert!(matches!(err, OutputError::Rejected { .. }), "{err:?}");
        assert!(msg.contains("NetStream.Publish.BadName"), "{msg}");
        assert!(!msg.contains("s3cret"), "{msg}");
        assert!(
            msg.contains("rtmp://127.0.0.1") && msg.contains("/live/****"),
            "{msg}"
        );
    }

    #[test]
    fn malformed_server_data_is_an_error_not_a_panic() {
        // A command with one AMF0 value (rml_rtmp's own decoder would panic on it).
        let short_command = {
            let data = rml_amf0::serialize(&vec![string("_result")]).unwrap();
            let payload = MessagePayload {
                timestamp: RtmpTimestamp::new(0),
                type_id: 20,
                message_stream_id: 0,
                data: Bytes::from(data),
            };
            ChunkSerializer::new()
                .serialize(&payload, false, false)
                .unwrap()
                .bytes
        };
        let cases: Vec<Vec<u8>> = vec![
            short_command,
            vec![0x46, 0, 0, 0, 0, 0, 10, 20], // type-1 header on a fresh chunk stream
            vec![0x02, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0, 0, 0, 0], // chunk size 0
        ];
        let mut rng = 0x1234_5678_u64;
        let mut random = Vec::new();
        for _ in 0..20 {
            let len = 1 + (rng % 300) as usize;
            let bytes = crate::output::rtmp::noise(&mut rng, len);
            random.push(bytes);
        }
        for (i, garbage) in cases.into_iter().chain(random).enumerate() {
            let (port, server) = serve(move |peer| {
                peer.handshake();
                let _ = peer.command();
                let _ = peer.sock.write_all(&garbage);
                // Then close: the client must not wait forever either.
            });
            let t = Instant::now();
            let err = open(port, &[]).err().unwrap();
            assert!(t.elapsed() < Duration::from_secs(4), "case {i}");
            assert!(!err.to_string().contains("s3cret"), "case {i}: {err}");
            server.join().unwrap();
        }
    }

    #[test]
    fn a_silent_server_times_out_the_handshake() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let url: RtmpUrl = format!("rtmp://127.0.0.1:{port}/live/s3cret")
            .parse()
            .unwrap();
        let t = Instant::now();
        let err = Session::open(&OpenParams {
            url: &url,
            tls: None,
            timeout: Duration::from_millis(300),
            write_timeout: Duration::from_secs(1),
            four_cc: &[],
        })
        .err()
        .unwrap();
        assert!(t.elapsed() < Duration::from_secs(2));
        assert!(matches!(err, OutputError::Handshake { .. }), "{err:?}");
        drop(listener);
    }
}
