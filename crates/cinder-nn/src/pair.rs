//! [`join`]: two closures on two threads of a rayon pool, where the second thread waits for the
//! next pair spinning instead of asleep.
//!
//! One update of PPO on CartPole runs the policy's and the value function's backward passes
//! side by side: two pieces of about a tenth of a millisecond each, thousands of times a run,
//! with a little single-threaded work (the optimiser step) between them. With `rayon::join`
//! the second worker falls asleep in that gap and every pair starts with a futex wake-up and a
//! context switch; under `perf` thread wake-ups and the scheduler were 7 % of PPO's samples on
//! the 2-core AMD EPYC. Here a *partner* job, spawned into the pool once, takes each posted
//! closure as soon as it appears, helps with the pool's other work (split matrix products)
//! meanwhile, and gives its thread back after [`PATIENCE`] without work.
//!
//! The caller takes its closure back and runs it itself when no partner has started it by the
//! time its own closure is done, so a pair never waits on a sleeping thread. Outside a rayon
//! pool of two or more threads, or while another thread's pair holds the slot, [`join`] is
//! `rayon::join`. Either way each closure runs exactly once and their results are the same.
//!
//! Used for pairs of small pieces only ([`side_by_side`](crate::side_by_side)): PPO CartPole-v1
//! 100k took 0.91x the wall time of `rayon::join`, bit for bit the same run; SAC's minibatch
//! halves, whose 256-wide products split over the pool themselves, took 1.04x (5,000 steps of
//! Pendulum-v1), so [`backward_halves`](crate::backward_halves) keeps `rayon::join`.

use std::cell::UnsafeCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// How long the partner spins for a next closure before it returns its thread to the pool:
/// longer than the gap between two updates' pairs, short enough that a waiting core is not held
/// for long through an environment rollout.
pub const PATIENCE: Duration = Duration::from_millis(1);

/// No closure posted.
const EMPTY: u8 = 0;
/// A closure posted, not yet taken.
const POSTED: u8 = 1;
/// The partner runs the posted closure.
const TAKEN: u8 = 2;
/// The partner has run it; its result is in the job.
const DONE: u8 = 3;

/// The one place closures are posted in: held by one [`join`] at a time (`held`).
struct Slot {
    /// Whether a [`join`] owns the slot.
    held: AtomicBool,
    /// Whether a partner job is running or queued.
    partner: AtomicBool,
    /// The pool index of the thread that spawned the partner.
    spawner: AtomicUsize,
    /// [`EMPTY`], [`POSTED`], [`TAKEN`] or [`DONE`].
    state: AtomicU8,
    /// The posted closure: written by the holder while the state is [`EMPTY`], read by the
    /// partner after it moved the state from [`POSTED`] to [`TAKEN`].
    job: UnsafeCell<Option<JobRef>>,
}

// SAFETY: `job` is only touched under the state protocol above: by the holder of `held` while
// no partner can read it (EMPTY, or after its own POSTED -> EMPTY exchange), by the partner
// between its POSTED -> TAKEN exchange (Acquire) and its store of DONE (Release).
unsafe impl Sync for Slot {}

static SLOT: Slot = Slot {
    held: AtomicBool::new(false),
    partner: AtomicBool::new(false),
    spawner: AtomicUsize::new(usize::MAX),
    state: AtomicU8::new(EMPTY),
    job: UnsafeCell::new(None),
};

/// A type-erased pointer to a [`Job`] on the poster's stack, and the function that runs it.
#[derive(Clone, Copy)]
struct JobRef {
    job: *const (),
    run: unsafe fn(*const ()),
}

// SAFETY: the pointer is only dereferenced by `run`, while the poster waits for the job to end.
unsafe impl Send for JobRef {}

/// The second closure of a pair and, once it has run, its result (or its panic).
struct Job<F, R> {
    closure: UnsafeCell<Option<F>>,
    result: UnsafeCell<Option<thread::Result<R>>>,
}

impl<F: FnOnce() -> R, R> Job<F, R> {
    /// Runs the closure once, catching a panic into the result.
    ///
    /// # Safety
    /// `job` points to a live `Job<F, R>` that no other thread touches until this returns.
    unsafe fn run(job: *const ()) {
        // SAFETY: the caller's contract.
        let job = unsafe { &*job.cast::<Self>() };
        // SAFETY: exclusive access, by the caller's contract.
        let closure = unsafe { (*job.closure.get()).take() };
        let closure = closure.expect("a posted job runs once");
        let result = panic::catch_unwind(AssertUnwindSafe(closure));
        // SAFETY: as above.
        unsafe { *job.result.get() = Some(result) };
    }
}

/// Runs `a` on this thread and `b` on the pool's other thread where one is free, and returns
/// both results; a panic in either is resumed here after both have ended.
pub fn join<A, B, RA, RB>(a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA + Send,
    B: FnOnce() -> RB + Send,
    RA: Send,
    RB: Send,
{
    let here = match rayon::current_thread_index() {
        Some(index) if rayon::current_num_threads() >= 2 => index,
        _ => return rayon::join(a, b),
    };
    if SLOT.held.swap(true, Ordering::Acquire) {
        return rayon::join(a, b);
    }
    let job = Job {
        closure: UnsafeCell::new(Some(b)),
        result: UnsafeCell::new(None),
    };
    let job_ref = JobRef {
        job: (&raw const job).cast(),
        run: Job::<B, RB>::run,
    };
    // SAFETY: this thread holds the slot and its state is EMPTY: no partner reads `job`.
    unsafe { *SLOT.job.get() = Some(job_ref) };
    SLOT.state.store(POSTED, Ordering::SeqCst);
    if !SLOT.partner.swap(true, Ordering::SeqCst) {
        SLOT.spawner.store(here, Ordering::Relaxed);
        rayon::spawn(partner);
    }

    let a_result = panic::catch_unwind(AssertUnwindSafe(a));

    // `b` borrows from this frame: it must have ended (run here or by the partner) before
    // this function returns or unwinds.
    let taken_back = SLOT
        .state
        .compare_exchange(POSTED, EMPTY, Ordering::Acquire, Ordering::Acquire)
        .is_ok();
    if taken_back {
        // SAFETY: the state is EMPTY again: nobody else reads or runs the job.
        unsafe {
            *SLOT.job.get() = None;
            Job::<B, RB>::run(job_ref.job);
        }
    } else {
        while SLOT.state.load(Ordering::Acquire) != DONE {
            // Help with the pool's queued work (the partner's split products) while waiting.
            if rayon::yield_now() != Some(rayon::Yield::Executed) {
                std::hint::spin_loop();
            }
        }
        SLOT.state.store(EMPTY, Ordering::Release);
    }
    SLOT.held.store(false, Ordering::Release);

    let b_result = job.result.into_inner().expect("the posted job has run");
    match (a_result, b_result) {
        (Ok(ra), Ok(rb)) => (ra, rb),
        (Err(panic), _) | (_, Err(panic)) => panic::resume_unwind(panic),
    }
}

/// The partner: runs each posted closure, helps with the pool's queued work in between, and
/// returns after [`PATIENCE`] without either.
fn partner() {
    // Popped by the spawning thread itself (which runs queued jobs while it waits inside a
    // `rayon::join`): that thread takes its closures back itself, so leave at once.
    if rayon::current_thread_index() == Some(SLOT.spawner.load(Ordering::Relaxed)) {
        SLOT.partner.store(false, Ordering::SeqCst);
        return;
    }
    let mut last_work = Instant::now();
    loop {
        let taken = SLOT
            .state
            .compare_exchange(POSTED, TAKEN, Ordering::Acquire, Ordering::Relaxed)
            .is_ok();
        if taken {
            // SAFETY: POSTED -> TAKEN gives this thread the job until it stores DONE; the
            // poster waits for DONE before its frame (which the job points into) ends.
            unsafe {
                let job = (*SLOT.job.get()).take().expect("a posted slot holds a job");
                (job.run)(job.job);
            }
            SLOT.state.store(DONE, Ordering::Release);
            last_work = Instant::now();
            continue;
        }
        if rayon::yield_now() == Some(rayon::Yield::Executed) {
            last_work = Instant::now();
            continue;
        }
        std::hint::spin_loop();
        if last_work.elapsed() < PATIENCE {
            continue;
        }
        SLOT.partner.store(false, Ordering::SeqCst);
        // A closure posted just before the flag fell saw a partner and spawned none: stay for
        // it, unless a new partner has been spawned since (the poster takes it back otherwise).
        let posted = SLOT.state.load(Ordering::SeqCst) == POSTED;
        if posted && !SLOT.partner.swap(true, Ordering::SeqCst) {
            last_work = Instant::now();
            continue;
        }
        return;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool() -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .expect("a two-thread pool")
    }

    /// Both closures run once and their results come back in order, in and outside a pool,
    /// with the gap between pairs both shorter and longer than the partner's patience.
    #[test]
    fn both_results_come_back_in_order() {
        let ran = AtomicUsize::new(0);
        let pair = |i: usize| {
            join(
                || {
                    ran.fetch_add(1, Ordering::Relaxed);
                    i * 2
                },
                || {
                    ran.fetch_add(1, Ordering::Relaxed);
                    vec![i; 3]
                },
            )
        };
        assert_eq!(pair(7), (14, vec![7, 7, 7]));
        pool().install(|| {
            for i in 0..2_000 {
                assert_eq!(pair(i), (2 * i, vec![i; 3]));
                if i % 500 == 0 {
                    thread::sleep(2 * PATIENCE);
                }
            }
        });
        assert_eq!(ran.load(Ordering::Relaxed), 2 * 2_001);
    }

    /// While the first closure waits for the second to start, the partner takes the second on
    /// the pool's other thread (the caller would take it back only after two seconds).
    #[test]
    fn the_partner_runs_the_second_closure_on_the_other_thread() {
        pool().install(|| {
            for _ in 0..3 {
                let started = AtomicBool::new(false);
                let (caller, runner) = join(
                    || {
                        let since = Instant::now();
                        while !started.load(Ordering::SeqCst) && since.elapsed().as_secs() < 2 {
                            thread::yield_now();
                        }
                        thread::current().id()
                    },
                    || {
                        started.store(true, Ordering::SeqCst);
                        thread::current().id()
                    },
                );
                assert_ne!(caller, runner);
            }
        });
    }

    /// Pairs from several threads at once (one holds the slot, the rest fall back to rayon)
    /// and pairs nested inside a pair's closures all complete with their own results.
    #[test]
    fn concurrent_and_nested_pairs_complete() {
        let pool = pool();
        thread::scope(|s| {
            for t in 0..4 {
                let pool = &pool;
                s.spawn(move || {
                    pool.install(|| {
                        for i in 0..300 {
                            let ((x, y), z) = join(|| join(|| t, || i), || join(|| i + t, || 1).0);
                            assert_eq!((x, y, z), (t, i, i + t));
                        }
                    })
                });
            }
        });
    }

    /// A panic in either closure reaches the caller after the other closure has finished, and
    /// the slot is free again for the next pair.
    #[test]
    fn a_panic_in_either_closure_is_resumed_after_both_end() {
        pool().install(|| {
            let other_done = AtomicBool::new(false);
            let caught = panic::catch_unwind(AssertUnwindSafe(|| {
                join(
                    || panic!("first"),
                    || {
                        thread::sleep(Duration::from_millis(5));
                        other_done.store(true, Ordering::SeqCst);
                    },
                )
            }));
            assert!(caught.is_err());
            assert!(other_done.load(Ordering::SeqCst));
            let caught = panic::catch_unwind(AssertUnwindSafe(|| join(|| 1, || panic!("second"))));
            assert!(caught.is_err());
            assert_eq!(join(|| 3, || 4), (3, 4));
        });
    }
}
