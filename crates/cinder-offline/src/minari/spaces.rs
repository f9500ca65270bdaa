//! Spaces in Minari's JSON serialisation (read and written) and the Gymnasium `EnvSpec` of
//! the environments Cinder ships.

use cinder_core::Space;
use cinder_core::space::{BoxSpace, Discrete};
use cinder_data::DatasetError;
use serde_json::{Value, json};

use super::format_error;

/// A space from Minari's serialisation: a JSON string whose numbers may be `Infinity`,
/// `-Infinity` or `NaN` (Python's `json` writes them so).
pub(super) fn parse_space(value: Option<&Value>, key: &str) -> Result<Space, DatasetError> {
    let bad = |what: String| format_error(&format!("`{key}`: {what}"));
    let text = value
        .and_then(Value::as_str)
        .ok_or_else(|| bad("missing or not a string".into()))?;
    let quoted = text
        .replace("-Infinity", "\"-inf\"")
        .replace("Infinity", "\"inf\"")
        .replace("NaN", "\"nan\"");
    let space: Value =
        serde_json::from_str(&quoted).map_err(|e| bad(format!("not valid JSON: {e}")))?;
    match space.get("type").and_then(Value::as_str) {
        Some("Discrete") => {
            let n = space.get("n").and_then(Value::as_u64).unwrap_or(0) as usize;
            let start = space.get("start").and_then(Value::as_i64).unwrap_or(0);
            if start != 0 {
                return Err(bad(format!(
                    "Discrete spaces starting at {start} are not supported"
                )));
            }
            Discrete::new(n)
                .map(Space::Discrete)
                .map_err(|e| bad(e.to_string()))
        }
        Some("Box") => {
            let shape: Vec<usize> = space
                .get("shape")
                .and_then(Value::as_array)
                .map(|dims| {
                    dims.iter()
                        .filter_map(Value::as_u64)
                        .map(|d| d as usize)
                        .collect()
                })
                .unwrap_or_default();
            let bound = |name: &str| -> Result<Vec<f32>, DatasetError> {
                let mut values = Vec::new();
                flatten_bound(space.get(name), &mut values)
                    .ok_or_else(|| bad(format!("Box `{name}` is not an array of numbers")))?;
                Ok(values)
            };
            BoxSpace::with_shape(bound("low")?, bound("high")?, shape)
                .map(Space::Box)
                .map_err(|e| bad(e.to_string()))
        }
        Some(other) => Err(bad(format!(
            "{other} spaces are not supported (Box and Discrete are)"
        ))),
        None => Err(bad("no `type`".into())),
    }
}

/// Appends the numbers of a (nested) bound array to `out`.
fn flatten_bound(value: Option<&Value>, out: &mut Vec<f32>) -> Option<()> {
    match value? {
        Value::Array(items) => items.iter().try_for_each(|v| flatten_bound(Some(v), out)),
        Value::Number(n) => {
            out.push(n.as_f64()? as f32);
            Some(())
        }
        Value::String(s) => {
            out.push(s.parse::<f32>().ok()?);
            Some(())
        }
        _ => None,
    }
}

/// `space` as Minari serialises it: a JSON string, infinities written `Infinity`.
pub(super) fn space_json(space: &Space) -> String {
    match space {
        Space::Discrete(d) => {
            json!({"type": "Discrete", "dtype": "int64", "start": 0, "n": d.n()}).to_string()
        }
        Space::Box(b) => {
            let list = |values: &[f32]| {
                let items: Vec<String> = values
                    .iter()
                    .map(|&v| match v {
                        v if v == f32::INFINITY => "Infinity".to_string(),
                        v if v == f32::NEG_INFINITY => "-Infinity".to_string(),
                        v => format!("{:?}", f64::from(v)),
                    })
                    .collect();
                nest(&items, b.shape())
            };
            format!(
                "{{\"type\": \"Box\", \"dtype\": \"float32\", \"shape\": {:?}, \"low\": {}, \
                 \"high\": {}}}",
                b.shape(),
                list(b.low()),
                list(b.high())
            )
        }
    }
}

/// Row-major `items` as a nested JSON list of `shape`.
fn nest(items: &[String], shape: &[usize]) -> String {
    match shape {
        [] | [_] => format!("[{}]", items.join(", ")),
        [_, rest @ ..] => {
            let inner: usize = rest.iter().product();
            let rows: Vec<String> = items
                .chunks(inner.max(1))
                .map(|chunk| nest(chunk, rest))
                .collect();
            format!("[{}]", rows.join(", "))
        }
    }
}

/// Gymnasium's `EnvSpec` JSON for the classic-control environments Cinder ships (Gymnasium
/// 1.x entry points, time limits and thresholds), so Minari can recreate the environment.
pub(super) fn gymnasium_env_spec(id: &str) -> Option<Value> {
    let (module, class, max_steps, threshold) = match id {
        "CartPole-v1" => ("cartpole", "CartPoleEnv", 500, Some(475.0)),
        "Pendulum-v1" => ("pendulum", "PendulumEnv", 200, None),
        "Acrobot-v1" => ("acrobot", "AcrobotEnv", 500, Some(-100.0)),
        "MountainCar-v0" => ("mountain_car", "MountainCarEnv", 200, Some(-110.0)),
        "MountainCarContinuous-v0" => (
            "continuous_mountain_car",
            "Continuous_MountainCarEnv",
            999,
            Some(90.0),
        ),
        _ => return None,
    };
    Some(json!({
        "id": id,
        "entry_point": format!("gymnasium.envs.classic_control.{module}:{class}"),
        "reward_threshold": threshold,
        "nondeterministic": false,
        "max_episode_steps": max_steps,
        "order_enforce": true,
        "disable_env_checker": false,
        "kwargs": {},
        "additional_wrappers": [],
        "vector_entry_point": null,
    }))
}
