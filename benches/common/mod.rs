//! What the benchmarks share: how many runs a case takes, and their statistics.

#![allow(dead_code)]

use std::time::{Duration, Instant};

/// How long one case may run before it stops taking samples (after at least `MIN_RUNS`).
pub const BUDGET: Duration = Duration::from_secs(3);
pub const MIN_RUNS: usize = 5;
pub const MAX_RUNS: usize = 200;
/// More than the renderer's recorders per ring, so every one has been used once.
pub const WARM_UP: usize = 4;

pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Sorted samples of one quantity.
pub struct Samples(Vec<f64>);

impl Samples {
    pub fn new(mut values: Vec<f64>) -> Samples {
        values.sort_by(f64::total_cmp);
        Samples(values)
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn median(&self) -> f64 {
        self.0.get(self.0.len() / 2).copied().unwrap_or(f64::NAN)
    }
    pub fn percentile(&self, p: f64) -> f64 {
        let i = ((self.0.len() as f64 - 1.0) * p).round() as usize;
        self.0.get(i).copied().unwrap_or(f64::NAN)
    }
    pub fn spread(&self) -> String {
        format!(
            "{:.3} ms (p10 {:.3}, p90 {:.3}, {} runs)",
            self.median(),
            self.percentile(0.1),
            self.percentile(0.9),
            self.0.len()
        )
    }
}

/// Runs `sample` after warm-up runs (enough to use each of the renderer's recorders once)
/// until the budget is spent; each run returns its measurements in milliseconds.
pub fn measure<const N: usize>(
    mut sample: impl FnMut() -> Result<[f64; N]>,
) -> Result<[Samples; N]> {
    for _ in 0..WARM_UP {
        sample()?;
    }
    let started = Instant::now();
    let mut runs: Vec<[f64; N]> = Vec::new();
    while runs.len() < MIN_RUNS || (started.elapsed() < BUDGET && runs.len() < MAX_RUNS) {
        runs.push(sample()?);
    }
    Ok(std::array::from_fn(|i| {
        Samples::new(runs.iter().map(|r| r[i]).collect())
    }))
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
