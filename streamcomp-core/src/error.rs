//! Errors: one enum per area, [`Error`] wrapping them, and a stable [`ErrorKind`] that each front
//! end maps once (HTTP status, Python exception, exit code).

use std::path::PathBuf;

pub(crate) use crate::scene::{SceneError, SceneErrorReason, SceneFileError};

/// Why an asset (image, font, audio file, remote download) could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AssetError {
    /// The file does not exist.
    #[error("file not found: {path}")]
    NotFound {
        /// The resolved path.
        path: PathBuf,
    },
    /// Reading the file failed.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The resolved path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The path leaves the folder assets are confined to.
    #[error(
        "`{src}` is outside the assets folder {root} (no `..`, absolute paths or links out of it)"
    )]
    OutsideRoot {
        /// The path as written.
        src: String,
        /// The folder assets must stay in.
        root: PathBuf,
    },
    /// A configured limit would be exceeded.
    #[error("{what} is too large: {detail}")]
    TooLarge {
        /// What was too large (an image, a download, an animation).
        what: String,
        /// The size and the limit.
        detail: String,
    },
    /// The data is not a valid image, font or audio file.
    #[error("cannot decode {src}: {message}")]
    Decode {
        /// The source as written (URLs without their query).
        src: String,
        /// The decoder's complaint.
        message: String,
    },
    /// A remote source whose host is not on the allow-list, or a private address.
    #[error("remote source {url} is not allowed: {reason}")]
    RemoteNotAllowed {
        /// The URL without its query string.
        url: String,
        /// Why (host not allow-listed, private address).
        reason: String,
    },
    /// A remote download failed.
    #[error("cannot fetch {url}: {message}")]
    Fetch {
        /// The URL without its query string.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// A font family or face could not be found.
    #[error("{0}")]
    Font(String),
    /// A format or feature that is not supported.
    #[error("{0}")]
    Unsupported(String),
}

impl AssetError {
    /// The stable kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            AssetError::NotFound { .. } => ErrorKind::NotFound,
            AssetError::Io { .. } => ErrorKind::Io,
            AssetError::OutsideRoot { .. }
            | AssetError::Decode { .. }
            | AssetError::RemoteNotAllowed { .. } => ErrorKind::Invalid,
            AssetError::TooLarge { .. } => ErrorKind::Limit,
            AssetError::Fetch { .. } => ErrorKind::Network,
            AssetError::Font(_) => ErrorKind::NotFound,
            AssetError::Unsupported(_) => ErrorKind::Unsupported,
        }
    }
}

/// Why a frame could not be rendered: which layer, which field, and the asset error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// A layer's asset could not be loaded or decoded.
    #[error("{path} (layer `{layer}`): {source}")]
    Asset {
        /// JSON path of the field, e.g. `layers[2].src`.
        path: String,
        /// The layer id.
        layer: String,
        /// The underlying error.
        #[source]
        source: AssetError,
    },
    /// A layer's raster would exceed the limits.
    #[error("{path} (layer `{layer}`): {detail}")]
    TooLarge {
        /// JSON path of the layer.
        path: String,
        /// The layer id.
        layer: String,
        /// Sizes and limit.
        detail: String,
    },
    /// Drawing a layer panicked while it was measured or checked: the layer is refused. The
    /// panic message is kept for logs, not shown (it can name internals).
    #[error("{path} (layer `{layer}`): this layer cannot be drawn (the renderer failed on it)")]
    LayerPanicked {
        /// JSON path of the layer.
        path: String,
        /// The layer id.
        layer: String,
        /// The panic message.
        message: String,
    },
    /// Rendering panicked and no single layer was at fault.
    #[error("internal error while rendering")]
    Panicked {
        /// The panic message, for logs.
        message: String,
    },
}

impl RenderError {
    /// The stable kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            RenderError::Asset { source, .. } => source.kind(),
            RenderError::TooLarge { .. } => ErrorKind::Limit,
            RenderError::LayerPanicked { .. } => ErrorKind::Invalid,
            RenderError::Panicked { .. } => ErrorKind::Internal,
        }
    }

    /// The JSON path of the layer or field at fault (empty when none).
    pub fn path(&self) -> &str {
        match self {
            RenderError::Asset { path, .. }
            | RenderError::TooLarge { path, .. }
            | RenderError::LayerPanicked { path, .. } => path,
            RenderError::Panicked { .. } => "",
        }
    }
}

/// The stable classes of errors that front ends map to status codes and exceptions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Bad input (HTTP 422, Python `SceneError`).
    Invalid,
    /// Something named does not exist (404).
    NotFound,
    /// A duplicate (409).
    Conflict,
    /// Something is too large: an asset, a raster (413).
    Limit,
    /// A count is at its maximum: the scene holds the most layers it may (409).
    Full,
    /// Not supported by this build or machine (501).
    Unsupported,
    /// Local I/O failed (500).
    Io,
    /// The network failed (502).
    Network,
    /// A bug: a panic no layer explains (500, `internal error`).
    Internal,
}

impl ErrorKind {
    /// The kind as a stable lower-case name (`invalid`, `not_found`, `conflict`, `limit`,
    /// `full`, `unsupported`, `io`, `network`, `internal`) for front ends that expose it.
    pub fn as_str(&self) -> &'static str {
        match self {
            ErrorKind::Invalid => "invalid",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Limit => "limit",
            ErrorKind::Full => "full",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Io => "io",
            ErrorKind::Network => "network",
            ErrorKind::Internal => "internal",
        }
    }
}

/// Any error of the core.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A scene or change was refused.
    #[error(transparent)]
    Scene(#[from] SceneError),
    /// A scene file could not be read.
    #[error(transparent)]
    SceneFile(#[from] SceneFileError),
    /// An asset could not be used.
    #[error(transparent)]
    Asset(#[from] AssetError),
    /// A frame could not be rendered.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// Encoding failed or a setting was refused.
    #[error(transparent)]
    Encode(#[from] crate::encode::EncodeError),
    /// An output failed.
    #[error(transparent)]
    Output(crate::output::OutputError),
    /// A worker thread could not start or died.
    #[error("thread: {0}")]
    Thread(String),
    /// The RTMP listener for live inputs could not start (the port is taken, …).
    #[error(transparent)]
    Ingest(#[from] crate::input::IngestError),
    /// Writing output failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// Where.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// The stable kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Scene(e) => match e.reason {
                SceneErrorReason::NotFound => ErrorKind::NotFound,
                SceneErrorReason::Duplicate => ErrorKind::Conflict,
                SceneErrorReason::Limit => ErrorKind::Full,
                _ => ErrorKind::Invalid,
            },
            Error::SceneFile(e) if e.source.kind() == std::io::ErrorKind::NotFound => {
                ErrorKind::NotFound
            }
            Error::SceneFile(_) | Error::Write { .. } => ErrorKind::Io,
            Error::Asset(e) => e.kind(),
            Error::Render(e) => e.kind(),
            Error::Encode(crate::encode::EncodeError::Invalid(_)) => ErrorKind::Invalid,
            Error::Encode(crate::encode::EncodeError::Unsupported(_)) => ErrorKind::Unsupported,
            Error::Encode(_) => ErrorKind::Io,
            Error::Output(crate::output::OutputError::Unsupported(_)) => ErrorKind::Unsupported,
            Error::Output(crate::output::OutputError::Url(_)) => ErrorKind::Invalid,
            Error::Output(e) if e.is_network() => ErrorKind::Network,
            Error::Output(_) => ErrorKind::Io,
            Error::Thread(_) => ErrorKind::Io,
            Error::Ingest(e) if e.source.kind() == std::io::ErrorKind::AddrInUse => {
                ErrorKind::Conflict
            }
            Error::Ingest(_) => ErrorKind::Io,
        }
    }

    /// The JSON path of the bad value (of the first problem of a scene error), or `""` when
    /// the error is not about one value.
    pub fn path(&self) -> &str {
        match self {
            Error::Scene(e) => e.first().path.as_str(),
            Error::Render(e) => e.path(),
            _ => "",
        }
    }

    /// Whether this is a problem with the scene, its layers, options, files or assets (the
    /// bindings' `SceneError`), rather than with encoding, outputs or threads (`StreamError`).
    pub fn is_scene(&self) -> bool {
        matches!(
            self,
            Error::Scene(_) | Error::SceneFile(_) | Error::Asset(_) | Error::Render(_)
        )
    }
}

/// The core's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
