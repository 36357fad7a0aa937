//! The deployment files: the bundle (`deploy/databricks.yml`), the app's `app.yaml` and the start
//! script that unpacks and runs the release binary.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use app_server::config::Config;
use app_server::lakebase::CredentialTarget;
use yaml_rust2::{Yaml, YamlLoader};

/// The UC scopes the app's catalog pages need: the REST API scope, or the three Apps scopes.
const UNITY_CATALOG_SCOPES: [&[&str]; 2] = [
    &["unity-catalog"],
    &["catalog.catalogs", "catalog.schemas", "catalog.tables"],
];

/// Either name grants the serving endpoint calls.
const SERVING_SCOPES: [&str; 2] = ["serving.serving-endpoints", "model-serving"];

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy")
}

fn load_yaml(path: &Path) -> Yaml {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("read {}: {error}", path.display()));
    let mut documents = YamlLoader::load_from_str(&text)
        .unwrap_or_else(|error| panic!("parse {}: {error}", path.display()));
    assert_eq!(documents.len(), 1, "{} has one document", path.display());
    documents.remove(0)
}

fn bundle() -> Yaml {
    load_yaml(&deploy_dir().join("databricks.yml"))
}

/// The single app of the bundle.
fn bundle_app(bundle: &Yaml) -> &Yaml {
    let apps = bundle["resources"]["apps"]
        .as_hash()
        .expect("resources.apps is a mapping");
    assert_eq!(apps.len(), 1, "the bundle defines one app");
    apps.values().next().expect("one app")
}

fn app_dir(bundle: &Yaml) -> PathBuf {
    let source = bundle_app(bundle)["source_code_path"]
        .as_str()
        .expect("source_code_path is a string");
    deploy_dir().join(source)
}

fn strings(list: &Yaml) -> Vec<String> {
    list.as_vec()
        .expect("a list")
        .iter()
        .map(|item| item.as_str().expect("a string").to_owned())
        .collect()
}

fn user_api_scopes(bundle: &Yaml) -> Vec<String> {
    strings(&bundle_app(bundle)["user_api_scopes"])
}

/// The app's resources by name.
fn app_resources(bundle: &Yaml) -> Vec<(String, &Yaml)> {
    bundle_app(bundle)["resources"]
        .as_vec()
        .expect("the app's resources are a list")
        .iter()
        .map(|resource| {
            let name = resource["name"].as_str().expect("resource name").to_owned();
            (name, resource)
        })
        .collect()
}

fn app_yaml(bundle: &Yaml) -> Yaml {
    load_yaml(&app_dir(bundle).join("app.yaml"))
}

/// `(name, value, value_from)` of each `env` entry of app.yaml.
fn app_env(app_yaml: &Yaml) -> Vec<(String, Option<String>, Option<String>)> {
    app_yaml["env"]
        .as_vec()
        .expect("env is a list")
        .iter()
        .map(|entry| {
            let name = entry["name"].as_str().expect("env name").to_owned();
            let value = entry["value"].as_str().map(str::to_owned);
            let value_from = entry["valueFrom"].as_str().map(str::to_owned);
            (name, value, value_from)
        })
        .collect()
}

#[test]
fn bundle_app_has_source_folder_with_app_yaml() {
    let bundle = bundle();
    assert!(bundle["bundle"]["name"].as_str().is_some(), "bundle.name");
    let dir = app_dir(&bundle);
    assert!(dir.join("app.yaml").is_file(), "{}/app.yaml", dir.display());
    assert!(dir.join("start.sh").is_file(), "{}/start.sh", dir.display());
}

#[test]
fn bundle_requests_catalog_and_serving_scopes() {
    let scopes = user_api_scopes(&bundle());

    let catalog = UNITY_CATALOG_SCOPES
        .iter()
        .any(|set| set.iter().all(|scope| scopes.iter().any(|s| s == scope)));
    assert!(catalog, "a Unity Catalog scope set in {scopes:?}");
    let serving = SERVING_SCOPES
        .iter()
        .any(|scope| scopes.iter().any(|s| s == scope));
    assert!(serving, "a serving scope in {scopes:?}");
    let unique: BTreeSet<&String> = scopes.iter().collect();
    assert_eq!(unique.len(), scopes.len(), "no scope twice in {scopes:?}");
}

#[test]
fn bundle_attaches_lakebase_and_serving_endpoint() {
    let bundle = bundle();
    let resources = app_resources(&bundle);

    let database = resources
        .iter()
        .find_map(|(_, resource)| {
            [&resource["postgres"], &resource["database"]]
                .into_iter()
                .find(|kind| !kind.is_badvalue())
        })
        .expect("a postgres or database resource");
    assert_eq!(
        database["permission"].as_str(),
        Some("CAN_CONNECT_AND_CREATE")
    );

    let serving = resources
        .iter()
        .map(|(_, resource)| &resource["serving_endpoint"])
        .find(|endpoint| !endpoint.is_badvalue())
        .expect("a serving_endpoint resource");
    assert_eq!(serving["permission"].as_str(), Some("CAN_QUERY"));
    assert!(serving["name"].as_str().is_some(), "endpoint name");
}

#[test]
fn bundle_has_dev_and_prod_targets() {
    let bundle = bundle();
    let targets = &bundle["targets"];

    assert_eq!(targets["dev"]["mode"].as_str(), Some("development"));
    assert_eq!(targets["dev"]["default"].as_bool(), Some(true));
    assert_eq!(targets["prod"]["mode"].as_str(), Some("production"));
}

#[test]
fn bundle_declares_every_variable_it_uses() {
    let text = std::fs::read_to_string(deploy_dir().join("databricks.yml")).expect("read");
    let bundle = bundle();
    let declared = bundle["variables"].as_hash().expect("variables mapping");

    let used: BTreeSet<&str> = text
        .split("${var.")
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .collect();
    assert!(!used.is_empty(), "the bundle uses variables");
    for name in used {
        let key = Yaml::String(name.to_owned());
        assert!(declared.contains_key(&key), "variable {name} is declared");
    }
}

#[test]
fn bundle_syncs_the_staged_build() {
    let bundle = bundle();
    let include = strings(&bundle["sync"]["include"]);
    let source = bundle_app(&bundle)["source_code_path"]
        .as_str()
        .expect("source_code_path")
        .trim_start_matches("./")
        .to_owned();

    for staged in ["bin", "client/dist"] {
        let pattern = format!("{source}/{staged}/**");
        assert!(include.contains(&pattern), "{pattern} in sync.include");
    }
}

#[test]
fn app_yaml_runs_start_script() {
    let app_yaml = app_yaml(&bundle());
    let command = strings(&app_yaml["command"]);

    assert_eq!(command, ["sh", "start.sh"]);
}

#[test]
fn app_yaml_env_entries_are_valid() {
    let bundle = bundle();
    let resource_names: Vec<String> = app_resources(&bundle)
        .into_iter()
        .map(|(name, _)| name)
        .collect();

    for (name, value, value_from) in app_env(&app_yaml(&bundle)) {
        assert!(
            value.is_some() != value_from.is_some(),
            "{name} has exactly one of value and valueFrom"
        );
        if let Some(resource) = value_from {
            assert!(
                resource_names.contains(&resource),
                "{name} reads resource {resource:?}, one of {resource_names:?}"
            );
        }
    }
}

#[test]
fn app_yaml_scopes_match_bundle() {
    let bundle = bundle();
    let scopes = app_env(&app_yaml(&bundle))
        .into_iter()
        .find(|(name, _, _)| name == "REQUIRED_USER_SCOPES")
        .and_then(|(_, value, _)| value)
        .expect("REQUIRED_USER_SCOPES is set");

    let required: Vec<&str> = scopes.split_whitespace().collect();
    assert_eq!(required, user_api_scopes(&bundle));
}

/// The configuration the app would read on the platform: the variables Databricks Apps sets,
/// plus app.yaml's `env` with sample values for `valueFrom`.
#[test]
fn app_yaml_env_is_a_valid_configuration() {
    let mut env: Vec<(String, String)> = [
        (
            "DATABRICKS_HOST",
            "adb-1234567890123456.7.azuredatabricks.net",
        ),
        (
            "DATABRICKS_CLIENT_ID",
            "6f1c2a3e-0000-4000-8000-000000000001",
        ),
        ("DATABRICKS_CLIENT_SECRET", "sample-secret"),
        ("DATABRICKS_WORKSPACE_ID", "1234567890123456"),
        ("DATABRICKS_APP_NAME", "obo-app"),
        ("DATABRICKS_APP_PORT", "8000"),
        ("PGHOST", "ep-sample-123.database.cloud.databricks.com"),
        ("PGPORT", "5432"),
        ("PGDATABASE", "databricks_postgres"),
        ("PGUSER", "6f1c2a3e-0000-4000-8000-000000000001"),
        ("PGSSLMODE", "require"),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value.to_owned()))
    .collect();
    let endpoint = "projects/app/branches/main/endpoints/ep-app";
    for (name, value, value_from) in app_env(&app_yaml(&bundle())) {
        let value = match value_from.as_deref() {
            Some("postgres") => endpoint.to_owned(),
            Some(other) => format!("sample value of resource {other}"),
            None => value.expect("value"),
        };
        env.push((name, value));
    }

    let config = Config::from_lookup(|name| {
        env.iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    })
    .unwrap_or_else(|error| panic!("app.yaml gives an invalid configuration: {error}"));

    let lakebase = config.lakebase.expect("Lakebase is configured");
    assert_eq!(lakebase.target, CredentialTarget::Endpoint(endpoint.into()));
    assert_eq!(config.static_dir, PathBuf::from("client/dist"));
    assert!(
        config.shutdown_drain.as_secs() < 15,
        "drain deadline below the platform's 15 s"
    );
}

/// Packs `binary` with deploy/pack-binary.sh into a copy of the app folder under `dir`.
fn stage_app(dir: &Path, binary: &[u8]) -> PathBuf {
    let app = dir.join("app");
    std::fs::create_dir_all(&app).expect("create app folder");
    std::fs::copy(app_dir(&bundle()).join("start.sh"), app.join("start.sh")).expect("copy");
    let binary_path = dir.join("app-server");
    std::fs::write(&binary_path, binary).expect("write binary");

    let status = Command::new("sh")
        .arg(deploy_dir().join("pack-binary.sh"))
        .arg(&binary_path)
        .arg(app.join("bin"))
        .status()
        .expect("run pack-binary.sh");
    assert!(status.success(), "pack-binary.sh: {status}");
    app
}

/// A shell script that prints its arguments, padded with random bytes to 25 MB after `exit`, so
/// it compresses badly and needs several parts.
fn fake_server() -> Vec<u8> {
    let mut binary = b"#!/bin/sh\necho \"server started with: $*\"\nexit 0\n".to_vec();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    binary.extend((0..25_000_000).map(|_| {
        // xorshift64: incompressible filler without a random number crate.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state.to_le_bytes()[0]
    }));
    binary
}

/// Runs the staged start.sh with `TMPDIR` set to `temp`, which it creates.
fn run_start_script(app: &Path, temp: &Path) -> std::process::Output {
    std::fs::create_dir_all(temp).expect("create TMPDIR");
    Command::new("sh")
        .arg(app.join("start.sh"))
        .env("TMPDIR", temp)
        .output()
        .expect("run start.sh")
}

#[test]
fn start_script_runs_binary_with_serve() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = stage_app(dir.path(), &fake_server());

    let parts: Vec<u64> = std::fs::read_dir(app.join("bin"))
        .expect("bin folder")
        .map(|entry| entry.expect("entry").metadata().expect("metadata").len())
        .collect();
    assert!(parts.len() >= 3, "split into parts: {parts:?}");
    assert!(
        parts.iter().all(|&bytes| bytes <= 9_000_000),
        "each part at most 9,000,000 bytes: {parts:?}"
    );

    let output = run_start_script(&app, &dir.path().join("tmp"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "start.sh failed: {output:?}");
    assert_eq!(stdout.trim(), "server started with: serve");
}

/// Lists the names of the files in `folder`, sorted.
fn file_names(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .expect("read folder")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

#[test]
fn start_script_keeps_one_unpacked_copy() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = stage_app(dir.path(), &fake_server());
    let temp = dir.path().join("tmp");

    for start in 1..=3 {
        let output = run_start_script(&app, &temp);
        assert!(output.status.success(), "start {start} failed: {output:?}");
        assert_eq!(
            String::from_utf8_lossy(&output.stdout).trim(),
            "server started with: serve",
            "start {start}"
        );
        assert_eq!(file_names(&temp), ["app-server"], "after start {start}");
    }
}

#[test]
fn start_script_rejects_damaged_part() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = stage_app(dir.path(), &fake_server());
    let part = app.join("bin/app-server.gz.part-ab");
    let mut bytes = std::fs::read(&part).expect("read part");
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&part, bytes).expect("write part");

    let temp = dir.path().join("tmp");
    let output = run_start_script(&app, &temp);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "start.sh must fail");
    assert!(stderr.contains("deploy again"), "stderr: {stderr}");
    assert!(
        !String::from_utf8_lossy(&output.stdout).contains("server started"),
        "the damaged binary must not run"
    );
    assert!(
        file_names(&temp).is_empty(),
        "the damaged copy must be removed: {:?}",
        file_names(&temp)
    );
}

#[test]
fn start_script_explains_missing_build() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = dir.path().join("app");
    std::fs::create_dir_all(&app).expect("create app folder");
    std::fs::copy(app_dir(&bundle()).join("start.sh"), app.join("start.sh")).expect("copy");

    let output = run_start_script(&app, &dir.path().join("tmp"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "start.sh must fail");
    assert!(stderr.contains("run deploy/build.sh"), "stderr: {stderr}");
}

#[test]
fn missing_scope_messages_name_bundle_scopes() {
    let requested = user_api_scopes(&bundle());
    let hints = [
        app_server::http::routes::unity_catalog::UNITY_CATALOG_SCOPE,
        app_server::http::routes::model_serving::SERVING_SCOPE,
    ];

    for hint in hints {
        let named = hint.app_scopes.replace(" and ", ", ");
        for scope in named.split(", ") {
            assert!(
                requested.iter().any(|requested| requested == scope),
                "{scope} is named in the missing-scope message but not requested in {requested:?}"
            );
        }
    }
}
