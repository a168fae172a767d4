//! `streamcomp-server`: the HTTP/WebSocket server over the core.
//!
//! Not built yet: the server is tracked as its own piece of work. Until it lands this binary
//! says so and exits with an error instead of pretending to serve.

fn main() {
    eprintln!(
        "streamcomp-server {}: the server is not built yet; use the `streamcomp` CLI (see README.md)",
        streamcomp_core::VERSION
    );
    std::process::exit(2);
}
