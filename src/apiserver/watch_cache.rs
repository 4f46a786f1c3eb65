//! The watch cache: per resource, the current objects and a ring of recent events,
//! fed by one store watch, serving LIST and WATCH from memory.
//!
//! Each object is kept once, as its encoded JSON (resourceVersion set) with the few
//! attributes selectors read (namespace, name, labels, the kind's selectable
//! fields); an event shares those objects with the object map and with every watcher.
//! Watchers are indexed by namespace, by object name and, for pods, by
//! `spec.nodeName`, so an event wakes only the watchers that may want it; a watcher whose queue is full is cut off
//! (its client re-watches from the last resourceVersion it saw) rather than buffered
//! without bound.
//!
//! Consistency: the cache task applies an event to the objects, appends it to the
//! ring, hands it to watchers and advances the cache's revision all under one lock,
//! and a subscriber copies the ring and registers under the same lock, so a watcher
//! sees every event from its start revision exactly once, in order. The store watch
//! also reports revisions that did not touch the resource ([`Watcher::with_progress`]),
//! so the cache's revision follows the store's head; a consistent LIST reads the
//! store's head and waits until the cache has reached it — so it never returns data
//! older than a write acknowledged before the LIST started.
//!
//! [`Watcher::with_progress`]: crate::store::Watcher::with_progress

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;
use tokio::sync::{mpsc, watch};

use crate::api::ResourceInfo;
use crate::store::{EventKind, KeyRange, RangeRequest, Store, WatchRequest};

use super::registry::{Filter, labels, prefix, set_resource_version};
use super::strategy;

/// Recent events kept per resource.
const RING: usize = 1024;
/// Events a watcher may have queued before it is cut off.
const LIVE: usize = 1024;
/// How long a LIST waits for the cache to reach the revision it needs before it is
/// served from the store instead (upstream's watch cache waits 3 s, then fails).
const CATCH_UP: Duration = Duration::from_secs(3);

/// One object as the cache keeps it.
#[derive(Debug)]
pub struct CachedObject {
    /// The object's JSON, resourceVersion included.
    pub json: Bytes,
    namespace: String,
    name: String,
    labels: BTreeMap<String, String>,
    /// The kind's selectable fields (strategy::selectable_fields), in that order.
    fields: Vec<Option<String>>,
    selectable: &'static [&'static str],
}

impl CachedObject {
    fn new(info: &ResourceInfo, obj: &Value) -> CachedObject {
        let meta_str = |k: &str| {
            obj.get("metadata")
                .and_then(|m| m.get(k))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let selectable = strategy::selectable_fields(info);
        CachedObject {
            json: Bytes::from(crate::api::json::to_vec(obj).expect("JSON values serialize")),
            namespace: meta_str("namespace"),
            name: meta_str("name"),
            labels: labels(obj),
            fields: selectable
                .iter()
                .map(|f| strategy::field_value(obj, f))
                .collect(),
            selectable,
        }
    }

    /// The object, decoded (for Table output).
    pub fn value(&self) -> Value {
        serde_json::from_slice(&self.json).expect("the cache encoded this JSON")
    }

    /// This object as of `revision`: the same attributes, resourceVersion changed.
    fn at_revision(&self, revision: i64) -> CachedObject {
        let mut v = self.value();
        set_resource_version(&mut v, revision);
        CachedObject {
            json: Bytes::from(crate::api::json::to_vec(&v).expect("JSON values serialize")),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
            labels: self.labels.clone(),
            fields: self.fields.clone(),
            selectable: self.selectable,
        }
    }

    fn field(&self, field: &str) -> Option<String> {
        match field {
            "metadata.name" => Some(self.name.clone()),
            "metadata.namespace" => Some(self.namespace.clone()),
            f => self
                .selectable
                .iter()
                .position(|s| *s == f)
                .and_then(|i| self.fields[i].clone()),
        }
    }

    fn node_name(&self) -> Option<&str> {
        let i = self.selectable.iter().position(|s| *s == NODE_NAME)?;
        self.fields[i].as_deref().filter(|n| !n.is_empty())
    }

    /// Whether the object passes `filter`, as [`Filter::matches`] decides on the
    /// decoded object.
    pub fn matches(&self, filter: &Filter) -> bool {
        if let Some(l) = &filter.labels
            && !l.matches(&self.labels)
        {
            return false;
        }
        if let Some(f) = &filter.fields
            && !f.matches(&|field| self.field(field))
        {
            return false;
        }
        true
    }
}

const NODE_NAME: &str = "spec.nodeName";

/// One change.
#[derive(Debug)]
pub struct CachedEvent {
    pub revision: i64,
    pub key: Vec<u8>,
    pub kind: EventKind,
    /// The object after a put, or as it was when deleted (resourceVersion = the
    /// deletion's revision).
    pub object: Arc<CachedObject>,
    pub prev: Option<Arc<CachedObject>>,
}

/// Which events a watcher is handed: the index bucket it is registered in.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Bucket {
    All,
    Namespace(String),
    /// One object by namespace ("" when cluster-scoped) and name.
    Object(String, String),
    Node(String),
}

type Ids = HashSet<u64>;

#[derive(Default)]
struct Watchers {
    next_id: u64,
    /// Each watcher's bucket, channel and first revision (events before it are not
    /// its own: a watcher may start ahead of a cache that is still catching up).
    slots: HashMap<u64, (Bucket, mpsc::Sender<Arc<CachedEvent>>, i64)>,
    all: Ids,
    by_namespace: HashMap<String, Ids>,
    by_object: HashMap<String, HashMap<String, Ids>>,
    by_node: HashMap<String, Ids>,
}

impl Watchers {
    fn add(&mut self, bucket: Bucket, tx: mpsc::Sender<Arc<CachedEvent>>, from: i64) -> u64 {
        self.next_id += 1;
        let id = self.next_id;
        match &bucket {
            Bucket::All => self.all.insert(id),
            Bucket::Namespace(ns) => self.by_namespace.entry(ns.clone()).or_default().insert(id),
            Bucket::Object(ns, name) => self
                .by_object
                .entry(ns.clone())
                .or_default()
                .entry(name.clone())
                .or_default()
                .insert(id),
            Bucket::Node(n) => self.by_node.entry(n.clone()).or_default().insert(id),
        };
        self.slots.insert(id, (bucket, tx, from));
        id
    }

    fn remove(&mut self, id: u64) {
        let Some((bucket, _, _)) = self.slots.remove(&id) else {
            return;
        };
        fn take<K: std::hash::Hash + Eq>(map: &mut HashMap<K, Ids>, k: &K, id: u64) {
            if let Some(ids) = map.get_mut(k) {
                ids.remove(&id);
                if ids.is_empty() {
                    map.remove(k);
                }
            }
        }
        match bucket {
            Bucket::All => {
                self.all.remove(&id);
            }
            Bucket::Namespace(ns) => take(&mut self.by_namespace, &ns, id),
            Bucket::Object(ns, name) => {
                if let Some(names) = self.by_object.get_mut(&ns) {
                    take(names, &name, id);
                    if names.is_empty() {
                        self.by_object.remove(&ns);
                    }
                }
            }
            Bucket::Node(n) => take(&mut self.by_node, &n, id),
        }
    }

    /// Hands `ev` to every watcher whose bucket it falls in; cuts off the ones that
    /// are full or gone.
    fn dispatch(&mut self, ev: &Arc<CachedEvent>) {
        if self.slots.is_empty() {
            return;
        }
        let o = &ev.object;
        let node = o.node_name();
        let prev_node = ev
            .prev
            .as_ref()
            .and_then(|p| p.node_name())
            .filter(|p| Some(*p) != node);
        let targets = [
            Some(&self.all),
            self.by_namespace.get(&o.namespace),
            self.by_object
                .get(&o.namespace)
                .and_then(|names| names.get(&o.name)),
            node.and_then(|n| self.by_node.get(n)),
            prev_node.and_then(|n| self.by_node.get(n)),
        ];
        let mut gone = Vec::new();
        for id in targets.into_iter().flatten().flatten() {
            if let Some((_, tx, from)) = self.slots.get(id)
                && ev.revision >= *from
                && tx.try_send(ev.clone()).is_err()
            {
                gone.push(*id);
            }
        }
        for id in gone {
            self.remove(id);
        }
    }

    fn len(&self) -> usize {
        self.slots.len()
    }
}

struct State {
    /// Current objects by store key.
    objects: BTreeMap<Vec<u8>, Arc<CachedObject>>,
    /// Everything up to this store revision is applied.
    revision: i64,
    ring: VecDeque<Arc<CachedEvent>>,
    /// The ring holds every event of the resource at or after this revision.
    complete_from: i64,
    watchers: Watchers,
    /// The store watch ended (compacted past it, or the store failed): nothing may
    /// be served from this cache any more.
    failed: bool,
}

struct Cache {
    info: ResourceInfo,
    state: Mutex<State>,
    /// The revision the cache has reached, for LISTs waiting on it.
    progress: watch::Sender<i64>,
}

/// A subscription: the ring's events from the start revision, then live ones (never
/// one before the start, even when the watcher starts ahead of a cache still catching
/// up). The live channel ends when the watcher falls too far behind (the client
/// re-watches).
pub struct Subscription {
    pub backlog: Vec<Arc<CachedEvent>>,
    pub live: mpsc::Receiver<Arc<CachedEvent>>,
    id: u64,
    cache: Weak<Cache>,
}

impl Subscription {
    /// A revision this watcher has seen everything up to: the cache's revision once
    /// every event queued for the watcher has been taken; `None` while some are queued.
    pub fn progress(&self) -> Option<i64> {
        let cache = self.cache.upgrade()?;
        let st = cache.state.lock().expect("poisoned");
        // events up to st.revision were queued before it was set
        self.live.is_empty().then_some(st.revision)
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(cache) = self.cache.upgrade() {
            cache
                .state
                .lock()
                .expect("poisoned")
                .watchers
                .remove(self.id);
        }
    }
}

/// Which state a LIST may be served from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// `resourceVersion=0`: whatever the cache holds.
    Any,
    /// `resourceVersion=N` (not older than N).
    AtLeast(i64),
    /// No resourceVersion: at least the store's head when the request started.
    Consistent,
}

/// A LIST served from the cache.
pub struct CachedList {
    pub revision: i64,
    pub items: Vec<Arc<CachedObject>>,
}

/// How many watchers and objects the caches hold (for /metrics and tests).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CacheStats {
    pub resources: usize,
    pub objects: usize,
    pub watchers: usize,
}

type Caches = Mutex<HashMap<(String, String), Arc<Cache>>>;

/// The caches of every listed or watched resource, started on first use.
pub struct WatchCaches {
    store: Arc<dyn Store>,
    caches: Arc<Caches>,
}

impl WatchCaches {
    pub fn new(store: Arc<dyn Store>) -> Self {
        WatchCaches {
            store,
            caches: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    pub fn stats(&self) -> CacheStats {
        let caches = self.caches.lock().expect("poisoned");
        let mut s = CacheStats {
            resources: caches.len(),
            ..CacheStats::default()
        };
        for c in caches.values() {
            let st = c.state.lock().expect("poisoned");
            s.objects += st.objects.len();
            s.watchers += st.watchers.len();
        }
        s
    }

    /// Subscribes to `info`'s events from revision `from`, or `None` when the cache
    /// does not reach back that far (the caller reads the store instead). `namespace`
    /// and `filter` choose the index bucket; the caller still filters every event.
    pub async fn subscribe(
        &self,
        info: &ResourceInfo,
        namespace: Option<&str>,
        filter: &Filter,
        from: i64,
    ) -> Option<Subscription> {
        // history the store has compacted is gone for watches too (410 from the
        // store path), even if the ring still holds it: one answer for reads and
        // watches
        let compacted = self.store.status().await.ok()?.compact_revision;
        if from < compacted {
            return None;
        }
        let cache = self.cache(info).await?;
        let mut st = cache.state.lock().expect("poisoned");
        if st.failed || from < st.complete_from {
            return None;
        }
        let backlog = st
            .ring
            .iter()
            .filter(|e| e.revision >= from)
            .cloned()
            .collect();
        Some(register(
            &cache, &mut st, backlog, from, info, namespace, filter,
        ))
    }

    /// The objects of `info` in `namespace` (all when `None`) that pass `filter`, at a
    /// state at least as fresh as `freshness` asks; `None` when the cache cannot
    /// serve it in time (the caller reads the store).
    pub async fn list(
        &self,
        info: &ResourceInfo,
        namespace: Option<&str>,
        filter: &Filter,
        freshness: Freshness,
    ) -> Option<CachedList> {
        let cache = self.ready(info, freshness).await?;
        let st = cache.state.lock().expect("poisoned");
        if st.failed {
            return None;
        }
        Some(CachedList {
            revision: st.revision,
            items: collect(&st, info, namespace, filter),
        })
    }

    /// A consistent LIST and a subscription from right after it, taken together: the
    /// initial events of a watch without a resourceVersion.
    pub async fn list_and_subscribe(
        &self,
        info: &ResourceInfo,
        namespace: Option<&str>,
        filter: &Filter,
    ) -> Option<(CachedList, Subscription)> {
        let cache = self.ready(info, Freshness::Consistent).await?;
        let mut st = cache.state.lock().expect("poisoned");
        if st.failed {
            return None;
        }
        let list = CachedList {
            revision: st.revision,
            items: collect(&st, info, namespace, filter),
        };
        let from = st.revision + 1;
        let sub = register(&cache, &mut st, Vec::new(), from, info, namespace, filter);
        Some((list, sub))
    }

    /// The cache of `info`, once it has reached the revision `freshness` asks for.
    async fn ready(&self, info: &ResourceInfo, freshness: Freshness) -> Option<Arc<Cache>> {
        let want = match freshness {
            Freshness::Any => 0,
            Freshness::AtLeast(r) => r,
            Freshness::Consistent => self.store.status().await.ok()?.revision,
        };
        let cache = self.cache(info).await?;
        let mut progress = cache.progress.subscribe();
        let reached = tokio::time::timeout(CATCH_UP, progress.wait_for(|r| *r >= want)).await;
        match reached {
            Ok(Ok(_)) => Some(cache),
            _ => None,
        }
    }

    async fn cache(&self, info: &ResourceInfo) -> Option<Arc<Cache>> {
        let id = (info.group.clone(), info.plural.clone());
        if let Some(c) = self.caches.lock().expect("poisoned").get(&id) {
            return Some(c.clone());
        }
        // the current objects, then every change after them
        let range = KeyRange::prefix(&prefix(info, None));
        let listed = self
            .store
            .range(RangeRequest {
                range: range.clone(),
                limit: 0,
                revision: 0,
                count_only: false,
                keys_only: false,
            })
            .await
            .ok()?;
        let watcher = self
            .store
            .watch(WatchRequest {
                range,
                start_revision: listed.revision + 1,
                prev_kv: false,
            })
            .await
            .ok()?
            .with_progress();
        let mut objects = BTreeMap::new();
        for kv in &listed.kvs {
            let Ok(mut obj) = serde_json::from_slice::<Value>(&kv.value) else {
                continue;
            };
            set_resource_version(&mut obj, kv.mod_revision);
            objects.insert(kv.key.clone(), Arc::new(CachedObject::new(info, &obj)));
        }
        let mut caches = self.caches.lock().expect("poisoned");
        if let Some(c) = caches.get(&id) {
            return Some(c.clone()); // another request started it meanwhile
        }
        let cache = Arc::new(Cache {
            info: info.clone(),
            state: Mutex::new(State {
                objects,
                revision: listed.revision,
                ring: VecDeque::with_capacity(RING),
                complete_from: listed.revision + 1,
                watchers: Watchers::default(),
                failed: false,
            }),
            progress: watch::channel(listed.revision).0,
        });
        caches.insert(id.clone(), cache.clone());
        drop(caches);
        tokio::spawn(run(
            cache.clone(),
            watcher,
            Arc::downgrade(&self.caches),
            id,
        ));
        Some(cache)
    }
}

/// The objects under `namespace` passing `filter`, in key order.
fn collect(
    st: &State,
    info: &ResourceInfo,
    namespace: Option<&str>,
    filter: &Filter,
) -> Vec<Arc<CachedObject>> {
    let start = prefix(info, namespace);
    let everything = filter.is_everything();
    st.objects
        .range(start.clone()..)
        .take_while(|(k, _)| k.starts_with(&start))
        .filter(|(_, o)| everything || o.matches(filter))
        .map(|(_, o)| o.clone())
        .collect()
}

/// The index bucket of a watcher: one object, the pods of one node, one namespace,
/// or all.
fn bucket(info: &ResourceInfo, namespace: Option<&str>, filter: &Filter) -> Bucket {
    let exact = |field: &str| {
        filter
            .fields
            .as_ref()
            .and_then(|f| f.requires_exact_match(field))
            .map(str::to_string)
    };
    let namespace = match namespace.filter(|_| info.namespaced) {
        Some(ns) => Some(ns.to_string()),
        None => exact("metadata.namespace").filter(|_| info.namespaced),
    };
    if let Some(name) = exact("metadata.name")
        && (namespace.is_some() || !info.namespaced)
    {
        return Bucket::Object(namespace.unwrap_or_default(), name);
    }
    if strategy::selectable_fields(info).contains(&NODE_NAME)
        && let Some(node) = exact(NODE_NAME).filter(|n| !n.is_empty())
    {
        return Bucket::Node(node);
    }
    match namespace {
        Some(ns) => Bucket::Namespace(ns),
        None => Bucket::All,
    }
}

fn register(
    cache: &Arc<Cache>,
    st: &mut State,
    backlog: Vec<Arc<CachedEvent>>,
    from: i64,
    info: &ResourceInfo,
    namespace: Option<&str>,
    filter: &Filter,
) -> Subscription {
    let (tx, live) = mpsc::channel(LIVE);
    let id = st.watchers.add(bucket(info, namespace, filter), tx, from);
    Subscription {
        backlog,
        live,
        id,
        cache: Arc::downgrade(cache),
    }
}

async fn run(
    cache: Arc<Cache>,
    mut watcher: crate::store::Watcher,
    caches: Weak<Caches>,
    id: (String, String),
) {
    loop {
        let batch = match watcher.recv().await {
            Some(Ok(b)) => b,
            Some(Err(e)) => {
                // history this cache still needed was compacted (or the store
                // failed): nothing more is served from it; its watchers end (their
                // clients re-watch) and the next request starts a new cache
                tracing::warn!(group = id.0, resource = id.1, error = %e, "watch cache stopped");
                fail(&cache, &caches, &id);
                return;
            }
            None => {
                fail(&cache, &caches, &id);
                return;
            }
        };
        // decode outside the lock: the cache task is the only writer of the objects
        let puts: Vec<Option<Arc<CachedObject>>> = batch
            .events
            .iter()
            .map(|ev| match ev.kind {
                EventKind::Put => {
                    serde_json::from_slice::<Value>(&ev.kv.value)
                        .ok()
                        .map(|mut o| {
                            set_resource_version(&mut o, ev.kv.mod_revision);
                            Arc::new(CachedObject::new(&cache.info, &o))
                        })
                }
                EventKind::Delete => None,
            })
            .collect();
        let mut st = cache.state.lock().expect("poisoned");
        for (ev, put) in batch.events.iter().zip(puts) {
            let key = &ev.kv.key;
            let prev = st.objects.get(key).cloned();
            let object = match (ev.kind, put) {
                (EventKind::Put, Some(o)) => {
                    st.objects.insert(key.clone(), o.clone());
                    o
                }
                (EventKind::Delete, _) => match &prev {
                    Some(p) => {
                        st.objects.remove(key);
                        Arc::new(p.at_revision(batch.revision))
                    }
                    None => continue,
                },
                // not JSON: not an object the API server wrote
                (EventKind::Put, None) => continue,
            };
            let ev = Arc::new(CachedEvent {
                revision: batch.revision,
                key: key.clone(),
                kind: ev.kind,
                object,
                prev,
            });
            if st.ring.len() == RING
                && let Some(old) = st.ring.pop_front()
            {
                st.complete_from = old.revision + 1;
            }
            st.ring.push_back(ev.clone());
            st.watchers.dispatch(&ev);
        }
        st.revision = batch.revision;
        drop(st);
        cache.progress.send_replace(batch.revision);
    }
}

fn fail(cache: &Arc<Cache>, caches: &Weak<Caches>, id: &(String, String)) {
    let mut st = cache.state.lock().expect("poisoned");
    st.failed = true;
    st.ring.clear();
    st.objects.clear();
    st.watchers = Watchers::default();
    drop(st);
    if let Some(caches) = caches.upgrade() {
        let mut map = caches.lock().expect("poisoned");
        if map.get(id).is_some_and(|c| Arc::ptr_eq(c, cache)) {
            map.remove(id);
        }
    }
}

#[cfg(test)]
mod tests;
