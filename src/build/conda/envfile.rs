//! conda environment files (`conda.yaml`, the `environment.yml` format):
//! `name`, `channels`, and `dependencies` with an optional nested `pip:`
//! list. Parsing is rattler's; this file adds the file's path to errors and
//! resolves relative channel paths against the file's directory. It reads the
//! one file it is given and nothing else.

use std::path::{Path, PathBuf};

use rattler_conda_types::{EnvironmentYaml, MatchSpecOrSubSection, NamedChannelOrUrl};

use super::CondaError;

/// One parsed conda environment file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CondaEnvFile {
    pub path: PathBuf,
    /// `name:`, when present (kept, not used: swrt names the env itself).
    pub name: Option<String>,
    /// `channels:`, relative paths made absolute.
    pub channels: Vec<String>,
    /// The conda match specs of `dependencies:`, in order.
    pub specs: Vec<String>,
    /// The `pip:` sub-list, for the caller to install with the env's Python.
    pub pip: Vec<String>,
}

impl CondaEnvFile {
    /// Reads and parses `path`.
    pub fn read(path: &Path) -> Result<CondaEnvFile, CondaError> {
        let text = std::fs::read_to_string(path).map_err(|source| CondaError::EnvFileRead {
            path: path.to_path_buf(),
            source,
        })?;
        CondaEnvFile::parse(path, &text)
    }

    /// Parses `text`, read from `path`.
    pub fn parse(path: &Path, text: &str) -> Result<CondaEnvFile, CondaError> {
        let parse_error = |message: String| CondaError::EnvFileParse {
            path: path.to_path_buf(),
            message,
        };
        let env = EnvironmentYaml::from_yaml_str(text).map_err(|e| parse_error(e.to_string()))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let channels = env
            .channels
            .iter()
            .map(|c| match c {
                NamedChannelOrUrl::Path(p) if !Path::new(p.as_str()).is_absolute() => {
                    dir.join(p.as_str()).to_string_lossy().into_owned()
                }
                other => other.to_string(),
            })
            .collect();
        let mut specs = Vec::new();
        let mut pip = Vec::new();
        for dep in &env.dependencies {
            match dep {
                MatchSpecOrSubSection::MatchSpec(spec) => specs.push(spec.to_string()),
                MatchSpecOrSubSection::SubSection(key, items) if key == "pip" => {
                    pip.extend(items.iter().cloned())
                }
                MatchSpecOrSubSection::SubSection(key, _) => {
                    return Err(parse_error(format!(
                        "`dependencies` has a `{key}:` list; only `pip:` lists are supported"
                    )));
                }
            }
        }
        Ok(CondaEnvFile {
            path: path.to_path_buf(),
            name: env.name,
            channels,
            specs,
            pip,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_channels_specs_and_pip() {
        let text = "name: demo\nchannels:\n  - ./local-chan\n  - conda-forge\ndependencies:\n  - numpy>=1.20\n  - pkga=1.0\n  - pip:\n    - requests==2.31\n    - -r extra.txt\n";
        let f = CondaEnvFile::parse(Path::new("/proj/conda.yaml"), text).unwrap();
        assert_eq!(f.name.as_deref(), Some("demo"));
        assert_eq!(f.channels, ["/proj/./local-chan", "conda-forge"]);
        assert_eq!(f.specs.len(), 2);
        assert!(f.specs[0].starts_with("numpy"), "{:?}", f.specs);
        assert_eq!(f.pip, ["requests==2.31", "-r extra.txt"]);
    }

    #[test]
    fn errors_name_the_file() {
        let err = CondaEnvFile::parse(Path::new("/proj/conda.yaml"), "dependencies: [\"=>bad<\"]")
            .unwrap_err();
        assert!(err.to_string().contains("/proj/conda.yaml"), "{err}");
    }
}
