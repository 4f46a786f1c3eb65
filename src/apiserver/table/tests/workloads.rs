//! Pods, pod templates, workload controllers and batch.

use serde_json::json;

use super::*;

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
