//! The machinery of the Q-learners (DQL, discrete BCQ), as the actor-critic skeleton is that of
//! DDPG, TD3 and SAC: the trained networks around a Q-network, the Q-network's lagged target
//! with its hard copies every `k` updates (Mnih et al. 2015), the networks' acting copy, one
//! Adam, the ε-greedy generator and the update count; the TD error of a minibatch's taken
//! actions; ε-greedy choice; save and load, all or nothing.
//!
//! A learner keeps its maths: DQL its loss over the two halves of the minibatch and its ε
//! schedule, BCQ its imitator, its allowed actions and its three losses.

use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::tensor::{Bool, Device, Int, Tensor};
use cinder_core::Snapshot;
use cinder_core::seeding::{EnvRng, rng_from_seed};
use cinder_nn::persist::{RNG_FILE, load_counters, load_json, load_module, load_optim};
use cinder_nn::persist::{save_counters, save_json, save_module, save_optim};
use cinder_nn::{Mlp, adam, hard_update};
use rand::Rng;

use crate::q::next_state_values;
use crate::{AgentError, BatchTensors, Setup};

/// The networks a Q-learner trains: a Q-network `s → Q(s, ·)` and whatever trains beside it.
pub trait QNets: Module {
    /// The Q-network.
    fn q(&self) -> &Mlp;
}

impl QNets for Mlp {
    fn q(&self) -> &Mlp {
        self
    }
}

/// The counters file of a Q-learner's snapshot: the update count, then the learner's own.
const COUNTERS_FILE: &str = "counters.bin";
/// The Q target's file.
const TARGET_FILE: &str = "q_target.bpk";

/// A Q-learner's networks and their bookkeeping.
pub struct QLearning<N> {
    /// The trained networks (on the learning device).
    pub nets: N,
    /// The Q-network's lagged copy, which TD targets bootstrap from.
    pub target: Mlp,
    /// The networks' acting copy (on the acting device), refreshed by
    /// [`QLearning::sync_acting`].
    pub acting: N,
    /// Adam over `nets`.
    pub optim: ModuleOptimizer,
    /// The learning device (with autodiff).
    pub device: Device,
    act_device: Device,
    /// Number of discrete actions.
    pub num_actions: usize,
    /// The ε-greedy generator.
    pub rng: EnvRng,
    /// Gradient updates so far.
    pub updates: usize,
    /// The snapshot name of the networks (`<name>.bpk`) and of their optimiser
    /// (`<name>_optim.bpk`).
    name: &'static str,
}

impl<N: QNets> QLearning<N> {
    /// The networks `build` makes on the learning device of `setup`, for `num_actions` actions,
    /// saved under `name`; the target starts as a copy, the setup's seed drives ε-greedy.
    pub fn new(
        name: &'static str,
        setup: &Setup,
        num_actions: usize,
        build: impl FnOnce(&Device) -> Result<N, AgentError>,
    ) -> Result<Self, AgentError> {
        let device = setup.device.clone().autodiff();
        let nets = build(&device)?;
        Ok(Self {
            target: nets.q().valid(),
            acting: nets.valid().to_device(&setup.act_device),
            nets,
            optim: adam(),
            device,
            act_device: setup.act_device.clone(),
            num_actions,
            rng: rng_from_seed(setup.seed),
            updates: 0,
            name,
        })
    }

    /// The acting device.
    pub fn act_device(&self) -> &Device {
        &self.act_device
    }

    /// Takes the networks of one more update; every `target_every`-th update (never for 0) the
    /// target becomes a copy of the Q-network.
    pub fn updated(&mut self, nets: N, target_every: usize) -> Result<(), AgentError> {
        self.nets = nets;
        self.updates += 1;
        if target_every > 0 && self.updates.is_multiple_of(target_every) {
            self.target = hard_update(self.target.clone(), &self.nets.q().valid())?;
        }
        Ok(())
    }

    /// The acting copy becomes the trained networks.
    pub fn sync_acting(&mut self) {
        self.acting = self.nets.valid().to_device(&self.act_device);
    }

    /// Adds the networks, target, optimiser, generator and counters (the update count, then
    /// `counters`) to `snapshot`.
    pub fn save(&self, snapshot: &mut Snapshot, counters: &[usize]) -> Result<(), AgentError> {
        save_module(snapshot, &format!("{}.bpk", self.name), &self.nets)?;
        save_module(snapshot, TARGET_FILE, &self.target)?;
        save_optim(snapshot, &format!("{}_optim.bpk", self.name), &self.optim)?;
        let all: Vec<usize> = std::iter::once(self.updates)
            .chain(counters.iter().copied())
            .collect();
        save_counters(snapshot, COUNTERS_FILE, &all);
        save_json(snapshot, RNG_FILE, &self.rng)?;
        Ok(())
    }

    /// Restores what [`QLearning::save`] stored, all or nothing, and returns the `K` counters
    /// (the update count first).
    pub fn load<const K: usize>(&mut self, snapshot: &Snapshot) -> Result<[usize; K], AgentError> {
        let nets = load_module(snapshot, &format!("{}.bpk", self.name), self.nets.clone())?;
        let target = load_module(snapshot, TARGET_FILE, self.target.clone())?;
        let optim_file = format!("{}_optim.bpk", self.name);
        let optim = load_optim(snapshot, &optim_file, self.optim.clone())?;
        let counters: [usize; K] = load_counters(snapshot, COUNTERS_FILE)?;
        let rng = load_json(snapshot, RNG_FILE)?;
        self.nets = nets;
        self.target = target;
        self.optim = optim;
        self.updates = counters.first().copied().unwrap_or(0);
        self.rng = rng;
        self.sync_acting();
        Ok(counters)
    }

    /// One ε-greedy choice among `allowed` actions: with probability ε (always for ε ≥ 1) one
    /// of them uniformly, else `greedy` of them; `None` when none is allowed.
    pub fn epsilon_greedy<I: Iterator<Item = usize> + Clone>(
        &mut self,
        epsilon: f64,
        mut allowed: I,
        greedy: impl FnOnce(I) -> Option<usize>,
    ) -> Option<usize> {
        if epsilon >= 1.0 || self.rng.random::<f64>() < epsilon {
            let count = allowed.clone().count();
            if count == 0 {
                return None;
            }
            allowed.nth(self.rng.random_range(0..count))
        } else {
            greedy(allowed)
        }
    }
}

/// `Q(s, a)` of each row's taken action → `[B]`.
pub fn q_taken(q: &Mlp, observations: Tensor<2>, actions: Tensor<1, Int>) -> Tensor<1> {
    q.forward(observations)
        .gather(1, actions.unsqueeze_dim(1))
        .squeeze_dim::<1>(1)
}

/// The TD error `Q(s, a) − y` of each row of `t`, `q` being `Q(s, a)` with its graph and `y`
/// the target bootstrapped from `trained` and `target` (see [`next_state_values`]) over the
/// actions `mask` allows.
pub fn td_error(
    q: Tensor<1>,
    t: &BatchTensors,
    (trained, target): (&Mlp, &Mlp),
    is_double: bool,
    mask: Option<Tensor<2, Bool>>,
) -> Tensor<1> {
    let next = next_state_values(
        trained,
        target,
        t.next_observations.clone(),
        is_double,
        mask,
    );
    q - t.td_target(next).autodiff()
}
