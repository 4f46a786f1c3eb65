//! Printers of pods, their templates and budgets, the workload controllers and batch.

use super::*;

// ---- core workloads ------------------------------------------------------------

pub(super) fn condition_true(conditions: &Value, ty: &str) -> bool {
    items(conditions)
        .iter()
        .find(|c| c["type"] == ty)
        .is_some_and(|c| c["status"] == "True")
}

/// The later of `current` and a container status's last termination time.
pub(super) fn later(current: Option<SystemTime>, status: &Value) -> Option<SystemTime> {
    let t = time(&status["lastState"]["terminated"]["finishedAt"]);
    match (current, t) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

pub(super) fn pod(obj: &Value) -> Vec<Value> {
    let spec = &obj["spec"];
    let st = &obj["status"];
    let init_specs = items(&spec["initContainers"]);
    let restartable = |name: &str| {
        init_specs
            .iter()
            .any(|c| c["name"] == name && c["restartPolicy"] == "Always")
    };
    let total = items(&spec["containers"]).len()
        + init_specs
            .iter()
            .filter(|c| c["restartPolicy"] == "Always")
            .count();
    let mut ready = 0;
    let mut restarts = 0;
    let mut sidecar_restarts = 0;
    let mut last_restart = None;
    let mut sidecar_last_restart = None;
    let phase = text(&st["phase"]);
    let mut reason = text_or(&st["reason"], phase).to_string();
    if items(&st["conditions"])
        .iter()
        .any(|c| c["type"] == "PodScheduled" && c["reason"] == "SchedulingGated")
    {
        reason = "SchedulingGated".into();
    }

    let mut initializing = false;
    for (n, c) in items(&st["initContainerStatuses"]).iter().enumerate() {
        restarts += int(&c["restartCount"]);
        last_restart = later(last_restart, c);
        let sidecar = restartable(text(&c["name"]));
        if sidecar {
            sidecar_restarts += int(&c["restartCount"]);
            sidecar_last_restart = later(sidecar_last_restart, c);
        }
        let state = &c["state"];
        let terminated = &state["terminated"];
        let waiting_reason = text(&state["waiting"]["reason"]);
        if terminated.is_object() && int(&terminated["exitCode"]) == 0 {
            continue;
        }
        if sidecar && c["started"] == json!(true) {
            if c["ready"] == json!(true) {
                ready += 1;
            }
            continue;
        }
        reason = if terminated.is_object() {
            match text(&terminated["reason"]) {
                "" if int(&terminated["signal"]) != 0 => {
                    format!("Init:Signal:{}", int(&terminated["signal"]))
                }
                "" => format!("Init:ExitCode:{}", int(&terminated["exitCode"])),
                r => format!("Init:{r}"),
            }
        } else if !waiting_reason.is_empty() && waiting_reason != "PodInitializing" {
            format!("Init:{waiting_reason}")
        } else {
            format!("Init:{n}/{}", init_specs.len())
        };
        initializing = true;
        break;
    }

    if !initializing || condition_true(&st["conditions"], "Initialized") {
        restarts = sidecar_restarts;
        last_restart = sidecar_last_restart;
        let mut has_running = false;
        let mut error_reason = String::new();
        for c in items(&st["containerStatuses"]).iter().rev() {
            restarts += int(&c["restartCount"]);
            last_restart = later(last_restart, c);
            let state = &c["state"];
            let terminated = &state["terminated"];
            let waiting_reason = text(&state["waiting"]["reason"]);
            if state["waiting"].is_object() && !waiting_reason.is_empty() {
                reason = waiting_reason.to_string();
            } else if terminated.is_object() {
                reason = match text(&terminated["reason"]) {
                    "" if int(&terminated["signal"]) != 0 => {
                        format!("Signal:{}", int(&terminated["signal"]))
                    }
                    "" => format!("ExitCode:{}", int(&terminated["exitCode"])),
                    r => r.to_string(),
                };
                if int(&terminated["exitCode"]) != 0 {
                    error_reason = reason.clone();
                }
            } else if c["ready"] == json!(true) && state["running"].is_object() {
                has_running = true;
                ready += 1;
            }
        }
        if reason == "Completed" {
            if has_running && condition_true(&st["conditions"], "Ready") {
                reason = "Running".into();
            } else if !error_reason.is_empty() {
                reason = error_reason;
            } else if has_running {
                reason = "NotReady".into();
            }
        }
    }

    let deleting = !obj["metadata"]["deletionTimestamp"].is_null();
    if deleting && st["reason"] == "NodeLost" {
        reason = "Unknown".into();
    } else if deleting && phase != "Succeeded" && phase != "Failed" {
        reason = "Terminating".into();
    }

    let restarts = match last_restart {
        Some(t) if restarts != 0 => format!(
            "{restarts} ({} ago)",
            human_signed(secs_between(t, super::super::now()))
        ),
        _ => restarts.to_string(),
    };
    let pod_ip = items(&st["podIPs"])
        .first()
        .map_or_else(|| text(&st["podIP"]), |ip| text(&ip["ip"]));
    let gates = items(&spec["readinessGates"]);
    let readiness_gates = if gates.is_empty() {
        "<none>".to_string()
    } else {
        let passing = gates
            .iter()
            .filter(|g| condition_true(&st["conditions"], text(&g["conditionType"])))
            .count();
        format!("{passing}/{}", gates.len())
    };
    vec![
        name(obj),
        json!(format!("{ready}/{total}")),
        json!(reason),
        json!(restarts),
        json!(age(obj)),
        json!(if pod_ip.is_empty() { "<none>" } else { pod_ip }),
        json!(text_or(&spec["nodeName"], "<none>")),
        json!(text_or(&st["nominatedNodeName"], "<none>")),
        json!(readiness_gates),
    ]
}

pub(super) fn pod_template(obj: &Value) -> Vec<Value> {
    let template = &obj["template"];
    let [names, images] = wide_containers(&template["spec"]);
    vec![
        name(obj),
        names,
        images,
        json!(format_labels(&template["metadata"]["labels"])),
    ]
}

pub(super) fn pod_disruption_budget(obj: &Value) -> Vec<Value> {
    let spec = &obj["spec"];
    let or_na = |v: &Value| {
        if v.is_null() {
            "N/A".to_string()
        } else {
            int_or_string(v)
        }
    };
    vec![
        name(obj),
        json!(or_na(&spec["minAvailable"])),
        json!(or_na(&spec["maxUnavailable"])),
        json!(int(&obj["status"]["disruptionsAllowed"])),
        json!(age(obj)),
    ]
}

/// Desired replicas: `spec.replicas`, which defaulting sets to 1.
pub(super) fn desired(spec: &Value) -> i64 {
    spec["replicas"].as_i64().unwrap_or(1)
}

pub(super) fn replication_controller(obj: &Value) -> Vec<Value> {
    replicas_row(obj, format_labels(&obj["spec"]["selector"]))
}

pub(super) fn replica_set(obj: &Value) -> Vec<Value> {
    replicas_row(obj, format_label_selector(&obj["spec"]["selector"]))
}

/// ReplicationController and ReplicaSet rows: the same cells, the selector formatted
/// as each kind's is (a label map, a label selector).
pub(super) fn replicas_row(obj: &Value, selector: String) -> Vec<Value> {
    let spec = &obj["spec"];
    let [names, images] = wide_containers(&spec["template"]["spec"]);
    vec![
        name(obj),
        json!(desired(spec)),
        json!(int(&obj["status"]["replicas"])),
        json!(int(&obj["status"]["readyReplicas"])),
        json!(age(obj)),
        names,
        images,
        json!(selector),
    ]
}

pub(super) fn daemon_set(obj: &Value) -> Vec<Value> {
    let spec = &obj["spec"];
    let st = &obj["status"];
    let [names, images] = wide_containers(&spec["template"]["spec"]);
    vec![
        name(obj),
        json!(int(&st["desiredNumberScheduled"])),
        json!(int(&st["currentNumberScheduled"])),
        json!(int(&st["numberReady"])),
        json!(int(&st["updatedNumberScheduled"])),
        json!(int(&st["numberAvailable"])),
        json!(format_labels(&spec["template"]["spec"]["nodeSelector"])),
        json!(age(obj)),
        names,
        images,
        json!(format_label_selector(&spec["selector"])),
    ]
}

pub(super) fn stateful_set(obj: &Value) -> Vec<Value> {
    let spec = &obj["spec"];
    let [names, images] = wide_containers(&spec["template"]["spec"]);
    vec![
        name(obj),
        json!(format!(
            "{}/{}",
            int(&obj["status"]["readyReplicas"]),
            desired(spec)
        )),
        json!(age(obj)),
        names,
        images,
    ]
}

pub(super) fn deployment(obj: &Value) -> Vec<Value> {
    let spec = &obj["spec"];
    let st = &obj["status"];
    let [names, images] = wide_containers(&spec["template"]["spec"]);
    vec![
        name(obj),
        json!(format!("{}/{}", int(&st["readyReplicas"]), desired(spec))),
        json!(int(&st["updatedReplicas"])),
        json!(int(&st["availableReplicas"])),
        json!(age(obj)),
        names,
        images,
        json!(label_selector(&spec["selector"])),
    ]
}

pub(super) fn controller_revision(obj: &Value) -> Vec<Value> {
    let controller = items(&obj["metadata"]["ownerReferences"])
        .iter()
        .find(|r| r["controller"] == json!(true))
        .map_or_else(
            || "<none>".to_string(),
            |r| {
                let group = text(&r["apiVersion"])
                    .rsplit_once('/')
                    .map_or("", |(g, _)| g);
                let kind = text(&r["kind"]);
                let gk = if group.is_empty() {
                    kind.to_string()
                } else {
                    format!("{kind}.{group}")
                };
                if gk.is_empty() {
                    text(&r["name"]).to_string()
                } else {
                    format!("{}/{}", gk.to_lowercase(), text(&r["name"]))
                }
            },
        );
    vec![
        name(obj),
        json!(controller),
        json!(int(&obj["revision"])),
        json!(age(obj)),
    ]
}

// ---- batch ----------------------------------------------------------------------

pub(super) fn job(obj: &Value) -> Vec<Value> {
    let spec = &obj["spec"];
    let st = &obj["status"];
    let succeeded = int(&st["succeeded"]);
    let completions = match spec["completions"].as_i64() {
        Some(c) => format!("{succeeded}/{c}"),
        None => match int(&spec["parallelism"]) {
            p if p > 1 => format!("{succeeded}/1 of {p}"),
            _ => format!("{succeeded}/1"),
        },
    };
    let duration = match (time(&st["startTime"]), time(&st["completionTime"])) {
        (None, _) => String::new(),
        (Some(start), None) => human_signed(secs_between(start, super::super::now())),
        (Some(start), Some(end)) => human_signed(secs_between(start, end)),
    };
    // upstream looks at the first condition of each type
    let has = |ty: &str| condition_true(&st["conditions"], ty);
    let status = if has("Complete") {
        "Complete"
    } else if has("Failed") {
        "Failed"
    } else if !obj["metadata"]["deletionTimestamp"].is_null() {
        "Terminating"
    } else if has("Suspended") {
        "Suspended"
    } else if has("FailureTarget") {
        "FailureTarget"
    } else if has("SuccessCriteriaMet") {
        "SuccessCriteriaMet"
    } else {
        "Running"
    };
    let [names, images] = wide_containers(&spec["template"]["spec"]);
    vec![
        name(obj),
        json!(status),
        json!(completions),
        json!(duration),
        json!(age(obj)),
        names,
        images,
        json!(format_label_selector(&spec["selector"])),
    ]
}

/// Upstream's `printBoolPtr`.
pub(super) fn bool_ptr(v: &Value) -> &'static str {
    match v.as_bool() {
        Some(true) => "True",
        Some(false) => "False",
        None => "<unset>",
    }
}

pub(super) fn cron_job(obj: &Value) -> Vec<Value> {
    let spec = &obj["spec"];
    let last = &obj["status"]["lastScheduleTime"];
    let last = if last.is_null() {
        "<none>".to_string()
    } else {
        since(last)
    };
    let job_spec = &spec["jobTemplate"]["spec"];
    let [names, images] = wide_containers(&job_spec["template"]["spec"]);
    vec![
        name(obj),
        json!(text(&spec["schedule"])),
        json!(spec["timeZone"].as_str().unwrap_or("<none>")),
        json!(bool_ptr(&spec["suspend"])),
        json!(items(&obj["status"]["active"]).len()),
        json!(last),
        json!(age(obj)),
        names,
        images,
        json!(format_label_selector(&job_spec["selector"])),
    ]
}
