//! Entry points of the `rtmp_ingest` fuzz target (feature `fuzzing`; not API): the RTMP
//! listener's parsers (the handshake, our ingest session's chunks and AMF commands) and the FLV
//! tag bodies an input decodes, on arbitrary bytes.

use rml_rtmp::handshake::{Handshake, HandshakeProcessResult, PeerType};

use super::session::{IngestSession, SessionEvent};
use crate::limits::Limits;
use crate::media::native::{VideoTag, parse_audio_tag, parse_avcc, parse_video_tag};

/// Feeds `data` to our listener's side of a connection: a client handshake (`rml_rtmp`) when
/// the first byte is odd, else (after that byte) the chunk stream of a publisher to an
/// [`IngestSession`] that accepts every publish, with each media message's FLV tag body parsed
/// as an input's decode thread does. Must never panic.
pub fn ingest_bytes(data: &[u8]) {
    if data.first().is_none_or(|b| b % 2 == 1) {
        let mut hs = Handshake::new(PeerType::Server);
        for chunk in data.chunks(512) {
            if !matches!(
                hs.process_bytes(chunk),
                Ok(HandshakeProcessResult::InProgress { .. })
            ) {
                break;
            }
        }
        return;
    }
    let Ok(mut session) = IngestSession::new() else {
        return;
    };
    let limits = Limits::default();
    for chunk in data[1..].chunks(700) {
        let Ok(events) = session.push(chunk) else {
            return;
        };
        for e in events {
            match e {
                SessionEvent::Publish { .. } => {
                    let _ = session.accept("ok");
                }
                SessionEvent::Media {
                    video: true, data, ..
                } => {
                    if let Ok(VideoTag::Config { record, .. }) = parse_video_tag(&data) {
                        let _ = parse_avcc(record, &limits);
                    }
                }
                SessionEvent::Media { data, .. } => {
                    let _ = parse_audio_tag(&data);
                }
                SessionEvent::Unpublish => return,
            }
        }
        let _ = session.take_output();
    }
}

/// Reads `data` as an FLV stream (an `ffmpeg` puller's pipe), every tag parsed as an input
/// would.
pub fn flv_stream(data: &[u8]) {
    let mut r = super::flv_reader::FlvReader::new(data);
    let limits = Limits::default();
    while let Ok(Some(t)) = r.next_tag() {
        if t.video {
            if let Ok(VideoTag::Config { record, .. }) = parse_video_tag(&t.body) {
                let _ = parse_avcc(record, &limits);
            }
        } else {
            let _ = parse_audio_tag(&t.body);
        }
    }
}
