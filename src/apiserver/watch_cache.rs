//! The watch cache: one store watch per resource, fanned out to every API watcher.
//!
//! Each event is decoded once and its JSON encoded once (lazily), then shared by
//! every watcher of the resource; a ring of recent events lets a watcher start from
//! a recent resourceVersion without reading the store. A watcher the live channel
//! overruns is cut off (its client re-watches from its last resourceVersion) rather
//! than buffered without bound.
//!
//! Consistency: the cache task appends to the ring and broadcasts while holding the
//! ring's lock, and a subscriber copies the ring and subscribes under the same lock,
//! so a watcher sees every event from its start revision exactly once, in order.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
use serde_json::Value;
use tokio::sync::broadcast;

use crate::api::ResourceInfo;
use crate::store::{EventKind, KeyRange, Store, WatchRequest};

use super::registry::{decode, prefix, set_resource_version};

/// Recent events kept per resource.
const RING: usize = 1024;
/// Events a watcher may fall behind the live channel before it is cut off.
const LIVE: usize = 1024;

/// One change, decoded once.
#[derive(Debug)]
pub struct CachedEvent {
    pub revision: i64,
    pub key: Vec<u8>,
    pub kind: EventKind,
    /// The object after a put, or as it was when deleted (resourceVersion = the
    /// deletion's revision).
    pub object: Arc<Value>,
    pub prev: Option<Arc<Value>>,
    json: OnceLock<Bytes>,
}

impl CachedEvent {
    /// The object's JSON, encoded by the first watcher that needs it.
    pub fn object_json(&self) -> &Bytes {
        self.json.get_or_init(|| {
            Bytes::from(crate::api::json::to_vec(&*self.object).expect("JSON values serialize"))
        })
    }
}

struct Ring {
    events: VecDeque<Arc<CachedEvent>>,
    /// The ring holds every event of the resource at or after this revision.
    complete_from: i64,
}

struct Cache {
    ring: Mutex<Ring>,
    tx: broadcast::Sender<Arc<CachedEvent>>,
}

/// A subscription: the ring's events from the start revision, then live ones.
pub struct Subscription {
    pub backlog: Vec<Arc<CachedEvent>>,
    pub live: broadcast::Receiver<Arc<CachedEvent>>,
}

/// The caches of every watched resource, started on first use.
pub struct WatchCaches {
    store: Arc<dyn Store>,
    caches: Mutex<HashMap<(String, String), Arc<Cache>>>,
}

impl WatchCaches {
    pub fn new(store: Arc<dyn Store>) -> Self {
        WatchCaches {
            store,
            caches: Mutex::new(HashMap::new()),
        }
    }

    /// Subscribes to `info`'s events from revision `from`, or `None` when the cache
    /// does not reach back that far (the caller reads the store instead).
    pub async fn subscribe(&self, info: &ResourceInfo, from: i64) -> Option<Subscription> {
        // history the store has compacted is gone for watches too (410 from the
        // store path), even if the ring still holds it: one answer for reads and
        // watches
        let compacted = self.store.status().await.ok()?.compact_revision;
        if from < compacted {
            return None;
        }
        let cache = self.cache(info).await?;
        let ring = cache.ring.lock().expect("poisoned");
        if from < ring.complete_from {
            return None;
        }
        let backlog = ring
            .events
            .iter()
            .filter(|e| e.revision >= from)
            .cloned()
            .collect();
        Some(Subscription {
            backlog,
            live: cache.tx.subscribe(),
        })
    }

    async fn cache(&self, info: &ResourceInfo) -> Option<Arc<Cache>> {
        let id = (info.group.clone(), info.plural.clone());
        if let Some(c) = self.caches.lock().expect("poisoned").get(&id) {
            return Some(c.clone());
        }
        // start a little in the past, so that watchers that just listed are served
        let status = self.store.status().await.ok()?;
        let start = (status.revision - RING as i64)
            .max(status.compact_revision)
            .max(0)
            + 1;
        let watcher = self
            .store
            .watch(WatchRequest {
                range: KeyRange::prefix(&prefix(info, None)),
                start_revision: start,
                prev_kv: true,
            })
            .await
            .ok()?;
        let mut caches = self.caches.lock().expect("poisoned");
        if let Some(c) = caches.get(&id) {
            return Some(c.clone()); // another request started it meanwhile
        }
        let cache = Arc::new(Cache {
            ring: Mutex::new(Ring {
                events: VecDeque::with_capacity(RING),
                complete_from: start,
            }),
            tx: broadcast::channel(LIVE).0,
        });
        caches.insert(id.clone(), cache.clone());
        drop(caches);
        tokio::spawn(run(cache.clone(), watcher, id));
        Some(cache)
    }
}

async fn run(cache: Arc<Cache>, mut watcher: crate::store::Watcher, id: (String, String)) {
    loop {
        let batch = match watcher.recv().await {
            Some(Ok(b)) => b,
            Some(Err(e)) => {
                // history this cache still needed was compacted (or the store
                // failed): mark the ring unusable so watchers go to the store
                tracing::warn!(group = id.0, resource = id.1, error = %e, "watch cache stopped");
                let mut ring = cache.ring.lock().expect("poisoned");
                ring.complete_from = i64::MAX;
                ring.events.clear();
                return;
            }
            None => return,
        };
        let mut decoded = Vec::with_capacity(batch.events.len());
        for ev in &batch.events {
            let prev = ev
                .prev_kv
                .as_ref()
                .and_then(|kv| decode(kv).ok())
                .map(Arc::new);
            let object = match ev.kind {
                EventKind::Put => match decode(&ev.kv) {
                    Ok(o) => Arc::new(o),
                    Err(_) => continue,
                },
                EventKind::Delete => match &prev {
                    Some(p) => {
                        let mut o = (**p).clone();
                        set_resource_version(&mut o, batch.revision);
                        Arc::new(o)
                    }
                    None => continue,
                },
            };
            decoded.push(Arc::new(CachedEvent {
                revision: batch.revision,
                key: ev.kv.key.clone(),
                kind: ev.kind,
                object,
                prev,
                json: OnceLock::new(),
            }));
        }
        let mut ring = cache.ring.lock().expect("poisoned");
        for ev in decoded {
            if ring.events.len() == RING
                && let Some(old) = ring.events.pop_front()
            {
                ring.complete_from = old.revision + 1;
            }
            ring.events.push_back(ev.clone());
            let _ = cache.tx.send(ev);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::memory::MemoryStore;
    use serde_json::json;

    fn configmaps() -> ResourceInfo {
        crate::api::builtin_resources()
            .into_iter()
            .find(|r| r.group.is_empty() && r.plural == "configmaps")
            .unwrap()
    }

    async fn put(store: &dyn Store, name: &str, v: i64) -> i64 {
        let obj = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "d"}, "data": {"v": v.to_string()}});
        let key = format!("/registry/core/configmaps/d/{name}");
        store
            .put(key.as_bytes(), &serde_json::to_vec(&obj).unwrap())
            .await
            .unwrap()
            .revision
    }

    async fn next(sub: &mut Subscription) -> Arc<CachedEvent> {
        if !sub.backlog.is_empty() {
            return sub.backlog.remove(0);
        }
        tokio::time::timeout(std::time::Duration::from_secs(10), sub.live.recv())
            .await
            .expect("event within 10 s")
            .expect("not lagged")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn watchers_share_events_once_each_from_their_start() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let caches = WatchCaches::new(store.clone());
        let info = configmaps();
        let first = put(&*store, "a", 1).await;
        let mut early = caches
            .subscribe(&info, first)
            .await
            .expect("recent history is cached");
        let mut revs = vec![first];
        for i in 0..50 {
            revs.push(put(&*store, &format!("k{}", i % 5), i).await);
        }
        // a second watcher joining later, from the middle
        let mut late = caches.subscribe(&info, revs[25]).await.unwrap();
        for i in 0..20 {
            revs.push(put(&*store, "z", i).await);
        }
        for want in &revs {
            let ev = next(&mut early).await;
            assert_eq!(ev.revision, *want);
        }
        for want in &revs[25..] {
            let ev = next(&mut late).await;
            assert_eq!(ev.revision, *want);
            // both watchers share one decoded object
        }
        assert!(
            early.live.try_recv().is_err() && late.live.try_recv().is_err(),
            "extra events"
        );
        // deletes carry the last state at the delete's revision
        let del = store
            .delete(b"/registry/core/configmaps/d/z")
            .await
            .unwrap()
            .revision;
        let ev = next(&mut early).await;
        assert_eq!((ev.kind, ev.revision), (EventKind::Delete, del));
        assert_eq!(
            ev.object["metadata"]["resourceVersion"],
            json!(del.to_string())
        );
        assert_eq!(ev.object["data"]["v"], json!("19"));
    }
}
