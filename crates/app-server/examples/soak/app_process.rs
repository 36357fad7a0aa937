//! The `app-server serve` child process.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Maximum wait for the `listening` log line.
const START_TIMEOUT: Duration = Duration::from_mins(1);

pub struct AppProcess {
    child: Child,
    pub pid: u32,
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    _dir: tempfile::TempDir,
}

impl AppProcess {
    /// Runs `binary serve` on a free loopback port against the emulator at `workspace_url`, and
    /// waits until it listens. `admin` is the one user in `ADMIN_USERS`.
    pub async fn start(
        binary: &Path,
        workspace_url: &str,
        database_url: Option<&str>,
        admin: &str,
    ) -> anyhow::Result<Self> {
        // The child runs in its own folder, so a relative path would not name the binary there.
        let binary = std::fs::canonicalize(binary)
            .with_context(|| format!("no app-server binary at {}", binary.display()))?;
        let dir = tempfile::tempdir()?;
        let database_url = database_url.map_or_else(
            || format!("sqlite://{}", dir.path().join("app.db").display()),
            str::to_owned,
        );
        let mut child = Command::new(&binary)
            .arg("serve")
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("DATABRICKS_HOST", workspace_url)
            .env(
                "DATABRICKS_CLIENT_ID",
                workspace_emulator::DEFAULT_SERVICE_PRINCIPAL_ID,
            )
            .env(
                "DATABRICKS_CLIENT_SECRET",
                workspace_emulator::DEFAULT_SERVICE_PRINCIPAL_SECRET,
            )
            .env("DATABASE_URL", database_url)
            .env("ADMIN_USERS", admin)
            .env("BIND_ADDRESS", "127.0.0.1")
            .env("DATABRICKS_APP_PORT", "0")
            .env("STATIC_DIR", dir.path().join("static"))
            .env("LOG_FORMAT", "json")
            .env("RUST_LOG", "warn,app_server::serve=info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("failed to start {}", binary.display()))?;
        let pid = child.id().context("the child has no process id")?;
        let stdout = child.stdout.take().context("the child has no stdout")?;

        let mut lines = BufReader::new(stdout).lines();
        let address = tokio::time::timeout(START_TIMEOUT, async {
            while let Some(line) = lines.next_line().await? {
                if let Some(address) = listening_address(&line) {
                    return Ok(address);
                }
                eprintln!("app-server: {line}");
            }
            anyhow::bail!("app-server exited before it listened")
        })
        .await
        .context("app-server did not listen within 60 s")??;
        // Keep reading, so that the child does not block on a full pipe. Its warnings go to stderr.
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                eprintln!("app-server: {line}");
            }
        });

        Ok(Self {
            child,
            pid,
            base_url: format!("http://{address}"),
            _dir: dir,
        })
    }

    /// Sends SIGTERM and waits up to 20 s for the exit.
    pub async fn stop(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status();
        if tokio::time::timeout(Duration::from_secs(20), self.child.wait())
            .await
            .is_err()
        {
            eprintln!("app-server did not stop within 20 s; killing it");
            let _ = self.child.kill().await;
        }
    }
}

/// Returns the loopback address of a `listening` JSON log line.
fn listening_address(line: &str) -> Option<String> {
    let value: Value = serde_json::from_str(line).ok()?;
    if value["message"] != "listening" {
        return None;
    }
    let address = value["address"].as_str()?;
    address
        .starts_with("127.0.0.1:")
        .then(|| address.to_owned())
}

/// Returns the resident memory of process `pid` in KiB (`VmRSS` of `/proc/PID/status`).
pub fn resident_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
}
