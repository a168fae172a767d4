//! [`MediaError`]: why a video file cannot be read, decoded or played, naming the file and
//! the property at fault (`clips/a.mp4: 10-bit video needs the ffmpeg backend`).

use crate::error::{AssetError, ErrorKind};

/// Why a video file cannot be read, decoded or played.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MediaError {
    /// Reading the file failed (it vanished, a disk error).
    #[error("{file}: cannot read it")]
    Io {
        /// The file as the layer names it.
        file: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The bytes are not a valid file of the container they claim (truncated, garbage, an
    /// impossible box or table).
    #[error("{file}: {detail}")]
    Malformed {
        /// The file as the layer names it.
        file: String,
        /// What is wrong and where (`moov/trak[0]/stsz: 4294967295 samples in a 1 MB file`).
        detail: String,
    },
    /// The file is valid but this build cannot play it (`10-bit video needs the ffmpeg
    /// backend`, `unknown container`).
    #[error("{file}: {detail}")]
    Unsupported {
        /// The file as the layer names it.
        file: String,
        /// The property that cannot be played, and what would play it.
        detail: String,
    },
    /// The file passes a limit (size, duration, dimensions, memory).
    #[error("{file}: {detail}")]
    TooLarge {
        /// The file as the layer names it.
        file: String,
        /// The value and the limit.
        detail: String,
    },
    /// Decoding failed part way.
    #[error("{file}: decoding failed: {detail}")]
    Decode {
        /// The file as the layer names it.
        file: String,
        /// The decoder's complaint.
        detail: String,
    },
}

impl MediaError {
    /// The stable kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            MediaError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                ErrorKind::NotFound
            }
            MediaError::Io { .. } => ErrorKind::Io,
            MediaError::Malformed { .. } | MediaError::Decode { .. } => ErrorKind::Invalid,
            MediaError::Unsupported { .. } => ErrorKind::Unsupported,
            MediaError::TooLarge { .. } => ErrorKind::Limit,
        }
    }

    /// The file the error is about, as the layer names it.
    pub fn file(&self) -> &str {
        match self {
            MediaError::Io { file, .. }
            | MediaError::Malformed { file, .. }
            | MediaError::Unsupported { file, .. }
            | MediaError::TooLarge { file, .. }
            | MediaError::Decode { file, .. } => file,
        }
    }

    /// A malformed-file error.
    pub(crate) fn malformed(file: &str, detail: impl Into<String>) -> MediaError {
        MediaError::Malformed {
            file: file.to_string(),
            detail: detail.into(),
        }
    }

    /// An unsupported-file error.
    pub(crate) fn unsupported(file: &str, detail: impl Into<String>) -> MediaError {
        MediaError::Unsupported {
            file: file.to_string(),
            detail: detail.into(),
        }
    }

    /// A limit error.
    pub(crate) fn too_large(file: &str, detail: impl Into<String>) -> MediaError {
        MediaError::TooLarge {
            file: file.to_string(),
            detail: detail.into(),
        }
    }

    /// A decoding error.
    pub(crate) fn decode(file: &str, detail: impl Into<String>) -> MediaError {
        MediaError::Decode {
            file: file.to_string(),
            detail: detail.into(),
        }
    }

    /// An I/O error.
    pub(crate) fn io(file: &str, source: std::io::Error) -> MediaError {
        MediaError::Io {
            file: file.to_string(),
            source,
        }
    }
}

impl From<MediaError> for AssetError {
    /// As an asset error of the layer's `src` (the message keeps the file's name).
    fn from(e: MediaError) -> AssetError {
        match e {
            MediaError::Io { file, source } if source.kind() == std::io::ErrorKind::NotFound => {
                AssetError::NotFound { path: file.into() }
            }
            MediaError::TooLarge { file, detail } => AssetError::TooLarge { what: file, detail },
            MediaError::Unsupported { .. } => AssetError::Unsupported(e.to_string()),
            other => AssetError::Decode {
                src: other.file().to_string(),
                message: match &other {
                    MediaError::Io { source, .. } => source.to_string(),
                    MediaError::Malformed { detail, .. } | MediaError::Decode { detail, .. } => {
                        detail.clone()
                    }
                    _ => other.to_string(),
                },
            },
        }
    }
}
