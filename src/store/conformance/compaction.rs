//! Cases for compaction: racing writers and watchers, its semantics, the compactor.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{
    EVENT_DEADLINE, assert_delete, assert_put, del, expect_sentinel, head, keys, next, put, show,
    status,
};
use crate::store::compactor::{self, CompactionPolicy};
use crate::store::{KeyRange, RangeRequest, Store, StoreError, WatchRequest, Watcher};

/// What a watcher delivered before it ended or had all it was owed.
struct Delivered {
    revisions: Vec<i64>,
    compacted: bool,
}

/// Reads `w` until it has delivered `want` events or failed with `Compacted`.
async fn drain(w: &mut Watcher, want: usize, what: &str) -> Delivered {
    let mut revisions = Vec::new();
    while revisions.len() < want {
        match tokio::time::timeout(EVENT_DEADLINE, w.recv()).await {
            Ok(Some(Ok(b))) => revisions.extend(b.events.iter().map(|e| e.kv.mod_revision)),
            Ok(Some(Err(StoreError::Compacted { .. }))) => {
                return Delivered {
                    revisions,
                    compacted: true,
                };
            }
            Ok(Some(Err(e))) => panic!("{what}: the watch failed with {e}, not Compacted"),
            Ok(None) => panic!("{what}: the watch ended without an error"),
            Err(_) => panic!("{what}: no event within {EVENT_DEADLINE:?}"),
        }
    }
    Delivered {
        revisions,
        compacted: false,
    }
}

/// Reads a retained revision during the race; returns (revision, keys counted) when
/// it was still retained.
async fn read_retained(s: &dyn Store) -> Vec<(i64, i64)> {
    let st = status(s).await;
    let mut seen = Vec::new();
    for rev in [
        st.compact_revision,
        (st.compact_revision + st.revision) / 2,
        st.revision,
    ] {
        if rev <= 0 {
            continue;
        }
        match s
            .range(RangeRequest::prefix(b"/cr/").at_revision(rev))
            .await
        {
            Ok(r) => {
                assert_eq!(r.revision, rev);
                assert!(
                    r.kvs.iter().all(|kv| kv.mod_revision <= rev),
                    "a read at {rev}"
                );
                seen.push((rev, r.count));
            }
            Err(StoreError::Compacted {
                requested,
                compacted,
            }) => {
                assert_eq!(requested, rev);
                assert!(
                    compacted > rev,
                    "Compacted at {rev} but compacted only to {compacted}"
                );
                assert!(
                    status(s).await.compact_revision > rev,
                    "Compacted, but status disagrees"
                );
            }
            Err(StoreError::FutureRevision { requested, current }) => {
                // only consistent if the head went backwards, which it never may
                let now = status(s).await.revision;
                assert!(
                    now < requested,
                    "revision {requested} (a head seen in status) is in the future of {current}; status now says {now}"
                );
            }
            Err(e) => panic!("a read at retained revision {rev}: {e}"),
        }
    }
    seen
}

/// Case 9: writers, a compactor chasing the head and readers, all at once.
pub(super) async fn races(s: Arc<dyn Store>) {
    const WRITERS: usize = 2;
    const PUTS: usize = 150;
    const KEYS: usize = 10;
    let start = put(&*s, b"/cr/seed", b"0").await;
    let mut live = s
        .watch(WatchRequest::prefix(b"/cr/", start))
        .await
        .expect("watch");
    let mut late = s
        .watch(WatchRequest::prefix(b"/cr/", start))
        .await
        .expect("watch");
    let done = CancellationToken::new();
    let writers: Vec<_> = (0..WRITERS)
        .map(|t| {
            let s = s.clone();
            tokio::spawn(async move {
                // overwrites, so that compaction really removes history
                let mut revs = Vec::new();
                for i in 0..PUTS {
                    let key = format!("/cr/{t}/{}", i % KEYS);
                    revs.push((
                        put(&*s, key.as_bytes(), i.to_string().as_bytes()).await,
                        key,
                    ));
                }
                revs
            })
        })
        .collect();
    let compactor = {
        let (s, done) = (s.clone(), done.clone());
        tokio::spawn(async move {
            let mut compactions = 0;
            while !done.is_cancelled() || compactions == 0 {
                let st = status(&*s).await;
                let target = st.revision - 5;
                if target > st.compact_revision {
                    match s.compact(target).await {
                        Ok(()) => compactions += 1,
                        Err(StoreError::Compacted { .. }) => {}
                        Err(e) => panic!("compact to {target} (status {st:?}): {e}"),
                    }
                }
                tokio::task::yield_now().await;
            }
        })
    };
    let reader = {
        let (s, done) = (s.clone(), done.clone());
        tokio::spawn(async move {
            let mut seen = Vec::new();
            while !done.is_cancelled() {
                seen.extend(read_retained(&*s).await);
                tokio::task::yield_now().await;
            }
            seen
        })
    };
    let total = 1 + WRITERS * PUTS;
    let live_got = drain(&mut live, total, "watcher during the race").await;
    let mut writes = vec![(start, "/cr/seed".to_string())];
    for w in writers {
        writes.extend(w.await.expect("writer"));
    }
    writes.sort_unstable();
    let expected: Vec<i64> = writes.iter().map(|(rev, _)| *rev).collect();
    done.cancel();
    compactor.await.expect("compactor");
    let reads = reader.await.expect("reader");
    let late_got = drain(&mut late, total, "watcher read after the race").await;

    for (what, got) in [("live watcher", &live_got), ("late watcher", &late_got)] {
        if let Some(i) =
            (0..got.revisions.len()).find(|&i| expected.get(i) != Some(&got.revisions[i]))
        {
            panic!(
                "{what}: a gap or repeat at event {i}: delivered {:?}, expected {:?}",
                &got.revisions[i.saturating_sub(2)..(i + 3).min(got.revisions.len())],
                &expected[i.saturating_sub(2)..(i + 3).min(expected.len())],
            );
        }
        assert!(
            got.compacted || got.revisions.len() == total,
            "{what}: ended early without Compacted"
        );
    }
    for (rev, count) in reads {
        let live: BTreeSet<&str> = writes
            .iter()
            .filter(|(r, _)| *r <= rev)
            .map(|(_, k)| k.as_str())
            .collect();
        assert_eq!(
            count,
            live.len() as i64,
            "the keys counted at revision {rev}"
        );
    }
    let st = status(&*s).await;
    assert!(
        st.compact_revision > start,
        "the compactor compacted: {st:?}"
    );
    let all = s.range(RangeRequest::prefix(b"/cr/")).await.expect("range");
    let mut last = BTreeMap::new();
    for (rev, key) in &writes {
        last.insert(key.clone(), *rev);
    }
    let got: BTreeMap<String, i64> = all
        .kvs
        .iter()
        .map(|kv| (show(&kv.key), kv.mod_revision))
        .collect();
    assert_eq!(got, last, "every key's last write intact at the head");
}

/// Case 10: what compact(r) refuses, forgets and keeps.
pub(super) async fn semantics(s: Arc<dyn Store>) {
    let s = &*s;
    let r0 = head(s).await;
    put(s, b"/cs/a", b"1").await;
    put(s, b"/cs/a", b"2").await;
    put(s, b"/cs/b", b"1").await;
    let r4 = del(s, b"/cs/b").await;
    let r5 = put(s, b"/cs/c", b"1").await;
    let r6 = put(s, b"/cs/a", b"3").await;
    let r7 = put(s, b"/cs/d", b"1").await;
    let read = |rev: i64| s.range(RangeRequest::prefix(b"/cs/").at_revision(rev));
    let mut before = Vec::new();
    for rev in [r5, r6, r7] {
        before.push(read(rev).await.expect("read").kvs);
    }

    s.compact(r5).await.expect("compact");
    let st = status(s).await;
    assert_eq!(
        (st.revision, st.compact_revision),
        (r7, r5),
        "compaction writes no revision"
    );
    for (rev, what) in [(r5, "the current compact revision"), (r4, "below it")] {
        match s.compact(rev).await {
            Err(StoreError::Compacted { requested, .. }) => assert_eq!(requested, rev),
            other => panic!("compact({rev}), {what}: expected Compacted, got {other:?}"),
        }
    }
    match s.compact(r7 + 1).await {
        Err(StoreError::FutureRevision { requested, .. }) => assert_eq!(requested, r7 + 1),
        other => panic!("compact above the head: expected FutureRevision, got {other:?}"),
    }
    assert_eq!(status(s).await, st, "refused compactions change nothing");

    for rev in (r0.max(1)..r5).rev() {
        match read(rev).await {
            Err(StoreError::Compacted { .. }) => {}
            other => panic!("a read at {rev}, below the compaction at {r5}: {other:?}"),
        }
    }
    for (rev, kvs) in [r5, r6, r7].into_iter().zip(&before) {
        assert_eq!(
            &read(rev).await.expect("read").kvs,
            kvs,
            "revision {rev} is intact"
        );
    }
    assert_eq!(
        keys(&read(0).await.expect("read").kvs),
        ["/cs/a", "/cs/c", "/cs/d"]
    );
    let a = s.get(b"/cs/a").await.expect("get").expect("exists");
    assert_eq!(
        (show(&a.value), a.mod_revision, a.version),
        ("3".into(), r6, 3)
    );
    for rev in [r5, r7, 0] {
        assert!(
            read(rev)
                .await
                .expect("read")
                .kvs
                .iter()
                .all(|kv| kv.key != b"/cs/b"),
            "b stays deleted"
        );
    }

    match s.watch(WatchRequest::prefix(b"/cs/", r4)).await {
        Err(StoreError::Compacted { .. }) => {}
        other => panic!("a watch from below the compaction: {other:?}"),
    }
    let mut w = s
        .watch(WatchRequest::prefix(b"/cs/", r5))
        .await
        .expect("watch");
    assert_put(
        &next(&mut w, "from r5").await,
        r5,
        b"/cs/c",
        b"1",
        "first event from r5",
    );
    assert_put(
        &next(&mut w, "from r5").await,
        r6,
        b"/cs/a",
        b"3",
        "second event",
    );
    assert_put(
        &next(&mut w, "from r5").await,
        r7,
        b"/cs/d",
        b"1",
        "third event",
    );
    expect_sentinel(
        s,
        &mut w,
        b"/cs/sentinel",
        "the delete of /cs/b is not replayed",
    )
    .await;

    // a delete exactly at the compaction point is still there for a watch from it
    let rd = del(s, b"/cs/c").await;
    s.compact(rd).await.expect("compact to the head");
    let mut w = s
        .watch(WatchRequest::prefix(b"/cs/", rd))
        .await
        .expect("watch");
    assert_delete(
        &next(&mut w, "from the delete").await,
        rd,
        b"/cs/c",
        "the delete at the compact revision",
    );
    assert_eq!(
        keys(&read(rd).await.expect("read").kvs),
        ["/cs/a", "/cs/d", "/cs/sentinel"]
    );
}

/// Case 11: the automatic compactor keeps `keep_revisions` and idles when idle.
pub(super) async fn auto_compactor(s: Arc<dyn Store>) {
    const KEEP: i64 = 10;
    let policy = CompactionPolicy {
        keep_revisions: KEEP as u64,
        keep_for: Duration::ZERO,
        interval: Duration::from_millis(50),
    };
    let cancel = CancellationToken::new();
    let task = tokio::spawn(compactor::run(s.clone(), policy, None, cancel.clone()));
    for i in 0..100 {
        put(
            &*s,
            format!("/ac/{}", i % 10).as_bytes(),
            i.to_string().as_bytes(),
        )
        .await;
    }
    let h = head(&*s).await;

    let deadline = Instant::now() + EVENT_DEADLINE;
    let mut poll = tokio::time::interval(Duration::from_millis(10));
    loop {
        poll.tick().await;
        let st = status(&*s).await;
        assert_eq!(st.revision, h, "the compactor writes no revision");
        assert!(
            st.compact_revision <= h - KEEP,
            "compacted into the kept window: {st:?}"
        );
        if st.compact_revision == h - KEEP {
            break;
        }
        assert!(!task.is_finished(), "the compactor stopped");
        assert!(
            Instant::now() < deadline,
            "not compacted to {} in time: {st:?}",
            h - KEEP
        );
    }

    // idle: a few intervals later nothing moved (a bounded wait for an absence)
    let settled = status(&*s).await;
    let mut tick = tokio::time::interval(policy.interval);
    for _ in 0..5 {
        tick.tick().await;
    }
    assert_eq!(
        status(&*s).await,
        settled,
        "an idle store is not compacted again"
    );
    assert!(!task.is_finished(), "the compactor stopped");

    let at = |rev: i64| s.range(RangeRequest::new(KeyRange::prefix(b"/ac/")).at_revision(rev));
    assert_eq!(
        at(h - KEEP).await.expect("the oldest kept revision").count,
        10
    );
    assert!(matches!(
        at(h - KEEP - 1).await,
        Err(StoreError::Compacted { .. })
    ));
    let now = s.range(RangeRequest::prefix(b"/ac/")).await.expect("range");
    let values: Vec<String> = now.kvs.iter().map(|kv| show(&kv.value)).collect();
    assert_eq!(values, (90..100).map(|i| i.to_string()).collect::<Vec<_>>());

    cancel.cancel();
    let result = task.await.expect("compactor task");
    assert_eq!(result, Ok(()), "the compactor stops cleanly when cancelled");
}
