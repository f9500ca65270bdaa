//! `cinder train --init-from RUN`: a new run whose networks start as another run's (Pyrado's
//! `load_snapshot` of a policy into a new experiment, Tianshou's policy `load_state_dict`
//! before training).
//!
//! Only the networks come over: the policy and, when the run has them, its critics and target
//! networks (every `*.bpk` snapshot file but the optimisers'), and the observation statistics
//! of a run that normalises them. Optimiser states, schedules, counters, random streams, the
//! replay memory and the environments' episodes are the new run's own, as its settings and
//! seed make them.

use std::path::Path;

use cinder_agent::resume::NORMALIZATION_FILE;
use cinder_core::Snapshot;
use cinder_train::Algorithm;
use cinder_train::snapshot::read_snapshot;

use super::directory::{find_snapshot, run_info};
use super::{PreparedRun, RunError};

/// Whether snapshot file `name` (possibly under a wrapper's prefix, `learner/policy.bpk`)
/// carries over: network weights and normalisation statistics.
fn carries_over(name: &str) -> bool {
    let file = name.rsplit('/').next().unwrap_or(name);
    (file.ends_with(".bpk") && !file.ends_with("optim.bpk")) || file == NORMALIZATION_FILE
}

impl PreparedRun {
    /// Replaces this run's fresh networks by those of the run in `from` (its best snapshot,
    /// else its latest, as [`crate::policy::Policy::load`] picks). The algorithm and the
    /// spaces must be the same; every network of the new run must be in the snapshot.
    pub fn warm_start(&mut self, from: &Path) -> Result<(), RunError> {
        let input = |e: &dyn std::fmt::Display| {
            RunError::Input(format!("--init-from {}: {e}", from.display()))
        };
        let dir = find_snapshot(from, &["best", "latest"])
            .ok_or_else(|| input(&"no snapshot there (is it a run directory?)"))?;
        let (saved, meta) = read_snapshot(&dir).map_err(|e| input(&e))?;
        let here = run_info(self)?;
        for key in ["algo", "observation_space", "action_space"] {
            if meta.run.get(key) != here.get(key) {
                let show = |v: Option<&serde_json::Value>| v.map_or("?".into(), |v| v.to_string());
                return Err(input(&format!(
                    "its {key} is {}, this run's is {}",
                    show(meta.run.get(key)),
                    show(here.get(key))
                )));
            }
        }
        let fresh = self.algorithm.snapshot().map_err(|e| input(&e))?;
        let normalises = |s: &Snapshot| s.names().any(|n| n.ends_with(NORMALIZATION_FILE));
        if normalises(&saved) && !normalises(&fresh) {
            return Err(input(
                &"it normalised observations and this run does not: its policy needs the same \
                  normalize_obs / normalize_reward settings",
            ));
        }
        let mut merged = Snapshot::new();
        for (name, bytes) in fresh.files() {
            if !carries_over(name) {
                merged.insert(name, bytes.to_vec());
                continue;
            }
            let theirs = saved.file(name).map_err(|_| {
                input(&format!(
                    "its snapshot has no {name} (a run with other settings: --icm, \
                     normalize_obs, another network layout?)"
                ))
            })?;
            merged.insert(name, theirs.to_vec());
        }
        self.algorithm.restore(&merged).map_err(|e| input(&e))
    }
}
