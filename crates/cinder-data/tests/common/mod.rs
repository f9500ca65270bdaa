//! Reading the reference-data JSON files shared by this crate's tests.

use serde_json::Value;

/// A JSON array of numbers.
pub fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// A JSON array of booleans.
pub fn flags(v: &Value) -> Vec<bool> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_bool().unwrap())
        .collect()
}

/// The reference file `tests/data/<name>` parsed.
pub fn reference(name: &str) -> Value {
    let path = format!("{}/tests/data/{name}", manifest_dir());
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// This package's directory: the one `cargo test` names at run time. (The compile-time
/// `env!("CARGO_MANIFEST_DIR")` goes stale when a clone reuses test binaries that another
/// clone built in a shared target directory.)
fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into())
}
