//! Build logs in memory: a bounded ring of lines per build (the whole log
//! stays on disk), with carriage-return progress lines collapsed to what a
//! terminal would show. Plain data; parsing colours is the view's job.

use std::collections::VecDeque;

/// Lines kept per build; older ones drop off the front.
pub const RING_CAPACITY: usize = 5_000;

/// The last lines of one log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRing {
    lines: VecDeque<String>,
    capacity: usize,
    /// Lines dropped off the front so far.
    dropped: usize,
}

impl Default for LogRing {
    fn default() -> LogRing {
        LogRing::with_capacity(RING_CAPACITY)
    }
}

impl LogRing {
    pub fn with_capacity(capacity: usize) -> LogRing {
        LogRing {
            lines: VecDeque::new(),
            capacity: capacity.max(1),
            dropped: 0,
        }
    }

    pub fn from_lines<I: IntoIterator<Item = String>>(lines: I) -> LogRing {
        let mut ring = LogRing::default();
        for line in lines {
            ring.push(&line);
        }
        ring
    }

    /// Appends one line. A line redrawn with `\r` (a progress bar) keeps only
    /// its last state.
    pub fn push(&mut self, line: &str) {
        let line = collapse_cr(line);
        if self.lines.len() == self.capacity {
            self.lines.pop_front();
            self.dropped += 1;
        }
        self.lines.push_back(line.to_owned());
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    pub fn dropped(&self) -> usize {
        self.dropped
    }

    pub fn get(&self, index: usize) -> Option<&str> {
        self.lines.get(index).map(String::as_str)
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &str> + ExactSizeIterator {
        self.lines.iter().map(String::as_str)
    }

    /// The next line at or after `from` (wrapping) whose text, without
    /// colours, contains `needle` ignoring case.
    pub fn find(&self, needle: &str, from: usize, forward: bool) -> Option<usize> {
        if needle.is_empty() || self.lines.is_empty() {
            return None;
        }
        let needle = needle.to_lowercase();
        let n = self.lines.len();
        (0..n)
            .map(|i| {
                if forward {
                    (from + i) % n
                } else {
                    (from + n - i % n) % n
                }
            })
            .find(|&i| strip_ansi(&self.lines[i]).to_lowercase().contains(&needle))
    }
}

/// What a terminal shows of a line that redraws itself with `\r`.
pub fn collapse_cr(line: &str) -> &str {
    let line = line.trim_end_matches(['\r', '\n']);
    match line.rfind('\r') {
        Some(i) => &line[i + 1..],
        None => line,
    }
}

/// The text of a line without its ANSI escape sequences.
pub fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            if chars.peek() == Some(&'[') {
                chars.next();
                // CSI: parameters and intermediates up to a final byte @..~.
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            } else {
                chars.next();
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_is_bounded_and_collapses_progress_lines() {
        let mut ring = LogRing::with_capacity(3);
        for i in 0..5 {
            ring.push(&format!("line {i}"));
        }
        assert_eq!(
            ring.iter().collect::<Vec<_>>(),
            ["line 2", "line 3", "line 4"]
        );
        assert_eq!(ring.dropped(), 2);
        ring.push("downloading 10%\rdownloading 50%\rdownloading 100%\r\n");
        assert_eq!(ring.get(2), Some("downloading 100%"));
    }

    #[test]
    fn find_wraps_and_ignores_colours() {
        let ring = LogRing::from_lines(
            ["a", "\x1b[31mERROR\x1b[0m one", "b", "error two"]
                .iter()
                .map(|s| s.to_string()),
        );
        assert_eq!(ring.find("error", 0, true), Some(1));
        assert_eq!(ring.find("error", 2, true), Some(3));
        assert_eq!(ring.find("error", 0, false), Some(3));
        assert_eq!(ring.find("error", 2, false), Some(1));
        assert_eq!(ring.find("nothing", 0, true), None);
        assert_eq!(strip_ansi("\x1b[1;32mok\x1b[0m"), "ok");
    }
}
