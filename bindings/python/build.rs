//! Links the extension module with `-Bsymbolic` on Linux: rav1d's assembly (AV1 decoding)
//! refers to Rust statics with PC-relative relocations, which a shared library may only hold
//! when its own symbols bind locally.

fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-Bsymbolic");
    }
}
