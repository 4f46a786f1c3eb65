use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use super::*;
use crate::api::ResourceTable;

mod cluster;
mod events;
mod network;
mod storage;
mod workloads;

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
