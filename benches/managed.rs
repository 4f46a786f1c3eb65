//! managedFields tracking cost, without a server: `cargo bench --bench managed`.
//!
//! Times [`managed::track_update`] on a Pod the size of a typical Deployment's pod
//! (two containers, probes, volumes, env) for a create and for an update that changes
//! one label, and [`managed::apply`] of a small configuration to it. Prints µs per
//! operation (median of 15 rounds of 2,000 operations); nothing is written.

use std::sync::Arc;
use std::time::Instant;

use kelp::apiserver::managed::{self, Manager, Operation, Schema, Scope};
use serde_json::{Value, json};

fn pod() -> Value {
    let container = |name: &str| {
        json!({
            "name": name, "image": format!("registry.example/{name}:1.2.3"),
            "imagePullPolicy": "IfNotPresent",
            "args": ["--port=8080", "--verbose"],
            "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}, {"name": "metrics", "containerPort": 9090, "protocol": "TCP"}],
            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}, {"name": "POD", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}}],
            "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}, "requests": {"cpu": "100m", "memory": "64Mi"}},
            "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080, "scheme": "HTTP"}, "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3},
            "livenessProbe": {"httpGet": {"path": "/live", "port": 8080, "scheme": "HTTP"}, "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3},
            "volumeMounts": [{"name": "config", "mountPath": "/etc/app"}, {"name": "data", "mountPath": "/data"}],
            "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"
        })
    };
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web-7d4b9c8f6-x2x9z", "namespace": "default", "uid": "6f1c7c9e-1b2a-4c3d-9e8f-0a1b2c3d4e5f",
            "labels": {"app": "web", "pod-template-hash": "7d4b9c8f6", "tier": "frontend"},
            "annotations": {"example.com/owner": "team-a"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d4b9c8f6", "uid": "0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e", "controller": true, "blockOwnerDeletion": true}]},
        "spec": {
            "containers": [container("web"), container("sidecar")],
            "volumes": [{"name": "config", "configMap": {"name": "web-config", "defaultMode": 420}}, {"name": "data", "emptyDir": {}}],
            "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
            "securityContext": {}, "schedulerName": "default-scheduler", "enableServiceLinks": true,
            "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}]
        },
        "status": {"phase": "Pending", "qosClass": "Burstable"}
    })
}

fn manager(name: &str, operation: Operation, schema: &Arc<Schema>) -> Manager {
    Manager {
        name: name.into(),
        operation,
        api_version: "v1".into(),
        subresource: None,
        time: "2026-12-03T12:00:00Z".into(),
        scope: Scope::AllButStatus,
        schema: schema.clone(),
    }
}

/// Median µs per call of `f` over 15 rounds of `n` calls.
fn time(n: usize, mut f: impl FnMut()) -> f64 {
    let mut rounds: Vec<f64> = (0..15)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..n {
                f();
            }
            start.elapsed().as_secs_f64() * 1e6 / n as f64
        })
        .collect();
    rounds.sort_by(f64::total_cmp);
    rounds[rounds.len() / 2]
}

fn main() {
    let schema = Arc::new(Schema::builtin("io.k8s.api.core.v1.Pod").expect("the Pod schema"));
    let creator = manager("kube-controller-manager", Operation::Update, &schema);
    let labeler = manager("kubectl-label", Operation::Update, &schema);
    let applier = manager("kubectl", Operation::Apply, &schema);
    let base = pod();

    let mut created = base.clone();
    managed::track_update(&creator, None, &mut created);
    let create = time(2000, || {
        let mut obj = base.clone();
        managed::track_update(&creator, None, &mut obj);
        std::hint::black_box(&obj);
    });
    let clone_only = time(2000, || {
        std::hint::black_box(base.clone());
    });
    let mut relabeled = created.clone();
    relabeled["metadata"]["labels"]["tier"] = json!("backend");
    let update = time(2000, || {
        let mut obj = relabeled.clone();
        managed::track_update(&labeler, Some(&created), &mut obj);
        std::hint::black_box(&obj);
    });
    let cfg = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-7d4b9c8f6-x2x9z", "labels": {"team": "a"}}});
    let apply = time(2000, || {
        let out = managed::apply(&applier, Some(&created), &cfg, true).expect("applies");
        std::hint::black_box(out);
    });
    let size = serde_json::to_vec(&created).unwrap().len();
    let plain = serde_json::to_vec(&base).unwrap().len();
    println!("managedFields tracking, one Pod ({plain} bytes of JSON, {size} with managedFields):");
    println!("  clone of the object (baseline)       {clone_only:8.1} µs");
    println!("  create (track_update, no live)       {create:8.1} µs (incl. the clone)");
    println!("  update changing one label            {update:8.1} µs (incl. the clone)");
    println!("  server-side apply of one label       {apply:8.1} µs");
}
