//! Entry points of the `rtmp_ingest` fuzz target (feature `fuzzing`; not API): the RTMP
//! listener's parsers (handshake, chunks, AMF commands through `rml_rtmp`'s server session) and
//! the FLV tag bodies an input decodes, on arbitrary bytes.

use rml_rtmp::handshake::{Handshake, HandshakeProcessResult, PeerType};
use rml_rtmp::sessions::{
    ServerSession, ServerSessionConfig, ServerSessionEvent, ServerSessionResult,
};

use crate::limits::Limits;
use crate::media::native::{VideoTag, parse_audio_tag, parse_avcc, parse_video_tag};

/// Feeds `data` to a server handshake and session as a peer would (split at `split`), accepting
/// every request, and parses every media message as an input would. Must never panic
/// outside the guarded session calls, and never allocate without bound.
pub fn ingest_bytes(data: &[u8]) {
    let guarded = |f: &mut dyn FnMut()| {
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    };
    // An odd first byte: the bytes are a client's handshake. Even: they go straight to a
    // session after a completed handshake, so the chunk and AMF parsers get most of the work.
    if data.first().is_none_or(|b| b % 2 == 1) {
        let mut hs = Handshake::new(PeerType::Server);
        for chunk in data.chunks(512) {
            let mut stop = false;
            guarded(&mut || {
                stop = !matches!(
                    hs.process_bytes(chunk),
                    Ok(HandshakeProcessResult::InProgress { .. })
                );
            });
            if stop {
                break;
            }
        }
        return;
    }
    let Ok((mut session, _)) = ServerSession::new(ServerSessionConfig::new()) else {
        return;
    };
    let limits = Limits::default();
    for chunk in data[1..].chunks(700) {
        let mut results = Vec::new();
        guarded(&mut || {
            if let Ok(r) = session.handle_input(chunk) {
                results = r;
            }
        });
        for r in results {
            let ServerSessionResult::RaisedEvent(e) = r else {
                continue;
            };
            match e {
                ServerSessionEvent::ConnectionRequested { request_id, .. }
                | ServerSessionEvent::PublishStreamRequested { request_id, .. } => {
                    guarded(&mut || {
                        let _ = session.accept_request(request_id);
                    });
                }
                ServerSessionEvent::VideoDataReceived { data, .. } => {
                    if let Ok(VideoTag::Config { record, .. }) = parse_video_tag(&data) {
                        let _ = parse_avcc(record, &limits);
                    }
                }
                ServerSessionEvent::AudioDataReceived { data, .. } => {
                    let _ = parse_audio_tag(&data);
                }
                _ => {}
            }
        }
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
