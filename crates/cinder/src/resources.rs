//! The memory a run will take, estimated from its resolved settings before anything is
//! allocated, so that a huge `memory_size`, `hidden`, `n_envs` or `n_steps` is bad input
//! naming the setting rather than an allocation abort or the kernel's OOM killer.
//!
//! The estimate reads the flat settings table (the keys of `config.toml`), with saturating
//! 128-bit arithmetic: no setting can overflow it. It counts what grows with the settings —
//! environments, the rollout or replay memory, the networks trained with Adam (value, gradient
//! and two moments per parameter, and activations with their gradients for the rows of one
//! pass) and the evaluation — not the process's fixed cost (code, burn's allocator caches).
//! A dataset's size is the file's, read at build.

use crate::registry::Family;

/// The sizes of the environment that a run's memory depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    /// Values in one observation.
    pub observation_dim: u64,
    /// Values in one action (box) or number of actions (discrete): the width of a policy's
    /// output and of a critic's action input.
    pub action_dim: u64,
    /// The environment's time limit (`u64::MAX`: none), which bounds an iteration of
    /// `min_rollouts` episodes.
    pub max_episode_steps: u64,
}

/// One part of a run's memory: the setting that sizes it, what it is, and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    /// The setting (or product of settings) that sizes it, e.g. `memory_size`.
    pub setting: &'static str,
    /// What it holds, e.g. "the replay memory".
    pub what: &'static str,
    /// Estimated bytes.
    pub bytes: u128,
}

/// A non-negative integer setting (0 when absent).
fn count(table: &toml::Table, key: &str) -> u128 {
    table
        .get(key)
        .and_then(toml::Value::as_integer)
        .map_or(0, |v| u128::try_from(v).unwrap_or(0))
}

/// A list of layer widths (empty when absent).
fn widths(table: &toml::Table, key: &str) -> Vec<u128> {
    table
        .get(key)
        .and_then(toml::Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|v| v.as_integer().map_or(0, |v| u128::try_from(v).unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default()
}

/// The critic's layer widths: `critic_hidden`, or `hidden` when that is empty or absent.
fn critic_widths(table: &toml::Table) -> Vec<u128> {
    match widths(table, "critic_hidden") {
        critic if critic.is_empty() => widths(table, "hidden"),
        critic => critic,
    }
}

/// What sizes the networks: `hidden`, or `critic_hidden` where the critic's own layers weigh
/// more than the policy's.
fn network_setting(table: &toml::Table, policy: u128, critic: u128) -> &'static str {
    match widths(table, "critic_hidden").is_empty() || critic <= policy {
        true => "hidden",
        false => "critic_hidden",
    }
}

/// `a · b` without overflow.
fn mul(a: u128, b: u128) -> u128 {
    a.saturating_mul(b)
}

/// An MLP `input → hidden… → output` trained with Adam: its bytes (16 per parameter: value,
/// gradient, two moments) and the bytes of its activations and their gradients per row of a
/// pass (8 per unit).
fn mlp(input: u128, hidden: &[u128], output: u128) -> (u128, u128) {
    let layers: Vec<u128> = std::iter::once(input)
        .chain(hidden.iter().copied())
        .chain(std::iter::once(output))
        .collect();
    let params = layers
        .windows(2)
        .map(|pair| mul(pair[0].saturating_add(1), pair[1]))
        .fold(0u128, u128::saturating_add);
    let units = layers.iter().fold(0u128, |sum, &w| sum.saturating_add(w));
    (mul(params, 16), mul(units, 8))
}

/// The sum of `(bytes, per-row bytes)` pairs.
fn sum(parts: &[(u128, u128)]) -> (u128, u128) {
    parts.iter().fold((0, 0), |(a, b), &(x, y)| {
        (a.saturating_add(x), b.saturating_add(y))
    })
}

/// ICM's three networks (bytes, per-row bytes), if the run has an `icm` table.
fn icm(table: &toml::Table, sizes: Sizes) -> Option<(u128, u128)> {
    let icm = table.get("icm")?.as_table()?;
    let (obs, act) = (
        u128::from(sizes.observation_dim),
        u128::from(sizes.action_dim),
    );
    // The defaults of `IcmConfig` where the table leaves a key out.
    let feature = icm
        .get("feature_dim")
        .map_or(64, |_| count(icm, "feature_dim"));
    let hidden = icm
        .get("hidden")
        .map_or(vec![64], |_| widths(icm, "hidden"));
    let model = icm
        .get("model_hidden")
        .map_or(vec![64], |_| widths(icm, "model_hidden"));
    let (features, per_row) = mlp(obs, &hidden, feature);
    Some(sum(&[
        (features, mul(per_row, 2)),
        mlp(feature.saturating_add(act), &model, feature),
        mlp(mul(feature, 2), &model, act),
    ]))
}

/// The networks' own bytes, named by `setting`, and ICM's networks with their passes over
/// `rows` rows, named by its keys.
fn networks(
    setting: &'static str,
    bytes: u128,
    icm: Option<(u128, u128)>,
    rows: u128,
) -> Vec<Need> {
    let mut needs = vec![Need {
        setting,
        what: "the networks",
        bytes,
    }];
    if let Some((bytes, per_row)) = icm {
        needs.push(Need {
            setting: "icm.feature_dim / icm.hidden",
            what: "the curiosity module",
            bytes: bytes.saturating_add(mul(rows, per_row)),
        });
    }
    needs
}

/// Every part of the memory of a run of `family` with the settings `table`.
pub fn needs(table: &toml::Table, family: Family, sizes: Sizes) -> Vec<Need> {
    let (obs, act) = (
        u128::from(sizes.observation_dim),
        u128::from(sizes.action_dim),
    );
    let n_envs = count(table, "n_envs");
    let eval_episodes = count(table, "eval_episodes");
    let (hidden, critic_hidden) = (widths(table, "hidden"), critic_widths(table));
    let batch = count(table, "batch_size");
    let env_bytes = 4096u128.saturating_add(mul(obs, 16));
    let mut needs = vec![
        Need {
            setting: "n_envs",
            what: "the training environments",
            bytes: mul(n_envs, env_bytes),
        },
        Need {
            setting: "eval_episodes",
            what: "the evaluation",
            bytes: mul(eval_episodes, 64).saturating_add(mul(eval_episodes.min(n_envs), env_bytes)),
        },
    ];
    let icm = icm(table, sizes);
    match family {
        Family::OnPolicy | Family::Exploration => {
            // A pass covers the whole rollout (the critic's values, ICM's rewards). With
            // `min_rollouts`, at most every environment's episode beyond the last needed one
            // runs to the time limit.
            let (rows, rollout, passes) = match count(table, "min_rollouts") {
                0 => (
                    mul(n_envs, count(table, "n_steps")),
                    "n_envs × n_steps",
                    "n_envs × n_steps × hidden",
                ),
                episodes => (
                    mul(
                        episodes.saturating_add(n_envs),
                        u128::from(sizes.max_episode_steps),
                    ),
                    "min_rollouts × the time limit",
                    "min_rollouts × the time limit × hidden",
                ),
            };
            let (policy, critic) = (mlp(obs, &hidden, act), mlp(obs, &critic_hidden, 1));
            let setting = network_setting(table, policy.0, critic.0);
            let (bytes, per_row) = sum(&[policy, critic]);
            let row_bytes = mul(obs, 8).saturating_add(mul(act, 8)).saturating_add(48);
            needs.push(Need {
                setting: rollout,
                what: "the rollout",
                bytes: mul(rows, row_bytes),
            });
            needs.push(Need {
                setting: passes,
                what: "the rollout's passes through the networks",
                bytes: mul(rows, per_row),
            });
            needs.extend(networks(setting, bytes, icm, rows));
            // SVPG: every particle has its own environments, rollout and networks.
            if table.contains_key("num_particles") {
                let particles = count(table, "num_particles");
                for need in needs.iter_mut().filter(|n| n.setting != "eval_episodes") {
                    need.bytes = mul(need.bytes, particles);
                    need.setting = match need.setting {
                        "n_envs" => "num_particles × n_envs",
                        "n_envs × n_steps" => "num_particles × n_envs × n_steps",
                        "n_envs × n_steps × hidden" => {
                            "num_particles × n_envs × n_steps × hidden"
                        }
                        "hidden" => "num_particles × hidden",
                        _ => "num_particles × icm",
                    };
                }
            }
        }
        Family::OffPolicy => {
            let transition = mul(obs, 8).saturating_add(mul(act, 4)).saturating_add(6);
            needs.push(Need {
                setting: "memory_size",
                what: "the replay memory",
                bytes: mul(count(table, "memory_size"), transition),
            });
            // Policy, critics and their targets.
            let policy = mlp(obs, &hidden, act);
            let critic = mlp(obs.saturating_add(act), &critic_hidden, 1);
            let setting = network_setting(table, policy.0, critic.0);
            let (bytes, per_row) = sum(&[policy, critic]);
            // A minibatch carries every step of its n-step windows (what ICM reads).
            let steps = mul(batch, count(table, "estimation_step").max(1));
            needs.push(Need {
                setting: "batch_size × estimation_step",
                what: "a minibatch's window steps",
                bytes: mul(steps, mul(obs, 8).saturating_add(mul(act, 4))),
            });
            needs.push(Need {
                setting: "batch_size × hidden",
                what: "a minibatch's passes through the networks",
                bytes: mul(batch, mul(per_row, 6)),
            });
            needs.extend(networks(setting, mul(bytes, 6), icm, steps));
        }
        Family::Offline => {
            let (bytes, per_row) = mlp(obs, &hidden, act);
            needs.push(Need {
                setting: "batch_size × hidden",
                what: "a minibatch's passes through the networks",
                bytes: mul(batch, mul(per_row, 4)),
            });
            needs.extend(networks("hidden", mul(bytes, 4), None, 0));
        }
    }
    needs
}

/// The memory the system can still give, from `/proc/meminfo` (`None` where it cannot be
/// read: the check is then skipped).
pub fn available_memory() -> Option<u128> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u128 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib.saturating_mul(1024))
}

/// `bytes` for people: `1.5 GiB`.
pub fn human(bytes: u128) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// An error naming the largest need when the total is more than `available`.
pub fn check(needs: &[Need], available: Option<u128>) -> Result<(), String> {
    let total = needs
        .iter()
        .fold(0u128, |sum, need| sum.saturating_add(need.bytes));
    let (Some(available), Some(largest)) = (available, needs.iter().max_by_key(|n| n.bytes)) else {
        return Ok(());
    };
    if total <= available {
        return Ok(());
    }
    Err(format!(
        "this run would need about {} of memory, more than the {} available: `{}` ({}) needs {}",
        human(total),
        human(available),
        largest.setting,
        largest.what,
        human(largest.bytes)
    ))
}
