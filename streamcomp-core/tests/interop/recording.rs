//! Recording a server's side of the conversation for the replay tests and the fuzz corpus.
//!
//! With `STREAMCOMP_RECORD_RTMP=1` in the environment, an interop test publishes through a
//! relay that keeps what the server sends (each read as one segment, up to 256 KiB) and, when
//! the test is done, writes it without the 3073 handshake bytes (S0, S1, S2) to
//! `tests/data/rtmp/NAME.rtmp` (the format is in that folder's README) and, as plain bytes, to
//! `fuzz/corpus/rtmp_session/NAME`. Without it, tests talk to the server directly.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread;

/// The server's handshake: S0 (1 byte), S1 and S2 (1536 bytes each).
const HANDSHAKE: usize = 1 + 1536 + 1536;
/// Bytes recorded at most.
const MAX_RECORDED: usize = 256 << 10;

/// Whether this run records (`STREAMCOMP_RECORD_RTMP=1`).
pub(crate) fn recording() -> bool {
    std::env::var_os("STREAMCOMP_RECORD_RTMP").is_some_and(|v| v == "1")
}

/// A relay from a free port to `upstream` that records what the server sends on the first
/// connection.
pub(crate) struct Recorder {
    pub(crate) port: u16,
    segments: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl Recorder {
    pub(crate) fn start(upstream: u16) -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let segments = Arc::new(Mutex::new(Vec::new()));
        let log = segments.clone();
        thread::spawn(move || {
            for (n, client) in listener.incoming().flatten().enumerate() {
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    continue;
                };
                let (mut c_in, mut s_out) =
                    (client.try_clone().unwrap(), server.try_clone().unwrap());
                thread::spawn(move || {
                    let _ = std::io::copy(&mut c_in, &mut s_out);
                    let _ = s_out.shutdown(std::net::Shutdown::Write);
                });
                let (mut s_in, mut c_out) = (server, client);
                let log = log.clone();
                thread::spawn(move || {
                    let mut buf = [0u8; 16384];
                    let mut total = 0;
                    while let Ok(k) = s_in.read(&mut buf) {
                        if k == 0 || c_out.write_all(&buf[..k]).is_err() {
                            break;
                        }
                        if n == 0 && total < MAX_RECORDED {
                            total += k;
                            log.lock().unwrap().push(buf[..k].to_vec());
                        }
                    }
                    let _ = c_out.shutdown(std::net::Shutdown::Write);
                });
            }
        });
        Recorder { port, segments }
    }

    /// Writes the recording as `name` (see the module docs); `about` goes in its header.
    pub(crate) fn save(&self, name: &str, about: &str) {
        let segments = self.segments.lock().unwrap().clone();
        let mut skip = HANDSHAKE;
        let mut after = Vec::new();
        for s in segments {
            if skip >= s.len() {
                skip -= s.len();
                continue;
            }
            after.push(s[skip..].to_vec());
            skip = 0;
        }
        assert!(!after.is_empty(), "nothing recorded after the handshake");
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut file = format!("streamcomp-rtmp-recording 1\n{about}\n\n").into_bytes();
        for s in &after {
            file.extend_from_slice(&(s.len() as u32).to_be_bytes());
            file.extend_from_slice(s);
        }
        let data = root.join("tests/data/rtmp");
        std::fs::create_dir_all(&data).unwrap();
        std::fs::write(data.join(format!("{name}.rtmp")), file).unwrap();
        let corpus = root.join("../fuzz/corpus/rtmp_session");
        std::fs::create_dir_all(&corpus).unwrap();
        std::fs::write(corpus.join(name), after.concat()).unwrap();
        eprintln!("recorded {name}: {} segments", after.len());
    }
}
