//! Cases for reads, writes and transactions.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::{del, get_at, head, keys, meta, put, show, status};
use crate::store::{
    Compare, CompareOp, CompareTarget, KeyRange, KeyValue, Op, OpResponse, RangeRequest,
    RangeResponse, Store, StoreError, TxnRequest, prefix_end,
};

fn txn(compare: Vec<Compare>, success: Vec<Op>, failure: Vec<Op>) -> TxnRequest {
    TxnRequest {
        compare,
        success,
        failure,
    }
}

async fn range_ok(s: &dyn Store, req: RangeRequest) -> RangeResponse {
    s.range(req.clone())
        .await
        .unwrap_or_else(|e| panic!("range {req:?}: {e}"))
}

/// Case 1: revisions, versions and what does not write.
pub(super) async fn put_get(s: Arc<dyn Store>) {
    let s = &*s;
    let r0 = head(s).await;
    let a = b"/pg/a";
    let resp = s.put(a, b"1").await.expect("put");
    assert!(resp.succeeded);
    assert_eq!(resp.revision, r0 + 1, "a put raises the revision by one");
    assert_eq!(head(s).await, r0 + 1);
    let kv = s.get(a).await.expect("get").expect("/pg/a exists");
    assert_eq!(show(&kv.key), "/pg/a");
    assert_eq!(
        meta(&kv),
        (r0 + 1, r0 + 1, 1, "1".into()),
        "after the first put"
    );

    assert_eq!(put(s, a, b"2").await, r0 + 2);
    let kv = s.get(a).await.expect("get").expect("/pg/a exists");
    assert_eq!(
        meta(&kv),
        (r0 + 1, r0 + 2, 2, "2".into()),
        "after the second put"
    );

    let resp = s.delete(a).await.expect("delete");
    assert_eq!(resp.revision, r0 + 3, "a delete raises the revision by one");
    assert_eq!(
        resp.responses,
        vec![OpResponse::Delete {
            deleted: 1,
            prev_kvs: vec![]
        }]
    );
    assert_eq!(s.get(a).await.expect("get"), None, "deleted");

    assert_eq!(put(s, a, b"3").await, r0 + 4);
    let kv = s.get(a).await.expect("get").expect("/pg/a exists");
    assert_eq!(
        meta(&kv),
        (r0 + 4, r0 + 4, 1, "3".into()),
        "a put after a delete starts a new incarnation"
    );

    let resp = s
        .txn(txn(
            vec![],
            vec![
                Op::put(b"/pg/b", b"b"),
                Op::put(b"/pg/c", b"c"),
                Op::put(b"/pg/d", b"d"),
            ],
            vec![],
        ))
        .await
        .expect("txn");
    assert!(resp.succeeded);
    assert_eq!(
        resp.revision,
        r0 + 5,
        "a txn of several puts is one revision"
    );
    assert_eq!(resp.responses, vec![OpResponse::Put { prev_kv: None }; 3]);
    for k in [b"/pg/b", b"/pg/c", b"/pg/d"] {
        let kv = s.get(k).await.expect("get").expect("written by the txn");
        assert_eq!(
            (kv.create_revision, kv.mod_revision, kv.version),
            (r0 + 5, r0 + 5, 1)
        );
    }

    // a put, an overwrite and a delete in one txn share one revision too
    let resp = s
        .txn(txn(
            vec![],
            vec![
                Op::put(b"/pg/b", b"b2"),
                Op::put(b"/pg/e", b"e"),
                Op::delete(a),
            ],
            vec![],
        ))
        .await
        .expect("txn");
    assert_eq!(resp.revision, r0 + 6);
    let b = s.get(b"/pg/b").await.expect("get").expect("exists");
    assert_eq!(meta(&b), (r0 + 5, r0 + 6, 2, "b2".into()));
    let e = s.get(b"/pg/e").await.expect("get").expect("exists");
    assert_eq!(meta(&e), (r0 + 6, r0 + 6, 1, "e".into()));
    assert_eq!(s.get(a).await.expect("get"), None);

    put_get_no_writes(s, r0 + 6).await;
}

/// Transactions that write nothing leave the revision alone.
async fn put_get_no_writes(s: &dyn Store, h: i64) {
    let reads = txn(
        vec![],
        vec![Op::get(b"/pg/b"), Op::Range(RangeRequest::prefix(b"/pg/"))],
        vec![],
    );
    let resp = s.txn(reads).await.expect("read-only txn");
    assert!(resp.succeeded);
    assert_eq!(
        resp.revision, h,
        "a read-only txn does not raise the revision"
    );
    let missing = s.delete(b"/pg/missing").await.expect("delete");
    assert_eq!(
        missing.revision, h,
        "deleting a missing key does not raise the revision"
    );
    assert_eq!(
        missing.responses,
        vec![OpResponse::Delete {
            deleted: 0,
            prev_kvs: vec![]
        }]
    );
    let none = txn(
        vec![],
        vec![Op::Delete {
            range: KeyRange::prefix(b"/pg/none/"),
            prev_kv: true,
        }],
        vec![],
    );
    assert_eq!(s.txn(none).await.expect("txn").revision, h);
    let failed = txn(
        vec![Compare::absent(b"/pg/b")],
        vec![Op::put(b"/pg/b", b"x")],
        vec![],
    );
    let resp = s.txn(failed).await.expect("txn");
    assert!(!resp.succeeded);
    assert_eq!(
        resp.revision, h,
        "a failed compare with an empty failure branch"
    );
    assert_eq!(head(s).await, h);
    let b = s.get(b"/pg/b").await.expect("get").expect("exists");
    assert_eq!(show(&b.value), "b2");
}

/// Case 2: range shapes, limits, pagination, count_only and keys_only.
pub(super) async fn range(s: Arc<dyn Store>) {
    let s = &*s;
    for k in ["/rg/c", "/rg/a", "/rg/e", "/rg/b", "/rg/d", "/rh/x", "/rg"] {
        put(s, k.as_bytes(), format!("v{k}").as_bytes()).await;
    }
    let h = head(s).await;
    let all = ["/rg/a", "/rg/b", "/rg/c", "/rg/d", "/rg/e"];

    let one = range_ok(s, RangeRequest::key(b"/rg/c")).await;
    assert_eq!(
        (keys(&one.kvs), one.count, one.more),
        (vec!["/rg/c".into()], 1, false)
    );
    assert_eq!(show(&one.kvs[0].value), "v/rg/c");
    assert_eq!(one.revision, h, "a read at the head reports the head");
    let none = range_ok(s, RangeRequest::key(b"/rg/zz")).await;
    assert_eq!((none.kvs.len(), none.count, none.more), (0, 0, false));

    let prefix = range_ok(s, RangeRequest::prefix(b"/rg/")).await;
    assert_eq!(
        (keys(&prefix.kvs), prefix.count, prefix.more),
        (strings(&all), 5, false)
    );
    let between = range_ok(
        s,
        RangeRequest::new(KeyRange::range(b"/rg/b", Some(b"/rg/d"))),
    )
    .await;
    assert_eq!(
        keys(&between.kvs),
        strings(&["/rg/b", "/rg/c"]),
        "[start, end)"
    );
    let open = range_ok(s, RangeRequest::new(KeyRange::range(b"/rg/c", None))).await;
    assert_eq!(
        (keys(&open.kvs), open.count),
        (strings(&["/rg/c", "/rg/d", "/rg/e", "/rh/x"]), 4),
        "end = None reads to the end of the keyspace"
    );

    for (limit, want, more) in [
        (2, &all[..2], true),
        (5, &all[..], false),
        (6, &all[..], false),
    ] {
        let r = range_ok(s, RangeRequest::prefix(b"/rg/").limit(limit)).await;
        assert_eq!(
            (keys(&r.kvs), r.more, r.count),
            (strings(want), more, 5),
            "limit {limit}: more tells whether keys were left out, count ignores the limit"
        );
    }

    let mut count_only = RangeRequest::prefix(b"/rg/").limit(2);
    count_only.count_only = true;
    let c = range_ok(s, count_only).await;
    assert_eq!((c.kvs.len(), c.count, c.more), (0, 5, false), "count_only");

    let mut keys_only = RangeRequest::prefix(b"/rg/");
    keys_only.keys_only = true;
    let k = range_ok(s, keys_only).await;
    assert_eq!(k.count, 5);
    assert_eq!(k.kvs.len(), 5);
    for (ko, full) in k.kvs.iter().zip(&prefix.kvs) {
        assert!(ko.value.is_empty(), "keys_only returns no values");
        let strip = |kv: &KeyValue| {
            (
                kv.key.clone(),
                kv.create_revision,
                kv.mod_revision,
                kv.version,
            )
        };
        assert_eq!(strip(ko), strip(full), "keys_only returns real metadata");
    }

    range_pages(s, h, &all).await;
}

fn strings(keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| k.to_string()).collect()
}

/// Pagination the way Kubernetes lists: limit, continue from last key + "\0", all
/// pages at the first page's revision (writes in between are not seen).
async fn range_pages(s: &dyn Store, h: i64, all: &[&str]) {
    let end = prefix_end(b"/rg/");
    let mut start = b"/rg/".to_vec();
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let r = range_ok(
            s,
            RangeRequest::new(KeyRange::range(&start, end.as_deref()))
                .limit(2)
                .at_revision(h),
        )
        .await;
        pages += 1;
        assert_eq!(r.revision, h);
        seen.extend(keys(&r.kvs));
        if pages == 1 {
            put(s, b"/rg/bb", b"written between pages").await;
            put(s, b"/rg/f", b"written between pages").await;
        }
        if !r.more {
            break;
        }
        assert!(pages < 10, "pagination does not end: {seen:?}");
        start = r.kvs.last().expect("a page with more has keys").key.clone();
        start.push(0);
    }
    assert_eq!((seen, pages), (strings(all), 3), "every key exactly once");
}

/// Case 3: reads at past revisions, before and after a compaction.
pub(super) async fn past_revisions(s: Arc<dyn Store>) {
    let s = &*s;
    let (k, other) = (b"/pr/k", b"/pr/other");
    let r0 = head(s).await;
    let r1 = put(s, k, b"1").await;
    let r2 = put(s, k, b"2").await;
    let r3 = put(s, other, b"o").await;
    let r4 = del(s, k).await;
    let r5 = put(s, k, b"3").await;
    type Row = (&'static str, i64, i64, i64, &'static str);
    let o: Row = ("/pr/other", r3, r3, 1, "o");
    let expected: Vec<(i64, Vec<Row>)> = vec![
        (r1, vec![("/pr/k", r1, r1, 1, "1")]),
        (r2, vec![("/pr/k", r1, r2, 2, "2")]),
        (r3, vec![("/pr/k", r1, r2, 2, "2"), o]),
        (r4, vec![o]),
        (r5, vec![("/pr/k", r5, r5, 1, "3"), o]),
    ];
    let mut before = Vec::new();
    for (rev, want) in &expected {
        let r = range_ok(s, RangeRequest::prefix(b"/pr/").at_revision(*rev)).await;
        assert_eq!(r.revision, *rev, "a read at a past revision reports it");
        let got: Vec<_> = r
            .kvs
            .iter()
            .map(|kv| {
                (
                    show(&kv.key),
                    kv.create_revision,
                    kv.mod_revision,
                    kv.version,
                    show(&kv.value),
                )
            })
            .collect();
        let want: Vec<_> = want
            .iter()
            .map(|&(k, c, m, v, val)| (k.to_string(), c, m, v, val.to_string()))
            .collect();
        assert_eq!(got, want, "the prefix as of revision {rev}");
        before.push((*rev, r.kvs));
    }
    if r0 > 0 {
        let r = range_ok(s, RangeRequest::prefix(b"/pr/").at_revision(r0)).await;
        assert!(r.kvs.is_empty(), "nothing before the first write");
    }
    assert_eq!(
        get_at(s, k, r3).await.map(|kv| kv.mod_revision),
        Some(r2),
        "visible before its delete"
    );

    match s.range(RangeRequest::key(k).at_revision(r5 + 1)).await {
        Err(StoreError::FutureRevision { requested, .. }) => assert_eq!(requested, r5 + 1),
        other => panic!("a read above the head must be FutureRevision, got {other:?}"),
    }

    s.compact(r3).await.expect("compact");
    assert_eq!(status(s).await.compact_revision, r3);
    for rev in [r1, r2] {
        match s
            .range(RangeRequest::prefix(b"/pr/").at_revision(rev))
            .await
        {
            Err(StoreError::Compacted { requested, .. }) => assert_eq!(requested, rev),
            other => panic!("a read at {rev} below the compaction at {r3}: {other:?}"),
        }
    }
    for (rev, kvs) in before.iter().filter(|(rev, _)| *rev >= r3) {
        let r = range_ok(s, RangeRequest::prefix(b"/pr/").at_revision(*rev)).await;
        assert_eq!(
            &r.kvs, kvs,
            "revision {rev} reads the same after compacting to {r3}"
        );
    }
    let at_head = range_ok(s, RangeRequest::prefix(b"/pr/")).await;
    assert_eq!(at_head.kvs, before.last().expect("rows").1);
}

/// Case 4a: every compare target with every operator, on a live and a missing key.
pub(super) async fn txn_compares(s: Arc<dyn Store>) {
    use CompareOp::*;
    let s = &*s;
    let k = b"/tc/k";
    let ra = put(s, k, b"v1").await;
    let rb = put(s, k, b"v2").await;
    let m = CompareTarget::ModRevision;
    let v = CompareTarget::Version;
    let c = CompareTarget::CreateRevision;
    let val = |s: &str| CompareTarget::Value(bytes::Bytes::copy_from_slice(s.as_bytes()));
    // /tc/k: create ra, mod rb, version 2, value "v2"
    let table = vec![
        (m(rb), Equal, true),
        (m(rb), NotEqual, false),
        (m(rb), Less, false),
        (m(rb), Greater, false),
        (m(rb + 1), Less, true),
        (m(rb + 1), NotEqual, true),
        (m(rb - 1), Greater, true),
        (v(2), Equal, true),
        (v(2), Less, false),
        (v(2), Greater, false),
        (v(3), Less, true),
        (v(3), NotEqual, true),
        (v(1), Greater, true),
        (c(ra), Equal, true),
        (c(ra), NotEqual, false),
        (c(ra + 1), Less, true),
        (c(ra - 1), Greater, true),
        (val("v2"), Equal, true),
        (val("v2"), NotEqual, false),
        (val("v1"), Greater, true),
        (val("v3"), Less, true),
        (val("v1"), Less, false),
        (val("v3"), NotEqual, true),
    ];
    check_compares(s, k, table, "live key").await;

    let missing = b"/tc/missing";
    let table = vec![
        (val(""), Equal, false),
        (val(""), NotEqual, false),
        (val("x"), Less, false),
        (val("x"), Greater, false),
        (v(0), Equal, true),
        (v(1), Less, true),
        (v(0), Greater, false),
        (c(0), Equal, true),
        (m(0), Equal, true),
        (m(0), NotEqual, false),
    ];
    check_compares(s, missing, table, "missing key").await;

    // every compare must hold
    let both = |second: Compare| {
        txn(
            vec![Compare::mod_revision(k, Equal, rb), second],
            vec![Op::get(k)],
            vec![],
        )
    };
    let yes = s
        .txn(both(Compare::version(k, Equal, 2)))
        .await
        .expect("txn");
    let no = s
        .txn(both(Compare::version(k, Equal, 1)))
        .await
        .expect("txn");
    assert_eq!(
        (yes.succeeded, no.succeeded),
        (true, false),
        "compares are ANDed"
    );
}

async fn check_compares(
    s: &dyn Store,
    key: &[u8],
    table: Vec<(CompareTarget, CompareOp, bool)>,
    what: &str,
) {
    let h = head(s).await;
    for (target, op, want) in table {
        let c = Compare {
            key: key.to_vec(),
            op,
            target: target.clone(),
        };
        let resp = s
            .txn(txn(vec![c], vec![Op::get(key)], vec![]))
            .await
            .expect("compare txn");
        assert_eq!(resp.succeeded, want, "{what}: {op:?} {target:?}");
        assert_eq!(
            resp.responses.len(),
            usize::from(want),
            "{what}: the branch that ran"
        );
        assert_eq!(resp.revision, h, "a compare-only txn does not write");
    }
}

/// Case 4b: create-if-missing, CAS, reads of the txn's own writes, prev_kv, deletes.
pub(super) async fn txn_ops(s: Arc<dyn Store>) {
    let s = &*s;
    let c = b"/to/c";
    let create = |value: &[u8]| {
        txn(
            vec![Compare::absent(c)],
            vec![Op::put(c, value)],
            vec![Op::get(c)],
        )
    };
    let first = s.txn(create(b"first")).await.expect("create");
    assert!(first.succeeded, "the first create-if-missing succeeds");
    let second = s.txn(create(b"second")).await.expect("create");
    assert!(!second.succeeded, "the second create-if-missing fails");
    assert_eq!(second.revision, first.revision, "and writes nothing");
    let [OpResponse::Range(got)] = &second.responses[..] else {
        panic!("the failure branch's get runs: {:?}", second.responses);
    };
    assert_eq!(keys(&got.kvs), vec!["/to/c"]);
    assert_eq!(
        meta(&got.kvs[0]),
        (first.revision, first.revision, 1, "first".into())
    );

    // optimistic concurrency: update only if nobody wrote since we read
    let read = s.get(c).await.expect("get").expect("exists");
    let cas = |m: i64, value: &[u8]| {
        txn(
            vec![Compare::mod_revision(c, CompareOp::Equal, m)],
            vec![Op::put(c, value)],
            vec![Op::get(c)],
        )
    };
    let ok = s
        .txn(cas(read.mod_revision, b"updated"))
        .await
        .expect("cas");
    assert!(ok.succeeded);
    assert_eq!(ok.revision, read.mod_revision + 1);
    let stale = s.txn(cas(read.mod_revision, b"stale")).await.expect("cas");
    assert!(!stale.succeeded, "a CAS on a stale mod_revision fails");
    let [OpResponse::Range(now)] = &stale.responses[..] else {
        panic!("failure branch: {:?}", stale.responses);
    };
    assert_eq!(
        meta(&now.kvs[0]),
        (first.revision, ok.revision, 2, "updated".into())
    );

    txn_reads_own_writes(s).await;
    txn_prev_kv(s).await;
}

async fn txn_reads_own_writes(s: &dyn Store) {
    let resp = s
        .txn(txn(
            vec![],
            vec![
                Op::put(b"/to/r/x", b"1"),
                Op::put(b"/to/r/y", b"2"),
                Op::Range(RangeRequest::prefix(b"/to/r/")),
            ],
            vec![],
        ))
        .await
        .expect("txn");
    let OpResponse::Range(r) = &resp.responses[2] else {
        panic!("range response: {:?}", resp.responses);
    };
    assert_eq!(
        (keys(&r.kvs), r.count),
        (strings(&["/to/r/x", "/to/r/y"]), 2)
    );
    assert!(r.kvs.iter().all(|kv| kv.mod_revision == resp.revision));
    assert_eq!(
        r.revision, resp.revision,
        "a range after a write in a txn reads at the txn's revision"
    );
    let resp = s
        .txn(txn(
            vec![],
            vec![
                Op::delete(b"/to/r/x"),
                Op::Range(RangeRequest::prefix(b"/to/r/")),
            ],
            vec![],
        ))
        .await
        .expect("txn");
    let OpResponse::Range(r) = &resp.responses[1] else {
        panic!("range response: {:?}", resp.responses);
    };
    assert_eq!(
        keys(&r.kvs),
        vec!["/to/r/y"],
        "a range sees the txn's own delete"
    );
}

async fn txn_prev_kv(s: &dyn Store) {
    let k = b"/to/p";
    put(s, k, b"one").await;
    let old = s.get(k).await.expect("get").expect("exists");
    let put_prev = |key: &[u8], prev_kv: bool| Op::Put {
        key: key.to_vec(),
        value: bytes::Bytes::from_static(b"two"),
        prev_kv,
    };
    let resp = s
        .txn(txn(vec![], vec![put_prev(k, true)], vec![]))
        .await
        .expect("txn");
    assert_eq!(resp.responses, vec![OpResponse::Put { prev_kv: Some(old) }]);
    let resp = s
        .txn(txn(vec![], vec![put_prev(b"/to/new", true)], vec![]))
        .await
        .expect("txn");
    assert_eq!(
        resp.responses,
        vec![OpResponse::Put { prev_kv: None }],
        "a new key has no prev"
    );
    let resp = s
        .txn(txn(vec![], vec![put_prev(k, false)], vec![]))
        .await
        .expect("txn");
    assert_eq!(
        resp.responses,
        vec![OpResponse::Put { prev_kv: None }],
        "not asked for"
    );

    let old = s.get(k).await.expect("get").expect("exists");
    let delete = |range: KeyRange| {
        txn(
            vec![],
            vec![Op::Delete {
                range,
                prev_kv: true,
            }],
            vec![],
        )
    };
    let resp = s.txn(delete(KeyRange::key(k))).await.expect("delete");
    assert_eq!(
        resp.responses,
        vec![OpResponse::Delete {
            deleted: 1,
            prev_kvs: vec![old]
        }]
    );

    for k in ["/to/d/1", "/to/d/2", "/to/d/3", "/to/dx"] {
        put(s, k.as_bytes(), k.as_bytes()).await;
    }
    let h = head(s).await;
    let resp = s
        .txn(delete(KeyRange::prefix(b"/to/d/")))
        .await
        .expect("delete prefix");
    assert_eq!(resp.revision, h + 1, "deleting a prefix is one revision");
    let [OpResponse::Delete { deleted, prev_kvs }] = &resp.responses[..] else {
        panic!("delete response: {:?}", resp.responses);
    };
    assert_eq!(*deleted, 3);
    assert_eq!(keys(prev_kvs), strings(&["/to/d/1", "/to/d/2", "/to/d/3"]));
    assert!(prev_kvs.iter().all(|kv| kv.value == kv.key));
    assert!(
        range_ok(s, RangeRequest::prefix(b"/to/d/"))
            .await
            .kvs
            .is_empty()
    );
    assert!(
        s.get(b"/to/dx").await.expect("get").is_some(),
        "outside the prefix"
    );
}

/// Case 4c: malformed transactions are refused whole.
pub(super) async fn txn_invalid(s: Arc<dyn Store>) {
    let s = &*s;
    let (k, j) = (b"/ti/k", b"/ti/j");
    put(s, b"/ti/existing", b"1").await;
    let cases = vec![
        (
            "an empty key in a put",
            txn(vec![], vec![Op::put(b"", b"x"), Op::put(k, b"x")], vec![]),
        ),
        (
            "an empty key in a delete",
            txn(vec![], vec![Op::put(k, b"x"), Op::delete(b"")], vec![]),
        ),
        (
            "an empty key in a range",
            txn(vec![], vec![Op::put(k, b"x"), Op::get(b"")], vec![]),
        ),
        (
            "a key put twice",
            txn(vec![], vec![Op::put(k, b"1"), Op::put(k, b"2")], vec![]),
        ),
        (
            "a put and a delete of one key",
            txn(vec![], vec![Op::put(k, b"1"), Op::delete(k)], vec![]),
        ),
        (
            "a put inside a deleted range",
            txn(
                vec![],
                vec![
                    Op::put(k, b"1"),
                    Op::Delete {
                        range: KeyRange::prefix(b"/ti/"),
                        prev_kv: false,
                    },
                ],
                vec![],
            ),
        ),
        (
            "an invalid branch that would not run",
            txn(
                vec![Compare::absent(k)],
                vec![Op::put(k, b"1")],
                vec![Op::put(j, b"1"), Op::put(j, b"2")],
            ),
        ),
    ];
    let before = status(s).await;
    for (what, req) in cases {
        match s.txn(req).await {
            Err(StoreError::InvalidRequest(_)) => {}
            other => panic!("{what}: expected InvalidRequest, got {other:?}"),
        }
        assert_eq!(status(s).await, before, "{what}: the revision did not move");
        assert_eq!(
            s.get(k).await.expect("get"),
            None,
            "{what}: nothing was written"
        );
        assert!(
            s.get(b"/ti/existing").await.expect("get").is_some(),
            "{what}: nothing deleted"
        );
    }
    match s.range(RangeRequest::key(b"")).await {
        Err(StoreError::InvalidRequest(_)) => {}
        other => panic!("a range of the empty key: expected InvalidRequest, got {other:?}"),
    }
}

/// Case 5: read + CAS-retry loops from many tasks lose no increment.
pub(super) async fn concurrent_cas(s: Arc<dyn Store>) {
    const TASKS: usize = 8;
    const INCREMENTS: usize = 25;
    const KEY: &[u8] = b"/cas/counter";
    put(&*s, KEY, b"0").await;
    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let mut revisions = Vec::new();
            for _ in 0..INCREMENTS {
                loop {
                    let kv = s.get(KEY).await.expect("get").expect("the counter exists");
                    let n: u64 = show(&kv.value).parse().expect("a number");
                    let req = txn(
                        vec![Compare::mod_revision(
                            KEY,
                            CompareOp::Equal,
                            kv.mod_revision,
                        )],
                        vec![Op::put(KEY, (n + 1).to_string().as_bytes())],
                        vec![],
                    );
                    let resp = s.txn(req).await.expect("cas");
                    if resp.succeeded {
                        revisions.push(resp.revision);
                        break;
                    }
                }
            }
            revisions
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("CAS task"));
    }
    let distinct: BTreeSet<i64> = all.iter().copied().collect();
    assert_eq!(all.len(), TASKS * INCREMENTS);
    assert_eq!(
        distinct.len(),
        all.len(),
        "every successful CAS has its own revision"
    );
    let kv = s.get(KEY).await.expect("get").expect("exists");
    assert_eq!(
        show(&kv.value),
        (TASKS * INCREMENTS).to_string(),
        "no increment lost"
    );
    assert_eq!(kv.version, (TASKS * INCREMENTS + 1) as i64);
    assert_eq!(Some(&kv.mod_revision), distinct.last());
}
