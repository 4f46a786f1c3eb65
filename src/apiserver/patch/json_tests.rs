//! Tests of [`json_patch`] and [`merge_patch`]: RFC 6902 and RFC 7386 as
//! evanphx/json-patch v4 applies them.

use serde_json::{Value, json};

use super::{MAX_JSON_PATCH_OPERATIONS, PatchError, PatchType, json_patch, merge_patch};

fn doc() -> Value {
    json!({
        "metadata": {"name": "web", "labels": {"app": "web", "a/b": "x", "t~n": "y"}},
        "spec": {"replicas": 1, "ports": [80, 443], "nothing": null},
    })
}

#[test]
fn json_patch_applies_operations_in_order() {
    // Each case: the patch, and the `spec` it leaves (metadata never changes).
    let cases = [
        (
            "add a member",
            json!([{"op": "add", "path": "/spec/paused", "value": true}]),
            json!({"replicas": 1, "ports": [80, 443], "nothing": null, "paused": true}),
        ),
        (
            "add over an existing member replaces it",
            json!([{"op": "add", "path": "/spec/replicas", "value": 3}]),
            json!({"replicas": 3, "ports": [80, 443], "nothing": null}),
        ),
        (
            "add inserts before an index",
            json!([{"op": "add", "path": "/spec/ports/1", "value": 8080}]),
            json!({"replicas": 1, "ports": [80, 8080, 443], "nothing": null}),
        ),
        (
            "add at the length appends",
            json!([{"op": "add", "path": "/spec/ports/2", "value": 8080}]),
            json!({"replicas": 1, "ports": [80, 443, 8080], "nothing": null}),
        ),
        (
            "add at - appends",
            json!([{"op": "add", "path": "/spec/ports/-", "value": 8080}]),
            json!({"replicas": 1, "ports": [80, 443, 8080], "nothing": null}),
        ),
        (
            "negative indices count from the end",
            json!([{"op": "add", "path": "/spec/ports/-1", "value": 8080}]),
            json!({"replicas": 1, "ports": [80, 443, 8080], "nothing": null}),
        ),
        (
            "add without a value adds null",
            json!([{"op": "add", "path": "/spec/extra"}]),
            json!({"replicas": 1, "ports": [80, 443], "nothing": null, "extra": null}),
        ),
        (
            "remove a member and an element",
            json!([
                {"op": "remove", "path": "/spec/replicas"},
                {"op": "remove", "path": "/spec/ports/0"},
            ]),
            json!({"ports": [443], "nothing": null}),
        ),
        (
            "replace a member and an element",
            json!([
                {"op": "replace", "path": "/spec/replicas", "value": 5},
                {"op": "replace", "path": "/spec/ports/-1", "value": 8443},
            ]),
            json!({"replicas": 5, "ports": [80, 8443], "nothing": null}),
        ),
        (
            "replace of a missing member adds it (v4)",
            json!([{"op": "replace", "path": "/spec/paused", "value": false}]),
            json!({"replicas": 1, "ports": [80, 443], "nothing": null, "paused": false}),
        ),
        (
            "move",
            json!([{"op": "move", "from": "/spec/replicas", "path": "/spec/count"}]),
            json!({"count": 1, "ports": [80, 443], "nothing": null}),
        ),
        (
            "copy",
            json!([{"op": "copy", "from": "/spec/ports/1", "path": "/spec/ports/0"}]),
            json!({"replicas": 1, "ports": [443, 80, 443], "nothing": null}),
        ),
        (
            "copy from a missing member copies null (v4)",
            json!([{"op": "copy", "from": "/spec/missing", "path": "/spec/copied"}]),
            json!({"replicas": 1, "ports": [80, 443], "nothing": null, "copied": null}),
        ),
        (
            "passing tests change nothing",
            json!([
                {"op": "test", "path": "/spec/replicas", "value": 1},
                {"op": "test", "path": "/spec/ports", "value": [80, 443]},
                {"op": "test", "path": "/spec/missing", "value": null},
                {"op": "test", "path": "/spec/nothing", "value": null},
                {"op": "test", "path": "/spec/nothing"},
            ]),
            json!({"replicas": 1, "ports": [80, 443], "nothing": null}),
        ),
        (
            "a test guards the following operations",
            json!([
                {"op": "test", "path": "/spec/replicas", "value": 1},
                {"op": "replace", "path": "/spec/replicas", "value": 2},
            ]),
            json!({"replicas": 2, "ports": [80, 443], "nothing": null}),
        ),
        (
            "a path without a leading slash names its last segment (v4)",
            json!([{"op": "add", "path": "ignored/spec", "value": {}}]),
            json!({}),
        ),
    ];
    for (name, patch, want_spec) in cases {
        let got = json_patch(&doc(), &serde_json::to_vec(&patch).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut want = doc();
        want["spec"] = want_spec;
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn json_patch_unescapes_pointer_tokens() {
    let patch = br#"[
        {"op": "replace", "path": "/metadata/labels/a~1b", "value": "slash"},
        {"op": "remove", "path": "/metadata/labels/t~0n"}
    ]"#;
    let got = json_patch(&doc(), patch).unwrap();
    assert_eq!(
        got["metadata"]["labels"],
        json!({"app": "web", "a/b": "slash"})
    );
}

#[test]
fn json_patch_replaces_the_root() {
    let got = json_patch(&doc(), br#"[{"op":"replace","path":"","value":{"a":1}}]"#).unwrap();
    assert_eq!(got, json!({"a": 1}));
}

#[test]
fn json_patch_errors_carry_upstream_messages() {
    let cases: &[(&str, &str, u16, &str)] = &[
        (
            "missing parent",
            r#"[{"op":"add","path":"/status/phase","value":"Running"}]"#,
            422,
            r#"add operation does not apply: doc is missing path: "/status/phase": missing value"#,
        ),
        (
            "index past the end",
            r#"[{"op":"add","path":"/spec/ports/5","value":1}]"#,
            422,
            "error in add for path: '/spec/ports/5': Unable to access invalid index: 5: invalid index referenced",
        ),
        (
            "not an index",
            r#"[{"op":"add","path":"/spec/ports/x","value":1}]"#,
            422,
            "error in add for path: '/spec/ports/x': value was not a proper array index: 'x': strconv.Atoi: parsing \"x\": invalid syntax",
        ),
        (
            "remove a missing member",
            r#"[{"op":"remove","path":"/spec/paused"}]"#,
            422,
            "error in remove for path: '/spec/paused': Unable to remove nonexistent key: paused: missing value",
        ),
        (
            "replace a missing element",
            r#"[{"op":"replace","path":"/spec/ports/2","value":1}]"#,
            422,
            "replace operation does not apply: doc is missing key: /spec/ports/2: missing value",
        ),
        (
            "walk through a scalar",
            r#"[{"op":"replace","path":"/spec/replicas/x","value":1}]"#,
            422,
            "replace operation does not apply: doc is missing path: /spec/replicas/x: missing value",
        ),
        (
            "move from a missing member",
            r#"[{"op":"move","from":"/spec/gone","path":"/spec/here"}]"#,
            422,
            "error in move for path: 'gone': Unable to remove nonexistent key: gone: missing value",
        ),
        (
            "failed test",
            r#"[{"op":"test","path":"/spec/replicas","value":2}]"#,
            422,
            "testing value /spec/replicas failed: test failed",
        ),
        (
            "test of a missing member",
            r#"[{"op":"test","path":"/spec/missing","value":1}]"#,
            422,
            "testing value /spec/missing failed: test failed",
        ),
        (
            "unknown op",
            r#"[{"op":"frobnicate","path":"/spec"}]"#,
            422,
            "Unexpected kind: frobnicate",
        ),
        (
            "missing op",
            r#"[{"path":"/spec"}]"#,
            422,
            "Unexpected kind: unknown",
        ),
        (
            "missing path",
            r#"[{"op":"remove"}]"#,
            422,
            "remove operation failed to decode path: missing value",
        ),
        (
            "not a list",
            r#"{"op":"remove","path":"/spec"}"#,
            400,
            "json: cannot unmarshal object into Go value of type jsonpatch.Patch",
        ),
        (
            "not a list of objects",
            r#"["remove"]"#,
            400,
            "json: cannot unmarshal string into Go value of type jsonpatch.Operation",
        ),
    ];
    for (name, patch, code, message) in cases {
        let err = json_patch(&doc(), patch.as_bytes()).expect_err(name);
        assert_eq!(err.code(), *code, "{name}: {err:?}");
        assert_eq!(err.to_string(), *message, "{name}");
    }
    let err = json_patch(&doc(), b"[{").unwrap_err();
    assert_eq!(err.code(), 400);
}

#[test]
fn json_patch_test_failure_names_the_path() {
    let err = json_patch(
        &doc(),
        br#"[{"op":"test","path":"/spec/replicas","value":"1"}]"#,
    )
    .unwrap_err();
    assert_eq!(
        err,
        PatchError::TestFailed {
            path: "/spec/replicas".into()
        }
    );
}

#[test]
fn json_patch_limits_operations() {
    let ops: Vec<Value> = (0..=MAX_JSON_PATCH_OPERATIONS)
        .map(|_| json!({"op": "test", "path": "/spec/replicas", "value": 1}))
        .collect();
    let err = json_patch(&doc(), &serde_json::to_vec(&ops).unwrap()).unwrap_err();
    assert_eq!(err.code(), 413);
    assert_eq!(
        err.to_string(),
        "The allowed maximum operations in a JSON patch is 10000, got 10001"
    );
}

#[test]
fn merge_patch_follows_rfc7386() {
    let cases = [
        (
            "objects merge, null deletes, scalars replace",
            json!({"a": {"b": 1, "c": 2}, "d": "x"}),
            json!({"a": {"c": null, "e": 3}, "d": "y"}),
            json!({"a": {"b": 1, "e": 3}, "d": "y"}),
        ),
        (
            "lists are replaced whole",
            json!({"list": [1, 2, 3]}),
            json!({"list": [4]}),
            json!({"list": [4]}),
        ),
        (
            "null for a missing member is ignored",
            json!({"a": 1}),
            json!({"b": null}),
            json!({"a": 1}),
        ),
        (
            "nulls inside a new member are dropped",
            json!({"a": 1}),
            json!({"b": {"c": null, "d": {"e": null, "f": 1}}}),
            json!({"a": 1, "b": {"d": {"f": 1}}}),
        ),
        (
            "an object replaces a scalar, without its nulls",
            json!({"a": 1}),
            json!({"a": {"b": null, "c": 2}}),
            json!({"a": {"c": 2}}),
        ),
        (
            "a scalar replaces an object",
            json!({"a": {"b": 1}}),
            json!({"a": "flat"}),
            json!({"a": "flat"}),
        ),
        (
            "an existing null member counts as missing",
            json!({"a": null}),
            json!({"a": {"b": 1}}),
            json!({"a": {"b": 1}}),
        ),
        (
            "the empty patch changes nothing",
            json!({"a": [1]}),
            json!({}),
            json!({"a": [1]}),
        ),
        (
            "a list patch is the result",
            json!({"a": 1}),
            json!([{"b": null, "c": 1}, null]),
            json!([{"c": 1}, null]),
        ),
    ];
    for (name, doc, patch, want) in cases {
        let got = merge_patch(&doc, &serde_json::to_vec(&patch).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn merge_patch_rejects_what_v4_rejects() {
    for patch in ["null", "1", "\"x\"", "{"] {
        let err = merge_patch(&json!({"a": 1}), patch.as_bytes()).unwrap_err();
        assert_eq!(err.code(), 400, "{patch}");
        assert_eq!(err.to_string(), "Invalid JSON Patch", "{patch}");
    }
}

#[test]
fn patch_type_parses_content_types() {
    let cases = [
        ("application/json-patch+json", Some(PatchType::Json)),
        (
            "application/merge-patch+json; charset=utf-8",
            Some(PatchType::Merge),
        ),
        (
            "Application/Strategic-Merge-Patch+JSON",
            Some(PatchType::StrategicMerge),
        ),
        ("application/apply-patch+yaml", Some(PatchType::Apply)),
        ("application/json", None),
    ];
    for (ct, want) in cases {
        assert_eq!(PatchType::from_content_type(ct), want, "{ct}");
    }
    for t in PatchType::ALL {
        assert_eq!(PatchType::from_content_type(t.content_type()), Some(t));
    }
}
