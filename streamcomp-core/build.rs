//! Build check: openh264's build quietly falls back to its C code (2.5× slower) when the `nasm`
//! assembler is missing. We refuse to build that way unless asked to, so a slow encoder never
//! ships by accident. Install it with `apt-get install nasm`, or set `STREAMCOMP_ALLOW_NO_NASM=1`
//! to build the slow path on purpose.

fn main() {
    // Not `rerun-if-env-changed=PATH`: maturin runs cargo with the virtualenv's folder first in
    // PATH, so every binding build would rerun this and recompile the core and everything above
    // it, and the next plain `cargo test` would do so again. A build that succeeded had nasm.
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=STREAMCOMP_ALLOW_NO_NASM");
    let has_nasm = std::process::Command::new("nasm")
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_nasm && std::env::var_os("STREAMCOMP_ALLOW_NO_NASM").is_none() {
        panic!(
            "the `nasm` assembler is not installed: openh264 would silently build without its \
             assembly and encode 2.5x slower (and rav1e cannot build without it). Install it \
             (`apt-get install nasm`, or run `scripts/streamcomp`, which installs it), or set \
             STREAMCOMP_ALLOW_NO_NASM=1 to accept the slow build."
        );
    }
}
