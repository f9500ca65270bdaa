//! `cargo xtask bench explore`: ICM around PPO and DQL, PPO with and without curiosity on
//! MountainCar, SVPG beside its independent particles.

use anyhow::{Context, Result};

use super::{
    Bench, Binary, NO_BAR, SelectionArgs, only_entry, progress_rows, release_binary, train_table,
};

/// ICM on, stopping at the first evaluation of at least 195 (Tianshou's `stop_fn`).
const REACH_195: &[&str] = &["--icm", "--set", "return_threshold=195"];

/// The exploration benchmarks: Tianshou's ICM bars on CartPole (reach 195: like Tianshou's
/// tests, a run stops at the first evaluation that does), PPO with and without curiosity on
/// MountainCar (the bar: -150 within the preset's 500,000 steps), and SVPG beside the
/// same particles made independent: identity kernel, no restarts from the best.
const EXPLORE: &[Bench] = &[
    Bench::new("ppo-icm-cartpole", "ppo", "CartPole-v1", 195.0).with(REACH_195),
    Bench::new("dql-icm-cartpole", "dql", "CartPole-v1", 195.0).with(REACH_195),
    Bench::new("ppo-icm-mountaincar", "ppo", "MountainCar-v0", -150.0).with(&["--icm"]),
    Bench::new("ppo-mountaincar", "ppo", "MountainCar-v0", NO_BAR),
    Bench::new("svpg-cartpole", "svpg", "CartPole-v1", 475.0),
    Bench::new("svpg-identity-cartpole", "svpg", "CartPole-v1", NO_BAR).with(&[
        "--set",
        "kernel=identity",
        "--set",
        "horizon=0",
    ]),
];

/// The exploration benchmarks, then for every SVPG run its particles' returns and the mean
/// pairwise distance of their parameters at each quarter of training.
pub fn run(args: &SelectionArgs) -> Result<()> {
    let (binary, out) = release_binary(Binary::Default)?;
    train_table(&binary, &out, EXPLORE, args, |_| Vec::new())?;
    println!("\n| SVPG run | final particle returns | mean pairwise distance at 25/50/75/100% |");
    println!("|---|---|---|");
    for bench in EXPLORE.iter().filter(|b| b.algo == "svpg") {
        let prefix = format!("{}-seed", bench.name);
        let mut dirs: Vec<_> = std::fs::read_dir(&out)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                    n.strip_prefix(&prefix)
                        .is_some_and(|s| s.parse::<u64>().is_ok())
                })
            })
            .collect();
        dirs.sort();
        for dir in dirs {
            let run = only_entry(&dir)?;
            let rows = progress_rows(&run)?;
            let last = rows.last().context("progress.csv has no rows")?;
            let returns: Vec<String> = (0..)
                .map_while(|i| last.get(&format!("particle_{i}_return")))
                .map(|r| format!("{r:.0}"))
                .collect();
            let distances: Vec<String> = [1, 2, 3, 4]
                .iter()
                .map(|q| {
                    let row = &rows[(rows.len() * q / 4).saturating_sub(1)];
                    format!(
                        "{:.2}",
                        row.get("mean_pairwise_distance")
                            .copied()
                            .unwrap_or(f64::NAN)
                    )
                })
                .collect();
            println!(
                "| {} | {} | {} |",
                dir.file_name().unwrap_or_default().to_string_lossy(),
                returns.join(" "),
                distances.join(" / ")
            );
        }
    }
    Ok(())
}
