//! Links the libpython of the interpreter `PYO3_PYTHON` names (else `python3` on the path) with
//! its directory as the run-time search path, so that a test binary loads that interpreter's
//! library, which sees its packages, rather than another libpython in the loader cache.
fn main() {
    pyo3_build_config::add_libpython_rpath_link_args();
}
