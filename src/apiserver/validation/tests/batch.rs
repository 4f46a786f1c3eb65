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
