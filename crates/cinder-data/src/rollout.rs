//! On-policy rollout storage: host struct-of-arrays, time-major (`[step][env]`).

use cinder_core::{ActionBatch, EpisodeRecord};

use crate::advantages::{Stream, gae};

/// The transitions of `steps` lockstep steps of `num_envs` environments.
///
/// Row `t * num_envs + i` of every per-transition array is environment `i` at step `t`. An
/// episode that ended (terminated or truncated) keeps its real final observation in
/// [`Rollout::final_observations`]: a truncated episode's value bootstraps from it, and a
/// model of the dynamics (ICM's forward model) needs it for terminated ones too. The
/// observations after the last step, [`Rollout::last_observations`], bootstrap the episodes
/// still running.
#[derive(Debug, Clone, PartialEq)]
pub struct Rollout {
    /// Environments stepped together.
    pub num_envs: usize,
    /// Values in one observation.
    pub observation_dim: usize,
    /// Observations acted on, `len × observation_dim`.
    pub observations: Vec<f32>,
    /// The actions taken, one per transition (`len` indices or `len × action_dim` values).
    pub actions: ActionBatch,
    /// Log-probabilities of the actions under the policy that acted.
    pub log_probs: Vec<f32>,
    /// Rewards.
    pub rewards: Vec<f32>,
    /// The step reached a terminal state.
    pub terminated: Vec<bool>,
    /// The episode was cut after the step (time limit); may be set with `terminated`.
    pub truncated: Vec<bool>,
    /// Transition indices of the steps that ended an episode, in order.
    pub final_indices: Vec<usize>,
    /// Final observations of those episodes, one row per entry of `final_indices`.
    pub final_observations: Vec<f32>,
    /// Observations after the last step, `num_envs × observation_dim`.
    pub last_observations: Vec<f32>,
    /// Episodes that finished during the rollout.
    pub episodes: Vec<EpisodeRecord>,
    /// The valid actions at each transition, `len × n` flags of a discrete action space
    /// ([`cinder_core::Env::action_mask`]), when some action was ever invalid; `None` when
    /// every action always was valid. An update evaluates the policy under the masks that
    /// were in force when it acted.
    pub masks: Option<Vec<bool>>,
}

impl Rollout {
    /// Number of transitions (`steps × num_envs`).
    pub fn len(&self) -> usize {
        self.rewards.len()
    }

    /// Whether no transition was stored.
    pub fn is_empty(&self) -> bool {
        self.rewards.is_empty()
    }

    /// Appends the valid actions of one lockstep step of `num_envs` environments with `n`
    /// actions each (`None`: all valid), keeping [`Rollout::masks`] `None` until some action
    /// is invalid.
    pub fn push_masks(&mut self, masks: Option<&[bool]>, n: usize) {
        match (masks, &mut self.masks) {
            (None, None) => {}
            (None, Some(all)) => all.extend(std::iter::repeat_n(true, self.num_envs * n)),
            (Some(step), Some(all)) => all.extend_from_slice(step),
            (Some(step), None) => {
                let earlier = self.len() * n;
                let mut all = vec![true; earlier];
                all.extend_from_slice(step);
                self.masks = Some(all);
            }
        }
    }

    /// Number of lockstep steps.
    pub fn steps(&self) -> usize {
        self.len() / self.num_envs
    }

    /// `s'_t` of every transition, `len × observation_dim`: the next row of the same
    /// environment, the final observation where an episode ended, the last observation after
    /// the final step.
    pub fn next_observations(&self) -> Vec<f32> {
        let (n, d, len) = (self.num_envs, self.observation_dim, self.len());
        if len == 0 {
            return Vec::new();
        }
        let mut next = Vec::with_capacity(len * d);
        next.extend_from_slice(&self.observations[n * d..]);
        next.extend_from_slice(&self.last_observations);
        for (j, &k) in self.final_indices.iter().enumerate() {
            next[k * d..(k + 1) * d].copy_from_slice(&self.final_observations[j * d..(j + 1) * d]);
        }
        next
    }

    /// `V(s'_t)` of every transition: the value of the next row of the same environment,
    /// of the final observation where an episode ended, of the last observation for the final
    /// step (GAE masks out the value after a termination).
    ///
    /// `values` holds `V(s_t)` per transition, `final_values` `V` of each final observation,
    /// `last_values` `V` of each last observation.
    pub fn next_values(
        &self,
        values: &[f32],
        final_values: &[f32],
        last_values: &[f32],
    ) -> Vec<f64> {
        let n = self.num_envs;
        let len = self.len();
        let mut next: Vec<f64> = (0..len)
            .map(|k| {
                let v = if k + n < len {
                    values[k + n]
                } else {
                    last_values[k % n]
                };
                f64::from(v)
            })
            .collect();
        for (&k, &v) in self.final_indices.iter().zip(final_values) {
            next[k] = f64::from(v);
        }
        next
    }

    /// GAE advantages and TD(λ) returns of every transition (see [`crate::advantages`]),
    /// computed per environment along time.
    pub fn advantages(
        &self,
        values: &[f32],
        final_values: &[f32],
        last_values: &[f32],
        gamma: f64,
        lambda: f64,
    ) -> (Vec<f32>, Vec<f32>) {
        let next_values = self.next_values(values, final_values, last_values);
        let (n, steps) = (self.num_envs, self.steps());
        let mut advantages = vec![0.0; self.len()];
        let mut returns = vec![0.0; self.len()];
        let column = |i: usize| (0..steps).map(move |t| t * n + i);
        for i in 0..n {
            let rewards: Vec<f64> = column(i).map(|k| f64::from(self.rewards[k])).collect();
            let vals: Vec<f64> = column(i).map(|k| f64::from(values[k])).collect();
            let next: Vec<f64> = column(i).map(|k| next_values[k]).collect();
            let terminated: Vec<bool> = column(i).map(|k| self.terminated[k]).collect();
            let truncated: Vec<bool> = column(i).map(|k| self.truncated[k]).collect();
            let (mut adv, mut ret) = (vec![0.0; steps], vec![0.0; steps]);
            gae(
                Stream {
                    rewards: &rewards,
                    values: &vals,
                    next_values: &next,
                    terminated: &terminated,
                    truncated: &truncated,
                },
                gamma,
                lambda,
                &mut adv,
                &mut ret,
            );
            for (t, k) in column(i).enumerate() {
                advantages[k] = adv[t] as f32;
                returns[k] = ret[t] as f32;
            }
        }
        (advantages, returns)
    }
}
