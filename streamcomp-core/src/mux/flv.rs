//! FLV: the file header, an `onMetaData` script tag, and audio/video tags for H.264 and AAC,
//! plus Enhanced FLV (E-RTMP v1) video tags for AV1 and Enhanced audio tags for Opus. The
//! pieces [`FlvStream`](super::FlvStream) puts together for files and the RTMP publisher.

use super::nal::avc_decoder_config;
use crate::encode::{AUDIO_RATE, AudioCodec, Packet, Track, VIDEO_TIMESCALE};

/// FLV tag types.
pub(crate) const TAG_AUDIO: u8 = 8;
pub(crate) const TAG_VIDEO: u8 = 9;
pub(crate) const TAG_SCRIPT: u8 = 18;

/// The 9-byte file header plus the first (zero) previous-tag size.
pub(crate) fn file_header(audio: bool) -> Vec<u8> {
    let flags = if audio { 0x05 } else { 0x01 };
    vec![b'F', b'L', b'V', 1, flags, 0, 0, 0, 9, 0, 0, 0, 0]
}

/// Appends a whole tag (header, body, previous-tag size) at `ms` to `t`.
pub(crate) fn tag(t: &mut Vec<u8>, kind: u8, ms: u32, body: &[u8]) {
    t.reserve(body.len() + 15);
    t.push(kind);
    t.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    t.extend_from_slice(&ms.to_be_bytes()[1..]);
    t.push((ms >> 24) as u8);
    t.extend_from_slice(&[0, 0, 0]);
    t.extend_from_slice(body);
    t.extend_from_slice(&(body.len() as u32 + 11).to_be_bytes());
}

fn amf_string(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u16).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// The `onMetaData` body (AMF0): name, then an ECMA array of numbers. Returns the body and the
/// offset of the `duration` value inside it (to patch at the end of a file).
pub(crate) fn metadata(entries: &[(&str, f64)]) -> (Vec<u8>, Option<usize>) {
    let mut b = vec![2];
    amf_string(&mut b, "onMetaData");
    b.push(8);
    b.extend_from_slice(&(entries.len() as u32).to_be_bytes());
    let mut duration_at = None;
    for (k, v) in entries {
        amf_string(&mut b, k);
        b.push(0);
        if *k == "duration" {
            duration_at = Some(b.len());
        }
        b.extend_from_slice(&v.to_be_bytes());
    }
    b.extend_from_slice(&[0, 0, 9]);
    (b, duration_at)
}

/// The AVC sequence header tag body (`0x17 0x00` + configuration record).
pub(crate) fn avc_sequence_header(sps: &[u8], pps: &[u8]) -> Vec<u8> {
    let mut b = vec![0x17, 0, 0, 0, 0];
    b.extend_from_slice(&avc_decoder_config(sps, pps));
    b
}

/// The AAC sequence header tag body (`0xAF 0x00` + AudioSpecificConfig).
pub(crate) fn aac_sequence_header(asc: &[u8]) -> Vec<u8> {
    let mut b = vec![0xaf, 0];
    b.extend_from_slice(asc);
    b
}

/// A packet's time in milliseconds.
pub(crate) fn packet_ms(p: &Packet) -> u32 {
    let rate = match p.track {
        Track::Video => VIDEO_TIMESCALE,
        Track::Audio => AUDIO_RATE,
    } as i64;
    (p.pts.max(0) * 1000 / rate) as u32
}

// Enhanced FLV / Enhanced RTMP v1 video tags (`0x80 | frameType << 4 | packetType`, then the
// codec FourCC). Used for AV1 in `.flv` files and by the RTMP publisher.

/// Enhanced video packet type: the codec configuration (for AV1 the
/// `AV1CodecConfigurationRecord`), sent before the first frame.
pub(crate) const PACKET_SEQUENCE_START: u8 = 0;
/// Enhanced video packet type: coded frames (for AV1 the OBUs of one temporal unit).
pub(crate) const PACKET_CODED_FRAMES: u8 = 1;
/// Enhanced video packet type: the end of the sequence.
pub(crate) const PACKET_SEQUENCE_END: u8 = 2;
/// The FourCC of AV1 in Enhanced FLV/RTMP.
pub(crate) const FOURCC_AV1: [u8; 4] = *b"av01";
/// `onMetaData` `videocodecid` of AV1: its FourCC read as a big-endian number.
pub(crate) const VIDEOCODECID_AV1: f64 = 0x6176_3031u32 as f64;
/// `onMetaData` `videocodecid` of H.264 (legacy AVC tags).
pub(crate) const VIDEOCODECID_AVC: f64 = 7.0;

/// The 5-byte ExVideoTagHeader: `0x80 | frameType << 4 | packetType` (frame type 1 for key
/// frames and sequence start/end, 2 for inter frames), then the FourCC.
pub(crate) fn ex_video_header(key: bool, packet_type: u8, fourcc: [u8; 4]) -> [u8; 5] {
    let frame_type: u8 = if key { 1 } else { 2 };
    let [a, b, c, d] = fourcc;
    [0x80 | (frame_type << 4) | (packet_type & 0x0f), a, b, c, d]
}

/// The AV1 SequenceStart tag body from the sequence header OBU of the first key frame (see
/// `obu::sequence_header`); `None` when that OBU does not parse.
pub(crate) fn av1_sequence_start(seq_header_obu: &[u8]) -> Option<Vec<u8>> {
    let record = super::obu::av1_config_record(seq_header_obu)?;
    let mut b = ex_video_header(true, PACKET_SEQUENCE_START, FOURCC_AV1).to_vec();
    b.extend_from_slice(&record);
    Some(b)
}

/// The AV1 SequenceEnd tag body (sent when a stream ends).
pub(crate) fn av1_sequence_end() -> Vec<u8> {
    ex_video_header(true, PACKET_SEQUENCE_END, FOURCC_AV1).to_vec()
}

// Enhanced FLV / Enhanced RTMP v2 audio tags: the ExAudioTagHeader byte `0x90 | packetType`
// (SoundFormat 9, "ExHeader", in the high nibble), then the codec FourCC. Used for Opus in
// `.flv` files and by the RTMP publisher. (Debian's FFmpeg 5.1 predates Enhanced FLV.)

/// SoundFormat 9: an Enhanced audio tag header follows.
pub(crate) const SOUND_FORMAT_EX_HEADER: u8 = 9;
/// Enhanced audio packet type: the codec configuration (for Opus the `OpusHead`).
pub(crate) const AUDIO_PACKET_SEQUENCE_START: u8 = 0;
/// Enhanced audio packet type: coded frames (for Opus one packet).
pub(crate) const AUDIO_PACKET_CODED_FRAMES: u8 = 1;

/// The FourCC of Opus in Enhanced FLV/RTMP.
pub(crate) const FOURCC_OPUS: [u8; 4] = *b"Opus";
/// `onMetaData` `audiocodecid` of Opus: its FourCC read as a big-endian number.
pub(crate) const AUDIOCODECID_OPUS: f64 = 0x4f70_7573u32 as f64;
/// `onMetaData` `audiocodecid` of AAC (legacy tags).
pub(crate) const AUDIOCODECID_AAC: f64 = 10.0;

/// The 5-byte ExAudioTagHeader: `0x90 | packetType`, then the FourCC.
pub(crate) fn ex_audio_header(packet_type: u8, fourcc: [u8; 4]) -> [u8; 5] {
    let [a, b, c, d] = fourcc;
    [
        (SOUND_FORMAT_EX_HEADER << 4) | (packet_type & 0x0f),
        a,
        b,
        c,
        d,
    ]
}

/// The Opus SequenceStart tag body: the header, then the 19-byte `OpusHead`.
pub(crate) fn opus_sequence_start(opus_head: &[u8]) -> Vec<u8> {
    let mut b = ex_audio_header(AUDIO_PACKET_SEQUENCE_START, FOURCC_OPUS).to_vec();
    b.extend_from_slice(opus_head);
    b
}

/// The Opus CodedFrames tag body of one packet.
pub(crate) fn opus_coded_frames(data: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(data.len() + 5);
    b.extend_from_slice(&ex_audio_header(AUDIO_PACKET_CODED_FRAMES, FOURCC_OPUS));
    b.extend_from_slice(data);
    b
}

/// The first audio tag body of a stream for `codec`: AAC's sequence header (`0xAF 0x00` +
/// AudioSpecificConfig) or Opus' SequenceStart (`OpusHead`).
pub(crate) fn audio_sequence_header(codec: AudioCodec, config: &[u8]) -> Vec<u8> {
    match codec {
        AudioCodec::Aac => aac_sequence_header(config),
        AudioCodec::Opus => opus_sequence_start(config),
    }
}

/// The tag body of an audio packet for `codec`: a raw AAC access unit or an Opus packet.
pub(crate) fn audio_body(codec: AudioCodec, data: &[u8]) -> Vec<u8> {
    match codec {
        AudioCodec::Aac => {
            let mut b = Vec::with_capacity(data.len() + 2);
            b.extend_from_slice(&[0xaf, 1]);
            b.extend_from_slice(data);
            b
        }
        AudioCodec::Opus => opus_coded_frames(data),
    }
}

/// The `onMetaData` `audiocodecid` of `codec`.
pub(crate) fn audio_codec_id(codec: AudioCodec) -> f64 {
    match codec {
        AudioCodec::Aac => AUDIOCODECID_AAC,
        AudioCodec::Opus => AUDIOCODECID_OPUS,
    }
}

#[cfg(test)]
mod audio_tests {
    use super::*;

    #[test]
    fn opus_tags_are_enhanced_audio() {
        let head = b"OpusHead\x01\x02\x38\x01\x80\xbb\0\0\0\0\0".to_vec();
        let seq = audio_sequence_header(AudioCodec::Opus, &head);
        assert_eq!(seq[0], 0x90);
        assert_eq!(&seq[1..5], b"Opus");
        assert_eq!(&seq[5..], &head[..]);
        let frame = audio_body(AudioCodec::Opus, &[0xfc, 1, 2]);
        assert_eq!(frame, [0x91, b'O', b'p', b'u', b's', 0xfc, 1, 2]);
        assert_eq!(audio_body(AudioCodec::Aac, &[7]), [0xaf, 1, 7]);
        assert_eq!(
            audio_sequence_header(AudioCodec::Aac, &[0x11, 0x90]),
            [0xaf, 0, 0x11, 0x90]
        );
        assert_eq!(audio_codec_id(AudioCodec::Opus), 1_332_770_163.0);
    }
}
