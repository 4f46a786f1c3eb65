//! What a rule sees of its schema node: the CEL names of properties (upstream's
//! escaping), and the static type of `self` the checker works with.

use serde_json::Value;

pub const SERVER_FIELDS: [&str; 3] = ["apiVersion", "kind", "metadata"];

/// CEL's reserved words: a property so named is `__{name}__` in a rule.
const RESERVED: [&str; 21] = [
    "true",
    "false",
    "null",
    "in",
    "as",
    "break",
    "const",
    "continue",
    "else",
    "for",
    "function",
    "if",
    "import",
    "let",
    "loop",
    "package",
    "namespace",
    "return",
    "var",
    "void",
    "while",
];

pub fn preserves(node: &Value) -> bool {
    node.get("x-kubernetes-preserve-unknown-fields")
        .and_then(Value::as_bool)
        == Some(true)
}

pub fn embedded(node: &Value) -> bool {
    node.get("x-kubernetes-embedded-resource")
        .and_then(Value::as_bool)
        == Some(true)
}

/// The name a rule uses for property `name` (`foo-bar` is `foo__dash__bar`), or
/// `None` when no CEL identifier can spell it.
pub fn escape(name: &str) -> Option<String> {
    if RESERVED.contains(&name) {
        return Some(format!("__{name}__"));
    }
    let mut chars = name.chars();
    let first = chars.next()?;
    if !(first.is_ascii_alphabetic() || first == '_') {
        return None;
    }
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("__") {
            out.push_str("__underscores__");
            rest = &rest[2..];
            continue;
        }
        match c {
            '.' => out.push_str("__dot__"),
            '-' => out.push_str("__dash__"),
            '/' => out.push_str("__slash__"),
            c if c.is_ascii_alphanumeric() || c == '_' => out.push(c),
            _ => return None,
        }
        rest = &rest[c.len_utf8()..];
    }
    Some(out)
}

/// The schema type upstream shows as a failed rule's value (`Invalid value: "object"`).
pub fn type_name(node: &Value) -> &str {
    node.get("type").and_then(Value::as_str).unwrap_or("")
}

/// The static type of a value, as far as the checker knows it.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty<'s> {
    /// Anything: int-or-string, preserved unknown fields, or not worked out.
    Dyn,
    Bool,
    Int,
    Uint,
    Double,
    String,
    Bytes,
    Null,
    List(Box<Ty<'s>>),
    Map(Box<Ty<'s>>),
    /// An object with named properties (`root` adds the server's fields).
    Object(&'s Value, bool),
    Optional(Box<Ty<'s>>),
}

impl<'s> Ty<'s> {
    /// The type of a value at `node`.
    pub fn of(node: &'s Value, root: bool) -> Ty<'s> {
        if node
            .get("x-kubernetes-int-or-string")
            .and_then(Value::as_bool)
            == Some(true)
        {
            return Ty::Dyn;
        }
        match type_name(node) {
            "boolean" => Ty::Bool,
            "integer" => Ty::Int,
            "number" => Ty::Double,
            "string" if node.get("format").and_then(Value::as_str) == Some("byte") => Ty::Bytes,
            "string" => Ty::String,
            "array" => Ty::List(Box::new(
                node.get("items").map_or(Ty::Dyn, |i| Ty::of(i, false)),
            )),
            "object" if preserves(node) || embedded(node) => Ty::Dyn,
            "object" => match node.get("additionalProperties").filter(|a| a.is_object()) {
                Some(a) if node.get("properties").is_none() => Ty::Map(Box::new(Ty::of(a, false))),
                _ => Ty::Object(node, root),
            },
            _ => Ty::Dyn,
        }
    }

    /// The type of field `name` (as a rule spells it) of this type; `None` when the
    /// object has no such field.
    pub fn field(&self, name: &str) -> Option<Ty<'s>> {
        match self {
            Ty::Object(node, root) => {
                if *root {
                    match name {
                        "apiVersion" | "kind" => return Some(Ty::String),
                        "metadata" => return Some(Ty::Dyn),
                        _ => {}
                    }
                }
                let props = node.get("properties").and_then(Value::as_object)?;
                props
                    .iter()
                    .find(|(k, _)| escape(k).as_deref() == Some(name))
                    .map(|(_, s)| Ty::of(s, false))
            }
            Ty::Map(v) => Some((**v).clone()),
            _ => Some(Ty::Dyn),
        }
    }

    /// The CEL name of the type, for messages.
    pub fn name(&self) -> String {
        match self {
            Ty::Dyn => "dyn".into(),
            Ty::Bool => "bool".into(),
            Ty::Int => "int".into(),
            Ty::Uint => "uint".into(),
            Ty::Double => "double".into(),
            Ty::String => "string".into(),
            Ty::Bytes => "bytes".into(),
            Ty::Null => "null_type".into(),
            Ty::List(t) => format!("list({})", t.name()),
            Ty::Map(v) => format!("map(string, {})", v.name()),
            Ty::Object(..) => "object".into(),
            Ty::Optional(t) => format!("optional_type({})", t.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_names_escape_as_upstream() {
        let cases = [
            ("foo", Some("foo")),
            ("namespace", Some("__namespace__")),
            ("foo-bar", Some("foo__dash__bar")),
            ("a.b/c", Some("a__dot__b__slash__c")),
            ("a__b", Some("a__underscores__b")),
            ("1abc", None),
            ("a b", None),
        ];
        for (name, want) in cases {
            assert_eq!(escape(name).as_deref(), want, "{name}");
        }
    }
}
