//! The in-process auth overhead: the difference of two criterion medians, read back from the
//! `estimates.json` files criterion writes after measuring each benchmark.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Deserialize;

/// Target for the median cost that a cached identity adds to a request, in nanoseconds.
const TARGET_NANOS: f64 = 10_000.0;

#[derive(Deserialize)]
struct Estimates {
    median: Estimate,
}

#[derive(Deserialize)]
struct Estimate {
    point_estimate: f64,
}

/// Where criterion stores its results: `$CRITERION_HOME`, else `criterion/` in the Cargo target
/// directory that contains this bench executable (`<target>/<profile>/deps/<bench>`).
pub fn output_directory() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    let target = std::env::current_exe().ok().and_then(|exe| {
        exe.parent()
            .and_then(Path::parent)
            .and_then(Path::parent)
            .map(Path::to_path_buf)
    });
    target.map_or_else(
        || PathBuf::from("target/criterion"),
        |dir| dir.join("criterion"),
    )
}

/// Prints median(`with_auth`) − median(`baseline`) against the target. Prints a notice instead
/// when either benchmark has no estimate written after `run_started`, as in test mode
/// (`cargo test --benches`) or when a name filter skipped it.
pub fn report(output: &Path, run_started: SystemTime, baseline: &str, with_auth: &str) {
    let medians = (
        fresh_median(output, baseline, run_started),
        fresh_median(output, with_auth, run_started),
    );
    let (Some(baseline_nanos), Some(with_auth_nanos)) = medians else {
        println!(
            "auth overhead: not computed, because {baseline} and {with_auth} were not both \
             measured in this run"
        );
        return;
    };

    let overhead = with_auth_nanos - baseline_nanos;
    let verdict = if overhead < TARGET_NANOS {
        "met"
    } else {
        "MISSED"
    };
    println!(
        "auth overhead: median {with_auth} {:.2} µs − median {baseline} {:.2} µs = {:.2} µs \
         (target under {:.0} µs: {verdict})",
        with_auth_nanos / 1_000.0,
        baseline_nanos / 1_000.0,
        overhead / 1_000.0,
        TARGET_NANOS / 1_000.0,
    );
}

/// Reads the median in nanoseconds of benchmark `id` (`group/function`) if it was measured after
/// `since`.
fn fresh_median(output: &Path, id: &str, since: SystemTime) -> Option<f64> {
    let path = output.join(id).join("new").join("estimates.json");
    let modified = std::fs::metadata(&path).ok()?.modified().ok()?;
    if modified < since {
        return None;
    }
    let text = std::fs::read_to_string(&path).ok()?;
    match serde_json::from_str::<Estimates>(&text) {
        Ok(estimates) => Some(estimates.median.point_estimate),
        Err(error) => {
            eprintln!(
                "{} is not a criterion estimates file: {error}",
                path.display()
            );
            None
        }
    }
}
