//! ADTS headers (ISO/IEC 13818-7 §6.2, 14496-3 §1.A.2): how AAC travels in MPEG-TS. Each raw
//! access unit gets a 7-byte header made from the stream's AudioSpecificConfig.

use crate::output::OutputError;

/// What the ADTS header repeats of the AudioSpecificConfig.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Adts {
    /// Audio object type minus one (1 = AAC-LC).
    profile: u8,
    /// Sampling frequency index.
    rate_index: u8,
    /// Channel configuration.
    channels: u8,
}

impl Adts {
    /// From an AudioSpecificConfig (its first two bytes: 5 bits object type, 4 bits rate
    /// index, 4 bits channel configuration).
    pub(crate) fn from_config(asc: &[u8]) -> Result<Adts, OutputError> {
        let [a, b, ..] = asc else {
            return Err(OutputError::Mux(format!(
                "AAC: the AudioSpecificConfig has {} bytes, at least 2 are needed",
                asc.len()
            )));
        };
        let object = a >> 3;
        let rate_index = ((a & 7) << 1) | (b >> 7);
        let channels = (b >> 3) & 0x0f;
        if !(1..=4).contains(&object) || rate_index > 12 || !(1..=7).contains(&channels) {
            return Err(OutputError::Mux(format!(
                "AAC: ADTS cannot carry object type {object}, rate index {rate_index}, channel configuration {channels}"
            )));
        }
        Ok(Adts {
            profile: object - 1,
            rate_index,
            channels,
        })
    }

    /// Appends the header of a frame whose raw payload has `len` bytes.
    pub(crate) fn header(&self, len: usize, out: &mut Vec<u8>) -> Result<(), OutputError> {
        let total = len + 7;
        if total > 0x1fff {
            return Err(OutputError::Mux(format!(
                "AAC: a frame of {len} bytes is too long for ADTS"
            )));
        }
        out.extend([
            0xff,
            0xf1, // MPEG-4, layer 0, no CRC
            (self.profile << 6) | (self.rate_index << 2) | (self.channels >> 2),
            ((self.channels & 3) << 6) | (total >> 11) as u8,
            (total >> 3) as u8,
            ((total as u8 & 7) << 5) | 0x1f, // buffer fullness 0x7FF (variable rate)
            0xfc,                            // ... and one raw data block
        ]);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_of_48k_stereo_lc() {
        // AAC-LC, 48 kHz (index 3), stereo: 0x11 0x90.
        let adts = Adts::from_config(&[0x11, 0x90]).unwrap();
        let mut h = Vec::new();
        adts.header(100, &mut h).unwrap();
        assert_eq!(h, [0xff, 0xf1, 0x4c, 0x80, 0x0d, 0x7f, 0xfc]);
        let len = (usize::from(h[3] & 3) << 11) | (usize::from(h[4]) << 3) | usize::from(h[5] >> 5);
        assert_eq!(len, 107);
        assert!(Adts::from_config(&[0x11]).is_err());
        assert!(Adts::from_config(&[0xf8, 0x00]).is_err());
        assert!(adts.header(9000, &mut h).is_err());
    }
}
