//! The real `app-server` binary as a child process on a loopback port, and the workspace emulator
//! it talks to, for tests of signals, protocols and restarts.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the helpers"
)]

pub mod balancer;

use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use workspace_emulator::{Emulator, Fixture};

/// Maximum time a child may take to print its `listening` line.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Lines a child printed, shared with the tasks that read its stdout and stderr.
#[derive(Clone, Default)]
pub struct Output {
    lines: Arc<Mutex<Vec<String>>>,
    changed: Arc<tokio::sync::Notify>,
}

impl Output {
    fn push(&self, line: String) {
        self.lines.lock().expect("output lock").push(line);
        self.changed.notify_waiters();
    }

    /// Returns every line so far, stdout and stderr interleaved.
    pub fn text(&self) -> String {
        self.lines.lock().expect("output lock").join("\n")
    }

    /// Returns the JSON log lines so far.
    pub fn logs(&self) -> Vec<Value> {
        self.lines
            .lock()
            .expect("output lock")
            .iter()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect()
    }

    /// Returns the first JSON log line whose `message` is `message`.
    pub fn find(&self, message: &str) -> Option<Value> {
        self.logs()
            .into_iter()
            .find(|line| line["message"] == message)
    }

    /// Waits until a log line with `message` appears.
    pub async fn wait_for(&self, message: &str, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let changed = self.changed.notified();
            if let Some(line) = self.find(message) {
                return line;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "no {message:?} log line within {timeout:?}; output:\n{}",
                self.text()
            );
            let _ = tokio::time::timeout(left, changed).await;
        }
    }
}

/// A running `app-server` process.
pub struct AppProcess {
    child: Child,
    pub pid: u32,
    /// `http://127.0.0.1:PORT`, from the `listening` log line.
    pub base_url: String,
    pub output: Output,
    /// The `listening` log line.
    pub listening: Value,
    _dir: tempfile::TempDir,
}

impl AppProcess {
    /// Runs `app-server serve` against `emulator` with a fresh SQLite database, on a free
    /// loopback port, with `env` added to the environment.
    pub async fn serve(emulator: &Emulator, env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let database_url = format!("sqlite://{}", dir.path().join("app.db").display());
        let mut command = base_command(dir.path());
        command
            .arg("serve")
            .env("DATABRICKS_HOST", emulator.base_url())
            .env(
                "DATABRICKS_CLIENT_ID",
                workspace_emulator::DEFAULT_SERVICE_PRINCIPAL_ID,
            )
            .env(
                "DATABRICKS_CLIENT_SECRET",
                workspace_emulator::DEFAULT_SERVICE_PRINCIPAL_SECRET,
            )
            .env("DATABASE_URL", database_url)
            .env("BIND_ADDRESS", "127.0.0.1")
            .env("DATABRICKS_APP_PORT", "0");
        command.envs(env.iter().copied());
        Self::spawn(command, dir).await
    }

    /// Spawns `command` (built by [`base_command`]) and waits for its `listening` line.
    pub async fn spawn(mut command: Command, dir: tempfile::TempDir) -> Self {
        let mut child = command.spawn().expect("start app-server");
        let pid = child.id().expect("child pid");
        let output = Output::default();
        read_lines(child.stdout.take().expect("stdout"), output.clone());
        read_lines(child.stderr.take().expect("stderr"), output.clone());

        let listening = tokio::select! {
            line = output.wait_for("listening", START_TIMEOUT) => line,
            status = child.wait() => panic!(
                "app-server exited before listening ({status:?}); output:\n{}",
                output.text()
            ),
        };
        let address = listening["address"]
            .as_str()
            .expect("address in the listening line");
        assert!(
            address.starts_with("127.0.0.1:"),
            "listens on loopback: {address}"
        );
        Self {
            child,
            pid,
            base_url: format!("http://{address}"),
            output,
            listening,
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Sends SIGTERM with the `kill` utility.
    pub fn terminate(&self) {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM {}: {status}", self.pid);
    }

    /// Waits for the process to exit, failing after `timeout`.
    pub async fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        match tokio::time::timeout(timeout, self.child.wait()).await {
            Ok(status) => status.expect("wait for app-server"),
            Err(elapsed) => panic!(
                "app-server did not exit ({elapsed}) within {timeout:?}; output:\n{}",
                self.output.text()
            ),
        }
    }
}

/// Builds an `app-server` command with a clean environment (JSON logs at info), run in `dir` so that no `.env`
/// file of the repository is read. Output is piped and the child is killed when dropped.
pub fn base_command(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_app-server"));
    command
        .env_clear()
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .env("STATIC_DIR", dir.join("static"))
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

fn read_lines(stream: impl tokio::io::AsyncRead + Unpin + Send + 'static, output: Output) {
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            output.push(line);
        }
    });
}

/// Starts the workspace emulator with the default fixture on a loopback port.
pub async fn start_emulator() -> Emulator {
    Emulator::start(
        Fixture::default_fixture(),
        "127.0.0.1:0".parse().expect("loopback address"),
    )
    .await
    .expect("start the workspace emulator")
}

/// The emulator's control plane.
pub struct Control {
    base_url: String,
    http: reqwest::Client,
}

impl Control {
    pub fn new(emulator: &Emulator) -> Self {
        Self {
            base_url: emulator.base_url(),
            http: reqwest::Client::new(),
        }
    }

    /// Mints a one-hour token for `user_name`.
    pub async fn mint_token(&self, user_name: &str) -> String {
        let body: Value = self
            .http
            .post(format!("{}/__emulator/tokens", self.base_url))
            .json(&serde_json::json!({ "user_name": user_name }))
            .send()
            .await
            .expect("mint a token")
            .json()
            .await
            .expect("minted token as JSON");
        body["token"].as_str().expect("token field").to_owned()
    }

    /// Delays the next `times` SCIM `Me` calls by `delay`.
    pub async fn delay_me(&self, delay: Duration, times: u32) {
        let fault = serde_json::json!({
            "path_prefix": "/api/2.0/preview/scim/v2/Me",
            "method": "GET",
            "delay_ms": u64::try_from(delay.as_millis()).expect("delay fits"),
            "times": times,
        });
        let response = self
            .http
            .post(format!("{}/__emulator/faults", self.base_url))
            .json(&fault)
            .send()
            .await
            .expect("inject a fault");
        assert_eq!(response.status(), 201, "fault accepted");
    }

    /// Returns how many SCIM `Me` calls the emulator is handling right now.
    pub async fn me_in_flight(&self) -> u64 {
        let body: Value = self
            .http
            .get(format!("{}/__emulator/calls", self.base_url))
            .send()
            .await
            .expect("emulator call counts")
            .json()
            .await
            .expect("call counts as JSON");
        body["in_flight"]["GET /api/2.0/preview/scim/v2/Me"]
            .as_u64()
            .unwrap_or(0)
    }

    /// Waits until `count` SCIM `Me` calls are in flight.
    pub async fn wait_me_in_flight(&self, count: u64, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.me_in_flight().await < count {
            assert!(
                Instant::now() < deadline,
                "{count} SCIM Me calls not in flight within {timeout:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Builds a client that opens a new connection for every request.
pub fn fresh_connection_client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("HTTP client")
}
