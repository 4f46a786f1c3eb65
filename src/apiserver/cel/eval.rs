//! Running a [`Validator`]'s rules on an object, as upstream's `Validator.Validate`:
//! each node's rules with `self` (and `oldSelf`, the old value at the same path when
//! there is one), then the nodes under it; failures become field causes with
//! upstream's paths and words.

use cel::common::types::CelOptional;
use cel::objects::Value as CelValue;
use cel::{Context, ExecutionError};
use serde_json::Value;

use crate::api::status::{BadValue, Cause};

use super::compile::with_big_stack;
use super::value::to_val;
use super::{Node, Rule, Validator};

/// How many rule evaluations one object may cost (upstream meters a cost budget;
/// kelp counts evaluations).
pub const MAX_EVALUATIONS: usize = 100_000;

/// The longest message a `messageExpression` may produce, upstream's.
const MAX_MESSAGE_BYTES: usize = 5 * 1024;

/// A field path as upstream's `field.Path`; the root prints as `<nil>`.
#[derive(Clone)]
struct Path(Option<String>);

impl Path {
    fn child(&self, name: &str) -> Path {
        Path(Some(match &self.0 {
            None => name.to_string(),
            Some(p) => format!("{p}.{name}"),
        }))
    }

    fn index(&self, i: usize) -> Path {
        Path(Some(format!("{}[{i}]", self.0.as_deref().unwrap_or(""))))
    }

    fn key(&self, k: &str) -> Path {
        Path(Some(format!("{}[{k}]", self.0.as_deref().unwrap_or(""))))
    }

    fn shown(&self) -> &str {
        self.0.as_deref().unwrap_or("<nil>")
    }
}

struct Run<'c, 'v> {
    ctx: Context<'c, 'v>,
    budget: usize,
    causes: Vec<Cause>,
}

impl Validator {
    /// The failures of `obj`'s rules; `old` is the stored object on an update.
    pub fn validate(&self, obj: &Value, old: Option<&Value>) -> Vec<Cause> {
        let Some(root) = &self.root else {
            return vec![];
        };
        with_big_stack(|| {
            let mut run = Run {
                ctx: Context::with_env(self.env.clone()),
                budget: MAX_EVALUATIONS,
                causes: Vec::new(),
            };
            walk(root, obj, old, &Path(None), &mut run);
            run.causes
        })
    }
}

/// Returns `false` once the budget is spent (nothing more is evaluated).
fn walk<'v>(
    node: &Node,
    v: &'v Value,
    old: Option<&'v Value>,
    path: &Path,
    run: &mut Run<'_, 'v>,
) -> bool {
    if v.is_null() {
        return true;
    }
    let old = old.filter(|o| !o.is_null());
    if !node.rules.is_empty() && !rules(node, v, old, path, run) {
        return false;
    }
    match v {
        Value::Object(o) => {
            if let Some(a) = &node.additional {
                for (k, child) in o {
                    let was = old.and_then(|o| o.get(k));
                    if !walk(a, child, was, &path.key(k), run) {
                        return false;
                    }
                }
            }
            for (k, n) in &node.properties {
                if let Some(child) = o.get(k) {
                    let was = old.and_then(|o| o.get(k));
                    if !walk(n, child, was, &path.child(k), run) {
                        return false;
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(n) = &node.items {
                for (i, item) in items.iter().enumerate() {
                    let was = old_item(node, item, old);
                    if !walk(n, item, was, &path.index(i), run) {
                        return false;
                    }
                }
            }
        }
        _ => {}
    }
    true
}

/// The old element a `map` list's element replaces (same key fields); other lists
/// do not correlate their elements.
fn old_item<'v>(node: &Node, item: &Value, old: Option<&'v Value>) -> Option<&'v Value> {
    let keys = node.map_keys.as_ref()?;
    old?.as_array()?
        .iter()
        .find(|o| keys.iter().all(|k| o.get(k) == item.get(k)))
}

fn rules<'v>(
    node: &Node,
    v: &'v Value,
    old: Option<&'v Value>,
    path: &Path,
    run: &mut Run<'_, 'v>,
) -> bool {
    let ty = super::schema::type_name(&node.schema).to_string();
    let invalid = |path: &Path, detail: &str| Cause::invalid(path.shown(), ty.as_str(), detail);
    run.ctx
        .add_variable_as_val("self", to_val(v, &node.schema, node.root));
    let mut old_set = false;
    for rule in &node.rules {
        let program = match &rule.program {
            Ok(p) => p,
            Err(e) => {
                run.causes
                    .push(invalid(path, &format!("rule compile error: {e}")));
                continue;
            }
        };
        let optional = rule.spec.optional_old_self == Some(true);
        if rule.uses_old_self && old.is_none() && !optional {
            // transition rules run only when there is an old value to compare with
            continue;
        }
        if run.budget == 0 {
            run.causes.push(invalid(
                path,
                "validation failed due to running out of cost budget, no further validation rules will be run",
            ));
            return false;
        }
        run.budget -= 1;
        if rule.uses_old_self {
            let old_val = old.map(|o| to_val(o, &node.schema, node.root));
            if optional {
                let opt = match old_val {
                    Some(o) => CelOptional::of(o),
                    None => CelOptional::none(),
                };
                run.ctx.add_variable_as_val("oldSelf", Box::new(opt));
            } else if let Some(o) = old_val {
                run.ctx.add_variable_as_val("oldSelf", o);
            }
            old_set = true;
        } else if old_set {
            // a later rule without oldSelf never sees an earlier one's
            run.ctx
                .add_variable_as_val("oldSelf", Box::new(CelOptional::none()));
            old_set = false;
        }
        match program.execute(&run.ctx) {
            Ok(CelValue::Bool(true)) => {}
            Ok(_) => {
                let at = if rule.field_path.is_empty() {
                    path.clone()
                } else {
                    path.child(&rule.field_path)
                };
                let message = message(rule, &run.ctx);
                run.causes.push(failure(rule, &at, &ty, &message));
            }
            Err(e) => {
                let rule_str = rule.spec.error_string();
                let detail = match e {
                    ExecutionError::NoSuchOverload(_) => format!(
                        "'no such overload': call arguments did not match a supported operator, function or macro signature for rule: {rule_str}"
                    ),
                    other => format!("{} evaluating rule: {rule_str}", go_error(&other)),
                };
                run.causes.push(invalid(path, &detail));
            }
        }
    }
    true
}

/// The failure message: the `messageExpression`'s when it evaluates to a usable
/// string, else the rule's message or `failed rule: <rule>`.
fn message(rule: &Rule, ctx: &Context<'_, '_>) -> String {
    if let Some(p) = &rule.message
        && let Ok(CelValue::String(s)) = p.execute(ctx)
    {
        let s = s.trim();
        if !s.is_empty() && s.len() <= MAX_MESSAGE_BYTES && !s.contains('\n') {
            return s.to_string();
        }
    }
    rule.spec.message_or_default()
}

/// Upstream's `fieldErrorForReason`.
fn failure(rule: &Rule, path: &Path, ty: &str, message: &str) -> Cause {
    match rule.spec.reason.as_deref() {
        Some("FieldValueForbidden") => Cause::forbidden(path.shown(), message),
        Some("FieldValueRequired") => Cause::required(path.shown(), message),
        Some("FieldValueDuplicate") => Cause::duplicate(path.shown(), BadValue::Str(ty.into())),
        _ => Cause::invalid(path.shown(), ty, message),
    }
}

/// An evaluation error in cel-go's words where they differ.
fn go_error(e: &ExecutionError) -> String {
    match e {
        ExecutionError::NoSuchKey(k) => format!("no such key: {k}"),
        ExecutionError::DivisionByZero(_) => "division by zero".into(),
        ExecutionError::RemainderByZero(_) => "modulus by zero".into(),
        ExecutionError::Overflow(..) => "integer overflow".into(),
        ExecutionError::IndexOutOfBounds(i) => match i {
            CelValue::Int(i) => format!("index out of bounds: {i}"),
            other => format!("index out of bounds: {other:?}"),
        },
        ExecutionError::FunctionError { message, .. } => message.clone(),
        other => {
            let s = other.to_string();
            let mut chars = s.chars();
            match chars.next() {
                Some(c) => c.to_lowercase().chain(chars).collect(),
                None => s,
            }
        }
    }
}

/// Upstream's `ValidFieldPath`: a relative JSON path (`.a.b`, `.a['x.y']`) naming
/// fields and map keys of `schema`, as the field path it names (`a.b`, `a[x.y]`).
pub fn valid_field_path(path: &str, schema: &Value) -> Result<String, String> {
    let tokens = tokenize(path);
    let mut out = String::new();
    let mut node = schema;
    let mut i = 0;
    let mut append = |name: &str, node: &mut &Value| -> Result<(), String> {
        if let Some(props) = node.get("properties").and_then(Value::as_object) {
            let child = props
                .get(name)
                .ok_or_else(|| "does not refer to a valid field".to_string())?;
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(name);
            *node = child;
        } else if let Some(a) = node.get("additionalProperties").filter(|a| a.is_object()) {
            out.push_str(&format!("[{name}]"));
            *node = a;
        } else {
            return Err("does not refer to a valid field".into());
        }
        Ok(())
    };
    while i < tokens.len() {
        match tokens[i].as_str() {
            "[" => {
                let quoted = tokens.get(i + 1).ok_or("unexpected end of JSON path")?;
                if quoted.len() < 2 || !quoted.starts_with('\'') || !quoted.ends_with('\'') {
                    return Err(format!("expected single quoted string but got {quoted}"));
                }
                let name = unescape(&quoted[1..quoted.len() - 1])?;
                append(&name, &mut node)?;
                match tokens.get(i + 2).map(String::as_str) {
                    Some("]") => {}
                    Some(t) => return Err(format!("expected ] but got {t}")),
                    None => return Err("unexpected end of JSON path".into()),
                }
                i += 3;
            }
            "." => {
                let name = tokens.get(i + 1).ok_or("unexpected end of JSON path")?;
                append(name, &mut node)?;
                i += 2;
            }
            t => return Err(format!("expected [ or . but got: {t}")),
        }
    }
    Ok(out)
}

/// The path split at `.`, `[` and `]`, single-quoted strings kept whole.
fn tokenize(path: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let chars: Vec<char> = path.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '\'' {
            let mut j = i + 1;
            while j < chars.len() && !(chars[j] == '\'' && chars[j - 1] != '\\') {
                j += 1;
            }
            let end = (j + 1).min(chars.len());
            tokens.push(chars[i..end].iter().collect());
            i = end;
            continue;
        }
        if matches!(chars[i], '.' | '[' | ']') {
            tokens.push(chars[i].to_string());
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && !matches!(chars[i], '.' | '[' | ']' | '\'') {
            i += 1;
        }
        tokens.push(chars[start..i].iter().collect());
    }
    tokens
}

fn unescape(s: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match chars.next() {
            Some('a') => '\x07',
            Some('b') => '\x08',
            Some('f') => '\x0c',
            Some('n') => '\n',
            Some('r') => '\r',
            Some('t') => '\t',
            Some('v') => '\x0b',
            Some('\'') => '\'',
            Some('\\') => '\\',
            Some(other) => {
                return Err(format!(
                    "invalid string literal: invalid escape char \\{other}"
                ));
            }
            None => return Err("invalid string literal: invalid escape char \\".into()),
        });
    }
    Ok(out)
}
