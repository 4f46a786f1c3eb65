use serde_json::{Value, json};

use super::{check, pod_spec};
use crate::apiserver::validation::batch::parse_standard;

fn job_spec(restart: Option<&str>) -> Value {
    let mut spec = pod_spec();
    if let Some(r) = restart {
        spec["restartPolicy"] = json!(r);
    }
    json!({"template": {"metadata": {"labels": {"a": "b"}}, "spec": spec}})
}

#[test]
fn job_restart_policy() {
    let bad = "spec.template.spec.restartPolicy: Unsupported value: \"Always\": supported values: \"OnFailure\", \"Never\"";
    let mut negative = json!({"spec": job_spec(Some("Never"))});
    negative["spec"]["backoffLimit"] = json!(-1);
    check(
        "batch",
        "Job",
        &[
            ("never", json!({"spec": job_spec(Some("Never"))}), &[]),
            (
                "on failure",
                json!({"spec": job_spec(Some("OnFailure"))}),
                &[],
            ),
            ("defaulted always", json!({"spec": job_spec(None)}), &[bad]),
            ("always", json!({"spec": job_spec(Some("Always"))}), &[bad]),
            (
                "backoff",
                negative,
                &["spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0"],
            ),
        ],
    );
}

#[test]
fn cron_job_schedule() {
    let cron = |schedule: Value| json!({"spec": {"schedule": schedule, "jobTemplate": {"spec": job_spec(Some("OnFailure"))}}});
    check(
        "batch",
        "CronJob",
        &[
            (
                "five fields",
                cron(json!("*/5 0-23 1,15 jan-dec mon-fri")),
                &[],
            ),
            ("descriptor", cron(json!("@hourly")), &[]),
            (
                "missing",
                cron(Value::Null),
                &["spec.schedule: Required value"],
            ),
            (
                "fields",
                cron(json!("* * *")),
                &[
                    "spec.schedule: Invalid value: \"* * *\": expected exactly 5 fields, found 3: [* * *]",
                ],
            ),
            (
                "range",
                cron(json!("70 * * * *")),
                &[
                    "spec.schedule: Invalid value: \"70 * * * *\": end of range (70) above maximum (59): 70",
                ],
            ),
            (
                "descriptor unknown",
                cron(json!("@often")),
                &["spec.schedule: Invalid value: \"@often\": unrecognized descriptor: @often"],
            ),
            (
                "job template",
                json!({"spec": {"schedule": "@daily", "jobTemplate": {"spec": job_spec(None)}}}),
                &[
                    "spec.jobTemplate.spec.template.spec.restartPolicy: Unsupported value: \"Always\": supported values: \"OnFailure\", \"Never\"",
                ],
            ),
        ],
    );
}

#[test]
fn cron_parser_errors() {
    let cases = [
        (
            "x * * * *",
            "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax",
        ),
        (
            "5-1 * * * *",
            "beginning of range (5) beyond end of range (1): 5-1",
        ),
        ("* * 0 * *", "beginning of range (0) below minimum (1): 0"),
        (
            "*/0 * * * *",
            "step of range should be a positive number: */0",
        ),
        ("1-2-3 * * * *", "too many hyphens: 1-2-3"),
    ];
    for (spec, err) in cases {
        assert_eq!(parse_standard(spec).unwrap_err(), err, "{spec}");
    }
}

/// A stored Job as kelp keeps it: defaulted, with a generated selector, started.
fn stored_job() -> Value {
    let mut spec = job_spec(Some("Never"));
    spec["template"]["spec"]["nodeSelector"] = json!({"disk": "ssd"});
    json!({"metadata": {"name": "j"}, "spec": {
        "completions": 2, "parallelism": 2, "completionMode": "NonIndexed", "suspend": false,
        "backoffLimit": 6, "selector": {"matchLabels": {"a": "b"}},
        "template": spec["template"],
    }, "status": {"startTime": "2025-01-01T00:00:00Z"}})
}

#[test]
fn job_update_rules() {
    let old = stored_job();
    let with = |base: &Value, f: &dyn Fn(&mut Value)| {
        let mut j = base.clone();
        f(&mut j);
        j
    };
    let indexed = with(&old, &|j| j["spec"]["completionMode"] = json!("Indexed"));
    let suspended = with(&old, &|j| {
        j["spec"]["suspend"] = json!(true);
        j["status"] = json!({});
    });
    let scheduling = |j: &mut Value| {
        let t = &mut j["spec"]["template"];
        t["metadata"]["labels"]["extra"] = json!("x");
        t["metadata"]["annotations"] = json!({"note": "y"});
        t["spec"]["nodeSelector"] = json!({"disk": "hdd"});
        t["spec"]["tolerations"] = json!([{"key": "k", "operator": "Exists"}]);
        t["spec"]["affinity"] = json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution":
            {"nodeSelectorTerms": [{"matchExpressions": [{"key": "z", "operator": "Exists"}]}]}}});
    };
    let immutable_template =
        "spec.template: Invalid value: core.PodTemplateSpec{...}: field is immutable";
    let cases: Vec<(&str, Value, Value, Vec<&str>)> = vec![
        ("unchanged", old.clone(), old.clone(), vec![]),
        (
            "parallelism, suspend and backoff may change",
            old.clone(),
            with(&old, &|j| {
                j["spec"]["parallelism"] = json!(5);
                j["spec"]["suspend"] = json!(true);
                j["spec"]["backoffLimit"] = json!(1);
            }),
            vec![],
        ),
        (
            "completions of a NonIndexed job",
            old.clone(),
            with(&old, &|j| j["spec"]["completions"] = json!(3)),
            vec!["spec.completions: Invalid value: 3: field is immutable"],
        ),
        (
            "completions removed",
            old.clone(),
            with(&old, &|j| {
                j["spec"].as_object_mut().unwrap().remove("completions");
            }),
            vec!["spec.completions: Invalid value: null: field is immutable"],
        ),
        (
            "elastic Indexed job",
            indexed.clone(),
            with(&indexed, &|j| {
                j["spec"]["completions"] = json!(4);
                j["spec"]["parallelism"] = json!(4);
            }),
            vec![],
        ),
        (
            "Indexed completions without parallelism",
            indexed.clone(),
            with(&indexed, &|j| j["spec"]["completions"] = json!(4)),
            vec![
                "spec.completions: Invalid value: 4: can only be modified in tandem with spec.parallelism",
            ],
        ),
        (
            "completion mode",
            old.clone(),
            with(&old, &|j| j["spec"]["completionMode"] = json!("Indexed")),
            vec!["spec.completionMode: Invalid value: \"Indexed\": field is immutable"],
        ),
        (
            "selector",
            old.clone(),
            with(&old, &|j| {
                j["spec"]["selector"] = json!({"matchLabels": {"a": "b", "c": "d"}});
                j["spec"]["template"]["metadata"]["labels"]["c"] = json!("d");
            }),
            vec![
                "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"a\":\"b\", \"c\":\"d\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable",
                immutable_template,
            ],
        ),
        (
            "quantities compare by value",
            with(&old, &|j| {
                j["spec"]["template"]["spec"]["containers"][0]["resources"] =
                    json!({"limits": {"cpu": 1, "memory": "1Gi"}});
            }),
            with(&old, &|j| {
                j["spec"]["template"]["spec"]["containers"][0]["resources"] =
                    json!({"limits": {"cpu": "1000m", "memory": "1073741824"}});
            }),
            vec![],
        ),
        (
            "template image",
            old.clone(),
            with(&old, &|j| {
                j["spec"]["template"]["spec"]["containers"][0]["image"] = json!("y")
            }),
            vec![immutable_template],
        ),
        (
            "scheduling directives of a running job",
            old.clone(),
            with(&old, &scheduling),
            vec![immutable_template],
        ),
        (
            "scheduling directives of a suspended job that never started",
            suspended.clone(),
            with(&suspended, &scheduling),
            vec![],
        ),
        (
            "node affinity cleared on a suspended job",
            with(&suspended, &scheduling),
            suspended.clone(),
            vec![],
        ),
        (
            "other template fields of a suspended job",
            suspended.clone(),
            with(&suspended, &|j| {
                scheduling(j);
                j["spec"]["template"]["spec"]["containers"][0]["image"] = json!("y");
            }),
            vec![immutable_template],
        ),
        (
            "failure policy, per-index backoff, managedBy",
            old.clone(),
            with(&old, &|j| {
                j["spec"]["podFailurePolicy"] = json!({"rules": [{"action": "FailJob", "onExitCodes": {"operator": "In", "values": [1]}}]});
                j["spec"]["backoffLimitPerIndex"] = json!(1);
                j["spec"]["managedBy"] = json!("example.com/controller");
            }),
            vec![
                "spec.podFailurePolicy: Invalid value: batch.PodFailurePolicy{...}: field is immutable",
                "spec.backoffLimitPerIndex: Invalid value: 1: field is immutable",
                "spec.managedBy: Invalid value: \"example.com/controller\": field is immutable",
            ],
        ),
        (
            "failure policy removed",
            with(&old, &|j| {
                j["spec"]["podFailurePolicy"] = json!({"rules": []});
            }),
            with(&old, &|j| {
                j["spec"]["podFailurePolicy"] = Value::Null;
            }),
            vec!["spec.podFailurePolicy: Invalid value: null: field is immutable"],
        ),
    ];
    for (name, before, after, want) in cases {
        assert_eq!(
            super::lines("batch", "Job", &after, Some(&before)),
            want,
            "case {name}"
        );
    }
}
