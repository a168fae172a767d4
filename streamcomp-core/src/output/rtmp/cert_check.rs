//! Certificate checks that say which certificate failed and why: rustls's WebPKI verifier,
//! wrapped so that a refused server certificate becomes one sentence with its subject, its
//! issuer, the reason in plain words and what was trusted (e.g. `the server's certificate
//! "CN=127.0.0.1" (issued by "CN=streamcomp test CA") is not signed by a trusted certificate
//! authority; trusted: the system store (146 certificates)`).

use std::fmt;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error, OtherError, SignatureScheme};

use super::trust::Trust;

/// A refused server certificate, described (the `OtherError` inside rustls's error).
#[derive(Debug)]
pub(crate) struct Refused(pub(crate) String);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// WebPKI verification that describes its refusals.
#[derive(Debug)]
pub(crate) struct NamingVerifier {
    inner: Arc<WebPkiServerVerifier>,
    sources: String,
}

impl NamingVerifier {
    pub(crate) fn new(
        trust: Trust,
        provider: Arc<CryptoProvider>,
    ) -> Result<NamingVerifier, String> {
        let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(trust.roots), provider)
            .build()
            .map_err(|e| format!("TLS setup failed: {e}"))?;
        Ok(NamingVerifier {
            inner,
            sources: trust.sources,
        })
    }
}

impl ServerCertVerifier for NamingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map_err(|e| match e {
                Error::InvalidCertificate(ce) => {
                    let text = describe(end_entity, &ce, &self.sources);
                    Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(
                        Refused(text),
                    ))))
                }
                other => other,
            })
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// The sentence for a refused certificate.
fn describe(cert: &CertificateDer<'_>, e: &CertificateError, sources: &str) -> String {
    let (subject, issuer) = names(cert).unwrap_or_else(|| ("?".into(), "?".into()));
    let self_signed = subject == issuer;
    let who = if self_signed {
        format!("the server's self-signed certificate \"{subject}\"")
    } else {
        format!("the server's certificate \"{subject}\" (issued by \"{issuer}\")")
    };
    let hint = "trust its CA with --ca-file, RTMP_CA_FILE or SSL_CERT_FILE";
    let why = match e {
        CertificateError::UnknownIssuer => {
            let what = if self_signed {
                "is not among the trusted certificates"
            } else {
                "is not signed by a trusted certificate authority"
            };
            return format!("{who} {what}; trusted: {sources}; {hint}");
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            format!("has expired ({e})")
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            format!("is not valid yet ({e})")
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            format!("is for another server: {e}")
        }
        CertificateError::BadSignature => "has a bad signature".into(),
        CertificateError::Revoked => "is revoked".into(),
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            format!("is not for TLS servers ({e})")
        }
        CertificateError::Other(o) if o.0.to_string().contains("CaUsedAsEndEntity") => {
            "is a CA certificate (basicConstraints CA:TRUE) used as a server's own: sign a \
             server certificate with that CA, or make the self-signed one with CA:FALSE"
                .into()
        }
        other => format!("is refused: {other}"),
    };
    format!("{who} {why}")
}

/// `(subject, issuer)` of a DER certificate, as `CN=…, O=…`.
pub(crate) fn names(cert: &[u8]) -> Option<(String, String)> {
    let (_, cert_body, _) = der(cert)?; // Certificate
    let (_, tbs, _) = der(cert_body)?; // TBSCertificate
    let mut rest = tbs;
    let mut fields = Vec::new();
    while let Some((tag, body, next)) = der(rest) {
        fields.push((tag, body));
        rest = next;
    }
    // [0] version is optional; then serial, signature, issuer, validity, subject.
    let skip = usize::from(fields.first()?.0 == 0xa0);
    let issuer = fields.get(skip + 2)?.1;
    let subject = fields.get(skip + 4)?.1;
    Some((name(subject), name(issuer)))
}

/// One DER TLV: `(tag, contents, rest)`.
fn der(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *b.first()?;
    let first = *b.get(1)?;
    let (len, start) = if first < 0x80 {
        (first as usize, 2)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | *b.get(2 + i)? as usize;
        }
        (len, 2 + n)
    };
    let end = start.checked_add(len)?;
    Some((tag, b.get(start..end)?, b.get(end..)?))
}

/// An X.501 Name (SEQUENCE of SET of attribute) as `CN=…, O=…`.
fn name(mut seq: &[u8]) -> String {
    let mut parts = Vec::new();
    while let Some((_, set, next)) = der(seq) {
        seq = next;
        let Some((_, attr, _)) = der(set) else {
            continue;
        };
        let Some((_, oid, after)) = der(attr) else {
            continue;
        };
        let Some((_, value, _)) = der(after) else {
            continue;
        };
        let key = match oid {
            [0x55, 0x04, 0x03] => "CN",
            [0x55, 0x04, 0x06] => "C",
            [0x55, 0x04, 0x07] => "L",
            [0x55, 0x04, 0x08] => "ST",
            [0x55, 0x04, 0x0a] => "O",
            [0x55, 0x04, 0x0b] => "OU",
            _ => continue,
        };
        parts.push(format!("{key}={}", String::from_utf8_lossy(value)));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_garbage_are_none_never_a_panic() {
        // Real certificates are named in tests/rtmp.rs (made by the openssl program).
        assert_eq!(names(&[0x30, 0x03, 0x30, 0x01, 0x00]), None);
        assert_eq!(names(&[]), None);
        assert_eq!(names(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
        let mut rng = 7u64;
        for _ in 0..2000 {
            let len = (rng % 80) as usize;
            let bytes = crate::output::rtmp::noise(&mut rng, len);
            let _ = names(&bytes);
        }
    }
}
