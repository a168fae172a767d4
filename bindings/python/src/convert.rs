//! Python objects to and from JSON values (`serde_json::Value`): the core takes layers, patches,
//! transitions and options as JSON, and the binding hands back layers, events and status as
//! plain Python dicts.
//!
//! Mapping: `None` ↔ null, `bool` ↔ boolean, `int` ↔ integer (64-bit), `float` ↔ number (finite
//! only), `str` ↔ string, `dict` (string keys) ↔ object (order kept), `list`/`tuple` → array →
//! `list`. Objects with `__index__` (NumPy integers) become integers and objects with
//! `__float__` (NumPy floats) numbers. Anything else is a [`crate::SceneError`] naming its
//! path in the document.

use pyo3::exceptions::PyOverflowError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};

use crate::SceneError;

/// Nesting deeper than this is refused (as the scene parser would, and before a stack overflow).
const MAX_DEPTH: usize = 64;

/// Appends `key` to a JSON path (`layers[2]` + `opacity` → `layers[2].opacity`).
fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn bad(path: &str, message: String) -> PyErr {
    let path = if path.is_empty() { "value" } else { path };
    SceneError::new_err(format!("{path}: {message}"))
}

fn float(path: &str, x: f64) -> PyResult<Value> {
    Number::from_f64(x)
        .map(Value::Number)
        .ok_or_else(|| bad(path, format!("must be a finite number, got {x}")))
}

/// Converts a Python object to a JSON value; `path` names it in errors (`""` for the root).
pub(crate) fn to_json(obj: &Bound<'_, PyAny>, path: &str) -> PyResult<Value> {
    to_json_at(obj, path, 0)
}

fn to_json_at(obj: &Bound<'_, PyAny>, path: &str, depth: usize) -> PyResult<Value> {
    if depth > MAX_DEPTH {
        return Err(bad(path, format!("nested deeper than {MAX_DEPTH} levels")));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    // `bool` is a subclass of `int`: test it first.
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        return int(obj, path);
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return float(path, f.value());
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::String(s.to_cow()?.into_owned()));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut map = Map::with_capacity(d.len());
        for (k, v) in d.iter() {
            let Ok(key) = k.cast::<PyString>() else {
                return Err(bad(
                    path,
                    format!("keys must be strings, got {}", k.repr()?.to_cow()?),
                ));
            };
            let key = key.to_cow()?.into_owned();
            let value = to_json_at(&v, &join(path, &key), depth + 1)?;
            map.insert(key, value);
        }
        return Ok(Value::Object(map));
    }
    if let Ok(l) = obj.cast::<PyList>() {
        return seq(l.iter(), path, depth);
    }
    if let Ok(t) = obj.cast::<PyTuple>() {
        return seq(t.iter(), path, depth);
    }
    // NumPy scalars and other number-like objects; NumPy's booleans have `__index__` too.
    let ty = obj.get_type();
    if ty.module()?.to_cow()? == "numpy" && ty.name()?.to_cow()?.starts_with("bool") {
        return Ok(Value::Bool(obj.is_truthy()?));
    }
    if obj.hasattr("__index__")? {
        return int(obj, path);
    }
    if obj.hasattr("__float__")? {
        return float(path, obj.extract::<f64>()?);
    }
    let ty = obj.get_type().name()?;
    Err(bad(
        path,
        format!("cannot be given as JSON: a value of type `{ty}`"),
    ))
}

fn int(obj: &Bound<'_, PyAny>, path: &str) -> PyResult<Value> {
    if let Ok(i) = obj.extract::<i64>() {
        return Ok(Value::from(i));
    }
    match obj.extract::<u64>() {
        Ok(u) => Ok(Value::from(u)),
        Err(e) if e.is_instance_of::<PyOverflowError>(obj.py()) => {
            Err(bad(path, format!("integer out of range: {}", obj.str()?)))
        }
        Err(e) => Err(e),
    }
}

fn seq<'py>(
    items: impl Iterator<Item = Bound<'py, PyAny>>,
    path: &str,
    depth: usize,
) -> PyResult<Value> {
    items
        .enumerate()
        .map(|(i, v)| to_json_at(&v, &format!("{path}[{i}]"), depth + 1))
        .collect::<PyResult<Vec<_>>>()
        .map(Value::Array)
}

/// Converts a JSON value to plain Python objects (dicts, lists, str, int, float, bool, None).
pub(crate) fn to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                PyFloat::new(py, n.as_f64().unwrap_or(f64::NAN)).into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(a) => {
            let list = PyList::empty(py);
            for item in a {
                list.append(to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(m) => {
            let dict = PyDict::new(py);
            for (k, item) in m {
                dict.set_item(k, to_py(py, item)?)?;
            }
            dict.into_any()
        }
    })
}
