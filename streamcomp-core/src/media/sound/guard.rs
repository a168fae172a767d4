//! Running symphonia's and opus-rs's code on untrusted bytes: a panic inside them becomes
//! [`MediaError::Malformed`] instead of taking the process down.

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::media::MediaError;

/// Runs `f`; a panic in it is a malformed-file error about `name` (`what` says which step).
pub(super) fn guarded<T>(
    name: &str,
    what: &str,
    f: impl FnOnce() -> Result<T, MediaError>,
) -> Result<T, MediaError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(_) => Err(MediaError::malformed(
            name,
            format!("the sound {what} failed on malformed data"),
        )),
    }
}
