use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use super::*;
use crate::api::ResourceTable;

#[test]
fn human_durations_match_go() {
    let cases = [
        (0, "0s"),
        (119, "119s"),
        (120, "2m"),
        (125, "2m5s"),
        (600, "10m"),
        (179 * 60, "179m"),
        (3 * 3600, "3h"),
        (3 * 3600 + 60, "3h1m"),
        (8 * 3600, "8h"),
        (47 * 3600, "47h"),
        (48 * 3600, "2d"),
        (49 * 3600, "2d1h"),
        (8 * 86400, "8d"),
        (2 * 365 * 86400, "2y"),
        (2 * 365 * 86400 + 86400, "2y1d"),
        (9 * 365 * 86400, "9y"),
    ];
    for (secs, want) in cases {
        assert_eq!(human_duration(Duration::from_secs(secs)), want, "{secs}s");
    }
    assert_eq!(human_signed(-1), "0s");
    assert_eq!(human_signed(-2), "<invalid>");
}

thread_local! {
    /// The instant this test's fixtures count from, and its printer's clock.
    pub(super) static NOW: std::cell::Cell<Option<SystemTime>> = const { std::cell::Cell::new(None) };
}

/// An RFC 3339 time `secs` seconds ago (negative: in the future), counted from this
/// test's fixed instant.
fn ago(secs: i64) -> String {
    let now = NOW.with(|n| match n.get() {
        Some(t) => t,
        None => {
            let t = SystemTime::now();
            n.set(Some(t));
            t
        }
    });
    let t = if secs >= 0 {
        now - Duration::from_secs(secs as u64)
    } else {
        now + Duration::from_secs(secs.unsigned_abs())
    };
    humantime::format_rfc3339_seconds(t).to_string()
}

fn meta(name: &str, created_secs_ago: i64) -> Value {
    json!({"name": name, "namespace": "default", "uid": "u-1", "creationTimestamp": ago(created_secs_ago)})
}

// 3h5m and 83m ago: far enough from a unit boundary that a slow test cannot flip them.
const H3M5: i64 = 3 * 3600 + 5 * 60;
const M83: i64 = 83 * 60;

fn info(group: &str, kind: &str) -> ResourceInfo {
    ResourceTable::builtin()
        .resources()
        .iter()
        .find(|r| r.group == group && r.kind == kind)
        .unwrap_or_else(|| panic!("kelp serves no {group}/{kind}"))
        .clone()
}

/// Prints `obj` as `group`/`kind` and checks the column definitions and the one
/// row. Each `want` entry is a column, `Name[:type[:priority]]` (type `s`tring,
/// `i`nteger, `b`oolean, `d`ate; defaults `s` and 0), and its cell.
fn check(group: &str, kind: &str, obj: Value, want: &[(&str, Value)]) {
    let info = info(group, kind);
    let table = Printer::builtin(&info).table(&[obj], json!({}), false);
    let label = format!("{group}/{kind}");
    let defs = table["columnDefinitions"].as_array().unwrap();
    let cells = table["rows"][0]["cells"].as_array().unwrap();
    let got_cols: Vec<String> = defs
        .iter()
        .map(|d| {
            let ty = match d["type"].as_str().unwrap() {
                "string" => "s",
                "integer" => "i",
                "boolean" => "b",
                "date" => "d",
                other => panic!("{label}: unexpected column type {other}"),
            };
            format!("{}:{ty}:{}", d["name"].as_str().unwrap(), d["priority"])
        })
        .collect();
    let want_cols: Vec<String> = want
        .iter()
        .map(|(spec, _)| {
            let mut parts = spec.split(':');
            let name = parts.next().unwrap();
            let ty = parts.next().unwrap_or("s");
            let prio = parts.next().unwrap_or("0");
            format!("{name}:{ty}:{prio}")
        })
        .collect();
    assert_eq!(got_cols, want_cols, "{label} columns");
    for d in defs {
        let want_format = if d["name"] == "Name" { "name" } else { "" };
        assert_eq!(d["format"], want_format, "{label} {} format", d["name"]);
    }
    let want_cells: Vec<Value> = want.iter().map(|(_, v)| v.clone()).collect();
    assert_eq!(cells, &want_cells, "{label} cells");
}

#[test]
fn workload_controllers_print_like_upstream() {
    let template = json!({
        "metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [
            {"name": "nginx", "image": "nginx:1.27"},
            {"name": "sidecar", "image": "busybox:1.36"},
        ]},
    });
    check(
        "apps",
        "ReplicaSet",
        json!({
            "metadata": meta("web-7d4b9c", H3M5),
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": {"pod-template-hash": "7d4b9c", "app": "web"}},
                "template": template,
            },
            "status": {"replicas": 3, "readyReplicas": 2, "availableReplicas": 2},
        }),
        &[
            ("Name", json!("web-7d4b9c")),
            ("Desired:i", json!(3)),
            ("Current:i", json!(3)),
            ("Ready:i", json!(2)),
            ("Age", json!("3h5m")),
            ("Containers:s:1", json!("nginx,sidecar")),
            ("Images:s:1", json!("nginx:1.27,busybox:1.36")),
            ("Selector:s:1", json!("app=web,pod-template-hash=7d4b9c")),
        ],
    );
    check(
        "",
        "ReplicationController",
        json!({
            "metadata": meta("legacy", 45),
            "spec": {
                "replicas": 2,
                "selector": {"app": "legacy"},
                "template": {"spec": {"containers": [{"name": "app", "image": "legacy:1"}]}},
            },
            "status": {"replicas": 0},
        }),
        &[
            ("Name", json!("legacy")),
            ("Desired:i", json!(2)),
            ("Current:i", json!(0)),
            ("Ready:i", json!(0)),
            ("Age", json!("45s")),
            ("Containers:s:1", json!("app")),
            ("Images:s:1", json!("legacy:1")),
            ("Selector:s:1", json!("app=legacy")),
        ],
    );
    check(
        "apps",
        "StatefulSet",
        json!({
            "metadata": meta("db", M83),
            "spec": {"replicas": 3, "serviceName": "db", "selector": {"matchLabels": {"app": "db"}}, "template": {
                "metadata": {"labels": {"app": "db"}},
                "spec": {"containers": [{"name": "postgres", "image": "postgres:17"}]},
            }},
            "status": {"replicas": 2, "readyReplicas": 1},
        }),
        &[
            ("Name", json!("db")),
            ("Ready", json!("1/3")),
            ("Age", json!("83m")),
            ("Containers:s:1", json!("postgres")),
            ("Images:s:1", json!("postgres:17")),
        ],
    );
    check(
        "apps",
        "DaemonSet",
        json!({
            "metadata": meta("agent", 3 * 86400),
            "spec": {
                "selector": {
                    "matchLabels": {"app": "agent"},
                    "matchExpressions": [
                        {"key": "tier", "operator": "In", "values": ["b", "a"]},
                        {"key": "canary", "operator": "DoesNotExist"},
                    ],
                },
                "template": {"spec": {
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                    "containers": [{"name": "agent", "image": "agent:2"}],
                }},
            },
            "status": {
                "desiredNumberScheduled": 2, "currentNumberScheduled": 2, "numberReady": 1,
                "updatedNumberScheduled": 2, "numberAvailable": 1, "numberMisscheduled": 0,
            },
        }),
        &[
            ("Name", json!("agent")),
            ("Desired:i", json!(2)),
            ("Current:i", json!(2)),
            ("Ready:i", json!(1)),
            ("Up-to-date:i", json!(2)),
            ("Available:i", json!(1)),
            ("Node Selector", json!("kubernetes.io/os=linux")),
            ("Age", json!("3d")),
            ("Containers:s:1", json!("agent")),
            ("Images:s:1", json!("agent:2")),
            ("Selector:s:1", json!("app=agent,!canary,tier in (a,b)")),
        ],
    );
    check(
        "apps",
        "Deployment",
        json!({
            "metadata": meta("web", H3M5),
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}, "template": template},
            "status": {"replicas": 3, "readyReplicas": 3, "updatedReplicas": 3, "availableReplicas": 3},
        }),
        &[
            ("Name", json!("web")),
            ("Ready", json!("3/3")),
            ("Up-to-date", json!(3)),
            ("Available", json!(3)),
            ("Age", json!("3h5m")),
            ("Containers:s:1", json!("nginx,sidecar")),
            ("Images:s:1", json!("nginx:1.27,busybox:1.36")),
            ("Selector:s:1", json!("app=web")),
        ],
    );
    let mut owned = meta("db-5b6f7c8d9", M83);
    owned["ownerReferences"] = json!([
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "db", "uid": "u-2", "controller": true},
    ]);
    check(
        "apps",
        "ControllerRevision",
        json!({"metadata": owned, "revision": 2, "data": {}}),
        &[
            ("Name", json!("db-5b6f7c8d9")),
            ("Controller", json!("statefulset.apps/db")),
            ("Revision", json!(2)),
            ("Age", json!("83m")),
        ],
    );
    check(
        "apps",
        "ControllerRevision",
        json!({"metadata": meta("orphan", 45), "revision": 1}),
        &[
            ("Name", json!("orphan")),
            ("Controller", json!("<none>")),
            ("Revision", json!(1)),
            ("Age", json!("45s")),
        ],
    );
    check(
        "",
        "PodTemplate",
        json!({"metadata": meta("tmpl", 45), "template": {
            "metadata": {"labels": {"tier": "fe", "app": "web"}},
            "spec": {"containers": [{"name": "app", "image": "app:1"}]},
        }}),
        &[
            ("Name", json!("tmpl")),
            ("Containers", json!("app")),
            ("Images", json!("app:1")),
            ("Pod Labels", json!("app=web,tier=fe")),
        ],
    );
}

#[test]
fn jobs_and_cronjobs_print_like_upstream() {
    let job_template = json!({"spec": {
        "restartPolicy": "Never",
        "containers": [{"name": "pi", "image": "perl:5.40"}],
    }});
    let job_cols = |status: &str, completions: &str, duration: &str, age: &str| {
        vec![
            ("Name", json!("pi")),
            ("Status", json!(status)),
            ("Completions", json!(completions)),
            ("Duration", json!(duration)),
            ("Age", json!(age)),
            ("Containers:s:1", json!("pi")),
            ("Images:s:1", json!("perl:5.40")),
            (
                "Selector:s:1",
                json!("batch.kubernetes.io/controller-uid=abc"),
            ),
        ]
    };
    let selector = json!({"matchLabels": {"batch.kubernetes.io/controller-uid": "abc"}});
    check(
        "batch",
        "Job",
        json!({
            "metadata": meta("pi", H3M5),
            "spec": {"completions": 3, "parallelism": 1, "selector": selector, "template": job_template},
            "status": {"startTime": ago(M83), "active": 1, "succeeded": 1},
        }),
        &job_cols("Running", "1/3", "83m", "3h5m"),
    );
    let start = ago(H3M5);
    let end = humantime::format_rfc3339_seconds(
        humantime::parse_rfc3339(&start).unwrap() + Duration::from_secs(45),
    )
    .to_string();
    check(
        "batch",
        "Job",
        json!({
            "metadata": meta("pi", H3M5),
            "spec": {"parallelism": 1, "selector": selector, "template": job_template},
            "status": {
                "startTime": start, "completionTime": end, "succeeded": 1,
                "conditions": [
                    {"type": "SuccessCriteriaMet", "status": "True"},
                    {"type": "Complete", "status": "True"},
                ],
            },
        }),
        &job_cols("Complete", "1/1", "45s", "3h5m"),
    );
    check(
        "batch",
        "Job",
        json!({
            "metadata": meta("pi", 45),
            "spec": {"parallelism": 4, "suspend": true, "selector": selector, "template": job_template},
            "status": {"conditions": [{"type": "Suspended", "status": "True"}]},
        }),
        &job_cols("Suspended", "0/1 of 4", "", "45s"),
    );
    check(
        "batch",
        "CronJob",
        json!({
            "metadata": meta("backup", 3 * 86400),
            "spec": {
                "schedule": "*/5 * * * *",
                "suspend": false,
                "jobTemplate": {"spec": {"selector": selector, "template": job_template}},
            },
            "status": {
                "active": [{"kind": "Job", "name": "backup-29000000", "namespace": "default"}],
                "lastScheduleTime": ago(90),
            },
        }),
        &[
            ("Name", json!("backup")),
            ("Schedule", json!("*/5 * * * *")),
            ("Timezone", json!("<none>")),
            ("Suspend:b", json!("False")),
            ("Active:i", json!(1)),
            ("Last Schedule", json!("90s")),
            ("Age", json!("3d")),
            ("Containers:s:1", json!("pi")),
            ("Images:s:1", json!("perl:5.40")),
            (
                "Selector:s:1",
                json!("batch.kubernetes.io/controller-uid=abc"),
            ),
        ],
    );
    check(
        "batch",
        "CronJob",
        json!({
            "metadata": meta("nightly", 45),
            "spec": {"schedule": "0 3 * * *", "timeZone": "Europe/Berlin",
                     "jobTemplate": {"spec": {"template": job_template}}},
            "status": {},
        }),
        &[
            ("Name", json!("nightly")),
            ("Schedule", json!("0 3 * * *")),
            ("Timezone", json!("Europe/Berlin")),
            ("Suspend:b", json!("<unset>")),
            ("Active:i", json!(0)),
            ("Last Schedule", json!("<none>")),
            ("Age", json!("45s")),
            ("Containers:s:1", json!("pi")),
            ("Images:s:1", json!("perl:5.40")),
            ("Selector:s:1", json!("<none>")),
        ],
    );
}

fn event_cols(cells: [Value; 10]) -> Vec<(&'static str, Value)> {
    let names = [
        "Last Seen",
        "Type",
        "Reason",
        "Object",
        "Subobject:s:1",
        "Source:s:1",
        "Message",
        "First Seen:s:1",
        "Count:s:1",
        "Name:s:1",
    ];
    names.into_iter().zip(cells).collect()
}

#[test]
fn events_of_both_apis_print_like_upstream() {
    let info = info("", "Event");
    let table = Printer::builtin(&info).table(&[], json!({}), false);
    assert_eq!(table["columnDefinitions"][9]["format"], "name");

    check(
        "",
        "Event",
        json!({
            "metadata": meta("web-1.17a2b3c4d5e6f7a8", H3M5),
            "involvedObject": {"kind": "Pod", "namespace": "default", "name": "web-1",
                               "fieldPath": "spec.containers{nginx}"},
            "reason": "BackOff",
            "message": "Back-off restarting failed container nginx\n",
            "source": {"component": "kubelet", "host": "node-1"},
            "firstTimestamp": ago(H3M5),
            "lastTimestamp": ago(30),
            "count": 4,
            "type": "Warning",
            "eventTime": null,
            "reportingComponent": "kubelet",
            "reportingInstance": "node-1",
        }),
        &event_cols([
            json!("30s"),
            json!("Warning"),
            json!("BackOff"),
            json!("pod/web-1"),
            json!("spec.containers{nginx}"),
            json!("kubelet, node-1"),
            json!("Back-off restarting failed container nginx"),
            json!("3h5m"),
            json!(4),
            json!("web-1.17a2b3c4d5e6f7a8"),
        ]),
    );
    // a new-style event written through the core API: no timestamps but eventTime,
    // no source but the reporting controller, no count
    check(
        "",
        "Event",
        json!({
            "metadata": meta("node-1.abc", 90),
            "involvedObject": {"kind": "Node", "name": "node-1"},
            "reason": "RegisteredNode",
            "message": "Node node-1 event: Registered Node node-1 in Controller",
            "source": {},
            "firstTimestamp": null,
            "lastTimestamp": null,
            "type": "Normal",
            "eventTime": format!("{}.000000Z", &ago(90)[..19]),
            "reportingComponent": "node-controller",
            "reportingInstance": "",
        }),
        &event_cols([
            json!("90s"),
            json!("Normal"),
            json!("RegisteredNode"),
            json!("node/node-1"),
            json!(""),
            json!("node-controller"),
            json!("Node node-1 event: Registered Node node-1 in Controller"),
            json!("90s"),
            json!(1),
            json!("node-1.abc"),
        ]),
    );
    check(
        "events.k8s.io",
        "Event",
        json!({
            "metadata": meta("web.182c", M83),
            "eventTime": format!("{}.123456Z", &ago(M83 + 1)[..19]),
            "series": {"count": 3, "lastObservedTime": format!("{}.000001Z", &ago(30)[..19])},
            "reportingController": "deployment-controller",
            "reportingInstance": "deployment-controller-cp-1",
            "action": "Scaling",
            "reason": "ScalingReplicaSet",
            "regarding": {"kind": "Deployment", "namespace": "default", "name": "web",
                          "apiVersion": "apps/v1"},
            "note": "  Scaled up replica set web-7d4b9c from 0 to 3",
            "type": "Normal",
        }),
        &event_cols([
            json!("30s"),
            json!("Normal"),
            json!("ScalingReplicaSet"),
            json!("deployment/web"),
            json!(""),
            json!("deployment-controller, deployment-controller-cp-1"),
            json!("Scaled up replica set web-7d4b9c from 0 to 3"),
            json!("83m"),
            json!(3),
            json!("web.182c"),
        ]),
    );
    // an old-style event read through events.k8s.io keeps its deprecated fields
    check(
        "events.k8s.io",
        "Event",
        json!({
            "metadata": meta("web-1.1", H3M5),
            "regarding": {"kind": "Pod", "name": "web-1", "fieldPath": "spec.containers{app}"},
            "reason": "Pulled",
            "note": "Container image \"app:1\" already present on machine",
            "type": "Normal",
            "deprecatedSource": {"component": "kubelet", "host": "node-2"},
            "deprecatedFirstTimestamp": ago(H3M5),
            "deprecatedLastTimestamp": ago(M83),
            "deprecatedCount": 2,
        }),
        &event_cols([
            json!("83m"),
            json!("Normal"),
            json!("Pulled"),
            json!("pod/web-1"),
            json!("spec.containers{app}"),
            json!("kubelet, node-2"),
            json!("Container image \"app:1\" already present on machine"),
            json!("3h5m"),
            json!(2),
            json!("web-1.1"),
        ]),
    );
}

#[test]
fn storage_kinds_print_like_upstream() {
    check(
        "",
        "PersistentVolume",
        json!({
            "metadata": meta("pv-1", H3M5),
            "spec": {
                "capacity": {"storage": "10240Mi"},
                "accessModes": ["ReadWriteMany", "ReadWriteOnce"],
                "persistentVolumeReclaimPolicy": "Retain",
                "claimRef": {"kind": "PersistentVolumeClaim", "namespace": "default", "name": "data"},
                "storageClassName": "standard",
                "volumeMode": "Filesystem",
                "hostPath": {"path": "/data"},
            },
            "status": {"phase": "Bound"},
        }),
        &[
            ("Name", json!("pv-1")),
            ("Capacity", json!("10Gi")),
            ("Access Modes", json!("RWO,RWX")),
            ("Reclaim Policy", json!("Retain")),
            ("Status", json!("Bound")),
            ("Claim", json!("default/data")),
            ("StorageClass", json!("standard")),
            ("VolumeAttributesClass", json!("<unset>")),
            ("Reason", json!("")),
            ("Age", json!("3h5m")),
            ("VolumeMode:s:1", json!("Filesystem")),
        ],
    );
    let pvc_cols = |cells: [Value; 9]| -> Vec<(&'static str, Value)> {
        [
            "Name",
            "Status",
            "Volume",
            "Capacity",
            "Access Modes",
            "StorageClass",
            "VolumeAttributesClass",
            "Age",
            "VolumeMode:s:1",
        ]
        .into_iter()
        .zip(cells)
        .collect()
    };
    let mut annotated = meta("data", M83);
    annotated["annotations"] = json!({"volume.beta.kubernetes.io/storage-class": "fast"});
    check(
        "",
        "PersistentVolumeClaim",
        json!({
            "metadata": annotated,
            "spec": {
                "accessModes": ["ReadWriteOncePod"],
                "resources": {"requests": {"storage": "5Gi"}},
                "storageClassName": "standard",
                "volumeName": "pv-1",
                "volumeMode": "Block",
            },
            "status": {"phase": "Bound", "accessModes": ["ReadWriteOncePod"], "capacity": {"storage": "5Gi"}},
        }),
        &pvc_cols([
            json!("data"),
            json!("Bound"),
            json!("pv-1"),
            json!("5Gi"),
            json!("RWOP"),
            json!("fast"),
            json!("<unset>"),
            json!("83m"),
            json!("Block"),
        ]),
    );
    let mut deleting = meta("scratch", 45);
    deleting["deletionTimestamp"] = json!(ago(5));
    check(
        "",
        "PersistentVolumeClaim",
        json!({
            "metadata": deleting,
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "1Gi"}},
                "volumeAttributesClassName": "gold",
            },
            "status": {"phase": "Pending"},
        }),
        &pvc_cols([
            json!("scratch"),
            json!("Terminating"),
            json!(""),
            json!(""),
            json!(""),
            json!(""),
            json!("gold"),
            json!("45s"),
            json!("<unset>"),
        ]),
    );
    let mut default_class = meta("local-path", 3 * 86400);
    default_class["annotations"] = json!({"storageclass.kubernetes.io/is-default-class": "true"});
    check(
        "storage.k8s.io",
        "StorageClass",
        json!({
            "metadata": default_class,
            "provisioner": "rancher.io/local-path",
            "reclaimPolicy": "Delete",
            "volumeBindingMode": "WaitForFirstConsumer",
        }),
        &[
            ("Name", json!("local-path (default)")),
            ("Provisioner", json!("rancher.io/local-path")),
            ("ReclaimPolicy", json!("Delete")),
            ("VolumeBindingMode", json!("WaitForFirstConsumer")),
            ("AllowVolumeExpansion", json!(false)),
            ("Age", json!("3d")),
        ],
    );
    check(
        "storage.k8s.io",
        "CSIDriver",
        json!({
            "metadata": meta("secrets-store.csi.k8s.io", M83),
            "spec": {
                "attachRequired": false,
                "podInfoOnMount": true,
                "volumeLifecycleModes": ["Persistent", "Ephemeral"],
                "tokenRequests": [{"audience": "vault"}, {"audience": "aws"}],
            },
        }),
        &[
            ("Name", json!("secrets-store.csi.k8s.io")),
            ("AttachRequired:b", json!(false)),
            ("PodInfoOnMount:b", json!(true)),
            ("StorageCapacity:b", json!(false)),
            ("TokenRequests", json!("vault,aws")),
            ("RequiresRepublish:b", json!(false)),
            ("Modes", json!("Persistent,Ephemeral")),
            ("Age", json!("83m")),
        ],
    );
    check(
        "storage.k8s.io",
        "CSIDriver",
        json!({"metadata": meta("hostpath.csi.k8s.io", 45), "spec": {}}),
        &[
            ("Name", json!("hostpath.csi.k8s.io")),
            ("AttachRequired:b", json!(true)),
            ("PodInfoOnMount:b", json!(false)),
            ("StorageCapacity:b", json!(false)),
            ("TokenRequests", json!("<unset>")),
            ("RequiresRepublish:b", json!(false)),
            ("Modes", json!("<none>")),
            ("Age", json!("45s")),
        ],
    );
    check(
        "storage.k8s.io",
        "CSINode",
        json!({"metadata": meta("node-1", H3M5), "spec": {"drivers": [
            {"name": "a.csi", "nodeID": "node-1"}, {"name": "b.csi", "nodeID": "node-1"},
        ]}}),
        &[
            ("Name", json!("node-1")),
            ("Drivers:i", json!(2)),
            ("Age", json!("3h5m")),
        ],
    );
}

#[test]
fn networking_kinds_print_like_upstream() {
    let ingress_cols = |cells: [Value; 6]| -> Vec<(&'static str, Value)> {
        ["Name", "Class", "Hosts", "Address", "Ports", "Age"]
            .into_iter()
            .zip(cells)
            .collect()
    };
    let rule = |host: &str| json!({"host": host, "http": {"paths": []}});
    check(
        "networking.k8s.io",
        "Ingress",
        json!({
            "metadata": meta("web", H3M5),
            "spec": {
                "ingressClassName": "nginx",
                "rules": [rule("a.example.com"), rule("b.example.com")],
                "tls": [{"hosts": ["a.example.com"], "secretName": "tls"}],
            },
            "status": {"loadBalancer": {"ingress": [
                {"ip": "203.0.113.9"}, {"hostname": "lb.example.com"}, {"ip": "203.0.113.9"},
            ]}},
        }),
        &ingress_cols([
            json!("web"),
            json!("nginx"),
            json!("a.example.com,b.example.com"),
            json!("203.0.113.9,lb.example.com"),
            json!("80, 443"),
            json!("3h5m"),
        ]),
    );
    check(
        "networking.k8s.io",
        "Ingress",
        json!({
            "metadata": meta("many", 45),
            "spec": {"rules": [rule("a"), rule("b"), rule("c"), rule("d"), rule("e")]},
            "status": {"loadBalancer": {}},
        }),
        &ingress_cols([
            json!("many"),
            json!("<none>"),
            json!("a,b,c + 2 more..."),
            json!(""),
            json!("80"),
            json!("45s"),
        ]),
    );
    check(
        "networking.k8s.io",
        "Ingress",
        json!({"metadata": meta("catch-all", 45), "spec": {"defaultBackend": {}}}),
        &ingress_cols([
            json!("catch-all"),
            json!("<none>"),
            json!("*"),
            json!(""),
            json!("80"),
            json!("45s"),
        ]),
    );
    check(
        "networking.k8s.io",
        "IngressClass",
        json!({
            "metadata": meta("nginx", M83),
            "spec": {"controller": "k8s.io/ingress-nginx", "parameters": {
                "apiGroup": "k8s.example.com", "kind": "IngressParameters", "name": "external-lb",
            }},
        }),
        &[
            ("Name", json!("nginx")),
            ("Controller", json!("k8s.io/ingress-nginx")),
            (
                "Parameters",
                json!("IngressParameters.k8s.example.com/external-lb"),
            ),
            ("Age", json!("83m")),
        ],
    );
    check(
        "networking.k8s.io",
        "NetworkPolicy",
        json!({"metadata": meta("deny-all", 45), "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}),
        &[
            ("Name", json!("deny-all")),
            ("Pod-Selector", json!("<none>")),
            ("Age", json!("45s")),
        ],
    );
    check(
        "networking.k8s.io",
        "NetworkPolicy",
        json!({"metadata": meta("db", 45), "spec": {"podSelector": {"matchLabels": {"role": "db"}}}}),
        &[
            ("Name", json!("db")),
            ("Pod-Selector", json!("role=db")),
            ("Age", json!("45s")),
        ],
    );
    let slice_cols = |cells: [Value; 5]| -> Vec<(&'static str, Value)> {
        ["Name", "AddressType", "Ports", "Endpoints", "Age"]
            .into_iter()
            .zip(cells)
            .collect()
    };
    let endpoint = |ip: &str| json!({"addresses": [ip], "conditions": {"ready": true}});
    check(
        "discovery.k8s.io",
        "EndpointSlice",
        json!({
            "metadata": meta("web-abcde", H3M5),
            "addressType": "IPv4",
            "ports": [{"name": "http", "port": 80, "protocol": "TCP"}, {"name": "metrics"}, {}],
            "endpoints": [
                endpoint("10.0.0.1"), endpoint("10.0.0.2"), endpoint("10.0.0.3"),
                endpoint("10.0.0.4"), endpoint("10.0.0.5"),
            ],
        }),
        &slice_cols([
            json!("web-abcde"),
            json!("IPv4"),
            json!("80,metrics,*"),
            json!("10.0.0.1,10.0.0.2,10.0.0.3 + 2 more..."),
            json!("3h5m"),
        ]),
    );
    check(
        "discovery.k8s.io",
        "EndpointSlice",
        json!({"metadata": meta("empty", 45), "addressType": "IPv6", "endpoints": []}),
        &slice_cols([
            json!("empty"),
            json!("IPv6"),
            json!("<unset>"),
            json!("<unset>"),
            json!("45s"),
        ]),
    );
    check(
        "",
        "Endpoints",
        json!({
            "metadata": meta("web", M83),
            "subsets": [{
                "addresses": [{"ip": "10.0.0.1"}, {"ip": "fd00::1"}],
                "ports": [{"port": 80}, {"port": 443}],
            }],
        }),
        &[
            ("Name", json!("web")),
            (
                "Endpoints",
                json!("10.0.0.1:80,[fd00::1]:80,10.0.0.1:443 + 1 more..."),
            ),
            ("Age", json!("83m")),
        ],
    );
    check(
        "",
        "Endpoints",
        json!({"metadata": meta("none", 45)}),
        &[
            ("Name", json!("none")),
            ("Endpoints", json!("<none>")),
            ("Age", json!("45s")),
        ],
    );
    check(
        "",
        "Service",
        json!({
            "metadata": meta("lb", 45),
            "spec": {
                "type": "LoadBalancer",
                "clusterIP": "10.43.0.10",
                "clusterIPs": ["10.43.0.10"],
                "selector": {"app": "web", "tier": "fe"},
                "ports": [{"port": 80, "protocol": "TCP", "nodePort": 30080}, {"port": 53, "protocol": "UDP"}],
            },
            "status": {"loadBalancer": {}},
        }),
        &[
            ("Name", json!("lb")),
            ("Type", json!("LoadBalancer")),
            ("Cluster-IP", json!("10.43.0.10")),
            ("External-IP", json!("<pending>")),
            ("Port(s)", json!("80:30080/TCP,53/UDP")),
            ("Age", json!("45s")),
            ("Selector:s:1", json!("app=web,tier=fe")),
        ],
    );
}

#[test]
fn autoscalers_and_budgets_print_like_upstream() {
    let hpa_cols = |cells: [Value; 7]| -> Vec<(&'static str, Value)> {
        [
            "Name",
            "Reference",
            "Targets",
            "MinPods",
            "MaxPods",
            "Replicas",
            "Age",
        ]
        .into_iter()
        .zip(cells)
        .collect()
    };
    check(
        "autoscaling",
        "HorizontalPodAutoscaler",
        json!({
            "metadata": meta("web", H3M5),
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                "minReplicas": 2,
                "maxReplicas": 10,
                "metrics": [
                    {"type": "Resource", "resource": {"name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": 80}}},
                    {"type": "Resource", "resource": {"name": "memory",
                        "target": {"type": "AverageValue", "averageValue": "512Mi"}}},
                    {"type": "Pods", "pods": {"metric": {"name": "packets"},
                        "target": {"type": "AverageValue", "averageValue": "1k"}}},
                ],
            },
            "status": {
                "currentReplicas": 3,
                "desiredReplicas": 3,
                "currentMetrics": [
                    {"type": "Resource", "resource": {"name": "cpu",
                        "current": {"averageUtilization": 45, "averageValue": "120m"}}},
                ],
            },
        }),
        &hpa_cols([
            json!("web"),
            json!("Deployment/web"),
            json!("cpu: 45%/80%, memory: <unknown>/512Mi + 1 more..."),
            json!("2"),
            json!(10),
            json!(3),
            json!("3h5m"),
        ]),
    );
    check(
        "autoscaling",
        "HorizontalPodAutoscaler",
        json!({
            "metadata": meta("queue", 45),
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "worker"},
                "maxReplicas": 5,
                "metrics": [
                    {"type": "External", "external": {"metric": {"name": "queue_depth"},
                        "target": {"type": "AverageValue", "averageValue": "30"}}},
                    {"type": "Object", "object": {"metric": {"name": "rps"},
                        "describedObject": {"kind": "Ingress", "name": "web"},
                        "target": {"type": "Value", "value": "2000m"}}},
                ],
            },
            "status": {"currentReplicas": 1, "currentMetrics": [
                {"type": "External", "external": {"metric": {"name": "queue_depth"},
                    "current": {"averageValue": "12"}}},
                {"type": "Object", "object": {"metric": {"name": "rps"},
                    "current": {"value": "1500m"}}},
            ]},
        }),
        &hpa_cols([
            json!("queue"),
            json!("StatefulSet/worker"),
            json!("12/30 (avg), 1500m/2"),
            json!("<unset>"),
            json!(5),
            json!(1),
            json!("45s"),
        ]),
    );
    check(
        "autoscaling",
        "HorizontalPodAutoscaler",
        json!({
            "metadata": meta("bare", 45),
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "bare"}, "maxReplicas": 3},
            "status": {},
        }),
        &hpa_cols([
            json!("bare"),
            json!("Deployment/bare"),
            json!("<none>"),
            json!("<unset>"),
            json!(3),
            json!(0),
            json!("45s"),
        ]),
    );
    check(
        "policy",
        "PodDisruptionBudget",
        json!({
            "metadata": meta("web", M83),
            "spec": {"minAvailable": "50%", "selector": {"matchLabels": {"app": "web"}}},
            "status": {"disruptionsAllowed": 1, "currentHealthy": 3, "desiredHealthy": 2,
                       "expectedPods": 3},
        }),
        &[
            ("Name", json!("web")),
            ("Min Available", json!("50%")),
            ("Max Unavailable", json!("N/A")),
            ("Allowed Disruptions:i", json!(1)),
            ("Age", json!("83m")),
        ],
    );
    check(
        "policy",
        "PodDisruptionBudget",
        json!({"metadata": meta("db", 45), "spec": {"maxUnavailable": 1}, "status": {}}),
        &[
            ("Name", json!("db")),
            ("Min Available", json!("N/A")),
            ("Max Unavailable", json!("1")),
            ("Allowed Disruptions:i", json!(0)),
            ("Age", json!("45s")),
        ],
    );
    check(
        "",
        "ResourceQuota",
        json!({
            "metadata": meta("compute", H3M5),
            "spec": {"hard": {"cpu": "2", "pods": "10"}},
            "status": {
                "hard": {"cpu": "2", "limits.memory": "2Gi", "pods": "10", "requests.memory": "1024Mi"},
                "used": {"cpu": "500m", "limits.memory": "512Mi", "pods": "3"},
            },
        }),
        &[
            ("Name", json!("compute")),
            (
                "Request",
                json!("cpu: 500m/2, pods: 3/10, requests.memory: 0/1Gi"),
            ),
            ("Limit", json!("limits.memory: 512Mi/2Gi")),
            ("Age", json!("3h5m")),
        ],
    );
}

#[test]
fn cluster_kinds_print_like_upstream() {
    let mut labels = meta("cp-1", 3 * 86400);
    labels["labels"] = json!({
        "node-role.kubernetes.io/control-plane": "",
        "node-role.kubernetes.io/": "",
        "kubernetes.io/role": "master",
        "kubernetes.io/hostname": "cp-1",
    });
    check(
        "",
        "Node",
        json!({
            "metadata": labels,
            "spec": {"unschedulable": true},
            "status": {
                "conditions": [
                    {"type": "MemoryPressure", "status": "False"},
                    {"type": "Ready", "status": "True"},
                ],
                "addresses": [
                    {"type": "Hostname", "address": "cp-1"},
                    {"type": "InternalIP", "address": "10.0.0.5"},
                ],
                "nodeInfo": {"kubeletVersion": "v1.33.1", "osImage": "Ubuntu 24.04 LTS",
                             "kernelVersion": "6.8.0-45-generic"},
            },
        }),
        &[
            ("Name", json!("cp-1")),
            ("Status", json!("Ready,SchedulingDisabled")),
            ("Roles", json!("control-plane,master")),
            ("Age", json!("3d")),
            ("Version", json!("v1.33.1")),
            ("Internal-IP:s:1", json!("10.0.0.5")),
            ("External-IP:s:1", json!("<none>")),
            ("OS-Image:s:1", json!("Ubuntu 24.04 LTS")),
            ("Kernel-Version:s:1", json!("6.8.0-45-generic")),
            ("Container-Runtime:s:1", json!("<unknown>")),
        ],
    );
    check(
        "",
        "Node",
        json!({"metadata": meta("new", 45), "spec": {}, "status": {}}),
        &[
            ("Name", json!("new")),
            ("Status", json!("Unknown")),
            ("Roles", json!("<none>")),
            ("Age", json!("45s")),
            ("Version", json!("")),
            ("Internal-IP:s:1", json!("<none>")),
            ("External-IP:s:1", json!("<none>")),
            ("OS-Image:s:1", json!("<unknown>")),
            ("Kernel-Version:s:1", json!("<unknown>")),
            ("Container-Runtime:s:1", json!("<unknown>")),
        ],
    );
    check(
        "coordination.k8s.io",
        "Lease",
        json!({"metadata": meta("free", 45), "spec": {}}),
        &[
            ("Name", json!("free")),
            ("Holder", json!("")),
            ("Age", json!("45s")),
        ],
    );
    check(
        "node.k8s.io",
        "RuntimeClass",
        json!({"metadata": meta("gvisor", M83), "handler": "runsc"}),
        &[
            ("Name", json!("gvisor")),
            ("Handler", json!("runsc")),
            ("Age", json!("83m")),
        ],
    );
    check(
        "scheduling.k8s.io",
        "PriorityClass",
        json!({"metadata": meta("high", M83), "value": 1000000,
               "preemptionPolicy": "PreemptLowerPriority", "description": "high"}),
        &[
            ("Name", json!("high")),
            ("Value:i", json!(1000000)),
            ("Global-Default:b", json!(false)),
            ("Age", json!("83m")),
            ("PreemptionPolicy", json!("PreemptLowerPriority")),
        ],
    );
    check(
        "certificates.k8s.io",
        "CertificateSigningRequest",
        json!({
            "metadata": meta("alice", M83),
            "spec": {"signerName": "kubernetes.io/kube-apiserver-client", "username": "alice",
                     "expirationSeconds": 86400, "usages": ["client auth"], "request": "LS0t"},
            "status": {"conditions": [{"type": "Approved", "status": "True"}], "certificate": "LS0t"},
        }),
        &[
            ("Name", json!("alice")),
            ("Age", json!("83m")),
            ("SignerName", json!("kubernetes.io/kube-apiserver-client")),
            ("Requestor", json!("alice")),
            ("RequestedDuration", json!("24h")),
            ("Condition", json!("Approved,Issued")),
        ],
    );
    check(
        "certificates.k8s.io",
        "CertificateSigningRequest",
        json!({
            "metadata": meta("bob", 45),
            "spec": {"signerName": "example.com/signer", "username": "bob", "request": "LS0t"},
            "status": {"conditions": [{"type": "Denied", "status": "True"},
                                      {"type": "Failed", "status": "True"}]},
        }),
        &[
            ("Name", json!("bob")),
            ("Age", json!("45s")),
            ("SignerName", json!("example.com/signer")),
            ("Requestor", json!("bob")),
            ("RequestedDuration", json!("<none>")),
            ("Condition", json!("Denied,Failed")),
        ],
    );
}

#[test]
fn rbac_kinds_print_like_upstream() {
    let binding_cols = |cells: [Value; 6]| -> Vec<(&'static str, Value)> {
        [
            "Name",
            "Role",
            "Age",
            "Users:s:1",
            "Groups:s:1",
            "ServiceAccounts:s:1",
        ]
        .into_iter()
        .zip(cells)
        .collect()
    };
    check(
        "rbac.authorization.k8s.io",
        "RoleBinding",
        json!({
            "metadata": meta("read-pods", M83),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pod-reader"},
            "subjects": [
                {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "jane"},
                {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "joe"},
                {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "devs"},
                {"kind": "ServiceAccount", "namespace": "ci", "name": "builder"},
            ],
        }),
        &binding_cols([
            json!("read-pods"),
            json!("Role/pod-reader"),
            json!("83m"),
            json!("jane, joe"),
            json!("devs"),
            json!("ci/builder"),
        ]),
    );
    check(
        "rbac.authorization.k8s.io",
        "ClusterRoleBinding",
        json!({
            "metadata": meta("cluster-admin", 3 * 86400),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
            "subjects": [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "system:masters"}],
        }),
        &binding_cols([
            json!("cluster-admin"),
            json!("ClusterRole/cluster-admin"),
            json!("3d"),
            json!(""),
            json!("system:masters"),
            json!(""),
        ]),
    );
    // kinds without an upstream printer get Name and Created At
    let created = ago(M83);
    for (group, kind) in [
        ("rbac.authorization.k8s.io", "Role"),
        ("rbac.authorization.k8s.io", "ClusterRole"),
        ("", "LimitRange"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ] {
        let mut m = meta("thing", 0);
        m["creationTimestamp"] = json!(created);
        check(
            group,
            kind,
            json!({"metadata": m}),
            &[("Name", json!("thing")), ("Created At:d", json!(created))],
        );
    }
}

#[test]
fn core_kinds_print_like_upstream() {
    check(
        "",
        "ConfigMap",
        json!({"metadata": meta("cfg", 45), "data": {"a": "1", "b": "2"}, "binaryData": {"c": "AA=="}}),
        &[
            ("Name", json!("cfg")),
            ("Data", json!(3)),
            ("Age", json!("45s")),
        ],
    );
    check(
        "",
        "Secret",
        json!({"metadata": meta("tls", 45), "type": "kubernetes.io/tls",
               "data": {"tls.crt": "AA==", "tls.key": "AA=="}}),
        &[
            ("Name", json!("tls")),
            ("Type", json!("kubernetes.io/tls")),
            ("Data", json!(2)),
            ("Age", json!("45s")),
        ],
    );
    check(
        "",
        "ServiceAccount",
        json!({"metadata": meta("default", 45)}),
        &[
            ("Name", json!("default")),
            ("Secrets", json!(0)),
            ("Age", json!("45s")),
        ],
    );
    check(
        "",
        "Namespace",
        json!({"metadata": meta("team-a", M83), "status": {"phase": "Active"}}),
        &[
            ("Name", json!("team-a")),
            ("Status", json!("Active")),
            ("Age", json!("83m")),
        ],
    );
}

fn pod_cols(cells: [Value; 9]) -> Vec<(&'static str, Value)> {
    [
        "Name",
        "Ready",
        "Status",
        "Restarts",
        "Age",
        "IP:s:1",
        "Node:s:1",
        "Nominated Node:s:1",
        "Readiness Gates:s:1",
    ]
    .into_iter()
    .zip(cells)
    .collect()
}

#[test]
fn pods_print_like_upstream() {
    check(
        "",
        "Pod",
        json!({
            "metadata": meta("web-1", H3M5),
            "spec": {
                "nodeName": "node-1",
                "containers": [{"name": "app", "image": "app:1"}, {"name": "log", "image": "log:1"}],
                "readinessGates": [{"conditionType": "example.com/lb"}],
            },
            "status": {
                "phase": "Running",
                "podIP": "10.42.0.7",
                "podIPs": [{"ip": "10.42.0.7"}, {"ip": "fd00::7"}],
                "conditions": [{"type": "Ready", "status": "False"},
                               {"type": "example.com/lb", "status": "True"}],
                "containerStatuses": [
                    {"name": "app", "ready": true, "restartCount": 2, "state": {"running": {}},
                     "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(M83)}}},
                    {"name": "log", "ready": false, "restartCount": 0, "state": {"running": {}}},
                ],
            },
        }),
        &pod_cols([
            json!("web-1"),
            json!("1/2"),
            json!("Running"),
            json!("2 (83m ago)"),
            json!("3h5m"),
            json!("10.42.0.7"),
            json!("node-1"),
            json!("<none>"),
            json!("1/1"),
        ]),
    );
    check(
        "",
        "Pod",
        json!({
            "metadata": meta("init", 45),
            "spec": {
                "initContainers": [
                    {"name": "proxy", "image": "proxy:1", "restartPolicy": "Always"},
                    {"name": "migrate", "image": "app:1"},
                ],
                "containers": [{"name": "app", "image": "app:1"}],
            },
            "status": {
                "phase": "Pending",
                "initContainerStatuses": [
                    {"name": "proxy", "ready": true, "started": true, "restartCount": 0,
                     "state": {"running": {}}},
                    {"name": "migrate", "ready": false, "restartCount": 0,
                     "state": {"waiting": {"reason": "PodInitializing"}}},
                ],
                "containerStatuses": [
                    {"name": "app", "ready": false, "restartCount": 0,
                     "state": {"waiting": {"reason": "PodInitializing"}}},
                ],
            },
        }),
        &pod_cols([
            json!("init"),
            json!("1/2"),
            json!("Init:1/2"),
            json!("0"),
            json!("45s"),
            json!("<none>"),
            json!("<none>"),
            json!("<none>"),
            json!("<none>"),
        ]),
    );
    let mut deleting = meta("crash", 45);
    deleting["deletionTimestamp"] = json!(ago(-30));
    check(
        "",
        "Pod",
        json!({
            "metadata": deleting,
            "spec": {"nodeName": "node-2", "containers": [{"name": "app", "image": "app:1"}]},
            "status": {"phase": "Running", "containerStatuses": [
                {"name": "app", "ready": false, "restartCount": 5,
                 "state": {"waiting": {"reason": "CrashLoopBackOff"}}},
            ]},
        }),
        &pod_cols([
            json!("crash"),
            json!("0/1"),
            json!("Terminating"),
            json!("5"),
            json!("45s"),
            json!("<none>"),
            json!("node-2"),
            json!("<none>"),
            json!("<none>"),
        ]),
    );
    check(
        "",
        "Pod",
        json!({
            "metadata": meta("done", 45),
            "spec": {"containers": [{"name": "app", "image": "app:1"}]},
            "status": {"phase": "Failed", "containerStatuses": [
                {"name": "app", "ready": false, "restartCount": 0,
                 "state": {"terminated": {"exitCode": 137, "signal": 9}}},
            ]},
        }),
        &pod_cols([
            json!("done"),
            json!("0/1"),
            json!("Signal:9"),
            json!("0"),
            json!("45s"),
            json!("<none>"),
            json!("<none>"),
            json!("<none>"),
            json!("<none>"),
        ]),
    );
}

#[test]
fn every_served_kind_prints_a_row_as_wide_as_its_columns() {
    for info in ResourceTable::builtin().resources() {
        let obj = json!({"metadata": {"name": "x"}});
        let table = Printer::builtin(info).table(&[obj], json!({}), true);
        let cols = table["columnDefinitions"].as_array().unwrap().len();
        let cells = table["rows"][0]["cells"].as_array().unwrap().len();
        assert_eq!(cols, cells, "{}/{}", info.group, info.kind);
        assert_eq!(
            table["rows"][0]["object"]["kind"], "PartialObjectMetadata",
            "{}",
            info.kind
        );
    }
}

#[test]
fn label_selectors_format_like_go() {
    assert_eq!(format_label_selector(&Value::Null), "<none>");
    assert_eq!(format_label_selector(&json!({})), "<none>");
    assert_eq!(
        format_label_selector(&json!({
            "matchLabels": {"b": "2"},
            "matchExpressions": [
                {"key": "a", "operator": "NotIn", "values": ["y", "x"]},
                {"key": "c", "operator": "Exists"},
            ],
        })),
        "a notin (x,y),b=2,c"
    );
    assert_eq!(format_labels(&json!({})), "<none>");
}
