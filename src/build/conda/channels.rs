//! Which conda channels a build uses and how they are reached: maps
//! `configs.conda.channels`, the `condarc` keys conda users know (`channels`,
//! `default_channels`, `custom_channels`, `channel_alias`, `ssl_verify`,
//! `default_threads`) and the channels of each conda.yaml onto rattler's
//! channel types and an HTTP client. It reads nothing from disk but a CA
//! bundle named by `ssl_verify`, and never touches the network itself.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rattler_conda_types::{Channel, ChannelConfig};
use url::Url;

use super::CondaError;

/// Used when neither runtime.yaml, its condarc nor any conda.yaml names a
/// channel. conda itself would use anaconda's `defaults`; conda-forge is
/// what the rattler ecosystem (pixi) defaults to and needs no licence.
pub const DEFAULT_CHANNEL: &str = "conda-forge";

/// What `defaults` expands to when the condarc has no `default_channels`,
/// as in conda.
const ANACONDA_DEFAULTS: &[&str] = &[
    "https://repo.anaconda.com/pkgs/main",
    "https://repo.anaconda.com/pkgs/r",
];

/// How TLS certificates are checked (`ssl_verify` in the condarc).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SslVerify {
    #[default]
    System,
    /// `ssl_verify: false`.
    Disabled,
    /// `ssl_verify: /path/to/ca-bundle.pem`.
    CaBundle(PathBuf),
}

/// The channel configuration of one build, in priority order.
#[derive(Debug, Clone)]
pub struct ChannelSettings {
    channel_config: ChannelConfig,
    /// Channels named by `configs.conda.channels` and the conda.yaml files,
    /// highest priority first.
    requested: Vec<String>,
    /// The condarc's own `channels`, after the requested ones (as conda
    /// puts `-c` channels before the condarc's).
    condarc_channels: Vec<String>,
    default_channels: Vec<String>,
    custom_channels: BTreeMap<String, String>,
    pub ssl_verify: SslVerify,
    /// `default_threads`: download and extraction concurrency.
    pub threads: Option<usize>,
}

impl ChannelSettings {
    /// Settings from `configs.conda.channels` and `configs.conda.condarc`.
    /// Relative channel paths resolve against `root_dir` (the directory of
    /// the runtime.yaml).
    pub fn new(
        channels: &[String],
        condarc: Option<&serde_json::Value>,
        root_dir: &Path,
    ) -> Result<ChannelSettings, CondaError> {
        let mut settings = ChannelSettings {
            channel_config: ChannelConfig::default_with_root_dir(root_dir.to_path_buf()),
            requested: Vec::new(),
            condarc_channels: Vec::new(),
            default_channels: Vec::new(),
            custom_channels: BTreeMap::new(),
            ssl_verify: SslVerify::System,
            threads: None,
        };
        settings.add_channels(channels);
        if let Some(rc) = condarc {
            settings.apply_condarc(rc)?;
        }
        Ok(settings)
    }

    fn apply_condarc(&mut self, rc: &serde_json::Value) -> Result<(), CondaError> {
        let Some(map) = rc.as_object() else {
            return Err(invalid("condarc", "must be a mapping"));
        };
        if let Some(v) = map.get("channels") {
            self.condarc_channels = string_list("channels", v)?;
        }
        if let Some(v) = map.get("default_channels") {
            self.default_channels = string_list("default_channels", v)?;
        }
        if let Some(v) = map.get("custom_channels") {
            let Some(obj) = v.as_object() else {
                return Err(invalid("custom_channels", "must map channel names to URLs"));
            };
            for (name, url) in obj {
                let Some(url) = url.as_str() else {
                    return Err(invalid(
                        &format!("custom_channels.{name}"),
                        "must be a URL string",
                    ));
                };
                self.custom_channels.insert(name.clone(), url.to_owned());
            }
        }
        if let Some(v) = map.get("channel_alias") {
            let alias = v
                .as_str()
                .ok_or_else(|| invalid("channel_alias", "must be a URL string"))?;
            self.channel_config.channel_alias = parse_base_url(alias)
                .ok_or_else(|| invalid("channel_alias", &format!("`{alias}` is not a URL")))?;
        }
        if let Some(v) = map.get("ssl_verify") {
            self.ssl_verify = match v {
                serde_json::Value::Bool(true) | serde_json::Value::Null => SslVerify::System,
                serde_json::Value::Bool(false) => SslVerify::Disabled,
                serde_json::Value::String(s) => match s.to_ascii_lowercase().as_str() {
                    "true" | "yes" => SslVerify::System,
                    "false" | "no" => SslVerify::Disabled,
                    _ => SslVerify::CaBundle(PathBuf::from(s)),
                },
                _ => {
                    return Err(invalid(
                        "ssl_verify",
                        "must be true, false or the path of a CA bundle",
                    ));
                }
            };
        }
        if let Some(v) = map.get("default_threads") {
            let n = v
                .as_u64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                .ok_or_else(|| invalid("default_threads", "must be a positive integer"))?;
            self.threads = usize::try_from(n).ok().filter(|n| *n > 0);
        }
        Ok(())
    }

    /// Adds channels with lower priority than those already requested (the
    /// channels of a conda.yaml, after `configs.conda.channels`).
    pub fn add_channels(&mut self, channels: &[String]) {
        for c in channels {
            if !self.requested.contains(c) {
                self.requested.push(c.clone());
            }
        }
    }

    /// The channel names as configured, highest priority first, before
    /// `defaults` and custom channels are expanded (what the lock's
    /// `channels:` lists).
    pub fn names(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in self.requested.iter().chain(&self.condarc_channels) {
            if !out.contains(c) {
                out.push(c.clone());
            }
        }
        if out.is_empty() {
            if self.default_channels.is_empty() {
                out.push(DEFAULT_CHANNEL.to_owned());
            } else {
                out.push("defaults".to_owned());
            }
        }
        out
    }

    /// The channels to solve against, in priority order, fully expanded.
    pub fn channels(&self) -> Result<Vec<Channel>, CondaError> {
        let mut out: Vec<Channel> = Vec::new();
        for name in self.names() {
            for channel in self.expand(&name)? {
                if !out.iter().any(|c| c.base_url == channel.base_url) {
                    out.push(channel);
                }
            }
        }
        Ok(out)
    }

    fn expand(&self, name: &str) -> Result<Vec<Channel>, CondaError> {
        if name == "defaults" {
            let defaults: Vec<String> = if self.default_channels.is_empty() {
                ANACONDA_DEFAULTS.iter().map(|s| (*s).to_owned()).collect()
            } else {
                self.default_channels.clone()
            };
            return defaults.iter().map(|d| self.one(d)).collect();
        }
        Ok(vec![self.one(name)?])
    }

    fn one(&self, name: &str) -> Result<Channel, CondaError> {
        // `custom_channels: {mychan: https://host/prefix}` makes `mychan`
        // mean `https://host/prefix/mychan`, as in conda.
        let first = name.split('/').next().unwrap_or(name);
        if let Some(base) = self.custom_channels.get(first) {
            let url = format!("{}/{}", base.trim_end_matches('/'), name);
            let url = parse_base_url(&url).ok_or_else(|| CondaError::InvalidChannel {
                channel: name.to_owned(),
                message: format!("custom channel URL `{url}` is not a URL"),
            })?;
            return Ok(Channel::from_url(url));
        }
        Channel::from_str(name, &self.channel_config).map_err(|e| CondaError::InvalidChannel {
            channel: name.to_owned(),
            message: e.to_string(),
        })
    }

    /// The HTTP client for repodata and package downloads, honouring
    /// `ssl_verify`.
    pub fn client(&self) -> Result<reqwest::Client, CondaError> {
        let mut builder =
            reqwest::Client::builder().user_agent(concat!("swrt/", env!("CARGO_PKG_VERSION")));
        match &self.ssl_verify {
            SslVerify::System => {}
            SslVerify::Disabled => builder = builder.tls_danger_accept_invalid_certs(true),
            SslVerify::CaBundle(path) => {
                let pem = std::fs::read(path).map_err(|e| CondaError::Client {
                    message: format!("cannot read ssl_verify CA bundle {}: {e}", path.display()),
                })?;
                let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                    CondaError::Client {
                        message: format!("invalid CA bundle {}: {e}", path.display()),
                    }
                })?;
                builder = builder.tls_certs_merge(certs);
            }
        }
        builder.build().map_err(|e| CondaError::Client {
            message: e.to_string(),
        })
    }
}

fn parse_base_url(s: &str) -> Option<Url> {
    Url::parse(&format!("{}/", s.trim_end_matches('/'))).ok()
}

fn string_list(key: &str, v: &serde_json::Value) -> Result<Vec<String>, CondaError> {
    match v {
        serde_json::Value::String(s) => Ok(vec![s.clone()]),
        serde_json::Value::Array(items) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| invalid(key, "must be a list of strings"))
            })
            .collect(),
        _ => Err(invalid(key, "must be a list of strings")),
    }
}

fn invalid(key: &str, message: &str) -> CondaError {
    CondaError::InvalidCondarc {
        key: key.to_owned(),
        message: message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(s: &ChannelSettings) -> Vec<String> {
        s.channels()
            .unwrap()
            .iter()
            .map(|c| c.base_url.to_string())
            .collect()
    }

    #[test]
    fn nothing_configured_means_conda_forge() {
        let s = ChannelSettings::new(&[], None, Path::new("/x")).unwrap();
        assert_eq!(urls(&s), ["https://conda.anaconda.org/conda-forge/"]);
    }

    #[test]
    fn condarc_keys_map_onto_channels() {
        let rc = serde_json::json!({
            "channels": ["defaults", "mine"],
            "default_channels": ["https://mirror.example/pkgs/main"],
            "custom_channels": {"mine": "https://private.example/conda"},
            "channel_alias": "https://alias.example",
            "ssl_verify": false,
            "default_threads": 3,
        });
        let mut s =
            ChannelSettings::new(&["bioconda".to_owned()], Some(&rc), Path::new("/x")).unwrap();
        s.add_channels(&["file:///srv/chan".to_owned(), "bioconda".to_owned()]);
        assert_eq!(
            urls(&s),
            [
                "https://alias.example/bioconda/",
                "file:///srv/chan/",
                "https://mirror.example/pkgs/main/",
                "https://private.example/conda/mine/",
            ]
        );
        assert_eq!(s.ssl_verify, SslVerify::Disabled);
        assert_eq!(s.threads, Some(3));
        assert_eq!(s.names()[0], "bioconda");
    }

    #[test]
    fn relative_paths_resolve_against_the_spec_dir() {
        let s = ChannelSettings::new(&["./chan".to_owned()], None, Path::new("/spec/dir")).unwrap();
        assert_eq!(urls(&s), ["file:///spec/dir/chan/"]);
    }

    #[test]
    fn bad_condarc_values_are_named() {
        let rc = serde_json::json!({"default_threads": "many"});
        let err = ChannelSettings::new(&[], Some(&rc), Path::new("/x")).unwrap_err();
        assert!(err.to_string().contains("default_threads"), "{err}");
    }
}
