//! [`Muxer`]: the one interface every file container is written through. A muxer turns a
//! stream into bytes and knows nothing of files: the file output writes what it appends, and
//! at the end writes its [`Patch`]es over the header (a frame count, a duration).

use crate::encode::Packet;
use crate::frame::YuvFrame;
use crate::output::OutputError;

/// Bytes to write over what a muxer appended earlier, once the stream is finished.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Patch {
    /// Offset from the start of the muxer's output.
    pub(crate) at: u64,
    /// The new bytes.
    pub(crate) bytes: Vec<u8>,
}

/// A container writer. Every method appends to `out`, which the caller writes as it is.
pub(crate) trait Muxer: Send {
    /// The start of the file, before any packet or frame.
    fn header(&mut self, out: &mut Vec<u8>) -> Result<(), OutputError>;

    /// One packet (tracks interleaved, in time order). Containers of raw video ignore packets.
    fn packet(&mut self, p: &Packet, out: &mut Vec<u8>) -> Result<(), OutputError>;

    /// One raw frame: what containers of raw video (Y4M) take instead of packets.
    fn frame(&mut self, _frame: &YuvFrame, _out: &mut Vec<u8>) -> Result<(), OutputError> {
        Err(OutputError::Unsupported(
            "raw frames go to .y4m files only".into(),
        ))
    }

    /// Ends the piece being written (an HLS segment) so that the next packet, a key frame,
    /// starts a new one that plays on its own: appends what the muxer still holds of it.
    /// Default: a muxer that holds nothing back.
    fn cut(&mut self, _out: &mut Vec<u8>) -> Result<(), OutputError> {
        Ok(())
    }

    /// The initialisation segment, kept apart from the media (fMP4 HLS), once it is known.
    /// Default: none (the header is in the stream).
    fn init_segment(&self) -> Option<&[u8]> {
        None
    }

    /// The end of the file; returns what to write over earlier bytes.
    fn finish(&mut self, out: &mut Vec<u8>) -> Result<Vec<Patch>, OutputError>;
}
