//! Where the training loop's numbers go: a live progress bar, `progress.csv`, TensorBoard
//! events, snapshots and, at the end, `learning_curve.png` — all under one run directory.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};

use cinder_core::EpisodeRecord;

use crate::snapshot::{SnapshotMeta, write_atomic, write_snapshot};
use crate::tensorboard::EventWriter;
use crate::{Evaluation, Metric, RunCounters, Snapshot, TrainConfig, TrainError, XAxis};

/// One iteration's line of the log.
#[derive(Debug, Clone, Copy)]
pub struct LogRow<'a> {
    /// The run's counters after this iteration (1-based iteration, steps, updates, episodes,
    /// wall seconds since training started).
    pub counters: RunCounters,
    /// Environment steps per second of this iteration (sampling and update).
    pub steps_per_second: f64,
    /// Gradient updates per second of this iteration.
    pub updates_per_second: f64,
    /// Episodes finished in this iteration.
    pub episodes: &'a [EpisodeRecord],
    /// The algorithm's statistics.
    pub metrics: &'a [Metric],
    /// The evaluation run after this iteration, if any.
    pub eval: Option<&'a Evaluation>,
}

/// Mean, min and max of episode returns and the mean length, if any episode finished.
fn episode_stats(episodes: &[EpisodeRecord]) -> Option<[f64; 4]> {
    if episodes.is_empty() {
        return None;
    }
    let n = episodes.len() as f64;
    let returns = episodes.iter().map(|e| e.episode_return);
    Some([
        returns.clone().sum::<f64>() / n,
        returns.clone().fold(f64::INFINITY, f64::min),
        returns.fold(f64::NEG_INFINITY, f64::max),
        episodes.iter().map(|e| e.length as f64).sum::<f64>() / n,
    ])
}

/// The run's log sinks. [`RunLogger::quiet`] writes nothing (library use, tests);
/// [`RunLogger::create`] writes every sink into a run directory.
pub struct RunLogger {
    dir: Option<PathBuf>,
    csv: Option<BufWriter<File>>,
    events: Option<EventWriter>,
    show_bar: bool,
    bar: Option<ProgressBar>,
    bar_counts: Budget,
    x_axis: XAxis,
    run_info: serde_json::Value,
    csv_has_header: bool,
    train_curve: Vec<CurvePoint>,
    eval_curve: Vec<CurvePoint>,
}

/// What the progress bar counts: the budget the run is given in.
#[derive(Debug, Clone, Copy)]
enum Budget {
    Steps,
    Updates,
    Iterations,
}

/// A mean return at a point of the run, placed on either x axis when the curve is drawn.
#[derive(Debug, Clone, Copy)]
struct CurvePoint {
    steps: f64,
    updates: f64,
    value: f64,
}

impl CurvePoint {
    fn at(self, axis: XAxis) -> (f64, f64) {
        match axis {
            XAxis::Steps => (self.steps, self.value),
            XAxis::Updates => (self.updates, self.value),
        }
    }
}

const CSV: &str = "progress.csv";

/// The learning curve's title: `<algo> on <env>, seed <seed>` from the run description, or
/// "Learning curve" without one.
fn curve_title(run_info: &serde_json::Value) -> String {
    match (
        run_info["algo"].as_str(),
        run_info["env"].as_str(),
        run_info["seed"].as_u64(),
    ) {
        (Some(algo), Some(env), Some(seed)) => format!("{algo} on {env}, seed {seed}"),
        _ => "Learning curve".to_string(),
    }
}

impl RunLogger {
    /// A logger with no files and no progress bar.
    pub fn quiet() -> Self {
        Self {
            dir: None,
            csv: None,
            events: None,
            show_bar: false,
            bar: None,
            bar_counts: Budget::Steps,
            x_axis: XAxis::Steps,
            run_info: serde_json::Value::Null,
            csv_has_header: false,
            train_curve: Vec::new(),
            eval_curve: Vec::new(),
        }
    }

    /// A logger writing into the existing directory `dir`; `run_info` goes into every
    /// snapshot's metadata (its `algo`, `env` and `seed` also title the learning curve);
    /// `progress_bar` shows a live bar on the terminal.
    pub fn create(
        dir: &Path,
        run_info: serde_json::Value,
        progress_bar: bool,
    ) -> Result<Self, TrainError> {
        let csv_path = dir.join(CSV);
        let csv = File::create(&csv_path).map_err(|source| TrainError::Io {
            path: csv_path,
            source,
        })?;
        Self::open(dir, csv, run_info, progress_bar)
    }

    /// A logger going on with the run in `dir` after iteration `iteration` (the snapshot it
    /// resumes from): rows of `progress.csv` after that iteration belong to the abandoned
    /// continuation and are dropped, the rest are kept and feed the learning curve; new rows
    /// are appended and TensorBoard events go to a new event file.
    pub fn resume(
        dir: &Path,
        iteration: usize,
        run_info: serde_json::Value,
        progress_bar: bool,
    ) -> Result<Self, TrainError> {
        let csv_path = dir.join(CSV);
        let bad = |reason: String| TrainError::Resume {
            path: csv_path.clone(),
            reason,
        };
        let text = std::fs::read_to_string(&csv_path).map_err(|source| TrainError::Io {
            path: csv_path.clone(),
            source,
        })?;
        // A process killed mid-write can leave a torn last line: only whole lines count.
        let whole = text.rfind('\n').map_or("", |end| &text[..end]);
        let mut lines = whole.lines();
        let header = lines
            .next()
            .ok_or_else(|| bad("the file is empty".into()))?;
        let column = |name: &str| {
            header
                .split(',')
                .position(|c| c == name)
                .ok_or_else(|| bad(format!("no `{name}` column")))
        };
        let (steps_col, return_col, eval_col) = (
            column("total_steps")?,
            column("return_mean")?,
            column("eval_mean")?,
        );
        // Runs logged before updates were counted have no `total_updates` column.
        let updates_col = column("total_updates").ok();
        let mut kept = format!("{header}\n");
        let (mut train_curve, mut eval_curve) = (Vec::new(), Vec::new());
        for (number, line) in lines.enumerate() {
            let fields: Vec<&str> = line.split(',').collect();
            let parse = |col: usize| fields.get(col).and_then(|f| f.parse::<f64>().ok());
            let (Some(row_iteration), Some(steps)) = (parse(0), parse(steps_col)) else {
                return Err(bad(format!("line {} is not a log row", number + 2)));
            };
            if row_iteration > iteration as f64 {
                break;
            }
            let updates = updates_col.and_then(parse).unwrap_or(0.0);
            let point = |value| CurvePoint {
                steps,
                updates,
                value,
            };
            train_curve.extend(parse(return_col).map(point));
            eval_curve.extend(parse(eval_col).map(point));
            kept.push_str(line);
            kept.push('\n');
        }
        write_atomic(&csv_path, kept.as_bytes())?;
        let csv = OpenOptions::new()
            .append(true)
            .open(&csv_path)
            .map_err(|source| TrainError::Io {
                path: csv_path.clone(),
                source,
            })?;
        let mut logger = Self::open(dir, csv, run_info, progress_bar)?;
        logger.csv_has_header = true;
        logger.train_curve = train_curve;
        logger.eval_curve = eval_curve;
        Ok(logger)
    }

    fn open(
        dir: &Path,
        csv: File,
        run_info: serde_json::Value,
        progress_bar: bool,
    ) -> Result<Self, TrainError> {
        Ok(Self {
            dir: Some(dir.to_path_buf()),
            csv: Some(BufWriter::new(csv)),
            events: Some(EventWriter::create(dir)?),
            show_bar: progress_bar,
            bar: None,
            bar_counts: Budget::Steps,
            x_axis: XAxis::Steps,
            run_info,
            csv_has_header: false,
            train_curve: Vec::new(),
            eval_curve: Vec::new(),
        })
    }

    /// Called by the loop before the first iteration.
    pub(crate) fn start(&mut self, config: &TrainConfig) {
        self.x_axis = config.x_axis;
        if !self.show_bar {
            return;
        }
        let (counts, len, unit) = match (config.total_steps, config.max_updates, config.max_iter) {
            (Some(steps), ..) => (Budget::Steps, steps, "steps"),
            (None, Some(updates), _) => (Budget::Updates, updates, "updates"),
            (None, None, iters) => (Budget::Iterations, iters.unwrap_or(0), "iterations"),
        };
        self.bar_counts = counts;
        let bar = ProgressBar::new(len as u64).with_style(
            ProgressStyle::with_template(&format!(
                "{{elapsed_precise}} [{{bar:30}}] {{pos}}/{{len}} {unit} ({{per_sec}}) {{msg}}"
            ))
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        self.bar = Some(bar);
    }

    /// Writes one iteration to every sink.
    pub fn log(&mut self, row: &LogRow<'_>) -> Result<(), TrainError> {
        let stats = episode_stats(row.episodes);
        let c = &row.counters;
        let point = |value| CurvePoint {
            steps: c.total_steps as f64,
            updates: c.total_updates as f64,
            value,
        };
        if let Some([mean, ..]) = stats {
            self.train_curve.push(point(mean));
        }
        if let Some(e) = row.eval {
            self.eval_curve.push(point(e.mean));
        }
        if let Some(bar) = &self.bar {
            let pos = match self.bar_counts {
                Budget::Steps => c.total_steps,
                Budget::Updates => c.total_updates,
                Budget::Iterations => c.iterations,
            };
            bar.set_position(pos as u64);
            let mut msg = match stats {
                Some([mean, ..]) => format!("return {mean:.1}"),
                None => String::new(),
            };
            if let Some(e) = self.eval_curve.last() {
                msg.push_str(&format!("  eval {:.1}", e.value));
            }
            bar.set_message(msg);
        }
        self.write_csv(row, stats)?;
        if let Some(events) = &mut self.events {
            let mut scalars: Vec<(String, f64)> = vec![
                ("time/steps_per_second".into(), row.steps_per_second),
                ("time/updates_per_second".into(), row.updates_per_second),
                ("time/episodes".into(), c.total_episodes as f64),
            ];
            if let Some([mean, min, max, len]) = stats {
                scalars.extend([
                    ("rollout/return_mean".into(), mean),
                    ("rollout/return_min".into(), min),
                    ("rollout/return_max".into(), max),
                    ("rollout/episode_length".into(), len),
                ]);
            }
            scalars.extend(
                row.metrics
                    .iter()
                    .map(|m| (format!("train/{}", m.name), m.value)),
            );
            if let Some(e) = row.eval {
                scalars.extend([
                    ("eval/return_mean".into(), e.mean),
                    ("eval/return_std".into(), e.std),
                ]);
            }
            let tagged: Vec<(&str, f64)> = scalars.iter().map(|(t, v)| (t.as_str(), *v)).collect();
            let step = match self.x_axis {
                XAxis::Steps => c.total_steps,
                XAxis::Updates => c.total_updates,
            };
            events.scalars(step as i64, &tagged)?;
        }
        Ok(())
    }

    fn write_csv(&mut self, row: &LogRow<'_>, stats: Option<[f64; 4]>) -> Result<(), TrainError> {
        let Some(csv) = &mut self.csv else {
            return Ok(());
        };
        let mut line = String::new();
        if !self.csv_has_header {
            self.csv_has_header = true;
            line.push_str(
                "iteration,total_steps,total_updates,total_episodes,wall_seconds,\
                 steps_per_second,updates_per_second,episodes,return_mean,return_min,return_max,\
                 episode_length_mean",
            );
            for m in row.metrics {
                line.push(',');
                line.push_str(m.name);
            }
            line.push_str(",eval_mean,eval_std\n");
        }
        let blank_or = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
        let c = &row.counters;
        line.push_str(&format!(
            "{},{},{},{},{:.3},{:.1},{:.1},{}",
            c.iterations,
            c.total_steps,
            c.total_updates,
            c.total_episodes,
            c.wall_seconds,
            row.steps_per_second,
            row.updates_per_second,
            row.episodes.len()
        ));
        for i in 0..4 {
            line.push(',');
            line.push_str(&blank_or(stats.map(|s| s[i])));
        }
        for m in row.metrics {
            line.push_str(&format!(",{}", m.value));
        }
        line.push_str(&format!(
            ",{},{}\n",
            blank_or(row.eval.map(|e| e.mean)),
            blank_or(row.eval.map(|e| e.std))
        ));
        let path = self.dir.clone().unwrap_or_default().join(CSV);
        csv.write_all(line.as_bytes())
            .and_then(|()| csv.flush())
            .map_err(|source| TrainError::Io { path, source })
    }

    /// Writes `snapshot` to `snapshots/<mode>` of the run directory (nothing when quiet).
    pub(crate) fn save_snapshot(
        &mut self,
        snapshot: &Snapshot,
        dir_name: &str,
        counters: RunCounters,
        eval: &Evaluation,
    ) -> Result<(), TrainError> {
        let Some(dir) = &self.dir else {
            return Ok(());
        };
        let meta = SnapshotMeta {
            iteration: counters.iterations,
            total_steps: counters.total_steps,
            total_updates: counters.total_updates,
            total_episodes: counters.total_episodes,
            wall_seconds: counters.wall_seconds,
            eval_mean: eval.mean,
            files: Vec::new(),
            run: self.run_info.clone(),
        };
        let target = dir.join("snapshots").join(dir_name);
        std::fs::create_dir_all(dir.join("snapshots")).map_err(|source| TrainError::Io {
            path: dir.join("snapshots"),
            source,
        })?;
        write_snapshot(&target, snapshot, meta)
    }

    /// Leaves the progress bar where it is (training failed).
    pub(crate) fn abandon(&mut self) {
        if let Some(bar) = &self.bar {
            bar.abandon();
        }
        if let Some(events) = &mut self.events {
            let _ = events.flush();
        }
    }

    /// Flushes the event file, closes the bar and draws `learning_curve.png`.
    pub(crate) fn finish(&mut self) -> Result<(), TrainError> {
        if let Some(bar) = &self.bar {
            bar.finish();
        }
        if let Some(events) = &mut self.events {
            events.flush()?;
        }
        if let Some(dir) = &self.dir {
            let axis = self.x_axis;
            let on_axis = |curve: &[CurvePoint]| curve.iter().map(|p| p.at(axis)).collect();
            let train: Vec<_> = on_axis(&self.train_curve);
            let eval: Vec<_> = on_axis(&self.eval_curve);
            let title = curve_title(&self.run_info);
            crate::plot::learning_curve(
                &dir.join("learning_curve.png"),
                &title,
                &train,
                &eval,
                axis,
            )?;
        }
        Ok(())
    }
}
