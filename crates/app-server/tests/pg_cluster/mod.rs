//! A throwaway PostgreSQL cluster that one test owns, so that it can stop and restart the server
//! without disturbing the shared test cluster that other tests use at the same time.
//!
//! It runs Debian's server binaries (`/usr/lib/postgresql/<version>/bin`), listens on 127.0.0.1 on
//! a free port with its socket in its own data folder, and trusts the `postgres` superuser. As
//! root, every server command runs as the `postgres` OS user, because PostgreSQL refuses to run
//! as root. The cluster is stopped and its folder removed when the value is dropped.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Cluster {
    bin_dir: PathBuf,
    data_dir: PathBuf,
    /// Holds the folder that contains `data_dir`, and removes it on drop.
    _root: tempfile::TempDir,
    port: u16,
}

impl Cluster {
    /// Initialises and starts a new cluster. Panics with the server's log when that fails.
    pub fn start() -> Self {
        let bin_dir = find_bin_dir().unwrap_or_else(|| {
            panic!(
                "PostgreSQL server binaries (initdb, pg_ctl) are missing under \
                 /usr/lib/postgresql: install them with apt-get install -y postgresql"
            )
        });
        let root = tempfile::Builder::new()
            .prefix("app-server-pg-fault-")
            .tempdir()
            .expect("create a folder for the cluster");
        let data_dir = root.path().join("data");
        std::fs::create_dir(&data_dir).expect("create the data folder");
        if is_root() {
            run(Command::new("chown")
                .arg("-R")
                .arg("postgres:")
                .arg(root.path()));
        }

        let cluster = Self {
            bin_dir,
            port: free_port(),
            data_dir,
            _root: root,
        };
        cluster.server_command("initdb", |command| {
            command
                .arg(format!("--pgdata={}", cluster.data_dir.display()))
                .args(["--username=postgres", "--auth=trust", "--encoding=UTF8"])
                .args(["--locale=C", "--no-sync"]);
        });
        let settings = format!(
            "listen_addresses = '127.0.0.1'\nport = {}\nunix_socket_directories = '{}'\n\
             fsync = off\n",
            cluster.port,
            cluster.data_dir.display()
        );
        cluster.append_config(&settings);
        cluster.start_server();
        cluster
    }

    /// Returns the superuser URL of the cluster's `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server at once, disconnecting every client (`pg_ctl stop --mode=fast`).
    pub fn stop_server(&self) {
        self.server_command("pg_ctl", |command| {
            command
                .arg("stop")
                .arg(format!("--pgdata={}", self.data_dir.display()))
                .args(["--mode=fast", "--wait"]);
        });
    }

    /// Starts the server and waits until it accepts connections.
    pub fn start_server(&self) {
        let log = self.data_dir.join("server.log");
        self.server_command("pg_ctl", |command| {
            command
                .arg("start")
                .arg(format!("--pgdata={}", self.data_dir.display()))
                .arg(format!("--log={}", log.display()))
                .args(["--wait", "--timeout=60"]);
        });
    }

    fn append_config(&self, settings: &str) {
        let path = self.data_dir.join("postgresql.conf");
        let mut config = std::fs::read_to_string(&path).expect("read postgresql.conf");
        config.push_str("\n# Throwaway fault-test cluster.\n");
        config.push_str(settings);
        std::fs::write(&path, config).expect("write postgresql.conf");
    }

    /// Runs a server program from `bin_dir`, as the `postgres` OS user when this process is
    /// root, from `/` so that user needs no access to the current folder.
    fn server_command(&self, program: &str, configure: impl FnOnce(&mut Command)) {
        let binary = self.bin_dir.join(program);
        let mut command = if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&binary);
            command
        } else {
            Command::new(&binary)
        };
        command.current_dir("/");
        configure(&mut command);
        if !command.status().is_ok_and(|status| status.success()) {
            let log = std::fs::read_to_string(self.data_dir.join("server.log")).unwrap_or_default();
            panic!("{program} failed; server log:\n{log}");
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let binary = self.bin_dir.join("pg_ctl");
        let data_dir = format!("--pgdata={}", self.data_dir.display());
        let mut command = if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&binary);
            command
        } else {
            Command::new(&binary)
        };
        let _ = command
            .current_dir("/")
            .args(["stop", &data_dir, "--mode=immediate", "--wait"])
            .output();
    }
}

/// Returns the newest `/usr/lib/postgresql/<version>/bin` that has `initdb` and `pg_ctl`.
fn find_bin_dir() -> Option<PathBuf> {
    let mut candidates: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, bin)| has_programs(bin))
        .collect();
    candidates.sort();
    candidates.pop().map(|(_, bin)| bin)
}

fn has_programs(bin: &Path) -> bool {
    bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.trim_ascii() == b"0")
}

fn run(command: &mut Command) {
    let status = command.status().expect("run a command");
    assert!(status.success(), "{command:?} failed");
}

/// Returns a port on 127.0.0.1 that was free a moment ago.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("bind a free port")
        .port()
}
