//! [`Snapshot`]: the named byte files that restore a learner (weights, optimiser states,
//! counters, replay memory). How they reach the disk is the training loop's business
//! (`cinder-train`); building and reading them is every learner's.
//!
//! Names may be namespaced with `/` (`icm/forward.bpk`, `particle-3/policy.bpk`), so a wrapper
//! algorithm stores its inner learner's files beside its own: [`Snapshot::nest`] puts a whole
//! snapshot under a prefix and [`Snapshot::scope`] takes it back out.

use std::collections::BTreeMap;

/// Named binary files that restore an algorithm.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    files: BTreeMap<String, Vec<u8>>,
}

impl Snapshot {
    /// An empty snapshot.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) file `name`.
    pub fn insert(&mut self, name: impl Into<String>, bytes: Vec<u8>) {
        self.files.insert(name.into(), bytes);
    }

    /// File `name`, or an error naming the missing file.
    pub fn file(&self, name: &str) -> Result<&[u8], String> {
        self.files.get(name).map(Vec::as_slice).ok_or_else(|| {
            let present: Vec<&str> = self.names().collect();
            format!("missing file `{name}` (present: {present:?})")
        })
    }

    /// Whether file `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.files.contains_key(name)
    }

    /// The file names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// The files and their contents, in name order.
    pub fn files(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files.iter().map(|(n, b)| (n.as_str(), b.as_slice()))
    }

    /// Adds every file of `inner` as `<prefix>/<name>`.
    pub fn nest(&mut self, prefix: &str, inner: Snapshot) {
        for (name, bytes) in inner.files {
            self.files.insert(format!("{prefix}/{name}"), bytes);
        }
    }

    /// The files under `<prefix>/`, with the prefix taken off (what [`Snapshot::nest`] put
    /// there).
    pub fn scope(&self, prefix: &str) -> Snapshot {
        let head = format!("{prefix}/");
        Snapshot {
            files: self
                .files
                .iter()
                .filter_map(|(name, bytes)| {
                    name.strip_prefix(&head)
                        .map(|rest| (rest.to_string(), bytes.clone()))
                })
                .collect(),
        }
    }

    /// Whether `name` can be a file of a snapshot directory: `/`-separated components, each
    /// non-empty, not starting with `.` and without `\` (so no file escapes the directory).
    pub fn is_valid_name(name: &str) -> bool {
        !name.is_empty()
            && name
                .split('/')
                .all(|part| !part.is_empty() && !part.starts_with('.') && !part.contains('\\'))
    }
}

#[cfg(test)]
mod tests {
    use super::Snapshot;

    #[test]
    fn nest_and_scope_round_trip() {
        let mut inner = Snapshot::new();
        inner.insert("policy.bpk", vec![1, 2]);
        inner.insert("counters.bin", vec![3]);
        let mut outer = Snapshot::new();
        outer.insert("icm.bpk", vec![9]);
        outer.nest("inner", inner.clone());
        assert_eq!(
            outer.names().collect::<Vec<_>>(),
            ["icm.bpk", "inner/counters.bin", "inner/policy.bpk"]
        );
        assert_eq!(outer.scope("inner"), inner);
        assert_eq!(outer.scope("icm"), Snapshot::new());
        assert!(outer.file("inner/policy.bpk").is_ok());
        assert!(outer.file("policy.bpk").unwrap_err().contains("policy.bpk"));
    }

    #[test]
    fn names_that_leave_the_directory_are_invalid() {
        for ok in ["a.bpk", "icm/a.bpk", "particle-3/inner/a"] {
            assert!(Snapshot::is_valid_name(ok), "{ok}");
        }
        for bad in ["", "/a", "a/", "../a", "a/../b", ".hidden", "a//b", "a\\b"] {
            assert!(!Snapshot::is_valid_name(bad), "{bad}");
        }
    }
}
