//! A video packet's payload as FLV and MP4 carry it, made once per packet and shared by every
//! output it goes to: H.264 as AVCC (4-byte lengths, without parameter sets and delimiters),
//! AV1 without temporal delimiters, behind the 5-byte FLV video tag header. FLV files and the
//! RTMP publisher send the whole as a tag body; MP4 stores what follows the header.

use bytes::Bytes;

use super::{flv, obu, to_avcc};
use crate::encode::{Packet, VideoCodec};

/// Length of the FLV video tag header in front of the samples (legacy AVC and Enhanced FLV
/// alike).
pub(crate) const FLV_VIDEO_HEADER: usize = 5;

/// The FLV video tag body of `p`, a packet of a `codec` stream: the header, then its samples.
pub(crate) fn flv_video_body(p: &Packet, codec: VideoCodec) -> Bytes {
    p.framed
        .get_or_init(|| {
            let mut b = Vec::with_capacity(p.data.len() + FLV_VIDEO_HEADER);
            if codec == VideoCodec::Av1 {
                b.extend(flv::ex_video_header(
                    p.key,
                    flv::PACKET_CODED_FRAMES,
                    flv::FOURCC_AV1,
                ));
                obu::strip_temporal_delimiters(&p.data, &mut b);
            } else {
                b.extend([if p.key { 0x17 } else { 0x27 }, 1, 0, 0, 0]);
                to_avcc(&p.data, &mut b);
            }
            Bytes::from(b)
        })
        .clone()
}

/// The samples of `p` as MP4 stores them: the FLV body without its header (no copy).
pub(crate) fn video_samples(p: &Packet, codec: VideoCodec) -> Bytes {
    flv_video_body(p, codec).slice(FLV_VIDEO_HEADER..)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::Track;

    #[test]
    fn converted_once_and_shared_by_clones() {
        let au = vec![0, 0, 0, 1, 0x67, 1, 0, 0, 1, 0x65, 9, 9];
        let p = Packet::new(Track::Video, au, 0, true);
        let copy = p.clone();
        let body = flv_video_body(&p, VideoCodec::H264);
        assert_eq!(&body[..], [0x17, 1, 0, 0, 0, 0, 0, 0, 3, 0x65, 9, 9]);
        let samples = video_samples(&copy, VideoCodec::H264);
        assert_eq!(&samples[..], [0, 0, 0, 3, 0x65, 9, 9]);
        assert_eq!(samples.as_ptr(), body[FLV_VIDEO_HEADER..].as_ptr());
    }
}
