//! A store that applies writes directly to its engine, without Raft: the in-memory
//! store for tests ([`MemoryStore`]) and the plain redb store ([`RedbStore`]), both
//! run through the same conformance suite as the raft-backed store.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;

use super::backend::{Backend, MemBackend};
use super::mvcc::{Mvcc, Write, WriteResponse};
use super::redb_backend::{OpenError, RedbBackend, RedbDb};
use super::types::*;
use super::{Result, Store, StoreError, Watcher};

pub struct LocalStore<B: Backend> {
    mvcc: Arc<Mvcc<B>>,
}

pub type MemoryStore = LocalStore<MemBackend>;
pub type RedbStore = LocalStore<RedbBackend>;

impl MemoryStore {
    pub fn new() -> Self {
        LocalStore {
            mvcc: Mvcc::open(MemBackend::default()).expect("memory backend cannot fail"),
        }
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl RedbStore {
    /// Opens a redb store whose every commit is durable on its own.
    pub fn open(path: &Path) -> Result<Self, OpenError> {
        let db = Arc::new(RedbDb::open(path)?);
        let mvcc = Mvcc::open(RedbBackend::new(db, true)).map_err(|error| OpenError::Store {
            path: path.to_path_buf(),
            error,
        })?;
        Ok(LocalStore { mvcc })
    }
}

impl<B: Backend> LocalStore<B> {
    pub fn mvcc(&self) -> &Arc<Mvcc<B>> {
        &self.mvcc
    }

    async fn write(&self, w: Write) -> Result<WriteResponse> {
        let mvcc = self.mvcc.clone();
        let mut out = tokio::task::spawn_blocking(move || mvcc.write_batch(&[w], vec![]))
            .await
            .map_err(|e| StoreError::Fatal(format!("store writer panicked: {e}")))??;
        out.pop().expect("one response per write")
    }
}

#[async_trait]
impl<B: Backend> Store for LocalStore<B> {
    async fn range(&self, req: RangeRequest) -> Result<RangeResponse> {
        self.mvcc.range(&req)
    }

    async fn txn(&self, req: TxnRequest) -> Result<TxnResponse> {
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
