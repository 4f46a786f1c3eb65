//! Label selectors: the `labelSelector` query string syntax and `metav1.LabelSelector`.
//!
//! [`Selector::parse`] accepts upstream's grammar (`k=v`, `k==v`, `k!=v`,
//! `k in (a,b)`, `k notin (a)`, `k`, `!k`, `k>1`, `k<1`, comma = AND, blanks ignored
//! around tokens) and fails with upstream's messages, which the apiserver returns in a
//! 400 Status. Keys and values are checked with label syntax. Requirements are kept
//! sorted by key, as upstream does, so [`Selector`]'s `Display` is upstream's
//! `String()`.

use super::parser;
use crate::api::goformat::{aggregate, quote, string_slice_go_syntax};
use crate::api::status::ApiError;
use crate::api::validation::{is_qualified_name, is_valid_label_value};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A label selector that could not be parsed or is invalid; the message is upstream's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct LabelSelectorError {
    pub message: String,
}

impl LabelSelectorError {
    pub(super) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// A bad `labelSelector` parameter is a 400 with the parser's message.
impl From<LabelSelectorError> for ApiError {
    fn from(err: LabelSelectorError) -> Self {
        ApiError::bad_request(err.message)
    }
}

/// `selection.Operator`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    In,
    NotIn,
    Equals,
    DoubleEquals,
    NotEquals,
    Exists,
    DoesNotExist,
    GreaterThan,
    LessThan,
}

impl Operator {
    /// Upstream's operator string (`in`, `notin`, `=`, `==`, `!=`, `exists`, `!`, `gt`, `lt`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::In => "in",
            Self::NotIn => "notin",
            Self::Equals => "=",
            Self::DoubleEquals => "==",
            Self::NotEquals => "!=",
            Self::Exists => "exists",
            Self::DoesNotExist => "!",
            Self::GreaterThan => "gt",
            Self::LessThan => "lt",
        }
    }
}

/// One clause of a selector: a key, an operator and its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    key: String,
    operator: Operator,
    values: Vec<String>,
}

impl Requirement {
    /// Validates like upstream `labels.NewRequirement` (key and value syntax, value
    /// count per operator); all problems are reported, aggregated.
    pub fn new(
        key: &str,
        operator: Operator,
        values: Vec<String>,
    ) -> Result<Self, LabelSelectorError> {
        Self::new_with_values(key, operator, Some(values))
    }

    /// `values` is `None` for a nil Go slice, which only shows in error messages.
    fn new_with_values(
        key: &str,
        operator: Operator,
        values: Option<Vec<String>>,
    ) -> Result<Self, LabelSelectorError> {
        let mut errs = Vec::new();
        if let Some(err) = key_error(key, "key") {
            errs.push(err);
        }
        let vals = values.as_deref().unwrap_or(&[]);
        let bad_count = |detail: &str| {
            format!(
                "values: Invalid value: {}: {detail}",
                string_slice_go_syntax(values.as_deref())
            )
        };
        match operator {
            Operator::In | Operator::NotIn if vals.is_empty() => {
                errs.push(bad_count(
                    "for 'in', 'notin' operators, values set can't be empty",
                ));
            }
            Operator::Equals | Operator::DoubleEquals | Operator::NotEquals if vals.len() != 1 => {
                errs.push(bad_count(
                    "exact-match compatibility requires one single value",
                ));
            }
            Operator::Exists | Operator::DoesNotExist if !vals.is_empty() => {
                errs.push(bad_count(
                    "values set must be empty for exists and does not exist",
                ));
            }
            Operator::GreaterThan | Operator::LessThan => {
                if vals.len() != 1 {
                    errs.push(bad_count(
                        "for 'Gt', 'Lt' operators, exactly one value is required",
                    ));
                }
                for (i, v) in vals.iter().enumerate() {
                    if v.parse::<i64>().is_err() {
                        errs.push(format!(
                            "values[{i}]: Invalid value: {}: for 'Gt', 'Lt' operators, the value must be an integer",
                            quote(v)
                        ));
                    }
                }
            }
            _ => {}
        }
        for (i, v) in vals.iter().enumerate() {
            let problems = is_valid_label_value(v);
            if !problems.is_empty() {
                errs.push(format!(
                    "values[{i}][{key}]: Invalid value: {}: {}",
                    quote(v),
                    problems.join("; ")
                ));
            }
        }
        match aggregate(&errs) {
            Some(message) => Err(LabelSelectorError::new(message)),
            None => Ok(Self {
                key: key.to_string(),
                operator,
                values: values.unwrap_or_default(),
            }),
        }
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn operator(&self) -> Operator {
        self.operator
    }

    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// Upstream `Requirement.Matches`: `NotIn`/`!=` match a missing key; `Gt`/`Lt`
    /// compare as 64-bit integers and never match a non-integer label.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.matches_with(&|k| labels.get(k).map(String::as_str))
    }

    fn matches_with<'a>(&self, get: &dyn Fn(&str) -> Option<&'a str>) -> bool {
        let value = get(&self.key);
        let has = |v: &str| self.values.iter().any(|x| x == v);
        match self.operator {
            Operator::In | Operator::Equals | Operator::DoubleEquals => value.is_some_and(has),
            Operator::NotIn | Operator::NotEquals => !value.is_some_and(has),
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
            Operator::GreaterThan | Operator::LessThan => {
                let (Some(label), [bound]) = (value, self.values.as_slice()) else {
                    return false;
                };
                let (Ok(label), Ok(bound)) = (label.parse::<i64>(), bound.parse::<i64>()) else {
                    return false;
                };
                if self.operator == Operator::GreaterThan {
                    label > bound
                } else {
                    label < bound
                }
            }
        }
    }
}

/// Upstream `Requirement.String()`; set values are printed sorted.
impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.operator == Operator::DoesNotExist {
            f.write_str("!")?;
        }
        f.write_str(&self.key)?;
        let (op, set) = match self.operator {
            Operator::Exists | Operator::DoesNotExist => return Ok(()),
            Operator::Equals => ("=", false),
            Operator::DoubleEquals => ("==", false),
            Operator::NotEquals => ("!=", false),
            Operator::GreaterThan => (">", false),
            Operator::LessThan => ("<", false),
            Operator::In => (" in ", true),
            Operator::NotIn => (" notin ", true),
        };
        f.write_str(op)?;
        let mut values: Vec<&str> = self.values.iter().map(String::as_str).collect();
        values.sort_unstable();
        if set {
            write!(f, "({})", values.join(","))
        } else {
            f.write_str(&values.join(","))
        }
    }
}

/// A label selector: the AND of its requirements, or "nothing" (a null
/// `metav1.LabelSelector`, which matches no object).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selector {
    requirements: Vec<Requirement>,
    nothing: bool,
}

impl Selector {
    /// Matches every object (the empty selector).
    pub fn everything() -> Self {
        Self::default()
    }

    /// Matches no object.
    pub fn nothing() -> Self {
        Self {
            requirements: Vec::new(),
            nothing: true,
        }
    }

    /// Parses the `labelSelector` string syntax; `""` selects everything.
    pub fn parse(s: &str) -> Result<Self, LabelSelectorError> {
        let mut requirements = parser::parse(s)?;
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(Self {
            requirements,
            nothing: false,
        })
    }

    /// Upstream `LabelSelectorAsSelector`: `None` (null) selects nothing, an empty
    /// selector everything.
    pub fn from_label_selector(ls: Option<&LabelSelector>) -> Result<Self, LabelSelectorError> {
        let Some(ls) = ls else {
            return Ok(Self::nothing());
        };
        let mut requirements =
            Vec::with_capacity(ls.match_labels.len() + ls.match_expressions.len());
        for (k, v) in &ls.match_labels {
            requirements.push(Requirement::new(k, Operator::Equals, vec![v.clone()])?);
        }
        for expr in &ls.match_expressions {
            let op = match expr.operator.as_str() {
                "In" => Operator::In,
                "NotIn" => Operator::NotIn,
                "Exists" => Operator::Exists,
                "DoesNotExist" => Operator::DoesNotExist,
                other => {
                    return Err(LabelSelectorError::new(format!(
                        "{} is not a valid pod selector operator",
                        quote(other)
                    )));
                }
            };
            // An absent or empty `values` is a nil slice upstream.
            let values = expr.values.clone().filter(|v| !v.is_empty());
            requirements.push(Requirement::new_with_values(&expr.key, op, values)?);
        }
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(Self {
            requirements,
            nothing: false,
        })
    }

    /// [`Selector::from_label_selector`] on JSON (`null` selects nothing).
    pub fn from_label_selector_json(value: &serde_json::Value) -> Result<Self, LabelSelectorError> {
        if value.is_null() {
            return Ok(Self::nothing());
        }
        let ls: LabelSelector = serde_json::from_value(value.clone())
            .map_err(|e| LabelSelectorError::new(format!("invalid label selector: {e}")))?;
        Self::from_label_selector(Some(&ls))
    }

    /// True when every label set matches (no requirements, not "nothing").
    pub fn is_everything(&self) -> bool {
        !self.nothing && self.requirements.is_empty()
    }

    pub fn is_nothing(&self) -> bool {
        self.nothing
    }

    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        !self.nothing && self.requirements.iter().all(|r| r.matches(labels))
    }

    /// As [`Selector::matches`], reading labels through `get`.
    pub fn matches_with<'a>(&self, get: &dyn Fn(&str) -> Option<&'a str>) -> bool {
        !self.nothing && self.requirements.iter().all(|r| r.matches_with(get))
    }

    /// The single value `key` must have (`=`, `==`, or `in` with one value), for
    /// index lookups (upstream `RequiresExactMatch`).
    pub fn requires_exact_match(&self, key: &str) -> Option<&str> {
        let r = self.requirements.iter().find(|r| r.key == key)?;
        match (r.operator, r.values.as_slice()) {
            (Operator::Equals | Operator::DoubleEquals | Operator::In, [v]) => Some(v),
            _ => None,
        }
    }
}

/// Upstream `Selector.String()`: requirements joined by `,`; empty for everything and
/// nothing.
impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

/// `metav1.LabelSelector` as it appears in object specs.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelector {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub match_labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_expressions: Vec<LabelSelectorRequirement>,
}

/// `metav1.LabelSelectorRequirement`; `operator` is `In`, `NotIn`, `Exists` or
/// `DoesNotExist` (kept as a string so a bad one fails like upstream).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LabelSelectorRequirement {
    pub key: String,
    pub operator: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<String>>,
}

/// The label-key check, as a field error at `path` (upstream `validateLabelKey`).
pub(super) fn key_error(key: &str, path: &str) -> Option<String> {
    let problems = is_qualified_name(key);
    if problems.is_empty() {
        None
    } else {
        Some(format!(
            "{path}: Invalid value: {}: {}",
            quote(key),
            problems.join("; ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const NAME_MSG: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
    const VALUE_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

    /// (input, canonical String(), labels that match, labels that do not)
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
            ("   ", "", &[("a", "b")], &[]),
            ("a=b", "a=b", &[("a", "b")], &[("a", "c")]),
            ("a==b", "a==b", &[("a", "b"), ("x", "y")], &[]),
            ("a!=b", "a!=b", &[("a", "c")], &[("a", "b")]),
            ("a!=b", "a!=b", &[], &[("a", "b")]),
            ("a", "a", &[("a", "")], &[("b", "a")]),
            ("!a", "!a", &[("b", "x")], &[("a", "x")]),
            ("a in (x,y)", "a in (x,y)", &[("a", "y")], &[("a", "z")]),
            ("a in (y, x)", "a in (x,y)", &[("a", "x")], &[]),
            ("a notin (x)", "a notin (x)", &[("b", "x")], &[("a", "x")]),
            ("a=", "a=", &[("a", "")], &[]),
            ("a=", "a=", &[("a", ""), ("b", "x")], &[("b", "")]),
            (
                "b=1,a=2",
                "a=2,b=1",
                &[("a", "2"), ("b", "1")],
                &[("a", "2")],
            ),
            (
                " a = b , c in ( d , e ) ",
                "a=b,c in (d,e)",
                &[("a", "b"), ("c", "e")],
                &[("a", "b")],
            ),
            (
                "x in (foo,,baz),y,z notin ()",
                "x in (,baz,foo),y,z notin ()",
                &[("x", ""), ("y", "1"), ("z", "q")],
                &[("x", ""), ("y", "1"), ("z", "")],
            ),
            ("x in (a,)", "x in (,a)", &[("x", "")], &[("x", "b")]),
            ("x in ()", "x in ()", &[("x", "")], &[("x", "a")]),
            (
                "in in (in,notin)",
                "in in (in,notin)",
                &[("in", "notin")],
                &[("in", "x")],
            ),
            ("a=in", "a=in", &[("a", "in")], &[]),
            ("n>5", "n>5", &[("n", "6")], &[("n", "5")]),
            ("n>5", "n>5", &[("n", "100")], &[("n", "x")]),
            ("n<5", "n<5", &[("n", "-3")], &[("n", "5")]),
            (
                "example.com/app=web,tier",
                "example.com/app=web,tier",
                &[("example.com/app", "web"), ("tier", "")],
                &[("app", "web"), ("tier", "")],
            ),
            ("!a,b", "!a,b", &[("b", "1")], &[("a", "1"), ("b", "1")]),
            ("a\tin\n(b)", "a in (b)", &[("a", "b")], &[]),
        ];
        for (input, canonical, yes, no) in cases {
            let sel = Selector::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(sel.to_string(), *canonical, "input {input:?}");
            assert!(sel.matches(&labels(yes)), "{input:?} should match {yes:?}");
            if !no.is_empty() {
                assert!(
                    !sel.matches(&labels(no)),
                    "{input:?} should not match {no:?}"
                );
            }
        }
    }

    #[test]
    fn parse_errors_match_upstream_messages() {
        let cases = [
            ("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt".to_string()),
            ("a!", "unable to parse requirement: found '!', expected: in, notin, =, ==, !=, gt, lt".to_string()),
            ("a=b c", "found 'c', expected: ',' or 'end of string'".to_string()),
            ("a=b)", "found ')', expected: ',' or 'end of string'".to_string()),
            ("a,", "found '', expected: identifier after ','".to_string()),
            ("a,=b", "found '=', expected: identifier after ','".to_string()),
            (",a", "found ',', expected: !, identifier, or 'end of string'".to_string()),
            ("=a", "found '=', expected: !, identifier, or 'end of string'".to_string()),
            ("!", "unable to parse requirement: found '', expected: identifier".to_string()),
            ("!=a", "found '!=', expected: !, identifier, or 'end of string'".to_string()),
            ("!a=b", "found '=', expected: ',' or 'end of string'".to_string()),
            ("x in a", "unable to parse requirement: found 'a' expected: '('".to_string()),
            ("x in (a", "unable to parse requirement: found '', expected: ',' or ')'".to_string()),
            ("x in (a b)", "unable to parse requirement: found 'b', expected: ',' or ')'".to_string()),
            ("x in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier".to_string()),
            ("x in (,=)", "unable to parse requirement: found '=', expected: ',', or identifier".to_string()),
            ("a==(", "unable to parse requirement: found '(', expected: identifier".to_string()),
            ("-a=b", format!("unable to parse requirement: <nil>: Invalid value: \"-a\": {NAME_MSG}")),
            ("a=-b", format!("unable to parse requirement: values[0][a]: Invalid value: \"-b\": {VALUE_MSG}")),
            ("x in (a,-b)", format!("unable to parse requirement: values[0][x]: Invalid value: \"-b\": {VALUE_MSG}")),
            ("x in (-a,-b)", format!("unable to parse requirement: [values[0][x]: Invalid value: \"-a\": {VALUE_MSG}, values[1][x]: Invalid value: \"-b\": {VALUE_MSG}]")),
            ("a>b", "unable to parse requirement: values[0]: Invalid value: \"b\": for 'Gt', 'Lt' operators, the value must be an integer".to_string()),
            ("a/b/c", "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')".to_string()),
        ];
        for (input, want) in cases {
            let err = Selector::parse(input).expect_err(input);
            assert_eq!(err.message, want, "input {input:?}");
        }
    }

    #[test]
    fn parse_error_becomes_a_400() {
        let err: ApiError = Selector::parse("a b").unwrap_err().into();
        assert_eq!(err.code(), 400);
        assert!(err.message().starts_with("unable to parse requirement"));
    }

    #[test]
    fn label_selector_objects() {
        let v = serde_json::json!({
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["fe", "be"]},
                {"key": "env", "operator": "DoesNotExist"}
            ]
        });
        let sel = Selector::from_label_selector_json(&v).unwrap();
        assert_eq!(sel.to_string(), "app=web,!env,tier in (be,fe)");
        assert!(sel.matches(&labels(&[("app", "web"), ("tier", "be")])));
        assert!(!sel.matches(&labels(&[("app", "web"), ("tier", "be"), ("env", "x")])));
        assert!(!sel.matches(&labels(&[("app", "web")])));
        assert_eq!(sel.requires_exact_match("app"), Some("web"));
        assert_eq!(sel.requires_exact_match("tier"), None);

        let nothing = Selector::from_label_selector_json(&serde_json::Value::Null).unwrap();
        assert!(nothing.is_nothing() && !nothing.matches(&labels(&[])));
        let everything = Selector::from_label_selector_json(&serde_json::json!({})).unwrap();
        assert!(everything.is_everything() && everything.matches(&labels(&[("a", "b")])));
    }

    #[test]
    fn label_selector_object_errors() {
        let cases = [
            (
                serde_json::json!({"matchExpressions": [{"key": "a", "operator": "Foo"}]}),
                "\"Foo\" is not a valid pod selector operator".to_string(),
            ),
            (
                serde_json::json!({"matchExpressions": [{"key": "a", "operator": "In"}]}),
                "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty".to_string(),
            ),
            (
                serde_json::json!({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]}),
                "values: Invalid value: []string{\"x\"}: values set must be empty for exists and does not exist".to_string(),
            ),
            (
                serde_json::json!({"matchLabels": {"-x": "y"}}),
                format!("key: Invalid value: \"-x\": {NAME_MSG}"),
            ),
            (
                serde_json::json!({"matchLabels": {"x": "-y"}}),
                format!("values[0][x]: Invalid value: \"-y\": {VALUE_MSG}"),
            ),
        ];
        for (v, want) in cases {
            let err = Selector::from_label_selector_json(&v).expect_err(&v.to_string());
            assert_eq!(err.message, want, "{v}");
        }
    }

    #[test]
    fn requirement_constructor_validates_counts() {
        let err = Requirement::new("a", Operator::Equals, vec![]).unwrap_err();
        assert_eq!(
            err.message,
            "values: Invalid value: []string{}: exact-match compatibility requires one single value"
        );
        let r = Requirement::new("a", Operator::NotIn, vec!["b".into()]).unwrap();
        assert_eq!(
            (r.key(), r.operator().as_str(), r.values()),
            ("a", "notin", &["b".to_string()][..])
        );
    }
}
