//! Q-network pieces shared by value-based learners (DQL, discrete BCQ):
//!
//! - action masks carried by observations: with a mask, the last `|A|` values of every
//!   observation are 1 for an allowed action and 0 otherwise;
//! - the value of the next state that a TD target bootstraps from, `max_a Q'(s', a)` or, with
//!   double Q-learning (van Hasselt et al. 2016), `Q'(s', argmax_a Q(s', a))`, over allowed
//!   actions only (a state with no allowed action is terminal: value 0);
//! - the Huber loss (smooth L1, δ = 1) of TD errors;
//! - the discrete action space a Q-learner needs ([`discrete_action_count`]).

use std::ops::Range;

use burn::tensor::{Bool, Device, Tensor};
use cinder_core::Space;
use cinder_nn::Mlp;
use cinder_nn::tensors::flags;

use cinder_policy::{Head, Imitator};

use crate::{AgentError, Exported, Setup};

/// The number of actions of `setup`'s discrete action space, for `learner` (named in the
/// error); with `action_mask`, the observations must be long enough to end with the mask.
pub fn discrete_action_count(
    learner: &str,
    setup: &Setup,
    action_mask: bool,
) -> Result<usize, AgentError> {
    let Space::Discrete(discrete) = &setup.action_space else {
        return Err(AgentError::UnsupportedSpace(format!(
            "{learner} needs a discrete action space, got {}",
            setup.action_space
        )));
    };
    let (num_actions, observation_dim) = (discrete.n(), setup.observation_dim());
    if action_mask && observation_dim < num_actions {
        return Err(AgentError::UnsupportedSpace(format!(
            "action_mask needs the last {num_actions} observation values, but observations \
             have {observation_dim}"
        )));
    }
    Ok(num_actions)
}

/// Refuses to export a Q-learner whose masks come with the observations (`action_mask`): an
/// exported network takes the environment's masks only.
pub fn check_exportable(action_mask: bool) -> Result<(), AgentError> {
    match action_mask {
        false => Ok(()),
        true => Err(AgentError::InvalidParameter {
            name: "action_mask",
            value: "true".into(),
            expected: "false to export: masks carried in the observations are not part of an \
                       exported network (environment masks are)",
        }),
    }
}

/// A value so low that a masked action never wins a max.
const MASKED_Q: f64 = -1e9;

/// `[B, A]` mask of allowed actions: the last `num_actions` columns of `observations`.
pub fn action_mask(observations: &Tensor<2>, num_actions: usize) -> Tensor<2, Bool> {
    let [rows, dim] = observations.dims();
    observations
        .clone()
        .slice([0..rows, dim - num_actions..dim])
        .greater_elem(0.5)
}

/// `q` with disallowed actions set so low that no max picks them.
pub fn mask_q(q: Tensor<2>, allowed: &Tensor<2, Bool>) -> Tensor<2> {
    q.mask_fill(allowed.clone().bool_not(), MASKED_Q)
}

/// The actions allowed in the next states of a minibatch's `rows`, or none when nothing masks
/// them: the environments' masks stored with the next states (`next_masks`, all rows of the
/// minibatch) and, with `carried`, the last `num_actions` values of each next observation; on
/// `device`.
pub fn next_action_mask(
    next_observations: &Tensor<2>,
    next_masks: Option<&[bool]>,
    rows: Range<usize>,
    num_actions: usize,
    carried: bool,
    device: &Device,
) -> Option<Tensor<2, Bool>> {
    let carried = carried.then(|| action_mask(next_observations, num_actions));
    let stored = next_masks.map(|masks| {
        let flat = &masks[rows.start * num_actions..rows.end * num_actions];
        flags(flat, rows.len(), device)
    });
    both_masks(carried, stored)
}

/// The actions both masks allow; either mask where the other is none.
pub fn both_masks(
    a: Option<Tensor<2, Bool>>,
    b: Option<Tensor<2, Bool>>,
) -> Option<Tensor<2, Bool>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.bool_and(b)),
        (a, b) => a.or(b),
    }
}

/// The allowed actions of one host observation (all of `0..num_actions` without a mask).
pub fn allowed_actions(
    observation: &[f32],
    num_actions: usize,
    masked: bool,
) -> impl Iterator<Item = usize> + Clone + '_ {
    let offset = observation.len().saturating_sub(num_actions);
    (0..num_actions).filter(move |&a| !masked || observation[offset + a] > 0.5)
}

/// The bootstrap value of each next observation: `max_a Q'(s', a)`, or with `is_double`
/// `Q'(s', argmax_a Q(s', a))`, over the actions `mask` allows (0 where it allows none).
/// Both networks are evaluated without a graph (`trained` is the network being trained, `target`
/// its lagged copy).
pub fn next_state_values(
    trained: &Mlp,
    target: &Mlp,
    next_observations: Tensor<2>,
    is_double: bool,
    mask: Option<Tensor<2, Bool>>,
) -> Tensor<1> {
    let target_q = target.forward(next_observations.clone());
    let masked = |q: Tensor<2>| match &mask {
        Some(allowed) => mask_q(q, allowed),
        None => q,
    };
    let values = if is_double {
        let choice = masked(trained.forward(next_observations)).argmax(1);
        target_q.gather(1, choice)
    } else {
        masked(target_q).max_dim(1)
    };
    let values = values.squeeze_dim::<1>(1);
    match mask {
        Some(allowed) => {
            let any = allowed.int().sum_dim(1).squeeze_dim::<1>(1).greater_elem(0);
            values.mask_fill(any.bool_not(), 0.0)
        }
        None => values,
    }
}

/// Huber loss with δ = 1 (smooth L1): `½x²` for `|x| ≤ 1`, `|x| − ½` beyond.
pub fn huber(x: Tensor<1>) -> Tensor<1> {
    let abs = x.abs();
    let quadratic = abs.clone().clamp_max(1.0);
    quadratic.clone().powi_scalar(2).mul_scalar(0.5) + (abs - quadratic)
}

/// The greedy action of the Q-network `q` as an exported network: the largest Q-value, among
/// the actions `imitator` (a network of logits and the threshold τ, discrete BCQ) deems
/// likely when given: `logit(a) − max logit ≥ ln τ`.
pub fn greedy_graph(q: &Mlp, imitator: Option<(&Mlp, f64)>) -> Result<Exported, AgentError> {
    let imitator = match imitator {
        None => None,
        Some((net, threshold)) => Some(Imitator {
            layers: net.dense_layers()?,
            log_threshold: threshold.ln() as f32,
        }),
    };
    Ok(Exported {
        layers: q.dense_layers()?,
        head: Head::Argmax { imitator },
    })
}
