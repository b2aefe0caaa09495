//! The per-runtime tag index, `<root>/<project>/runtime/<name>/_manifest.yaml`,
//! in exactly the shape `swcli` 0.6.15 reads and writes (`StandaloneTag`):
//!
//! ```yaml
//! fast_tag_seq: 1
//! name: demo
//! tags:
//!   latest: <version>
//!   v0: <version>
//! typ: runtime
//! updated_at: 2024-01-01 12:00:00 UTC
//! versions:
//!   <version>:
//!     latest: true
//!     v0: true
//! ```
//!
//! Serialisation mimics PyYAML's `safe_dump(default_flow_style=False)` (sorted
//! keys, two-space indent, `{}` for empty mappings, single quotes only where a
//! plain scalar would change type) so that a file written by either tool reads
//! the same in both. This module is pure data: no I/O beyond parse/render, no
//! locking (the store does that), never prints.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::StoreError;

/// The tag every new version receives and that a bare `NAME` resolves to.
pub const LATEST_TAG: &str = "latest";

/// A runtime's tags and versions.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TagIndex {
    /// The runtime name (swcli writes it on every save).
    pub name: String,
    /// Always `runtime` for runtimes.
    pub typ: String,
    /// The last `vN` handed out; `-1` before the first.
    pub fast_tag_seq: i64,
    /// tag → version.
    pub tags: BTreeMap<String, String>,
    /// version → {tag: true}; a version without tags is absent.
    pub versions: BTreeMap<String, BTreeMap<String, bool>>,
    /// When the index was last written (`%Y-%m-%d %H:%M:%S %Z`).
    pub updated_at: Option<String>,
    /// Keys this version of swrt does not know, kept on rewrite.
    pub extra: BTreeMap<String, serde_yaml::Value>,
}

#[derive(Deserialize)]
struct RawIndex {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    typ: Option<String>,
    #[serde(default)]
    fast_tag_seq: Option<i64>,
    #[serde(default)]
    tags: Option<BTreeMap<String, String>>,
    #[serde(default)]
    versions: Option<BTreeMap<String, Option<BTreeMap<String, bool>>>>,
    #[serde(default)]
    updated_at: Option<serde_yaml::Value>,
    #[serde(flatten)]
    extra: BTreeMap<String, serde_yaml::Value>,
}

/// Whether a string passes Starwhale's object name rule
/// (`^[a-zA-Z_][a-zA-Z0-9_.-]*$`, 1–80 characters).
pub fn is_valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    s.chars().count() <= 80
        && (first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// `v` followed by digits: the automatic per-version tags.
pub fn is_auto_tag(tag: &str) -> bool {
    tag.len() > 1 && tag.starts_with('v') && tag[1..].bytes().all(|b| b.is_ascii_digit())
}

/// `latest` or `vN`: tags that only the store hands out.
pub fn is_builtin_tag(tag: &str) -> bool {
    tag == LATEST_TAG || is_auto_tag(tag)
}

/// Checks a tag a user asked for.
pub fn check_user_tag(tag: &str) -> Result<(), StoreError> {
    if !is_valid_name(tag) {
        return Err(StoreError::InvalidTag {
            tag: tag.to_owned(),
            reason: "a tag is 1-80 characters: letters, digits, `_`, `.` and `-`, starting with a letter or `_`".to_owned(),
        });
    }
    if is_builtin_tag(tag) {
        return Err(StoreError::InvalidTag {
            tag: tag.to_owned(),
            reason: "`latest` and `v<digits>` are given by the store to every new version"
                .to_owned(),
        });
    }
    Ok(())
}

impl TagIndex {
    /// An empty index for `name`, as swcli starts one.
    pub fn new(name: &str) -> TagIndex {
        TagIndex {
            name: name.to_owned(),
            typ: "runtime".to_owned(),
            fast_tag_seq: -1,
            ..TagIndex::default()
        }
    }

    /// Parses an index file's text. An empty file is an empty index.
    pub fn parse(name: &str, text: &str) -> Result<TagIndex, serde_yaml::Error> {
        if text.trim().is_empty() {
            return Ok(TagIndex::new(name));
        }
        let raw: Option<RawIndex> = serde_yaml::from_str(text)?;
        let Some(raw) = raw else {
            return Ok(TagIndex::new(name));
        };
        let updated_at = raw.updated_at.and_then(|v| match v {
            serde_yaml::Value::String(s) => Some(s),
            serde_yaml::Value::Null => None,
            other => serde_yaml::to_string(&other)
                .ok()
                .map(|s| s.trim().to_owned()),
        });
        Ok(TagIndex {
            name: raw.name.unwrap_or_else(|| name.to_owned()),
            typ: raw.typ.unwrap_or_else(|| "runtime".to_owned()),
            fast_tag_seq: raw.fast_tag_seq.unwrap_or(-1),
            tags: raw.tags.unwrap_or_default(),
            versions: raw
                .versions
                .unwrap_or_default()
                .into_iter()
                .map(|(v, t)| (v, t.unwrap_or_default()))
                .collect(),
            updated_at,
            extra: raw.extra,
        })
    }

    /// Renders the index as PyYAML's `safe_dump(default_flow_style=False)` does.
    pub fn render(&self) -> String {
        let mut keys: BTreeMap<&str, String> = BTreeMap::new();
        keys.insert(
            "fast_tag_seq",
            format!("fast_tag_seq: {}\n", self.fast_tag_seq),
        );
        keys.insert("name", format!("name: {}\n", scalar(&self.name)));
        keys.insert("tags", {
            let mut s = String::from("tags:");
            if self.tags.is_empty() {
                s.push_str(" {}\n");
            } else {
                s.push('\n');
                for (tag, version) in &self.tags {
                    s.push_str(&format!("  {}: {}\n", scalar(tag), scalar(version)));
                }
            }
            s
        });
        keys.insert("typ", format!("typ: {}\n", scalar(&self.typ)));
        if let Some(at) = &self.updated_at {
            keys.insert("updated_at", format!("updated_at: {}\n", scalar(at)));
        }
        keys.insert("versions", {
            let mut s = String::from("versions:");
            if self.versions.is_empty() {
                s.push_str(" {}\n");
            } else {
                s.push('\n');
                for (version, tags) in &self.versions {
                    if tags.is_empty() {
                        s.push_str(&format!("  {}: {{}}\n", scalar(version)));
                        continue;
                    }
                    s.push_str(&format!("  {}:\n", scalar(version)));
                    for (tag, flag) in tags {
                        s.push_str(&format!("    {}: {}\n", scalar(tag), flag));
                    }
                }
            }
            s
        });
        let mut extra_text: BTreeMap<&str, String> = BTreeMap::new();
        for (key, value) in &self.extra {
            let mut map = serde_yaml::Mapping::new();
            map.insert(serde_yaml::Value::String(key.clone()), value.clone());
            if let Ok(text) = serde_yaml::to_string(&map) {
                extra_text.insert(key.as_str(), text);
            }
        }
        for (key, text) in extra_text {
            keys.entry(key).or_insert(text);
        }
        keys.into_values().collect()
    }

    /// The version a tag points at.
    pub fn version_of(&self, tag: &str) -> Option<&str> {
        self.tags.get(tag).map(String::as_str)
    }

    /// The tags of a version, `vN` first in number order, then `latest`,
    /// then the user's tags sorted.
    pub fn tags_of(&self, version: &str) -> Vec<String> {
        let mut tags: Vec<String> = self
            .versions
            .get(version)
            .map(|t| {
                t.iter()
                    .filter(|(_, on)| **on)
                    .map(|(k, _)| k.clone())
                    .collect()
            })
            .unwrap_or_default();
        tags.sort_by_key(|t| tag_sort_key(t));
        tags
    }

    /// Points each tag at `version`, moving it away from any other version
    /// (swcli's `StandaloneTag.add`). Tags are not validated here.
    pub fn add(&mut self, version: &str, tags: &[String]) {
        for tag in tags {
            let tag = tag.trim();
            if tag.is_empty() {
                continue;
            }
            if let Some(previous) = self.tags.get(tag).cloned()
                && previous != version
            {
                self.drop_from_version(&previous, tag);
            }
            self.tags.insert(tag.to_owned(), version.to_owned());
            self.versions
                .entry(version.to_owned())
                .or_default()
                .insert(tag.to_owned(), true);
        }
    }

    /// Hands out the next `vN` and `latest` to `version` (swcli's
    /// `add_fast_tag`); returns the `vN` tag.
    pub fn add_fast_tag(&mut self, version: &str) -> String {
        let mut seq = self.fast_tag_seq + 1;
        while self.tags.contains_key(&format!("v{seq}")) {
            seq += 1;
        }
        self.fast_tag_seq = seq;
        let tag = format!("v{seq}");
        self.add(version, &[tag.clone(), LATEST_TAG.to_owned()]);
        tag
    }

    /// Removes a tag; returns the version it pointed at.
    pub fn remove_tag(&mut self, tag: &str) -> Option<String> {
        let version = self.tags.remove(tag)?;
        self.drop_from_version(&version, tag);
        Some(version)
    }

    /// Forgets a version and every tag on it; returns those tags.
    pub fn remove_version(&mut self, version: &str) -> Vec<String> {
        let tags = self.tags_of(version);
        for tag in &tags {
            if self.tags.get(tag).is_some_and(|v| v == version) {
                self.tags.remove(tag);
            }
        }
        self.versions.remove(version);
        // Tags pointing at the version without a `versions` entry (a file
        // edited by hand) go too.
        self.tags.retain(|_, v| v != version);
        tags
    }

    fn drop_from_version(&mut self, version: &str, tag: &str) {
        if let Some(tags) = self.versions.get_mut(version) {
            tags.remove(tag);
            if tags.is_empty() {
                self.versions.remove(version);
            }
        }
    }
}

/// Order for showing tags: `v0 v1 … latest`, then user tags by name.
pub fn tag_sort_key(tag: &str) -> (u8, u64, String) {
    if is_auto_tag(tag) {
        (0, tag[1..].parse().unwrap_or(u64::MAX), String::new())
    } else if tag == LATEST_TAG {
        (1, 0, String::new())
    } else {
        (2, 0, tag.to_owned())
    }
}

/// A scalar as PyYAML would emit it: plain when that reads back as the same
/// string, single-quoted otherwise.
fn scalar(s: &str) -> String {
    if plain_ok(s) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

fn plain_ok(s: &str) -> bool {
    if s.is_empty() || s.trim() != s {
        return false;
    }
    // Words YAML 1.1 (PyYAML) resolves to booleans or null.
    const RESERVED: &[&str] = &[
        "yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
        "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL", "~",
    ];
    if RESERVED.contains(&s) {
        return false;
    }
    let first = s.as_bytes()[0];
    if !(first.is_ascii_alphanumeric() || first == b'_' || first == b'/') {
        return false;
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | ':' | ' ' | '+' | '/'))
    {
        return false;
    }
    if s.contains(": ") || s.ends_with(':') || s.contains(" #") {
        return false;
    }
    // Anything that starts like a number could resolve to int/float/timestamp.
    if first.is_ascii_digit() && looks_numeric(s) {
        return false;
    }
    true
}

fn looks_numeric(s: &str) -> bool {
    // Conservative: digits with separators PyYAML's int/float/sexagesimal/
    // timestamp resolvers accept.
    s.chars().all(|c| {
        c.is_ascii_digit()
            || matches!(
                c,
                '_' | '.' | ':' | '-' | ' ' | 'e' | 'E' | '+' | 'T' | 't' | 'Z' | 'x' | 'o' | 'b'
            )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_tags_skip_taken_numbers() {
        let mut idx = TagIndex::new("demo");
        assert_eq!(idx.add_fast_tag("aaaa"), "v0");
        idx.add("aaaa", &["v1".to_owned()]);
        assert_eq!(idx.add_fast_tag("bbbb"), "v2");
        assert_eq!(idx.version_of("latest"), Some("bbbb"));
        assert_eq!(idx.tags_of("aaaa"), vec!["v0", "v1"]);
    }

    #[test]
    fn moving_a_tag_drops_empty_versions() {
        let mut idx = TagIndex::new("demo");
        idx.add("aaaa", &["t".to_owned()]);
        idx.add("bbbb", &["t".to_owned()]);
        assert!(!idx.versions.contains_key("aaaa"));
        assert_eq!(idx.version_of("t"), Some("bbbb"));
    }

    #[test]
    fn render_quotes_only_what_pyyaml_quotes() {
        assert_eq!(scalar("latest"), "latest");
        assert_eq!(scalar("yes"), "'yes'");
        assert_eq!(scalar("2024-01-01 10:00:00 UTC"), "2024-01-01 10:00:00 UTC");
        assert_eq!(scalar("2024-01-01 10:00:00"), "'2024-01-01 10:00:00'");
        assert_eq!(
            scalar("tbjvosx6bdbklqmhujq45vrqnnysqbw3sb367cli"),
            "tbjvosx6bdbklqmhujq45vrqnnysqbw3sb367cli"
        );
        assert_eq!(scalar("234567"), "'234567'");
    }

    #[test]
    fn names() {
        assert!(is_valid_name("gpu-1.0_x"));
        assert!(!is_valid_name("1abc"));
        assert!(!is_valid_name(""));
        assert!(is_builtin_tag("v12"));
        assert!(!is_builtin_tag("v1a"));
        assert!(check_user_tag("latest").is_err());
    }
}
