//! `app-server dev --workspace`: the developer's token comes from a fake `databricks` executable
//! (a shell script first on `PATH`) and the "real workspace" is the emulator on loopback.

mod server_process;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use server_process::{AppProcess, Control, base_command, fresh_connection_client, start_emulator};
use tokio::process::Command;

/// A fake Databricks CLI: prints the prepared responses in order (the last one again after the
/// end) and writes its arguments to `calls.log`.
struct FakeCli {
    dir: tempfile::TempDir,
}

impl FakeCli {
    /// A CLI whose `auth token` prints `responses` (JSON texts) one call after another.
    fn printing(responses: &[String]) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        for (index, response) in responses.iter().enumerate() {
            std::fs::write(
                dir.path().join(format!("response-{}.json", index + 1)),
                response,
            )
            .expect("write response");
        }
        let last = responses.last().expect("at least one response");
        std::fs::write(dir.path().join("response-last.json"), last).expect("write response");
        let folder = dir.path().display().to_string();
        Self::with_script(
            dir,
            &format!(
                "n=$(wc -l < '{folder}/calls.log' | tr -d ' ')\n\
                 if [ -f '{folder}/response-'\"$n\"'.json' ]; then\n\
                 \x20   cat '{folder}/response-'\"$n\"'.json'\n\
                 else\n\
                 \x20   cat '{folder}/response-last.json'\n\
                 fi\n"
            ),
        )
    }

    /// A CLI that fails as it does without a login.
    fn not_logged_in() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        Self::with_script(
            dir,
            "echo 'Error: cache: databricks OAuth is not configured for this host.' >&2\nexit 1\n",
        )
    }

    fn with_script(dir: tempfile::TempDir, body: &str) -> Self {
        let folder = dir.path().display();
        let script = format!("#!/bin/sh\necho \"$*\" >> '{folder}/calls.log'\n{body}");
        let path = dir.path().join("databricks");
        std::fs::write(&path, script).expect("write the fake CLI");
        let status = std::process::Command::new("chmod")
            .arg("755")
            .arg(&path)
            .status()
            .expect("run chmod");
        assert!(status.success(), "chmod the fake CLI");
        Self { dir }
    }

    fn folder(&self) -> &Path {
        self.dir.path()
    }

    /// The argument lines of every call so far.
    fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("calls.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

/// The JSON `databricks auth token` prints, with the token expiring after `ttl`.
fn token_json(token: &str, ttl: TimeDelta) -> String {
    serde_json::json!({
        "access_token": token,
        "token_type": "Bearer",
        "expiry": (Utc::now() + ttl).to_rfc3339(),
    })
    .to_string()
}

/// `app-server dev --workspace <workspace> --port 0` in `dir`, with `path` as `PATH`.
fn dev_command(dir: &Path, path: &str, workspace: &str) -> Command {
    let mut command = base_command(dir);
    command
        .args(["dev", "--workspace", workspace, "--port", "0"])
        .env("PATH", path)
        .env("HOME", dir);
    command
}

/// `PATH` with the fake CLI first, then the system folders its script needs.
fn path_with(cli: &FakeCli) -> String {
    format!("{}:/usr/bin:/bin", cli.folder().display())
}

/// Returns the `user_id` of `GET /api/user/me`, sent with the given extra headers.
async fn user_id(app: &AppProcess, headers: &[(&str, &str)]) -> String {
    let mut request = fresh_connection_client().get(app.url("/api/user/me"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("request to the app");
    assert_eq!(response.status(), 200, "GET /api/user/me");
    let body: serde_json::Value = response.json().await.expect("JSON body");
    body["user_id"].as_str().expect("user_id").to_owned()
}

/// Runs `command` to its end and returns whether it succeeded and its output.
async fn run_to_end(mut command: Command) -> (bool, String) {
    let output = tokio::time::timeout(Duration::from_secs(30), command.output())
        .await
        .expect("app-server stops within 30 s")
        .expect("run app-server");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_token_is_sent_upstream() {
    let emulator = start_emulator().await;
    let token = Control::new(&emulator)
        .mint_token("alice@example.com")
        .await;
    let cli = FakeCli::printing(&[token_json(&token, TimeDelta::hours(1))]);
    let dir = tempfile::tempdir().expect("temporary directory");
    let command = dev_command(dir.path(), &path_with(&cli), &emulator.base_url());

    let app = AppProcess::spawn(command, dir).await;

    assert_eq!(user_id(&app, &[]).await, "alice@example.com");
    assert_eq!(
        cli.calls().first().map(String::as_str),
        Some(format!("auth token --host {}", emulator.base_url()).as_str())
    );
    assert!(
        !app.output.text().contains(&token),
        "the token appears in the output"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_cannot_switch_user() {
    let emulator = start_emulator().await;
    let token = Control::new(&emulator)
        .mint_token("alice@example.com")
        .await;
    let cli = FakeCli::printing(&[token_json(&token, TimeDelta::hours(1))]);
    let dir = tempfile::tempdir().expect("temporary directory");
    let command = dev_command(dir.path(), &path_with(&cli), &emulator.base_url());
    let app = AppProcess::spawn(command, dir).await;

    let with_other_token = user_id(&app, &[("x-forwarded-access-token", "dapi-bob-dev")]).await;
    let with_dev_cookie = user_id(&app, &[("cookie", "dev_user=bob@example.com")]).await;

    assert_eq!(with_other_token, "alice@example.com");
    assert_eq!(with_dev_cookie, "alice@example.com");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_is_refreshed_before_expiry() {
    let emulator = start_emulator().await;
    let control = Control::new(&emulator);
    // The first token claims to expire in 3 s, inside the refresh margin, so the app asks the
    // CLI again within seconds; the CLI then prints Bob's token.
    let first = control.mint_token("alice@example.com").await;
    let second = control.mint_token("bob@example.com").await;
    let cli = FakeCli::printing(&[
        token_json(&first, TimeDelta::seconds(3)),
        token_json(&second, TimeDelta::hours(1)),
    ]);
    let dir = tempfile::tempdir().expect("temporary directory");
    let command = dev_command(dir.path(), &path_with(&cli), &emulator.base_url());
    let app = AppProcess::spawn(command, dir).await;

    let deadline = Instant::now() + Duration::from_secs(20);
    while user_id(&app, &[]).await != "bob@example.com" {
        assert!(
            Instant::now() < deadline,
            "the refreshed token is not used; CLI calls: {:?}; output:\n{}",
            cli.calls(),
            app.output.text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    assert!(cli.calls().len() >= 2, "calls: {:?}", cli.calls());
    assert!(app.output.find("developer token refreshed").is_some());
    let output = app.output.text();
    assert!(
        !output.contains(&first),
        "the first token appears in the output"
    );
    assert!(
        !output.contains(&second),
        "the second token appears in the output"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_name_selects_cli_profile() {
    let emulator = start_emulator().await;
    let token = Control::new(&emulator)
        .mint_token("carol@example.com")
        .await;
    let cli = FakeCli::printing(&[token_json(&token, TimeDelta::hours(1))]);
    let dir = tempfile::tempdir().expect("temporary directory");
    let config: PathBuf = dir.path().join("databrickscfg");
    std::fs::write(
        &config,
        format!("[emulated]\nhost = {}\n", emulator.base_url()),
    )
    .expect("write the CLI configuration");
    let mut command = dev_command(dir.path(), &path_with(&cli), "emulated");
    command.env("DATABRICKS_CONFIG_FILE", &config);

    let app = AppProcess::spawn(command, dir).await;

    assert_eq!(user_id(&app, &[]).await, "carol@example.com");
    assert_eq!(
        cli.calls().first().map(String::as_str),
        Some("auth token --profile emulated")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_cli_stops_with_message() {
    let emulator = start_emulator().await;
    let dir = tempfile::tempdir().expect("temporary directory");
    let empty = tempfile::tempdir().expect("empty PATH folder");
    let path = empty.path().display().to_string();

    let (success, output) = run_to_end(dev_command(dir.path(), &path, &emulator.base_url())).await;

    assert!(!success, "dev must fail; output:\n{output}");
    assert!(
        output.contains("the Databricks CLI (`databricks`) was not found on PATH"),
        "{output}"
    );
    assert!(
        output.contains(&format!(
            "databricks auth login --host {}",
            emulator.base_url()
        )),
        "{output}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_without_login_stops_with_message() {
    let emulator = start_emulator().await;
    let cli = FakeCli::not_logged_in();
    let dir = tempfile::tempdir().expect("temporary directory");

    let (success, output) = run_to_end(dev_command(
        dir.path(),
        &path_with(&cli),
        &emulator.base_url(),
    ))
    .await;

    assert!(!success, "dev must fail; output:\n{output}");
    assert!(
        output.contains("databricks OAuth is not configured for this host"),
        "the CLI's error is quoted: {output}"
    );
    assert!(
        output.contains(&format!(
            "run `databricks auth login --host {}`",
            emulator.base_url()
        )),
        "{output}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_token_stops_with_message() {
    let emulator = start_emulator().await;
    let cli = FakeCli::printing(&[token_json("not-a-workspace-token", TimeDelta::hours(1))]);
    let dir = tempfile::tempdir().expect("temporary directory");

    let (success, output) = run_to_end(dev_command(
        dir.path(),
        &path_with(&cli),
        &emulator.base_url(),
    ))
    .await;

    assert!(!success, "dev must fail; output:\n{output}");
    assert!(
        output.contains("the workspace rejected the token from `databricks auth token`"),
        "{output}"
    );
    assert!(
        !output.contains("not-a-workspace-token"),
        "the token appears in the output"
    );
}
