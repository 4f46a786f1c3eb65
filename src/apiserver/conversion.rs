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

    /// The converter for requests at `info`'s version; `None` for a built-in resource.
    pub fn for_resource(&self, info: &ResourceInfo) -> Option<Converter> {
        let by_group = self.by_group.read().expect("poisoned");
        let e = by_group
            .get(info.group.as_str())?
            .get(info.plural.as_str())?;
        Some(Converter {
            storage: e.storage.clone(),
            want: info.api_version(),
            kind: e.kind.clone(),
            webhook: e.webhook,
        })
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

/// Converts one custom resource's objects between the request's version and storage.
#[derive(Debug, Clone)]
pub struct Converter {
    storage: String,
    want: String,
    kind: String,
    webhook: bool,
}

impl Converter {
    /// The object as it is stored: at the storage version.
    pub fn to_storage(&self, obj: &mut Value) -> Result<(), ApiError> {
        self.convert(obj, &self.storage)
    }

    /// The object as the request's version shows it.
    pub fn to_request(&self, obj: &mut Value) -> Result<(), ApiError> {
        self.convert(obj, &self.want)
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
        if top.api_version.as_deref() == Some(self.want.as_str()) {
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
        let Some(o) = obj.as_object_mut() else {
            return Ok(());
        };
        if o.get("apiVersion").and_then(Value::as_str) == Some(to) {
            return Ok(());
        }
        if self.webhook {
            // upstream's message when the webhook fails, with the reason it does here
            return Err(ApiError::internal(&format!(
                "conversion webhook for {to}, Kind={} failed: conversion webhooks are not implemented yet (kelp converts only with strategy None)",
                self.kind
            )));
        }
        o.insert("apiVersion".into(), Value::String(to.to_string()));
        Ok(())
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
}
