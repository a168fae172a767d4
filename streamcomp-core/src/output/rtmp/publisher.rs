//! The publishing conversation after the handshake, sans-IO: bytes from the server in, bytes
//! for the server out. It sends what OBS sends (`SetChunkSize`, `connect` with `fourCcList`
//! for Enhanced RTMP, `releaseStream`, `FCPublish`, `createStream`, `publish`), then media.
//!
//! Strict about what decides: the `_result`/`_error` of our own `connect`, `createStream` and
//! `publish`, `onStatus` codes, `close`, sizes and limits. Tolerant of everything else, as
//! OBS's librtmp and FFmpeg are: commands with missing or extra fields, unknown commands
//! (`onBWDone`, `_checkbw`, `onFCPublish`, `onFCUnpublish`, …), user control events,
//! acknowledgements, chunk and window sizes changed at any time, an `_error` for
//! `releaseStream` or `FCPublish`. Each tolerated oddity is logged at debug level (target
//! `streamcomp::rtmp`) and kept in [`Publisher::notes`].

use std::collections::HashMap;

use bytes::Bytes;
use rml_amf0::Amf0Value;
use rml_rtmp::chunk_io::ChunkSerializer;
use rml_rtmp::messages::{MessagePayload, RtmpMessage, UserControlEventType};
use rml_rtmp::time::RtmpTimestamp;

use super::chunk_reader::ChunkReader;
use super::incoming::{Command, Incoming, classify};
use super::url::RtmpUrl;

/// The chunk size we announce and send with.
pub(crate) const CHUNK_SIZE: u32 = 4096;
/// Server messages handled per [`Publisher::feed`] call at most (the rest wait for the next).
const MAX_MESSAGES_PER_FEED: usize = 1024;
/// Notes kept for [`Publisher::notes`].
const MAX_NOTES: usize = 64;

pub(crate) const TX_CONNECT: f64 = 1.0;
pub(crate) const TX_RELEASE: f64 = 2.0;
pub(crate) const TX_FCPUBLISH: f64 = 3.0;
pub(crate) const TX_CREATE: f64 = 4.0;
pub(crate) const TX_PUBLISH: f64 = 5.0;
const TX_FCUNPUBLISH: f64 = 6.0;
const TX_DELETE: f64 = 7.0;

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

/// Where the conversation is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stage {
    /// `connect` sent, waiting for its `_result`.
    Connecting,
    /// `createStream` sent, waiting for the stream id.
    Creating,
    /// `publish` sent, waiting for `NetStream.Publish.Start`.
    Publishing,
    /// Publishing.
    Live,
}

impl Stage {
    /// What we wait for, in words.
    pub(crate) fn waiting_for(self) -> &'static str {
        match self {
            Stage::Connecting => "the answer to `connect`",
            Stage::Creating => "the answer to `createStream`",
            Stage::Publishing => "NetStream.Publish.Start",
            Stage::Live => "nothing",
        }
    }
}

/// Why the conversation failed.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Failure {
    /// The server refused (`_error`, an error `onStatus`): its words.
    Rejected(String),
    /// The server sent something unreadable or over a limit, or closed the stream.
    Protocol(String),
}

/// One publishing conversation. See the [module docs](self).
pub(crate) struct Publisher {
    reader: ChunkReader,
    ser: ChunkSerializer,
    stage: Stage,
    key: String,
    stream_id: u32,
    out: Vec<u8>,
    received: u64,
    acked: u64,
    ack_window: u64,
    window_sent: Option<u32>,
    notes: Vec<String>,
    server_four_cc: Option<Vec<String>>,
}

impl Publisher {
    /// Starts the conversation for `url`: `SetChunkSize` and `connect` are in the output.
    pub(crate) fn new(url: &RtmpUrl, four_cc: &[&str]) -> Result<Publisher, Failure> {
        let mut p = Publisher {
            reader: ChunkReader::default(),
            ser: ChunkSerializer::new(),
            stage: Stage::Connecting,
            key: url.key().to_string(),
            stream_id: 0,
            out: Vec::new(),
            received: 0,
            acked: 0,
            ack_window: 0,
            window_sent: None,
            notes: Vec::new(),
            server_four_cc: None,
        };
        let packet = p
            .ser
            .set_max_chunk_size(CHUNK_SIZE, RtmpTimestamp::new(0))
            .map_err(|e| Failure::Protocol(e.to_string()))?;
        p.out.extend_from_slice(&packet.bytes);
        let s = |v: &str| Amf0Value::Utf8String(v.to_string());
        let mut obj = HashMap::new();
        obj.insert("app".into(), s(url.app()));
        obj.insert("type".into(), s("nonprivate"));
        obj.insert("flashVer".into(), s("FMLE/3.0 (compatible; streamcomp)"));
        obj.insert("tcUrl".into(), s(&url.tc_url()));
        obj.insert("swfUrl".into(), s(&url.tc_url()));
        if !four_cc.is_empty() {
            obj.insert(
                "fourCcList".into(),
                Amf0Value::StrictArray(four_cc.iter().map(|c| s(c)).collect()),
            );
        }
        p.command(0, "connect", TX_CONNECT, Amf0Value::Object(obj), vec![])?;
        Ok(p)
    }

    /// Where the conversation is.
    pub(crate) fn stage(&self) -> Stage {
        self.stage
    }

    /// Publishing has started.
    pub(crate) fn is_live(&self) -> bool {
        self.stage == Stage::Live
    }

    /// The message stream id the server gave.
    #[cfg(test)]
    pub(crate) fn stream_id(&self) -> u32 {
        self.stream_id
    }

    /// The FourCCs the server listed in its `connect` answer (Enhanced RTMP), if it did.
    pub(crate) fn server_four_cc(&self) -> Option<&[String]> {
        self.server_four_cc.as_deref()
    }

    /// What was tolerated on the way (the first [`MAX_NOTES`]), key hidden.
    #[cfg(test)]
    pub(crate) fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Bytes to send to the server, taken.
    pub(crate) fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// Handles bytes from the server: answers what needs answers and moves the conversation on.
    pub(crate) fn feed(&mut self, data: &[u8]) -> Result<(), Failure> {
        self.received += data.len() as u64;
        self.reader.push(data).map_err(Failure::Protocol)?;
        for _ in 0..MAX_MESSAGES_PER_FEED {
            let Some(m) = self
                .reader
                .next_message()
                .map_err(|e| Failure::Protocol(format!("bad chunk stream from the server: {e}")))?
            else {
                break;
            };
            let incoming = classify(&m).map_err(Failure::Protocol)?;
            self.handle(incoming)?;
        }
        if self.ack_window > 0 && self.received - self.acked >= self.ack_window {
            self.acked = self.received;
            let ack = RtmpMessage::Acknowledgement {
                sequence_number: self.received as u32,
            };
            self.message(ack, 0)?;
        }
        Ok(())
    }

    /// Queues one FLV tag body as a message at `ms`.
    pub(crate) fn media(&mut self, kind: MediaKind, ms: u32, body: Bytes) -> Result<(), Failure> {
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
        self.queue(&payload)
    }

    /// Queues the polite goodbye: `FCUnpublish` and `deleteStream`.
    pub(crate) fn close(&mut self) {
        let key = Amf0Value::Utf8String(self.key.clone());
        let _ = self.command(0, "FCUnpublish", TX_FCUNPUBLISH, Amf0Value::Null, vec![key]);
        let id = Amf0Value::Number(self.stream_id as f64);
        let _ = self.command(0, "deleteStream", TX_DELETE, Amf0Value::Null, vec![id]);
    }

    fn note(&mut self, what: String) {
        let what = what.replace(&self.key, "****");
        tracing::debug!(target: "streamcomp::rtmp", "tolerated: {what}");
        if self.notes.len() < MAX_NOTES {
            self.notes.push(what);
        }
    }

    fn handle(&mut self, m: Incoming) -> Result<(), Failure> {
        match m {
            Incoming::ChunkSize(n) => self.reader.set_chunk_size(n as usize),
            Incoming::Abort(csid) => self.reader.abort(csid),
            Incoming::AckWindow(n) => self.ack_window = n as u64,
            Incoming::PeerBandwidth(n) => {
                if self.window_sent != Some(n) {
                    self.window_sent = Some(n);
                    self.message(RtmpMessage::WindowAcknowledgement { size: n }, 0)?;
                }
            }
            Incoming::Ping(ts) => {
                let pong = RtmpMessage::UserControl {
                    event_type: UserControlEventType::PingResponse,
                    stream_id: None,
                    buffer_length: None,
                    timestamp: Some(RtmpTimestamp::new(ts)),
                };
                self.message(pong, 0)?;
            }
            Incoming::Ignored(what) => {
                // Media and acknowledgements are routine, not worth a note.
                if !matches!(what.as_str(), "audio" | "video" | "an acknowledgement") {
                    self.note(what);
                }
            }
            Incoming::Command(c) => self.command_from_server(c)?,
        }
        Ok(())
    }

    fn command_from_server(&mut self, c: Command) -> Result<(), Failure> {
        if let Some(why) = &c.unreadable_tail {
            self.note(format!("`{}` with an unreadable tail ({why})", c.name));
        }
        match (c.name.as_str(), self.stage) {
            ("close", _) => return Err(Failure::Protocol("the server closed the stream".into())),
            ("_result", Stage::Connecting) if c.answers(TX_CONNECT) => {
                self.server_four_cc = four_cc_list(&c);
                self.after_connect()?;
            }
            ("_error", Stage::Connecting) if c.answers(TX_CONNECT) => {
                return Err(Failure::Rejected(c.status()));
            }
            ("_result", Stage::Creating) if c.answers(TX_CREATE) => match c.first_number() {
                Some(n) if n.is_finite() && (0.0..1e9).contains(&n) => {
                    self.stream_id = n as u32;
                    self.stage = Stage::Publishing;
                    let args = vec![
                        Amf0Value::Utf8String(self.key.clone()),
                        Amf0Value::Utf8String("live".into()),
                    ];
                    self.command(self.stream_id, "publish", TX_PUBLISH, Amf0Value::Null, args)?;
                }
                _ => {
                    return Err(Failure::Protocol(
                        "createStream answered without a stream id".into(),
                    ));
                }
            },
            ("_error", Stage::Creating) if c.answers(TX_CREATE) => {
                return Err(Failure::Rejected(c.status()));
            }
            ("_error", _) if c.answers(TX_PUBLISH) => return Err(Failure::Rejected(c.status())),
            ("onStatus", stage) => return self.on_status(&c, stage),
            ("_result" | "_error", _)
                if c.answers(TX_RELEASE) || c.answers(TX_FCPUBLISH) || c.answers(TX_PUBLISH) =>
            {
                if c.name == "_error" {
                    let what = if c.answers(TX_RELEASE) {
                        "releaseStream"
                    } else {
                        "FCPublish"
                    };
                    self.note(format!("`_error` for {what}: {}", c.status()));
                }
            }
            (name, _) => {
                let name = name.to_string();
                let tx =
                    c.tx.map(|t| format!(" (transaction {t})"))
                        .unwrap_or_default();
                self.note(format!("`{name}`{tx}"));
            }
        }
        Ok(())
    }

    fn after_connect(&mut self) -> Result<(), Failure> {
        let key = Amf0Value::Utf8String(self.key.clone());
        self.command(
            0,
            "releaseStream",
            TX_RELEASE,
            Amf0Value::Null,
            vec![key.clone()],
        )?;
        self.command(0, "FCPublish", TX_FCPUBLISH, Amf0Value::Null, vec![key])?;
        self.command(0, "createStream", TX_CREATE, Amf0Value::Null, vec![])?;
        self.stage = Stage::Creating;
        Ok(())
    }

    fn on_status(&mut self, c: &Command, stage: Stage) -> Result<(), Failure> {
        let (level, code, _) = c.info();
        let publishing = matches!(stage, Stage::Publishing | Stage::Live);
        let refused = level == "error"
            || (stage == Stage::Publishing
                && (code.contains("BadName") || code.contains("Failed")));
        if code == "NetStream.Publish.Start" && stage == Stage::Publishing {
            self.stage = Stage::Live;
        } else if publishing && refused {
            return Err(Failure::Rejected(c.status()));
        } else {
            self.note(format!("onStatus {code} ({level}) while {stage:?}"));
        }
        Ok(())
    }

    fn command(
        &mut self,
        stream: u32,
        name: &str,
        tx: f64,
        object: Amf0Value,
        args: Vec<Amf0Value>,
    ) -> Result<(), Failure> {
        let msg = RtmpMessage::Amf0Command {
            command_name: name.to_string(),
            transaction_id: tx,
            command_object: object,
            additional_arguments: args,
        };
        self.message(msg, stream)
    }

    fn message(&mut self, msg: RtmpMessage, stream: u32) -> Result<(), Failure> {
        queue_message(&mut self.ser, &mut self.out, msg, stream).map_err(Failure::Protocol)
    }

    /// Serialises `payload` into chunks at the end of what is waiting to be sent.
    fn queue(&mut self, payload: &MessagePayload) -> Result<(), Failure> {
        let packet = self
            .ser
            .serialize(payload, false, false)
            .map_err(|e| Failure::Protocol(e.to_string()))?;
        self.out.extend_from_slice(&packet.bytes);
        Ok(())
    }
}

/// Serialises `msg` on message stream `stream` (timestamp 0) into chunks at the end of `out`:
/// how our publisher and our ingest session write their control messages and commands.
pub(crate) fn queue_message(
    ser: &mut ChunkSerializer,
    out: &mut Vec<u8>,
    msg: RtmpMessage,
    stream: u32,
) -> Result<(), String> {
    let payload = msg
        .into_message_payload(RtmpTimestamp::new(0), stream)
        .map_err(|e| e.to_string())?;
    let packet = ser
        .serialize(&payload, false, false)
        .map_err(|e| e.to_string())?;
    out.extend_from_slice(&packet.bytes);
    Ok(())
}

/// The `fourCcList` of a `connect` answer (in its properties or information object).
fn four_cc_list(c: &Command) -> Option<Vec<String>> {
    c.values.iter().find_map(|v| match v {
        Amf0Value::Object(o) => match o.get("fourCcList") {
            Some(Amf0Value::StrictArray(items)) => Some(
                items
                    .iter()
                    .filter_map(|i| match i {
                        Amf0Value::Utf8String(s) => Some(s.chars().take(8).collect()),
                        _ => None,
                    })
                    .take(32)
                    .collect(),
            ),
            _ => None,
        },
        _ => None,
    })
}
