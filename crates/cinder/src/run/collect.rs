//! `cinder collect`: a dataset recorded from a run's trained policy.

use std::path::PathBuf;

use cinder_core::{ActMode, VecEnv};
use cinder_data::{Noise, Noisy, Provenance, record};
use cinder_offline::minari;

use super::RunError;
use super::directory::read_config;
use super::evaluate::trained_run;

/// The most transitions `cinder collect` gathers in one dataset (built in memory first).
pub const MAX_COLLECT_STEPS: usize = 100_000_000;

/// What `cinder collect` was asked.
#[derive(Debug, Clone)]
pub struct CollectRequest {
    /// The trained run.
    pub run_dir: PathBuf,
    /// Transitions to collect (at least).
    pub steps: usize,
    /// Exploration added to the run's deterministic policy.
    pub noise: Noise,
    /// Seed of the environments and the noise.
    pub seed: u64,
    /// The new dataset's directory (must not exist).
    pub out: PathBuf,
}

/// Rolls the deterministic policy of the run in `request.run_dir` (its best snapshot, else its
/// latest) out with `request.noise` for `request.steps` transitions on one environment and
/// writes a Minari HDF5 dataset to `request.out`. Returns the dataset's episodes and
/// transitions.
pub fn collect(request: &CollectRequest) -> Result<(usize, usize), RunError> {
    // A build without a Minari writer says so before the rollout, not after it.
    minari::built().map_err(|e| RunError::Input(e.to_string()))?;
    let dir = &request.run_dir;
    let input = |e: &dyn std::fmt::Display| RunError::Input(format!("{}: {e}", dir.display()));
    if request.steps == 0 || request.steps > MAX_COLLECT_STEPS {
        return Err(RunError::Input(format!(
            "--steps must be between 1 and {MAX_COLLECT_STEPS} (a dataset is built in memory), \
             got {}",
            request.steps
        )));
    }
    if request.out.exists() {
        return Err(RunError::Input(format!(
            "{} already exists; choose a new dataset directory",
            request.out.display()
        )));
    }
    let config = read_config(dir)?;
    let normalize = config.settings.run().normalization();
    if normalize.is_on() {
        return Err(input(
            &"the run normalises observations or rewards; collect records raw transitions and \
              cannot act for its policy yet",
        ));
    }
    let (mut run, snapshot_dir) = trained_run(dir, config)?;
    let env_id = run.config.env.clone();
    let spec = cinder_envs::spec(&env_id).map_err(|e| input(&e))?;
    let mut envs = VecEnv::from_fn(1, |_| spec.make()).map_err(|e| input(&e))?;
    let space = envs.action_space().clone();
    let mut actor = Noisy::new(&mut run.algorithm, &space, request.noise, request.seed)
        .map_err(RunError::Input)?;
    let mut dataset = record(
        &mut actor,
        &mut envs,
        request.steps,
        ActMode::Greedy,
        request.seed,
    )
    .map_err(|e| RunError::Failed(e.to_string()))?;
    let noise = match request.noise {
        Noise::None => String::new(),
        Noise::Epsilon(e) => format!(", ε-greedy ε = {e}"),
        Noise::Gaussian(s) => format!(", Gaussian noise σ = {s} (× half the action range)"),
    };
    dataset.env_id = Some(env_id.clone());
    dataset.provenance = Provenance {
        algorithm_name: Some(format!("cinder {}{noise}", run.config.algo)),
        description: Some(format!(
            "{} transitions of {env_id} collected by `cinder collect` from {} (snapshot {}), \
             seed {}",
            dataset.num_steps(),
            dir.display(),
            snapshot_dir.display(),
            request.seed
        )),
        ..Provenance::default()
    };
    minari::save(&dataset, &request.out).map_err(|e| RunError::Failed(e.to_string()))?;
    Ok((dataset.episodes.len(), dataset.num_steps()))
}
