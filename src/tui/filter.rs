//! The `/` filter: fuzzy matching (skim's algorithm, from `fuzzy-matcher`)
//! of each whitespace-separated term against a row's name, version, tags and
//! Python version, remembering which characters matched so views can
//! highlight them. Pure functions, no state.

use std::sync::LazyLock;

use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;

use super::state::RuntimeRow;

static MATCHER: LazyLock<SkimMatcherV2> = LazyLock::new(|| SkimMatcherV2::default().smart_case());

/// Character indexes that matched, per column.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Highlights {
    pub name: Vec<usize>,
    pub version: Vec<usize>,
    /// Indexes into the tags joined with `,`.
    pub tags: Vec<usize>,
    pub python: Vec<usize>,
}

/// A filter query split into terms, prepared once per keystroke.
#[derive(Debug, Clone, Default)]
pub struct Query {
    terms: Vec<Term>,
}

#[derive(Debug, Clone)]
struct Term {
    /// Lowercased unless the term has capitals (smart case, as skim).
    bytes: Vec<u8>,
    case_sensitive: bool,
    /// Lowercased, for the version prefix test.
    lower: Vec<u8>,
}

impl Query {
    pub fn parse(query: &str) -> Query {
        let terms = query
            .split_whitespace()
            .map(|t| {
                let case_sensitive = t.chars().any(char::is_uppercase);
                let lower = t.to_ascii_lowercase().into_bytes();
                let bytes = if case_sensitive {
                    t.as_bytes().to_vec()
                } else {
                    lower.clone()
                };
                Term {
                    bytes,
                    case_sensitive,
                    lower,
                }
            })
            .collect();
        Query { terms }
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether every term matches some column of `row`: the cheap test the
    /// list is filtered with. Skim's algorithm matches exactly when the term
    /// is a subsequence of the text (ignoring case unless the term has
    /// capitals), so no scoring is needed to decide; highlights are worked
    /// out later for the rows on screen only (`matches_row`). Plain byte
    /// loops: this runs for every row on every keystroke.
    pub fn matches(&self, row: &RuntimeRow) -> bool {
        self.terms.iter().all(|t| {
            row.version.as_bytes().starts_with(&t.lower)
                || subsequence(row.name.as_bytes(), t)
                || subsequence(row.python.as_bytes(), t)
                || tags_match(&row.tags, t)
        })
    }
}

/// The tags joined with `,`, matched without joining them.
fn tags_match(tags: &[String], term: &Term) -> bool {
    let mut at = 0;
    for (i, tag) in tags.iter().enumerate() {
        if i > 0 && step(b',', term, &mut at) {
            return true;
        }
        if tag.as_bytes().iter().any(|&b| step(b, term, &mut at)) {
            return true;
        }
    }
    term.bytes.is_empty()
}

fn subsequence(text: &[u8], term: &Term) -> bool {
    let mut at = 0;
    term.bytes.is_empty() || text.iter().any(|&b| step(b, term, &mut at))
}

/// Feeds one byte of text to a subsequence match that has found `at`
/// bytes of the term so far; true once the whole term is found.
fn step(b: u8, term: &Term, at: &mut usize) -> bool {
    let b = if term.case_sensitive {
        b
    } else {
        b.to_ascii_lowercase()
    };
    if term.bytes.get(*at) == Some(&b) {
        *at += 1;
    }
    *at == term.bytes.len()
}

/// `Query::parse(query).matches(row)`.
pub fn is_match(row: &RuntimeRow, query: &str) -> bool {
    Query::parse(query).matches(row)
}

/// Which characters of each column matched, for highlighting; `None` when
/// some term does not match.
pub fn matches_row(row: &RuntimeRow, query: &str) -> Option<Highlights> {
    let tags = row.tags.join(",");
    let mut h = Highlights::default();
    for term in query.split_whitespace() {
        // Versions are random base32: only a prefix of one means anything.
        if row.version.starts_with(&term.to_ascii_lowercase()) {
            h.version = (0..term.len()).collect();
            continue;
        }
        let fields: [(&str, &mut Vec<usize>); 3] = [
            (&row.name, &mut h.name),
            (&tags, &mut h.tags),
            (&row.python, &mut h.python),
        ];
        let mut best: Option<(i64, Vec<usize>, usize)> = None;
        for (i, (text, _)) in fields.iter().enumerate() {
            if !could_match(text, term) {
                continue;
            }
            if let Some((score, idx)) = MATCHER.fuzzy_indices(text, term)
                && best.as_ref().is_none_or(|(s, _, _)| score > *s)
            {
                best = Some((score, idx, i));
            }
        }
        let (_, idx, field) = best?;
        let target = fields.into_iter().nth(field).map(|(_, v)| v)?;
        target.extend(idx);
        target.sort_unstable();
        target.dedup();
    }
    Some(h)
}

/// A cheap necessary condition: the term's characters appear in order,
/// ignoring case. Most rows fail it, which keeps a keystroke over ten
/// thousand rows well inside one frame.
fn could_match(text: &str, term: &str) -> bool {
    let mut chars = text.chars().map(|c| c.to_ascii_lowercase());
    term.chars()
        .map(|c| c.to_ascii_lowercase())
        .all(|want| chars.any(|c| c == want))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, tags: &[&str], python: &str) -> RuntimeRow {
        RuntimeRow {
            name: name.into(),
            version: "abcdefghijklmnop".into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            mode: "venv".into(),
            python: python.into(),
            size: 0,
            created: None,
            removed: false,
            stale: false,
            fingerprint: None,
            bundle: "b".into(),
            source: None,
        }
    }

    #[test]
    fn matches_names_tags_and_python_with_highlights() {
        let r = row("pytorch", &["gpu", "v2"], "3.11");
        let h = matches_row(&r, "ptch").unwrap_or_default();
        assert_eq!(h.name, vec![0, 2, 5, 6]);
        let h = matches_row(&r, "gpu").unwrap_or_default();
        assert_eq!(h.tags, vec![0, 1, 2]);
        let h = matches_row(&r, "torch 3.11").unwrap_or_default();
        assert_eq!(h.python, vec![0, 1, 2, 3]);
        assert!(!h.name.is_empty());
        assert!(matches_row(&r, "zzz").is_none());
        assert!(matches_row(&r, "torch zzz").is_none());
        let h = matches_row(&r, "abcd").unwrap_or_default();
        assert_eq!(h.version, vec![0, 1, 2, 3]);
        assert!(matches_row(&r, "bcd").is_none());
        for q in ["ptch", "gpu", "torch 3.11", "abcd", "v2,g", "PY"] {
            assert_eq!(is_match(&r, q), matches_row(&r, q).is_some(), "{q}");
        }
        assert!(!is_match(&r, "zzz") && !is_match(&r, "bcd") && !is_match(&r, "Torch"));
    }
}
