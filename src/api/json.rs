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

/// The paths of the fields that appear twice in one JSON object of `bytes`
/// (`metadata.name`, `spec.containers[0].image`), as strict field validation reports
/// them; empty when there are none or the bytes are not JSON (the decoder says why).
pub fn duplicate_fields(bytes: &[u8]) -> Vec<String> {
    use serde::de::DeserializeSeed;
    let mut out = Vec::new();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let _ = Dups {
        path: String::new(),
        out: &mut out,
    }
    .deserialize(&mut de);
    out
}

/// Walks a JSON document, noting keys seen twice in one object.
struct Dups<'a> {
    path: String,
    out: &'a mut Vec<String>,
}

impl<'de> serde::de::DeserializeSeed<'de> for Dups<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Dups<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = if self.path.is_empty() {
                key.clone()
            } else {
                format!("{}.{key}", self.path)
            };
            if !seen.insert(key) {
                self.out.push(path.clone());
            }
            map.next_value_seed(Dups {
                path,
                out: self.out,
            })?;
        }
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        while seq
            .next_element_seed(Dups {
                path: format!("{}[{i}]", self.path),
                out: self.out,
            })?
            .is_some()
        {
            i += 1;
        }
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn duplicate_fields_are_found_with_their_paths() {
        let body = br#"{"a":1,"a":2,"m":{"name":"x","name":"y"},"l":[{"k":1},{"k":1,"k":2}]}"#;
        assert_eq!(super::duplicate_fields(body), ["a", "m.name", "l[1].k"]);
        assert!(super::duplicate_fields(br#"{"a":{"b":1},"c":{"b":1}}"#).is_empty());
        assert!(super::duplicate_fields(b"not json").is_empty());
    }

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
