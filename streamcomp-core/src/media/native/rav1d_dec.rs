//! AV1 decoding with rav1d (the Rust port of dav1d, with dav1d's assembly): a
//! [`VideoDecoder`] that feeds temporal units in decode order and returns 8-bit I420 pictures,
//! each with the presentation time of the unit that showed it (rav1d carries it through).
//!
//! Two decoding threads and a frame delay of two, never one: with a single frame context,
//! rav1d 1.1.0 answers any broken frame with a panic inside its `extern "C"` API, which aborts
//! the process (memorysafety/rav1d#1497; our fuzzer found it on its first run). With two, the
//! same input is an error. The picture size limit is passed to rav1d, so a sequence header that
//! claims 16384×16384 fails before anything is allocated.
//! Every call into rav1d is guarded: a panic in it is this file's decode error, and the
//! context is opened again before the next packet.

// rav1d's API is dav1d's C API (raw pointers): every call is an `unsafe` block with its reason.
#![allow(unsafe_code)]

use std::ptr::NonNull;

use rav1d::include::dav1d::data::Dav1dData;
use rav1d::include::dav1d::dav1d::{Dav1dContext, Dav1dSettings};
use rav1d::include::dav1d::headers::DAV1D_PIXEL_LAYOUT_I420;
use rav1d::include::dav1d::picture::Dav1dPicture;
use rav1d::src::lib as dav1d;

use super::guarded;
use crate::frame::YuvFrame;
use crate::limits::Limits;
use crate::media::{DecodedFrame, MediaError, Packet, TrackKind, VideoDecoder};

/// rav1d's "try again": feed more data or take pictures first.
const EAGAIN: i32 = -(libc::EAGAIN);

/// rav1d behind [`VideoDecoder`].
pub(crate) struct Rav1dDecoder {
    /// `None` after a panic inside rav1d (opened again on the next packet).
    ctx: Option<Dav1dContext>,
    /// The file's name, for errors.
    name: String,
    limits: Limits,
}

// SAFETY: the context is an `Arc` of rav1d's `Rav1dContext`, which is `Send + Sync`; this
// decoder uses it from one thread at a time.
unsafe impl Send for Rav1dDecoder {}

/// Opens a rav1d context: two threads, frame delay two, pictures up to the limit in pixels.
fn open_ctx(name: &str, limits: &Limits) -> Result<Dav1dContext, MediaError> {
    let mut settings = std::mem::MaybeUninit::<Dav1dSettings>::uninit();
    let mut ctx: Option<Dav1dContext> = None;
    let pixels = u32::try_from(limits.max_video_pixels)
        .unwrap_or(u32::MAX)
        .max(1);
    let r = guarded(|| {
        // SAFETY: `settings` is valid to write; `dav1d_default_settings` initialises it whole.
        unsafe { dav1d::dav1d_default_settings(NonNull::from(&mut settings).cast()) };
        // SAFETY: initialised just above.
        let s = unsafe { settings.assume_init_mut() };
        s.n_threads = 2;
        s.max_frame_delay = 2;
        s.frame_size_limit = pixels;
        // SAFETY: `ctx` is valid to write an `Option<Dav1dContext>` to; `s` is initialised.
        unsafe { dav1d::dav1d_open(Some(NonNull::from(&mut ctx)), Some(NonNull::from(s))) }
    })
    .map_err(|()| MediaError::decode(name, "rav1d panicked opening a decoder"))?;
    match (r.0, ctx) {
        (0, Some(c)) => Ok(c),
        (code, _) => Err(MediaError::decode(
            name,
            format!("rav1d cannot open a decoder (error {code})"),
        )),
    }
}

impl Rav1dDecoder {
    /// A decoder for the file `name`, checking every picture's size against `limits`.
    pub(crate) fn new(name: &str, limits: &Limits) -> Result<Rav1dDecoder, MediaError> {
        Ok(Rav1dDecoder {
            ctx: Some(open_ctx(name, limits)?),
            name: name.to_string(),
            limits: limits.clone(),
        })
    }

    /// The context, opened again if a panic closed it.
    fn ctx(&mut self) -> Result<Dav1dContext, MediaError> {
        if self.ctx.is_none() {
            self.ctx = Some(open_ctx(&self.name, &self.limits)?);
        }
        // A context handle is a plain pointer (`Copy`): no reference is taken.
        Ok(self.ctx.expect("opened just above"))
    }

    /// A rav1d failure as this file's decode error; after a panic the context is dropped
    /// (leaked: its state is unknown) and opened again on the next call.
    fn fail(&mut self, what: &str, panicked: bool) -> MediaError {
        if panicked {
            self.ctx = None;
        }
        MediaError::decode(&self.name, format!("rav1d: {what}"))
    }

    /// Takes every picture rav1d has ready into `out`.
    fn drain(&mut self, out: &mut Vec<DecodedFrame>) -> Result<(), MediaError> {
        let ctx = self.ctx()?;
        loop {
            let mut pic = Dav1dPicture::default();
            let r = guarded(|| {
                // SAFETY: `ctx` is open; `pic` is valid to write a picture to.
                unsafe { dav1d::dav1d_get_picture(Some(ctx), Some(NonNull::from(&mut pic))) }
            })
            .map_err(|()| self.fail("panicked taking a picture", true))?;
            match r.0 {
                0 => {
                    let copied = copy_picture(&pic, &self.name, &self.limits);
                    let pts = pic.m.timestamp;
                    // SAFETY: `pic` was filled by `dav1d_get_picture` and is released once.
                    let _ = guarded(|| unsafe {
                        dav1d::dav1d_picture_unref(Some(NonNull::from(&mut pic)))
                    });
                    out.push(DecodedFrame {
                        pts,
                        picture: copied?,
                    });
                }
                EAGAIN => return Ok(()),
                code => return Err(self.fail(&format!("decoding failed (error {code})"), false)),
            }
        }
    }
}

/// Copies a rav1d picture into a [`YuvFrame`]: 8-bit 4:2:0 only, size checked first.
fn copy_picture(p: &Dav1dPicture, name: &str, limits: &Limits) -> Result<YuvFrame, MediaError> {
    if p.p.bpc != 8 || p.p.layout != DAV1D_PIXEL_LAYOUT_I420 {
        return Err(MediaError::unsupported(
            name,
            format!(
                "AV1 pictures of {} bits in layout {} need the ffmpeg backend",
                p.p.bpc, p.p.layout
            ),
        ));
    }
    let (w, h) = (p.p.w, p.p.h);
    let (Ok(w), Ok(h)) = (usize::try_from(w), usize::try_from(h)) else {
        return Err(MediaError::decode(
            name,
            "rav1d gave a picture of negative size",
        ));
    };
    if w == 0 || h == 0 {
        return Err(MediaError::decode(name, "rav1d gave an empty picture"));
    }
    limits
        .check_video_size(w as u64, h as u64)
        .map_err(|d| MediaError::too_large(name, d))?;
    let (Ok(sy), Ok(sc)) = (usize::try_from(p.stride[0]), usize::try_from(p.stride[1])) else {
        return Err(MediaError::decode(
            name,
            "rav1d gave a picture with negative strides",
        ));
    };
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    if sy < w || sc < cw {
        return Err(MediaError::decode(
            name,
            "rav1d gave strides shorter than a row",
        ));
    }
    let [Some(y), Some(u), Some(v)] = p.data else {
        return Err(MediaError::decode(
            name,
            "rav1d gave a picture without planes",
        ));
    };
    let mut frame = YuvFrame::new(w as u32, h as u32);
    let (dy, du, dv) = frame.planes_mut();
    // SAFETY: rav1d's 8-bit I420 planes hold `h` rows of `stride[0]` bytes (luma) and `ch`
    // rows of `stride[1]` bytes (chroma), the last row at least `w`/`cw` long; they live until
    // the picture is released, after this copy.
    unsafe {
        copy_plane(y.cast(), sy, dy, w, h);
        copy_plane(u.cast(), sc, du, cw, ch);
        copy_plane(v.cast(), sc, dv, cw, ch);
    }
    Ok(frame)
}

/// Copies `rows` rows of `width` bytes from a plane at `src` with `stride` bytes a row.
///
/// # Safety
/// `src` must point at `rows` readable rows as described.
unsafe fn copy_plane(src: NonNull<u8>, stride: usize, dst: &mut [u8], width: usize, rows: usize) {
    for (r, out) in dst.chunks_exact_mut(width).take(rows).enumerate() {
        // SAFETY: row `r` starts `r * stride` bytes in and has `width` bytes (caller).
        let row = unsafe { std::slice::from_raw_parts(src.as_ptr().add(r * stride), width) };
        out.copy_from_slice(row);
    }
}

impl VideoDecoder for Rav1dDecoder {
    fn decode(&mut self, packet: &Packet, out: &mut Vec<DecodedFrame>) -> Result<(), MediaError> {
        if packet.track != TrackKind::Video || packet.data.is_empty() {
            return Ok(());
        }
        let ctx = self.ctx()?;
        let mut data = Dav1dData::default();
        let copied = guarded(|| {
            // SAFETY: `data` is valid to write; the buffer returned has `len` bytes.
            let buf = unsafe {
                dav1d::dav1d_data_create(Some(NonNull::from(&mut data)), packet.data.len())
            };
            if buf.is_null() {
                return false;
            }
            // SAFETY: `buf` has room for the packet, and does not overlap it.
            unsafe { std::ptr::copy_nonoverlapping(packet.data.as_ptr(), buf, packet.data.len()) };
            true
        });
        match copied {
            Ok(true) => {}
            Ok(false) => return Err(self.fail("out of memory for a packet", false)),
            Err(()) => return Err(self.fail("panicked taking a packet", true)),
        }
        data.m.timestamp = packet.pts;
        // Feed until rav1d has taken the whole unit, taking pictures whenever it asks.
        let result = loop {
            let r = guarded(|| {
                // SAFETY: `ctx` is open; `data` was made by `dav1d_data_create`.
                unsafe { dav1d::dav1d_send_data(Some(ctx), Some(NonNull::from(&mut data))) }
            });
            let r = match r {
                Ok(r) => r.0,
                Err(()) => break Err(self.fail("panicked decoding a packet", true)),
            };
            match r {
                0 if data.sz == 0 => break self.drain(out),
                0 => {}
                EAGAIN => {
                    if let Err(e) = self.drain(out) {
                        break Err(e);
                    }
                }
                code => break Err(self.fail(&format!("broken packet (error {code})"), false)),
            }
        };
        if data.sz > 0 {
            // SAFETY: `data` still holds its buffer; released once.
            let _ = guarded(|| unsafe { dav1d::dav1d_data_unref(Some(NonNull::from(&mut data))) });
        }
        result
    }

    fn flush(&mut self, out: &mut Vec<DecodedFrame>) -> Result<(), MediaError> {
        // Asked with no new data, rav1d hands out the pictures still in flight.
        self.drain(out)
    }

    fn reset(&mut self) -> Result<(), MediaError> {
        if let Some(ctx) = self.ctx {
            // SAFETY: `ctx` is open.
            if guarded(|| unsafe { dav1d::dav1d_flush(ctx) }).is_err() {
                self.ctx = None;
            }
        }
        Ok(())
    }
}

impl Drop for Rav1dDecoder {
    fn drop(&mut self) {
        if let Some(ctx) = self.ctx.take() {
            let mut c = Some(ctx);
            // SAFETY: `c` holds the open context; `dav1d_close` closes it and writes `None`.
            let _ = guarded(|| unsafe { dav1d::dav1d_close(Some(NonNull::from(&mut c))) });
        }
    }
}
