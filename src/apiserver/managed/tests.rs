//! Field management and server-side apply, against upstream's documented behaviour
//! (the server-side apply reference) and managedFields as kube-apiserver writes them.

use std::sync::Arc;

use serde_json::{Value, json};

use super::*;

fn manager(name: &str, operation: Operation, schema: &Arc<Schema>, time: &str) -> Manager {
    Manager {
        name: name.into(),
        operation,
        api_version: "apps/v1".into(),
        subresource: None,
        time: time.into(),
        scope: Scope::AllButStatus,
        schema: schema.clone(),
    }
}

fn deployment_schema() -> Arc<Schema> {
    Arc::new(Schema::builtin("io.k8s.api.apps.v1.Deployment").expect("built-in"))
}

fn config_map_schema() -> Arc<Schema> {
    Arc::new(Schema::builtin("io.k8s.api.core.v1.ConfigMap").expect("built-in"))
}

fn cm_manager(name: &str, operation: Operation, time: &str) -> Manager {
    Manager {
        api_version: "v1".into(),
        scope: Scope::Whole,
        ..manager(name, operation, &config_map_schema(), time)
    }
}

fn deployment(replicas: i64, image: &str) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{
                    "name": "web",
                    "image": image,
                    "ports": [{"containerPort": 80}],
                }]},
            },
        },
    })
}

fn entries(obj: &Value) -> Vec<Value> {
    obj["metadata"]["managedFields"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn owner_of(obj: &Value, manager: &str) -> Value {
    entries(obj)
        .into_iter()
        .find(|e| e["manager"] == manager)
        .map(|e| e["fieldsV1"].clone())
        .unwrap_or(Value::Null)
}

#[test]
fn fields_v1_round_trips_with_member_nodes() {
    let v = json!({
        "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
        "f:spec": {"f:containers": {"k:{\"name\":\"web\"}": {".": {}, "f:image": {}, "f:name": {}}}},
        "f:finalizers": {"v:\"a\"": {}},
    });
    let set = FieldSet::from_fields_v1(&v).unwrap();
    assert_eq!(set.to_fields_v1(), v);
    assert!(set.contains(&["f:metadata".into(), "f:labels".into()]));
    assert!(!set.contains(&["f:metadata".into()]));
    assert!(FieldSet::from_fields_v1(&json!({"x:bad": {}})).is_err());
}

#[test]
fn path_strings_are_upstreams() {
    let p: Vec<Element> = vec![
        "f:spec".into(),
        "f:containers".into(),
        r#"k:{"name":"web"}"#.into(),
        "f:ports".into(),
        r#"k:{"containerPort":80,"protocol":"TCP"}"#.into(),
        "f:hostPort".into(),
    ];
    assert_eq!(
        path_string(&p),
        r#".spec.containers[name="web"].ports[containerPort=80,protocol="TCP"].hostPort"#
    );
    assert_eq!(
        path_string(&["f:a".into(), "v:\"x\"".into()]),
        r#".a[="x"]"#
    );
}

#[test]
fn apply_creates_with_one_apply_entry_owning_the_configuration() {
    let schema = deployment_schema();
    let m = manager("kubectl", Operation::Apply, &schema, "2026-12-03T10:00:00Z");
    let cfg = deployment(2, "nginx:1");
    let obj = apply(&m, None, &cfg, false).unwrap();
    let e = entries(&obj);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0]["manager"], "kubectl");
    assert_eq!(e[0]["operation"], "Apply");
    assert_eq!(e[0]["apiVersion"], "apps/v1");
    assert_eq!(e[0]["fieldsType"], "FieldsV1");
    assert_eq!(e[0]["time"], "2026-12-03T10:00:00Z");
    assert_eq!(
        e[0]["fieldsV1"],
        json!({
            "f:metadata": {"f:labels": {"f:app": {}}},
            "f:spec": {
                "f:replicas": {},
                "f:selector": {},
                "f:template": {
                    "f:metadata": {"f:labels": {"f:app": {}}},
                    "f:spec": {"f:containers": {"k:{\"name\":\"web\"}": {
                        ".": {},
                        "f:image": {},
                        "f:name": {},
                        "f:ports": {"k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {
                            ".": {},
                            "f:containerPort": {},
                        }},
                    }}},
                },
            },
        })
    );
    assert_eq!(obj["spec"]["replicas"], 2);
}

#[test]
fn applying_the_same_configuration_again_changes_nothing() {
    let schema = deployment_schema();
    let first = manager("kubectl", Operation::Apply, &schema, "2026-12-03T10:00:00Z");
    let obj = apply(&first, None, &deployment(2, "nginx:1"), false).unwrap();
    let later = manager("kubectl", Operation::Apply, &schema, "2026-12-03T11:00:00Z");
    let again = apply(&later, Some(&obj), &deployment(2, "nginx:1"), false).unwrap();
    assert_eq!(again, obj, "no change, not even the time");
}

#[test]
fn a_field_dropped_from_the_configuration_is_removed() {
    let schema = deployment_schema();
    let m = manager("kubectl", Operation::Apply, &schema, "t1");
    let mut cfg = deployment(2, "nginx:1");
    cfg["metadata"]["labels"]["tier"] = json!("front");
    let obj = apply(&m, None, &cfg, false).unwrap();
    assert_eq!(obj["metadata"]["labels"]["tier"], "front");
    let obj = apply(&m, Some(&obj), &deployment(2, "nginx:1"), false).unwrap();
    assert!(obj["metadata"]["labels"].get("tier").is_none(), "{obj:#}");
    assert_eq!(obj["metadata"]["labels"]["app"], "web");
    // and a whole container element with it
    let mut two = deployment(2, "nginx:1");
    two["spec"]["template"]["spec"]["containers"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "side", "image": "busybox"}));
    let obj = apply(&m, Some(&obj), &two, false).unwrap();
    assert_eq!(
        obj["spec"]["template"]["spec"]["containers"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let obj = apply(&m, Some(&obj), &deployment(2, "nginx:1"), false).unwrap();
    let containers = obj["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap();
    assert_eq!(containers.len(), 1);
    assert_eq!(containers[0]["name"], "web");
}

#[test]
fn changing_a_field_another_manager_owns_conflicts_unless_forced() {
    let schema = deployment_schema();
    let kubectl = manager("kubectl", Operation::Apply, &schema, "t1");
    let obj = apply(&kubectl, None, &deployment(2, "nginx:1"), false).unwrap();
    // an update (kubectl scale) takes spec.replicas
    let scaler = manager(
        "kubectl-scale",
        Operation::Update,
        &schema,
        "2026-12-03T10:05:00Z",
    );
    let mut scaled = obj.clone();
    scaled["spec"]["replicas"] = json!(5);
    track_update(&scaler, Some(&obj), &mut scaled);
    assert_eq!(
        owner_of(&scaled, "kubectl-scale"),
        json!({"f:spec": {"f:replicas": {}}})
    );
    assert!(
        owner_of(&scaled, "kubectl")["f:spec"]
            .get("f:replicas")
            .is_none(),
        "an update takes the field from the applier"
    );

    // re-applying replicas: 2 conflicts with kubectl-scale
    let err = apply(&kubectl, Some(&scaled), &deployment(2, "nginx:1"), false).unwrap_err();
    assert_eq!(err.code(), 409);
    assert_eq!(
        err.message(),
        r#"Apply failed with 1 conflict: conflict with "kubectl-scale" using apps/v1 at 2026-12-03T10:05:00Z: .spec.replicas"#
    );
    let causes = &err.details().unwrap().causes;
    assert_eq!(causes.len(), 1);
    assert_eq!(causes[0].reason_type, "FieldManagerConflict");
    assert_eq!(causes[0].field, ".spec.replicas");

    // applying the value the other manager set is no conflict: both own it
    let shared = apply(&kubectl, Some(&scaled), &deployment(5, "nginx:1"), false).unwrap();
    assert!(
        owner_of(&shared, "kubectl")["f:spec"]
            .get("f:replicas")
            .is_some()
    );
    assert!(
        owner_of(&shared, "kubectl-scale")["f:spec"]
            .get("f:replicas")
            .is_some()
    );

    // force takes it over
    let forced = apply(&kubectl, Some(&scaled), &deployment(3, "nginx:1"), true).unwrap();
    assert_eq!(forced["spec"]["replicas"], 3);
    assert!(
        entries(&forced)
            .iter()
            .all(|e| e["manager"] != "kubectl-scale"),
        "the update entry lost its only field: {:#}",
        forced["metadata"]["managedFields"]
    );
}

#[test]
fn several_conflicts_are_listed_by_manager() {
    let a = cm_manager("a", Operation::Update, "t1");
    let mut obj = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "c"}, "data": {"x": "1", "y": "1"}});
    track_update(&a, None, &mut obj);
    let b = cm_manager("b", Operation::Apply, "t2");
    let cfg = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "c"}, "data": {"x": "2", "y": "2"}});
    let err = apply(&b, Some(&obj), &cfg, false).unwrap_err();
    assert_eq!(
        err.message(),
        "Apply failed with 2 conflicts: conflicts with \"a\" using v1 at t1:\n- .data.x\n- .data.y"
    );
}

#[test]
fn fields_owned_by_someone_else_survive_being_dropped() {
    let one = cm_manager("one", Operation::Apply, "t1");
    let two = cm_manager("two", Operation::Apply, "t2");
    let cfg = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "c"}, "data": {"shared": "v"}});
    let obj = apply(&one, None, &cfg, false).unwrap();
    let obj = apply(&two, Some(&obj), &cfg, false).unwrap();
    let empty = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}});
    let obj = apply(&one, Some(&obj), &empty, false).unwrap();
    assert_eq!(obj["data"]["shared"], "v", "two still owns it");
    let obj = apply(&two, Some(&obj), &empty, false).unwrap();
    assert!(
        obj["data"].get("shared").is_none(),
        "nobody owns it now: {obj:#}"
    );
}

#[test]
fn updates_are_credited_with_what_they_changed() {
    let creator = cm_manager("kubectl-create", Operation::Update, "t1");
    let mut obj = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "c", "labels": {"a": "1"}}, "data": {"k": "v"}});
    track_update(&creator, None, &mut obj);
    assert_eq!(
        owner_of(&obj, "kubectl-create"),
        json!({"f:data": {".": {}, "f:k": {}}, "f:metadata": {"f:labels": {".": {}, "f:a": {}}}})
    );
    let editor = cm_manager("kubectl-edit", Operation::Update, "t2");
    let mut edited = obj.clone();
    edited["data"]["k"] = json!("w");
    edited["metadata"]["labels"]
        .as_object_mut()
        .unwrap()
        .remove("a");
    track_update(&editor, Some(&obj), &mut edited);
    assert_eq!(
        owner_of(&edited, "kubectl-edit"),
        json!({"f:data": {"f:k": {}}})
    );
    assert_eq!(
        owner_of(&edited, "kubectl-create"),
        json!({"f:data": {}, "f:metadata": {"f:labels": {}}})
    );
    // an unchanged write changes no entry
    let mut same = edited.clone();
    track_update(
        &cm_manager("other", Operation::Update, "t3"),
        Some(&edited),
        &mut same,
    );
    assert_eq!(same, edited);
}

#[test]
fn managed_fields_sent_in_an_update_replace_the_live_ones() {
    let creator = cm_manager("kubectl-create", Operation::Update, "t1");
    let mut obj = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "c"}, "data": {"k": "v"}});
    track_update(&creator, None, &mut obj);
    // `[{}]` clears them
    let mut cleared = obj.clone();
    cleared["metadata"]["managedFields"] = json!([{}]);
    track_update(
        &cm_manager("x", Operation::Update, "t2"),
        Some(&obj),
        &mut cleared,
    );
    assert!(
        cleared["metadata"].get("managedFields").is_none(),
        "{cleared:#}"
    );
    // `[]` keeps the live ones
    let mut kept = obj.clone();
    kept["metadata"]["managedFields"] = json!([]);
    track_update(
        &cm_manager("x", Operation::Update, "t2"),
        Some(&obj),
        &mut kept,
    );
    assert_eq!(
        kept["metadata"]["managedFields"],
        obj["metadata"]["managedFields"]
    );
}

#[test]
fn status_is_not_credited_through_the_main_resource() {
    let schema = deployment_schema();
    let m = manager("kubectl", Operation::Apply, &schema, "t1");
    let mut cfg = deployment(1, "nginx:1");
    cfg["status"] = json!({"replicas": 9});
    let obj = apply(&m, None, &cfg, false).unwrap();
    assert!(owner_of(&obj, "kubectl").get("f:status").is_none());
}

#[test]
fn apply_refuses_managed_fields_and_bad_associative_lists() {
    let schema = deployment_schema();
    let m = manager("kubectl", Operation::Apply, &schema, "t1");
    let mut cfg = deployment(1, "nginx:1");
    cfg["metadata"]["managedFields"] = json!([]);
    assert_eq!(apply(&m, None, &cfg, false).unwrap_err().code(), 400);
    let mut cfg = deployment(1, "nginx:1");
    cfg["spec"]["template"]["spec"]["containers"] = json!([{"image": "x"}]);
    let err = apply(&m, None, &cfg, false).unwrap_err();
    assert_eq!(err.code(), 400);
    assert!(
        err.message().contains("omits key field \"name\""),
        "{}",
        err.message()
    );
    let mut cfg = deployment(1, "nginx:1");
    cfg["spec"]["template"]["spec"]["containers"] =
        json!([{"name": "a", "image": "x"}, {"name": "a", "image": "y"}]);
    let err = apply(&m, None, &cfg, false).unwrap_err();
    assert!(
        err.message().contains("duplicate entries for key"),
        "{}",
        err.message()
    );
}

#[test]
fn sets_merge_as_a_union_and_atomic_lists_are_replaced() {
    let schema = deployment_schema();
    let a = manager("a", Operation::Apply, &schema, "t1");
    let mut cfg = deployment(1, "nginx:1");
    cfg["metadata"]["finalizers"] = json!(["x/a"]);
    cfg["spec"]["template"]["spec"]["containers"][0]["args"] = json!(["1", "2"]);
    let obj = apply(&a, None, &cfg, false).unwrap();
    let b = manager("b", Operation::Apply, &schema, "t2");
    let cfg_b = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "finalizers": ["x/b"]}});
    let obj = apply(&b, Some(&obj), &cfg_b, false).unwrap();
    assert_eq!(obj["metadata"]["finalizers"], json!(["x/a", "x/b"]));
    assert_eq!(
        owner_of(&obj, "b"),
        json!({"f:metadata": {"f:finalizers": {"v:\"x/b\"": {}}}})
    );
    assert_eq!(
        owner_of(&obj, "a")["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"web\"}"]
            ["f:args"],
        json!({}),
        "args is atomic: one leaf"
    );
}

#[test]
fn custom_resources_follow_their_schema() {
    let schema = Arc::new(Schema::custom(&json!({
        "type": "object",
        "properties": {"spec": {"type": "object", "properties": {
            "items": {"type": "array", "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["id"],
                "items": {"type": "object", "properties": {
                    "id": {"type": "string"}, "v": {"type": "integer"}}}},
            "tags": {"type": "array", "items": {"type": "string"}},
            "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
        }}},
    })));
    let m = Manager {
        api_version: "example.com/v1".into(),
        scope: Scope::AllButStatus,
        ..manager("me", Operation::Apply, &schema, "t1")
    };
    let cfg = json!({"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "t"},
        "spec": {"items": [{"id": "a", "v": 1}], "tags": ["x"], "free": {"deep": {"k": 1}}}});
    let obj = apply(&m, None, &cfg, false).unwrap();
    assert_eq!(
        owner_of(&obj, "me"),
        json!({"f:spec": {
            "f:items": {"k:{\"id\":\"a\"}": {".": {}, "f:id": {}, "f:v": {}}},
            "f:tags": {},
            "f:free": {"f:deep": {"f:k": {}}},
        }})
    );
    // another applier adds an element by key: the list merges
    let other = Manager {
        name: "other".into(),
        ..m.clone()
    };
    let cfg2 = json!({"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "t"},
        "spec": {"items": [{"id": "b", "v": 2}]}});
    let obj = apply(&other, Some(&obj), &cfg2, false).unwrap();
    let ids: Vec<&str> = obj["spec"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a", "b"]);
}

#[test]
fn update_entries_are_capped_with_ancient_changes() {
    let mut obj = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "c"}, "data": {}});
    for i in 0..12 {
        let m = cm_manager(&format!("m{i:02}"), Operation::Update, &format!("t{i:02}"));
        let mut next = obj.clone();
        next["data"][format!("k{i}")] = json!("v");
        track_update(&m, Some(&obj), &mut next);
        obj = next;
    }
    let e = entries(&obj);
    assert_eq!(e.len(), 10, "{e:#?}");
    assert!(e.iter().any(|e| e["manager"] == "ancient-changes"));
    assert!(e.iter().any(|e| e["manager"] == "m11"));
}
