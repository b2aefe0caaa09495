//! The only place that reads runtime.yaml as YAML: `saphyr-parser` events
//! become a small tree of mappings, sequences and scalars, each with the line
//! and column it starts at. Plain scalars are typed the way PyYAML's safe
//! loader (YAML 1.1) types them, because that is what `swcli` sees: `3.10` is
//! the float 3.1, `yes` is `True`, `011` is the octal 9.
//!
//! This module knows nothing about runtime.yaml's fields and never prints;
//! syntax problems come back as `Diagnostic`s.

use std::collections::HashMap;
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;
use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span};

use super::diagnostics::{Diagnostic, Severity};

/// A 1-based place in the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

impl Pos {
    fn of(span: &Span) -> Pos {
        // saphyr's lines are 1-based, its columns 0-based.
        Pos {
            line: span.start.line(),
            column: span.start.col() + 1,
        }
    }
}

/// How a scalar was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    /// `'...'` or `"..."`.
    Quoted,
    /// `|` or `>` blocks.
    Block,
}

/// The Python value PyYAML's safe loader builds for a scalar.
#[derive(Debug, Clone, PartialEq)]
pub enum PyValue {
    Null,
    Bool(bool),
    /// Decimal digits, as Python's `str(int)` prints them.
    Int(String),
    Float(f64),
    Str(String),
    /// A YAML 1.1 timestamp (a `date` or `datetime` in Python); the text.
    Timestamp(String),
}

impl PyValue {
    /// What Python's `str()` gives for this value: how `swcli` turns
    /// `python: 3.10` into `"3.1"`.
    pub fn py_str(&self) -> String {
        match self {
            PyValue::Null => "None".to_owned(),
            PyValue::Bool(true) => "True".to_owned(),
            PyValue::Bool(false) => "False".to_owned(),
            PyValue::Int(s) | PyValue::Str(s) | PyValue::Timestamp(s) => s.clone(),
            PyValue::Float(f) => py_float_str(*f),
        }
    }

    /// The kind of value, in words, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            PyValue::Null => "nothing (null)",
            PyValue::Bool(_) => "a boolean",
            PyValue::Int(_) => "an integer",
            PyValue::Float(_) => "a number",
            PyValue::Str(_) => "a string",
            PyValue::Timestamp(_) => "a date",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    /// The text as written (after YAML unescaping).
    pub text: String,
    pub style: Style,
    pub value: PyValue,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: Node,
    pub value: Node,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Scalar(Scalar),
    Sequence(Vec<Node>),
    /// Keys are unique (PyYAML keeps the last value of a repeated key at
    /// the place of the first); order is the file's order.
    Mapping(Vec<Entry>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub pos: Pos,
    pub kind: NodeKind,
}

impl Node {
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.kind {
            NodeKind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The string a string-typed scalar holds.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar(Scalar {
                value: PyValue::Str(s),
                ..
            }) => Some(s),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(
            &self.kind,
            NodeKind::Scalar(Scalar {
                value: PyValue::Null,
                ..
            })
        )
    }

    /// The kind of node, in words, for messages.
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            NodeKind::Scalar(s) => s.value.type_name(),
            NodeKind::Sequence(_) => "a list",
            NodeKind::Mapping(_) => "a mapping",
        }
    }

    /// The node converted to JSON data with PyYAML's types (for `condarc`).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            NodeKind::Scalar(s) => match &s.value {
                PyValue::Null => Value::Null,
                PyValue::Bool(b) => Value::Bool(*b),
                PyValue::Int(i) => i
                    .parse::<i64>()
                    .map(Value::from)
                    .unwrap_or_else(|_| Value::String(i.clone())),
                PyValue::Float(f) => serde_json::Number::from_f64(*f)
                    .map(Value::Number)
                    .unwrap_or_else(|| Value::String(py_float_str(*f))),
                PyValue::Str(t) | PyValue::Timestamp(t) => Value::String(t.clone()),
            },
            NodeKind::Sequence(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeKind::Mapping(entries) => Value::Object(
                entries
                    .iter()
                    .map(|e| (key_text(&e.key), e.value.to_json()))
                    .collect(),
            ),
        }
    }
}

/// The text of a mapping key, as Python would print it.
pub fn key_text(key: &Node) -> String {
    match &key.kind {
        NodeKind::Scalar(s) => s.value.py_str(),
        NodeKind::Sequence(_) => "[...]".to_owned(),
        NodeKind::Mapping(_) => "{...}".to_owned(),
    }
}

/// Python's `repr(float)`: shortest round-trip digits, always a `.` or an
/// exponent, exponents written `e+16` / `e-05`.
pub fn py_float_str(f: f64) -> String {
    if f.is_nan() {
        return "nan".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-4..1e16).contains(&abs) {
        let s = format!("{f:e}");
        if let Some((mantissa, exp)) = s.split_once('e') {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            return format!("{mantissa}e{sign}{digits:0>2}");
        }
        return s;
    }
    let s = format!("{f}");
    if s.contains('.') { s } else { format!("{s}.0") }
}

static BOOL_RE: LazyLock<Regex> = LazyLock::new(|| {
    regex_or_never(
        r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$",
    )
});
static FLOAT_RE: LazyLock<Regex> = LazyLock::new(|| {
    regex_or_never(concat!(
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?",
        r"|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?",
        r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*",
        r"|[-+]?\.(?:inf|Inf|INF)",
        r"|\.(?:nan|NaN|NAN))$"
    ))
});
static INT_RE: LazyLock<Regex> = LazyLock::new(|| {
    regex_or_never(concat!(
        r"^(?:[-+]?0b[0-1_]+",
        r"|[-+]?0[0-7_]+",
        r"|[-+]?(?:0|[1-9][0-9_]*)",
        r"|[-+]?0x[0-9a-fA-F_]+",
        r"|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$"
    ))
});
static NULL_RE: LazyLock<Regex> = LazyLock::new(|| regex_or_never(r"^(?:~|null|Null|NULL|)$"));
static TIMESTAMP_RE: LazyLock<Regex> = LazyLock::new(|| {
    regex_or_never(concat!(
        r"^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]",
        r"|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?",
        r"(?:[Tt]|[ \t]+)[0-9][0-9]?",
        r":[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?",
        r"(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$"
    ))
});

/// The patterns above are constants and covered by tests; should one ever
/// fail to compile, a pattern that matches nothing keeps the loader total.
fn regex_or_never(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|_| {
        #[allow(clippy::unwrap_used)] // a fixed, valid pattern
        Regex::new(r"[^\s\S]").unwrap()
    })
}

/// Types a plain scalar as PyYAML's implicit resolvers do.
pub fn resolve_plain(text: &str) -> PyValue {
    if BOOL_RE.is_match(text) {
        return PyValue::Bool(
            matches!(text.as_bytes().first(), Some(b'y' | b'Y' | b't' | b'T'))
                || text.eq_ignore_ascii_case("on"),
        );
    }
    if FLOAT_RE.is_match(text) {
        return PyValue::Float(construct_float(text));
    }
    if INT_RE.is_match(text) {
        return PyValue::Int(construct_int(text));
    }
    if NULL_RE.is_match(text) {
        return PyValue::Null;
    }
    if TIMESTAMP_RE.is_match(text) {
        return PyValue::Timestamp(text.to_owned());
    }
    PyValue::Str(text.to_owned())
}

/// PyYAML's `construct_yaml_float`.
fn construct_float(text: &str) -> f64 {
    let lower = text.replace('_', "").to_ascii_lowercase();
    let (sign, body) = match lower.as_bytes().first() {
        Some(b'-') => (-1.0, &lower[1..]),
        Some(b'+') => (1.0, &lower[1..]),
        _ => (1.0, lower.as_str()),
    };
    if body == ".inf" {
        return sign * f64::INFINITY;
    }
    if body == ".nan" {
        return f64::NAN;
    }
    if body.contains(':') {
        let mut value = 0.0;
        let mut base = 1.0;
        for part in body.split(':').rev() {
            value += part.parse::<f64>().unwrap_or(0.0) * base;
            base *= 60.0;
        }
        return sign * value;
    }
    // Rust does not read "3." or ".5" differently from Python.
    let body = if body.ends_with('.') {
        format!("{body}0")
    } else {
        body.to_owned()
    };
    sign * body.parse::<f64>().unwrap_or(0.0)
}

/// PyYAML's `construct_yaml_int`, printed as Python prints the int.
fn construct_int(text: &str) -> String {
    let clean = text.replace('_', "");
    let (negative, body) = match clean.as_bytes().first() {
        Some(b'-') => (true, &clean[1..]),
        Some(b'+') => (false, &clean[1..]),
        _ => (false, clean.as_str()),
    };
    let parsed = if body == "0" {
        Some(0i128)
    } else if let Some(bin) = body.strip_prefix("0b") {
        i128::from_str_radix(bin, 2).ok()
    } else if let Some(hex) = body.strip_prefix("0x") {
        i128::from_str_radix(hex, 16).ok()
    } else if body.starts_with('0') {
        i128::from_str_radix(body, 8).ok()
    } else if body.contains(':') {
        let mut value: i128 = 0;
        let mut base: i128 = 1;
        let mut ok = true;
        for part in body.split(':').rev() {
            match part.parse::<i128>() {
                Ok(p) => {
                    value = value.saturating_add(p.saturating_mul(base));
                    base = base.saturating_mul(60);
                }
                Err(_) => ok = false,
            }
        }
        ok.then_some(value)
    } else {
        body.parse::<i128>().ok()
    };
    match parsed {
        Some(v) if negative => format!("-{v}"),
        Some(v) => v.to_string(),
        // Larger than i128: Python has big ints; the digits are close enough
        // for messages.
        None => clean,
    }
}

/// The outcome of parsing: the document's root (absent for an empty file
/// or a fatal syntax error) and every problem met.
#[derive(Debug, Default)]
pub struct Parsed {
    pub root: Option<Node>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Deeper nesting than this is refused: it cannot be a runtime.yaml, and
/// trees this deep would strain the stack.
const MAX_DEPTH: usize = 64;
/// More values than this (aliases counted at full size) are refused: an
/// alias bomb must not exhaust memory.
const MAX_NODES: usize = 100_000;

/// (number of nodes, depth) of a tree.
fn measure(node: &Node) -> (usize, usize) {
    match &node.kind {
        NodeKind::Scalar(_) => (1, 0),
        NodeKind::Sequence(items) => items.iter().fold((1, 1), |(n, d), item| {
            let (size, depth) = measure(item);
            (n + size, d.max(depth + 1))
        }),
        NodeKind::Mapping(entries) => entries.iter().fold((1, 1), |(n, d), e| {
            let (size, depth) = measure(&e.value);
            (n + size + 1, d.max(depth + 1))
        }),
    }
}

enum Frame {
    Seq {
        pos: Pos,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        pos: Pos,
        anchor: usize,
        entries: Vec<Entry>,
        pending_key: Option<Node>,
    },
}

struct Builder<'a> {
    file: &'a Path,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    /// Nodes built so far, aliases counted at their full size.
    nodes: usize,
    /// Set when a limit was hit: the parse stops.
    abort: bool,
    documents: usize,
    root: Option<Node>,
    diagnostics: Vec<Diagnostic>,
}

impl Builder<'_> {
    fn problem(&mut self, severity: Severity, pos: Pos, message: String, hint: Option<String>) {
        self.diagnostics.push(Diagnostic {
            severity,
            file: self.file.to_path_buf(),
            line: pos.line,
            column: pos.column,
            key_path: String::new(),
            message,
            hint,
        });
    }

    fn scalar(&mut self, text: &str, style: ScalarStyle, tag: Option<String>, pos: Pos) -> Node {
        let style = match style {
            ScalarStyle::Plain => Style::Plain,
            ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => Style::Quoted,
            ScalarStyle::Literal | ScalarStyle::Folded => Style::Block,
        };
        let value = match tag.as_deref() {
            None if style == Style::Plain => resolve_plain(text),
            None | Some("!") => PyValue::Str(text.to_owned()),
            Some("tag:yaml.org,2002:str") => PyValue::Str(text.to_owned()),
            Some("tag:yaml.org,2002:null") => PyValue::Null,
            Some(
                core @ ("tag:yaml.org,2002:bool"
                | "tag:yaml.org,2002:int"
                | "tag:yaml.org,2002:float"
                | "tag:yaml.org,2002:timestamp"),
            ) => {
                let typed = resolve_plain(text);
                let wanted = &core["tag:yaml.org,2002:".len()..];
                let fits = matches!(
                    (&typed, wanted),
                    (PyValue::Bool(_), "bool")
                        | (PyValue::Int(_), "int")
                        | (PyValue::Float(_), "float")
                        | (PyValue::Int(_), "float")
                        | (PyValue::Timestamp(_), "timestamp")
                );
                if fits {
                    match (typed, wanted) {
                        (PyValue::Int(i), "float") => {
                            PyValue::Float(i.parse::<f64>().unwrap_or(0.0))
                        }
                        (typed, _) => typed,
                    }
                } else {
                    self.problem(
                        Severity::Error,
                        pos,
                        format!("`{text}` is not a valid !!{wanted}"),
                        Some("remove the tag or fix the value".to_owned()),
                    );
                    PyValue::Str(text.to_owned())
                }
            }
            Some(other) => {
                self.problem(
                    Severity::Error,
                    pos,
                    format!("unknown tag `{other}`: a safe YAML loader cannot build this value"),
                    Some("remove the tag; runtime.yaml holds plain data only".to_owned()),
                );
                PyValue::Str(text.to_owned())
            }
        };
        Node {
            pos,
            kind: NodeKind::Scalar(Scalar {
                text: text.to_owned(),
                style,
                value,
            }),
        }
    }

    fn limit(&mut self, pos: Pos, what: &str) {
        self.problem(
            Severity::Error,
            pos,
            format!("{what} (more than {MAX_DEPTH} levels or {MAX_NODES} values)"),
            Some("a runtime.yaml is a small file: simplify this part".to_owned()),
        );
        self.abort = true;
    }

    /// Hands a finished node to its parent (or makes it the root).
    fn push_node(&mut self, node: Node, anchor: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                pending_key,
                ..
            }) => match pending_key.take() {
                None => *pending_key = Some(node),
                Some(key) => {
                    let key_pos = key.pos;
                    if !matches!(key.kind, NodeKind::Scalar(_)) {
                        self.problem(
                            Severity::Error,
                            key_pos,
                            format!(
                                "a mapping key must be a plain value, found {}",
                                key.type_name()
                            ),
                            Some("write keys as simple words, like `name:`".to_owned()),
                        );
                        return;
                    }
                    let is_merge = matches!(&key.kind, NodeKind::Scalar(s) if s.style == Style::Plain && s.text == "<<");
                    if is_merge {
                        merge_into(entries, node);
                        return;
                    }
                    let text = key_text(&key);
                    if let Some(existing) = entries.iter_mut().find(|e| key_text(&e.key) == text) {
                        let first = existing.key.pos;
                        existing.value = node;
                        self.problem(
                            Severity::Warning,
                            key_pos,
                            format!(
                                "duplicate key `{text}` (first at line {}): this later value wins",
                                first.line
                            ),
                            Some("remove one of the two".to_owned()),
                        );
                    } else {
                        entries.push(Entry { key, value: node });
                    }
                }
            },
        }
    }

    fn on_event(&mut self, event: Event<'_>, span: Span) {
        let pos = Pos::of(&span);
        match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing | Event::DocumentEnd => {}
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents == 2 {
                    self.problem(
                        Severity::Error,
                        pos,
                        "runtime.yaml must hold one YAML document, found a second one".to_owned(),
                        Some(
                            "remove the `---` line and what follows it, or merge the documents"
                                .to_owned(),
                        ),
                    );
                }
            }
            Event::Alias(id) => {
                if let Some(target) = self.anchors.get(&id) {
                    let (size, depth) = measure(target);
                    if self.nodes + size > MAX_NODES || self.stack.len() + depth > MAX_DEPTH {
                        self.limit(
                            pos,
                            "aliases expand to more data than a runtime.yaml can hold",
                        );
                        return;
                    }
                    self.nodes += size;
                }
                let node = self.anchors.get(&id).cloned().map(|mut n| {
                    n.pos = pos;
                    n
                });
                match node {
                    Some(node) => self.push_node(node, 0),
                    None => {
                        self.problem(
                            Severity::Error,
                            pos,
                            "alias to an unknown anchor".to_owned(),
                            Some(
                                "define the anchor (`&name`) before the alias (`*name`) uses it"
                                    .to_owned(),
                            ),
                        );
                        let null = self.scalar("", ScalarStyle::Plain, None, pos);
                        self.push_node(null, 0);
                    }
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.nodes += 1;
                let tag = tag.map(|t| format!("{}{}", t.handle, t.suffix));
                let node = self.scalar(&text, style, tag, pos);
                self.push_node(node, anchor);
            }
            Event::SequenceStart(..) | Event::MappingStart(..) if self.stack.len() >= MAX_DEPTH => {
                self.limit(pos, "values are nested too deeply");
            }
            Event::SequenceStart(anchor, _) => self.stack.push(Frame::Seq {
                pos,
                anchor,
                items: Vec::new(),
            }),
            Event::MappingStart(anchor, _) => self.stack.push(Frame::Map {
                pos,
                anchor,
                entries: Vec::new(),
                pending_key: None,
            }),
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Seq { pos, anchor, items }) => {
                    self.push_node(
                        Node {
                            pos,
                            kind: NodeKind::Sequence(items),
                        },
                        anchor,
                    );
                }
                Some(Frame::Map {
                    pos,
                    anchor,
                    entries,
                    ..
                }) => {
                    self.push_node(
                        Node {
                            pos,
                            kind: NodeKind::Mapping(entries),
                        },
                        anchor,
                    );
                }
                None => {}
            },
        }
    }
}

/// `<<: *base` (or a list of them): keys not already present are added, as
/// PyYAML's `flatten_mapping` does.
fn merge_into(entries: &mut Vec<Entry>, value: Node) {
    let sources: Vec<Node> = match value.kind {
        NodeKind::Mapping(_) => vec![value],
        NodeKind::Sequence(items) => items,
        NodeKind::Scalar(_) => Vec::new(),
    };
    for source in sources {
        if let NodeKind::Mapping(merged) = source.kind {
            for entry in merged {
                let text = key_text(&entry.key);
                if !entries.iter().any(|e| key_text(&e.key) == text) {
                    entries.push(entry);
                }
            }
        }
    }
}

fn scan_error(file: &Path, err: &ScanError) -> Diagnostic {
    let marker = err.marker();
    let info = err.info();
    let hint = if info.contains("tab") {
        Some("indent with spaces: YAML does not allow tabs for indentation".to_owned())
    } else if info.contains("mapping values are not allowed") {
        Some(
            "a value that contains `: ` must be quoted, or the line above is missing a `:`"
                .to_owned(),
        )
    } else if info.contains("did not find expected key") || info.contains("block mapping") {
        Some("check the indentation of this line against the lines above it".to_owned())
    } else if info.contains("expected '-'") || info.contains("block sequence") {
        Some("list items of the same list must start at the same column".to_owned())
    } else {
        Some(
            "check the YAML around this place: indentation, quotes, and a space after each `:`"
                .to_owned(),
        )
    };
    Diagnostic {
        severity: Severity::Error,
        file: file.to_path_buf(),
        line: marker.line().max(1),
        column: marker.col() + 1,
        key_path: String::new(),
        message: format!("invalid YAML: {info}"),
        hint,
    }
}

/// Parses `text` into a node tree. Never panics; syntax errors become
/// diagnostics and end the parse.
pub fn parse(file: &Path, text: &str) -> Parsed {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut builder = Builder {
        file,
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        abort: false,
        documents: 0,
        root: None,
        diagnostics: Vec::new(),
    };
    let mut parser = Parser::new_from_str(text);
    loop {
        match parser.next_event() {
            None => break,
            Some(Ok((Event::StreamEnd, _))) => break,
            Some(Ok((event, span))) => {
                builder.on_event(event, span);
                if builder.abort {
                    return Parsed {
                        root: None,
                        diagnostics: builder.diagnostics,
                    };
                }
            }
            Some(Err(err)) => {
                builder.diagnostics.push(scan_error(file, &err));
                return Parsed {
                    root: None,
                    diagnostics: builder.diagnostics,
                };
            }
        }
    }
    Parsed {
        root: builder.root,
        diagnostics: builder.diagnostics,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(text: &str) -> Node {
        let parsed = parse(Path::new("runtime.yaml"), text);
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        parsed.root.unwrap()
    }

    #[test]
    fn plain_scalars_are_typed_like_pyyaml() {
        assert_eq!(resolve_plain("3.10"), PyValue::Float(3.1));
        assert_eq!(resolve_plain("3.10").py_str(), "3.1");
        assert_eq!(resolve_plain("3.9").py_str(), "3.9");
        assert_eq!(resolve_plain("11.4").py_str(), "11.4");
        assert_eq!(resolve_plain("1.1").py_str(), "1.1");
        assert_eq!(resolve_plain("8").py_str(), "8");
        assert_eq!(resolve_plain("3.").py_str(), "3.0");
        assert_eq!(resolve_plain("1_000.5").py_str(), "1000.5");
        assert_eq!(resolve_plain("1e5"), PyValue::Str("1e5".into()));
        assert_eq!(resolve_plain("1.0e+16").py_str(), "1e+16");
        assert_eq!(resolve_plain("0.00001").py_str(), "1e-05");
        assert_eq!(resolve_plain("yes"), PyValue::Bool(true));
        assert_eq!(resolve_plain("Off"), PyValue::Bool(false));
        assert_eq!(resolve_plain("on"), PyValue::Bool(true));
        assert_eq!(resolve_plain("011").py_str(), "9");
        assert_eq!(resolve_plain("0x1f").py_str(), "31");
        assert_eq!(resolve_plain("1:30").py_str(), "90");
        assert_eq!(resolve_plain("-0b11").py_str(), "-3");
        assert_eq!(resolve_plain("~"), PyValue::Null);
        assert_eq!(resolve_plain(""), PyValue::Null);
        assert_eq!(resolve_plain(".inf").py_str(), "inf");
        assert!(matches!(resolve_plain("2024-01-02"), PyValue::Timestamp(_)));
        assert_eq!(
            resolve_plain("ubuntu:20.04"),
            PyValue::Str("ubuntu:20.04".into())
        );
        assert_eq!(resolve_plain("3.10.4"), PyValue::Str("3.10.4".into()));
    }

    #[test]
    fn positions_are_one_based() {
        let node = root("name: demo\nenvironment:\n  python: \"3.10\"\n");
        let NodeKind::Mapping(entries) = &node.kind else {
            panic!("not a mapping")
        };
        assert_eq!(entries[0].key.pos, Pos { line: 1, column: 1 });
        assert_eq!(entries[0].value.pos, Pos { line: 1, column: 7 });
        let NodeKind::Mapping(env) = &entries[1].value.kind else {
            panic!("not a mapping")
        };
        assert_eq!(
            env[0].value.pos,
            Pos {
                line: 3,
                column: 11
            }
        );
        assert_eq!(env[0].value.as_str(), Some("3.10"));
        let s = env[0].value.as_scalar().unwrap();
        assert_eq!(s.style, Style::Quoted);
    }

    #[test]
    fn quoted_and_tagged_scalars_stay_strings() {
        let node = root("a: '3.10'\nb: !!str 3.10\nc: 3.10\n");
        let NodeKind::Mapping(entries) = &node.kind else {
            panic!("not a mapping")
        };
        assert_eq!(entries[0].value.as_str(), Some("3.10"));
        assert_eq!(entries[1].value.as_str(), Some("3.10"));
        assert_eq!(
            entries[2].value.as_scalar().unwrap().value,
            PyValue::Float(3.1)
        );
    }

    #[test]
    fn duplicate_keys_warn_and_last_wins() {
        let parsed = parse(Path::new("r.yaml"), "name: a\nname: b\n");
        assert_eq!(parsed.diagnostics.len(), 1);
        assert_eq!(parsed.diagnostics[0].severity, Severity::Warning);
        assert_eq!(parsed.diagnostics[0].line, 2);
        let NodeKind::Mapping(entries) = parsed.root.unwrap().kind else {
            panic!("not a mapping")
        };
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].value.as_str(), Some("b"));
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let node = root("base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\nlist: [*b]\n");
        let json = node.to_json();
        assert_eq!(json["other"]["x"], 1);
        assert_eq!(json["other"]["y"], 2);
        assert_eq!(json["list"][0]["x"], 1);
    }

    #[test]
    fn syntax_errors_have_positions() {
        let parsed = parse(
            Path::new("r.yaml"),
            "name: demo\nenvironment:\n  python: 3.9\n bad: x\n",
        );
        assert!(parsed.root.is_none());
        let d = &parsed.diagnostics[0];
        assert_eq!(d.severity, Severity::Error);
        assert_eq!(d.line, 4);
        assert!(d.message.starts_with("invalid YAML"), "{}", d.message);
    }

    #[test]
    fn a_second_document_is_an_error() {
        let parsed = parse(Path::new("r.yaml"), "name: a\n---\nname: b\n");
        assert!(
            parsed
                .diagnostics
                .iter()
                .any(|d| d.severity == Severity::Error && d.line == 2)
        );
    }

    #[test]
    fn alias_bombs_and_deep_nesting_are_refused() {
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            bomb.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let parsed = parse(Path::new("r.yaml"), &bomb);
        assert!(parsed.root.is_none());
        assert!(parsed.diagnostics[0].message.contains("aliases expand"));

        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let parsed = parse(Path::new("r.yaml"), &deep);
        assert!(parsed.root.is_none());
        assert_eq!(parsed.diagnostics[0].severity, Severity::Error);

        let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
        let parsed = parse(Path::new("r.yaml"), &deep);
        assert!(parsed.root.is_none());
        let message = &parsed.diagnostics[0].message;
        assert!(message.contains("nested too deeply"), "{message}");
    }

    #[test]
    fn compact_sequences_under_a_key_parse() {
        let node = root("- conda:\n  - numpy\n  - requests\n");
        let json = node.to_json();
        assert_eq!(json[0]["conda"][1], "requests");
    }
}
