//! Namespace deletion: a deleted namespace turns `Terminating`, everything in it is
//! deleted (honouring finalizers and grace periods), and the namespace goes away once
//! it is empty — upstream's namespace lifecycle and namespace controller, done in-line.
//!
//! The sweep runs when the namespace is deleted, and again after any write in a
//! terminating namespace (e.g. the removal of the last finalizer that held an object).

use serde_json::{Value, json};

use crate::api::ResourceInfo;
use crate::api::status::ApiError;

use super::ApiServer;
use super::registry::{DeleteOptions, DeleteOutcome, ListOptions, meta_mut, meta_str, now_rfc3339};

fn namespaces(api: &ApiServer) -> ResourceInfo {
    api.resource("", "v1", "namespaces")
        .expect("namespaces are built in")
}

/// Whether `name` is a namespace being deleted.
pub async fn is_terminating(api: &ApiServer, name: &str) -> Result<bool, ApiError> {
    match api.inner.registry.get(&namespaces(api), None, name).await {
        Ok(ns) => Ok(meta_str(&ns, "deletionTimestamp").is_some()),
        Err(e) if e.code() == 404 => Ok(false),
        Err(e) => Err(e),
    }
}

/// Starts deleting a namespace; returns the outcome for the DELETE's response.
pub async fn delete(api: &ApiServer, name: &str) -> Result<DeleteOutcome, ApiError> {
    let info = namespaces(api);
    let registry = &api.inner.registry;
    let now = now_rfc3339();
    let marked = registry
        .mark_deleting(&info, name, |ns| {
            let m = meta_mut(ns);
            if !m.contains_key("deletionTimestamp") {
                m.insert("deletionTimestamp".into(), json!(now));
                m.insert("deletionGracePeriodSeconds".into(), json!(0));
            }
            ns["status"] = json!({"phase": "Terminating"});
        })
        .await?;
    match sweep(api, name).await? {
        Some(gone) => Ok(DeleteOutcome::Deleted(gone)),
        None => Ok(DeleteOutcome::Pending(marked)),
    }
}

/// Deletes what is left in a terminating namespace, and the namespace when nothing
/// is. Returns the namespace as it was when it went away.
pub async fn sweep(api: &ApiServer, name: &str) -> Result<Option<Value>, ApiError> {
    let registry = &api.inner.registry;
    let resources: Vec<ResourceInfo> = {
        let table = api.inner.resources.read().expect("poisoned");
        let mut seen = std::collections::HashSet::new();
        table
            .resources()
            .iter()
            .filter(|r| r.namespaced && r.has_verb("delete"))
            // one version of each group/resource: they share storage
            .filter(|r| seen.insert((r.group.clone(), r.plural.clone())))
            .cloned()
            .collect()
    };
    let mut remaining = 0usize;
    for info in &resources {
        let listed = registry
            .list(info, Some(name), &ListOptions::default())
            .await?;
        for obj in listed.items {
            let obj_name = meta_str(&obj, "name").unwrap_or("").to_string();
            match registry
                .delete(info, Some(name), &obj_name, &DeleteOptions::default())
                .await
            {
                Ok(DeleteOutcome::Deleted(_)) => {}
                Ok(DeleteOutcome::Pending(_)) => remaining += 1,
                Err(e) if e.code() == 404 => {}
                Err(e) => return Err(e),
            }
        }
    }
    if remaining > 0 {
        tracing::info!(
            namespace = name,
            remaining,
            "namespace waits for finalizers"
        );
        return Ok(None);
    }
    match registry
        .delete(&namespaces(api), None, name, &DeleteOptions::default())
        .await
    {
        Ok(DeleteOutcome::Deleted(ns)) => Ok(Some(ns)),
        Ok(DeleteOutcome::Pending(_)) => Ok(None),
        Err(e) if e.code() == 404 => Ok(None),
        Err(e) => Err(e),
    }
}
