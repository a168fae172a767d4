//! `FramePool`: frames are reused instead of allocated, so the steady state allocates nothing.

use std::sync::Mutex;

use super::Frame;

/// A bounded stack of spare frames of one size.
#[derive(Debug)]
pub struct FramePool {
    width: u32,
    height: u32,
    max_spare: usize,
    spare: Mutex<Vec<Frame>>,
}

impl FramePool {
    /// A pool of `width`×`height` frames keeping at most `max_spare` spares.
    pub fn new(width: u32, height: u32, max_spare: usize) -> FramePool {
        FramePool {
            width,
            height,
            max_spare,
            spare: Mutex::new(Vec::new()),
        }
    }

    /// A frame from the pool (contents unspecified), or a new one when none is spare.
    pub fn get(&self) -> Frame {
        self.spare
            .lock()
            .expect("frame pool lock")
            .pop()
            .unwrap_or_else(|| Frame::new(self.width, self.height))
    }

    /// Returns a frame for reuse (dropped when the pool is full or the size differs).
    pub fn put(&self, frame: Frame) {
        if frame.width() != self.width || frame.height() != self.height {
            return;
        }
        let mut spare = self.spare.lock().expect("frame pool lock");
        if spare.len() < self.max_spare {
            spare.push(frame);
        }
    }

    /// Spare frames held now.
    pub fn spare(&self) -> usize {
        self.spare.lock().expect("frame pool lock").len()
    }
}
