//! Events of both APIs.

use serde_json::json;

use super::*;

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
