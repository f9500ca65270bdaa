//! Data for Cinder's algorithms: advantage estimation on host arrays.
#![warn(missing_docs)]

pub mod advantages;
