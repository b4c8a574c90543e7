//! Time to generate every shipped pipeline: cold (every shader compiled) and warm (every
//! shader from the compile cache, as in an incremental build where nothing changed).
//! Prints median and spread, then one JSON line for tracking.
//!
//! `cargo bench -p vkcompose-codegen`

use std::path::Path;
use std::time::{Duration, Instant};

const RUNS: usize = 15;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = std::env::temp_dir().join(format!("vkcompose-codegen-bench-{}", std::process::id()));
    let builder = |cache: bool| {
        vkcompose_codegen::Builder::new(root.join("shaders"), root.join("pipelines.ron"))
            .runtime_path("crate::pipelines")
            .out_dir(&out)
            .cache(cache)
    };
    // Warm-up, and a populated cache for the warm runs.
    let first = builder(true).generate().expect("shipped shaders build");
    let shaders = first.compiled + first.cached;

    let cold = measure(|| {
        builder(false).generate().expect("shipped shaders build");
    });
    let warm = measure(|| {
        let output = builder(true).generate().expect("shipped shaders build");
        assert_eq!(output.compiled, 0, "nothing changed, nothing recompiles");
    });
    let _ = std::fs::remove_dir_all(&out);

    report("cold (all shaders compiled)", &cold);
    report("warm (all shaders cached)", &warm);
    println!(
        "{{\"bench\":\"codegen\",\"shaders\":{shaders},\"cold_median_ms\":{:.2},\"warm_median_ms\":{:.2}}}",
        ms(median(&cold)),
        ms(median(&warm))
    );
}

fn measure(mut run: impl FnMut()) -> Vec<Duration> {
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let started = Instant::now();
            run();
            started.elapsed()
        })
        .collect();
    times.sort();
    times
}

fn median(sorted: &[Duration]) -> Duration {
    sorted[sorted.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn report(what: &str, sorted: &[Duration]) {
    println!(
        "codegen {what}: median {:.2} ms, min {:.2} ms, max {:.2} ms over {} runs",
        ms(median(sorted)),
        ms(sorted[0]),
        ms(sorted[sorted.len() - 1]),
        sorted.len()
    );
}
