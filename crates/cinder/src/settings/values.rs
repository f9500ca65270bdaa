//! Checks of single setting values that name the setting when they fail: schedules, choices
//! among names, network shapes, counts and gradient clips.

use cinder_nn::{Activation, NetConfig, Schedule};

use super::SettingsError;

/// `text` as a [`Schedule`], or an error naming `key`.
pub(super) fn schedule(key: &str, text: &str) -> Result<Schedule, SettingsError> {
    Schedule::parse(text).ok_or_else(|| {
        SettingsError::Invalid(format!(
            "invalid setting `{key}` = \"{text}\": expected constant, linear or exponential:<gamma>"
        ))
    })
}

/// The setting `key` = `text`, one of `choices` (its spelling, its value).
pub(super) fn one_of<T: Copy>(
    key: &str,
    text: &str,
    choices: &[(&str, T)],
) -> Result<T, SettingsError> {
    choices
        .iter()
        .find(|(name, _)| *name == text)
        .map(|&(_, value)| value)
        .ok_or_else(|| {
            let names: Vec<&str> = choices.iter().map(|(name, _)| *name).collect();
            SettingsError::Invalid(format!(
                "invalid setting `{key}` = \"{text}\": expected {}",
                names.join(" or ")
            ))
        })
}

/// The settings `hidden` and `activation` (`tanh` or `relu`) as a network shape.
pub(super) fn net(hidden: &[usize], activation: &str) -> Result<NetConfig, SettingsError> {
    let choices = [("tanh", Activation::Tanh), ("relu", Activation::Relu)];
    let activation = one_of("activation", activation, &choices)?;
    Ok(NetConfig::new(hidden, activation))
}

/// Checks that each named count is at least 1.
pub(super) fn at_least_one(counts: &[(&str, usize)]) -> Result<(), SettingsError> {
    match counts.iter().find(|(_, v)| *v == 0) {
        Some((name, _)) => Err(SettingsError::Invalid(format!(
            "invalid setting `{name}` = 0: must be at least 1"
        ))),
        None => Ok(()),
    }
}

/// `max_grad_norm` as an optional clip: 0 disables it, negative or non-finite is an error.
pub(super) fn grad_clip(max_grad_norm: f64) -> Result<Option<f64>, SettingsError> {
    if max_grad_norm < 0.0 || !max_grad_norm.is_finite() {
        return Err(SettingsError::Invalid(format!(
            "invalid setting `max_grad_norm` = {max_grad_norm}: must be >= 0 (0 disables clipping)"
        )));
    }
    Ok((max_grad_norm > 0.0).then_some(max_grad_norm))
}
