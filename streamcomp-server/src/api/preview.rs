//! `GET /stream/preview.png` (the current frame, `?width=` scales it down) and
//! `GET /stream/preview.mjpeg` (a live `multipart/x-mixed-replace` JPEG stream, up to 10
//! frames a second, ending at shutdown).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::imageops::FilterType;
use image::{ExtendedColorType, ImageEncoder, RgbaImage};
use streamcomp_core::Frame;

use super::query_param;
use crate::error::ApiError;
use crate::state::AppState;

/// Time between MJPEG frames.
const MJPEG_INTERVAL: Duration = Duration::from_millis(100);
/// JPEG quality of the live preview.
const JPEG_QUALITY: u8 = 80;
const BOUNDARY: &str = "streamcomp-frame";

/// `GET /stream/preview.png`.
pub(crate) async fn png(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let width = width(q.as_deref())?;
    let frame = fresh_frame(&state).await?;
    let png = blocking(move || encode(&frame, width, Format::Png)).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        png,
    )
        .into_response())
}

/// `GET /stream/preview.mjpeg`.
pub(crate) async fn mjpeg(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let width = width(q.as_deref())?;
    fresh_frame(&state).await?;
    let parts = futures_util::stream::unfold(
        (state, None::<Arc<Frame>>),
        move |(state, last)| async move {
            loop {
                let mut shutdown = state.shutdown.clone();
                tokio::select! {
                    _ = tokio::time::sleep(MJPEG_INTERVAL) => {}
                    _ = shutdown.changed() => return None,
                }
                if *state.shutdown.borrow() {
                    return None;
                }
                let Some(frame) = state.handle().preview() else {
                    continue;
                };
                if last.as_ref().is_some_and(|l| Arc::ptr_eq(l, &frame)) {
                    continue;
                }
                let f = Arc::clone(&frame);
                let jpeg = blocking(move || encode(&f, width, Format::Jpeg))
                    .await
                    .ok()?;
                let mut part = format!(
                    "--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {}\r\n\r\n",
                    jpeg.len()
                )
                .into_bytes();
                part.extend_from_slice(&jpeg);
                part.extend_from_slice(b"\r\n");
                return Some((
                    Ok::<_, std::io::Error>(Bytes::from(part)),
                    (state, Some(frame)),
                ));
            }
        },
    );
    let ctype = format!("multipart/x-mixed-replace; boundary={BOUNDARY}");
    Ok((
        [
            (header::CONTENT_TYPE, ctype),
            (header::CACHE_CONTROL, "no-store".into()),
        ],
        Body::from_stream(parts),
    )
        .into_response())
}

fn width(q: Option<&str>) -> Result<Option<u32>, ApiError> {
    query_param(q, "width")
        .map(|w| {
            w.parse::<u32>()
                .ok()
                .filter(|w| (16..=7680).contains(w))
                .ok_or_else(|| ApiError::invalid("width", "must be an integer from 16 to 7680"))
        })
        .transpose()
}

/// The core refreshes its preview frame a few times a second while previews are asked for,
/// and stops when nobody asked for a while. After such a pause, ask and give it time to make
/// a new one, so the answer is the frame of now, not of the last request.
async fn fresh_frame(state: &AppState) -> Result<Arc<Frame>, ApiError> {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    static LAST_ASKED_MS: AtomicU64 = AtomicU64::new(0);
    let now = EPOCH.get_or_init(Instant::now).elapsed().as_millis() as u64 + 10_000;
    let before = LAST_ASKED_MS.swap(now, Ordering::Relaxed);
    let mut frame = state.handle().preview();
    if now.saturating_sub(before) > 3_000 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        frame = state.handle().preview();
    }
    for _ in 0..20 {
        if let Some(f) = frame {
            return Ok(f);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        frame = state.handle().preview();
    }
    Err(ApiError::unavailable("no frame composed yet; try again"))
}

#[derive(Clone, Copy)]
enum Format {
    Png,
    Jpeg,
}

fn encode(frame: &Frame, width: Option<u32>, format: Format) -> Result<Vec<u8>, ApiError> {
    let mut rgba = Vec::new();
    frame.to_straight_rgba(&mut rgba);
    let (w, h) = (frame.width(), frame.height());
    let mut img = RgbaImage::from_raw(w, h, rgba).expect("a frame holds w*h*4 bytes");
    if let Some(tw) = width.filter(|tw| *tw < w) {
        let th = ((h as u64 * tw as u64 + w as u64 / 2) / w as u64).max(1) as u32;
        img = image::imageops::resize(&img, tw, th, FilterType::Triangle);
    }
    let mut out = Vec::new();
    let (w, h) = img.dimensions();
    let r = match format {
        Format::Png => {
            PngEncoder::new(&mut out).write_image(img.as_raw(), w, h, ExtendedColorType::Rgba8)
        }
        Format::Jpeg => {
            let rgb = image::DynamicImage::ImageRgba8(img).to_rgb8();
            JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY).write_image(
                rgb.as_raw(),
                w,
                h,
                ExtendedColorType::Rgb8,
            )
        }
    };
    r.map_err(|e| ApiError::internal("encode", e.to_string()))?;
    Ok(out)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal("task", e.to_string()))?
}
