//! The store conformance suite: the etcd v3 behaviour every [`Store`] must show.
//!
//! Start at [`run`]: it takes a factory of fresh stores and runs each case against a
//! store of its own, so the memory, redb and raft-backed stores are held to one
//! contract. Cases use nothing but the [`Store`] trait and never assume where
//! revisions start (they read the head from `status()` first). The cases live in
//! [`kv`] (reads, writes, transactions), [`watches`] and [`compaction`].

mod compaction;
mod kv;
mod watches;

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::FutureExt;
use futures::future::BoxFuture;

use super::watch::RevEvents;
use super::{Event, EventKind, KeyValue, RangeRequest, Store, StoreStatus, Watcher};

/// How long an event that must arrive may take.
const EVENT_DEADLINE: Duration = Duration::from_secs(10);
/// How long one case may run before it counts as hung.
const CASE_DEADLINE: Duration = Duration::from_secs(120);

/// [`CASE_DEADLINE`] times `KELP_TEST_TIME_SCALE` (default 1): emulated runs (the
/// aarch64 tests under qemu-user) are several times slower.
fn case_deadline() -> Duration {
    let scale = std::env::var("KELP_TEST_TIME_SCALE")
        .ok()
        .and_then(|s| s.parse::<u32>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(1);
    CASE_DEADLINE * scale
}

type Case = fn(Arc<dyn Store>) -> BoxFuture<'static, ()>;

/// Every case, in the order they run.
const CASES: &[(&str, Case)] = &[
    ("put/get revisions", |s| Box::pin(kv::put_get(s))),
    ("range", |s| Box::pin(kv::range(s))),
    ("reads at past revisions", |s| {
        Box::pin(kv::past_revisions(s))
    }),
    ("txn compares", |s| Box::pin(kv::txn_compares(s))),
    ("txn operations", |s| Box::pin(kv::txn_ops(s))),
    ("txn invalid requests", |s| Box::pin(kv::txn_invalid(s))),
    ("concurrent CAS", |s| Box::pin(kv::concurrent_cas(s))),
    ("watch replay and live", |s| {
        Box::pin(watches::replay_and_live(s))
    }),
    ("watch prev_kv", |s| Box::pin(watches::prev_kv(s))),
    ("watch txn and compaction", |s| {
        Box::pin(watches::txn_and_compaction(s))
    }),
    ("watch concurrent writers", |s| {
        Box::pin(watches::concurrent_writers(s))
    }),
    ("slow watcher", |s| Box::pin(watches::slow_watcher(s))),
    ("watch progress", |s| Box::pin(watches::progress(s))),
    ("compaction races", |s| Box::pin(compaction::races(s))),
    ("compaction semantics", |s| {
        Box::pin(compaction::semantics(s))
    }),
    ("auto compactor", |s| {
        Box::pin(compaction::auto_compactor(s))
    }),
];

/// Runs every case, each on a fresh store from `new_store` (whose guard, such as a
/// temporary directory, is dropped after the case), and panics naming the store and
/// every case that failed.
pub(crate) async fn run<F, Fut>(name: &str, new_store: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = (Arc<dyn Store>, Box<dyn Any + Send>)>,
{
    let mut failures = Vec::new();
    let deadline = case_deadline();
    for (case, f) in CASES {
        let (store, guard) = new_store().await;
        let started = Instant::now();
        let outcome =
            tokio::time::timeout(deadline, AssertUnwindSafe(f(store)).catch_unwind()).await;
        drop(guard);
        match outcome {
            Ok(Ok(())) => eprintln!("conformance [{name}] {case}: ok in {:?}", started.elapsed()),
            Ok(Err(panic)) => failures.push(format!("{case}: {}", panic_message(&*panic))),
            Err(_) => failures.push(format!("{case}: did not finish within {deadline:?}")),
        }
    }
    assert!(
        failures.is_empty(),
        "store `{name}` failed {} of {} conformance cases:\n  {}",
        failures.len(),
        CASES.len(),
        failures.join("\n  ")
    );
}

fn panic_message(panic: &(dyn Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_string()
    } else {
        "panicked".to_string()
    }
}

// ---- helpers shared by the cases ----

fn show(key: &[u8]) -> String {
    String::from_utf8_lossy(key).into_owned()
}

async fn status(s: &dyn Store) -> StoreStatus {
    s.status().await.expect("status")
}

async fn head(s: &dyn Store) -> i64 {
    status(s).await.revision
}

/// Puts one key and returns the revision of the write.
async fn put(s: &dyn Store, key: &[u8], value: &[u8]) -> i64 {
    let resp = s
        .put(key, value)
        .await
        .unwrap_or_else(|e| panic!("put {}: {e}", show(key)));
    assert!(resp.succeeded, "put {} did not succeed", show(key));
    resp.revision
}

/// Deletes one existing key and returns the revision of the delete.
async fn del(s: &dyn Store, key: &[u8]) -> i64 {
    let before = head(s).await;
    let resp = s
        .delete(key)
        .await
        .unwrap_or_else(|e| panic!("delete {}: {e}", show(key)));
    assert!(
        resp.revision > before,
        "deleting {} wrote nothing",
        show(key)
    );
    resp.revision
}

/// The key as of `revision` (0: the head).
async fn get_at(s: &dyn Store, key: &[u8], revision: i64) -> Option<KeyValue> {
    let resp = s
        .range(RangeRequest::key(key).at_revision(revision))
        .await
        .unwrap_or_else(|e| panic!("get {} at {revision}: {e}", show(key)));
    resp.kvs.into_iter().next()
}

/// (create revision, mod revision, version, value) of a key-value.
fn meta(kv: &KeyValue) -> (i64, i64, i64, String) {
    (
        kv.create_revision,
        kv.mod_revision,
        kv.version,
        show(&kv.value),
    )
}

fn keys(kvs: &[KeyValue]) -> Vec<String> {
    kvs.iter().map(|kv| show(&kv.key)).collect()
}

/// The next batch of events, which must arrive within [`EVENT_DEADLINE`].
async fn next(w: &mut Watcher, what: &str) -> RevEvents {
    match tokio::time::timeout(EVENT_DEADLINE, w.recv()).await {
        Ok(Some(Ok(b))) => b,
        Ok(Some(Err(e))) => panic!("{what}: the watch failed: {e}"),
        Ok(None) => panic!("{what}: the watch ended"),
        Err(_) => panic!("{what}: no event within {EVENT_DEADLINE:?}"),
    }
}

/// The only event of a batch.
fn single<'a>(b: &'a RevEvents, what: &str) -> &'a Event {
    assert_eq!(b.events.len(), 1, "{what}: expected one event in {b:?}");
    &b.events[0]
}

/// Asserts `b` is exactly one put of `key` = `value` at revision `rev`.
fn assert_put(b: &RevEvents, rev: i64, key: &[u8], value: &[u8], what: &str) {
    let ev = single(b, what);
    assert_eq!(
        (b.revision, ev.kind, show(&ev.kv.key), show(&ev.kv.value)),
        (rev, EventKind::Put, show(key), show(value)),
        "{what}"
    );
    assert_eq!(ev.kv.mod_revision, rev, "{what}: event mod_revision");
    assert!(
        ev.kv.version >= 1 && ev.kv.create_revision >= 1,
        "{what}: {ev:?}"
    );
}

/// Asserts `b` is exactly one delete of `key` at revision `rev`.
fn assert_delete(b: &RevEvents, rev: i64, key: &[u8], what: &str) {
    let ev = single(b, what);
    assert_eq!(
        (b.revision, ev.kind, show(&ev.kv.key)),
        (rev, EventKind::Delete, show(key)),
        "{what}"
    );
    assert_eq!(
        (
            ev.kv.mod_revision,
            ev.kv.create_revision,
            ev.kv.version,
            ev.kv.value.len()
        ),
        (rev, 0, 0, 0),
        "{what}: a delete event carries only the key and the delete's revision"
    );
}

/// Writes `key` and asserts it is the next thing `w` delivers, so nothing else was
/// pending: the way to check for the absence of events without sleeping.
async fn expect_sentinel(s: &dyn Store, w: &mut Watcher, key: &[u8], what: &str) {
    let rev = put(s, key, b"sentinel").await;
    let b = next(w, what).await;
    assert_eq!(
        (
            b.revision,
            b.events.iter().map(|e| show(&e.kv.key)).collect::<Vec<_>>()
        ),
        (rev, vec![show(key)]),
        "{what}: an unexpected event arrived before the sentinel"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::memory::{MemoryStore, RedbStore};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn memory_store_conforms() {
        run("memory", || async {
            let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
            (store, Box::new(()) as Box<dyn Any + Send>)
        })
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn redb_store_conforms() {
        run("redb", || async {
            // tmpfs when there is one: the suite checks semantics, not durability, and
            // an fsync per write on a real disk makes the 5000-write cases take minutes
            let dir = match std::path::Path::new("/dev/shm") {
                shm if shm.is_dir() => tempfile::tempdir_in(shm),
                _ => tempfile::tempdir(),
            }
            .expect("temporary directory");
            let store = RedbStore::open(&dir.path().join("store.redb")).expect("open redb store");
            let store: Arc<dyn Store> = Arc::new(store);
            (store, Box::new(dir) as Box<dyn Any + Send>)
        })
        .await;
    }
}
