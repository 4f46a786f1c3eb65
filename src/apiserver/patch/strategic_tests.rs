//! Tests of [`strategic_merge_patch`]: upstream's semantics (cases written after
//! apimachinery's `patch_test.go`) on a small test schema. `builtin_tests` has the
//! built-in schemas and what kubectl really sends.

use serde_json::{Value, json};

use super::{FieldMeta, MergeSchema, PatchError, strategic_merge_patch};

/// The shape of upstream's test struct: `mergingList` merges by `name` (also nested in
/// itself), `mergingIntList` is a set, `replacingItem` is replaced whole; everything
/// else has no strategy.
struct TestSchema;

impl MergeSchema for TestSchema {
    fn field(&self, path: &[&str]) -> FieldMeta {
        match path {
            ["mergingList"] | ["mergingList", "mergingList"] => FieldMeta::merge_by("name"),
            ["mergingIntList"] => FieldMeta::merge_primitives(),
            ["replacingItem"] => FieldMeta::replace(),
            ["retainKeysMergingList"] => FieldMeta::merge_by("name").with_retain_keys(),
            _ => FieldMeta::DEFAULT,
        }
    }
}

pub(super) fn smp(
    doc: &Value,
    patch: &Value,
    schema: &dyn MergeSchema,
) -> Result<Value, PatchError> {
    strategic_merge_patch(doc, &serde_json::to_vec(patch).unwrap(), schema)
}

#[test]
fn merges_like_upstream() {
    let cases = [
        (
            "members are added, changed and deleted by null",
            json!({"a": 1, "b": 2, "m": {"x": 1, "y": 2}}),
            json!({"a": 10, "b": null, "c": 3, "m": {"y": null, "z": 3}, "gone": null}),
            json!({"a": 10, "c": 3, "m": {"x": 1, "z": 3}}),
        ),
        (
            "lists without a strategy are replaced",
            json!({"nonMergingList": [{"name": "a"}, {"name": "b"}], "nonMergingIntList": [1, 2]}),
            json!({"nonMergingList": [{"name": "c"}], "nonMergingIntList": [3]}),
            json!({"nonMergingList": [{"name": "c"}], "nonMergingIntList": [3]}),
        ),
        (
            "a merging list merges elements by key",
            json!({"mergingList": [{"name": "a", "value": 1}, {"name": "b", "value": 2}]}),
            json!({"mergingList": [{"name": "b", "value": 20, "other": "x"}, {"name": "c"}]}),
            json!({"mergingList": [
                {"name": "a", "value": 1},
                {"name": "b", "value": 20, "other": "x"},
                {"name": "c"},
            ]}),
        ),
        (
            "without $setElementOrder a new element goes first",
            json!({"mergingList": [{"name": "a"}, {"name": "b"}]}),
            json!({"mergingList": [{"name": "c"}]}),
            json!({"mergingList": [{"name": "c"}, {"name": "a"}, {"name": "b"}]}),
        ),
        (
            "null in a list element deletes its member",
            json!({"mergingList": [{"name": "a", "value": 1, "keep": true}]}),
            json!({"mergingList": [{"name": "a", "value": null}]}),
            json!({"mergingList": [{"name": "a", "keep": true}]}),
        ),
        (
            "$patch: delete removes the element with that key, if any",
            json!({"mergingList": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}),
            json!({"mergingList": [
                {"name": "b", "$patch": "delete"},
                {"name": "zz", "$patch": "delete"},
            ]}),
            json!({"mergingList": [{"name": "a"}, {"name": "c"}]}),
        ),
        (
            "$patch: replace in a list makes the other elements the list",
            json!({"mergingList": [{"name": "a", "value": 1}, {"name": "b"}]}),
            json!({"mergingList": [{"$patch": "replace"}, {"name": "c", "value": 3}, {"name": "a"}]}),
            json!({"mergingList": [{"name": "c", "value": 3}, {"name": "a"}]}),
        ),
        (
            "$patch: replace on an object replaces it",
            json!({"m": {"x": 1, "y": 2}}),
            json!({"m": {"$patch": "replace", "z": 3}}),
            json!({"m": {"z": 3}}),
        ),
        (
            "$patch: delete on an object empties it",
            json!({"m": {"x": 1}, "n": 1}),
            json!({"m": {"$patch": "delete"}}),
            json!({"m": {}, "n": 1}),
        ),
        (
            "a new member carrying $patch is dropped",
            json!({"a": 1}),
            json!({"m": {"$patch": "replace", "x": 1}, "n": {"inner": {"$patch": "delete"}, "keep": 1}}),
            json!({"a": 1, "n": {"keep": 1}}),
        ),
        (
            "a new merging list loses its directive elements",
            json!({"name": "hi"}),
            json!({"mergingList": [{"name": "hello"}, {"name": "gone", "$patch": "delete"}]}),
            json!({"name": "hi", "mergingList": [{"name": "hello"}]}),
        ),
        (
            "nulls inside a new member are dropped",
            json!({}),
            json!({"m": {"a": null, "b": {"c": null, "d": 1}}, "l": [{"x": null, "y": 1}]}),
            json!({"m": {"b": {"d": 1}}, "l": [{"y": 1}]}),
        ),
        (
            "patchStrategy replace replaces an object whole",
            json!({"replacingItem": {"a": 1, "b": 2}}),
            json!({"replacingItem": {"b": 3}}),
            json!({"replacingItem": {"b": 3}}),
        ),
        (
            "a value of another type replaces",
            json!({"m": {"a": 1}, "l": [1], "s": "x", "i": 1}),
            json!({"m": "flat", "l": {"k": null, "v": 1}, "s": [1], "i": 1.5}),
            json!({"m": "flat", "l": {"v": 1}, "s": [1], "i": 1.5}),
        ),
        (
            "a primitive merging list becomes a union",
            json!({"mergingIntList": [1, 2]}),
            json!({"mergingIntList": [2, 3]}),
            json!({"mergingIntList": [1, 2, 3]}),
        ),
        (
            "a new primitive goes first",
            json!({"mergingIntList": [1, 2]}),
            json!({"mergingIntList": [3]}),
            json!({"mergingIntList": [3, 1, 2]}),
        ),
        (
            "$deleteFromPrimitiveList removes every copy",
            json!({"mergingIntList": [1, 2, 3, 2]}),
            json!({"$deleteFromPrimitiveList/mergingIntList": [2, 9]}),
            json!({"mergingIntList": [1, 3]}),
        ),
        (
            "$deleteFromPrimitiveList works on a list without strategy",
            json!({"nonMergingIntList": [1, 2, 3]}),
            json!({"$deleteFromPrimitiveList/nonMergingIntList": [2]}),
            json!({"nonMergingIntList": [1, 3]}),
        ),
        (
            "$deleteFromPrimitiveList of a missing list adds nothing",
            json!({"foo": ["bar"]}),
            json!({"$deleteFromPrimitiveList/mergingIntList": [3]}),
            json!({"foo": ["bar"]}),
        ),
        (
            "$setElementOrder orders around server-only elements",
            json!({"mergingList": [
                {"name": "a"},
                {"name": "x", "server": true},
                {"name": "b", "value": 1},
                {"name": "c"},
            ]}),
            json!({
                "$setElementOrder/mergingList": [{"name": "b"}, {"name": "a"}, {"name": "d"}],
                "mergingList": [{"name": "d", "value": 4}, {"name": "c", "$patch": "delete"}],
            }),
            json!({"mergingList": [
                {"name": "x", "server": true},
                {"name": "b", "value": 1},
                {"name": "a"},
                {"name": "d", "value": 4},
            ]}),
        ),
        (
            "an element that takes a deleted one's place sorts after the others",
            json!({"mergingList": [{"name": "a", "v": 1}, {"name": "x"}]}),
            json!({
                "$setElementOrder/mergingList": [{"name": "b"}],
                "mergingList": [{"name": "b", "v": 2}, {"name": "a", "$patch": "delete"}],
            }),
            json!({"mergingList": [{"name": "x"}, {"name": "b", "v": 2}]}),
        ),
        (
            "$setElementOrder alone reorders",
            json!({"mergingIntList": [1, 2, 3]}),
            json!({"$setElementOrder/mergingIntList": [3, 1, 2]}),
            json!({"mergingIntList": [3, 1, 2]}),
        ),
        (
            "$setElementOrder may name elements the list lacks",
            json!({"mergingList": [{"name": "a"}, {"name": "c"}]}),
            json!({
                "$setElementOrder/mergingList": [{"name": "c"}, {"name": "b"}, {"name": "a"}],
                "mergingList": [{"name": "c", "v": 1}],
            }),
            json!({"mergingList": [{"name": "c", "v": 1}, {"name": "a"}]}),
        ),
        (
            "$setElementOrder with a list the document lacks",
            json!({}),
            json!({
                "$setElementOrder/mergingList": [{"name": "b"}, {"name": "a"}],
                "mergingList": [{"name": "b"}, {"name": "a"}],
            }),
            json!({"mergingList": [{"name": "b"}, {"name": "a"}]}),
        ),
        (
            "$setElementOrder with deletions keeps server-only primitives",
            json!({"mergingIntList": [1, 2, 3, 4]}),
            json!({
                "$setElementOrder/mergingIntList": [2, 1],
                "$deleteFromPrimitiveList/mergingIntList": [3],
            }),
            json!({"mergingIntList": [2, 1, 4]}),
        ),
        (
            "$retainKeys drops the members it does not name",
            json!({"retainKeysMap": {"name": "a", "value": "b", "other": "c"}}),
            json!({"retainKeysMap": {"$retainKeys": ["name", "other"], "other": "d", "value": null}}),
            json!({"retainKeysMap": {"name": "a", "other": "d"}}),
        ),
        (
            "$retainKeys in a merging list element",
            json!({"retainKeysMergingList": [{"name": "a", "value": 1, "other": 2}, {"name": "b", "x": 1}]}),
            json!({"retainKeysMergingList": [{"$retainKeys": ["name", "value"], "name": "a"}]}),
            json!({"retainKeysMergingList": [{"name": "a", "value": 1}, {"name": "b", "x": 1}]}),
        ),
        (
            "merging lists nest",
            json!({"mergingList": [{"name": "a", "mergingList": [{"name": "x", "v": 1}], "other": 1}]}),
            json!({"mergingList": [{"name": "a", "mergingList": [{"name": "x", "v": 2}, {"name": "y"}]}]}),
            json!({"mergingList": [{"name": "a", "mergingList": [{"name": "x", "v": 2}, {"name": "y"}], "other": 1}]}),
        ),
        (
            "a null patch changes nothing",
            json!({"a": 1}),
            Value::Null,
            json!({"a": 1}),
        ),
    ];
    for (name, doc, patch, want) in cases {
        let got = smp(&doc, &patch, &TestSchema).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn rejects_like_upstream() {
    let cases = [
        (
            "an element without the merge key",
            json!({"mergingList": [{"name": "a"}]}),
            json!({"mergingList": [{"value": "b"}]}),
            500,
            r#"map: {"value":"b"} does not contain declared merge key: name"#,
        ),
        (
            "a patch list out of $setElementOrder's order",
            json!({"mergingList": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}),
            json!({
                "$setElementOrder/mergingList": [{"name": "a"}, {"name": "b"}, {"name": "c"}],
                "mergingList": [{"name": "c", "v": 1}, {"name": "a", "v": 1}],
            }),
            500,
            "The order in patch list:\n",
        ),
        (
            "$patch: merge in a list",
            json!({"mergingList": [{"name": "a"}]}),
            json!({"mergingList": [{"name": "a", "$patch": "merge"}]}),
            500,
            "merging lists cannot yet be specified in the patch",
        ),
        (
            "$patch: merge on an object",
            json!({"m": {}}),
            json!({"m": {"$patch": "merge", "x": 1}}),
            500,
            r#"unknown patch type: merge in map: {"$patch":"merge","x":1}"#,
        ),
        (
            "an unknown directive in a list",
            json!({"mergingList": [{"name": "a"}]}),
            json!({"mergingList": [{"name": "a", "$patch": "frob"}]}),
            500,
            r#"unknown patch type: frob in map: {"$patch":"frob","name":"a"}"#,
        ),
        (
            "a patched member $retainKeys does not name",
            json!({"m": {"a": 1}}),
            json!({"m": {"$retainKeys": ["a"], "b": 2}}),
            400,
            "invalid patch format of retainKeys",
        ),
        (
            "$retainKeys that is not a list",
            json!({"m": {"a": 1}}),
            json!({"m": {"$retainKeys": "a"}}),
            400,
            "invalid patch format of retainKeys",
        ),
        (
            "$deleteFromPrimitiveList without a field",
            json!({"mergingIntList": [1]}),
            json!({"$deleteFromPrimitiveList": [1]}),
            400,
            "invalid patch format of primitive list",
        ),
        (
            "$setElementOrder without a field",
            json!({"mergingIntList": [1]}),
            json!({"$setElementOrder": [1]}),
            400,
            "invalid patch format of setElementOrder list",
        ),
        (
            "$setElementOrder that is not a list",
            json!({"mergingIntList": [1]}),
            json!({"$setElementOrder/mergingIntList": 1}),
            500,
            "expected a []interface {}, but received a int64",
        ),
        (
            "a merging list of lists",
            json!({"mergingIntList": [[1]]}),
            json!({"mergingIntList": [[2]]}),
            422,
            "lists of lists are not supported",
        ),
        (
            "a merging list of mixed types",
            json!({"mergingIntList": [1]}),
            json!({"mergingIntList": ["a"]}),
            500,
            "list element types are not identical",
        ),
    ];
    for (name, doc, patch, code, message) in cases {
        let err = smp(&doc, &patch, &TestSchema).expect_err(name);
        assert_eq!(err.code(), code, "{name}: {err:?}");
        assert!(err.to_string().starts_with(message), "{name}: {err}");
    }
}

#[test]
fn rejects_bodies_that_are_not_objects() {
    let doc = json!({"a": 1});
    let err = strategic_merge_patch(&doc, b"[1]", &TestSchema).unwrap_err();
    assert_eq!(err.code(), 400);
    assert_eq!(
        err.to_string(),
        "json: cannot unmarshal array into Go value of type map[string]interface {}"
    );
    assert_eq!(
        strategic_merge_patch(&doc, b"{", &TestSchema)
            .unwrap_err()
            .code(),
        400
    );
    let err = strategic_merge_patch(&json!([1]), b"{}", &TestSchema).unwrap_err();
    assert_eq!(err, PatchError::InvalidDocument);
}
