//! A Gymnasium id with its keyword arguments: `LunarLander-v3?continuous=true&gravity=-9.5`.

use std::fmt;

use cinder_core::EnvError;

/// A keyword argument's value, read from its text: `true`/`false`, `None`, an integer, a
/// float, else a string.
#[derive(Debug, Clone, PartialEq)]
pub enum KwargValue {
    /// `true` or `false` (Python's `True`/`False` also read).
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// `None`.
    None,
    /// Anything else.
    Str(String),
}

impl KwargValue {
    fn parse(text: &str) -> Self {
        match text {
            "true" | "True" => Self::Bool(true),
            "false" | "False" => Self::Bool(false),
            "None" | "none" => Self::None,
            _ => {
                if let Ok(i) = text.parse() {
                    Self::Int(i)
                } else if let Ok(x) = text.parse::<f64>() {
                    Self::Float(x)
                } else {
                    Self::Str(text.to_string())
                }
            }
        }
    }
}

impl fmt::Display for KwargValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bool(b) => write!(f, "{b}"),
            Self::Int(i) => write!(f, "{i}"),
            Self::Float(x) => write!(f, "{x:?}"),
            Self::None => write!(f, "None"),
            Self::Str(s) => write!(f, "{s}"),
        }
    }
}

/// A Gymnasium id and the keyword arguments `gymnasium.make` gets, in a canonical text form
/// (keys sorted) that names the environment everywhere Cinder keys by id: run directories,
/// `config.toml`, snapshots, presets.
#[derive(Debug, Clone, PartialEq)]
pub struct GymId {
    name: String,
    kwargs: Vec<(String, KwargValue)>,
}

impl GymId {
    /// Reads `name` or `name?key=value&key=value` (without the `gym:` prefix). An empty name,
    /// a pair without `=`, an empty key or a key given twice is an error.
    pub fn parse(text: &str) -> Result<Self, EnvError> {
        let bad = |reason: String| EnvError::IncompatibleEnv {
            context: format!("{}{text}", crate::PREFIX),
            reason,
        };
        let (name, query) = match text.split_once('?') {
            Some((name, query)) => (name, Some(query)),
            None => (text, None),
        };
        if name.is_empty() {
            return Err(bad("no Gymnasium id after `gym:`".into()));
        }
        let mut id = Self {
            name: name.to_string(),
            kwargs: Vec::new(),
        };
        for pair in query.into_iter().flat_map(|q| q.split('&')) {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| bad(format!("keyword argument `{pair}` is not key=value")))?;
            id = id.with_kwarg(key, value).map_err(bad)?;
        }
        Ok(id)
    }

    /// The same id with one more keyword argument (`value` read as [`KwargValue`]); an empty
    /// key, one that is not a Python identifier, or one already given is an error.
    pub fn with_kwarg(mut self, key: &str, value: &str) -> Result<Self, String> {
        let identifier = key
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !identifier {
            return Err(format!(
                "keyword argument name `{key}` is not a Python identifier"
            ));
        }
        if self.kwargs.iter().any(|(k, _)| k == key) {
            return Err(format!("keyword argument `{key}` is given twice"));
        }
        self.kwargs
            .push((key.to_string(), KwargValue::parse(value)));
        self.kwargs.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(self)
    }

    /// The Gymnasium id, e.g. `LunarLander-v3`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The keyword arguments, sorted by name.
    pub fn kwargs(&self) -> &[(String, KwargValue)] {
        &self.kwargs
    }
}

impl fmt::Display for GymId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name)?;
        for (i, (key, value)) in self.kwargs.iter().enumerate() {
            write!(f, "{}{key}={value}", if i == 0 { '?' } else { '&' })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_back_in_canonical_form() {
        let id =
            GymId::parse("LunarLander-v3?gravity=-9.5&continuous=true&x=1&m=None&s=abc").unwrap();
        assert_eq!(id.name(), "LunarLander-v3");
        assert_eq!(
            id.to_string(),
            "LunarLander-v3?continuous=true&gravity=-9.5&m=None&s=abc&x=1"
        );
        assert_eq!(GymId::parse(&id.to_string()).unwrap(), id);
        assert_eq!(id.kwargs()[1].1, KwargValue::Float(-9.5));
        assert_eq!(id.kwargs()[4].1, KwargValue::Int(1));
        // A float that reads back as itself, never as an integer.
        let whole = GymId::parse("X-v0?g=2.0").unwrap();
        assert_eq!(whole.to_string(), "X-v0?g=2.0");
        assert_eq!(
            GymId::parse("CartPole-v1").unwrap().to_string(),
            "CartPole-v1"
        );
    }

    #[test]
    fn bad_ids_are_refused_by_name() {
        for (text, says) in [
            ("", "no Gymnasium id"),
            ("?a=1", "no Gymnasium id"),
            ("X-v0?a", "not key=value"),
            ("X-v0?=1", "not a Python identifier"),
            ("X-v0?1a=1", "not a Python identifier"),
            ("X-v0?a=1&a=2", "given twice"),
        ] {
            let e = GymId::parse(text).unwrap_err().to_string();
            assert!(e.contains(says), "{text}: {e}");
        }
    }
}
