//! The RTMP chunk stream from the peer (a server our publisher talks to, or a publisher our
//! ingest listener serves), reassembled into messages: the four chunk header types, extended
//! timestamps, chunk streams interleaved with each other, the chunk size the peer sets at any
//! time and `Abort`. Sans-IO: bytes in, messages out.
//!
//! Strict only where a mistake would leave the byte stream unreadable (a header that refers to
//! a chunk stream never opened) or where memory is at stake: a message is at most
//! [`MAX_MESSAGE`] bytes (or the limit given to [`ChunkReader::with_limits`]), at most
//! [`MAX_STREAMS`] chunk streams are open and at most [`MAX_PENDING`] bytes wait in unfinished
//! messages. Never panics.

use std::collections::HashMap;

/// Largest message the server may send us (its 3-byte length field allows 16 MiB).
pub(crate) const MAX_MESSAGE: usize = 4 << 20;
/// Bytes that may wait in unfinished messages and unparsed input together.
pub(crate) const MAX_PENDING: usize = 8 << 20;
/// Chunk streams the server may use.
pub(crate) const MAX_STREAMS: usize = 64;
/// The chunk size every RTMP peer starts with.
const INITIAL_CHUNK: usize = 128;

/// One message from the server.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Message {
    /// The message type (1 set chunk size, 4 user control, 20 AMF0 command, …).
    pub(crate) type_id: u8,
    /// The message stream it belongs to.
    pub(crate) stream_id: u32,
    /// Its timestamp (ms).
    pub(crate) timestamp: u32,
    /// Its payload.
    pub(crate) data: Vec<u8>,
}

/// What a chunk stream remembers for the compressed headers that follow.
#[derive(Default)]
struct ChunkStream {
    timestamp: u32,
    delta: u32,
    length: usize,
    type_id: u8,
    stream_id: u32,
    /// The last header had an extended timestamp (so type 3 chunks carry one too).
    extended: bool,
    /// The message being reassembled.
    partial: Vec<u8>,
}

/// Reassembles the peer's chunks into [`Message`]s.
pub(crate) struct ChunkReader {
    input: Vec<u8>,
    chunk_size: usize,
    streams: HashMap<u32, ChunkStream>,
    max_message: usize,
    max_pending: usize,
}

impl Default for ChunkReader {
    fn default() -> ChunkReader {
        ChunkReader::with_limits(MAX_MESSAGE, MAX_PENDING)
    }
}

impl ChunkReader {
    /// A reader taking messages of up to `max_message` bytes, with at most `max_pending` bytes
    /// waiting in unfinished messages and unparsed input.
    pub(crate) fn with_limits(max_message: usize, max_pending: usize) -> ChunkReader {
        ChunkReader {
            input: Vec::new(),
            chunk_size: INITIAL_CHUNK,
            streams: HashMap::new(),
            max_message,
            max_pending,
        }
    }

    /// Adds received bytes.
    pub(crate) fn push(&mut self, data: &[u8]) -> Result<(), String> {
        if self.pending() + data.len() > self.max_pending {
            return Err(format!(
                "the peer sent more than {} MiB that do not make a message",
                self.max_pending >> 20
            ));
        }
        self.input.extend_from_slice(data);
        Ok(())
    }

    /// The chunk size the server now sends with (from its `SetChunkSize`).
    pub(crate) fn set_chunk_size(&mut self, size: usize) {
        self.chunk_size = size.max(1);
    }

    /// Drops the unfinished message of `csid` (the server's `Abort`).
    pub(crate) fn abort(&mut self, csid: u32) {
        if let Some(s) = self.streams.get_mut(&csid) {
            s.partial = Vec::new();
        }
    }

    fn pending(&self) -> usize {
        self.input.len()
            + self
                .streams
                .values()
                .map(|s| s.partial.len())
                .sum::<usize>()
    }

    /// The next complete message, `None` until more bytes arrive.
    pub(crate) fn next_message(&mut self) -> Result<Option<Message>, String> {
        let mut consumed = 0;
        let result = loop {
            match self.chunk(consumed) {
                Ok(Some((used, msg))) => {
                    consumed += used;
                    if msg.is_some() {
                        break Ok(msg);
                    }
                }
                Ok(None) => break Ok(None),
                Err(e) => break Err(e),
            }
        };
        self.input.drain(..consumed.min(self.input.len()));
        result
    }

    /// Parses one chunk at `at`: `None` if it is not all there yet, else the bytes it took and
    /// the message it completed, if any.
    #[allow(clippy::type_complexity)]
    fn chunk(&mut self, at: usize) -> Result<Option<(usize, Option<Message>)>, String> {
        let b = &self.input[at..];
        let Some(&first) = b.first() else {
            return Ok(None);
        };
        let fmt = first >> 6;
        let (csid, mut p) = match first & 0x3f {
            0 => match b.get(1) {
                Some(&x) => (64 + x as u32, 2),
                None => return Ok(None),
            },
            1 => match (b.get(1), b.get(2)) {
                (Some(&x), Some(&y)) => (64 + x as u32 + 256 * y as u32, 3),
                _ => return Ok(None),
            },
            n => (n as u32, 1),
        };
        let header_len = [11, 7, 3, 0][fmt as usize];
        if b.len() < p + header_len {
            return Ok(None);
        }
        let h = &b[p..p + header_len];
        p += header_len;
        let u24 = |x: &[u8]| (x[0] as u32) << 16 | (x[1] as u32) << 8 | x[2] as u32;
        if fmt != 0 && !self.streams.contains_key(&csid) {
            return Err(format!(
                "a type {fmt} chunk header on chunk stream {csid}, which has no previous header"
            ));
        }
        if fmt == 0 && !self.streams.contains_key(&csid) && self.streams.len() >= MAX_STREAMS {
            return Err(format!(
                "the peer opened more than {MAX_STREAMS} chunk streams"
            ));
        }
        let field = if fmt < 3 { u24(&h[0..3]) } else { 0 };
        let extended = if fmt < 3 {
            field == 0xff_ffff
        } else {
            self.streams.get(&csid).is_some_and(|s| s.extended)
        };
        let ext_value = if extended {
            let Some(x) = b.get(p..p + 4) else {
                return Ok(None);
            };
            p += 4;
            Some(u32::from_be_bytes([x[0], x[1], x[2], x[3]]))
        } else {
            None
        };
        // How much payload this chunk carries, known before touching any state.
        let s = self.streams.entry(csid).or_default();
        let (length, starts) = match fmt {
            0 | 1 => (u24(&h[3..6]) as usize, true),
            2 => (s.length, true),
            _ => (s.length, s.partial.is_empty()),
        };
        if length > self.max_message {
            return Err(format!("a {length} byte message from the peer"));
        }
        let have = if starts { 0 } else { s.partial.len() };
        let size = (length - have.min(length)).min(self.chunk_size);
        if b.len() < p + size {
            return Ok(None);
        }
        // The whole chunk is there: update the stream.
        if starts {
            // A new header drops whatever the stream had not finished.
            s.partial.clear();
        }
        match fmt {
            0 => {
                s.timestamp = ext_value.unwrap_or(field);
                s.delta = 0;
                s.length = length;
                s.type_id = h[6];
                s.stream_id = u32::from_le_bytes([h[7], h[8], h[9], h[10]]);
            }
            1 | 2 => {
                let delta = ext_value.unwrap_or(field);
                s.delta = delta;
                s.timestamp = s.timestamp.wrapping_add(delta);
                if fmt == 1 {
                    s.length = length;
                    s.type_id = h[6];
                }
            }
            _ if starts => s.timestamp = s.timestamp.wrapping_add(s.delta),
            _ => {}
        }
        if fmt < 3 {
            s.extended = extended;
        }
        s.partial.extend_from_slice(&b[p..p + size]);
        p += size;
        let msg = (s.partial.len() >= s.length).then(|| Message {
            type_id: s.type_id,
            stream_id: s.stream_id,
            timestamp: s.timestamp,
            data: std::mem::take(&mut s.partial),
        });
        Ok(Some((p, msg)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use rml_rtmp::chunk_io::ChunkSerializer;
    use rml_rtmp::messages::MessagePayload;
    use rml_rtmp::time::RtmpTimestamp;

    fn payload(type_id: u8, ts: u32, len: usize) -> MessagePayload {
        MessagePayload {
            timestamp: RtmpTimestamp::new(ts),
            type_id,
            message_stream_id: 1,
            data: Bytes::from((0..len).map(|i| i as u8).collect::<Vec<u8>>()),
        }
    }

    fn all(r: &mut ChunkReader) -> Vec<Message> {
        let mut out = Vec::new();
        while let Some(m) = r.next_message().unwrap() {
            out.push(m);
        }
        out
    }

    #[test]
    fn reads_what_rml_rtmp_writes_byte_by_byte() {
        let mut ser = ChunkSerializer::new();
        let mut wire = Vec::new();
        let sent = [
            payload(20, 0, 300),
            payload(9, 40, 1000),
            payload(9, 80, 10),
            payload(8, 0x0100_0000, 500), // an extended timestamp
            payload(8, 0x0100_0010, 500),
        ];
        for m in &sent {
            wire.extend(ser.serialize(m, false, false).unwrap().bytes);
        }
        let mut r = ChunkReader::default();
        let mut got = Vec::new();
        for b in &wire {
            r.push(std::slice::from_ref(b)).unwrap();
            got.extend(all(&mut r));
        }
        assert_eq!(got.len(), sent.len());
        for (g, s) in got.iter().zip(&sent) {
            assert_eq!(g.type_id, s.type_id);
            assert_eq!(g.timestamp, s.timestamp.value);
            assert_eq!(g.data, s.data.to_vec());
        }
    }

    #[test]
    fn interleaved_chunk_streams_and_a_new_chunk_size() {
        // Message A (csid 4, 200 bytes) split in two chunks of 128 with a whole message B
        // (csid 3) between them; then the chunk size goes to 256.
        let mut wire = vec![0x04, 0, 0, 1, 0, 0, 200, 9, 1, 0, 0, 0];
        wire.extend(std::iter::repeat_n(0xaa, 128));
        wire.extend([0x03, 0, 0, 0, 0, 0, 2, 20, 0, 0, 0, 0, 0x55, 0x66]);
        wire.push(0xc4);
        wire.extend(std::iter::repeat_n(0xbb, 72));
        let mut r = ChunkReader::default();
        r.push(&wire).unwrap();
        let got = all(&mut r);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].data, [0x55, 0x66]);
        assert_eq!(got[1].data.len(), 200);
        assert_eq!(got[1].timestamp, 1);
        r.set_chunk_size(256);
        let mut wire = vec![0x44, 0, 0, 5, 0, 1, 44, 9]; // type 1: delta 5, 300 bytes
        wire.extend(std::iter::repeat_n(1, 256));
        wire.push(0xc4);
        wire.extend(std::iter::repeat_n(2, 44));
        r.push(&wire).unwrap();
        let got = all(&mut r);
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].timestamp, got[0].data.len()), (6, 300));
    }

    #[test]
    fn aborted_messages_and_bad_headers() {
        let mut r = ChunkReader::default();
        let mut wire = vec![0x05, 0, 0, 0, 0, 1, 0, 9, 0, 0, 0, 0];
        wire.extend(std::iter::repeat_n(0, 128)); // half of a 256 byte message
        r.push(&wire).unwrap();
        assert_eq!(r.next_message().unwrap(), None);
        r.abort(5);
        r.push(&[0xc5]).unwrap(); // a type 3 chunk now starts a fresh message
        r.push(&[7; 128]).unwrap();
        assert_eq!(r.next_message().unwrap(), None);
        let mut r = ChunkReader::default();
        r.push(&[0x46, 0, 0, 0, 0, 0, 10, 20]).unwrap();
        assert!(r.next_message().unwrap_err().contains("no previous header"));
        let mut r = ChunkReader::default();
        r.push(&[0x02, 0, 0, 0, 0xff, 0xff, 0xff, 1, 0, 0, 0, 0])
            .unwrap();
        assert!(r.next_message().unwrap_err().contains("byte message"));
    }

    #[test]
    fn garbage_never_panics() {
        let mut rng = 0x2545_f491_u64;
        for _ in 0..3000 {
            let mut r = ChunkReader::default();
            r.set_chunk_size(1 + (rng % 300) as usize);
            let len = (rng % 400) as usize;
            let bytes = crate::output::rtmp::noise(&mut rng, len);
            if r.push(&bytes).is_ok() {
                while let Ok(Some(_)) = r.next_message() {}
            }
        }
    }
}
