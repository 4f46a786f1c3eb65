//! In-process cluster tests: the store, the API server and a kube-rs client that
//! talks to it through the in-process tower service (no socket, no TLS).

use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DeleteParams, ListParams, PostParams, WatchEvent, WatchParams};

use kelp::apiserver::ApiServer;
use kelp::apiserver::allocator::ServiceRanges;
use kelp::pki::Identity;
use kelp::raft::RaftStore;
use kelp::store::Store;

/// A one-server cluster inside the test process.
pub struct TestCluster {
    _dir: tempfile::TempDir,
    pub store: Arc<RaftStore>,
    pub api: ApiServer,
}

impl TestCluster {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(RaftStore::open(dir.path()).await.unwrap());
        let api = ApiServer::new(
            store.clone() as Arc<dyn Store>,
            "127.0.0.1:6443".into(),
            ServiceRanges::default(),
        );
        api.bootstrap("127.0.0.1".parse().unwrap(), 6443)
            .await
            .unwrap();
        TestCluster {
            _dir: dir,
            store,
            api,
        }
    }

    /// A client acting as the cluster admin.
    pub fn client(&self) -> kube::Client {
        kelp::apiserver::client::in_process_client(
            self.api.clone(),
            Identity {
                user: "system:admin".into(),
                groups: vec!["system:masters".into()],
            },
        )
    }
}

fn configmap(name: &str, app: &str) -> ConfigMap {
    serde_json::from_value(serde_json::json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "labels": {"app": app}},
        "data": {"k": "v"},
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_rs_client_crud_conflicts_and_watch() {
    let cluster = TestCluster::start().await;
    let cms: Api<ConfigMap> = Api::namespaced(cluster.client(), "default");

    let created = cms
        .create(&PostParams::default(), &configmap("a", "web"))
        .await
        .unwrap();
    assert!(created.metadata.uid.is_some() && created.metadata.resource_version.is_some());
    cms.create(&PostParams::default(), &configmap("b", "db"))
        .await
        .unwrap();

    let web = cms
        .list(&ListParams::default().labels("app=web"))
        .await
        .unwrap();
    assert_eq!(web.items.len(), 1);
    assert_eq!(web.items[0].metadata.name.as_deref(), Some("a"));

    // optimistic concurrency: a stale resourceVersion is a 409
    let mut stale = created.clone();
    let mut fresh = created.clone();
    fresh.data = Some([("k".to_string(), "v2".to_string())].into());
    cms.replace("a", &PostParams::default(), &fresh)
        .await
        .unwrap();
    stale.data = Some([("k".to_string(), "v3".to_string())].into());
    match cms.replace("a", &PostParams::default(), &stale).await {
        Err(kube::Error::Api(s)) => assert_eq!(s.code, 409, "{s:?}"),
        other => panic!("stale update was not refused: {other:?}"),
    }
    assert_eq!(cms.get("a").await.unwrap().data.unwrap()["k"], "v2");

    // a watch from the list's resourceVersion sees later changes in order
    let rv = cms
        .list(&ListParams::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    let mut events = cms
        .watch(&WatchParams::default(), &rv)
        .await
        .unwrap()
        .boxed();
    cms.create(&PostParams::default(), &configmap("c", "web"))
        .await
        .unwrap();
    cms.delete("b", &DeleteParams::default()).await.unwrap();
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let ev = tokio::time::timeout(std::time::Duration::from_secs(10), events.try_next())
            .await
            .expect("event within 10 s")
            .unwrap()
            .expect("stream open");
        match ev {
            WatchEvent::Added(cm) => seen.push(format!("added {}", cm.metadata.name.unwrap())),
            WatchEvent::Deleted(cm) => seen.push(format!("deleted {}", cm.metadata.name.unwrap())),
            WatchEvent::Bookmark(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(seen, vec!["added c", "deleted b"]);
    cluster.store.shutdown().await.unwrap();
}
