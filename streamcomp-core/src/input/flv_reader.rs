//! Reads an FLV byte stream as it comes (an `ffmpeg` puller's pipe): the 9-byte header, then
//! tag after tag with a size limit checked before anything is allocated. Only audio (8) and
//! video (9) tags are returned; script data and unknown tags are skipped.

use std::io::{self, Read};

/// The largest tag body accepted (a 4K key frame fits easily).
pub(crate) const MAX_TAG: usize = 8 << 20;

/// One audio or video tag.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct FlvTag {
    /// Video (true) or audio.
    pub(crate) video: bool,
    /// Timestamp, ms (32 bits with the extension byte).
    pub(crate) ts_ms: u32,
    /// The body.
    pub(crate) body: Vec<u8>,
}

/// A reader of an FLV stream.
pub(crate) struct FlvReader<R> {
    r: R,
    header_read: bool,
}

fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

impl<R: Read> FlvReader<R> {
    /// A reader of `r`, which starts with the FLV header.
    pub(crate) fn new(r: R) -> FlvReader<R> {
        FlvReader {
            r,
            header_read: false,
        }
    }

    /// The next audio or video tag; `None` at a clean end of the stream.
    pub(crate) fn next_tag(&mut self) -> io::Result<Option<FlvTag>> {
        if !self.header_read {
            let mut h = [0u8; 9];
            if !read_or_end(&mut self.r, &mut h)? {
                return Ok(None);
            }
            if &h[..3] != b"FLV" {
                return Err(bad("not an FLV stream"));
            }
            let offset = u32::from_be_bytes([h[5], h[6], h[7], h[8]]) as usize;
            if !(9..=1024).contains(&offset) {
                return Err(bad(format!("FLV header of {offset} bytes")));
            }
            skip(&mut self.r, offset - 9)?;
            self.header_read = true;
        }
        loop {
            // PreviousTagSize, then the tag header.
            let mut h = [0u8; 15];
            if !read_or_end(&mut self.r, &mut h)? {
                return Ok(None);
            }
            let kind = h[4] & 0x1f;
            if h[4] & 0x20 != 0 {
                return Err(bad("an encrypted FLV tag"));
            }
            let size = u32::from_be_bytes([0, h[5], h[6], h[7]]) as usize;
            let ts_ms = (u32::from(h[11]) << 24) | u32::from_be_bytes([0, h[8], h[9], h[10]]);
            if size > MAX_TAG {
                return Err(bad(format!(
                    "an FLV tag of {size} bytes (at most {MAX_TAG})"
                )));
            }
            if kind != 8 && kind != 9 {
                skip(&mut self.r, size)?;
                continue;
            }
            let mut body = vec![0u8; size];
            self.r.read_exact(&mut body)?;
            return Ok(Some(FlvTag {
                video: kind == 9,
                ts_ms,
                body,
            }));
        }
    }
}

/// Fills `buf`; false when the stream ended before its first byte.
fn read_or_end(r: &mut impl Read, buf: &mut [u8]) -> io::Result<bool> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) if got == 0 => return Ok(false),
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

fn skip(r: &mut impl Read, n: usize) -> io::Result<()> {
    let copied = io::copy(&mut r.take(n as u64), &mut io::sink())?;
    if copied < n as u64 {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(kind: u8, ts: u32, body: &[u8]) -> Vec<u8> {
        let mut v = vec![0, 0, 0, 0, kind];
        v.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        v.extend_from_slice(&ts.to_be_bytes()[1..]);
        v.push((ts >> 24) as u8);
        v.extend_from_slice(&[0, 0, 0]);
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn reads_tags_and_skips_script_data() {
        let mut s = b"FLV\x01\x05\x00\x00\x00\x09".to_vec();
        s.extend(tag(18, 0, b"onMetaData"));
        s.extend(tag(9, 0x0102_0304, &[0x17, 0]));
        s.extend(tag(8, 5, &[0xaf, 1, 2]));
        let mut r = FlvReader::new(&s[..]);
        let t = r.next_tag().unwrap().unwrap();
        assert!(t.video);
        assert_eq!(t.ts_ms, 0x0102_0304);
        let t = r.next_tag().unwrap().unwrap();
        assert!(!t.video);
        assert_eq!(t.body, vec![0xaf, 1, 2]);
        assert!(r.next_tag().unwrap().is_none());
    }

    #[test]
    fn refuses_garbage_without_allocating_it() {
        assert!(FlvReader::new(&b"GIF89a...."[..]).next_tag().is_err());
        let mut s = b"FLV\x01\x05\x00\x00\x00\x09".to_vec();
        s.extend_from_slice(&[0, 0, 0, 0, 9, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0]);
        let e = FlvReader::new(&s[..]).next_tag().unwrap_err();
        assert!(e.to_string().contains("16777215 bytes"), "{e}");
        // Cut short in a tag: an error, not a panic.
        let mut s = b"FLV\x01\x05\x00\x00\x00\x09".to_vec();
        s.extend(tag(9, 0, &[1, 2, 3, 4]));
        s.truncate(s.len() - 2);
        assert!(FlvReader::new(&s[..]).next_tag().is_err());
        // Every prefix of a good stream and random bytes: never a panic.
        let mut good = b"FLV\x01\x05\x00\x00\x00\x09".to_vec();
        good.extend(tag(9, 1, &[0x17, 1, 0, 0, 0]));
        for n in 0..good.len() {
            let mut r = FlvReader::new(&good[..n]);
            while let Ok(Some(_)) = r.next_tag() {}
        }
        let mut seed = 3u64;
        for _ in 0..200 {
            let junk = crate::output::rtmp::noise(&mut seed, 64);
            let mut r = FlvReader::new(&junk[..]);
            while let Ok(Some(_)) = r.next_tag() {}
        }
    }
}
