//! Quoting of every value that swrt prints for a shell to evaluate, in one
//! place per shell. Nothing else in the crate builds shell words by hand.
//!
//! bash and zsh get ANSI-C quoting (`$'…'`), which can carry any character,
//! newlines included. fish gets single quotes with its own escapes: inside
//! fish single quotes only `\\` and `\'` are special, so POSIX quoting must
//! never be reused for fish.

/// Characters that need no quoting in any of the three shells, anywhere in a
/// word (no globbing, expansion, word splitting or tilde at the start).
fn is_plain(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-./:,+=@".contains(&b))
}

/// Quotes `s` as one bash/zsh word, `$'…'` style.
pub fn quote_posix(s: &str) -> String {
    if is_plain(s) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 3);
    out.push_str("$'");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            // Always two hex digits: `\xHH` takes at most two, so a following
            // hex digit in the value is never swallowed.
            c if c.is_ascii_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Quotes `s` as one fish word, single-quote style.
pub fn quote_fish(s: &str) -> String {
    if is_plain(s) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_stay_bare() {
        assert_eq!(quote_posix("/usr/bin:/bin"), "/usr/bin:/bin");
        assert_eq!(quote_fish("hello:v1"), "hello:v1");
    }

    #[test]
    fn posix_escapes() {
        assert_eq!(quote_posix(""), "$''");
        assert_eq!(quote_posix("a b"), "$'a b'");
        assert_eq!(quote_posix("it's"), "$'it\\'s'");
        assert_eq!(quote_posix("a\\b"), "$'a\\\\b'");
        assert_eq!(quote_posix("l1\nl2"), "$'l1\\nl2'");
        assert_eq!(quote_posix("\u{1b}f"), "$'\\x1bf'");
        assert_eq!(quote_posix("~x"), "$'~x'");
        assert_eq!(quote_posix("$HOME"), "$'$HOME'");
    }

    #[test]
    fn fish_escapes() {
        assert_eq!(quote_fish(""), "''");
        assert_eq!(quote_fish("it's"), "'it\\'s'");
        assert_eq!(quote_fish("a\\b"), "'a\\\\b'");
        assert_eq!(quote_fish("l1\nl2"), "'l1\nl2'");
        assert_eq!(quote_fish("$HOME (x)"), "'$HOME (x)'");
    }
}
