//! With the `gym` feature, the `cinder` binary, tests and examples load the libpython of the
//! interpreter the bridge was built against (`PYO3_PYTHON`, else `python3`): its directory goes
//! into their run-time search path, ahead of any other libpython the loader knows, whose
//! Python would not see that interpreter's packages. Without the feature it does nothing.
fn main() {
    #[cfg(feature = "gym")]
    pyo3_build_config::add_libpython_rpath_link_args();
}
