//! Loaders refuse hostile input quickly and without big allocations: decompression bombs,
//! endless animations, truncated files, oversized files, and paths escaping the assets folder.

// `Limits` is `#[non_exhaustive]`: callers outside the crate change fields of a default.
#![allow(clippy::field_reassign_with_default)]

use std::time::Instant;

use streamcomp_core::{AssetError, AssetResolver, DecodedImage, Limits};

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
}

/// A PNG whose header claims `w`×`h` RGBA pixels, with a tiny (invalid) body.
fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A GIF whose logical screen and single frame claim 65535×65535 pixels.
fn gif_claiming_huge() -> Vec<u8> {
    let mut g = b"GIF89a".to_vec();
    g.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00]);
    g.extend_from_slice(&[0x2c, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x80]);
    g.extend_from_slice(&[0, 0, 0, 255, 255, 255]); // 2-colour local table
    g.extend_from_slice(&[0x02, 0x02, 0x44, 0x01, 0x00, 0x3b]);
    g
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

#[test]
fn decompression_bombs_are_refused_fast_and_small() {
    let before = peak_rss_kib();
    let start = Instant::now();
    for (name, bytes) in [
        ("png", png_claiming(60_000, 60_000)),
        ("gif", gif_claiming_huge()),
    ] {
        let err = DecodedImage::decode(&bytes, name, &Limits::default()).unwrap_err();
        assert!(matches!(err, AssetError::TooLarge { .. }), "{name}: {err}");
        assert!(err.to_string().contains("too large"), "{name}: {err}");
    }
    assert!(
        start.elapsed().as_secs_f64() < 1.0,
        "took {:?}",
        start.elapsed()
    );
    let grown_mib = (peak_rss_kib().saturating_sub(before)) / 1024;
    assert!(grown_mib < 100, "peak memory grew by {grown_mib} MiB");
}

#[test]
fn truncated_and_garbage_images_are_decode_errors() {
    let mut png = png_claiming(4, 4);
    png.truncate(30);
    for bytes in [png, b"GIF89a".to_vec(), vec![0u8; 100]] {
        let err = DecodedImage::decode(&bytes, "x", &Limits::default()).unwrap_err();
        assert!(matches!(err, AssetError::Decode { .. }), "{err}");
    }
}

#[test]
fn animations_are_capped_by_frames_and_bytes() {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/golden/assets/ring.png"
    ))
    .unwrap();
    let ok = DecodedImage::decode(&bytes, "ring", &Limits::default()).unwrap();
    assert_eq!(ok.frames.len(), 24);
    let mut few = Limits::default();
    few.max_anim_frames = 10;
    assert!(matches!(
        DecodedImage::decode(&bytes, "ring", &few),
        Err(AssetError::TooLarge { .. })
    ));
    let mut small = Limits::default();
    small.max_anim_bytes = 120 * 120 * 4 * 5;
    assert!(matches!(
        DecodedImage::decode(&bytes, "ring", &small),
        Err(AssetError::TooLarge { .. })
    ));
}

#[test]
fn files_over_the_size_limit_are_not_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big.png"), vec![0u8; 4096]).unwrap();
    let mut limits = Limits::default();
    limits.max_file_bytes = 1000;
    let assets = AssetResolver::new(dir.path()).with_limits(limits);
    let err = assets.read_file("big.png", None).unwrap_err();
    assert!(
        err.to_string().contains("4096 bytes, the limit is 1000"),
        "{err}"
    );
}

#[test]
fn confined_paths_cannot_escape() {
    let root = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.png"), b"x").unwrap();
    std::fs::write(root.path().join("ok.png"), b"x").unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.png"),
        root.path().join("link.png"),
    )
    .unwrap();
    let assets = AssetResolver::confined(root.path());
    assert!(assets.resolve_path("ok.png", None).is_ok());
    for bad in [
        "../secret.png",
        "/etc/passwd",
        "sub/../../x.png",
        "link.png",
    ] {
        let err = assets.resolve_path(bad, None).unwrap_err();
        assert!(
            matches!(err, AssetError::OutsideRoot { .. }),
            "{bad}: {err}"
        );
    }
    // A scene's own folder does not widen a confined resolver.
    assert!(
        assets
            .resolve_path("secret.png", Some(outside.path()))
            .is_err()
    );
    // Unconfined (command line): relative to the scene folder.
    let free = AssetResolver::new(root.path());
    assert!(
        free.resolve_path("secret.png", Some(outside.path()))
            .is_ok()
    );
}
