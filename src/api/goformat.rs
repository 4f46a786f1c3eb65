//! Go's text formatting where upstream messages depend on it: `%q` quoting, `%#v` of a
//! `[]string`, and the `[a, b]` shape of an aggregated error list.
//!
//! Upstream error messages are built with Go's `fmt`; clients (and tests) compare them,
//! so the few formatting rules they use are reproduced here.

use std::collections::HashSet;
use std::fmt::Write as _;

/// Quotes `s` like Go's `strconv.Quote` (the `%q` verb).
///
/// Printable characters are kept (non-ASCII included); `"` and `\` are escaped; the
/// usual C escapes are used for control characters, `\xNN` for other ASCII controls
/// and `\uNNNN`/`\UNNNNNNNN` for non-printable code points. Go's `unicode.IsPrint` is
/// approximated: controls, spaces other than U+0020, format characters and private
/// use code points count as non-printable.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if is_printable(c) => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if (c as u32) < 0x10000 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

fn is_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    let u = c as u32;
    let format_or_private = matches!(u,
        0xad | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x180e | 0x200b..=0x200f
        | 0x202a..=0x202e | 0x2060..=0x2064 | 0x2066..=0x206f | 0xfeff | 0xfff9..=0xfffb
        | 0xe000..=0xf8ff | 0xf0000..=0x10ffff);
    !format_or_private
}

/// Formats a string list like Go's `%#v` of a `[]string`: `[]string{"a", "b"}`, and
/// `[]string(nil)` for a nil slice (`None`).
pub fn string_slice_go_syntax(values: Option<&[String]>) -> String {
    match values {
        None => "[]string(nil)".to_string(),
        Some(values) => {
            let quoted: Vec<String> = values.iter().map(|v| quote(v)).collect();
            format!("[]string{{{}}}", quoted.join(", "))
        }
    }
}

/// Joins error messages like upstream `field.ErrorList.ToAggregate().Error()`:
/// duplicates dropped (first kept), one message as is, several as `[a, b]`.
/// `None` for an empty list.
pub fn aggregate<S: AsRef<str>>(messages: &[S]) -> Option<String> {
    let mut seen = HashSet::new();
    let unique: Vec<&str> = messages
        .iter()
        .map(AsRef::as_ref)
        .filter(|m| seen.insert(*m))
        .collect();
    match unique.len() {
        0 => None,
        1 => Some(unique[0].to_string()),
        _ => Some(format!("[{}]", unique.join(", "))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_like_go() {
        let cases = [
            ("x", r#""x""#),
            ("", r#""""#),
            (r#"a"b"#, r#""a\"b""#),
            (r"a\b", r#""a\\b""#),
            ("a\nb\tc", r#""a\nb\tc""#),
            ("\u{0}\u{1b}\u{7f}", r#""\x00\x1b\x7f""#),
            ("héllo", "\"héllo\""),
            ("\u{a0}\u{200b}", r#""\u00a0\u200b""#),
        ];
        for (input, want) in cases {
            assert_eq!(quote(input), want, "input {input:?}");
        }
    }

    #[test]
    fn string_slice_like_go() {
        assert_eq!(string_slice_go_syntax(None), "[]string(nil)");
        assert_eq!(string_slice_go_syntax(Some(&[])), "[]string{}");
        let v = vec!["a".to_string(), "b c".to_string()];
        assert_eq!(string_slice_go_syntax(Some(&v)), r#"[]string{"a", "b c"}"#);
    }

    #[test]
    fn aggregate_like_upstream() {
        assert_eq!(aggregate::<&str>(&[]), None);
        assert_eq!(aggregate(&["a"]).as_deref(), Some("a"));
        assert_eq!(aggregate(&["a", "b", "a"]).as_deref(), Some("[a, b]"));
        assert_eq!(aggregate(&["a", "a"]).as_deref(), Some("a"));
    }
}
