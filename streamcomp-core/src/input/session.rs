//! [`IngestSession`]: the server side of an RTMP publish, sans-IO (bytes in, bytes and events
//! out), after the handshake. Messages are reassembled by the same bounded chunk reader our
//! publisher uses for what servers send ([`ChunkReader`], never a panic) and classified by the
//! same tolerant reader; only our answers are written with `rml_rtmp`'s chunk serializer.
//!
//! The conversation: `connect` (any application name: OBS may send an empty one) is answered
//! `NetConnection.Connect.Success`; `releaseStream`, `FCPublish` and `createStream` get their
//! `_result`; `publish` becomes [`SessionEvent::Publish`] and waits for the caller's
//! [`IngestSession::accept`] or [`IngestSession::refuse`]; audio and video messages after an
//! accepted publish become [`SessionEvent::Media`]; `FCUnpublish`, `deleteStream` and
//! `closeStream` end it. Acknowledgements are sent for every window of bytes received.

use std::collections::HashMap;

use rml_amf0::Amf0Value;
use rml_rtmp::chunk_io::ChunkSerializer;
use rml_rtmp::messages::{PeerBandwidthLimitType, RtmpMessage, UserControlEventType};
use rml_rtmp::time::RtmpTimestamp;

use crate::output::rtmp::chunk_reader::ChunkReader;
use crate::output::rtmp::incoming::{Command, Incoming, classify};
use crate::output::rtmp::publisher::queue_message;

/// Largest message a publisher may send (RTMP's 24-bit length allows 16 MiB; a 4K key frame
/// fits).
pub(crate) const MAX_MESSAGE: usize = 16 << 20;
/// Bytes that may wait in unfinished messages.
const MAX_PENDING: usize = 20 << 20;
/// Our chunk size.
const CHUNK_SIZE: u32 = 4096;
/// The acknowledgement window we ask for and use.
const WINDOW: u32 = 2_500_000;
/// The message stream `createStream` gives.
const STREAM_ID: u32 = 1;

/// What the publisher did that the caller must act on.
#[derive(Debug, PartialEq)]
pub(crate) enum SessionEvent {
    /// It wants to publish with this stream key (answer with `accept` or `refuse`).
    Publish {
        /// The key, as sent.
        key: String,
    },
    /// An audio or video message of an accepted publish: an FLV tag body.
    Media {
        /// Video (true) or audio.
        video: bool,
        /// Its timestamp, ms.
        ts_ms: u32,
        /// The body.
        data: Vec<u8>,
    },
    /// It stopped publishing.
    Unpublish,
}

/// One publisher's session.
pub(crate) struct IngestSession {
    reader: ChunkReader,
    ser: ChunkSerializer,
    out: Vec<u8>,
    received: u64,
    acked: u64,
    /// The `publish` waiting for an answer: its message stream and transaction.
    asked: Option<(u32, f64)>,
    publishing: bool,
}

fn s(v: &str) -> Amf0Value {
    Amf0Value::Utf8String(v.to_string())
}

fn object(pairs: &[(&str, Amf0Value)]) -> Amf0Value {
    Amf0Value::Object(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect::<HashMap<_, _>>(),
    )
}

impl IngestSession {
    /// A session whose first output is our window size, peer bandwidth and chunk size.
    pub(crate) fn new() -> Result<IngestSession, String> {
        let mut session = IngestSession {
            reader: ChunkReader::with_limits(MAX_MESSAGE, MAX_PENDING),
            ser: ChunkSerializer::new(),
            out: Vec::new(),
            received: 0,
            acked: 0,
            asked: None,
            publishing: false,
        };
        session.message(RtmpMessage::WindowAcknowledgement { size: WINDOW }, 0)?;
        session.message(
            RtmpMessage::SetPeerBandwidth {
                size: WINDOW,
                limit_type: PeerBandwidthLimitType::Dynamic,
            },
            0,
        )?;
        let packet = session
            .ser
            .set_max_chunk_size(CHUNK_SIZE, RtmpTimestamp::new(0))
            .map_err(|e| e.to_string())?;
        session.out.extend_from_slice(&packet.bytes);
        Ok(session)
    }

    /// Bytes to send to the publisher now.
    pub(crate) fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// Whether a publish was accepted.
    pub(crate) fn publishing(&self) -> bool {
        self.publishing
    }

    /// Takes received bytes; returns what the publisher did. An error ends the connection.
    pub(crate) fn push(&mut self, data: &[u8]) -> Result<Vec<SessionEvent>, String> {
        self.received += data.len() as u64;
        if self.received - self.acked >= u64::from(WINDOW) {
            self.acked = self.received;
            self.message(
                RtmpMessage::Acknowledgement {
                    sequence_number: self.received as u32,
                },
                0,
            )?;
        }
        self.reader.push(data)?;
        let mut events = Vec::new();
        while let Some(m) = self.reader.next_message()? {
            match m.type_id {
                8 | 9 => {
                    if !self.publishing {
                        return Err("media before an accepted publish".into());
                    }
                    events.push(SessionEvent::Media {
                        video: m.type_id == 9,
                        ts_ms: m.timestamp,
                        data: m.data,
                    });
                }
                _ => match classify(&m)? {
                    Incoming::ChunkSize(n) => self.reader.set_chunk_size(n as usize),
                    Incoming::Abort(csid) => self.reader.abort(csid),
                    Incoming::Command(c) => self.command(c, m.stream_id, &mut events)?,
                    // Acknowledgements, window sizes, pings, metadata: nothing to do.
                    _ => {}
                },
            }
        }
        Ok(events)
    }

    fn command(
        &mut self,
        c: Command,
        stream: u32,
        events: &mut Vec<SessionEvent>,
    ) -> Result<(), String> {
        let tx = c.tx.unwrap_or(0.0);
        match c.name.as_str() {
            "connect" => {
                let props = object(&[
                    ("fmsVer", s("FMS/3,0,1,123")),
                    ("capabilities", Amf0Value::Number(31.0)),
                ]);
                let info = object(&[
                    ("level", s("status")),
                    ("code", s("NetConnection.Connect.Success")),
                    ("description", s("Connection succeeded.")),
                    ("objectEncoding", Amf0Value::Number(0.0)),
                ]);
                self.command_out(0, "_result", tx, props, vec![info])
            }
            "releaseStream" | "FCPublish" => self.command_out(
                0,
                "_result",
                tx,
                Amf0Value::Null,
                vec![Amf0Value::Undefined],
            ),
            "createStream" => self.command_out(
                0,
                "_result",
                tx,
                Amf0Value::Null,
                vec![Amf0Value::Number(f64::from(STREAM_ID))],
            ),
            "publish" => {
                if self.publishing || self.asked.is_some() {
                    return Err("a second publish on one connection".into());
                }
                // publish(tx, null, key, type)
                let key = c
                    .values
                    .iter()
                    .find_map(|v| match v {
                        Amf0Value::Utf8String(k) => Some(k.clone()),
                        _ => None,
                    })
                    .unwrap_or_default();
                if key.len() > 1024 {
                    return Err("a stream key over 1024 bytes".into());
                }
                self.asked = Some((stream, tx));
                events.push(SessionEvent::Publish { key });
                Ok(())
            }
            "FCUnpublish" | "deleteStream" | "closeStream" => {
                if self.publishing {
                    events.push(SessionEvent::Unpublish);
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Accepts the publish asked for: `NetStream.Publish.Start`.
    pub(crate) fn accept(&mut self, description: &str) -> Result<(), String> {
        let (stream, tx) = self.asked.take().ok_or("no publish to accept")?;
        self.publishing = true;
        self.message(
            RtmpMessage::UserControl {
                event_type: UserControlEventType::StreamBegin,
                stream_id: Some(stream),
                buffer_length: None,
                timestamp: None,
            },
            0,
        )?;
        let info = object(&[
            ("level", s("status")),
            ("code", s("NetStream.Publish.Start")),
            ("description", s(description)),
        ]);
        self.command_out(stream, "onStatus", tx, Amf0Value::Null, vec![info])
    }

    /// Refuses the publish asked for: `NetStream.Publish.BadName` with `description`.
    pub(crate) fn refuse(&mut self, description: &str) -> Result<(), String> {
        let (stream, tx) = self.asked.take().ok_or("no publish to refuse")?;
        let info = object(&[
            ("level", s("error")),
            ("code", s("NetStream.Publish.BadName")),
            ("description", s(description)),
        ]);
        self.command_out(stream, "onStatus", tx, Amf0Value::Null, vec![info])
    }

    fn command_out(
        &mut self,
        stream: u32,
        name: &str,
        tx: f64,
        object: Amf0Value,
        args: Vec<Amf0Value>,
    ) -> Result<(), String> {
        self.message(
            RtmpMessage::Amf0Command {
                command_name: name.to_string(),
                transaction_id: tx,
                command_object: object,
                additional_arguments: args,
            },
            stream,
        )
    }

    fn message(&mut self, msg: RtmpMessage, stream: u32) -> Result<(), String> {
        queue_message(&mut self.ser, &mut self.out, msg, stream)
    }
}

#[cfg(test)]
mod tests {
    use rml_rtmp::sessions::{
        ClientSession, ClientSessionConfig, ClientSessionEvent, ClientSessionResult,
        PublishRequestType,
    };

    use super::*;

    /// Runs rml_rtmp's client against our session: connect, publish with `key`, which the
    /// session accepts when `accept`, then one video message.
    fn conversation(key: &str, accept: bool) -> (Vec<ClientSessionEvent>, Vec<SessionEvent>) {
        let mut server = IngestSession::new().unwrap();
        let (mut client, first) = ClientSession::new(ClientSessionConfig::new()).unwrap();
        let mut to_server: Vec<u8> = Vec::new();
        let mut client_events = Vec::new();
        let mut server_events = Vec::new();
        let take = |results: Vec<ClientSessionResult>, buf: &mut Vec<u8>, ev: &mut Vec<_>| {
            for r in results {
                match r {
                    ClientSessionResult::OutboundResponse(p) => buf.extend_from_slice(&p.bytes),
                    ClientSessionResult::RaisedEvent(e) => ev.push(e),
                    _ => {}
                }
            }
        };
        take(first, &mut to_server, &mut client_events);
        take(
            vec![client.request_connection("live".into()).unwrap()],
            &mut to_server,
            &mut client_events,
        );
        let mut published = false;
        for _ in 0..10 {
            for e in server.push(&std::mem::take(&mut to_server)).unwrap() {
                if let SessionEvent::Publish { key: k } = &e {
                    assert_eq!(k, key);
                    if accept {
                        server.accept("ok").unwrap();
                    } else {
                        server.refuse("unknown stream key").unwrap();
                    }
                }
                server_events.push(e);
            }
            let results = client.handle_input(&server.take_output()).unwrap();
            take(results, &mut to_server, &mut client_events);
            if !published
                && client_events
                    .iter()
                    .any(|e| matches!(e, ClientSessionEvent::ConnectionRequestAccepted))
            {
                published = true;
                let r = client
                    .request_publishing(key.into(), PublishRequestType::Live)
                    .unwrap();
                take(vec![r], &mut to_server, &mut client_events);
            }
            if client_events
                .iter()
                .any(|e| matches!(e, ClientSessionEvent::PublishRequestAccepted))
                && !server_events
                    .iter()
                    .any(|e| matches!(e, SessionEvent::Media { .. }))
            {
                let p = client
                    .publish_video_data(
                        bytes::Bytes::from_static(&[0x17, 0, 0, 0, 0]),
                        RtmpTimestamp::new(40),
                        false,
                    )
                    .unwrap();
                take(vec![p], &mut to_server, &mut client_events);
            }
        }
        (client_events, server_events)
    }

    #[test]
    fn a_client_publishes_and_its_media_comes_out() {
        let (client, server) = conversation("cam1", true);
        assert!(
            client
                .iter()
                .any(|e| matches!(e, ClientSessionEvent::PublishRequestAccepted)),
            "{client:?}"
        );
        assert!(
            server.contains(&SessionEvent::Media {
                video: true,
                ts_ms: 40,
                data: vec![0x17, 0, 0, 0, 0]
            }),
            "{server:?}"
        );
    }

    #[test]
    fn a_refused_key_is_not_accepted() {
        let (client, server) = conversation("guess", false);
        assert!(
            !client
                .iter()
                .any(|e| matches!(e, ClientSessionEvent::PublishRequestAccepted)),
            "{client:?}"
        );
        assert!(
            !server
                .iter()
                .any(|e| matches!(e, SessionEvent::Media { .. }))
        );
    }

    #[test]
    fn garbage_and_media_before_publish_are_errors_not_panics() {
        let mut seed = 11u64;
        for _ in 0..300 {
            let mut s = IngestSession::new().unwrap();
            let junk = crate::output::rtmp::noise(&mut seed, 3000);
            for c in junk.chunks(97) {
                if s.push(c).is_err() {
                    break;
                }
            }
        }
        // A video message on a fresh session (type 0 header, csid 6, 5 bytes, type 9).
        let mut s = IngestSession::new().unwrap();
        let m = [6u8, 0, 0, 0, 0, 0, 5, 9, 1, 0, 0, 0, 0x17, 0, 0, 0, 0];
        assert!(
            s.push(&m)
                .unwrap_err()
                .contains("before an accepted publish")
        );
    }
}
