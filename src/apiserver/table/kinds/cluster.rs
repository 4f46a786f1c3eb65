//! Printers of cluster objects (nodes, namespaces, leases, classes) and of config
//! (ConfigMaps, Secrets, ServiceAccounts, ResourceQuotas).

use super::*;

// ---- cluster objects ------------------------------------------------------------------

pub(super) fn node(obj: &Value) -> Vec<Value> {
    let st = &obj["status"];
    let mut status = match items(&st["conditions"])
        .iter()
        .find(|c| c["type"] == "Ready")
    {
        Some(c) if c["status"] == "True" => vec!["Ready"],
        Some(_) => vec!["NotReady"],
        None => vec!["Unknown"],
    };
    if obj["spec"]["unschedulable"] == json!(true) {
        status.push("SchedulingDisabled");
    }
    let mut roles = BTreeSet::new();
    if let Some(labels) = obj["metadata"]["labels"].as_object() {
        for (k, v) in labels {
            if let Some(role) = k.strip_prefix("node-role.kubernetes.io/") {
                if !role.is_empty() {
                    roles.insert(role);
                }
            } else if k == "kubernetes.io/role" && !text(v).is_empty() {
                roles.insert(text(v));
            }
        }
    }
    let roles = roles.into_iter().collect::<Vec<_>>().join(",");
    let address = |ty: &str| {
        items(&st["addresses"])
            .iter()
            .find(|a| a["type"] == ty)
            .map_or("<none>", |a| text(&a["address"]))
    };
    let info = &st["nodeInfo"];
    vec![
        name(obj),
        json!(status.join(",")),
        json!(if roles.is_empty() {
            "<none>"
        } else {
            roles.as_str()
        }),
        json!(age(obj)),
        json!(text(&info["kubeletVersion"])),
        json!(address("InternalIP")),
        json!(address("ExternalIP")),
        json!(text_or(&info["osImage"], "<unknown>")),
        json!(text_or(&info["kernelVersion"], "<unknown>")),
        json!(text_or(&info["containerRuntimeVersion"], "<unknown>")),
    ]
}

pub(super) fn namespace(obj: &Value) -> Vec<Value> {
    vec![
        name(obj),
        json!(text(&obj["status"]["phase"])),
        json!(age(obj)),
    ]
}

pub(super) fn lease(obj: &Value) -> Vec<Value> {
    vec![
        name(obj),
        json!(text(&obj["spec"]["holderIdentity"])),
        json!(age(obj)),
    ]
}

pub(super) fn runtime_class(obj: &Value) -> Vec<Value> {
    vec![name(obj), json!(text(&obj["handler"])), json!(age(obj))]
}

pub(super) fn priority_class(obj: &Value) -> Vec<Value> {
    vec![
        name(obj),
        json!(int(&obj["value"])),
        json!(obj["globalDefault"].as_bool().unwrap_or(false)),
        json!(age(obj)),
        json!(text(&obj["preemptionPolicy"])),
    ]
}

// ---- config ----------------------------------------------------------------------------

pub(super) fn config_map(obj: &Value) -> Vec<Value> {
    vec![
        name(obj),
        json!(count(&obj["data"]) + count(&obj["binaryData"])),
        json!(age(obj)),
    ]
}

pub(super) fn secret(obj: &Value) -> Vec<Value> {
    // the internal Secret holds stringData merged into data
    let mut keys: BTreeSet<&str> = BTreeSet::new();
    for field in ["data", "stringData"] {
        if let Some(m) = obj[field].as_object() {
            keys.extend(m.keys().map(String::as_str));
        }
    }
    vec![
        name(obj),
        json!(text(&obj["type"])),
        json!(keys.len()),
        json!(age(obj)),
    ]
}

pub(super) fn service_account(obj: &Value) -> Vec<Value> {
    vec![
        name(obj),
        json!(items(&obj["secrets"]).len()),
        json!(age(obj)),
    ]
}

pub(super) fn resource_quota(obj: &Value) -> Vec<Value> {
    let st = &obj["status"];
    let mut requests = Vec::new();
    let mut limits = Vec::new();
    // serde_json's map is sorted by key, as upstream sorts the resource names
    if let Some(hard) = st["hard"].as_object() {
        for (resource, hard) in hard {
            let entry = format!(
                "{resource}: {}/{}",
                quantity(&st["used"][resource]),
                quantity(hard)
            );
            match resource.split_once('.') {
                Some(("limits", _)) => limits.push(entry),
                _ => requests.push(entry),
            }
        }
    }
    vec![
        name(obj),
        json!(requests.join(", ")),
        json!(limits.join(", ")),
        json!(age(obj)),
    ]
}
