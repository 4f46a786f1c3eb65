//! JSON bytes as the Go apiserver writes them.
//!
//! Upstream encodes with Go's `encoding/json` `Encoder`, which escapes `<`, `>`, `&`,
//! U+2028 and U+2029 (HTML-safe output) on top of the usual JSON escapes; `serde_json`
//! does not. Field order comes from the serialized struct, as in Go. Upstream's
//! `Encoder.Encode` also appends one `\n` after the object; [`to_vec`] does not, so the
//! HTTP writer adds it when it wants bodies identical to upstream's.

use serde::Serialize;
use serde_json::ser::{Formatter, Serializer};
use std::io;

/// Serializes `value` compactly with Go's string escaping.
pub fn to_vec<T: ?Sized + Serialize>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(128);
    let mut ser = Serializer::with_formatter(&mut out, GoFormatter);
    value.serialize(&mut ser)?;
    Ok(out)
}

/// Compact output (the trait's defaults); the string fragments serde_json leaves unescaped get Go's extra
/// HTML-safe escapes. serde_json's own escapes (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`,
/// `\t`, `\u00XX` in lowercase hex) already match Go's (Go ≥ 1.22).
struct GoFormatter;

impl Formatter for GoFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            let escaped = match c {
                '<' => "\\u003c",
                '>' => "\\u003e",
                '&' => "\\u0026",
                '\u{2028}' => "\\u2028",
                '\u{2029}' => "\\u2029",
                _ => continue,
            };
            writer.write_all(&fragment.as_bytes()[start..i])?;
            writer.write_all(escaped.as_bytes())?;
            start = i + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn escapes_like_go_encoding_json() {
        let cases = [
            ("<nil>", r#""\u003cnil\u003e""#),
            ("a&b", r#""a\u0026b""#),
            ("q\"\\", r#""q\"\\""#),
            ("\u{8}\u{c}\n\r\t\u{1}", r#""\b\f\n\r\t\u0001""#),
            ("\u{2028}x\u{2029}", r#""\u2028x\u2029""#),
            ("é/\u{7f}", "\"é/\u{7f}\""),
        ];
        for (input, want) in cases {
            let got = String::from_utf8(to_vec(input).unwrap()).unwrap();
            assert_eq!(got, want, "input {input:?}");
        }
    }

    #[test]
    fn keys_are_escaped_and_output_is_compact() {
        let mut m = BTreeMap::new();
        m.insert("<k>", vec![1, 2]);
        let got = String::from_utf8(to_vec(&m).unwrap()).unwrap();
        assert_eq!(got, r#"{"\u003ck\u003e":[1,2]}"#);
    }
}
