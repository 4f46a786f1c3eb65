use serde_json::{Value, json};

use super::*;

fn schema_with(spec_rules: Value, extra: Value) -> Value {
    let mut spec = json!({
        "type": "object",
        "properties": {
            "replicas": {"type": "integer"},
            "max": {"type": "integer"},
            "ratio": {"type": "number"},
            "name": {"type": "string"},
            "mode": {"type": "string"},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "list": {"type": "array", "items": {"type": "integer"}},
            "ports": {"type": "array", "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["name"],
                "items": {"type": "object", "properties": {
                    "name": {"type": "string"}, "port": {"type": "integer"}},
                    "x-kubernetes-validations": [
                        {"rule": "self.port == oldSelf.port", "message": "port is immutable"}]}},
            "items": {"type": "array", "items": {"type": "string",
                "x-kubernetes-validations": [{"rule": "self.startsWith('x')"}]}},
            "any": {"x-kubernetes-int-or-string": true},
        },
        "x-kubernetes-validations": spec_rules,
    });
    if let (Some(o), Some(e)) = (spec.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            o.insert(k.clone(), v.clone());
        }
    }
    json!({"type": "object", "properties": {"spec": spec}})
}

fn lines(schema: &Value, obj: &Value, old: Option<&Value>) -> Vec<String> {
    Validator::new(schema)
        .validate(obj, old)
        .iter()
        .map(Cause::to_line)
        .collect()
}

fn rule_lines(rule: Value, spec: Value, old: Option<Value>) -> Vec<String> {
    let schema = schema_with(json!([rule]), json!({}));
    let old = old.map(|o| json!({"spec": o}));
    lines(&schema, &json!({"spec": spec}), old.as_ref())
}

#[test]
fn rules_pass_and_fail_with_upstreams_messages() {
    let cases: Vec<(Value, Value, Vec<&str>)> = vec![
        (
            json!({"rule": "self.replicas <= self.max"}),
            json!({"replicas": 1, "max": 2}),
            vec![],
        ),
        (
            json!({"rule": "self.replicas <= self.max"}),
            json!({"replicas": 3, "max": 2}),
            vec![r#"spec: Invalid value: "object": failed rule: self.replicas <= self.max"#],
        ),
        (
            json!({"rule": "self.replicas <= self.max", "message": "too many"}),
            json!({"replicas": 3, "max": 2}),
            vec![r#"spec: Invalid value: "object": too many"#],
        ),
        (
            json!({"rule": "self.replicas <= self.max",
                "messageExpression": "'replicas ' + string(self.replicas) + ' > ' + string(self.max)"}),
            json!({"replicas": 3, "max": 2}),
            vec![r#"spec: Invalid value: "object": replicas 3 > 2"#],
        ),
        (
            json!({"rule": "self.replicas <= self.max", "fieldPath": ".replicas",
                "reason": "FieldValueForbidden", "message": "no"}),
            json!({"replicas": 3, "max": 2}),
            vec!["spec.replicas: Forbidden: no"],
        ),
        (
            json!({"rule": "has(self.name)", "reason": "FieldValueRequired", "message": "name it"}),
            json!({}),
            vec!["spec: Required value: name it"],
        ),
        (
            json!({"rule": "false", "reason": "FieldValueDuplicate"}),
            json!({}),
            vec![r#"spec: Duplicate value: "object""#],
        ),
        // an absent field is an evaluation error, as upstream
        (
            json!({"rule": "self.name == 'a'"}),
            json!({}),
            vec![
                r#"spec: Invalid value: "object": no such key: name evaluating rule: self.name == 'a'"#,
            ],
        ),
        // number is double even when the JSON is an integer
        (
            json!({"rule": "self.ratio == 2.0"}),
            json!({"ratio": 2}),
            vec![],
        ),
        (
            json!({"rule": "self.replicas == 2"}),
            json!({"replicas": 2}),
            vec![],
        ),
        (
            json!({"rule": "self.labels.all(k, self.labels[k].size() < 3)"}),
            json!({"labels": {"a": "bb"}}),
            vec![],
        ),
        (
            json!({"rule": "self.list.exists_one(x, x == 2) && self.list.isSorted()"}),
            json!({"list": [1, 2, 3]}),
            vec![],
        ),
        (
            json!({"rule": "self.list.sum() == 6 && self.list.min() == 1 && self.list.max() == 3"}),
            json!({"list": [1, 2, 3]}),
            vec![],
        ),
        (
            json!({"rule": "self.list.indexOf(2) == 1 && self.list.lastIndexOf(9) == -1"}),
            json!({"list": [1, 2, 3]}),
            vec![],
        ),
        (
            json!({"rule": "self.list.map(x, x * 2).filter(x, x > 2) == [4, 6]"}),
            json!({"list": [1, 2, 3]}),
            vec![],
        ),
        (
            json!({"rule": "self.name.matches('^[a-z]+$') && self.name.upperAscii() == 'AB'"}),
            json!({"name": "ab"}),
            vec![],
        ),
        (
            json!({"rule": "self.name.split('-').join('.') == 'a.b' && ' x '.trim() == 'x'"}),
            json!({"name": "a-b"}),
            vec![],
        ),
        (
            json!({"rule": "self.name.replace('a', 'b').lowerAscii() == 'bb'"}),
            json!({"name": "aB"}),
            vec![],
        ),
        (
            json!({"rule": "sets.contains(self.list, [1]) && self.name.find('[0-9]+') == '12'"}),
            json!({"list": [1], "name": "a12"}),
            vec![],
        ),
        (
            json!({"rule": "self.any == 3 || self.any == 'x'"}),
            json!({"any": "x"}),
            vec![],
        ),
    ];
    for (rule, spec, want) in cases {
        assert_eq!(rule_lines(rule.clone(), spec, None), want, "{rule}");
    }
}

#[test]
fn rules_at_the_root_see_metadata_name_and_print_nil() {
    let schema = json!({"type": "object",
        "x-kubernetes-validations": [{"rule": "self.metadata.name.startsWith('a')"}],
        "properties": {"spec": {"type": "object"}}});
    let ok = json!({"apiVersion": "x/v1", "kind": "K", "metadata": {"name": "ab", "uid": "u"}});
    assert!(lines(&schema, &ok, None).is_empty());
    let bad = json!({"metadata": {"name": "b"}});
    assert_eq!(
        lines(&schema, &bad, None),
        [r#"<nil>: Invalid value: "object": failed rule: self.metadata.name.startsWith('a')"#]
    );
}

#[test]
fn array_items_run_per_element_with_their_index() {
    assert_eq!(
        rule_lines(
            json!({"rule": "true"}),
            json!({"items": ["xa", "b", "xc", "d"]}),
            None
        ),
        [
            r#"spec.items[1]: Invalid value: "string": failed rule: self.startsWith('x')"#,
            r#"spec.items[3]: Invalid value: "string": failed rule: self.startsWith('x')"#,
        ]
    );
}

#[test]
fn transition_rules_run_only_with_an_old_value() {
    let rule = json!({"rule": "self.name == oldSelf.name", "message": "is immutable"});
    // a create has no old value: the rule does not run
    assert!(rule_lines(rule.clone(), json!({"name": "a"}), None).is_empty());
    assert!(
        rule_lines(
            rule.clone(),
            json!({"name": "a"}),
            Some(json!({"name": "a"}))
        )
        .is_empty()
    );
    assert_eq!(
        rule_lines(rule, json!({"name": "b"}), Some(json!({"name": "a"}))),
        [r#"spec: Invalid value: "object": is immutable"#]
    );
    // optionalOldSelf: runs on create too, with oldSelf an optional
    let optional = json!({"rule": "!oldSelf.hasValue() || self.name == oldSelf.value().name",
        "optionalOldSelf": true, "message": "is immutable"});
    assert!(rule_lines(optional.clone(), json!({"name": "a"}), None).is_empty());
    assert_eq!(
        rule_lines(optional, json!({"name": "b"}), Some(json!({"name": "a"}))).len(),
        1
    );
    // map lists correlate old items by key; new items have no old value
    let ports =
        |p: i64| json!({"ports": [{"name": "http", "port": p}, {"name": "new", "port": 1}]});
    assert!(rule_lines(json!({"rule": "true"}), ports(80), Some(ports(80))).is_empty());
    assert_eq!(
        rule_lines(
            json!({"rule": "true"}),
            ports(81),
            Some(json!({"ports": [{"name": "http", "port": 80}]}))
        ),
        [r#"spec.ports[0]: Invalid value: "object": port is immutable"#]
    );
}

fn crd_lines(rule: Value) -> Vec<String> {
    let schema = json!({"type": "object", "properties": {"spec": {"type": "object",
        "properties": {"replicas": {"type": "integer"}, "list": {"type": "array",
            "items": {"type": "object", "properties": {"a": {"type": "string"}},
                "x-kubernetes-validations": [{"rule": "true"}]}}},
        "x-kubernetes-validations": [rule]}}});
    check_schema(&schema, "spec.validation.openAPIV3Schema")
        .iter()
        .map(Cause::to_line)
        .collect()
}

const AT: &str = "spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0]";

#[test]
fn crd_rules_that_do_not_compile_are_invalid() {
    assert!(crd_lines(json!({"rule": "self.replicas > 1"})).is_empty());
    let value = |rule: &str| {
        format!(
            "apiextensions.ValidationRule{{Rule:{rule:?}, Message:\"\", MessageExpression:\"\", Reason:(*apiextensions.FieldValueErrorReason)(nil), FieldPath:\"\", OptionalOldSelf:(*bool)(nil)}}"
        )
    };
    let cases = [
        (
            "self.nope == 1",
            "compilation failed: ERROR: <input>:1:5: undefined field 'nope'\n | self.nope == 1\n | ....^",
        ),
        (
            "foo == 1",
            "compilation failed: ERROR: <input>:1:1: undeclared reference to 'foo' (in container '')\n | foo == 1\n | ^",
        ),
        (
            "self.replicas.frobnicate()",
            "compilation failed: ERROR: <input>:1:25: undeclared reference to 'frobnicate' (in container '')\n | self.replicas.frobnicate()\n | ........................^",
        ),
        (
            "self.replicas + 1",
            "cel expression must evaluate to a bool",
        ),
    ];
    for (rule, detail) in cases {
        assert_eq!(
            crd_lines(json!({"rule": rule})),
            [format!(
                "{AT}.rule: Invalid value: {}: {detail}",
                value(rule)
            )],
            "{rule}"
        );
    }
    // a syntax error
    let syntax = crd_lines(json!({"rule": "self.replicas =="}));
    assert_eq!(syntax.len(), 1);
    assert!(
        syntax[0].contains(": compilation failed: ERROR: <input>:1:"),
        "{}",
        syntax[0]
    );
}

#[test]
fn crd_rule_fields_are_checked_as_upstream() {
    assert_eq!(
        crd_lines(json!({"rule": " "})),
        [format!("{AT}.rule: Required value: rule is not specified")]
    );
    assert_eq!(
        crd_lines(json!({"rule": "true", "reason": "Nope"})),
        [format!(
            r#"{AT}.reason: Unsupported value: "Nope": supported values: "FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired""#
        )]
    );
    assert_eq!(
        crd_lines(json!({"rule": "true", "fieldPath": ".missing"})),
        [format!(
            r#"{AT}.fieldPath: Invalid value: ".missing": fieldPath must be a valid path"#
        )]
    );
    assert_eq!(
        crd_lines(json!({"rule": "true", "optionalOldSelf": true})),
        [format!(
            "{AT}.optionalOldSelf: Invalid value: true: may not be set if oldSelf is not used in rule"
        )]
    );
    let schema = json!({"type": "object", "properties": {"list": {"type": "array",
        "items": {"type": "string", "x-kubernetes-validations": [{"rule": "self == oldSelf"}]}}}});
    assert_eq!(
        check_schema(&schema, "s")
            .iter()
            .map(Cause::to_line)
            .collect::<Vec<_>>(),
        [
            r#"s.properties[list].items.x-kubernetes-validations[0].rule: Invalid value: "self == oldSelf": oldSelf cannot be used on the uncorrelatable portion of the schema within s.properties[list]"#
        ]
    );
}

#[test]
fn deeply_nested_rules_are_rejected_not_a_crash() {
    let deep = format!("{}true{}", "(".repeat(10_000), ")".repeat(10_000));
    let got = crd_lines(json!({"rule": deep}));
    assert_eq!(got.len(), 1);
    assert!(
        got[0].contains("compilation failed: ERROR: <input>:1:33: max recursion depth exceeded"),
        "{}",
        &got[0][..300]
    );
    // long operator chains parse, but are too deep to evaluate
    let chain = format!("1{} == 1", " + 1".repeat(5_000));
    let got = crd_lines(json!({"rule": chain}));
    assert_eq!(got.len(), 1);
    assert!(got[0].contains("max recursion depth exceeded"));
    let huge = "a".repeat(compile::MAX_RULE_LEN + 1);
    let got = crd_lines(json!({"rule": huge}));
    assert!(
        got[0].contains("expression code point size exceeds limit: size: 100001, limit 100000")
    );
}

#[test]
fn field_paths_normalize_as_upstream() {
    let schema = json!({"type": "object", "properties": {
        "a": {"type": "object", "properties": {"b": {"type": "string"}}},
        "m": {"type": "object", "additionalProperties": {"type": "string"}}}});
    assert_eq!(
        eval::valid_field_path(".a.b", &schema).as_deref(),
        Ok("a.b")
    );
    assert_eq!(
        eval::valid_field_path(".m['x.y']", &schema).as_deref(),
        Ok("m[x.y]")
    );
    assert!(eval::valid_field_path(".c", &schema).is_err());
    assert!(eval::valid_field_path("a", &schema).is_err());
}

#[test]
fn the_cache_recompiles_only_changed_schemas() {
    let crd = |rule: &str| {
        json!({"spec": {"group": "g.io", "names": {"plural": "ks"},
        "versions": [{"name": "v1", "schema": {"openAPIV3Schema": {"type": "object",
            "x-kubernetes-validations": [{"rule": rule}]}}}]}})
    };
    let rules = Rules::default();
    rules.set(&[crd("true")]);
    let first = rules.get("g.io", "ks", "v1").expect("compiled");
    rules.set(&[crd("true")]);
    assert!(Arc::ptr_eq(
        &first,
        &rules.get("g.io", "ks", "v1").expect("kept")
    ));
    rules.set(&[crd("false")]);
    assert!(!Arc::ptr_eq(
        &first,
        &rules.get("g.io", "ks", "v1").expect("rebuilt")
    ));
    rules.set(&[]);
    assert!(rules.get("g.io", "ks", "v1").is_none());
}
