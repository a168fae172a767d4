//! [`Fuel`]: a reader that fails once a budget of calls is spent. The third-party demuxers
//! (`re_mp4`, `matroska-demuxer`) can loop for ever on some malformed boxes or elements (a size
//! that makes them read the same header again); they read as they loop, so a budget of calls,
//! set before each call into them and proportional to what that call may honestly read, turns
//! such a loop into an error instead of a hang.

use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A reader with a budget of `read`/`seek` calls, shared with whoever refills it.
pub(crate) struct Fuel<R> {
    inner: R,
    left: Arc<AtomicU64>,
}

/// The error of a spent budget (`InvalidData`: the file's structure, not the disk).
pub(crate) fn spent() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, "structure loops")
}

impl<R> Fuel<R> {
    /// Wraps `inner`; the budget is refilled through the returned handle.
    pub(crate) fn new(inner: R, budget: u64) -> (Fuel<R>, Arc<AtomicU64>) {
        let left = Arc::new(AtomicU64::new(budget));
        (
            Fuel {
                inner,
                left: left.clone(),
            },
            left,
        )
    }

    /// Spends one call.
    fn spend(&self) -> std::io::Result<()> {
        self.left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .map(|_| ())
            .map_err(|_| spent())
    }
}

impl<R: Read> Read for Fuel<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.spend()?;
        self.inner.read(buf)
    }
}

impl<R: Seek> Seek for Fuel<R> {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.spend()?;
        self.inner.seek(pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fails_when_spent_and_refills() {
        let (mut f, left) = Fuel::new(std::io::Cursor::new(vec![1u8; 8]), 2);
        let mut b = [0u8; 2];
        assert!(f.read(&mut b).is_ok());
        assert!(f.seek(SeekFrom::Start(0)).is_ok());
        assert_eq!(
            f.read(&mut b).unwrap_err().kind(),
            std::io::ErrorKind::InvalidData
        );
        left.store(1, Ordering::Relaxed);
        assert!(f.read(&mut b).is_ok());
    }
}
