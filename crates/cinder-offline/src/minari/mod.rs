//! Minari 0.5's on-disk layout (Farama's successor of D4RL), read and written without Python.
//!
//! A dataset directory `<root>/<namespace>/<name>-v<N>/` holds `data/metadata.json` (spaces as
//! JSON strings, `data_format`, `env_spec`, counts, provenance) and either
//! - `data/main_data.hdf5` (`data_format = "hdf5"`, Minari's default): one group `episode_<i>`
//!   per episode with datasets `observations` (`T + 1` rows), `actions`, `rewards` (f64),
//!   `terminations`, `truncations` (h5py booleans) and attributes `id`, `seed`, `total_steps`;
//! - or, for `data_format = "arrow"`, one folder `data/<i>/` per episode with Arrow IPC files
//!   of `T + 1` rows (actions, rewards and flags padded by one row) and a `metadata.json`
//!   holding `seed`.
//!
//! HDF5 goes through `hdf5-pure` (pure Rust: no libhdf5 to install, reads h5py's chunked
//! datasets, writes files h5py opens); Arrow through Apache's `arrow-ipc`. Cinder writes
//! HDF5, the format of Minari's published datasets. Only flat spaces are supported (`Box`,
//! `Discrete` starting at 0); Dict, Tuple, Text and image spaces are refused by name.

use std::fs;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, Float64Type, Int64Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use cinder_core::{ActionBatch, Space};
use cinder_data::{Dataset, DatasetError, Episode, Provenance};
use hdf5_pure::{AttrValue, EnumTypeBuilder, FileBuilder, make_i8_type};
use serde_json::{Value, json};

mod spaces;

use spaces::{gymnasium_env_spec, parse_space, space_json};

/// The file Minari keeps a dataset's metadata in.
const METADATA: &str = "metadata.json";
/// The HDF5 file of `data_format = "hdf5"`.
const HDF5_FILE: &str = "main_data.hdf5";
/// The Minari version whose layout this module reads and writes.
pub const MINARI_VERSION: &str = "0.5.4";

/// Whether this build reads and writes Minari datasets: it does (the `minari` feature is on;
/// without it this is the error every call of the module returns).
pub fn built() -> Result<(), DatasetError> {
    Ok(())
}

/// Reads the Minari dataset at `path` (the dataset directory or its `data/` folder), in HDF5
/// or Arrow format, and validates it. Errors name the file and, for bad values, the episode
/// and step.
pub fn load(path: &Path) -> Result<Dataset, DatasetError> {
    let data = data_dir(path)?;
    let metadata_path = data.join(METADATA);
    let metadata = read_json(&metadata_path)?;
    let meta = |key: &str| metadata.get(key);
    let in_metadata = |e: DatasetError| e.in_file(metadata_path.display());
    let observation_space =
        parse_space(meta("observation_space"), "observation_space").map_err(in_metadata)?;
    let action_space = parse_space(meta("action_space"), "action_space").map_err(in_metadata)?;
    let total_episodes = meta("total_episodes")
        .and_then(Value::as_u64)
        .ok_or_else(|| in_metadata(format_error("`total_episodes` is missing or not a count")))?
        as usize;
    let format = meta("data_format")
        .and_then(Value::as_str)
        .unwrap_or("hdf5");
    let layout = Layout {
        observation_dim: observation_space.flat_dim(),
        action_space: &action_space,
    };
    let episodes = match format {
        "hdf5" => {
            let file = data.join(HDF5_FILE);
            layout
                .read_hdf5(&file, total_episodes)
                .map_err(|e| e.in_file(file.display()))?
        }
        "arrow" => (0..total_episodes)
            .map(|i| {
                let dir = data.join(i.to_string());
                layout
                    .read_arrow(&dir)
                    .map_err(|e| e.in_file(dir.display()))
            })
            .collect::<Result<_, _>>()?,
        other => {
            return Err(in_metadata(format_error(&format!(
                "data_format `{other}` is not supported (hdf5 or arrow)"
            ))));
        }
    };
    let dataset = Dataset {
        env_id: meta("env_spec")
            .and_then(Value::as_str)
            .and_then(|spec| serde_json::from_str::<Value>(spec).ok())
            .and_then(|spec| spec.get("id").and_then(Value::as_str).map(String::from)),
        observation_space,
        action_space,
        episodes,
        provenance: provenance(&metadata),
    };
    dataset.validate().map_err(|e| e.in_file(data.display()))?;
    let steps = meta("total_steps").and_then(Value::as_u64);
    if steps.is_some_and(|s| s as usize != dataset.num_steps()) {
        return Err(in_metadata(format_error(&format!(
            "total_steps says {}, the episodes hold {}",
            steps.unwrap_or(0),
            dataset.num_steps()
        ))));
    }
    Ok(dataset)
}

/// Writes `dataset` (validated first) as a Minari HDF5 dataset into the directory `path`,
/// which must not exist yet: everything is written beside it first and moved into place at
/// the end, so a failure leaves nothing behind and nothing existing is overwritten.
/// `minari.load_dataset` opens it once it lies at `$MINARI_DATASETS_PATH/<namespace>/<name>-vN`.
pub fn save(dataset: &Dataset, path: &Path) -> Result<(), DatasetError> {
    dataset.validate()?;
    if path.exists() {
        return Err(
            format_error("already exists; refusing to overwrite it").in_file(path.display())
        );
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| format_error("needs a directory name").in_file(path.display()))?;
    let parent = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(|e| DatasetError::Io(e).in_file(parent.display()))?;
    let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
    let result = write_into(dataset, &staging, &name).and_then(|()| {
        fs::rename(&staging, path).map_err(|e| DatasetError::Io(e).in_file(path.display()))
    });
    if result.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    result
}

fn write_into(dataset: &Dataset, dir: &Path, name: &str) -> Result<(), DatasetError> {
    let data = dir.join("data");
    fs::create_dir_all(&data).map_err(|e| DatasetError::Io(e).in_file(data.display()))?;
    let file = data.join(HDF5_FILE);
    write_hdf5(dataset, &file).map_err(|e| e.in_file(file.display()))?;
    let size_mb = fs::metadata(&file).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
    let p = &dataset.provenance;
    let mut metadata = json!({
        "total_episodes": dataset.episodes.len(),
        "total_steps": dataset.num_steps(),
        "data_format": "hdf5",
        "jpeg_encoding": false,
        "observation_space": space_json(&dataset.observation_space),
        "action_space": space_json(&dataset.action_space),
        "dataset_size": (size_mb * 10.0).round() / 10.0,
        "dataset_id": p.dataset_id.clone().unwrap_or_else(|| format!("cinder/{name}")),
        "minari_version": MINARI_VERSION,
    });
    let fields = [
        ("algorithm_name", &p.algorithm_name),
        ("description", &p.description),
        ("code_permalink", &p.code_permalink),
    ];
    for (key, value) in fields {
        if let Some(value) = value {
            metadata[key] = json!(value);
        }
    }
    if let Some(author) = &p.author {
        metadata["author"] = json!([author]);
    }
    if let Some(spec) = dataset.env_id.as_deref().and_then(gymnasium_env_spec) {
        metadata["env_spec"] = json!(spec.to_string());
    }
    let path = data.join(METADATA);
    fs::write(&path, metadata.to_string()).map_err(|e| DatasetError::Io(e).in_file(path.display()))
}

/// The `data/` folder of the dataset at `path`.
fn data_dir(path: &Path) -> Result<PathBuf, DatasetError> {
    for candidate in [path.join("data"), path.to_path_buf()] {
        if candidate.join(METADATA).is_file() {
            return Ok(candidate);
        }
    }
    Err(
        format_error("no Minari dataset here (expected data/metadata.json)")
            .in_file(path.display()),
    )
}

fn read_json(path: &Path) -> Result<Value, DatasetError> {
    let text = fs::read_to_string(path).map_err(|e| DatasetError::Io(e).in_file(path.display()))?;
    serde_json::from_str(&text)
        .map_err(|e| format_error(&format!("not valid JSON: {e}")).in_file(path.display()))
}

fn format_error(what: &str) -> DatasetError {
    DatasetError::Format(what.to_string())
}

fn provenance(metadata: &Value) -> Provenance {
    let text = |key: &str| metadata.get(key).and_then(Value::as_str).map(String::from);
    let author = match metadata.get("author") {
        Some(Value::Array(names)) => Some(
            names
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        Some(Value::String(name)) => Some(name.clone()),
        _ => None,
    };
    Provenance {
        dataset_id: text("dataset_id"),
        algorithm_name: text("algorithm_name"),
        author,
        description: text("description"),
        code_permalink: text("code_permalink"),
        writer: text("minari_version").map(|v| format!("minari {v}")),
    }
}

/// How episodes' arrays are shaped.
struct Layout<'a> {
    observation_dim: usize,
    action_space: &'a Space,
}

impl Layout<'_> {
    fn read_hdf5(&self, path: &Path, total_episodes: usize) -> Result<Vec<Episode>, DatasetError> {
        let h5 = |e: hdf5_pure::Error| format_error(&format!("HDF5: {e}"));
        let file = hdf5_pure::File::open(path).map_err(h5)?;
        (0..total_episodes)
            .map(|i| {
                let name = format!("episode_{i}");
                let in_group = |e: DatasetError| DatasetError::Episode {
                    episode: i,
                    what: format!("group {name}: {e}"),
                };
                let group = file.group(&name).map_err(|e| in_group(h5(e)))?;
                let read = |key: &str| group.dataset(key).map_err(|e| in_group(h5(e)));
                let observations = read("observations")?
                    .read_f32()
                    .map_err(|e| in_group(h5(e)))?;
                let actions = match self.action_space {
                    Space::Discrete(_) => {
                        let raw = read("actions")?.read_i64().map_err(|e| in_group(h5(e)))?;
                        ActionBatch::Discrete(discrete_actions(&raw, i)?)
                    }
                    Space::Box(_) => ActionBatch::Continuous(
                        read("actions")?.read_f32().map_err(|e| in_group(h5(e)))?,
                    ),
                };
                let flags = |key: &str| -> Result<Vec<bool>, DatasetError> {
                    let raw = read(key)?.read_u8().map_err(|e| in_group(h5(e)))?;
                    Ok(raw.into_iter().map(|b| b != 0).collect())
                };
                let seed = match group.attrs().map_err(|e| in_group(h5(e)))?.get("seed") {
                    Some(AttrValue::I64(s)) => u64::try_from(*s).ok(),
                    Some(AttrValue::U64(s)) => Some(*s),
                    _ => None,
                };
                Ok(Episode {
                    observations,
                    actions,
                    rewards: read("rewards")?.read_f64().map_err(|e| in_group(h5(e)))?,
                    terminations: flags("terminations")?,
                    truncations: flags("truncations")?,
                    seed,
                })
            })
            .collect()
    }

    /// One episode folder of an Arrow dataset: its IPC files' rows in order, less the padding
    /// row of actions, rewards and flags.
    fn read_arrow(&self, dir: &Path) -> Result<Episode, DatasetError> {
        let mut files: Vec<PathBuf> = fs::read_dir(dir)?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "arrow"))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(format_error("no .arrow file"));
        }
        let mut columns = Columns::default();
        for path in &files {
            let file = fs::File::open(path)?;
            let reader = arrow_ipc::reader::FileReader::try_new(file, None)
                .map_err(|e| format_error(&format!("Arrow IPC: {e}")).in_file(path.display()))?;
            for batch in reader {
                let batch = batch.map_err(|e| {
                    format_error(&format!("Arrow IPC: {e}")).in_file(path.display())
                })?;
                self.append(&batch, &mut columns)
                    .map_err(|e| e.in_file(path.display()))?;
            }
        }
        let rows = columns.rewards.len();
        if rows < 2 {
            return Err(format_error(
                "an episode needs at least one step (two rows)",
            ));
        }
        let steps = rows - 1;
        let action_dim = self.action_space.flat_dim();
        let actions = match self.action_space {
            Space::Discrete(_) => {
                ActionBatch::Discrete(discrete_actions(&columns.discrete[..steps], 0)?)
            }
            Space::Box(_) => {
                columns.continuous.truncate(steps * action_dim);
                ActionBatch::Continuous(columns.continuous)
            }
        };
        columns.rewards.truncate(steps);
        columns.terminations.truncate(steps);
        columns.truncations.truncate(steps);
        let metadata = dir.join(METADATA);
        let seed = if metadata.is_file() {
            read_json(&metadata)?.get("seed").and_then(Value::as_u64)
        } else {
            None
        };
        Ok(Episode {
            observations: columns.observations,
            actions,
            rewards: columns.rewards,
            terminations: columns.terminations,
            truncations: columns.truncations,
            seed,
        })
    }

    /// Appends the columns of `batch` after checking their types.
    fn append(&self, batch: &RecordBatch, out: &mut Columns) -> Result<(), DatasetError> {
        let column = |name: &str| {
            batch
                .column_by_name(name)
                .ok_or_else(|| format_error(&format!("no column `{name}`")))
        };
        let wrong =
            |name: &str, t: &DataType| format_error(&format!("column `{name}` has type {t}"));
        let floats = |name: &str, width: usize, out: &mut Vec<f32>| -> Result<(), DatasetError> {
            let array = column(name)?;
            match array.data_type() {
                DataType::FixedSizeList(item, w)
                    if *item.data_type() == DataType::Float32 && *w as usize == width =>
                {
                    let list = array.as_fixed_size_list();
                    let values = list.values().as_primitive::<Float32Type>();
                    let start = list.offset() * width;
                    out.extend_from_slice(&values.values()[start..start + list.len() * width]);
                    Ok(())
                }
                other => Err(wrong(name, other)),
            }
        };
        floats("observations", self.observation_dim, &mut out.observations)?;
        match self.action_space {
            Space::Discrete(_) => {
                let array = column("actions")?;
                let DataType::Int64 = array.data_type() else {
                    return Err(wrong("actions", array.data_type()));
                };
                out.discrete.extend(
                    array
                        .as_primitive::<Int64Type>()
                        .iter()
                        .map(|a| a.unwrap_or(0)),
                );
            }
            Space::Box(b) => floats("actions", b.flat_dim(), &mut out.continuous)?,
        }
        let rewards = column("rewards")?;
        if rewards.data_type() != &DataType::Float64 {
            return Err(wrong("rewards", rewards.data_type()));
        }
        out.rewards.extend(
            rewards
                .as_primitive::<Float64Type>()
                .iter()
                .map(|r| r.unwrap_or(f64::NAN)),
        );
        for (name, flags) in [
            ("terminations", &mut out.terminations),
            ("truncations", &mut out.truncations),
        ] {
            let array = column(name)?;
            if array.data_type() != &DataType::Boolean {
                return Err(wrong(name, array.data_type()));
            }
            flags.extend(array.as_boolean().iter().map(|b| b.unwrap_or(false)));
        }
        Ok(())
    }
}

/// An Arrow episode's columns, gathered over its record batches.
#[derive(Default)]
struct Columns {
    observations: Vec<f32>,
    discrete: Vec<i64>,
    continuous: Vec<f32>,
    rewards: Vec<f64>,
    terminations: Vec<bool>,
    truncations: Vec<bool>,
}

/// Stored int64 actions as indices; a negative one is an error of `episode`.
fn discrete_actions(raw: &[i64], episode: usize) -> Result<Vec<usize>, DatasetError> {
    raw.iter()
        .enumerate()
        .map(|(step, &a)| {
            usize::try_from(a).map_err(|_| DatasetError::Step {
                episode,
                step,
                what: format!("negative action {a}"),
            })
        })
        .collect()
}

fn write_hdf5(dataset: &Dataset, path: &Path) -> Result<(), DatasetError> {
    let h5 = |e: &dyn std::fmt::Display| format_error(&format!("HDF5: {e}"));
    // h5py's boolean: an enum over int8 with FALSE = 0 and TRUE = 1.
    let boolean = EnumTypeBuilder::with_base(make_i8_type())
        .value("FALSE", 0)
        .value("TRUE", 1)
        .build()
        .map_err(|e| h5(&e))?;
    let obs_shape: Vec<u64> = match &dataset.observation_space {
        Space::Box(b) => b.shape().iter().map(|&d| d as u64).collect(),
        Space::Discrete(_) => Vec::new(),
    };
    let mut builder = FileBuilder::new();
    for (i, episode) in dataset.episodes.iter().enumerate() {
        let steps = episode.len() as u64;
        let mut group = builder.create_group(&format!("episode_{i}"));
        group.set_attr("id", AttrValue::I64(i as i64));
        group.set_attr("total_steps", AttrValue::I64(steps as i64));
        if let Some(seed) = episode.seed.and_then(|s| i64::try_from(s).ok()) {
            group.set_attr("seed", AttrValue::I64(seed));
        }
        let shape = |rows: u64, inner: &[u64]| [&[rows][..], inner].concat();
        group
            .create_dataset("observations")
            .with_f32_data(&episode.observations)
            .with_shape(&shape(steps + 1, &obs_shape));
        match &episode.actions {
            ActionBatch::Discrete(a) => {
                let values: Vec<i64> = a.iter().map(|&a| a as i64).collect();
                group.create_dataset("actions").with_i64_data(&values);
            }
            ActionBatch::Continuous(a) => {
                let inner: Vec<u64> = match &dataset.action_space {
                    Space::Box(b) => b.shape().iter().map(|&d| d as u64).collect(),
                    Space::Discrete(_) => Vec::new(),
                };
                group
                    .create_dataset("actions")
                    .with_f32_data(a)
                    .with_shape(&shape(steps, &inner));
            }
        }
        group
            .create_dataset("rewards")
            .with_f64_data(&episode.rewards);
        for (key, flags) in [
            ("terminations", &episode.terminations),
            ("truncations", &episode.truncations),
        ] {
            let bytes: Vec<u8> = flags.iter().map(|&b| u8::from(b)).collect();
            group
                .create_dataset(key)
                .with_enum_u8_data(boolean.clone(), &bytes);
        }
        builder.add_group(group.finish());
    }
    builder.write(path).map_err(|e| h5(&e))
}

/// The storage format (`hdf5`, `arrow`, …) of the Minari dataset at `path`.
pub fn data_format(path: &Path) -> Result<String, DatasetError> {
    let metadata = data_dir(path)?.join(METADATA);
    let value = read_json(&metadata)?;
    Ok(value
        .get("data_format")
        .and_then(Value::as_str)
        .unwrap_or("hdf5")
        .to_string())
}
