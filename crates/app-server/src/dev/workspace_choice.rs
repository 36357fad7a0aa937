//! `dev --workspace PROFILE_OR_HOST`: which CLI login and which workspace URL to use.
//!
//! As `databricks auth token` does with its positional argument, the value names a profile of
//! the CLI's configuration file when such a profile exists, and a workspace URL otherwise. The
//! file is `DATABRICKS_CONFIG_FILE`, or `.databrickscfg` in the home folder.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use super::cli_token::CliLogin;

/// The CLI login to take tokens from, and the workspace they are for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceChoice {
    pub login: CliLogin,
    /// The workspace URL, normalized (`https://` added when no scheme was given).
    pub host: String,
}

/// Returns the CLI's configuration file: `DATABRICKS_CONFIG_FILE`, or `~/.databrickscfg`.
pub fn config_file_path(lookup: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(path) = lookup("DATABRICKS_CONFIG_FILE").filter(|path| !path.trim().is_empty()) {
        return Some(PathBuf::from(path));
    }
    lookup("HOME").map(|home| Path::new(&home).join(".databrickscfg"))
}

/// Resolves `value` with the configuration file at `config_path`, which may be missing.
pub fn resolve(value: &str, config_path: Option<&Path>) -> anyhow::Result<WorkspaceChoice> {
    let value = value.trim();
    if value.is_empty() {
        bail!("--workspace is empty: pass a Databricks CLI profile name or a workspace URL");
    }

    let config = match config_path {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => Some((path, text)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
            Err(error) => {
                return Err(error).with_context(|| format!("failed to read {}", path.display()));
            }
        },
        None => None,
    };

    if let Some((path, text)) = &config
        && let Some(section) = profile_section(text, value)
    {
        let host = section_value(section, "host").with_context(|| {
            format!(
                "profile {value} in {} has no host: run `databricks auth login --profile {value} \
                 --host <workspace URL>`",
                path.display()
            )
        })?;
        let normalized = databricks_client::normalize_host(host).with_context(|| {
            format!(
                "the host of profile {value} in {} is invalid",
                path.display()
            )
        })?;
        return Ok(WorkspaceChoice {
            login: CliLogin::Profile(value.to_owned()),
            host: normalized.as_str().trim_end_matches('/').to_owned(),
        });
    }

    if looks_like_host(value) {
        let normalized = databricks_client::normalize_host(value)
            .with_context(|| format!("--workspace {value} is not a valid workspace URL"))?;
        return Ok(WorkspaceChoice {
            login: CliLogin::Host(value.to_owned()),
            host: normalized.as_str().trim_end_matches('/').to_owned(),
        });
    }

    let searched = match &config {
        Some((path, _)) => format!("no profile named {value} in {}", path.display()),
        None => match config_path {
            Some(path) => format!("no Databricks CLI configuration at {}", path.display()),
            None => "no Databricks CLI configuration (HOME is not set)".to_owned(),
        },
    };
    bail!(
        "--workspace {value}: {searched}, and it is not a workspace URL. Pass a URL such as \
         https://adb-1234567890123456.7.azuredatabricks.net, or create the profile with \
         `databricks auth login --profile {value} --host <workspace URL>`"
    )
}

/// Tells whether `value` reads as a URL or host name rather than a profile name.
fn looks_like_host(value: &str) -> bool {
    value.contains("://") || value.contains('.') || value.contains(':') || value == "localhost"
}

/// Returns the lines of section `[name]` of an INI text, or `None` when there is no such section.
fn profile_section<'a>(text: &'a str, name: &str) -> Option<Vec<&'a str>> {
    let mut lines = text.lines().map(str::trim);
    lines.find(|line| section_name(line) == Some(name))?;
    Some(
        lines
            .take_while(|line| section_name(line).is_none())
            .filter(|line| !line.is_empty() && !line.starts_with(['#', ';']))
            .collect(),
    )
}

fn section_name(line: &str) -> Option<&str> {
    line.strip_prefix('[')?.strip_suffix(']').map(str::trim)
}

/// Returns the value of `key` in a section's lines (`key = value`).
fn section_value<'a>(section: Vec<&'a str>, key: &str) -> Option<&'a str> {
    section.into_iter().find_map(|line| {
        let (name, value) = line.split_once('=')?;
        (name.trim() == key)
            .then(|| value.trim())
            .filter(|value| !value.is_empty())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "\
; written by databricks auth login
[DEFAULT]
host = https://adb-1.azuredatabricks.net

[dev]
host  =  adb-2.azuredatabricks.net
auth_type = databricks-cli

[no-host]
auth_type = databricks-cli
";

    fn resolve_with_config(value: &str) -> anyhow::Result<WorkspaceChoice> {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join(".databrickscfg");
        std::fs::write(&path, CONFIG).expect("write config");
        resolve(value, Some(&path))
    }

    #[test]
    fn profile_is_preferred_and_gives_host() {
        let choice = resolve_with_config("dev").expect("profile");

        assert_eq!(choice.login, CliLogin::Profile("dev".to_owned()));
        assert_eq!(choice.host, "https://adb-2.azuredatabricks.net");
    }

    #[test]
    fn url_without_profile_is_host() {
        let choice = resolve_with_config("http://127.0.0.1:8080").expect("host");

        assert_eq!(
            choice.login,
            CliLogin::Host("http://127.0.0.1:8080".to_owned())
        );
        assert_eq!(choice.host, "http://127.0.0.1:8080");
    }

    #[test]
    fn host_works_without_config_file() {
        let choice = resolve(
            "adb-3.azuredatabricks.net",
            Some(Path::new("/nonexistent/cfg")),
        )
        .expect("host");

        assert_eq!(choice.host, "https://adb-3.azuredatabricks.net");
    }

    #[test]
    fn unknown_profile_names_the_file() {
        let message = resolve_with_config("staging")
            .expect_err("unknown")
            .to_string();

        assert!(message.contains("no profile named staging"), "{message}");
        assert!(message.contains(".databrickscfg"), "{message}");
        assert!(
            message.contains("databricks auth login --profile staging"),
            "{message}"
        );
    }

    #[test]
    fn profile_without_host_is_rejected() {
        let message = format!("{:#}", resolve_with_config("no-host").expect_err("no host"));

        assert!(message.contains("has no host"), "{message}");
    }

    #[test]
    fn plain_http_host_is_rejected() {
        let error = resolve("http://adb-4.azuredatabricks.net", None).expect_err("insecure");

        assert!(format!("{error:#}").contains("not a valid workspace URL"));
    }

    #[test]
    fn config_path_prefers_environment_variable() {
        let lookup = |name: &str| match name {
            "DATABRICKS_CONFIG_FILE" => Some("/etc/dbcfg".to_owned()),
            "HOME" => Some("/home/dev".to_owned()),
            _ => None,
        };
        assert_eq!(config_file_path(lookup), Some(PathBuf::from("/etc/dbcfg")));

        let home_only = |name: &str| (name == "HOME").then(|| "/home/dev".to_owned());
        assert_eq!(
            config_file_path(home_only),
            Some(PathBuf::from("/home/dev/.databrickscfg"))
        );
    }
}
