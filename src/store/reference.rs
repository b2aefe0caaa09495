//! Runtime references as users type them, parsed without touching the disk.
//!
//! Accepted forms:
//! - `NAME` — the version tagged `latest`;
//! - `NAME:TAG` or `NAME:VERSION-PREFIX` — a tag first, else a full version,
//!   else a unique version prefix of at least 4 characters;
//! - Starwhale URIs `NAME/version/X` and `local/project/P/runtime/NAME/version/X`
//!   (also `local/project/P/runtime/NAME`, `project/P/runtime/NAME/version/X`,
//!   and the `local://` spelling).
//!
//! Resolution against the store lives in `Store::resolve`.

use std::fmt;
use std::str::FromStr;

use super::StoreError;
use super::tag_index::is_valid_name;

/// The minimum length of a version prefix.
pub const MIN_VERSION_PREFIX: usize = 4;

/// A parsed runtime reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RuntimeRef {
    /// Project named by a Starwhale URI; `None` means the store's project.
    pub project: Option<String>,
    pub name: String,
    /// A tag, full version or version prefix; `None` means `latest`.
    pub selector: Option<String>,
}

impl RuntimeRef {
    /// `NAME` or `NAME:SELECTOR`.
    pub fn new(name: &str, selector: Option<&str>) -> RuntimeRef {
        RuntimeRef {
            project: None,
            name: name.to_owned(),
            selector: selector.map(str::to_owned),
        }
    }

    /// Parses any accepted form.
    pub fn parse(text: &str) -> Result<RuntimeRef, StoreError> {
        let bad = |why: &str| StoreError::BadReference {
            reference: text.to_owned(),
            reason: why.to_owned(),
        };
        let t = text.trim();
        if t.is_empty() {
            return Err(bad("it is empty"));
        }
        let t = t.strip_prefix("local://").map_or(t, |rest| rest);
        if t.contains('/') {
            let parts: Vec<&str> = t.split('/').collect();
            if parts.iter().any(|p| p.is_empty()) {
                return Err(bad("it has an empty path segment"));
            }
            let (project, rest): (Option<&str>, &[&str]) = match parts.as_slice() {
                ["local", "project", p, rest @ ..] => (Some(p), rest),
                ["project", p, rest @ ..] => (Some(p), rest),
                rest => (None, rest),
            };
            let rest = match (project, rest) {
                (Some(_), ["runtime", rest @ ..]) => rest,
                (Some(_), [kind, ..]) => {
                    return Err(bad(&format!(
                        "`{kind}` is not a runtime URI (expected `.../runtime/NAME/version/X`)"
                    )));
                }
                (Some(_), []) => return Err(bad("the URI names no runtime")),
                (None, rest) => rest,
            };
            let (name, selector) = match rest {
                [name] => (*name, None),
                [name, "version", v] => (*name, Some(*v)),
                _ => {
                    return Err(bad(
                        "expected NAME/version/X or local/project/P/runtime/NAME/version/X",
                    ));
                }
            };
            if let Some(p) = project
                && !is_valid_name(p)
                && p.parse::<u64>().is_err()
            {
                return Err(bad(&format!("`{p}` is not a valid project name")));
            }
            return Self::checked(text, project, name, selector);
        }
        match t.split_once(':') {
            Some((name, sel)) => Self::checked(text, None, name, Some(sel)),
            None => Self::checked(text, None, t, None),
        }
    }

    fn checked(
        text: &str,
        project: Option<&str>,
        name: &str,
        selector: Option<&str>,
    ) -> Result<RuntimeRef, StoreError> {
        if !is_valid_name(name) {
            return Err(StoreError::BadReference {
                reference: text.to_owned(),
                reason: format!(
                    "`{name}` is not a valid runtime name (letters, digits, `_`, `.`, `-`; starting with a letter or `_`)"
                ),
            });
        }
        if let Some(sel) = selector
            && (sel.is_empty()
                || !sel
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
        {
            return Err(StoreError::BadReference {
                reference: text.to_owned(),
                reason: format!("`{sel}` is neither a tag nor a version"),
            });
        }
        Ok(RuntimeRef {
            project: project.map(str::to_owned),
            name: name.to_owned(),
            selector: selector.map(str::to_owned),
        })
    }

    /// The selector, with `latest` standing for none.
    pub fn selector_or_latest(&self) -> &str {
        self.selector
            .as_deref()
            .unwrap_or(super::tag_index::LATEST_TAG)
    }
}

impl FromStr for RuntimeRef {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RuntimeRef::parse(s)
    }
}

impl fmt::Display for RuntimeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = &self.project {
            write!(f, "local/project/{p}/runtime/{}", self.name)?;
            if let Some(s) = &self.selector {
                write!(f, "/version/{s}")?;
            }
            return Ok(());
        }
        match &self.selector {
            Some(s) => write!(f, "{}:{s}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let r = RuntimeRef::parse("demo").unwrap();
        assert_eq!((r.name.as_str(), r.selector), ("demo", None));
        let r = RuntimeRef::parse("demo:v1").unwrap();
        assert_eq!(r.selector.as_deref(), Some("v1"));
        let r = RuntimeRef::parse("demo/version/abcd").unwrap();
        assert_eq!((r.project, r.selector.as_deref()), (None, Some("abcd")));
        let r = RuntimeRef::parse("local/project/self/runtime/demo/version/latest").unwrap();
        assert_eq!(r.project.as_deref(), Some("self"));
        assert_eq!(r.selector.as_deref(), Some("latest"));
        let r = RuntimeRef::parse("local/project/p1/runtime/demo").unwrap();
        assert_eq!((r.project.as_deref(), r.selector), (Some("p1"), None));
        assert!(RuntimeRef::parse("local/project/self/model/demo/version/x").is_err());
        assert!(RuntimeRef::parse("demo/x/y").is_err());
        assert!(RuntimeRef::parse("1demo").is_err());
        assert!(RuntimeRef::parse("demo:").is_err());
        assert!(RuntimeRef::parse("demo:a/b").is_err());
    }
}
