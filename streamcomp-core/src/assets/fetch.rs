//! Remote and inline sources: `data:` URIs and `http(s)` downloads from allow-listed hosts,
//! with size and time caps.

use crate::error::AssetError;
use crate::limits::Limits;

/// Which remote hosts image sources may come from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RemotePolicy {
    /// Host names allowed (exact, case-insensitive). Default: none, so no remote source.
    pub allowed_hosts: Vec<String>,
    /// Allow hosts that resolve to loopback, private or link-local addresses. Default: false.
    pub allow_private_addresses: bool,
}

/// The source as shown in messages: URLs lose their query string, data URIs their payload.
pub(crate) fn display_src(src: &str) -> String {
    if src.starts_with("data:") {
        let head: String = src.chars().take_while(|&c| c != ',').take(40).collect();
        format!("{head},…")
    } else if src.starts_with("http://") || src.starts_with("https://") {
        src.split(['?', '#']).next().unwrap_or(src).to_string()
    } else {
        src.to_string()
    }
}

/// Decodes a `data:` URI (base64 or percent-encoded).
pub(crate) fn decode_data_uri(src: &str, _max: u64) -> Result<Vec<u8>, AssetError> {
    Err(AssetError::Unsupported(format!(
        "{}: data: URIs are not supported yet",
        display_src(src)
    )))
}

/// Downloads an allow-listed URL.
pub(crate) fn fetch(
    src: &str,
    _policy: &RemotePolicy,
    _limits: &Limits,
) -> Result<Vec<u8>, AssetError> {
    Err(AssetError::Unsupported(format!(
        "{}: remote sources are not supported yet",
        display_src(src)
    )))
}
