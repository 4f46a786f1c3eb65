use super::*;
use crate::api::{FieldSelector, Selector};
use crate::store::memory::MemoryStore;
use serde_json::json;

fn resource(plural: &str) -> ResourceInfo {
    crate::api::builtin_resources()
        .into_iter()
        .find(|r| r.group.is_empty() && r.plural == plural)
        .unwrap()
}

async fn put_cm(store: &dyn Store, ns: &str, name: &str, v: i64) -> i64 {
    let obj = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns, "labels": {"v": (v % 2).to_string()}}, "data": {"v": v.to_string()}});
    let key = format!("/registry/core/configmaps/{ns}/{name}");
    store
        .put(key.as_bytes(), &serde_json::to_vec(&obj).unwrap())
        .await
        .unwrap()
        .revision
}

async fn put_pod(store: &dyn Store, name: &str, node: &str) -> i64 {
    let obj = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "d"}, "spec": {"nodeName": node, "containers": []}});
    let key = format!("/registry/core/pods/d/{name}");
    store
        .put(key.as_bytes(), &serde_json::to_vec(&obj).unwrap())
        .await
        .unwrap()
        .revision
}

fn everything() -> Filter {
    Filter::default()
}

fn fields(s: &str) -> Filter {
    Filter {
        labels: None,
        fields: Some(FieldSelector::parse(s).unwrap()),
    }
}

async fn next(sub: &mut Subscription) -> Arc<CachedEvent> {
    if !sub.backlog.is_empty() {
        return sub.backlog.remove(0);
    }
    tokio::time::timeout(Duration::from_secs(10), sub.live.recv())
        .await
        .expect("event within 10 s")
        .expect("not cut off")
}

fn names(list: &CachedList) -> Vec<String> {
    list.items
        .iter()
        .map(|o| o.value()["metadata"]["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watchers_share_events_once_each_from_their_start() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let caches = WatchCaches::new(store.clone());
    let info = resource("configmaps");
    let first = put_cm(&*store, "d", "a", 1).await;
    // the cache starts at the store's head: earlier history is the store's to serve
    assert!(
        caches
            .subscribe(&info, None, &everything(), first)
            .await
            .is_none()
    );
    let from = first + 1;
    let mut early = caches
        .subscribe(&info, None, &everything(), from)
        .await
        .expect("the cache starts here");
    let mut revs = vec![];
    for i in 0..50 {
        revs.push(put_cm(&*store, "d", &format!("k{}", i % 5), i).await);
    }
    // a second watcher joining later, from the middle, gets the ring's backlog
    let mut late = caches
        .subscribe(&info, None, &everything(), revs[25])
        .await
        .unwrap();
    for i in 0..20 {
        revs.push(put_cm(&*store, "d", "z", i).await);
    }
    for want in &revs {
        assert_eq!(next(&mut early).await.revision, *want);
    }
    // exactly the events from its start, even while the cache was still catching up
    // when it joined
    for want in &revs[25..] {
        assert_eq!(next(&mut late).await.revision, *want);
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
    let obj = ev.object.value();
    assert_eq!(obj["metadata"]["resourceVersion"], json!(del.to_string()));
    assert_eq!(obj["data"]["v"], json!("19"));
    assert_eq!(
        ev.prev.as_ref().unwrap().value()["metadata"]["resourceVersion"],
        json!(revs.last().unwrap().to_string())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consistent_list_sees_every_acknowledged_write() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let caches = WatchCaches::new(store.clone());
    let info = resource("configmaps");
    put_cm(&*store, "d", "before", 1).await;
    let list = caches
        .list(&info, None, &everything(), Freshness::Consistent)
        .await
        .unwrap();
    assert_eq!(names(&list), ["before"]);
    for i in 0..30 {
        let rev = put_cm(&*store, "d", &format!("n{i:02}"), i).await;
        // a write to another resource moves the head too; the cache follows it
        let other = put_pod(&*store, &format!("p{i}"), "node-a").await;
        let list = caches
            .list(&info, None, &everything(), Freshness::Consistent)
            .await
            .expect("served from the cache");
        assert!(list.revision >= other, "{} < {other}", list.revision);
        assert_eq!(list.items.len(), i as usize + 2, "write at {rev} missing");
        let obj = list.items.last().unwrap().value();
        assert_eq!(obj["metadata"]["resourceVersion"], json!(rev.to_string()));
    }
    // resourceVersion=N waits for N; beyond the head it is the store's to answer
    let head = store.status().await.unwrap().revision;
    assert!(
        caches
            .list(&info, None, &everything(), Freshness::AtLeast(head))
            .await
            .is_some()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_filter_by_namespace_labels_and_fields_like_the_store() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let caches = WatchCaches::new(store.clone());
    let info = resource("configmaps");
    for (ns, name, v) in [("a", "x", 1), ("a", "y", 2), ("b", "x", 3), ("ab", "z", 5)] {
        put_cm(&*store, ns, name, v).await;
    }
    let list = |ns: Option<&'static str>, f: Filter| {
        let caches = &caches;
        let info = &info;
        async move {
            let l = caches
                .list(info, ns, &f, Freshness::Consistent)
                .await
                .unwrap();
            let mut out: Vec<String> = l
                .items
                .iter()
                .map(|o| {
                    let v = o.value();
                    format!(
                        "{}/{}",
                        v["metadata"]["namespace"].as_str().unwrap(),
                        v["metadata"]["name"].as_str().unwrap()
                    )
                })
                .collect();
            out.sort();
            out
        }
    };
    assert_eq!(list(Some("a"), everything()).await, ["a/x", "a/y"]);
    assert_eq!(list(None, everything()).await.len(), 4);
    let odd = Filter {
        labels: Some(Selector::parse("v=1").unwrap()),
        fields: None,
    };
    assert_eq!(list(None, odd).await, ["a/x", "ab/z", "b/x"]);
    assert_eq!(list(None, fields("metadata.name=x")).await, ["a/x", "b/x"]);
    assert_eq!(
        list(None, fields("metadata.namespace!=a,metadata.name!=z")).await,
        ["b/x"]
    );
    // the cached attributes agree with matching the decoded object
    let all = caches
        .list(&info, None, &everything(), Freshness::Any)
        .await
        .unwrap();
    for sel in ["v=1", "v!=1", "v", "!v", "v in (0,2)"] {
        let f = Filter {
            labels: Some(Selector::parse(sel).unwrap()),
            fields: Some(FieldSelector::parse("metadata.name!=y").unwrap()),
        };
        for o in &all.items {
            assert_eq!(o.matches(&f), f.matches(&info, &o.value()), "{sel}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watchers_are_handed_only_their_namespace_object_or_node() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let caches = WatchCaches::new(store.clone());
    let pods = resource("pods");
    let from = store.status().await.unwrap().revision + 1;
    let mut node_a = caches
        .subscribe(&pods, None, &fields("spec.nodeName=node-a"), from)
        .await
        .unwrap();
    let mut in_e = caches
        .subscribe(&pods, Some("e"), &everything(), from)
        .await
        .unwrap();
    let mut all = caches
        .subscribe(&pods, None, &everything(), from)
        .await
        .unwrap();
    let mut just_b1 = caches
        .subscribe(&pods, Some("d"), &fields("metadata.name=b1"), from)
        .await
        .unwrap();
    assert_eq!(caches.stats().watchers, 4);
    let a1 = put_pod(&*store, "a1", "node-a").await;
    let b1 = put_pod(&*store, "b1", "node-b").await;
    let a2 = put_pod(&*store, "a2", "node-a").await;
    assert_eq!(next(&mut node_a).await.revision, a1);
    assert_eq!(next(&mut node_a).await.revision, a2);
    for want in [a1, b1, a2] {
        assert_eq!(next(&mut all).await.revision, want);
    }
    assert_eq!(next(&mut just_b1).await.revision, b1);
    // a pod moving off a node is still handed to that node's watcher (it sees it go)
    let moved = put_pod(&*store, "a1", "node-b").await;
    assert_eq!(next(&mut node_a).await.revision, moved);
    assert_eq!(next(&mut all).await.revision, moved);
    // nothing reached the namespace-e watcher, and nothing else reached node-a's
    assert!(in_e.live.try_recv().is_err());
    assert!(node_a.live.try_recv().is_err());
    assert!(just_b1.live.try_recv().is_err());
    drop(in_e);
    assert_eq!(caches.stats().watchers, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watcher_that_falls_behind_is_cut_off() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let caches = WatchCaches::new(store.clone());
    let info = resource("configmaps");
    let from = store.status().await.unwrap().revision + 1;
    let mut slow = caches
        .subscribe(&info, None, &everything(), from)
        .await
        .unwrap();
    let mut last = 0;
    for i in 0..(LIVE as i64 + 10) {
        last = put_cm(&*store, "d", &format!("k{}", i % 7), i).await;
    }
    // the cache has seen everything; the slow watcher's queue ended at LIVE events
    caches
        .list(&info, None, &everything(), Freshness::AtLeast(last))
        .await
        .unwrap();
    let mut got = 0;
    while slow.live.recv().await.is_some() {
        got += 1;
    }
    assert_eq!(got, LIVE);
    assert_eq!(caches.stats().watchers, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_and_subscribe_leave_no_gap() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let caches = WatchCaches::new(store.clone());
    let info = resource("configmaps");
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            let mut revs = Vec::new();
            for i in 0..300 {
                revs.push(put_cm(&*store, "d", &format!("k{i:03}"), i).await);
            }
            revs
        })
    };
    let (list, mut sub) = caches
        .list_and_subscribe(&info, None, &everything())
        .await
        .unwrap();
    let revs = writer.await.unwrap();
    // every write is either in the list or among the events after it, once
    let mut seen: Vec<i64> = list
        .items
        .iter()
        .map(|o| {
            o.value()["metadata"]["resourceVersion"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert!(seen.iter().all(|r| *r <= list.revision));
    while seen.len() < revs.len() {
        let ev = next(&mut sub).await;
        assert!(ev.revision > list.revision);
        seen.push(ev.revision);
    }
    seen.sort();
    assert_eq!(seen, revs);
}
