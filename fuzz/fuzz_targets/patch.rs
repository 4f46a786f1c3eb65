//! Patch application and server-side apply on built-in kinds, without the server:
//! JSON patch, merge patch, strategic merge patch (with its directives) and apply.
//!
//! Input: byte 0 picks the kind, byte 1 the operation; the rest is the patch, or the
//! applied configuration (JSON or YAML).
//!
//! Checked: no panic; and applying a configuration a second time, by the same
//! manager, changes nothing (upstream's "unchanged").

#![no_main]

use std::sync::{Arc, OnceLock};

use kelp::apiserver::managed::{self, Manager, Operation, Schema, Scope};
use kelp::apiserver::patch::{self, BuiltinSchema};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

struct Kind {
    group: &'static str,
    kind: &'static str,
    api_version: &'static str,
    definition: &'static str,
    object: Value,
    scope: Scope,
}

fn kinds() -> &'static [Kind] {
    static KINDS: OnceLock<Vec<Kind>> = OnceLock::new();
    KINDS.get_or_init(|| {
        let pod_spec = json!({"containers": [{"name": "web", "image": "nginx",
            "args": ["a", "b"], "ports": [{"containerPort": 80, "protocol": "TCP"}],
            "env": [{"name": "A", "value": "1"}]}], "volumes": [{"name": "v", "emptyDir": {}}]});
        vec![
            Kind {
                group: "apps",
                kind: "Deployment",
                api_version: "apps/v1",
                definition: "io.k8s.api.apps.v1.Deployment",
                object: json!({"apiVersion": "apps/v1", "kind": "Deployment",
                    "metadata": {"name": "web", "labels": {"app": "web"}, "finalizers": ["a"]},
                    "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                        "template": {"metadata": {"labels": {"app": "web"}}, "spec": pod_spec}}}),
                scope: Scope::AllButStatus,
            },
            Kind {
                group: "",
                kind: "Pod",
                api_version: "v1",
                definition: "io.k8s.api.core.v1.Pod",
                object: json!({"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": "p"}, "spec": pod_spec}),
                scope: Scope::AllButStatus,
            },
            Kind {
                group: "",
                kind: "Service",
                api_version: "v1",
                definition: "io.k8s.api.core.v1.Service",
                object: json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
                    "spec": {"selector": {"app": "web"}, "ports": [
                        {"name": "http", "port": 80, "protocol": "TCP"},
                        {"name": "dns", "port": 53, "protocol": "UDP"}]}}),
                scope: Scope::AllButStatus,
            },
            Kind {
                group: "",
                kind: "ConfigMap",
                api_version: "v1",
                definition: "io.k8s.api.core.v1.ConfigMap",
                object: json!({"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "c"}, "data": {"a": "1", "b": "2"}}),
                scope: Scope::Whole,
            },
        ]
    })
}

fn manager(k: &Kind, name: &str, operation: Operation) -> Manager {
    Manager {
        name: name.into(),
        operation,
        api_version: k.api_version.into(),
        subresource: None,
        time: "2026-12-03T00:00:00Z".into(),
        scope: k.scope,
        schema: Arc::new(Schema::builtin(k.definition).expect("a built-in definition")),
    }
}

fuzz_target!(|data: &[u8]| {
    let [kind, op, body @ ..] = data else {
        return;
    };
    let kinds = kinds();
    let k = &kinds[*kind as usize % kinds.len()];
    let schema = BuiltinSchema::for_kind(k.group, k.kind).expect("built in");
    match op % 5 {
        0 => drop(patch::json_patch(&k.object, body)),
        1 => drop(patch::merge_patch(&k.object, body)),
        2 => drop(patch::strategic_merge_patch(&k.object, body, schema)),
        3 | 4 => {
            let cfg: Value = match serde_json::from_slice(body) {
                Ok(v) => v,
                Err(_) => match serde_yaml::from_slice(body) {
                    Ok(v) => v,
                    Err(_) => return,
                },
            };
            // the object as another manager applied it, then this configuration
            let owner = manager(k, "owner", Operation::Apply);
            let live = managed::apply(&owner, None, &k.object, false).expect("the seed applies");
            let fuzz = manager(k, "fuzz", Operation::Apply);
            let force = op % 5 == 4;
            if let Ok(once) = managed::apply(&fuzz, Some(&live), &cfg, force) {
                let twice = managed::apply(&fuzz, Some(&once), &cfg, force)
                    .expect("a configuration that applied applies again");
                assert_eq!(
                    once, twice,
                    "applying the same configuration again changed the object"
                );
                // and an update by a third manager is tracked without panicking
                let updater = manager(k, "kubectl-edit", Operation::Update);
                let mut edited = twice.clone();
                if let Some(m) = edited.as_object_mut() {
                    m.insert("extra".into(), json!({"x": 1}));
                }
                managed::track_update(&updater, Some(&twice), &mut edited);
            }
        }
        _ => unreachable!(),
    }
});
