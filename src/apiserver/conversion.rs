//! Custom resources across their CRD's versions. Every version a CRD serves reads
//! and writes the same objects, stored at its storage version (DESIGN: one key per
//! object, whatever the version). As upstream's `None` conversion strategy does, an
//! object changes only its `apiVersion` on the way: to the storage version when
//! written, to the request's version when read (objects written before the storage
//! version changed stay at theirs until rewritten, and are converted on read too).
//!
//! The `Webhook` strategy calls an external service, which kelp does not do yet: a
//! CRD may name one, and its resources are served at the version they are stored
//! in, but reading one at another version is an error saying so rather than a
//! wrong object.
//!
//! Built-in resources are served as stored, except events.k8s.io/v1 Events: as
//! upstream, they are core/v1 Events seen through another API (stored under the
//! core key, a few fields renamed on the way).

use std::collections::HashMap;
use std::sync::RwLock;

use bytes::Bytes;
use serde_json::Value;

use crate::api::ResourceInfo;
use crate::api::status::ApiError;

#[derive(Debug, Clone)]
struct Entry {
    /// `group/version` of the storage version.
    storage: String,
    kind: String,
    webhook: bool,
}

/// The custom resources kelp serves, by group then plural.
#[derive(Debug, Default)]
pub struct Conversions {
    by_group: RwLock<HashMap<String, HashMap<String, Entry>>>,
}

impl Conversions {
    /// Replaces what is known with these CRDs (after every CRD sync).
    pub fn set(&self, crds: &[Value]) {
        let mut by_group: HashMap<String, HashMap<String, Entry>> = HashMap::new();
        for crd in crds {
            let spec = &crd["spec"];
            let (Some(group), Some(plural)) =
                (spec["group"].as_str(), spec["names"]["plural"].as_str())
            else {
                continue;
            };
            let Some(storage) = storage_version(crd) else {
                continue;
            };
            by_group.entry(group.to_string()).or_default().insert(
                plural.to_string(),
                Entry {
                    storage: format!("{group}/{storage}"),
                    kind: spec["names"]["kind"].as_str().unwrap_or("").to_string(),
                    webhook: spec["conversion"]["strategy"] == "Webhook",
                },
            );
        }
        *self.by_group.write().expect("poisoned") = by_group;
    }

    /// The converter for requests at `info`'s group and version; `None` for a
    /// built-in resource stored as it is served.
    pub fn for_resource(&self, info: &ResourceInfo) -> Option<Converter> {
        if info.group == "events.k8s.io" && info.plural == "events" {
            return Some(Converter(Inner::EventsApi));
        }
        let by_group = self.by_group.read().expect("poisoned");
        let e = by_group
            .get(info.group.as_str())?
            .get(info.plural.as_str())?;
        Some(Converter(Inner::Version {
            storage: e.storage.clone(),
            want: info.api_version(),
            kind: e.kind.clone(),
            webhook: e.webhook,
        }))
    }
}

/// The name of a CRD's storage version.
pub fn storage_version(crd: &Value) -> Option<&str> {
    crd["spec"]["versions"]
        .as_array()?
        .iter()
        .find(|v| v["storage"] == true)?["name"]
        .as_str()
}

/// Converts one resource's objects between the request's form and the stored one.
#[derive(Debug, Clone)]
pub struct Converter(Inner);

#[derive(Debug, Clone)]
enum Inner {
    /// A custom resource: only `apiVersion` changes.
    Version {
        storage: String,
        want: String,
        kind: String,
        webhook: bool,
    },
    /// events.k8s.io/v1 Events, stored as core/v1 Events (one object, two APIs).
    EventsApi,
}

/// events.k8s.io/v1 field ↔ core/v1 field, where the names differ (upstream's
/// events/v1 conversion).
const EVENT_FIELDS: &[(&str, &str)] = &[
    ("regarding", "involvedObject"),
    ("note", "message"),
    ("deprecatedSource", "source"),
    ("deprecatedFirstTimestamp", "firstTimestamp"),
    ("deprecatedLastTimestamp", "lastTimestamp"),
    ("deprecatedCount", "count"),
    ("reportingController", "reportingComponent"),
];

fn rename_fields(obj: &mut Value, to_core: bool, api_version: &str) {
    let Some(o) = obj.as_object_mut() else {
        return;
    };
    for (events, core) in EVENT_FIELDS {
        let (from, to) = if to_core {
            (events, core)
        } else {
            (core, events)
        };
        if let Some(v) = o.remove(*from) {
            o.insert(to.to_string(), v);
        }
    }
    o.insert("apiVersion".into(), Value::String(api_version.into()));
}

impl Converter {
    /// The object as it is stored.
    pub fn to_storage(&self, obj: &mut Value) -> Result<(), ApiError> {
        match &self.0 {
            Inner::Version { storage, .. } => self.convert(obj, storage),
            Inner::EventsApi => {
                if obj["apiVersion"] != "v1" {
                    rename_fields(obj, true, "v1");
                }
                Ok(())
            }
        }
    }

    /// The object as the request's API and version show it.
    pub fn to_request(&self, obj: &mut Value) -> Result<(), ApiError> {
        match &self.0 {
            Inner::Version { want, .. } => self.convert(obj, want),
            Inner::EventsApi => {
                if obj["apiVersion"] != EVENTS_API {
                    rename_fields(obj, false, EVENTS_API);
                }
                Ok(())
            }
        }
    }

    /// [`Self::to_request`] on encoded JSON; the same bytes when nothing changes.
    pub fn bytes_to_request(&self, json: &Bytes) -> Result<Bytes, ApiError> {
        #[derive(serde::Deserialize)]
        struct Top<'a> {
            #[serde(rename = "apiVersion", borrow)]
            api_version: Option<std::borrow::Cow<'a, str>>,
        }
        let top: Top = serde_json::from_slice(json)
            .map_err(|e| ApiError::internal(&format!("a cached object is not JSON: {e}")))?;
        let want = match &self.0 {
            Inner::Version { want, .. } => want.as_str(),
            Inner::EventsApi => EVENTS_API,
        };
        if top.api_version.as_deref() == Some(want) {
            return Ok(json.clone());
        }
        let mut obj: Value = serde_json::from_slice(json)
            .map_err(|e| ApiError::internal(&format!("a cached object is not JSON: {e}")))?;
        self.to_request(&mut obj)?;
        Ok(Bytes::from(
            crate::api::json::to_vec(&obj).expect("JSON values serialize"),
        ))
    }

    fn convert(&self, obj: &mut Value, to: &str) -> Result<(), ApiError> {
        let Inner::Version { kind, webhook, .. } = &self.0 else {
            return Ok(());
        };
        let Some(o) = obj.as_object_mut() else {
            return Ok(());
        };
        if o.get("apiVersion").and_then(Value::as_str) == Some(to) {
            return Ok(());
        }
        if *webhook {
            // upstream's message when the webhook fails, with the reason it does here
            return Err(ApiError::internal(&format!(
                "conversion webhook for {to}, Kind={kind} failed: conversion webhooks are not implemented yet (kelp converts only with strategy None)"
            )));
        }
        o.insert("apiVersion".into(), Value::String(to.to_string()));
        Ok(())
    }
}

const EVENTS_API: &str = "events.k8s.io/v1";

/// The group whose keys a resource's objects are stored under: its own, except for
/// events.k8s.io Events, which are core Events (as upstream stores them).
pub fn storage_group(info: &ResourceInfo) -> &str {
    match (info.group.as_str(), info.plural.as_str()) {
        ("events.k8s.io", "events") => "",
        (g, _) => g,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn crd(strategy: &str) -> Value {
        json!({"spec": {"group": "example.com", "names": {"plural": "widgets", "kind": "Widget"},
            "conversion": {"strategy": strategy},
            "versions": [{"name": "v1beta1", "served": true, "storage": false},
                {"name": "v1", "served": true, "storage": true}]}})
    }

    fn info(version: &str) -> ResourceInfo {
        crate::apiserver::crd::resource_infos(&crd("None"))
            .into_iter()
            .find(|r| r.version == version)
            .expect("the CRD serves this version")
    }

    #[test]
    fn none_changes_only_the_api_version_both_ways() {
        let c = Conversions::default();
        c.set(&[crd("None")]);
        let beta = c.for_resource(&info("v1beta1")).expect("a custom resource");
        let mut obj = json!({"apiVersion": "example.com/v1beta1", "kind": "Widget",
            "metadata": {"name": "w"}, "spec": {"apiVersion": "x"}});
        beta.to_storage(&mut obj).unwrap();
        assert_eq!(obj["apiVersion"], "example.com/v1");
        assert_eq!(obj["spec"]["apiVersion"], "x");
        beta.to_request(&mut obj).unwrap();
        assert_eq!(obj["apiVersion"], "example.com/v1beta1");

        let stored = Bytes::from(
            serde_json::to_vec(&json!({"kind": "Widget", "apiVersion": "example.com/v1",
                "spec": {"apiVersion": "example.com/v1beta1"}}))
            .unwrap(),
        );
        let shown: Value =
            serde_json::from_slice(&beta.bytes_to_request(&stored).unwrap()).unwrap();
        assert_eq!(shown["apiVersion"], "example.com/v1beta1");
        assert_eq!(shown["spec"]["apiVersion"], "example.com/v1beta1");
        // already at the request's version: the very same bytes
        let v1 = c.for_resource(&info("v1")).unwrap();
        assert_eq!(
            v1.bytes_to_request(&stored).unwrap().as_ptr(),
            stored.as_ptr()
        );
    }

    #[test]
    fn webhook_serves_the_stored_version_and_refuses_to_convert() {
        let c = Conversions::default();
        c.set(&[crd("Webhook")]);
        let mut obj = json!({"apiVersion": "example.com/v1", "kind": "Widget"});
        let v1 = c.for_resource(&info("v1")).unwrap();
        v1.to_request(&mut obj).unwrap();
        v1.to_storage(&mut obj).unwrap();
        let beta = c.for_resource(&info("v1beta1")).unwrap();
        let err = beta.to_request(&mut obj).unwrap_err();
        assert_eq!(err.code(), 500);
        assert!(
            err.message()
                .contains("conversion webhook for example.com/v1beta1, Kind=Widget failed"),
            "{err}"
        );
        assert_eq!(obj["apiVersion"], "example.com/v1", "unchanged");
    }

    #[test]
    fn built_in_resources_are_not_converted() {
        let c = Conversions::default();
        c.set(&[crd("None")]);
        let pods = crate::api::ResourceTable::builtin()
            .resources()
            .iter()
            .find(|r| r.plural == "pods")
            .cloned()
            .unwrap();
        assert!(c.for_resource(&pods).is_none());
    }

    #[test]
    fn events_api_events_are_core_events_with_renamed_fields() {
        let c = Conversions::default();
        let info = crate::api::ResourceTable::builtin()
            .resources()
            .iter()
            .find(|r| r.group == "events.k8s.io" && r.plural == "events")
            .cloned()
            .unwrap();
        assert_eq!(storage_group(&info), "");
        let conv = c.for_resource(&info).expect("events.k8s.io Events convert");
        let mut e = json!({"apiVersion": "events.k8s.io/v1", "kind": "Event",
            "metadata": {"name": "e"}, "regarding": {"kind": "Pod", "name": "p"},
            "note": "pulled", "reason": "Pulled", "type": "Normal",
            "reportingController": "kubelet", "reportingInstance": "n1",
            "deprecatedCount": 2, "eventTime": "2026-12-03T00:00:00.000000Z"});
        let original = e.clone();
        conv.to_storage(&mut e).unwrap();
        assert_eq!(
            e,
            json!({"apiVersion": "v1", "kind": "Event",
            "metadata": {"name": "e"}, "involvedObject": {"kind": "Pod", "name": "p"},
            "message": "pulled", "reason": "Pulled", "type": "Normal",
            "reportingComponent": "kubelet", "reportingInstance": "n1",
            "count": 2, "eventTime": "2026-12-03T00:00:00.000000Z"})
        );
        conv.to_request(&mut e).unwrap();
        assert_eq!(e, original);
        let stored = Bytes::from(
            serde_json::to_vec(&json!({"apiVersion": "v1",
            "kind": "Event", "message": "m"}))
            .unwrap(),
        );
        let shown: Value =
            serde_json::from_slice(&conv.bytes_to_request(&stored).unwrap()).unwrap();
        assert_eq!(
            shown,
            json!({"apiVersion": "events.k8s.io/v1", "kind": "Event", "note": "m"})
        );
    }
}
