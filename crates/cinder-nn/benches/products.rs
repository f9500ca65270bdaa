//! The rate of the matrix products the learners' updates are made of, on flex: what this
//! machine's cores can do at all, hence a floor under an off-policy run's time that no work
//! around the products can lower. Prints a markdown table; run with `cargo xtask bench
//! products` (release).
//!
//! Each shape is a minibatch through the widest hidden layer of an RL Zoo network (DDPG's
//! 400-300 and SAC's 256-256 on Pendulum, 256 rows; DQL's 256-256 on CartPole, 128 rows as in
//! Cinder's preset; PPO's 64-64, 256 rows), timed three ways: one product of all rows (flex
//! may split it over its threads), the two halves one after the other, and the two halves
//! side by side on two threads (what the off-policy learners do, see `cinder_nn::halves`).

use std::time::Instant;

use burn::tensor::{Device, Distribution, Tensor};

/// `[rows, k] · [k, n]` products per second, as GFLOP/s (2·rows·k·n per product), the median
/// of five timings of `reps` calls of `run`.
fn gflops(rows: usize, k: usize, n: usize, reps: usize, mut run: impl FnMut()) -> f64 {
    for _ in 0..reps / 10 + 1 {
        run();
    }
    let mut rates: Vec<f64> = (0..5)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..reps {
                run();
            }
            let flop = 2.0 * (rows * k * n) as f64 * reps as f64;
            flop / start.elapsed().as_secs_f64() / 1e9
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    rates[2]
}

fn main() {
    let device = Device::flex();
    device.seed(0);
    let threads = rayon::current_num_threads();
    println!("matrix products on flex, {threads} threads in the pool\n");
    println!(
        "| product [rows, k]·[k, n] | all rows, one call GFLOP/s | halves in turn | halves side by side |"
    );
    println!("|---|---:|---:|---:|");
    for (rows, k, n, reps) in [
        (256, 400, 300, 400),
        (256, 256, 256, 600),
        (128, 256, 256, 1_000),
        (256, 64, 64, 5_000),
    ] {
        let weights = Tensor::<2>::random([k, n], Distribution::Default, &device);
        let top = Tensor::<2>::random([rows / 2, k], Distribution::Default, &device);
        let bottom = Tensor::<2>::random([rows / 2, k], Distribution::Default, &device);
        let inputs = Tensor::cat(vec![top.clone(), bottom.clone()], 0);
        let product = |x: &Tensor<2>| {
            let out = x.clone().matmul(weights.clone());
            std::hint::black_box(out);
        };
        let whole = gflops(rows, k, n, reps, || product(&inputs));
        let in_turn = gflops(rows, k, n, reps, || {
            product(&top);
            product(&bottom);
        });
        let side_by_side = gflops(rows, k, n, reps, || {
            rayon::join(|| product(&top), || product(&bottom));
        });
        println!("| [{rows}, {k}]·[{k}, {n}] | {whole:.1} | {in_turn:.1} | {side_by_side:.1} |");
    }
}
