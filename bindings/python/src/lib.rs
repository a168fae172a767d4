//! # streamcomp (Python)
//!
//! The extension module `streamcomp._streamcomp`, built by maturin into an abi3 wheel (Python
//! 3.9 and later) and re-exported by the pure-Python package `streamcomp`
//! (`bindings/python/python/streamcomp/`, with type stubs). It only translates: every piece of
//! work — validation, rendering, encoding, streaming — is `streamcomp-core`'s.
//!
//! - [`scene::Scene`]: `Scene` — layers as dicts, `render(t)` to a NumPy array without a copy.
//! - [`render::render_file`]: `render_file(scene, path, duration, ...)`.
//! - [`stream::Stream`]: `Stream(scene, urls=[...])`, live, with events.
//! - [`SceneError`] (a `ValueError`) and [`StreamError`]: see [`error`].
//! - [`convert`]: Python objects to and from JSON values.
//!
//! Long work (rendering, files, starting and stopping streams, layer changes that load files)
//! runs with the GIL released (`Python::detach`).

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use streamcomp_core::ErrorKind;

mod convert;
mod error;
mod render;
mod scene;
mod stream;

create_exception!(
    streamcomp,
    SceneError,
    PyValueError,
    "A scene, layer, option, file or asset was refused; the message names the JSON path of the bad value."
);
create_exception!(
    streamcomp,
    StreamError,
    PyException,
    "Encoding, an output or a stream failed, or a stream was used in the wrong state."
);

/// The extension module `streamcomp._streamcomp`.
#[pymodule]
fn _streamcomp(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", streamcomp_core::VERSION)?;
    // Class defaults of `kind` and `path`, for errors the binding raises itself (a bad
    // argument); errors from the core set their own (`error::to_py_err`).
    for (class, kind) in [
        (py.get_type::<SceneError>(), ErrorKind::Invalid),
        (py.get_type::<StreamError>(), ErrorKind::Io),
    ] {
        class.setattr("kind", kind.as_str())?;
        class.setattr("path", "")?;
    }
    m.add("SceneError", py.get_type::<SceneError>())?;
    m.add("StreamError", py.get_type::<StreamError>())?;
    m.add_class::<scene::Scene>()?;
    m.add_class::<stream::Stream>()?;
    m.add_class::<stream::EventIterator>()?;
    m.add_function(wrap_pyfunction!(render::render_file, m)?)?;
    Ok(())
}
