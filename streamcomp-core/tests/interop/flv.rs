//! Reading Enhanced FLV in the tests (Debian's FFmpeg 5.1 cannot): FLV tags, the AV1 frames and
//! Opus packets of Enhanced RTMP tags, and an IVF file of the AV1 frames for ffmpeg to decode.

/// One FLV tag: type (8 audio, 9 video, 18 data), timestamp in ms, body.
pub(crate) struct Tag {
    pub(crate) kind: u8,
    pub(crate) ms: u32,
    pub(crate) body: Vec<u8>,
}

/// The tags of an FLV byte stream, as far as it is complete.
pub(crate) fn tags(b: &[u8]) -> Vec<Tag> {
    assert!(
        b.starts_with(b"FLV"),
        "not FLV: {:?}",
        &b[..b.len().min(16)]
    );
    let mut at = u32::from_be_bytes([b[5], b[6], b[7], b[8]]) as usize + 4;
    let mut out = Vec::new();
    while at + 11 <= b.len() {
        let h = &b[at..at + 11];
        let size = (h[1] as usize) << 16 | (h[2] as usize) << 8 | h[3] as usize;
        let ms = (h[7] as u32) << 24 | (h[4] as u32) << 16 | (h[5] as u32) << 8 | h[6] as u32;
        let Some(body) = b.get(at + 11..at + 11 + size) else {
            break;
        };
        out.push(Tag {
            kind: h[0] & 0x1f,
            ms,
            body: body.to_vec(),
        });
        at += 11 + size + 4;
    }
    out
}

/// The OBUs of every AV1 frame tag, with its timestamp: Enhanced `av01` CodedFrames tags, or
/// the legacy-style codec id 13 tags (packet type 1, composition time) that Node-Media-Server
/// re-packs Enhanced AV1 into.
pub(crate) fn av1_frames(tags: &[Tag]) -> Vec<(u32, Vec<u8>)> {
    tags.iter()
        .filter(|t| t.kind == 9 && t.body.len() > 5)
        .filter(|t| {
            let b = &t.body;
            let enhanced = b[0] & 0x80 != 0 && b[0] & 0x0f == 1 && &b[1..5] == b"av01";
            let codec_13 = b[0] & 0x80 == 0 && b[0] & 0x0f == 13 && b[1] == 1;
            enhanced || codec_13
        })
        .map(|t| (t.ms, t.body[5..].to_vec()))
        .collect()
}

/// The payloads of every Enhanced `Opus` CodedFrames audio tag.
pub(crate) fn opus_frames(tags: &[Tag]) -> Vec<Vec<u8>> {
    tags.iter()
        .filter(|t| {
            t.kind == 8
                && t.body.len() > 5
                && t.body[0] >> 4 == 9
                && t.body[0] & 0x0f == 1
                && &t.body[1..5] == b"Opus"
        })
        .map(|t| t.body[5..].to_vec())
        .collect()
}

/// Whether an Opus SequenceStart tag carries an `OpusHead`.
pub(crate) fn has_opus_head(tags: &[Tag]) -> bool {
    tags.iter().any(|t| {
        t.kind == 8 && t.body.len() > 13 && t.body[0] == 0x90 && &t.body[1..13] == b"OpusOpusHead"
    })
}

/// An IVF file of AV1 frames (`w`x`h`, timestamps in ms).
pub(crate) fn ivf(frames: &[(u32, Vec<u8>)], w: u16, h: u16) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(b"DKIF");
    f.extend_from_slice(&0u16.to_le_bytes());
    f.extend_from_slice(&32u16.to_le_bytes());
    f.extend_from_slice(b"AV01");
    f.extend_from_slice(&w.to_le_bytes());
    f.extend_from_slice(&h.to_le_bytes());
    f.extend_from_slice(&1000u32.to_le_bytes());
    f.extend_from_slice(&1u32.to_le_bytes());
    f.extend_from_slice(&(frames.len() as u32).to_le_bytes());
    f.extend_from_slice(&0u32.to_le_bytes());
    for (ms, data) in frames {
        f.extend_from_slice(&(data.len() as u32).to_le_bytes());
        f.extend_from_slice(&u64::from(*ms).to_le_bytes());
        f.extend_from_slice(data);
    }
    f
}
