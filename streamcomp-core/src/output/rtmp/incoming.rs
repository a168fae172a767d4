//! What a server's message means to a publisher, read liberally: protocol control messages,
//! user control events and AMF0 commands, with whatever fields the server chose to send.
//!
//! Strict only about what must be exact for the byte stream to stay readable (a `SetChunkSize`
//! of a usable size) and about the size of commands; a short ping, an unknown user control
//! event, a command without transaction id or object (FFmpeg's bare `onFCPublish`), a command
//! with extra values or an AMF3-flagged one are all read as far as they go. What a publisher
//! has no use for (media, data, shared objects, aggregates) is skipped unread.

use rml_amf0::Amf0Value;

use super::amf0;
use super::chunk_reader::Message;

/// Largest AMF0 command from the server we read.
pub(crate) const MAX_COMMAND: usize = 8 * 1024;
/// Largest chunk size a server may announce.
pub(crate) const MAX_SERVER_CHUNK: u32 = 1 << 24;

/// An AMF0 command from the server, with the fields it had.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Command {
    /// The command name (`_result`, `onStatus`, `onBWDone`, …).
    pub(crate) name: String,
    /// The transaction id, if the server sent one.
    pub(crate) tx: Option<f64>,
    /// The command object (`Null` when absent), then the other values.
    pub(crate) values: Vec<Amf0Value>,
    /// Why reading the values stopped early, if it did.
    pub(crate) unreadable_tail: Option<String>,
}

impl Command {
    /// Whether this answers our transaction `tx`.
    pub(crate) fn answers(&self, tx: f64) -> bool {
        self.tx == Some(tx)
    }

    /// `(level, code, description)` of the first info object (`onStatus`, `_error`), wherever
    /// the server put it: as the command object or as an argument.
    pub(crate) fn info(&self) -> (String, String, String) {
        for v in &self.values {
            if let Amf0Value::Object(o) = v
                && (o.contains_key("code") || o.contains_key("level"))
            {
                let get = |k: &str| match o.get(k) {
                    Some(Amf0Value::Utf8String(s)) => s.chars().take(200).collect(),
                    _ => String::new(),
                };
                return (get("level"), get("code"), get("description"));
            }
        }
        Default::default()
    }

    /// `code (description)` of an answer, for errors.
    pub(crate) fn status(&self) -> String {
        let (_, code, description) = self.info();
        match (code.is_empty(), description.is_empty()) {
            (true, true) => match self.tx {
                Some(tx) => format!("{} to transaction {tx}", self.name),
                None => self.name.clone(),
            },
            (false, true) => code,
            (true, false) => description,
            (false, false) => format!("{code} ({description})"),
        }
    }

    /// The first number among the command object and the arguments (a `createStream`
    /// answer's stream id; some servers leave out the null command object).
    pub(crate) fn first_number(&self) -> Option<f64> {
        self.values.iter().find_map(|v| match v {
            Amf0Value::Number(n) => Some(*n),
            _ => None,
        })
    }
}

/// A server message, classified.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Incoming {
    /// `SetChunkSize` (checked: 1 to [`MAX_SERVER_CHUNK`]).
    ChunkSize(u32),
    /// `Abort` of a chunk stream's unfinished message.
    Abort(u32),
    /// `WindowAcknowledgementSize`: acknowledge every this many bytes.
    AckWindow(u32),
    /// `SetPeerBandwidth`: answered with our window size.
    PeerBandwidth(u32),
    /// A ping request with its timestamp, to be echoed.
    Ping(u32),
    /// An AMF0 command.
    Command(Command),
    /// Something a publisher has no use for, or a harmless oddity, with a word on what.
    Ignored(String),
}

fn be32(d: &[u8]) -> Option<u32> {
    d.get(..4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// Reads one message. Errors only for what cannot be let go: an unusable chunk size, a command
/// over [`MAX_COMMAND`] bytes.
pub(crate) fn classify(m: &Message) -> Result<Incoming, String> {
    let d = &m.data;
    Ok(match m.type_id {
        1 => match be32(d) {
            Some(n) if (1..=MAX_SERVER_CHUNK).contains(&(n & 0x7fff_ffff)) => {
                Incoming::ChunkSize(n & 0x7fff_ffff)
            }
            Some(n) => return Err(format!("the server set a chunk size of {n}")),
            None => return Err(format!("a {} byte SetChunkSize", d.len())),
        },
        2 => match be32(d) {
            Some(csid) => Incoming::Abort(csid),
            None => Incoming::Ignored("a short Abort".into()),
        },
        3 => Incoming::Ignored("an acknowledgement".into()),
        4 => user_control(d),
        5 => match be32(d) {
            Some(n) => Incoming::AckWindow(n),
            None => Incoming::Ignored("a short WindowAcknowledgementSize".into()),
        },
        6 => match be32(d) {
            Some(n) => Incoming::PeerBandwidth(n),
            None => Incoming::Ignored("a short SetPeerBandwidth".into()),
        },
        // AMF3-flagged commands start with a format byte; 0 means AMF0 follows.
        17 => match d.split_first() {
            Some((0, rest)) => command(rest)?,
            _ => Incoming::Ignored("an AMF3 command".into()),
        },
        20 => command(d)?,
        8 => Incoming::Ignored("audio".into()),
        9 => Incoming::Ignored("video".into()),
        15 | 18 => Incoming::Ignored("a data message".into()),
        16 | 19 => Incoming::Ignored("a shared object message".into()),
        22 => Incoming::Ignored("an aggregate message".into()),
        t => Incoming::Ignored(format!("a message of unknown type {t}")),
    })
}

fn user_control(d: &[u8]) -> Incoming {
    let Some(event) = d.get(..2).map(|b| u16::from_be_bytes([b[0], b[1]])) else {
        return Incoming::Ignored("a short user control message".into());
    };
    match (event, be32(&d[2..])) {
        (6, Some(ts)) => Incoming::Ping(ts),
        (6, None) => Incoming::Ignored("a ping without a timestamp".into()),
        (0, _) => Incoming::Ignored("StreamBegin".into()),
        (1, _) => Incoming::Ignored("StreamEOF".into()),
        (2, _) => Incoming::Ignored("StreamDry".into()),
        (4, _) => Incoming::Ignored("StreamIsRecorded".into()),
        (7, _) => Incoming::Ignored("a ping response".into()),
        (e, _) => Incoming::Ignored(format!("user control event {e}")),
    }
}

fn command(d: &[u8]) -> Result<Incoming, String> {
    if d.len() > MAX_COMMAND {
        return Err(format!("a {} byte command from the server", d.len()));
    }
    let decoded = amf0::read_all(d);
    let mut values = decoded.values.into_iter();
    let Some(Amf0Value::Utf8String(name)) = values.next() else {
        return Ok(Incoming::Ignored(match decoded.stopped {
            Some(why) => format!("an unreadable command ({why})"),
            None => "a command without a name".into(),
        }));
    };
    let mut rest: Vec<Amf0Value> = values.collect();
    let tx = match rest.first() {
        Some(Amf0Value::Number(n)) if n.is_finite() => {
            let n = *n;
            rest.remove(0);
            Some(n)
        }
        _ => None,
    };
    Ok(Incoming::Command(Command {
        name: name.chars().take(64).collect(),
        tx,
        values: rest,
        unreadable_tail: decoded.stopped,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(type_id: u8, data: Vec<u8>) -> Message {
        Message {
            type_id,
            stream_id: 0,
            timestamp: 0,
            data,
        }
    }

    fn amf(values: &[Amf0Value]) -> Vec<u8> {
        rml_amf0::serialize(&values.to_vec()).unwrap()
    }

    fn s(v: &str) -> Amf0Value {
        Amf0Value::Utf8String(v.into())
    }

    #[test]
    fn bare_and_partial_commands_are_read() {
        let Incoming::Command(c) = classify(&msg(20, amf(&[s("onFCPublish")]))).unwrap() else {
            panic!()
        };
        assert_eq!(
            (c.name.as_str(), c.tx, c.values.len()),
            ("onFCPublish", None, 0)
        );
        // Name, transaction, no command object, an argument: the number is the stream id.
        let c = match classify(&msg(
            20,
            amf(&[s("_result"), Amf0Value::Number(4.0), Amf0Value::Number(1.0)]),
        ))
        .unwrap()
        {
            Incoming::Command(c) => c,
            other => panic!("{other:?}"),
        };
        assert!(c.answers(4.0));
        assert_eq!(c.first_number(), Some(1.0));
        // An AMF3-flagged AMF0 command.
        let mut d = vec![0];
        d.extend(amf(&[
            s("onBWDone"),
            Amf0Value::Number(0.0),
            Amf0Value::Null,
        ]));
        assert!(
            matches!(classify(&msg(17, d)).unwrap(), Incoming::Command(c) if c.name == "onBWDone")
        );
        // A command that does not start with a name is skipped, not an error.
        assert!(matches!(
            classify(&msg(20, amf(&[Amf0Value::Number(1.0)]))).unwrap(),
            Incoming::Ignored(_)
        ));
    }

    #[test]
    fn info_is_found_in_the_object_or_the_arguments() {
        let info = Amf0Value::Object(
            [
                ("level".to_string(), s("error")),
                ("code".to_string(), s("NetStream.Publish.BadName")),
            ]
            .into(),
        );
        for values in [vec![Amf0Value::Null, info.clone()], vec![info.clone()]] {
            let c = Command {
                name: "onStatus".into(),
                tx: Some(0.0),
                values,
                unreadable_tail: None,
            };
            assert_eq!(c.info().1, "NetStream.Publish.BadName");
            assert_eq!(c.status(), "NetStream.Publish.BadName");
        }
    }

    #[test]
    fn control_messages_strict_only_where_it_matters() {
        assert_eq!(
            classify(&msg(1, vec![0, 0, 16, 0])).unwrap(),
            Incoming::ChunkSize(4096)
        );
        assert!(classify(&msg(1, vec![0, 0, 0, 0])).is_err());
        assert!(classify(&msg(1, vec![0, 0])).is_err());
        assert_eq!(
            classify(&msg(4, vec![0, 6, 0, 0, 4, 210])).unwrap(),
            Incoming::Ping(1234)
        );
        for d in [
            vec![0, 6],
            vec![0],
            vec![0, 31, 0, 0, 0, 1],
            vec![0, 0, 0, 0, 0, 1],
        ] {
            assert!(matches!(
                classify(&msg(4, d)).unwrap(),
                Incoming::Ignored(_)
            ));
        }
        assert!(matches!(
            classify(&msg(6, vec![0, 0, 1, 0])).unwrap(),
            Incoming::PeerBandwidth(256)
        ));
        assert!(matches!(
            classify(&msg(5, vec![1])).unwrap(),
            Incoming::Ignored(_)
        ));
        assert!(classify(&msg(20, vec![2; MAX_COMMAND + 1])).is_err());
    }
}
