//! Tests of the [`Publisher`] conversation without sockets: servers' habits written out message
//! by message, strictness where it decides, and the recorded conversations of real servers
//! (`tests/data/rtmp/*.rtmp`, see the README there) replayed.

use std::collections::HashMap;
use std::path::Path;

use bytes::Bytes;
use rml_amf0::Amf0Value;
use rml_rtmp::chunk_io::{ChunkDeserializer, ChunkSerializer};
use rml_rtmp::messages::{MessagePayload, RtmpMessage, UserControlEventType};
use rml_rtmp::time::RtmpTimestamp;

use super::publisher::{
    Failure, Publisher, Stage, TX_CONNECT, TX_CREATE, TX_FCPUBLISH, TX_RELEASE,
};
use super::url::RtmpUrl;

const KEY: &str = "s3cret";

fn url() -> RtmpUrl {
    format!("rtmp://127.0.0.1/live/{KEY}").parse().unwrap()
}

fn s(v: &str) -> Amf0Value {
    Amf0Value::Utf8String(v.into())
}

fn n(v: f64) -> Amf0Value {
    Amf0Value::Number(v)
}

fn status(level: &str, code: &str) -> Amf0Value {
    Amf0Value::Object(HashMap::from([
        ("level".to_string(), s(level)),
        ("code".to_string(), s(code)),
        ("description".to_string(), s(&format!("about {KEY}"))),
    ]))
}

/// A server writing chunks with rml_rtmp's serializer.
struct Server {
    ser: ChunkSerializer,
}

impl Server {
    fn new() -> Server {
        Server {
            ser: ChunkSerializer::new(),
        }
    }

    fn msg(&mut self, m: RtmpMessage, stream: u32) -> Vec<u8> {
        let p = m
            .into_message_payload(RtmpTimestamp::new(0), stream)
            .unwrap();
        self.ser.serialize(&p, false, false).unwrap().bytes
    }

    /// An AMF0 command made of exactly these values (no fields added).
    fn raw_command(&mut self, type_id: u8, values: &[Amf0Value], stream: u32) -> Vec<u8> {
        let mut data = rml_amf0::serialize(&values.to_vec()).unwrap();
        if type_id == 17 {
            data.insert(0, 0);
        }
        let p = MessagePayload {
            timestamp: RtmpTimestamp::new(0),
            type_id,
            message_stream_id: stream,
            data: Bytes::from(data),
        };
        self.ser.serialize(&p, false, false).unwrap().bytes
    }

    fn command(&mut self, values: &[Amf0Value]) -> Vec<u8> {
        self.raw_command(20, values, 0)
    }

    fn control(&mut self, type_id: u8, data: &[u8]) -> Vec<u8> {
        let p = MessagePayload {
            timestamp: RtmpTimestamp::new(0),
            type_id,
            message_stream_id: 0,
            data: Bytes::copy_from_slice(data),
        };
        self.ser.serialize(&p, false, false).unwrap().bytes
    }

    fn chunk_size(&mut self, size: u32) -> Vec<u8> {
        self.ser
            .set_max_chunk_size(size, RtmpTimestamp::new(0))
            .unwrap()
            .bytes
    }
}

/// The commands (name, transaction) and pongs in what the publisher sent (`de` has read all
/// it sent before).
fn sent(de: &mut ChunkDeserializer, bytes: &[u8]) -> (Vec<(String, f64)>, Vec<u32>) {
    let mut commands = Vec::new();
    let mut pongs = Vec::new();
    let mut input = bytes;
    while let Some(p) = de.get_next_message(input).unwrap() {
        input = &[];
        match p.to_rtmp_message().unwrap() {
            RtmpMessage::SetChunkSize { size } => de.set_max_chunk_size(size as usize).unwrap(),
            RtmpMessage::Amf0Command {
                command_name,
                transaction_id,
                ..
            } => commands.push((command_name, transaction_id)),
            RtmpMessage::UserControl {
                event_type: UserControlEventType::PingResponse,
                timestamp,
                ..
            } => pongs.push(timestamp.map_or(0, |t| t.value)),
            _ => {}
        }
    }
    (commands, pongs)
}

fn names(commands: &[(String, f64)]) -> Vec<&str> {
    commands.iter().map(|(n, _)| n.as_str()).collect()
}

#[test]
fn a_liberal_server_with_every_oddity_is_published_to() {
    let mut srv = Server::new();
    let mut p = Publisher::new(&url(), &["av01", "Opus"]).unwrap();
    let mut de = ChunkDeserializer::new();
    let mut out = p.take_output();
    let mut wire = Vec::new();
    // Before answering: window size, peer bandwidth, a bigger chunk size, StreamBegin, onBWDone.
    wire.extend(srv.msg(RtmpMessage::WindowAcknowledgement { size: 2_500_000 }, 0));
    wire.extend(srv.control(6, &[0, 0x26, 0x25, 0xa0, 2]));
    wire.extend(srv.chunk_size(60));
    wire.extend(srv.control(4, &[0, 0, 0, 0, 0, 0]));
    wire.extend(srv.command(&[s("onBWDone"), n(0.0), Amf0Value::Null, n(8192.0)]));
    // connect's _result with extra values and an E-RTMP fourCcList in its properties.
    let props = Amf0Value::Object(HashMap::from([
        ("fmsVer".to_string(), s("FMS/3,5,7,7009")),
        (
            "fourCcList".to_string(),
            Amf0Value::StrictArray(vec![s("av01"), s("Opus")]),
        ),
    ]));
    wire.extend(srv.command(&[
        s("_result"),
        n(TX_CONNECT),
        props,
        status("status", "NetConnection.Connect.Success"),
        s("extra"),
    ]));
    p.feed(&wire).unwrap();
    assert_eq!(p.stage(), Stage::Creating);
    assert_eq!(
        p.server_four_cc(),
        Some(&["av01".to_string(), "Opus".to_string()][..])
    );
    out.extend(p.take_output());
    let (cmds, _) = sent(&mut de, &out);
    assert_eq!(
        names(&cmds),
        ["connect", "releaseStream", "FCPublish", "createStream"]
    );

    let mut wire = Vec::new();
    // _error for releaseStream (Wowza, SRS without the stream), FFmpeg's bare onFCPublish, an
    // _error for FCPublish, _checkbw, an unknown user control event (31, BufferEmpty), a ping,
    // an acknowledgement, an AMF3-flagged command, an abort of nothing.
    wire.extend(srv.command(&[
        s("_error"),
        n(TX_RELEASE),
        Amf0Value::Null,
        status("error", "NetConnection.Call.Failed"),
    ]));
    wire.extend(srv.command(&[s("onFCPublish")]));
    wire.extend(srv.command(&[s("_error"), n(TX_FCPUBLISH)]));
    wire.extend(srv.command(&[s("_checkbw"), n(0.0)]));
    wire.extend(srv.control(4, &[0, 31, 0, 0, 0, 1]));
    wire.extend(srv.control(4, &[0, 6, 0, 0, 0x30, 0x39]));
    wire.extend(srv.control(3, &[0, 0, 1, 0]));
    wire.extend(srv.raw_command(17, &[s("onBWCheck"), n(0.0), Amf0Value::Null], 0));
    wire.extend(srv.control(2, &[0, 0, 0, 9]));
    // createStream's _result without the null command object; the chunk size changes again.
    wire.extend(srv.chunk_size(4096));
    wire.extend(srv.command(&[s("_result"), n(TX_CREATE), n(7.0)]));
    // Byte by byte: reassembly does not depend on how reads split the stream.
    for b in &wire {
        p.feed(std::slice::from_ref(b)).unwrap();
    }
    assert_eq!(p.stage(), Stage::Publishing);
    assert_eq!(p.stream_id(), 7);
    let (cmds, pongs) = sent(&mut de, &p.take_output());
    assert_eq!(names(&cmds), ["publish"]);
    assert_eq!(pongs, [12345]);

    // onStatus with the info object in the command object's place, then Publish.Start.
    let mut wire = srv.raw_command(
        20,
        &[
            s("onStatus"),
            n(0.0),
            status("status", "NetStream.Publish.Start"),
        ],
        7,
    );
    wire.extend(srv.command(&[s("onFCUnpublish"), n(0.0), Amf0Value::Null]));
    p.feed(&wire).unwrap();
    assert!(p.is_live());
    let notes = p.notes().join("\n");
    eprintln!("{notes}");
    for want in [
        "`onBWDone`",
        "`_error` for releaseStream",
        "`onFCPublish`",
        "`_error` for FCPublish",
        "`_checkbw`",
        "user control event 31",
        "`onBWCheck`",
        "`onFCUnpublish`",
        "StreamBegin",
    ] {
        assert!(notes.contains(want), "{want} not in:\n{notes}");
    }
    assert!(!notes.contains(KEY), "{notes}");
}

/// Runs the conversation up to `publish` with well-behaved answers; returns the publisher.
fn up_to_publish(srv: &mut Server) -> Publisher {
    let mut p = Publisher::new(&url(), &[]).unwrap();
    let ok = srv.command(&[
        s("_result"),
        n(TX_CONNECT),
        Amf0Value::Null,
        status("status", "NetConnection.Connect.Success"),
    ]);
    p.feed(&ok).unwrap();
    p.feed(&srv.command(&[s("_result"), n(TX_CREATE), Amf0Value::Null, n(1.0)]))
        .unwrap();
    assert_eq!(p.stage(), Stage::Publishing);
    p
}

#[test]
fn strict_about_what_decides() {
    let mut srv = Server::new();
    let mut p = Publisher::new(&url(), &[]).unwrap();
    let no = srv.command(&[
        s("_error"),
        n(TX_CONNECT),
        Amf0Value::Null,
        status("error", "NetConnection.Connect.Rejected"),
    ]);
    assert_eq!(
        p.feed(&no),
        Err(Failure::Rejected(format!(
            "NetConnection.Connect.Rejected (about {KEY})"
        )))
    );

    let mut srv = Server::new();
    let mut p = Publisher::new(&url(), &[]).unwrap();
    p.feed(&srv.command(&[s("_result"), n(TX_CONNECT), Amf0Value::Null]))
        .unwrap();
    let r = p.feed(&srv.command(&[s("_error"), n(TX_CREATE), Amf0Value::Null]));
    assert!(matches!(r, Err(Failure::Rejected(_))), "{r:?}");

    let mut srv = Server::new();
    let mut p = Publisher::new(&url(), &[]).unwrap();
    p.feed(&srv.command(&[s("_result"), n(TX_CONNECT), Amf0Value::Null]))
        .unwrap();
    let r = p.feed(&srv.command(&[s("_result"), n(TX_CREATE), Amf0Value::Null, s("one")]));
    assert_eq!(
        r,
        Err(Failure::Protocol(
            "createStream answered without a stream id".into()
        ))
    );

    let mut srv = Server::new();
    let mut p = up_to_publish(&mut srv);
    let bad = srv.command(&[
        s("onStatus"),
        n(0.0),
        Amf0Value::Null,
        status("error", "NetStream.Publish.BadName"),
    ]);
    assert!(
        matches!(p.feed(&bad), Err(Failure::Rejected(m)) if m.starts_with("NetStream.Publish.BadName"))
    );

    // Live: an error status or `close` ends it; a status of level "status" does not.
    let mut srv = Server::new();
    let mut p = up_to_publish(&mut srv);
    p.feed(&srv.command(&[
        s("onStatus"),
        n(0.0),
        Amf0Value::Null,
        status("status", "NetStream.Publish.Start"),
    ]))
    .unwrap();
    p.feed(&srv.command(&[
        s("onStatus"),
        n(0.0),
        Amf0Value::Null,
        status("status", "NetStream.Play.PublishNotify"),
    ]))
    .unwrap();
    assert!(p.is_live());
    let r = p.feed(&srv.command(&[s("close"), n(0.0), Amf0Value::Null]));
    assert!(matches!(r, Err(Failure::Protocol(_))), "{r:?}");

    // Sizes: a chunk size of 0, a command over the limit.
    let mut p = Publisher::new(&url(), &[]).unwrap();
    let r = p.feed(&Server::new().control(1, &[0, 0, 0, 0]));
    assert!(matches!(r, Err(Failure::Protocol(m)) if m.contains("chunk size of 0")));
    let mut p = Publisher::new(&url(), &[]).unwrap();
    let mut big = Server::new();
    let long = s(&"x".repeat(9000));
    let r = p.feed(&big.command(&[s("onStatus"), n(0.0), long]));
    assert!(matches!(r, Err(Failure::Protocol(m)) if m.contains("byte command")));
}

#[test]
fn acknowledgements_follow_the_window_and_bandwidth_is_answered_once() {
    let mut srv = Server::new();
    let mut p = Publisher::new(&url(), &[]).unwrap();
    p.feed(&srv.msg(RtmpMessage::WindowAcknowledgement { size: 100 }, 0))
        .unwrap();
    let bw = srv.control(6, &[0, 0, 0x10, 0, 2]);
    p.feed(&bw).unwrap();
    p.feed(&bw).unwrap();
    let filler = srv.command(&[s("onBWDone"), n(0.0), Amf0Value::Null, s(&"y".repeat(200))]);
    p.feed(&filler).unwrap();
    let mut de = ChunkDeserializer::new();
    let out = p.take_output();
    let mut input = &out[..];
    let (mut acks, mut windows) = (Vec::new(), 0);
    while let Some(m) = de.get_next_message(input).unwrap() {
        input = &[];
        match m.to_rtmp_message().unwrap() {
            RtmpMessage::SetChunkSize { size } => de.set_max_chunk_size(size as usize).unwrap(),
            RtmpMessage::Acknowledgement { sequence_number } => acks.push(sequence_number),
            RtmpMessage::WindowAcknowledgement { size } => {
                assert_eq!(size, 4096);
                windows += 1;
            }
            _ => {}
        }
    }
    assert_eq!(windows, 1);
    assert_eq!(acks.len(), 1, "{acks:?}");
    assert!(acks[0] as usize > 200);
}

/// A recording's segments (format: `tests/data/rtmp/README.md`).
fn segments(file: &[u8]) -> Vec<&[u8]> {
    let head_end = file
        .windows(2)
        .position(|w| w == b"\n\n")
        .expect("a recording header")
        + 2;
    assert!(file.starts_with(b"streamcomp-rtmp-recording 1\n"));
    let mut rest = &file[head_end..];
    let mut out = Vec::new();
    while rest.len() >= 4 {
        let n = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        out.push(&rest[4..4 + n]);
        rest = &rest[4 + n..];
    }
    assert!(rest.is_empty(), "trailing bytes in a recording");
    out
}

/// Replays a recording into a publisher of `url` with `four_cc`, segment by segment as the
/// server sent them. Returns the publisher.
fn replay(name: &str, four_cc: &[&str]) -> Publisher {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/rtmp")
        .join(format!("{name}.rtmp"));
    let file = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let url: RtmpUrl = "rtmp://127.0.0.1:1935/live/interop-key".parse().unwrap();
    let mut p = Publisher::new(&url, four_cc).unwrap();
    for seg in segments(&file) {
        p.feed(seg).unwrap();
    }
    eprintln!("{name}: {:?}\n{}", p.stage(), p.notes().join("\n"));
    p
}

#[test]
fn replays_nginx_rtmp() {
    let p = replay("nginx-rtmp-1.2.2", &[]);
    assert!(p.is_live());
    assert_eq!(p.stream_id(), 1);
    // The recording runs to the end of the publication: nginx's answer to our goodbye.
    assert!(
        p.notes()
            .iter()
            .any(|n| n.contains("NetStream.Unpublish.Success"))
    );
}

#[test]
fn replays_ffmpeg_listener_with_its_bare_on_fc_publish() {
    let p = replay("ffmpeg-5.1-listen", &[]);
    assert!(p.is_live());
    // A bare name, no transaction id (this was a protocol error and a reconnect loop).
    assert!(
        p.notes().iter().any(|n| n == "`onFCPublish`"),
        "{:?}",
        p.notes()
    );
    assert!(p.notes().iter().any(|n| n.starts_with("`onBWDone`")));
    assert!(p.notes().iter().any(|n| n == "StreamBegin"));
}

#[test]
fn replays_node_media_server() {
    let p = replay("node-media-server-2.7.4", &[]);
    assert!(p.is_live());
    assert!(
        p.notes()
            .iter()
            .any(|n| n.contains("NetStream.Unpublish.Success"))
    );
}

#[test]
fn every_recording_replays_to_live_in_any_split() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/rtmp");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_none_or(|x| x != "rtmp") {
            continue;
        }
        let file = std::fs::read(&path).unwrap();
        let all: Vec<u8> = segments(&file).concat();
        for step in [1, 7, 128, all.len()] {
            let url: RtmpUrl = "rtmp://127.0.0.1:1935/live/interop-key".parse().unwrap();
            let mut p = Publisher::new(&url, &[]).unwrap();
            for piece in all.chunks(step) {
                p.feed(piece).unwrap();
            }
            assert!(p.is_live(), "{} in pieces of {step}", path.display());
        }
        n += 1;
    }
    assert!(n >= 3, "recordings in {}: {n}", dir.display());
}

/// The fuzz target's entry point on its seed corpus and on random bytes (the fuzz run itself is
/// `scripts/fuzz-rtmp.sh`).
#[cfg(feature = "fuzzing")]
#[test]
fn the_fuzz_entry_takes_its_corpus_and_garbage() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/rtmp_session");
    let mut seeds = 0;
    for e in std::fs::read_dir(&corpus).unwrap() {
        let data = std::fs::read(e.unwrap().path()).unwrap();
        super::fuzzing::rtmp_session(&data);
        // Every prefix and every single flipped byte of a real conversation.
        for cut in 0..data.len() {
            super::fuzzing::rtmp_session(&data[..cut]);
            let mut flipped = data.clone();
            flipped[cut] ^= 0x5a;
            super::fuzzing::rtmp_session(&flipped);
        }
        seeds += 1;
    }
    assert!(seeds >= 3, "{seeds} seeds in {}", corpus.display());
    let mut rng = 0x853c_49e6_748f_ea9b_u64;
    for _ in 0..3000 {
        let len = (rng % 700) as usize;
        let bytes = crate::output::rtmp::noise(&mut rng, len);
        super::fuzzing::rtmp_session(&bytes);
    }
}
