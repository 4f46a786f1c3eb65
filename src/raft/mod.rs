//! The store, replicated: every write is proposed to openraft and applied by a
//! deterministic state machine to the MVCC store.
//!
//! [`RaftStore`] implements [`Store`]. Writes go through a proposer that gathers the
//! writes waiting at that moment into one log entry (group commit: one append, one
//! fsync, one store commit for the whole batch). Reads are served from the local
//! state machine after `ensure_linearizable`. A single server is a one-voter group —
//! the same path a multi-server cluster will take; joining servers is not built yet.
//!
//! On disk, under `<data-dir>/server/db/`: `kelp.redb` (raft log, vote and the store
//! in one file) and `snapshot.bin` (the last raft snapshot).

// openraft's `StorageError` is large, and its traits make us return it.
#![allow(clippy::result_large_err)]

mod log_store;
mod network;
mod state_machine;

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use openraft::error::{ClientWriteError, RaftError};
use openraft::{BasicNode, Raft, SnapshotPolicy};
use serde::{Deserialize, Serialize};
use tokio::sync::{Semaphore, mpsc, oneshot};

pub use log_store::LogStore;
pub use state_machine::StateMachine;

use crate::store::mvcc::{Mvcc, Write, WriteResponse};
use crate::store::redb_backend::{OpenError, RedbBackend, RedbDb};
use crate::store::types::*;
use crate::store::{Result, Store, StoreError, Watcher};

pub type NodeId = u64;
pub type Node = BasicNode;

/// One raft log entry's payload: the writes gathered into one batch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Request {
    pub writes: Vec<Write>,
}

/// One answer per write of the entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Response(pub Vec<Result<WriteResponse>>);

openraft::declare_raft_types!(
    pub TypeConfig:
        D = Request,
        R = Response,
        NodeId = NodeId,
        Node = Node,
);

/// Writes proposed together at most.
const MAX_BATCH: usize = 512;
/// Batches in flight at once; while one is, new writes queue and form the next one.
/// openraft appends entries one after another, so a second batch in flight would not
/// overlap the first's fsync — it would only split the queued writers in two.
const IN_FLIGHT: usize = 1;

struct Proposal {
    write: Write,
    tx: oneshot::Sender<Result<WriteResponse>>,
}

#[derive(Debug, thiserror::Error)]
pub enum RaftStoreError {
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error("{path}: {source}", path = .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("raft: {0}")]
    Raft(String),
}

pub struct RaftStore {
    raft: Raft<TypeConfig>,
    mvcc: Arc<Mvcc<RedbBackend>>,
    db: Arc<RedbDb>,
    /// Alive while raft's tasks hold the state machine ([`StateMachine::holder`]).
    sm_holder: Arc<()>,
    proposals: mpsc::Sender<Proposal>,
}

fn raft_config() -> openraft::Config {
    openraft::Config {
        cluster_name: "kelp".into(),
        heartbeat_interval: 500,
        election_timeout_min: 1500,
        election_timeout_max: 3000,
        snapshot_policy: SnapshotPolicy::LogsSinceLast(10_000),
        max_in_snapshot_log_to_keep: 1_000,
        ..Default::default()
    }
}

impl RaftStore {
    /// Opens the store in `dir` (created if missing), starting or resuming a one-voter
    /// raft group, and returns once this node leads it.
    pub async fn open(dir: &Path) -> std::result::Result<Self, RaftStoreError> {
        let io = |source| RaftStoreError::Io {
            path: dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        // the store holds every secret of the cluster
        std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .map_err(io)?;
        let db_path = dir.join("kelp.redb");
        let db = Arc::new(RedbDb::open(&db_path)?);
        let mvcc =
            Mvcc::open(RedbBackend::new(db.clone(), false)).map_err(|error| OpenError::Store {
                path: db_path.clone(),
                error,
            })?;
        let sm = StateMachine::new(mvcc.clone(), dir.join("snapshot.bin"))
            .map_err(|e| RaftStoreError::Raft(e.to_string()))?;
        let sm_holder = sm.holder();
        let log = LogStore::new(db.clone());
        let config = Arc::new(
            raft_config()
                .validate()
                .map_err(|e| RaftStoreError::Raft(e.to_string()))?,
        );
        let node_id: NodeId = 1;
        let raft = Raft::new(node_id, config, network::NoPeers, log, sm)
            .await
            .map_err(|e| RaftStoreError::Raft(e.to_string()))?;
        if !raft
            .is_initialized()
            .await
            .map_err(|e| RaftStoreError::Raft(e.to_string()))?
        {
            let members = BTreeMap::from([(node_id, BasicNode::default())]);
            raft.initialize(members)
                .await
                .map_err(|e| RaftStoreError::Raft(e.to_string()))?;
        }
        raft.wait(Some(Duration::from_secs(30)))
            .current_leader(node_id, "this node leads its one-voter group")
            .await
            .map_err(|e| RaftStoreError::Raft(e.to_string()))?;
        let (tx, rx) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(propose(raft.clone(), rx));
        Ok(RaftStore {
            raft,
            mvcc,
            db,
            sm_holder,
            proposals: tx,
        })
    }

    /// The database file, for reclaiming space after compaction.
    pub fn db(&self) -> &Arc<RedbDb> {
        &self.db
    }

    /// Stops raft; pending writes fail as unavailable.
    /// Stops raft and waits until its tasks have let go of the database file, so the
    /// same data dir can be opened again at once (redb locks the file while open).
    pub async fn shutdown(&self) -> std::result::Result<(), RaftStoreError> {
        self.raft
            .shutdown()
            .await
            .map_err(|e| RaftStoreError::Raft(e.to_string()))?;
        // left holding it: this handle and the store backend inside `mvcc`; raft's log
        // store and state machine (which holds `mvcc`) are dropped by its tasks as they
        // finish
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while Arc::strong_count(&self.db) > 2 || Arc::strong_count(&self.sm_holder) > 1 {
            if tokio::time::Instant::now() > deadline {
                return Err(RaftStoreError::Raft(
                    "raft tasks still hold the database 10 s after shutdown".into(),
                ));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Ok(())
    }

    /// Builds a raft snapshot now (normally done every 10,000 entries) and waits for it.
    pub async fn snapshot(&self) -> std::result::Result<(), RaftStoreError> {
        let before = self.raft.metrics().borrow().snapshot;
        self.raft
            .trigger()
            .snapshot()
            .await
            .map_err(|e| RaftStoreError::Raft(e.to_string()))?;
        self.raft
            .wait(Some(Duration::from_secs(60)))
            .metrics(
                |m| m.snapshot != before && m.snapshot.is_some(),
                "snapshot built",
            )
            .await
            .map_err(|e| RaftStoreError::Raft(e.to_string()))?;
        Ok(())
    }

    async fn write(&self, write: Write) -> Result<WriteResponse> {
        let (tx, rx) = oneshot::channel();
        self.proposals
            .send(Proposal { write, tx })
            .await
            .map_err(|_| StoreError::Unavailable("raft proposer stopped".into()))?;
        rx.await
            .map_err(|_| StoreError::Unavailable("raft proposer stopped".into()))?
    }
}

fn client_write_error(e: RaftError<NodeId, ClientWriteError<NodeId, Node>>) -> StoreError {
    match e {
        RaftError::APIError(ClientWriteError::ForwardToLeader(f)) => {
            StoreError::Unavailable(format!(
                "this server is not the raft leader (leader: {:?})",
                f.leader_id
            ))
        }
        RaftError::APIError(e) => StoreError::Unavailable(e.to_string()),
        RaftError::Fatal(e) => StoreError::Fatal(format!("raft: {e}")),
    }
}

/// Gathers queued writes into batches and proposes them, `IN_FLIGHT` at a time.
async fn propose(raft: Raft<TypeConfig>, mut rx: mpsc::Receiver<Proposal>) {
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    while let Some(first) = rx.recv().await {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        // writes that arrived while we waited for a slot join this batch
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        let raft = raft.clone();
        tokio::spawn(async move {
            let (writes, txs): (Vec<_>, Vec<_>) =
                batch.into_iter().map(|p| (p.write, p.tx)).unzip();
            match raft.client_write(Request { writes }).await {
                Ok(resp) => {
                    for (tx, r) in txs.into_iter().zip(resp.data.0) {
                        let _ = tx.send(r);
                    }
                }
                Err(e) => {
                    let e = client_write_error(e);
                    for tx in txs {
                        let _ = tx.send(Err(e.clone()));
                    }
                }
            }
            drop(slot);
        });
    }
}

#[async_trait]
impl Store for RaftStore {
    async fn range(&self, req: RangeRequest) -> Result<RangeResponse> {
        self.raft.ensure_linearizable().await.map_err(|e| match e {
            RaftError::APIError(e) => StoreError::Unavailable(e.to_string()),
            RaftError::Fatal(e) => StoreError::Fatal(format!("raft: {e}")),
        })?;
        self.mvcc.range(&req)
    }

    async fn txn(&self, req: TxnRequest) -> Result<TxnResponse> {
        // reject malformed requests before they reach the log
        req.validate()?;
        match self.write(Write::Txn(req)).await? {
            WriteResponse::Txn(t) => Ok(t),
            other => Err(StoreError::Fatal(format!("unexpected response {other:?}"))),
        }
    }

    async fn watch(&self, req: WatchRequest) -> Result<Watcher> {
        self.mvcc.watch(req)
    }

    async fn compact(&self, revision: i64) -> Result<()> {
        self.write(Write::Compact(revision)).await.map(|_| ())
    }

    async fn status(&self) -> Result<StoreStatus> {
        Ok(self.mvcc.status())
    }
}

#[cfg(test)]
mod tests;
