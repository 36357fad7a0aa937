//! The official Databricks Python SDK (`databricks-sdk` 0.67.0 from PyPI) against the emulator:
//! PAT and OAuth M2M authentication, current user, workspace id and SCIM users.
//!
//! Needs `python3` with the `venv` module and access to PyPI on the first run. The virtual
//! environment is then cached under `target/sdk-venv`. Missing Python or a failed install fails
//! the test.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use common::{WORKSPACE_ID, call_counts, start};
use tokio::process::Command;
use workspace_emulator::{DEFAULT_SERVICE_PRINCIPAL_ID, DEFAULT_SERVICE_PRINCIPAL_SECRET};

const SDK_REQUIREMENT: &str = "databricks-sdk==0.67.0";
/// Generous limit for `pip install` (downloads) and for the check script.
const COMMAND_TIMEOUT: Duration = Duration::from_mins(5);

fn check_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/sdk-check/check.py")
}

/// `target/sdk-venv`, next to the `target/tmp` directory Cargo gives integration tests.
fn venv_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR is inside the target directory")
        .join("sdk-venv")
}

fn describe(output: &Output) -> String {
    format!(
        "exit status {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs a command to completion with a timeout and panics with its output when it fails.
async fn run(description: &str, command: &mut Command) -> Output {
    command.kill_on_drop(true);
    let output = tokio::time::timeout(COMMAND_TIMEOUT, command.output())
        .await
        .unwrap_or_else(|_| panic!("{description} timed out after {COMMAND_TIMEOUT:?}"))
        .unwrap_or_else(|error| panic!("{description} could not be started: {error}"));
    assert!(
        output.status.success(),
        "{description} failed: {}",
        describe(&output)
    );
    output
}

/// Creates the virtual environment and installs the SDK unless a previous run finished that.
async fn ensure_venv() -> PathBuf {
    let venv = venv_dir();
    let python = venv.join("bin/python");
    let marker = venv.join(format!(".installed-{SDK_REQUIREMENT}"));
    if marker.exists() && python.exists() {
        return python;
    }
    run(
        "python3 -m venv",
        Command::new("python3")
            .args(["-m", "venv", "--clear"])
            .arg(&venv),
    )
    .await;
    run(
        "pip install",
        Command::new(&python).args(["-m", "pip", "install", "--quiet", SDK_REQUIREMENT]),
    )
    .await;
    std::fs::write(&marker, SDK_REQUIREMENT).expect("write the install marker");
    python
}

#[tokio::test]
async fn python_sdk_authenticates_and_reads_identity() {
    let python = ensure_venv().await;
    let emulator = start().await;
    let home = tempfile::tempdir().expect("temp HOME");

    let mut command = Command::new(&python);
    command
        .arg(check_script())
        .args(["--host", &emulator.base_url()])
        .args(["--user", "alice@example.com"])
        .args(["--client-id", DEFAULT_SERVICE_PRINCIPAL_ID])
        .args(["--workspace-id", WORKSPACE_ID])
        // An empty HOME hides any ~/.databrickscfg. DATABRICKS_* variables could pick another
        // workspace or add a second authentication method, so they are removed.
        .env("HOME", home.path())
        .env("SDK_CHECK_USER_TOKEN", "dapi-alice-dev")
        .env("SDK_CHECK_CLIENT_SECRET", DEFAULT_SERVICE_PRINCIPAL_SECRET);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("DATABRICKS_") {
            command.env_remove(name);
        }
    }
    let output = run("check.py", &mut command).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("all SDK checks passed"),
        "{}",
        describe(&output)
    );

    let counts = call_counts(&emulator).await;
    let count = |key: &str| counts[key].as_u64().unwrap_or(0);
    assert!(
        count("POST /oidc/v1/token") >= 1,
        "no token request: {counts}"
    );
    assert!(
        count("GET /api/2.0/preview/scim/v2/Me") >= 3,
        "too few Me calls: {counts}"
    );
    emulator.shutdown().await;
}
