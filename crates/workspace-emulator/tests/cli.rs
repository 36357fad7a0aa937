//! The `workspace-emulator` binary: loopback-only binding, base URL on stdout, fixture files.

mod common;

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Child, Command, Stdio};

use common::{client, json_of};

const BINARY: &str = env!("CARGO_BIN_EXE_workspace-emulator");

/// Kills the child process when the test ends, even on a failed assertion.
struct RunningBinary(Child);

impl Drop for RunningBinary {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary on a free loopback port and returns it with the base URL it printed.
fn spawn(extra_args: &[&str]) -> (RunningBinary, String) {
    let mut child = Command::new(BINARY)
        .args(["--port", "0"])
        .args(extra_args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let running = RunningBinary(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("binary prints its base URL");
    (running, line.trim().to_owned())
}

#[tokio::test]
async fn binary_prints_base_url_and_serves() {
    let (_running, base_url) = spawn(&[]);
    assert!(base_url.starts_with("http://127.0.0.1:"), "{base_url}");
    let response = client()
        .get(format!("{base_url}/.well-known/databricks-config"))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 200);
    assert_eq!(
        json_of(response).await["oidc_endpoint"],
        format!("{base_url}/oidc")
    );
}

#[tokio::test]
async fn binary_loads_fixture_file() {
    let mut file = tempfile::Builder::new()
        .suffix(".toml")
        .tempfile()
        .expect("temp file");
    file.write_all(b"[workspace]\nworkspace_id = \"777\"\n")
        .expect("write fixture");
    let path = file.path().to_str().expect("UTF-8 path").to_owned();
    let (_running, base_url) = spawn(&["--fixture", &path]);
    let response = client()
        .get(format!("{base_url}/.well-known/databricks-config"))
        .send()
        .await
        .expect("answer");
    assert_eq!(json_of(response).await["workspace_id"], "777");
}

#[test]
fn invalid_fixture_file_fails_with_its_name() {
    let mut file = tempfile::Builder::new()
        .suffix(".toml")
        .tempfile()
        .expect("temp file");
    file.write_all(b"[workspace]\nworkspace_id = \"not-a-number\"\n")
        .expect("write fixture");
    let output = Command::new(BINARY)
        .args(["--port", "0", "--fixture"])
        .arg(file.path())
        .output()
        .expect("binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&*file.path().to_string_lossy()),
        "stderr: {stderr}"
    );
    assert!(stderr.contains("workspace_id"), "stderr: {stderr}");
}

#[test]
fn non_loopback_bind_is_refused() {
    let output = Command::new(BINARY)
        .args(["--port", "0", "--bind", "0.0.0.0"])
        .output()
        .expect("binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--insecure-bind-any"), "stderr: {stderr}");
    assert!(
        output.stdout.is_empty(),
        "printed a base URL: {:?}",
        output.stdout
    );
}
