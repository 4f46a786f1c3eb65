//! Printers of Events, core/v1 and events.k8s.io/v1 alike.

use super::*;

// ---- events ------------------------------------------------------------------------------

/// An event's fields under their internal names, from either API's field names.
pub(super) struct EventFields<'a> {
    first: &'a Value,
    last: &'a Value,
    event_time: &'a Value,
    series: &'a Value,
    count: &'a Value,
    object: &'a Value,
    source: &'a Value,
    reporting_controller: &'a Value,
    reporting_instance: &'a Value,
    message: &'a Value,
}

pub(super) fn core_event(obj: &Value) -> Vec<Value> {
    event(
        obj,
        EventFields {
            first: &obj["firstTimestamp"],
            last: &obj["lastTimestamp"],
            event_time: &obj["eventTime"],
            series: &obj["series"],
            count: &obj["count"],
            object: &obj["involvedObject"],
            source: &obj["source"],
            reporting_controller: &obj["reportingComponent"],
            reporting_instance: &obj["reportingInstance"],
            message: &obj["message"],
        },
    )
}

pub(super) fn events_event(obj: &Value) -> Vec<Value> {
    event(
        obj,
        EventFields {
            first: &obj["deprecatedFirstTimestamp"],
            last: &obj["deprecatedLastTimestamp"],
            event_time: &obj["eventTime"],
            series: &obj["series"],
            count: &obj["deprecatedCount"],
            object: &obj["regarding"],
            source: &obj["deprecatedSource"],
            reporting_controller: &obj["reportingController"],
            reporting_instance: &obj["reportingInstance"],
            message: &obj["note"],
        },
    )
}

pub(super) fn event(obj: &Value, f: EventFields) -> Vec<Value> {
    let first = if time(f.first).is_some() {
        since(f.first)
    } else {
        since(f.event_time)
    };
    let mut last = if time(f.last).is_some() {
        since(f.last)
    } else {
        first.clone()
    };
    let mut count = int(f.count);
    if f.series.is_object() {
        last = since(&f.series["lastObservedTime"]);
        count = int(&f.series["count"]);
    } else if count == 0 {
        // singleton events have no count in the new API
        count = 1;
    }
    let kind = text(&f.object["kind"]).to_lowercase();
    let target = match text(&f.object["name"]) {
        "" => kind,
        n => format!("{kind}/{n}"),
    };
    let component = text_or(&f.source["component"], text(f.reporting_controller));
    let instance = text_or(&f.source["host"], text(f.reporting_instance));
    let source = if instance.is_empty() {
        component.to_string()
    } else {
        format!("{component}, {instance}")
    };
    vec![
        json!(last),
        json!(text(&obj["type"])),
        json!(text(&obj["reason"])),
        json!(target),
        json!(text(&f.object["fieldPath"])),
        json!(source),
        json!(text(f.message).trim()),
        json!(first),
        json!(count),
        name(obj),
    ]
}
