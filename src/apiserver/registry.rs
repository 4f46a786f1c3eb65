//! The generic registry: create, get, list, update, delete and watch of any resource
//! over the store, with upstream's object metadata rules. The equivalent of upstream's
//! `registry/generic/registry.Store`; per-kind behaviour lives in [`super::strategy`].
//!
//! Objects are stored as JSON under `/registry/<group or "core">/<resource>/[<ns>/]<name>`
//! without `metadata.resourceVersion`; reads set it from the key's mod revision.
//!
//! Architecture Invariant: store errors become API errors only in [`store_error`].

use std::sync::Arc;
use std::time::SystemTime;

use serde_json::{Map, Value, json};

use crate::api::status::{ApiError, Cause};
use crate::api::{FieldSelector, ResourceInfo, Selector};
use crate::store::{
    Compare, CompareOp, KeyRange, KeyValue, Op, OpResponse, RangeRequest, Store, StoreError,
    TxnRequest, prefix_end,
};

use super::conversion::Conversions;
use super::{allocator, defaults, managed, strategy};

/// The one place store errors become API errors.
pub fn store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::Compacted {
            requested,
            compacted,
        } => ApiError::too_old_resource_version(requested.max(0) as u64, compacted.max(0) as u64),
        StoreError::FutureRevision { requested, .. } => ApiError::timeout(
            &format!("Too large resource version: {requested}, current: unavailable"),
            1,
        ),
        StoreError::Unavailable(m) => ApiError::service_unavailable(m),
        StoreError::InvalidRequest(m) | StoreError::Fatal(m) => ApiError::internal(&m),
    }
}

fn core_or(group: &str) -> &str {
    if group.is_empty() { "core" } else { group }
}

/// The store key of one object.
pub fn object_key(info: &ResourceInfo, namespace: Option<&str>, name: &str) -> Vec<u8> {
    let mut k = prefix(info, namespace);
    k.extend_from_slice(name.as_bytes());
    k
}

/// The store prefix of a resource, or of its objects in one namespace.
pub fn prefix(info: &ResourceInfo, namespace: Option<&str>) -> Vec<u8> {
    let group = super::conversion::storage_group(info);
    let mut k = format!("/registry/{}/{}/", core_or(group), info.plural);
    if let (true, Some(ns)) = (info.namespaced, namespace) {
        k.push_str(ns);
        k.push('/');
    }
    k.into_bytes()
}

/// RFC 3339 with seconds, UTC, as Kubernetes writes timestamps.
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

/// Decodes a stored object and stamps its resourceVersion.
pub fn decode(kv: &KeyValue) -> Result<Value, ApiError> {
    let mut obj: Value = serde_json::from_slice(&kv.value).map_err(|e| {
        ApiError::internal(&format!(
            "stored object {} is not JSON: {e}",
            String::from_utf8_lossy(&kv.key)
        ))
    })?;
    set_resource_version(&mut obj, kv.mod_revision);
    Ok(obj)
}

pub fn set_resource_version(obj: &mut Value, rv: i64) {
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("resourceVersion".into(), Value::String(rv.to_string()));
    }
}

fn encode(obj: &Value) -> Vec<u8> {
    let mut obj = obj.clone();
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("resourceVersion");
    }
    serde_json::to_vec(&obj).expect("JSON values serialize")
}

pub fn meta(obj: &Value) -> Option<&Map<String, Value>> {
    obj.get("metadata").and_then(Value::as_object)
}

pub fn meta_mut(obj: &mut Value) -> &mut Map<String, Value> {
    if !obj.get("metadata").is_some_and(Value::is_object) {
        obj["metadata"] = json!({});
    }
    obj["metadata"]
        .as_object_mut()
        .expect("just made an object")
}

pub fn meta_str<'a>(obj: &'a Value, field: &str) -> Option<&'a str> {
    meta(obj).and_then(|m| m.get(field)).and_then(Value::as_str)
}

pub fn labels(obj: &Value) -> std::collections::BTreeMap<String, String> {
    meta(obj)
        .and_then(|m| m.get("labels"))
        .and_then(Value::as_object)
        .map(|l| {
            l.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// Selects objects by labels and fields.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub labels: Option<Selector>,
    pub fields: Option<FieldSelector>,
}

impl Filter {
    pub fn is_everything(&self) -> bool {
        self.labels.as_ref().is_none_or(Selector::is_everything)
            && self.fields.as_ref().is_none_or(FieldSelector::is_empty)
    }

    pub fn matches(&self, _info: &ResourceInfo, obj: &Value) -> bool {
        if let Some(l) = &self.labels
            && !l.matches(&labels(obj))
        {
            return false;
        }
        if let Some(f) = &self.fields
            && !f.matches(&|field| strategy::field_value(obj, field))
        {
            return false;
        }
        true
    }
}

/// Options of a list.
#[derive(Debug, Clone, Default)]
pub struct ListOptions {
    pub filter: Filter,
    pub limit: usize,
    /// The key to continue from and the revision the first page was read at.
    pub continue_from: Option<(Vec<u8>, i64)>,
    /// Read at exactly this revision (resourceVersionMatch=Exact).
    pub exact_revision: Option<i64>,
}

pub struct ListResult {
    pub items: Vec<Value>,
    pub revision: i64,
    /// The next key to read and the revision, when more items remain.
    pub continue_at: Option<(Vec<u8>, i64)>,
    pub remaining: Option<i64>,
}

pub enum DeleteOutcome {
    /// Gone from the store; the object as it was last.
    Deleted(Value),
    /// Finalizers or a grace period keep it; the object with deletionTimestamp set.
    Pending(Value),
}

#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    pub dry_run: bool,
    /// Who the write's fields are credited to (`metadata.managedFields`); `None` for
    /// the server's own bookkeeping writes, which leave managedFields as they are.
    pub manager: Option<managed::Manager>,
}

impl WriteOptions {
    /// The manager of a create, update or non-apply patch.
    fn updater(&self) -> Option<&managed::Manager> {
        self.manager
            .as_ref()
            .filter(|m| m.operation == managed::Operation::Update)
    }
}

#[derive(Debug, Clone, Default)]
pub struct DeleteOptions {
    pub dry_run: bool,
    pub grace_period_seconds: Option<i64>,
    pub precondition_uid: Option<String>,
    pub precondition_rv: Option<String>,
}

const CONTINUE_EXPIRED: &str = "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

/// How many times an update retries a lost compare-and-swap before giving up.
const CAS_RETRIES: usize = 8;

pub struct Registry {
    store: Arc<dyn Store>,
    ranges: allocator::ServiceRanges,
    /// Custom resources' versions: objects are stored at the storage version and
    /// read at the request's (set by every CRD sync).
    conversions: Conversions,
}

fn random_suffix() -> String {
    // upstream's alphabet: no vowels (no words), no confusable characters
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let bytes = uuid::Uuid::new_v4().into_bytes();
    bytes[..5]
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

impl Registry {
    pub fn new(store: Arc<dyn Store>, ranges: allocator::ServiceRanges) -> Self {
        Registry {
            store,
            ranges,
            conversions: Conversions::default(),
        }
    }

    pub fn conversions(&self) -> &Conversions {
        &self.conversions
    }

    /// A stored object, at `info`'s version.
    fn decode_as(&self, info: &ResourceInfo, kv: &KeyValue) -> Result<Value, ApiError> {
        let mut obj = decode(kv)?;
        if let Some(c) = self.conversions.for_resource(info) {
            c.to_request(&mut obj)?;
        }
        Ok(obj)
    }

    /// An object's stored form: without resourceVersion, at the storage version.
    fn encode_as(&self, info: &ResourceInfo, obj: &Value) -> Result<Vec<u8>, ApiError> {
        match self.conversions.for_resource(info) {
            Some(c) => {
                let mut stored = obj.clone();
                c.to_storage(&mut stored)?;
                Ok(encode(&stored))
            }
            None => Ok(encode(obj)),
        }
    }

    pub fn ranges(&self) -> &allocator::ServiceRanges {
        &self.ranges
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    async fn read(&self, key: &[u8]) -> Result<Option<KeyValue>, ApiError> {
        let resp = self
            .store
            .range(RangeRequest::key(key))
            .await
            .map_err(store_error)?;
        Ok(resp.kvs.into_iter().next())
    }

    pub async fn get(
        &self,
        info: &ResourceInfo,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Value, ApiError> {
        match self.read(&object_key(info, namespace, name)).await? {
            Some(kv) => self.decode_as(info, &kv),
            None => Err(ApiError::not_found(&info.group_resource(), name)),
        }
    }

    async fn namespace_must_exist(&self, info: &ResourceInfo, ns: &str) -> Result<(), ApiError> {
        if !info.namespaced {
            return Ok(());
        }
        let key = format!("/registry/core/namespaces/{ns}");
        match self.read(key.as_bytes()).await? {
            Some(kv) => {
                let obj = decode(&kv)?;
                if meta_str(&obj, "deletionTimestamp").is_some() {
                    return Err(ApiError::forbidden(
                        &info.group_resource(),
                        "",
                        &format!(
                            "unable to create new content in namespace {ns} because it is being terminated"
                        ),
                    ));
                }
                Ok(())
            }
            None => Err(ApiError::not_found(
                &crate::api::GroupResource::new("", "namespaces"),
                ns,
            )),
        }
    }

    /// Creates an object. `obj` has been decoded and its type checked by the caller.
    pub async fn create(
        &self,
        info: &ResourceInfo,
        namespace: Option<&str>,
        mut obj: Value,
        opts: &WriteOptions,
    ) -> Result<Value, ApiError> {
        let m = meta_mut(&mut obj);
        let name = match m
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
        {
            Some(n) => n.to_string(),
            None => match m
                .get("generateName")
                .and_then(Value::as_str)
                .filter(|g| !g.is_empty())
            {
                Some(g) => format!("{g}{}", random_suffix()),
                None => {
                    return Err(ApiError::invalid(
                        &info.group_kind(),
                        "",
                        vec![Cause::required(
                            "metadata.name",
                            "name or generateName is required",
                        )],
                    ));
                }
            },
        };
        m.insert("name".into(), Value::String(name.clone()));
        if info.namespaced {
            let ns = namespace.unwrap_or("default");
            match m.get("namespace").and_then(Value::as_str) {
                Some(n) if !n.is_empty() && n != ns => {
                    return Err(ApiError::bad_request(
                        "the namespace of the provided object does not match the namespace sent on the request",
                    ));
                }
                _ => {}
            }
            m.insert("namespace".into(), Value::String(ns.to_string()));
        } else {
            m.remove("namespace");
        }
        for field in [
            "resourceVersion",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "selfLink",
        ] {
            m.remove(field);
        }
        m.insert(
            "uid".into(),
            Value::String(uuid::Uuid::new_v4().to_string()),
        );
        m.insert("creationTimestamp".into(), Value::String(now_rfc3339()));
        defaults::apply(info, &mut obj);
        strategy::prepare_for_create(info, &mut obj);
        let causes = strategy::validate(info, &obj, None);
        if !causes.is_empty() {
            return Err(ApiError::invalid(&info.group_kind(), &name, causes));
        }
        if let Some(ns) = namespace.filter(|_| info.namespaced) {
            self.namespace_must_exist(info, ns).await?;
        }
        let key = object_key(info, namespace, &name);
        if allocator::is_service(info) {
            allocator::default_service(&mut obj);
        }
        // what the server allocates below is nobody's
        if let Some(m) = opts.updater() {
            managed::track_update(m, None, &mut obj);
        }
        let template = obj;
        let mut avoid: Vec<Vec<u8>> = Vec::new();
        for _ in 0..CAS_RETRIES {
            let mut obj = template.clone();
            let claims = if allocator::is_service(info) {
                self.ranges.allocate(&*self.store, &mut obj, &avoid).await?
            } else {
                vec![]
            };
            if opts.dry_run {
                if self.read(&key).await?.is_some() {
                    return Err(ApiError::already_exists(&info.group_resource(), &name));
                }
                return Ok(obj);
            }
            let mut compare = vec![Compare::absent(&key)];
            let mut success = vec![Op::put(&key, &self.encode_as(info, &obj)?)];
            let mut failure = vec![Op::get(&key)];
            for c in &claims {
                compare.push(Compare::absent(c));
                success.push(Op::put(c, &key));
                failure.push(Op::get(c));
            }
            let resp = self
                .store
                .txn(TxnRequest {
                    compare,
                    success,
                    failure,
                })
                .await
                .map_err(store_error)?;
            if resp.succeeded {
                let mut obj = obj;
                set_resource_version(&mut obj, resp.revision);
                return Ok(obj);
            }
            let present = |i: usize| match resp.responses.get(i) {
                Some(OpResponse::Range(r)) => !r.kvs.is_empty(),
                _ => false,
            };
            if present(0) {
                return Err(ApiError::already_exists(&info.group_resource(), &name));
            }
            for (i, c) in claims.iter().enumerate() {
                if present(i + 1) {
                    if allocator::was_requested(&template, c) {
                        return Err(allocator::already_allocated(&name, c));
                    }
                    avoid.push(c.clone());
                }
            }
        }
        Err(ApiError::internal(&format!(
            "could not allocate addresses for {name}: too many concurrent creates"
        )))
    }

    /// Replaces an object (PUT), or its status with `subresource == Some("status")`.
    /// `update` maps the current object to the new one (for PATCH it applies the
    /// patch; for PUT it returns the body), and is retried on a lost race.
    pub async fn update<F>(
        &self,
        info: &ResourceInfo,
        namespace: Option<&str>,
        name: &str,
        subresource: Option<&str>,
        opts: &WriteOptions,
        update: F,
    ) -> Result<Value, ApiError>
    where
        F: Fn(&Value) -> Result<Value, ApiError>,
    {
        let key = object_key(info, namespace, name);
        for _ in 0..CAS_RETRIES {
            let Some(kv) = self.read(&key).await? else {
                return Err(ApiError::not_found(&info.group_resource(), name));
            };
            let old = self.decode_as(info, &kv)?;
            let mut new = update(&old)?;
            // a resourceVersion in the body is a precondition
            match meta_str(&new, "resourceVersion") {
                Some(rv) if !rv.is_empty() => {
                    let rv: i64 = rv.parse().map_err(|_| {
                        ApiError::invalid(
                            &info.group_kind(),
                            name,
                            vec![Cause::invalid(
                                "metadata.resourceVersion",
                                rv,
                                "must be specified for an update",
                            )],
                        )
                    })?;
                    if rv != kv.mod_revision {
                        return Err(ApiError::conflict(
                            &info.group_resource(),
                            name,
                            "the object has been modified; please apply your changes to the latest version and try again",
                        ));
                    }
                }
                _ => {}
            }
            match meta_str(&new, "name") {
                Some(n) if n != name => {
                    return Err(ApiError::bad_request(format!(
                        "the name of the object ({n}) does not match the name on the URL ({name})"
                    )));
                }
                _ => {}
            }
            if info.namespaced
                && let (Some(n), Some(ns)) = (meta_str(&new, "namespace"), namespace)
                && !n.is_empty()
                && n != ns
            {
                return Err(ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ));
            }
            // an apply decided managedFields itself; /status would carry the old ones over
            let applied = opts
                .manager
                .as_ref()
                .filter(|m| m.operation == managed::Operation::Apply)
                .map(|_| new["metadata"].get("managedFields").cloned());
            // defaults first, so that a body leaving out a defaulted field does not
            // count as a spec change
            defaults::apply(info, &mut new);
            strategy::prepare_for_update(info, subresource, &mut new, &old);
            // binding sets spec.nodeName, which a pod update may not change
            let before = (subresource != Some("binding")).then_some(&old);
            let mut causes = strategy::validate(info, &new, before);
            if allocator::is_service(info) && subresource.is_none() {
                allocator::default_service(&mut new);
                causes.extend(allocator::keep_allocations(&mut new, &old));
            }
            match (applied, opts.updater()) {
                (Some(fields), _) => {
                    let meta = meta_mut(&mut new);
                    match fields {
                        Some(f) => meta.insert("managedFields".into(), f),
                        None => meta.remove("managedFields"),
                    };
                }
                (None, Some(m)) => managed::track_update(m, Some(&old), &mut new),
                (None, None) => {}
            }
            if !causes.is_empty() {
                return Err(ApiError::invalid(&info.group_kind(), name, causes));
            }
            // an object whose last finalizer is gone while it is being deleted goes away
            if meta_str(&new, "deletionTimestamp").is_some() && !has_finalizers(&new) {
                if opts.dry_run {
                    return Ok(new);
                }
                if let Some(revision) = self
                    .cas(&key, kv.mod_revision, delete_ops(info, &key, &old))
                    .await?
                {
                    set_resource_version(&mut new, revision);
                    return Ok(new);
                }
                continue;
            }
            let mut unchanged = new.clone();
            set_resource_version(&mut unchanged, kv.mod_revision);
            if unchanged == old {
                return Ok(old);
            }
            if opts.dry_run {
                return Ok(new);
            }
            if let Some(revision) = self
                .cas(
                    &key,
                    kv.mod_revision,
                    vec![Op::put(&key, &self.encode_as(info, &new)?)],
                )
                .await?
            {
                set_resource_version(&mut new, revision);
                return Ok(new);
            }
        }
        Err(ApiError::conflict(
            &info.group_resource(),
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        ))
    }

    pub async fn delete(
        &self,
        info: &ResourceInfo,
        namespace: Option<&str>,
        name: &str,
        opts: &DeleteOptions,
    ) -> Result<DeleteOutcome, ApiError> {
        let key = object_key(info, namespace, name);
        for _ in 0..CAS_RETRIES {
            let Some(kv) = self.read(&key).await? else {
                return Err(ApiError::not_found(&info.group_resource(), name));
            };
            let mut obj = self.decode_as(info, &kv)?;
            if let Some(uid) = &opts.precondition_uid
                && meta_str(&obj, "uid") != Some(uid.as_str())
            {
                return Err(ApiError::conflict(
                    &info.group_resource(),
                    name,
                    &format!(
                        "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                        meta_str(&obj, "uid").unwrap_or("")
                    ),
                ));
            }
            if let Some(rv) = &opts.precondition_rv
                && *rv != kv.mod_revision.to_string()
            {
                return Err(ApiError::conflict(
                    &info.group_resource(),
                    name,
                    &format!(
                        "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {}",
                        kv.mod_revision
                    ),
                ));
            }
            let graceful = strategy::deletion_grace(info, &obj, opts.grace_period_seconds);
            if has_finalizers(&obj) || graceful.is_some() {
                if meta_str(&obj, "deletionTimestamp").is_some() {
                    // already being deleted; nothing more to do
                    return Ok(DeleteOutcome::Pending(obj));
                }
                let m = meta_mut(&mut obj);
                m.insert("deletionTimestamp".into(), Value::String(now_rfc3339()));
                m.insert(
                    "deletionGracePeriodSeconds".into(),
                    Value::from(graceful.unwrap_or(0)),
                );
                if opts.dry_run {
                    return Ok(DeleteOutcome::Pending(obj));
                }
                if let Some(revision) = self
                    .cas(
                        &key,
                        kv.mod_revision,
                        vec![Op::put(&key, &self.encode_as(info, &obj)?)],
                    )
                    .await?
                {
                    set_resource_version(&mut obj, revision);
                    return Ok(DeleteOutcome::Pending(obj));
                }
                continue;
            }
            if opts.dry_run {
                return Ok(DeleteOutcome::Deleted(obj));
            }
            let ops = delete_ops(info, &key, &obj);
            if self.cas(&key, kv.mod_revision, ops).await?.is_some() {
                return Ok(DeleteOutcome::Deleted(obj));
            }
        }
        Err(ApiError::conflict(
            &info.group_resource(),
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        ))
    }

    pub async fn list(
        &self,
        info: &ResourceInfo,
        namespace: Option<&str>,
        opts: &ListOptions,
    ) -> Result<ListResult, ApiError> {
        let prefix = prefix(info, namespace);
        let end = prefix_end(&prefix);
        let (mut start, mut revision) = match &opts.continue_from {
            Some((key, rev)) => (key.clone(), *rev),
            None => (prefix.clone(), opts.exact_revision.unwrap_or(0)),
        };
        let filtered = !opts.filter.is_everything();
        let converter = self.conversions.for_resource(info);
        let mut items = Vec::new();
        loop {
            // with a selector, read more than asked: many may not match
            let chunk = match (opts.limit, filtered) {
                (0, _) => 0,
                (l, false) => l,
                (l, true) => l.max(500),
            };
            let resp = self
                .store
                .range(RangeRequest {
                    range: KeyRange::range(&start, end.as_deref()),
                    limit: chunk,
                    revision,
                    count_only: false,
                    keys_only: false,
                })
                .await
                .map_err(|e| match e {
                    StoreError::Compacted { .. } if opts.continue_from.is_some() => {
                        ApiError::expired(CONTINUE_EXPIRED)
                    }
                    e => store_error(e),
                })?;
            revision = resp.revision;
            for (i, kv) in resp.kvs.iter().enumerate() {
                let mut obj = decode(kv)?;
                if let Some(c) = &converter {
                    c.to_request(&mut obj)?;
                }
                if !opts.filter.matches(info, &obj) {
                    continue;
                }
                items.push(obj);
                if opts.limit > 0 && items.len() == opts.limit {
                    let more = i + 1 < resp.kvs.len() || resp.more;
                    let mut next = kv.key.clone();
                    next.push(0);
                    return Ok(ListResult {
                        items,
                        revision,
                        continue_at: more.then_some((next, revision)),
                        remaining: (more && !filtered).then(|| resp.count - (i as i64 + 1)),
                    });
                }
            }
            match resp.kvs.last() {
                Some(last) if resp.more => {
                    start = last.key.clone();
                    start.push(0);
                }
                _ => {
                    return Ok(ListResult {
                        items,
                        revision,
                        continue_at: None,
                        remaining: None,
                    });
                }
            }
        }
    }

    /// Applies `ops` if `key` still has `mod_revision`; the new revision, or `None`
    /// when another writer got there first.
    async fn cas(
        &self,
        key: &[u8],
        mod_revision: i64,
        ops: Vec<Op>,
    ) -> Result<Option<i64>, ApiError> {
        let resp = self
            .store
            .txn(TxnRequest {
                compare: vec![Compare::mod_revision(key, CompareOp::Equal, mod_revision)],
                success: ops,
                failure: vec![],
            })
            .await
            .map_err(store_error)?;
        Ok(resp.succeeded.then_some(resp.revision))
    }

    /// Changes a cluster-scoped object with `f` outside the update strategy (for the
    /// namespace lifecycle's deletionTimestamp and phase), retrying lost races.
    pub async fn mark_deleting(
        &self,
        info: &ResourceInfo,
        name: &str,
        f: impl Fn(&mut Value),
    ) -> Result<Value, ApiError> {
        let key = object_key(info, None, name);
        for _ in 0..CAS_RETRIES {
            let Some(kv) = self.read(&key).await? else {
                return Err(ApiError::not_found(&info.group_resource(), name));
            };
            let mut obj = self.decode_as(info, &kv)?;
            f(&mut obj);
            if let Some(revision) = self
                .cas(
                    &key,
                    kv.mod_revision,
                    vec![Op::put(&key, &self.encode_as(info, &obj)?)],
                )
                .await?
            {
                set_resource_version(&mut obj, revision);
                return Ok(obj);
            }
        }
        Err(ApiError::conflict(
            &info.group_resource(),
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        ))
    }

    /// Deletes every object of a resource, in all namespaces, in one transaction.
    pub async fn delete_all(&self, info: &ResourceInfo) -> Result<i64, ApiError> {
        let resp = self
            .store
            .txn(TxnRequest {
                compare: vec![],
                success: vec![Op::Delete {
                    range: KeyRange::prefix(&prefix(info, None)),
                    prev_kv: false,
                }],
                failure: vec![],
            })
            .await
            .map_err(store_error)?;
        Ok(match resp.responses.first() {
            Some(OpResponse::Delete { deleted, .. }) => *deleted,
            _ => 0,
        })
    }

    /// The store revision right now (for lists and watches that start "now").
    pub async fn revision(&self) -> Result<i64, ApiError> {
        Ok(self.store.status().await.map_err(store_error)?.revision)
    }
}

/// Deleting an object also releases what it holds (a Service's addresses and ports).
fn delete_ops(info: &ResourceInfo, key: &[u8], obj: &Value) -> Vec<Op> {
    let mut ops = vec![Op::delete(key)];
    if allocator::is_service(info) {
        ops.extend(allocator::held_keys(obj).iter().map(|k| Op::delete(k)));
    }
    ops
}

fn has_finalizers(obj: &Value) -> bool {
    meta(obj)
        .and_then(|m| m.get("finalizers"))
        .and_then(Value::as_array)
        .is_some_and(|f| !f.is_empty())
}
