//! Field selectors: the `fieldSelector` query parameter (`a=b`, `a==b`, `a!=b`, joined
//! by `,`), with upstream's escaping (`\,`, `\=`, `\\` in values) and messages.
//!
//! Which fields a resource supports is the apiserver's business; it checks a parsed
//! selector with [`FieldSelector::check_fields`] (per-kind lists, upstream's
//! `field label not supported: X`) or [`FieldSelector::check_default_fields`]
//! (kinds with only `metadata.name`/`metadata.namespace`).

use crate::api::goformat::quote;
use crate::api::status::ApiError;
use std::fmt;

/// A field selector that cannot be parsed or uses an unsupported field; the `Display`
/// text is upstream's message (a 400 Status).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldSelectorError {
    #[error("invalid selector: '{selector}'; can't understand '{term}'")]
    Syntax { selector: String, term: String },
    #[error("invalid field selector: invalid escape sequence: {sequence}")]
    InvalidEscape { sequence: String },
    /// Upstream prints the character as its code point number (Go `%v` of a rune).
    #[error("invalid field selector: unescaped character in value: {}", *.character as u32)]
    UnescapedCharacter { character: char },
    #[error("field label not supported: {field}")]
    UnsupportedField { field: String },
    #[error("{} is not a known field selector: only \"metadata.name\", \"metadata.namespace\"", quote(.field))]
    UnknownField { field: String },
}

/// A bad `fieldSelector` parameter is a 400 with the message.
impl From<FieldSelectorError> for ApiError {
    fn from(err: FieldSelectorError) -> Self {
        ApiError::bad_request(err.to_string())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldOperator {
    /// `=` or `==`.
    Equals,
    /// `!=`.
    NotEquals,
}

/// One `field=value` or `field!=value` term; `value` is unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRequirement {
    pub field: String,
    pub operator: FieldOperator,
    pub value: String,
}

/// The AND of field terms; empty selects everything. Terms are kept in upstream's
/// order (the raw terms sorted), which decides which bad field is reported first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldSelector {
    requirements: Vec<FieldRequirement>,
}

/// Metadata fields every kind supports.
pub const DEFAULT_FIELDS: &[&str] = &["metadata.name", "metadata.namespace"];

impl FieldSelector {
    pub fn everything() -> Self {
        Self::default()
    }

    /// Parses the `fieldSelector` syntax like upstream `fields.ParseSelector`.
    pub fn parse(selector: &str) -> Result<Self, FieldSelectorError> {
        let mut terms = split_terms(selector);
        terms.sort_unstable();
        let mut requirements = Vec::with_capacity(terms.len());
        for term in terms.into_iter().filter(|t| !t.is_empty()) {
            let Some((field, operator, raw)) = split_term(term) else {
                return Err(FieldSelectorError::Syntax {
                    selector: selector.to_string(),
                    term: term.to_string(),
                });
            };
            requirements.push(FieldRequirement {
                field: field.to_string(),
                operator,
                value: unescape_value(raw)?,
            });
        }
        Ok(Self { requirements })
    }

    /// A selector requiring `field == value` (upstream `OneTermEqualSelector`).
    pub fn one_term_equal(field: &str, value: &str) -> Self {
        Self {
            requirements: vec![FieldRequirement {
                field: field.to_string(),
                operator: FieldOperator::Equals,
                value: value.to_string(),
            }],
        }
    }

    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    pub fn requirements(&self) -> &[FieldRequirement] {
        &self.requirements
    }

    /// True when every term holds; `fields` returns a field's value, and a missing
    /// field counts as the empty string (upstream `Fields.Get`).
    pub fn matches(&self, fields: &dyn Fn(&str) -> Option<String>) -> bool {
        self.requirements.iter().all(|r| {
            let actual = fields(&r.field).unwrap_or_default();
            match r.operator {
                FieldOperator::Equals => actual == r.value,
                FieldOperator::NotEquals => actual != r.value,
            }
        })
    }

    /// The value `field` must equal, for index lookups (upstream `RequiresExactMatch`).
    pub fn requires_exact_match(&self, field: &str) -> Option<&str> {
        self.requirements
            .iter()
            .find(|r| r.field == field && r.operator == FieldOperator::Equals)
            .map(|r| r.value.as_str())
    }

    /// Fails on the first field not in `allowed`, with upstream's
    /// `field label not supported: X`.
    pub fn check_fields(&self, allowed: &[&str]) -> Result<(), FieldSelectorError> {
        match self
            .requirements
            .iter()
            .find(|r| !allowed.contains(&r.field.as_str()))
        {
            Some(r) => Err(FieldSelectorError::UnsupportedField {
                field: r.field.clone(),
            }),
            None => Ok(()),
        }
    }

    /// For kinds without their own field list: only [`DEFAULT_FIELDS`], with
    /// upstream's `"X" is not a known field selector: only …` message.
    pub fn check_default_fields(&self) -> Result<(), FieldSelectorError> {
        match self
            .requirements
            .iter()
            .find(|r| !DEFAULT_FIELDS.contains(&r.field.as_str()))
        {
            Some(r) => Err(FieldSelectorError::UnknownField {
                field: r.field.clone(),
            }),
            None => Ok(()),
        }
    }

    /// Renames a field in every term (upstream converts e.g. `spec.host` to
    /// `spec.nodeName` for pods).
    pub fn rename_field(&mut self, from: &str, to: &str) {
        for r in self.requirements.iter_mut().filter(|r| r.field == from) {
            r.field = to.to_string();
        }
    }
}

/// Terms joined by `,`, values escaped: parses back to the same selector.
impl fmt::Display for FieldSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            let op = match r.operator {
                FieldOperator::Equals => "=",
                FieldOperator::NotEquals => "!=",
            };
            write!(f, "{}{op}{}", r.field, escape_value(&r.value))?;
        }
        Ok(())
    }
}

/// Escapes `\`, `,` and `=` so `s` can be a field selector value (upstream
/// `EscapeValue`).
pub fn escape_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | ',' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Splits on commas not preceded by a backslash; escapes stay in the terms.
fn split_terms(selector: &str) -> Vec<&str> {
    if selector.is_empty() {
        return Vec::new();
    }
    let mut terms = Vec::new();
    let mut start = 0;
    let mut in_slash = false;
    for (i, c) in selector.char_indices() {
        if in_slash {
            in_slash = false;
        } else if c == '\\' {
            in_slash = true;
        } else if c == ',' {
            terms.push(&selector[start..i]);
            start = i + 1;
        }
    }
    terms.push(&selector[start..]);
    terms
}

/// Splits at the first operator; `!=` and `==` win over `=` at the same position. The
/// field part has no escaping.
fn split_term(term: &str) -> Option<(&str, FieldOperator, &str)> {
    const OPERATORS: [(&str, FieldOperator); 3] = [
        ("!=", FieldOperator::NotEquals),
        ("==", FieldOperator::Equals),
        ("=", FieldOperator::Equals),
    ];
    for (i, _) in term.char_indices() {
        let rest = &term[i..];
        for (op, operator) in OPERATORS {
            if let Some(value) = rest.strip_prefix(op) {
                return Some((&term[..i], operator, value));
            }
        }
    }
    None
}

/// Upstream `UnescapeValue`: `\\`, `\,` and `\=` are the only escapes, and unescaped
/// `,` or `=` are errors.
fn unescape_value(s: &str) -> Result<String, FieldSelectorError> {
    if !s.contains(['\\', ',', '=']) {
        return Ok(s.to_string());
    }
    let mut out = String::with_capacity(s.len());
    let mut in_slash = false;
    for c in s.chars() {
        if in_slash {
            if !matches!(c, '\\' | ',' | '=') {
                return Err(FieldSelectorError::InvalidEscape {
                    sequence: format!("\\{c}"),
                });
            }
            out.push(c);
            in_slash = false;
            continue;
        }
        match c {
            '\\' => in_slash = true,
            ',' | '=' => return Err(FieldSelectorError::UnescapedCharacter { character: c }),
            c => out.push(c),
        }
    }
    if in_slash {
        return Err(FieldSelectorError::InvalidEscape {
            sequence: "\\".to_string(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn getter(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k: &str| map.get(k).cloned()
    }

    /// (input, canonical, fields that match, fields that do not)
    #[test]
    fn parses_and_matches() {
        type Case<'a> = (
            &'a str,
            &'a str,
            &'a [(&'a str, &'a str)],
            &'a [(&'a str, &'a str)],
        );
        let cases: &[Case] = &[
            ("", "", &[], &[]),
            (
                "metadata.name=foo",
                "metadata.name=foo",
                &[("metadata.name", "foo")],
                &[("metadata.name", "bar")],
            ),
            ("a==b", "a=b", &[("a", "b")], &[]),
            ("a!=b", "a!=b", &[("a", "c")], &[("a", "b")]),
            ("a!=b", "a!=b", &[], &[("a", "b")]),
            ("a=", "a=", &[], &[("a", "x")]),
            (
                "c!=d,a=b",
                "a=b,c!=d",
                &[("a", "b"), ("c", "x")],
                &[("a", "b"), ("c", "d")],
            ),
            ("a=b,,", "a=b", &[("a", "b")], &[]),
            (r"a=b\,c", r"a=b\,c", &[("a", "b,c")], &[("a", "b")]),
            (r"a=b\=c", r"a=b\=c", &[("a", "b=c")], &[]),
            (r"a=b\\c", r"a=b\\c", &[("a", r"b\c")], &[]),
            (
                "spec.nodeName=n1,status.phase!=Running",
                "spec.nodeName=n1,status.phase!=Running",
                &[("spec.nodeName", "n1"), ("status.phase", "Pending")],
                &[("spec.nodeName", "n1"), ("status.phase", "Running")],
            ),
        ];
        for (input, canonical, yes, no) in cases {
            let sel = FieldSelector::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(sel.to_string(), *canonical, "input {input:?}");
            assert!(sel.matches(&getter(yes)), "{input:?} should match {yes:?}");
            if !no.is_empty() {
                assert!(
                    !sel.matches(&getter(no)),
                    "{input:?} should not match {no:?}"
                );
            }
            assert_eq!(FieldSelector::parse(&sel.to_string()).unwrap(), sel);
        }
    }

    #[test]
    fn parse_errors_match_upstream_messages() {
        let cases = [
            ("abc", "invalid selector: 'abc'; can't understand 'abc'"),
            (
                "x=1,abc",
                "invalid selector: 'x=1,abc'; can't understand 'abc'",
            ),
            (
                "a=b=c",
                "invalid field selector: unescaped character in value: 61",
            ),
            (
                "a==b=c",
                "invalid field selector: unescaped character in value: 61",
            ),
            (
                r"a=b\x",
                r"invalid field selector: invalid escape sequence: \x",
            ),
            (
                r"a=b\",
                r"invalid field selector: invalid escape sequence: \",
            ),
        ];
        for (input, want) in cases {
            let err = FieldSelector::parse(input).expect_err(input);
            assert_eq!(err.to_string(), want, "input {input:?}");
            assert_eq!(ApiError::from(err).code(), 400);
        }
    }

    #[test]
    fn checks_supported_fields() {
        let pods = [
            "metadata.name",
            "metadata.namespace",
            "spec.nodeName",
            "status.phase",
        ];
        let sel = FieldSelector::parse("spec.nodeName=n1,foo=bar").unwrap();
        assert_eq!(
            sel.check_fields(&pods).unwrap_err().to_string(),
            "field label not supported: foo"
        );
        assert!(
            FieldSelector::parse("spec.nodeName=n1")
                .unwrap()
                .check_fields(&pods)
                .is_ok()
        );
        let sel = FieldSelector::parse("foo.bar=baz").unwrap();
        assert_eq!(
            sel.check_default_fields().unwrap_err().to_string(),
            r#""foo.bar" is not a known field selector: only "metadata.name", "metadata.namespace""#
        );
        assert!(
            FieldSelector::parse("metadata.name=x")
                .unwrap()
                .check_default_fields()
                .is_ok()
        );
    }

    #[test]
    fn exact_match_and_rename() {
        let mut sel = FieldSelector::parse("spec.host=n1,status.phase!=Failed").unwrap();
        sel.rename_field("spec.host", "spec.nodeName");
        assert_eq!(sel.requires_exact_match("spec.nodeName"), Some("n1"));
        assert_eq!(sel.requires_exact_match("status.phase"), None);
        assert_eq!(
            FieldSelector::one_term_equal("metadata.name", "a,b").to_string(),
            r"metadata.name=a\,b"
        );
    }
}
