//! Core errors to Python exceptions: problems with the scene, its layers, options, files and
//! assets raise [`crate::SceneError`] (a `ValueError`); encoding, outputs and threads raise
//! [`crate::StreamError`]. The message is the core's, which names the JSON path of a bad value;
//! the exception's `kind` and `path` attributes are the core's `ErrorKind` name and that path.

use pyo3::types::PyAnyMethods;
use pyo3::{PyErr, Python};
use streamcomp_core::Error;

use crate::{SceneError, StreamError};

/// The Python exception for a core error.
pub(crate) fn to_py_err(e: Error) -> PyErr {
    let err = if e.is_scene() {
        SceneError::new_err(e.to_string())
    } else {
        StreamError::new_err(e.to_string())
    };
    Python::attach(|py| {
        let value = err.value(py);
        // Setting an attribute on a fresh exception object cannot fail in practice; if it did,
        // the class defaults (see `lib.rs`) would show through.
        let _ = value.setattr("kind", e.kind().as_str());
        let _ = value.setattr("path", e.path());
    });
    err
}

/// `Result<T, core::Error>` → `PyResult<T>`.
pub(crate) trait IntoPy<T> {
    /// Maps the error to its Python exception.
    fn py_err(self) -> pyo3::PyResult<T>;
}

impl<T> IntoPy<T> for Result<T, Error> {
    fn py_err(self) -> pyo3::PyResult<T> {
        self.map_err(to_py_err)
    }
}
