//! Printers of autoscalers, RBAC bindings and certificate signing requests.

use super::*;

// ---- autoscaling -----------------------------------------------------------------------

/// One metric of upstream's `formatHPAMetrics`, `status` being the current
/// metric at the same index (if any).
pub(super) fn hpa_metric(spec: &Value, status: Option<&Value>) -> String {
    // the status entry's source of the same type, if it has one
    let current = |source: &str| status.map(|s| &s[source]).filter(|v| v.is_object());
    let unknown = || "<unknown>".to_string();
    match text(&spec["type"]) {
        ty @ ("External" | "Object") => {
            let key = if ty == "External" {
                "external"
            } else {
                "object"
            };
            let target = &spec[key]["target"];
            if !target["averageValue"].is_null() {
                let cur = current(key)
                    .map(|c| &c["current"]["averageValue"])
                    .filter(|v| !v.is_null())
                    .map_or_else(unknown, quantity);
                format!("{cur}/{} (avg)", quantity(&target["averageValue"]))
            } else {
                let cur =
                    current(key).map_or_else(unknown, |c| quantity_ptr(&c["current"]["value"]));
                format!("{cur}/{}", quantity_ptr(&target["value"]))
            }
        }
        "Pods" => {
            let cur = current("pods")
                .map_or_else(unknown, |c| quantity_ptr(&c["current"]["averageValue"]));
            format!(
                "{cur}/{}",
                quantity_ptr(&spec["pods"]["target"]["averageValue"])
            )
        }
        ty @ ("Resource" | "ContainerResource") => {
            let key = if ty == "Resource" {
                "resource"
            } else {
                "containerResource"
            };
            let source = &spec[key];
            let target = &source["target"];
            let resource = text(&source["name"]);
            if !target["averageValue"].is_null() {
                let cur = current(key)
                    .map_or_else(unknown, |c| quantity_ptr(&c["current"]["averageValue"]));
                format!("{resource}: {cur}/{}", quantity(&target["averageValue"]))
            } else {
                let cur = current(key)
                    .and_then(|c| c["current"]["averageUtilization"].as_i64())
                    .map_or_else(unknown, |u| format!("{u}%"));
                let target = target["averageUtilization"]
                    .as_i64()
                    .map_or_else(|| "<auto>".to_string(), |u| format!("{u}%"));
                format!("{resource}: {cur}/{target}")
            }
        }
        _ => "<unknown type>".to_string(),
    }
}

pub(super) fn horizontal_pod_autoscaler(obj: &Value) -> Vec<Value> {
    let spec = &obj["spec"];
    let metrics = items(&spec["metrics"]);
    let statuses = items(&obj["status"]["currentMetrics"]);
    let targets = if metrics.is_empty() {
        "<none>".to_string()
    } else {
        let list: Vec<String> = metrics
            .iter()
            .enumerate()
            .map(|(n, m)| hpa_metric(m, statuses.get(n)))
            .collect();
        if list.len() > 2 {
            format!("{} + {} more...", list[..2].join(", "), list.len() - 2)
        } else {
            list.join(", ")
        }
    };
    let target = &spec["scaleTargetRef"];
    vec![
        name(obj),
        json!(format!(
            "{}/{}",
            text(&target["kind"]),
            text(&target["name"])
        )),
        json!(targets),
        json!(
            spec["minReplicas"]
                .as_i64()
                .map_or_else(|| "<unset>".to_string(), |m| m.to_string())
        ),
        json!(int(&spec["maxReplicas"])),
        json!(int(&obj["status"]["currentReplicas"])),
        json!(age(obj)),
    ]
}

// ---- RBAC, certificates ------------------------------------------------------------------

pub(super) fn role_binding(obj: &Value) -> Vec<Value> {
    let role = &obj["roleRef"];
    let (mut users, mut groups, mut sas) = (vec![], vec![], vec![]);
    for subject in items(&obj["subjects"]) {
        let n = text(&subject["name"]);
        match text(&subject["kind"]) {
            "User" => users.push(n.to_string()),
            "Group" => groups.push(n.to_string()),
            "ServiceAccount" => sas.push(format!("{}/{n}", text(&subject["namespace"]))),
            _ => {}
        }
    }
    vec![
        name(obj),
        json!(format!("{}/{}", text(&role["kind"]), text(&role["name"]))),
        json!(age(obj)),
        json!(users.join(", ")),
        json!(groups.join(", ")),
        json!(sas.join(", ")),
    ]
}

pub(super) fn certificate_signing_request(obj: &Value) -> Vec<Value> {
    let spec = &obj["spec"];
    let st = &obj["status"];
    let has = |ty: &str| items(&st["conditions"]).iter().any(|c| c["type"] == ty);
    let mut condition = if has("Denied") {
        "Denied"
    } else if has("Approved") {
        "Approved"
    } else {
        "Pending"
    }
    .to_string();
    if has("Failed") {
        condition.push_str(",Failed");
    }
    if !text(&st["certificate"]).is_empty() {
        condition.push_str(",Issued");
    }
    let requested = spec["expirationSeconds"].as_u64().map_or_else(
        || "<none>".to_string(),
        |secs| human_duration(std::time::Duration::from_secs(secs)),
    );
    vec![
        name(obj),
        json!(age(obj)),
        json!(text_or(&spec["signerName"], "<none>")),
        json!(text(&spec["username"])),
        json!(requested),
        json!(condition),
    ]
}
