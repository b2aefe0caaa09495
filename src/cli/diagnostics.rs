//! How spec diagnostics look on a terminal: `error: <file>:<line>:<col>:
//! <key path>: <message>`, then, when asked for, the source line with a caret
//! under the column (as rustc does), then `hint:` lines. Shared by every
//! command that loads a runtime.yaml (`spec`, `build`, `lock`, `watch`).

use std::io::{self, Write};

use crate::spec::{Diagnostic, Severity, SpecError};

/// How to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RenderOptions {
    /// ANSI colours.
    pub color: bool,
    /// Show the source line with a caret under the column.
    pub snippets: bool,
}

fn paint(opts: RenderOptions, code: &str, text: &str) -> String {
    if opts.color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

/// The width of the token that starts at `column` (1-based) of `line`, so
/// the caret underlines the whole value or key.
fn token_width(line: &[char], column: usize) -> usize {
    let start = column.saturating_sub(1);
    let mut width = 0;
    let mut quote = None;
    for (i, c) in line.iter().enumerate().skip(start) {
        match quote {
            Some(q) => {
                width += 1;
                if *c == q && i > start {
                    break;
                }
            }
            None if i == start && (*c == '"' || *c == '\'') => {
                quote = Some(*c);
                width += 1;
            }
            None => {
                if c.is_whitespace() || matches!(c, ',' | ']' | '}' | '#') {
                    break;
                }
                if *c == ':' && line.get(i + 1).is_none_or(|n| n.is_whitespace()) {
                    break;
                }
                width += 1;
            }
        }
    }
    width.max(1)
}

/// One diagnostic as text (ending with a newline).
pub fn render_one(diagnostic: &Diagnostic, source_text: &str, opts: RenderOptions) -> String {
    let (label, code) = match diagnostic.severity {
        Severity::Error => ("error", "1;31"),
        Severity::Warning => ("warning", "1;33"),
    };
    let mut out = format!("{}: {diagnostic}\n", paint(opts, code, label));
    if opts.snippets && diagnostic.line > 0 {
        if let Some(line) = source_text.lines().nth(diagnostic.line - 1) {
            let chars: Vec<char> = line
                .chars()
                .map(|c| if c == '\t' { ' ' } else { c })
                .collect();
            let number = diagnostic.line.to_string();
            let gutter = " ".repeat(number.len());
            let bar = paint(opts, "1;34", "|");
            let text: String = chars.iter().collect();
            let column = diagnostic.column.max(1);
            let pad = " ".repeat(column - 1);
            let carets = "^".repeat(token_width(&chars, column));
            out.push_str(&format!("{gutter} {bar}\n"));
            out.push_str(&format!("{} {bar} {text}\n", paint(opts, "1;34", &number)));
            out.push_str(&format!(
                "{gutter} {bar} {pad}{}\n",
                paint(opts, code, &carets)
            ));
        }
    }
    if let Some(hint) = &diagnostic.hint {
        let mut lines = hint.lines();
        if let Some(first) = lines.next() {
            out.push_str(&format!("{}: {first}\n", paint(opts, "1;36", "hint")));
        }
        for more in lines {
            out.push_str(&format!("      {more}\n"));
        }
    }
    out
}

/// Every diagnostic, in order.
pub fn render(diagnostics: &[Diagnostic], source_text: &str, opts: RenderOptions) -> String {
    diagnostics
        .iter()
        .map(|d| render_one(d, source_text, opts))
        .collect()
}

/// Writes warnings to stderr (unless `quiet`).
pub fn print_warnings(
    warnings: &[Diagnostic],
    source_text: &str,
    opts: RenderOptions,
    quiet: bool,
) {
    if quiet || warnings.is_empty() {
        return;
    }
    let _ = io::stderr().write_all(render(warnings, source_text, opts).as_bytes());
}

/// Writes every diagnostic of a failed load to stderr; the caller then
/// returns the error, which prints the one-line summary and exits 1.
pub fn print_spec_error(err: &SpecError, opts: RenderOptions, quiet: bool) {
    let shown: Vec<Diagnostic> = err
        .diagnostics
        .iter()
        .filter(|d| !quiet || d.severity == Severity::Error)
        .cloned()
        .collect();
    let _ = io::stderr().write_all(render(&shown, &err.source_text, opts).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn diag(line: usize, column: usize) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            file: PathBuf::from("runtime.yaml"),
            line,
            column,
            key_path: "environment.python".into(),
            message: "bad".into(),
            hint: Some("quote it\nor else".into()),
        }
    }

    #[test]
    fn snippet_puts_carets_under_the_token() {
        let source = "name: x\nenvironment:\n  python: 3.10\n";
        let text = render_one(
            &diag(3, 11),
            source,
            RenderOptions {
                color: false,
                snippets: true,
            },
        );
        assert_eq!(
            text,
            "error: runtime.yaml:3:11: environment.python: bad\n  |\n3 |   python: 3.10\n  |           ^^^^\nhint: quote it\n      or else\n"
        );
    }

    #[test]
    fn without_snippets_only_message_and_hint() {
        let text = render_one(&diag(3, 11), "", RenderOptions::default());
        assert_eq!(
            text,
            "error: runtime.yaml:3:11: environment.python: bad\nhint: quote it\n      or else\n"
        );
    }

    #[test]
    fn token_width_stops_at_key_colon_and_spans_quotes() {
        let line: Vec<char> = "  confi: {a: 'x y'}".chars().collect();
        assert_eq!(token_width(&line, 3), 5);
        assert_eq!(token_width(&line, 14), 5);
    }
}
