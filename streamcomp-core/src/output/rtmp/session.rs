//! One RTMP publishing session on a blocking socket, built from rml_rtmp's sans-IO parts:
//! the handshake, chunk (de)serialisation and messages, with AMF0 commands of our own.
//!
//! [`Session::open`] does what OBS does: TCP (+TLS) connect, handshake, `SetChunkSize 4096`,
//! `connect` (with `fourCcList` for Enhanced RTMP codecs), `releaseStream`, `FCPublish`,
//! `createStream`, `publish(key, "live")`, and waits for `NetStream.Publish.Start`. Then
//! [`Session::send`] writes FLV tag bodies as audio/video/data messages (video and audio on their
//! own chunk streams), and [`Session::poll`] answers pings, window-size changes and
//! acknowledgements without waiting. Malformed server data is an error, never a panic.

use std::collections::HashMap;
use std::io::{self, Cursor, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rml_amf0::Amf0Value;
use rml_rtmp::chunk_io::{ChunkDeserializer, ChunkSerializer};
use rml_rtmp::handshake::{Handshake, HandshakeProcessResult, PeerType};
use rml_rtmp::messages::{MessagePayload, RtmpMessage, UserControlEventType};
use rml_rtmp::time::RtmpTimestamp;
use rustls::ClientConfig;

use super::tls::{Transport, tcp_connect, tls_connect};
use super::url::RtmpUrl;
use crate::output::OutputError;

/// The chunk size we announce and send with.
pub(crate) const CHUNK_SIZE: u32 = 4096;
/// Largest AMF0 command or data message from the server we parse (bounds work and recursion).
const MAX_AMF_MESSAGE: usize = 8 * 1024;
/// Largest chunk size a server may announce.
const MAX_SERVER_CHUNK: u32 = 1 << 24;
/// Handshake bytes we accept before giving up (C0+C1+C2 are 3073).
const MAX_HANDSHAKE_BYTES: usize = 16 * 1024;
/// Server messages read per [`Session::poll`] at most.
const MAX_POLL_MESSAGES: usize = 256;

const TX_CONNECT: f64 = 1.0;
const TX_RELEASE: f64 = 2.0;
const TX_FCPUBLISH: f64 = 3.0;
const TX_CREATE: f64 = 4.0;
const TX_PUBLISH: f64 = 5.0;

/// What an FLV tag body is, on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MediaKind {
    /// Video message (type 9).
    Video,
    /// Audio message (type 8).
    Audio,
    /// AMF0 data (type 18), e.g. `@setDataFrame onMetaData`.
    Data,
}

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
    ser: ChunkSerializer,
    de: ChunkDeserializer,
    url: RtmpUrl,
    stream_id: u32,
    buf: Vec<u8>,
    /// Received bytes not yet given to the deserializer.
    stash: Vec<u8>,
    received: u64,
    ack_window: u64,
    acked: u64,
    sent: u64,
    write_timeout: Duration,
    /// Publishing started: error statuses now end the session.
    live: bool,
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
        let mut s = Session {
            io,
            ser: ChunkSerializer::new(),
            de: ChunkDeserializer::new(),
            url: url.clone(),
            stream_id: 0,
            buf: vec![0; 16 * 1024],
            stash: Vec::new(),
            received: 0,
            ack_window: 0,
            acked: 0,
            sent: 0,
            write_timeout: p.write_timeout,
            live: false,
        };
        s.handshake(deadline)?;
        s.publish(deadline, p.four_cc)?;
        s.live = true;
        s.io.set_timeouts(p.write_timeout, p.write_timeout)
            .map_err(|e| s.lost(&e))?;
        Ok(s)
    }

    fn handshake(&mut self, deadline: Instant) -> Result<(), OutputError> {
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
                    if !remaining_bytes.is_empty() {
                        // Feed early chunks to the deserializer; messages are read later.
                        self.pending_input(&remaining_bytes)?;
                    }
                    return Ok(());
                }
            }
        }
    }

    fn publish(&mut self, deadline: Instant, four_cc: &[&str]) -> Result<(), OutputError> {
        let packet = self
            .ser
            .set_max_chunk_size(CHUNK_SIZE, RtmpTimestamp::new(0))
            .map_err(|e| self.protocol(e.to_string()))?;
        self.write_raw(&packet.bytes).map_err(|e| self.lost(&e))?;

        let mut obj = HashMap::new();
        let s = |v: &str| Amf0Value::Utf8String(v.to_string());
        obj.insert("app".into(), s(self.url.app()));
        obj.insert("type".into(), s("nonprivate"));
        obj.insert("flashVer".into(), s("FMLE/3.0 (compatible; streamcomp)"));
        obj.insert("tcUrl".into(), s(&self.url.tc_url()));
        obj.insert("swfUrl".into(), s(&self.url.tc_url()));
        if !four_cc.is_empty() {
            obj.insert(
                "fourCcList".into(),
                Amf0Value::StrictArray(four_cc.iter().map(|c| s(c)).collect()),
            );
        }
        self.command(0, "connect", TX_CONNECT, Amf0Value::Object(obj), vec![])?;
        self.wait(deadline, |c| match c.name.as_str() {
            "_result" if c.tx == TX_CONNECT => Some(Ok(())),
            "_error" if c.tx == TX_CONNECT => Some(Err(status_of(c))),
            _ => None,
        })?;

        let key = s(self.url.key());
        self.command(
            0,
            "releaseStream",
            TX_RELEASE,
            Amf0Value::Null,
            vec![key.clone()],
        )?;
        self.command(
            0,
            "FCPublish",
            TX_FCPUBLISH,
            Amf0Value::Null,
            vec![key.clone()],
        )?;
        self.command(0, "createStream", TX_CREATE, Amf0Value::Null, vec![])?;
        let id = self.wait(deadline, |c| match c.name.as_str() {
            "_result" if c.tx == TX_CREATE => Some(match c.args.first() {
                Some(Amf0Value::Number(n)) if n.is_finite() && *n >= 0.0 && *n < 1e9 => {
                    Ok(*n as u32)
                }
                _ => Err("createStream answered without a stream id".to_string()),
            }),
            "_error" if c.tx == TX_CREATE => Some(Err(status_of(c))),
            _ => None,
        })?;
        self.stream_id = id;
        self.command(
            id,
            "publish",
            TX_PUBLISH,
            Amf0Value::Null,
            vec![key, s("live")],
        )?;
        self.wait(deadline, |c| {
            if c.name == "_error" && c.tx == TX_PUBLISH {
                return Some(Err(status_of(c)));
            }
            if c.name != "onStatus" {
                return None;
            }
            let (level, code, _) = info_of(c);
            if code == "NetStream.Publish.Start" {
                Some(Ok(()))
            } else if level == "error" || code.contains("BadName") || code.contains("Failed") {
                Some(Err(status_of(c)))
            } else {
                None
            }
        })
    }

    /// Sends one FLV tag body as a message at `ms`.
    pub(crate) fn send(
        &mut self,
        kind: MediaKind,
        ms: u32,
        body: Bytes,
    ) -> Result<(), OutputError> {
        let type_id = match kind {
            MediaKind::Video => 9,
            MediaKind::Audio => 8,
            MediaKind::Data => 18,
        };
        let payload = MessagePayload {
            timestamp: RtmpTimestamp::new(ms),
            type_id,
            message_stream_id: self.stream_id,
            data: body,
        };
        let packet = self
            .ser
            .serialize(&payload, false, false)
            .map_err(|e| self.protocol(e.to_string()))?;
        self.write_raw(&packet.bytes).map_err(|e| self.lost(&e))
    }

    /// Handles whatever the server sent, without waiting: pings, window sizes, chunk sizes,
    /// status changes. An error status or a closed connection is an error.
    pub(crate) fn poll(&mut self) -> Result<(), OutputError> {
        for _ in 0..MAX_POLL_MESSAGES {
            if let Some(p) = self.next_buffered()? {
                self.dispatch(&p)?;
                continue;
            }
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
            self.received += n as u64;
            let data = self.buf[..n].to_vec();
            self.pending_input(&data)?;
        }
        Ok(())
    }

    /// Bytes written since the last call.
    pub(crate) fn take_sent(&mut self) -> u64 {
        std::mem::take(&mut self.sent)
    }

    /// Ends the publication politely (`FCUnpublish`, `deleteStream`) and closes, within the
    /// write timeout. Errors are ignored: the stream is over either way.
    pub(crate) fn close(mut self) {
        let _ = self.io.set_timeouts(self.write_timeout, self.write_timeout);
        let key = Amf0Value::Utf8String(self.url.key().to_string());
        let _ = self.command(0, "FCUnpublish", 6.0, Amf0Value::Null, vec![key]);
        let id = Amf0Value::Number(self.stream_id as f64);
        let _ = self.command(0, "deleteStream", 7.0, Amf0Value::Null, vec![id]);
        let _ = self.io.flush();
        self.io.close();
    }

    fn command(
        &mut self,
        stream: u32,
        name: &str,
        tx: f64,
        object: Amf0Value,
        args: Vec<Amf0Value>,
    ) -> Result<(), OutputError> {
        let msg = RtmpMessage::Amf0Command {
            command_name: name.to_string(),
            transaction_id: tx,
            command_object: object,
            additional_arguments: args,
        };
        self.send_message(msg, stream)
    }

    fn send_message(&mut self, msg: RtmpMessage, stream: u32) -> Result<(), OutputError> {
        let payload = msg
            .into_message_payload(RtmpTimestamp::new(0), stream)
            .map_err(|e| self.protocol(e.to_string()))?;
        let packet = self
            .ser
            .serialize(&payload, false, false)
            .map_err(|e| self.protocol(e.to_string()))?;
        self.write_raw(&packet.bytes).map_err(|e| self.lost(&e))
    }

    /// Reads messages until `pick` decides on a command; handles control messages on the way.
    fn wait<T>(
        &mut self,
        deadline: Instant,
        mut pick: impl FnMut(&Command) -> Option<Result<T, String>>,
    ) -> Result<T, OutputError> {
        loop {
            let p = match self.next_buffered()? {
                Some(p) => p,
                None => {
                    let n = self.read_some(deadline).map_err(|e| {
                        if matches!(e.kind(), io::ErrorKind::TimedOut) {
                            self.protocol("the server did not answer in time".into())
                        } else {
                            self.lost(&e)
                        }
                    })?;
                    self.received += n as u64;
                    let data = self.buf[..n].to_vec();
                    self.pending_input(&data)?;
                    continue;
                }
            };
            if let Some(cmd) = self.dispatch(&p)?
                && let Some(r) = pick(&cmd)
            {
                return r.map_err(|status| OutputError::Rejected {
                    url: self.url.to_string(),
                    status: self.url.redact(&status),
                });
            }
        }
    }

    /// Feeds received bytes to the deserializer (messages are taken by `next_buffered`).
    fn pending_input(&mut self, data: &[u8]) -> Result<(), OutputError> {
        self.stash.extend_from_slice(data);
        Ok(())
    }

    fn next_buffered(&mut self) -> Result<Option<MessagePayload>, OutputError> {
        let input = std::mem::take(&mut self.stash);
        let de = &mut self.de;
        match catch_unwind(AssertUnwindSafe(|| de.get_next_message(&input))) {
            Ok(Ok(p)) => Ok(p),
            Ok(Err(e)) => Err(self.protocol(format!("bad chunk from the server: {e}"))),
            Err(_) => Err(self.protocol("malformed chunk stream from the server".into())),
        }
    }

    /// Acts on a control message; returns the command, if it was one.
    fn dispatch(&mut self, p: &MessagePayload) -> Result<Option<Command>, OutputError> {
        let msg = decode(p).map_err(|e| self.protocol(e))?;
        let mut cmd = None;
        match msg {
            RtmpMessage::SetChunkSize { size } => {
                if size == 0 || size > MAX_SERVER_CHUNK {
                    return Err(self.protocol(format!("the server set a chunk size of {size}")));
                }
                self.de
                    .set_max_chunk_size(size as usize)
                    .map_err(|e| self.protocol(e.to_string()))?;
            }
            RtmpMessage::WindowAcknowledgement { size } => self.ack_window = size as u64,
            RtmpMessage::SetPeerBandwidth { size, .. } => {
                self.send_message(RtmpMessage::WindowAcknowledgement { size }, 0)?;
            }
            RtmpMessage::UserControl {
                event_type: UserControlEventType::PingRequest,
                timestamp,
                ..
            } => {
                let reply = RtmpMessage::UserControl {
                    event_type: UserControlEventType::PingResponse,
                    stream_id: None,
                    buffer_length: None,
                    timestamp: Some(timestamp.unwrap_or(RtmpTimestamp::new(0))),
                };
                self.send_message(reply, 0)?;
            }
            RtmpMessage::Amf0Command {
                command_name,
                transaction_id,
                additional_arguments,
                ..
            } => {
                let c = Command {
                    name: command_name,
                    tx: transaction_id,
                    args: additional_arguments,
                };
                if c.name == "close" {
                    return Err(self.protocol("the server closed the stream".into()));
                }
                if self.live && c.name == "onStatus" && info_of(&c).0 == "error" {
                    return Err(OutputError::Rejected {
                        url: self.url.to_string(),
                        status: self.url.redact(&status_of(&c)),
                    });
                }
                cmd = Some(c);
            }
            _ => {}
        }
        if self.ack_window > 0 && self.received - self.acked >= self.ack_window {
            self.acked = self.received;
            let ack = RtmpMessage::Acknowledgement {
                sequence_number: self.received as u32,
            };
            self.send_message(ack, 0)?;
        }
        Ok(cmd)
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
        OutputError::Protocol {
            url: self.url.to_string(),
            reason: self.url.redact(&reason),
        }
    }

    fn lost(&self, e: &io::Error) -> OutputError {
        OutputError::Disconnected {
            url: self.url.to_string(),
            reason: io_reason(e),
        }
    }
}

/// An AMF0 command from the server.
#[derive(Debug)]
struct Command {
    name: String,
    tx: f64,
    args: Vec<Amf0Value>,
}

/// `(level, code, description)` of an `onStatus` / `_error` info object.
fn info_of(c: &Command) -> (String, String, String) {
    let mut out = (String::new(), String::new(), String::new());
    for a in &c.args {
        if let Amf0Value::Object(o) = a {
            let get = |k: &str| match o.get(k) {
                Some(Amf0Value::Utf8String(s)) => s.chars().take(200).collect(),
                _ => String::new(),
            };
            out = (get("level"), get("code"), get("description"));
            break;
        }
    }
    out
}

/// `code: description` of an error answer, for [`OutputError::Rejected`].
fn status_of(c: &Command) -> String {
    let (_, code, description) = info_of(c);
    match (code.is_empty(), description.is_empty()) {
        (true, true) => format!("{} to transaction {}", c.name, c.tx),
        (false, true) => code,
        (true, false) => description,
        (false, false) => format!("{code} ({description})"),
    }
}

/// Decodes a message payload without trusting it.
fn decode(p: &MessagePayload) -> Result<RtmpMessage, String> {
    match p.type_id {
        // AMF0 commands (and AMF3-flagged ones that are really AMF0).
        20 | 17 => {
            let data = match (p.type_id, p.data.first()) {
                (17, Some(0)) => &p.data[1..],
                _ => &p.data[..],
            };
            if data.len() > MAX_AMF_MESSAGE {
                return Err(format!("a {} byte command from the server", data.len()));
            }
            let mut values = rml_amf0::deserialize(&mut Cursor::new(data))
                .map_err(|e| format!("bad AMF0 command from the server: {e}"))?;
            if values.len() < 3 {
                return Err("an AMF0 command without name, transaction and object".into());
            }
            let args = values.split_off(3);
            let mut it = values.into_iter();
            let (Some(Amf0Value::Utf8String(name)), Some(Amf0Value::Number(tx)), Some(object)) =
                (it.next(), it.next(), it.next())
            else {
                return Err("an AMF0 command without name or transaction id".into());
            };
            Ok(RtmpMessage::Amf0Command {
                command_name: name,
                transaction_id: tx,
                command_object: object,
                additional_arguments: args,
            })
        }
        // Data, audio, video, shared objects: nothing a publisher needs to read.
        8 | 9 | 15 | 16 | 18 | 19 | 22 => Ok(RtmpMessage::Unknown {
            type_id: p.type_id,
            data: Bytes::new(),
        }),
        _ => match catch_unwind(AssertUnwindSafe(|| p.to_rtmp_message())) {
            Ok(Ok(m)) => Ok(m),
            Ok(Err(e)) => Err(format!("bad message of type {}: {e}", p.type_id)),
            Err(_) => Err(format!("malformed message of type {}", p.type_id)),
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
    use std::io::Read;
    use std::net::{TcpListener, TcpStream};
    use std::thread;

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
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    rng as u8
                })
                .collect();
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
