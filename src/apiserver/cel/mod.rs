//! CEL validation rules of custom resources (`x-kubernetes-validations`), with
//! upstream's semantics (k8s.io/apiextensions-apiserver `pkg/apiserver/schema/cel`):
//! [`check_schema`] is the CRD-side validation of the rules (their fields, and that
//! each compiles), [`Validator`] the rules of one CRD version's schema, compiled once,
//! and [`Validator::validate`] runs them on a custom resource (and its old version, for
//! transition rules). [`Rules`] keeps one `Validator` per served version, rebuilt when
//! a CRD's schema changes. Start at [`Validator::new`].
//!
//! The parser and interpreter are the `cel` crate's; `compile` adds the checks
//! upstream's type checker makes that matter most (undeclared names and functions,
//! fields the schema lacks, a result that is not a bool), `library` the Kubernetes
//! functions the crate lacks. Both compilation and evaluation run on a thread with a
//! large stack, so a deeply nested rule is an error, never a stack overflow.

mod compile;
mod eval;
mod library;
mod schema;
#[cfg(test)]
mod tests;
mod value;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use cel::{Env, Program};
use serde_json::Value;

use crate::api::goformat::quote;
use crate::api::status::{BadValue, Cause};

use compile::{Scope, compile, with_big_stack};
use schema::Ty;

/// The reasons a rule may give its failures.
const REASONS: [&str; 4] = [
    "FieldValueDuplicate",
    "FieldValueForbidden",
    "FieldValueInvalid",
    "FieldValueRequired",
];

/// One entry of `x-kubernetes-validations`.
#[derive(Debug, Clone, Default)]
struct RuleSpec {
    rule: String,
    message: String,
    message_expression: String,
    reason: Option<String>,
    field_path: String,
    optional_old_self: Option<bool>,
}

impl RuleSpec {
    fn from_json(v: &Value) -> RuleSpec {
        let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        RuleSpec {
            rule: s("rule"),
            message: s("message"),
            message_expression: s("messageExpression"),
            reason: v.get("reason").and_then(Value::as_str).map(str::to_string),
            field_path: s("fieldPath"),
            optional_old_self: v.get("optionalOldSelf").and_then(Value::as_bool),
        }
    }

    /// Upstream's `ruleErrorString`: the message if there is one, else the rule.
    fn error_string(&self) -> &str {
        if !self.message.is_empty() {
            self.message.trim()
        } else {
            self.rule.trim()
        }
    }

    /// Upstream's `ruleMessageOrDefault`.
    fn message_or_default(&self) -> String {
        if self.message.is_empty() {
            format!("failed rule: {}", self.error_string())
        } else {
            self.message.trim().to_string()
        }
    }

    /// How upstream prints the rule as an invalid value (Go's `%#v` of its internal
    /// `ValidationRule`; a set pointer shows as a placeholder address, as Go's shows
    /// one of its own).
    fn go_value(&self) -> BadValue {
        let reason = match &self.reason {
            None => "(*apiextensions.FieldValueErrorReason)(nil)",
            Some(_) => "(*apiextensions.FieldValueErrorReason)(0xc000000000)",
        };
        let optional = match self.optional_old_self {
            None => "(*bool)(nil)",
            Some(_) => "(*bool)(0xc000000008)",
        };
        BadValue::Raw(format!(
            "apiextensions.ValidationRule{{Rule:{}, Message:{}, MessageExpression:{}, Reason:{reason}, FieldPath:{}, OptionalOldSelf:{optional}}}",
            quote(&self.rule),
            quote(&self.message),
            quote(&self.message_expression),
            quote(&self.field_path),
        ))
    }
}

/// A compiled rule.
struct Rule {
    spec: RuleSpec,
    /// `Err` is the compile error (a rule stored before it stopped compiling).
    program: Result<Program, String>,
    message: Option<Program>,
    uses_old_self: bool,
    /// `fieldPath`, normalized (`spec.x`), relative to the rule's node.
    field_path: String,
}

/// The rules of one schema node and of the nodes under it that have rules.
struct Node {
    schema: Value,
    root: bool,
    rules: Vec<Rule>,
    properties: Vec<(String, Node)>,
    additional: Option<Box<Node>>,
    items: Option<Box<Node>>,
    /// `x-kubernetes-list-map-keys` of a `map` list: how old items are found.
    map_keys: Option<Vec<String>>,
}

/// The compiled rules of one CRD version's schema.
pub struct Validator {
    env: Arc<Env>,
    root: Option<Node>,
}

fn environment() -> Env {
    let mut env = Env::stdlib();
    env.add_extension(cel::extensions::strings)
        .expect("the strings extension declares once");
    library::register(&mut env).expect("kelp's CEL library declares once");
    env
}

impl Validator {
    /// Compiles every rule of `schema` (a version's `openAPIV3Schema`).
    pub fn new(schema: &Value) -> Validator {
        let env = environment();
        let root = with_big_stack(|| build(&env, schema, true));
        Validator {
            env: Arc::new(env),
            root,
        }
    }

    /// Whether the schema has any rule.
    pub fn is_empty(&self) -> bool {
        self.root.is_none()
    }
}

fn has_rules(schema: &Value) -> bool {
    schema
        .get("x-kubernetes-validations")
        .and_then(Value::as_array)
        .is_some_and(|r| !r.is_empty())
        || schema
            .get("properties")
            .and_then(Value::as_object)
            .is_some_and(|p| p.values().any(has_rules))
        || schema.get("additionalProperties").is_some_and(has_rules)
        || schema.get("items").is_some_and(has_rules)
}

fn build(env: &Env, schema: &Value, root: bool) -> Option<Node> {
    if !schema.is_object() || !has_rules(schema) {
        return None;
    }
    let rules = schema
        .get("x-kubernetes-validations")
        .and_then(Value::as_array)
        .map(|rules| {
            rules
                .iter()
                .map(|r| compile_rule(env, &RuleSpec::from_json(r), schema, root).0)
                .collect()
        })
        .unwrap_or_default();
    let mut properties: Vec<(String, Node)> = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| {
            p.iter()
                .filter_map(|(k, s)| build(env, s, false).map(|n| (k.clone(), n)))
                .collect()
        })
        .unwrap_or_default();
    properties.sort_by(|a, b| a.0.cmp(&b.0));
    let map_keys = (schema.get("x-kubernetes-list-type").and_then(Value::as_str) == Some("map"))
        .then(|| {
            schema
                .get("x-kubernetes-list-map-keys")
                .and_then(Value::as_array)
                .map(|k| {
                    k.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        });
    Some(Node {
        schema: schema.clone(),
        root,
        rules,
        properties,
        additional: schema
            .get("additionalProperties")
            .and_then(|a| build(env, a, false))
            .map(Box::new),
        items: schema
            .get("items")
            .and_then(|i| build(env, i, false))
            .map(Box::new),
        map_keys,
    })
}

/// Problems of a rule's expressions, as the CRD's causes report them.
#[derive(Default)]
struct RuleErrors {
    rule: Option<String>,
    message_expression: Option<String>,
}

fn compile_rule(env: &Env, spec: &RuleSpec, node: &Value, root: bool) -> (Rule, RuleErrors) {
    let mut errors = RuleErrors::default();
    let scope = Scope {
        self_ty: Ty::of(node, root),
        optional_old_self: spec.optional_old_self == Some(true),
    };
    let (program, uses_old_self) = if spec.rule.trim().is_empty() {
        (Err("rule is not specified".to_string()), false)
    } else {
        match compile(env, &spec.rule, &scope) {
            Err(issues) => {
                let detail = format!("compilation failed: {issues}");
                errors.rule = Some(detail.clone());
                (Err(detail), false)
            }
            Ok(c) if !matches!(c.ty, Ty::Bool | Ty::Dyn) => {
                let detail = "cel expression must evaluate to a bool".to_string();
                errors.rule = Some(detail.clone());
                (Err(detail), c.uses_old_self)
            }
            Ok(c) => (Ok(c.program), c.uses_old_self),
        }
    };
    let message = if spec.message_expression.trim().is_empty() {
        None
    } else {
        match compile(env, &spec.message_expression, &scope) {
            Err(issues) => {
                errors.message_expression =
                    Some(format!("messageExpression compilation failed: {issues}"));
                None
            }
            Ok(c) if !matches!(c.ty, Ty::String | Ty::Dyn) => {
                errors.message_expression =
                    Some("messageExpression must evaluate to a string".to_string());
                None
            }
            Ok(c) => Some(c.program),
        }
    };
    let field_path = eval::valid_field_path(&spec.field_path, node).unwrap_or_default();
    (
        Rule {
            spec: spec.clone(),
            program,
            message,
            uses_old_self,
            field_path,
        },
        errors,
    )
}

/// Upstream's CRD validation of every `x-kubernetes-validations` in `schema` (at
/// `path`, e.g. `spec.validation.openAPIV3Schema`): each rule's fields, then (when
/// they are sound) that its expressions compile.
pub fn check_schema(schema: &Value, path: &str) -> Vec<Cause> {
    if !has_rules(schema) {
        return vec![];
    }
    let env = environment();
    with_big_stack(|| {
        let mut causes = Vec::new();
        check_node(&env, schema, path, true, None, &mut causes);
        causes
    })
}

fn check_node(
    env: &Env,
    schema: &Value,
    path: &str,
    root: bool,
    uncorrelatable: Option<&str>,
    causes: &mut Vec<Cause>,
) {
    if !schema.is_object() {
        return;
    }
    if let Some(a) = schema.get("additionalProperties").filter(|a| a.is_object()) {
        check_node(
            env,
            a,
            &format!("{path}.additionalProperties"),
            false,
            uncorrelatable,
            causes,
        );
    }
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (k, s) in props {
            check_node(
                env,
                s,
                &format!("{path}.properties[{k}]"),
                false,
                uncorrelatable,
                causes,
            );
        }
    }
    if let Some(items) = schema.get("items").filter(|i| i.is_object()) {
        let is_map = schema.get("x-kubernetes-list-type").and_then(Value::as_str) == Some("map");
        let within = if is_map { uncorrelatable } else { Some(path) };
        check_node(env, items, &format!("{path}.items"), false, within, causes);
    }
    let Some(rules) = schema
        .get("x-kubernetes-validations")
        .and_then(Value::as_array)
    else {
        return;
    };
    let before = causes.len();
    let specs: Vec<RuleSpec> = rules.iter().map(RuleSpec::from_json).collect();
    for (i, spec) in specs.iter().enumerate() {
        check_fields(
            spec,
            schema,
            &format!("{path}.x-kubernetes-validations[{i}]"),
            causes,
        );
    }
    // as upstream, the expressions are compiled only when the schema is otherwise sound
    if causes.len() != before {
        return;
    }
    for (i, spec) in specs.iter().enumerate() {
        let at = format!("{path}.x-kubernetes-validations[{i}]");
        let (rule, errors) = compile_rule(env, spec, schema, root);
        if let Some(detail) = errors.rule {
            causes.push(Cause::invalid(
                &format!("{at}.rule"),
                spec.go_value(),
                &detail,
            ));
        }
        if let Some(detail) = errors.message_expression {
            causes.push(Cause::invalid(
                &format!("{at}.messageExpression"),
                spec.go_value(),
                &detail,
            ));
        }
        if rule.uses_old_self {
            if let Some(within) = uncorrelatable {
                causes.push(Cause::invalid(
                    &format!("{at}.rule"),
                    spec.rule.as_str(),
                    &format!(
                        "oldSelf cannot be used on the uncorrelatable portion of the schema within {within}"
                    ),
                ));
            }
        } else if let Some(optional) = spec.optional_old_self {
            causes.push(Cause::invalid(
                &format!("{at}.optionalOldSelf"),
                optional,
                "may not be set if oldSelf is not used in rule",
            ));
        }
    }
}

/// The checks of a rule's own fields, in upstream's order.
fn check_fields(spec: &RuleSpec, schema: &Value, at: &str, causes: &mut Vec<Cause>) {
    let rule = spec.rule.trim();
    let message = spec.message.trim();
    if rule.is_empty() {
        causes.push(Cause::required(
            &format!("{at}.rule"),
            "rule is not specified",
        ));
    } else if !spec.message.is_empty() && message.is_empty() {
        causes.push(Cause::invalid(
            &format!("{at}.message"),
            spec.message.as_str(),
            "message must be non-empty if specified",
        ));
    } else if message.contains('\n') {
        causes.push(Cause::invalid(
            &format!("{at}.message"),
            spec.message.as_str(),
            "message must not contain line breaks",
        ));
    } else if rule.contains('\n') && message.is_empty() {
        causes.push(Cause::required(
            &format!("{at}.message"),
            "message must be specified if rule contains line breaks",
        ));
    }
    if !spec.message_expression.is_empty() && spec.message_expression.trim().is_empty() {
        causes.push(Cause::required(
            &format!("{at}.messageExpression"),
            "messageExpression must be non-empty if specified",
        ));
    }
    if let Some(reason) = &spec.reason
        && !REASONS.contains(&reason.as_str())
    {
        causes.push(Cause::not_supported(
            &format!("{at}.reason"),
            reason.as_str(),
            &REASONS,
        ));
    }
    let field_path = &spec.field_path;
    if !field_path.is_empty() && field_path.trim().is_empty() {
        causes.push(Cause::invalid(
            &format!("{at}.fieldPath"),
            field_path.as_str(),
            "fieldPath must be non-empty if specified",
        ));
    }
    if field_path.contains('\n') {
        causes.push(Cause::invalid(
            &format!("{at}.fieldPath"),
            field_path.as_str(),
            "fieldPath must not contain line breaks",
        ));
    }
    if !field_path.is_empty() && eval::valid_field_path(field_path, schema).is_err() {
        causes.push(Cause::invalid(
            &format!("{at}.fieldPath"),
            field_path.as_str(),
            "fieldPath must be a valid path",
        ));
    }
}

/// The compiled rules of every served custom resource version that has any, by
/// group, plural and version; rebuilt from the CRDs after every CRD sync, compiling
/// only the schemas that changed.
#[derive(Default)]
pub struct Rules {
    by_version: RwLock<HashMap<VersionKey, (Value, Arc<Validator>)>>,
}

/// Group, plural, version.
type VersionKey = (String, String, String);

impl Rules {
    pub fn set(&self, crds: &[Value]) {
        let old = std::mem::take(&mut *self.by_version.write().expect("poisoned"));
        let mut next = HashMap::new();
        for crd in crds {
            let spec = &crd["spec"];
            let (Some(group), Some(plural)) =
                (spec["group"].as_str(), spec["names"]["plural"].as_str())
            else {
                continue;
            };
            for v in spec["versions"].as_array().into_iter().flatten() {
                let (Some(version), Some(schema)) =
                    (v["name"].as_str(), v["schema"].get("openAPIV3Schema"))
                else {
                    continue;
                };
                if !has_rules(schema) {
                    continue;
                }
                let key = (group.to_string(), plural.to_string(), version.to_string());
                let validator = match old.get(&key) {
                    Some((s, validator)) if s == schema => validator.clone(),
                    _ => Arc::new(Validator::new(schema)),
                };
                next.insert(key, (schema.clone(), validator));
            }
        }
        *self.by_version.write().expect("poisoned") = next;
    }

    /// The rules of a custom resource version; `None` when it has none.
    pub fn get(&self, group: &str, plural: &str, version: &str) -> Option<Arc<Validator>> {
        let key = (group.to_string(), plural.to_string(), version.to_string());
        self.by_version
            .read()
            .expect("poisoned")
            .get(&key)
            .map(|(_, v)| v.clone())
    }
}
