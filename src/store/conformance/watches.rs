//! Cases for watches.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{assert_delete, assert_put, del, expect_sentinel, head, meta, next, put, show, single};
use crate::store::{EventKind, KeyRange, Op, Store, StoreError, TxnRequest, WatchRequest, Watcher};

async fn watch(s: &dyn Store, range: KeyRange, start_revision: i64, prev_kv: bool) -> Watcher {
    let req = WatchRequest {
        range,
        start_revision,
        prev_kv,
    };
    s.watch(req.clone())
        .await
        .unwrap_or_else(|e| panic!("watch {req:?}: {e}"))
}

/// Case 6a: history replay then live events, "from now", and filtering by range.
pub(super) async fn replay_and_live(s: Arc<dyn Store>) {
    let s = &*s;
    let (a, b) = (b"/w/a", b"/w/b");
    let r1 = put(s, a, b"1").await;
    let r2 = put(s, b, b"1").await;
    let r3 = put(s, a, b"2").await;
    let r4 = del(s, b).await;
    put(s, b"/x/other", b"1").await;

    let mut w = watch(s, KeyRange::prefix(b"/w/"), r1, false).await;
    assert_put(&next(&mut w, "replay 1").await, r1, a, b"1", "replay 1");
    assert_put(&next(&mut w, "replay 2").await, r2, b, b"1", "replay 2");
    let third = next(&mut w, "replay 3").await;
    assert_put(&third, r3, a, b"2", "replay 3");
    assert_eq!(meta(&third.events[0].kv), (r1, r3, 2, "2".into()));
    let fourth = next(&mut w, "replay 4").await;
    assert_delete(&fourth, r4, b, "replay 4");
    assert!(
        [&third, &fourth]
            .iter()
            .all(|b| b.events[0].prev_kv.is_none()),
        "prev_kv: false carries no previous value"
    );
    let r6 = put(s, b"/w/c", b"1").await;
    assert_put(
        &next(&mut w, "live").await,
        r6,
        b"/w/c",
        b"1",
        "live after replay",
    );
    put(s, b"/x/other", b"2").await;
    expect_sentinel(s, &mut w, b"/w/sentinel", "other prefixes are filtered").await;
    drop(w);

    let mut now = watch(s, KeyRange::prefix(b"/w/"), 0, false).await;
    let rd = put(s, b"/w/d", b"1").await;
    assert_put(
        &next(&mut now, "from now").await,
        rd,
        b"/w/d",
        b"1",
        "a watch from 0 sees only later changes",
    );
    expect_sentinel(s, &mut now, b"/w/sentinel2", "a watch from 0").await;
    drop(now);

    let mut one = watch(s, KeyRange::key(a), 0, false).await;
    put(s, b, b"2").await;
    let ra = put(s, a, b"3").await;
    assert_put(
        &next(&mut one, "one key").await,
        ra,
        a,
        b"3",
        "a single-key watch sees only that key",
    );
}

/// Case 6b: prev_kv on replayed and live puts and deletes.
pub(super) async fn prev_kv(s: Arc<dyn Store>) {
    let s = &*s;
    let (a, b) = (b"/wp/a", b"/wp/b");
    let r1 = put(s, a, b"1").await;
    let r2 = put(s, b, b"1").await;
    let r3 = put(s, a, b"2").await;
    let r4 = del(s, b).await;

    let mut replay = watch(s, KeyRange::prefix(b"/wp/"), r1, true).await;
    let mut prevs = Vec::new();
    for (i, rev) in [r1, r2, r3, r4].into_iter().enumerate() {
        let batch = next(&mut replay, "replay with prev_kv").await;
        assert_eq!(batch.revision, rev, "replay event {i}");
        prevs.push(single(&batch, "replay").prev_kv.as_ref().map(meta));
    }
    assert_eq!(
        prevs,
        vec![
            None,
            None,
            Some((r1, r1, 1, "1".into())),
            Some((r2, r2, 1, "1".into()))
        ],
        "replayed events carry the previous version of the key"
    );

    let mut with = watch(s, KeyRange::prefix(b"/wp/"), 0, true).await;
    let mut without = watch(s, KeyRange::prefix(b"/wp/"), 0, false).await;
    let rp = put(s, a, b"3").await;
    let rd = del(s, a).await;
    let rn = put(s, b, b"new").await;
    let want = [
        (rp, EventKind::Put, Some((r1, r3, 2, "2".into()))),
        (rd, EventKind::Delete, Some((r1, rp, 3, "3".into()))),
        (rn, EventKind::Put, None),
    ];
    for (rev, kind, prev) in want {
        let batch = next(&mut with, "live with prev_kv").await;
        let ev = single(&batch, "live with prev_kv");
        assert_eq!(
            (batch.revision, ev.kind, ev.prev_kv.as_ref().map(meta)),
            (rev, kind, prev)
        );
        let batch = next(&mut without, "live without prev_kv").await;
        let ev = single(&batch, "live without prev_kv");
        assert_eq!(
            (batch.revision, ev.kind, ev.prev_kv.as_ref()),
            (rev, kind, None)
        );
    }
}

/// Case 6c: one txn is one batch of events; watches and compaction.
pub(super) async fn txn_and_compaction(s: Arc<dyn Store>) {
    let s = &*s;
    let r1 = put(s, b"/wt/a", b"1").await;
    let r2 = put(s, b"/wt/a", b"2").await;
    put(s, b"/wt/c", b"1").await;

    let mut live = watch(s, KeyRange::prefix(b"/wt/"), 0, false).await;
    let resp = s
        .txn(TxnRequest {
            compare: vec![],
            success: vec![
                Op::put(b"/wt/t1", b"1"),
                Op::put(b"/wt/t2", b"2"),
                Op::delete(b"/wt/c"),
                Op::put(b"/x/t3", b"3"),
            ],
            failure: vec![],
        })
        .await
        .expect("txn");
    let rt = resp.revision;
    let batch = next(&mut live, "txn events").await;
    assert_eq!(batch.revision, rt, "the batch carries the txn's revision");
    let got: Vec<_> = batch
        .events
        .iter()
        .map(|e| (e.kind, show(&e.kv.key), e.kv.mod_revision))
        .collect();
    assert_eq!(
        got,
        vec![
            (EventKind::Put, "/wt/t1".to_string(), rt),
            (EventKind::Put, "/wt/t2".to_string(), rt),
            (EventKind::Delete, "/wt/c".to_string(), rt),
        ],
        "all the txn's events in the range, in one batch, in op order"
    );
    let mut replay = watch(s, KeyRange::prefix(b"/wt/"), rt, false).await;
    assert_eq!(
        next(&mut replay, "txn replay").await,
        batch,
        "replay gives the same batch"
    );

    s.compact(r2).await.expect("compact");
    match s.watch(WatchRequest::prefix(b"/wt/", r1)).await {
        Err(StoreError::Compacted { requested, .. }) => assert_eq!(requested, r1),
        other => panic!("a watch from below the compaction: {other:?}"),
    }
    let mut at = watch(s, KeyRange::prefix(b"/wt/"), r2, false).await;
    assert_put(
        &next(&mut at, "from the compaction").await,
        r2,
        b"/wt/a",
        b"2",
        "a watch from exactly the compact revision",
    );
}

/// Case 7: a watcher sees every write of concurrent writers, in revision order.
pub(super) async fn concurrent_writers(s: Arc<dyn Store>) {
    const WRITERS: usize = 4;
    const PUTS: usize = 100;
    let mut w = watch(&*s, KeyRange::prefix(b"/cw/"), 0, false).await;
    let writers: Vec<_> = (0..WRITERS)
        .map(|t| {
            let s = s.clone();
            tokio::spawn(async move {
                let mut written = Vec::with_capacity(PUTS);
                for i in 0..PUTS {
                    let key = format!("/cw/{t}/{i:03}");
                    written.push((put(&*s, key.as_bytes(), b"v").await, key));
                }
                written
            })
        })
        .collect();
    let mut received = Vec::new();
    let mut last = i64::MIN;
    while received.len() < WRITERS * PUTS {
        let batch = next(&mut w, "concurrent writers").await;
        assert!(
            batch.revision > last,
            "revision {} after {last}",
            batch.revision
        );
        last = batch.revision;
        let ev = single(&batch, "one put per revision");
        assert_eq!(ev.kv.mod_revision, batch.revision);
        received.push((batch.revision, show(&ev.kv.key)));
    }
    let mut written = BTreeMap::new();
    for wr in writers {
        written.extend(wr.await.expect("writer"));
    }
    let written: Vec<(i64, String)> = written.into_iter().collect();
    assert_eq!(
        received, written,
        "exactly the writers' revisions, none missing"
    );
    expect_sentinel(&*s, &mut w, b"/cw/sentinel", "no event after the writers'").await;
}

/// Case 8: a watcher that falls behind the live ring still gets every event, and so
/// does one replaying history while the ring holds the revisions it replays.
pub(super) async fn slow_watcher(s: Arc<dyn Store>) {
    const WRITES: usize = 5200;
    const PAST_FROM: usize = 2000;
    const KEYS: usize = 40;
    let s = &*s;
    let mut slow = watch(s, KeyRange::prefix(b"/sw/"), 0, true).await;
    let mut past = None;
    let mut expected = Vec::new();
    for i in 0..WRITES {
        if i == PAST_FROM {
            let from = expected
                .first()
                .map(|(rev, _, _)| *rev)
                .expect("earlier writes");
            past = Some(watch(s, KeyRange::prefix(b"/sw/"), from, true).await);
        }
        if i % 10 == 9 {
            put(s, b"/sx/outside", b"x").await;
            continue;
        }
        let key = format!("/sw/{:02}", i % KEYS);
        let rev = put(s, key.as_bytes(), i.to_string().as_bytes()).await;
        expected.push((rev, key, i));
    }
    let mut past = past.expect("created");
    check_every_put(&mut slow, &expected, "slow watcher").await;
    check_every_put(&mut past, &expected, "replaying watcher").await;
    expect_sentinel(
        s,
        &mut slow,
        b"/sw/sentinel",
        "slow watcher after catching up",
    )
    .await;
    let batch = next(&mut past, "replaying watcher after catching up").await;
    assert_put(
        &batch,
        head(s).await,
        b"/sw/sentinel",
        b"sentinel",
        "replaying watcher: the sentinel, no repeats",
    );
}

/// Receives one put event per `expected` write, in order, with the right prev_kv.
async fn check_every_put(w: &mut Watcher, expected: &[(i64, String, usize)], what: &str) {
    let mut last_by_key: BTreeMap<&str, (i64, usize)> = BTreeMap::new();
    for (n, (rev, key, i)) in expected.iter().enumerate() {
        let what = format!("{what}: event {n} of {}", expected.len());
        let batch = next(w, &what).await;
        assert_put(
            &batch,
            *rev,
            key.as_bytes(),
            i.to_string().as_bytes(),
            &what,
        );
        let prev = batch.events[0]
            .prev_kv
            .as_ref()
            .map(|kv| (kv.mod_revision, show(&kv.value)));
        let want = last_by_key
            .get(key.as_str())
            .map(|&(r, v)| (r, v.to_string()));
        assert_eq!(prev, want, "{what}: prev_kv");
        last_by_key.insert(key, (*rev, *i));
    }
}

/// Case 6f: a watcher asked for progress reports revisions outside its range as empty
/// batches, both when replaying history and live, so its consumer knows how far the
/// store has gone.
pub(super) async fn progress(s: Arc<dyn Store>) {
    let s = &*s;
    let r1 = put(s, b"/w/a", b"1").await;
    let r2 = put(s, b"/x/a", b"1").await;
    let r3 = put(s, b"/x/b", b"1").await;
    let mut w = watch(s, KeyRange::prefix(b"/w/"), r1, false)
        .await
        .with_progress();
    assert_put(
        &next(&mut w, "replayed").await,
        r1,
        b"/w/a",
        b"1",
        "replayed",
    );
    // replay may report the revisions it passed one by one or as the last of them
    let mut reached = r1;
    while reached < r3 {
        let b = next(&mut w, "replayed progress").await;
        assert!(b.events.is_empty(), "only /x/ writes follow: {b:?}");
        assert!(
            b.revision > reached && b.revision <= r3,
            "{b:?} after {reached}"
        );
        reached = b.revision;
    }
    assert!(reached >= r2);
    let r4 = put(s, b"/x/c", b"1").await;
    let b = next(&mut w, "live progress").await;
    assert_eq!((b.revision, b.events.len()), (r4, 0));
    let r5 = put(s, b"/w/b", b"1").await;
    assert_put(&next(&mut w, "live").await, r5, b"/w/b", b"1", "live");
}
