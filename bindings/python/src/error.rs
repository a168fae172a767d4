//! Core errors to Python exceptions: problems with the scene, its layers, options, files and
//! assets raise [`crate::SceneError`] (a `ValueError`); encoding, outputs and threads raise
//! [`crate::StreamError`]. The message is the core's, which names the JSON path of a bad value.

use pyo3::PyErr;
use streamcomp_core::Error;

use crate::{SceneError, StreamError};

/// The Python exception for a core error.
pub(crate) fn to_py_err(e: Error) -> PyErr {
    if e.is_scene() {
        SceneError::new_err(e.to_string())
    } else {
        StreamError::new_err(e.to_string())
    }
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
