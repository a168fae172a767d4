//! Where `rtmps://` outputs get the certificates they trust. This is the one place the rule
//! lives; the command line, the server and the bindings only pass a CA file path through.
//!
//! 1. The system's trust store, found as OpenSSL finds it (`rustls-native-certs`): the
//!    distribution's bundle (`/etc/ssl/certs/…`) on Linux, the keychain on macOS, the
//!    certificate store on Windows. When [`SSL_CERT_FILE`] and/or [`SSL_CERT_DIR`] are set, the
//!    certificates there are used **instead**, as OpenSSL, curl and ffmpeg do.
//! 2. If that gives no certificate at all (a bare container without `ca-certificates`), the
//!    Mozilla roots built into streamcomp (`webpki-roots`), so public servers still work.
//! 3. Plus the CA file given explicitly ([`RtmpOptions::ca_file`](super::RtmpOptions::ca_file):
//!    `--ca-file` on the command line, [`RTMP_CA_FILE`] for the server, `ca_file` in the
//!    bindings' stream options): PEM (one or more certificates) or DER. A file that cannot be
//!    read or holds no certificate is an error when the output starts.
//! 4. Plus [`RtmpOptions::extra_root_certs`](super::RtmpOptions::extra_root_certs) (DER), for
//!    library callers.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// OpenSSL's variable naming a PEM file of trusted certificates (replaces the system store).
pub const SSL_CERT_FILE: &str = "SSL_CERT_FILE";
/// OpenSSL's variable naming folders (`:`-separated) of trusted certificates (replaces the
/// system store).
pub const SSL_CERT_DIR: &str = "SSL_CERT_DIR";
/// The server's variable for a CA file to trust besides the others (a private CA).
pub const RTMP_CA_FILE: &str = "RTMP_CA_FILE";

/// The trusted roots and where they came from, in words.
pub(crate) struct Trust {
    pub(crate) roots: RootCertStore,
    pub(crate) sources: String,
}

/// Builds the trust of the [module docs](self), reading the environment through `env`.
pub(crate) fn trust(
    ca_file: Option<&Path>,
    extra: &[Vec<u8>],
    env: impl Fn(&str) -> Option<OsString>,
) -> Result<Trust, String> {
    let mut roots = RootCertStore::empty();
    let mut sources = Vec::new();
    let file = env(SSL_CERT_FILE)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    let dirs: Vec<PathBuf> = env(SSL_CERT_DIR)
        .map(|v| {
            std::env::split_paths(&v)
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default();
    if file.is_some() || !dirs.is_empty() {
        let mut found = Vec::new();
        if let Some(f) = &file {
            let r = rustls_native_certs::load_certs_from_paths(Some(f), None);
            if let Some(e) = r.errors.first() {
                return Err(format!("{SSL_CERT_FILE}={}: {e}", f.display()));
            }
            found.extend(r.certs);
        }
        for d in &dirs {
            let r = rustls_native_certs::load_certs_from_paths(None, Some(d));
            if let Some(e) = r.errors.first() {
                return Err(format!("{SSL_CERT_DIR} {}: {e}", d.display()));
            }
            found.extend(r.certs);
        }
        let (added, _) = roots.add_parsable_certificates(found);
        let names: Vec<String> = file
            .iter()
            .map(|f| format!("{SSL_CERT_FILE}={}", f.display()))
            .chain(
                dirs.iter()
                    .map(|d| format!("{SSL_CERT_DIR} {}", d.display())),
            )
            .collect();
        sources.push(format!("{} ({added} certificates)", names.join(", ")));
    } else {
        // Errors here are single unreadable files of the system store: the rest still counts.
        let r = rustls_native_certs::load_native_certs();
        let (added, _) = roots.add_parsable_certificates(r.certs);
        if added > 0 {
            sources.push(format!("the system store ({added} certificates)"));
        }
    }
    if roots.is_empty() {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        sources.push(format!(
            "Mozilla's roots built in ({} certificates; the system has none)",
            roots.len()
        ));
    }
    if let Some(path) = ca_file {
        let certs = read_ca_file(path)?;
        let n = certs.len();
        for (i, c) in certs.into_iter().enumerate() {
            roots.add(c).map_err(|e| {
                format!(
                    "the CA file {}: certificate #{} is not usable: {e}",
                    path.display(),
                    i + 1
                )
            })?;
        }
        sources.push(format!("the CA file {} ({n})", path.display()));
    }
    for (i, der) in extra.iter().enumerate() {
        roots
            .add(CertificateDer::from(der.clone()))
            .map_err(|e| format!("extra trusted certificate #{i} is not usable: {e}"))?;
    }
    if !extra.is_empty() {
        sources.push(format!("{} extra certificates", extra.len()));
    }
    Ok(Trust {
        roots,
        sources: sources.join(" + "),
    })
}

/// Reads a CA file as [`RtmpOptions::ca_file`](super::RtmpOptions::ca_file) is read: PEM with
/// one or more certificates, or one DER certificate. Returns how many it holds; an error (one
/// line naming the file) when it cannot be read or holds none. For front ends that check their
/// settings at start.
pub fn check_ca_file(path: &Path) -> Result<usize, String> {
    read_ca_file(path).map(|c| c.len())
}

fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let bytes = std::fs::read(path)
        .map_err(|e| format!("cannot read the CA file {}: {e}", path.display()))?;
    let pem: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&bytes)
        .filter_map(Result::ok)
        .collect();
    if !pem.is_empty() {
        return Ok(pem);
    }
    // A DER certificate starts with a SEQUENCE tag.
    if bytes.first() == Some(&0x30) {
        return Ok(vec![CertificateDer::from(bytes)]);
    }
    Err(format!(
        "the CA file {} holds no certificate (PEM `-----BEGIN CERTIFICATE-----` or DER)",
        path.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<OsString> {
        None
    }

    #[test]
    fn system_or_mozilla_roots_without_settings() {
        let t = trust(None, &[], no_env).unwrap();
        assert!(t.roots.len() > 50, "{}", t.sources);
        assert!(
            t.sources.starts_with("the system store") || t.sources.starts_with("Mozilla"),
            "{}",
            t.sources
        );
    }

    #[test]
    fn ssl_cert_file_replaces_the_system_store_and_bad_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        // One certificate of Mozilla's roots, written as PEM, as the only trusted one.
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "no certificates here\n").unwrap();
        let env = |name: &str| (name == SSL_CERT_FILE).then(|| empty.clone().into_os_string());
        let t = trust(None, &[], env).unwrap();
        // No certificate in SSL_CERT_FILE: Mozilla's roots, and it says so.
        assert!(t.sources.contains("SSL_CERT_FILE="), "{}", t.sources);
        assert!(t.sources.contains("Mozilla"), "{}", t.sources);
        let missing = dir.path().join("missing.pem");
        let env = |name: &str| (name == SSL_CERT_FILE).then(|| missing.clone().into_os_string());
        let err = trust(None, &[], env).err().unwrap();
        assert!(err.starts_with("SSL_CERT_FILE="), "{err}");
        // A CA file that is not one.
        let err = trust(Some(&empty), &[], no_env).err().unwrap();
        assert!(err.contains("holds no certificate"), "{err}");
        let err = check_ca_file(&missing).unwrap_err();
        assert!(err.contains("cannot read the CA file"), "{err}");
    }
}
