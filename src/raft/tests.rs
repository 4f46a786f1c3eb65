use std::sync::Arc;

use openraft::StorageError;
use openraft::testing::{StoreBuilder, Suite};

use super::*;

struct Builder;

impl StoreBuilder<TypeConfig, LogStore, StateMachine, tempfile::TempDir> for Builder {
    async fn build(
        &self,
    ) -> std::result::Result<(tempfile::TempDir, LogStore, StateMachine), StorageError<NodeId>>
    {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Arc::new(RedbDb::open(&dir.path().join("kelp.redb")).expect("open db"));
        let mvcc = Mvcc::open(RedbBackend::new(db.clone(), false)).expect("open mvcc");
        let sm = StateMachine::new(mvcc, dir.path().join("snapshot.bin"))?;
        Ok((dir, LogStore::new(db), sm))
    }
}

#[test]
fn openraft_storage_suite() {
    Suite::test_all(Builder).expect("openraft storage suite");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_survive_a_clean_restart() {
    let dir = tempfile::tempdir().unwrap();
    let head = {
        let store = RaftStore::open(dir.path()).await.unwrap();
        for i in 0..50 {
            store
                .put(format!("/k/{i:03}").as_bytes(), format!("v{i}").as_bytes())
                .await
                .unwrap();
        }
        store.delete(b"/k/007").await.unwrap();
        let head = store.status().await.unwrap().revision;
        store.shutdown().await.unwrap();
        head
    };
    let store = RaftStore::open(dir.path()).await.unwrap();
    assert_eq!(store.status().await.unwrap().revision, head);
    let all = store.range(RangeRequest::prefix(b"/k/")).await.unwrap();
    assert_eq!(all.count, 49);
    assert_eq!(
        store.get(b"/k/042").await.unwrap().unwrap().value.as_ref(),
        b"v42"
    );
    assert!(store.get(b"/k/007").await.unwrap().is_none());
    // writes continue from the old head
    let resp = store.put(b"/k/new", b"x").await.unwrap();
    assert_eq!(resp.revision, head + 1);
    store.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_are_batched_into_few_log_entries() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(RaftStore::open(dir.path()).await.unwrap());
    let before = store.raft.metrics().borrow().last_log_index.unwrap_or(0);
    let mut tasks = Vec::new();
    for t in 0..64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..20 {
                store
                    .put(format!("/b/{t}/{i}").as_bytes(), b"v")
                    .await
                    .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let after = store.raft.metrics().borrow().last_log_index.unwrap_or(0);
    let writes = 64 * 20;
    assert_eq!(
        store
            .range(RangeRequest::prefix(b"/b/"))
            .await
            .unwrap()
            .count,
        writes
    );
    // with 64 concurrent writers, entries carry many writes each
    assert!(
        after - before < writes as u64 / 2,
        "{} log entries for {writes} writes: no group commit",
        after - before
    );
    store.shutdown().await.unwrap();
}

fn normal_entry(index: u64, writes: Vec<Write>) -> openraft::Entry<TypeConfig> {
    openraft::Entry {
        log_id: openraft::LogId::new(openraft::CommittedLeaderId::new(1, 1), index),
        payload: openraft::EntryPayload::Normal(Request { writes }),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_of_store_data_installs_on_another_state_machine() {
    use openraft::RaftSnapshotBuilder;
    use openraft::storage::RaftStateMachine;

    let (_g1, _l1, mut leader) = Builder.build().await.unwrap();
    let (_g2, _l2, mut follower) = Builder.build().await.unwrap();
    let put = |k: &str, v: &str| {
        Write::Txn(TxnRequest {
            compare: vec![],
            success: vec![Op::put(k.as_bytes(), v.as_bytes())],
            failure: vec![],
        })
    };
    leader
        .apply([
            normal_entry(1, vec![put("/a", "1"), put("/b", "1")]),
            normal_entry(2, vec![put("/a", "2")]),
            normal_entry(3, vec![Write::Compact(2), put("/c", "3")]),
        ])
        .await
        .unwrap();
    let snap = leader
        .get_snapshot_builder()
        .await
        .build_snapshot()
        .await
        .unwrap();
    assert_eq!(snap.meta.last_log_id.unwrap().index, 3);

    follower
        .install_snapshot(&snap.meta, snap.snapshot)
        .await
        .unwrap();
    assert_eq!(
        follower.applied_state().await.unwrap().0,
        snap.meta.last_log_id
    );
    let (lm, fm) = (leader.mvcc().clone(), follower.mvcc().clone());
    assert_eq!(lm.status(), fm.status());
    for rev in [0, 2, 3, 4] {
        let req = RangeRequest::prefix(b"/").at_revision(rev);
        assert_eq!(lm.range(&req), fm.range(&req), "at revision {rev}");
    }
    assert!(matches!(
        fm.range(&RangeRequest::prefix(b"/").at_revision(1)),
        Err(StoreError::Compacted { .. })
    ));
    // the installed snapshot is the follower's current one
    let current = follower.get_current_snapshot().await.unwrap().unwrap();
    assert_eq!(current.meta, snap.meta);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raft_store_conforms() {
    crate::store::conformance::run("raft", || async {
        // tmpfs when there is one: the suite checks semantics; durability is the
        // kill -9 test's job
        let dir = match std::path::Path::new("/dev/shm") {
            shm if shm.is_dir() => tempfile::tempdir_in(shm),
            _ => tempfile::tempdir(),
        }
        .expect("temporary directory");
        let store = RaftStore::open(dir.path()).await.expect("open raft store");
        let store: Arc<dyn Store> = Arc::new(store);
        (store, Box::new(dir) as Box<dyn std::any::Any + Send>)
    })
    .await;
}

/// 10,000 log entries make openraft build a snapshot (and purge the log behind it);
/// the streamed snapshot file is of the current format, and a restart afterwards
/// has every write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_is_built_after_ten_thousand_entries_and_restarts_work() {
    let dir = match std::path::Path::new("/dev/shm") {
        shm if shm.is_dir() => tempfile::tempdir_in(shm),
        _ => tempfile::tempdir(),
    }
    .unwrap();
    let store = RaftStore::open(dir.path()).await.unwrap();
    // one writer: one log entry per write
    for i in 0..10_050 {
        store
            .put(format!("/s/{i:05}").as_bytes(), format!("v{i}").as_bytes())
            .await
            .unwrap();
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let snapshot = dir.path().join("snapshot.bin");
    while store.raft.metrics().borrow().snapshot.is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "no snapshot was built"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let bytes = std::fs::read(&snapshot).unwrap();
    assert_eq!(bytes.first(), Some(&2), "the streamed format");
    let head = store.status().await.unwrap().revision;
    store.shutdown().await.unwrap();
    drop(store);

    let store = RaftStore::open(dir.path()).await.unwrap();
    assert_eq!(store.status().await.unwrap().revision, head);
    let all = store.range(RangeRequest::prefix(b"/s/")).await.unwrap();
    assert_eq!(all.count, 10_050);
    assert_eq!(
        store
            .get(b"/s/09999")
            .await
            .unwrap()
            .unwrap()
            .value
            .as_ref(),
        b"v9999"
    );
    assert_eq!(store.put(b"/s/new", b"x").await.unwrap().revision, head + 1);
    store.shutdown().await.unwrap();
}
