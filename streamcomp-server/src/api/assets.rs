//! `PUT /assets/{name}`: uploads an image or audio file into `ASSETS_DIR` (size-limited by the
//! router), written atomically (temporary file, fsync, rename), so a layer never reads half a
//! file. Names are plain file names with a known extension; images must look like one.

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::error::{ApiError, ApiPath, RawBody};
use crate::state::AppState;

/// Largest upload, bytes (also the router's body limit on this route).
pub(crate) const MAX_ASSET_BYTES: usize = 32 << 20;

const IMAGE_EXT: [&str; 6] = ["png", "apng", "jpg", "jpeg", "gif", "webp"];
const AUDIO_EXT: [&str; 4] = ["wav", "mp3", "flac", "ogg"];

/// Stores the body as `ASSETS_DIR/name`; 201 when new, 200 when it replaced a file.
pub(crate) async fn upload(
    State(state): State<AppState>,
    ApiPath(name): ApiPath,
    RawBody(body): RawBody,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    check_name(&name)?;
    if body.is_empty() {
        return Err(ApiError::invalid("", "the body is empty"));
    }
    let ext = name
        .rsplit('.')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if IMAGE_EXT.contains(&ext.as_str()) && image::guess_format(&body).is_err() {
        return Err(ApiError::invalid(
            "",
            format!("`{name}` is not a PNG, JPEG, GIF or WebP image"),
        ));
    }
    let len = body.len();
    let n = name.clone();
    let replaced = state
        .run(move |s| {
            let replaced = write_atomically(&s.config.assets_dir, &n, &body)
                .map_err(|e| ApiError::internal("io", format!("cannot store `{n}`: {e}")))?;
            s.assets.clear_cache();
            Ok(replaced)
        })
        .await?;
    let status = if replaced {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        Json(json!({"name": name, "src": name, "bytes": len, "replaced": replaced})),
    ))
}

/// A plain file name: 1 to 128 of `A-Z a-z 0-9 _ . -`, not starting with a dot, ending in an
/// image or audio extension.
fn check_name(name: &str) -> Result<(), ApiError> {
    let ok_chars = !name.is_empty()
        && name.len() <= 128
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
    if !ok_chars {
        return Err(ApiError::invalid(
            "name",
            "must be a file name of 1 to 128 characters A-Z a-z 0-9 _ . - (not starting with a dot)",
        ));
    }
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    if !ext.is_some_and(|e| IMAGE_EXT.contains(&e.as_str()) || AUDIO_EXT.contains(&e.as_str())) {
        return Err(ApiError::invalid(
            "name",
            format!(
                "must end in an image or audio extension: {}, {}",
                IMAGE_EXT.join(", "),
                AUDIO_EXT.join(", ")
            ),
        ));
    }
    Ok(())
}

/// Writes `dir/name` through a temporary file; returns whether a file was replaced.
fn write_atomically(dir: &Path, name: &str, data: &[u8]) -> std::io::Result<bool> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    fs::create_dir_all(dir)?;
    let target = dir.join(name);
    let tmp = dir.join(format!(
        ".upload-{}-{}.tmp",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let write = || -> std::io::Result<()> {
        let mut f = File::create(&tmp)?;
        f.write_all(data)?;
        f.sync_all()
    };
    if let Err(e) = write() {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    let replaced = target.exists();
    fs::rename(&tmp, &target)?;
    File::open(dir)?.sync_all()?;
    Ok(replaced)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["logo.png", "a_b-c.1.JPG", "beep.wav"] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            ".hidden.png",
            "../x.png",
            "a/b.png",
            "x.exe",
            "noext",
            "x y.png",
            "x%2f.png",
        ] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }
}
