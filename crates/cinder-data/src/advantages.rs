//! Generalised advantage estimation (Schulman et al. 2016, "High-Dimensional Continuous Control
//! Using Generalized Advantage Estimation", eq. 16) with Tianshou's episode-end semantics.
//!
//! For one stream of transitions `t = 0..n` (one environment, in time order):
//!
//! ```text
//! δ_t   = r_t + γ · V(s'_t) · (1 − terminated_t) − V(s_t)
//! end_t = terminated_t or truncated_t
//! A_t   = δ_t + γλ · (1 − end_t) · A_{t+1}          (A_n = 0)
//! G_t   = A_t + V(s_t)                               (the TD(λ) return)
//! ```
//!
//! `V(s'_t)` is the value of the observation the transition led to: for a truncated step, the
//! real final observation of the episode (it still bootstraps); for the last transition of an
//! unfinished stream, the observation the next rollout would start from. Only `terminated`
//! drops the bootstrap. Advantages are not normalised here.

/// One stream of transitions, in time order, all slices of the same length.
#[derive(Debug, Clone, Copy)]
pub struct Stream<'a> {
    /// `r_t`.
    pub rewards: &'a [f64],
    /// `V(s_t)`.
    pub values: &'a [f64],
    /// `V(s'_t)`, the value of the observation after step `t`.
    pub next_values: &'a [f64],
    /// The step reached a terminal state.
    pub terminated: &'a [bool],
    /// The episode was cut after the step (time limit).
    pub truncated: &'a [bool],
}

/// GAE advantages `A_t` and TD(λ) returns `G_t = A_t + V(s_t)` of one stream, written into
/// `advantages` and `returns` (same length as the stream).
///
/// # Panics
///
/// If the slices differ in length: they come from one buffer, so that is a bug in the caller.
pub fn gae(
    stream: Stream<'_>,
    gamma: f64,
    lambda: f64,
    advantages: &mut [f64],
    returns: &mut [f64],
) {
    let n = stream.rewards.len();
    for len in [
        stream.values.len(),
        stream.next_values.len(),
        stream.terminated.len(),
        stream.truncated.len(),
        advantages.len(),
        returns.len(),
    ] {
        assert_eq!(
            len, n,
            "gae: every slice must hold the same number of transitions"
        );
    }
    let mut next_advantage = 0.0;
    for t in (0..n).rev() {
        let not_terminal = if stream.terminated[t] { 0.0 } else { 1.0 };
        let continues = if stream.terminated[t] || stream.truncated[t] {
            0.0
        } else {
            1.0
        };
        let delta =
            stream.rewards[t] + gamma * stream.next_values[t] * not_terminal - stream.values[t];
        next_advantage = delta + gamma * lambda * continues * next_advantage;
        advantages[t] = next_advantage;
        returns[t] = next_advantage + stream.values[t];
    }
}
