//! The MVCC key-value store every Kubernetes object lives in.
//!
//! Opaque byte values under byte keys, one global revision that every write raises,
//! per-key create/mod revision and version, range reads at any retained revision,
//! compare-and-swap transactions, watches from a revision and compaction — the etcd v3
//! model, so that an etcd backend is a thin adapter. Nothing here knows Kubernetes or
//! Raft. Start at [`Store`]; the engine is [`mvcc::Mvcc`], generic over a [`backend`]
//! (memory for tests, redb on disk). The raft-replicated store lives in `crate::raft`.

pub mod backend;
pub mod compactor;
#[cfg(test)]
pub(crate) mod conformance;
pub mod encoding;
mod index;
pub mod memory;
pub mod mvcc;
pub mod redb_backend;
pub mod types;
mod watch;

pub use types::*;
pub use watch::Watcher;

use async_trait::async_trait;

/// Errors a store operation can return.
///
/// `Compacted`, `FutureRevision` and `InvalidRequest` are answers about the request;
/// `Unavailable` is retryable; `Fatal` means the node's storage is broken and the
/// process must stop rather than serve possibly wrong data.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum StoreError {
    #[error(
        "mvcc: required revision {requested} has been compacted (compacted revision {compacted})"
    )]
    Compacted { requested: i64, compacted: i64 },
    #[error(
        "mvcc: required revision {requested} is a future revision (current revision {current})"
    )]
    FutureRevision { requested: i64, current: i64 },
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("store failure: {0}")]
    Fatal(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The store interface, close to etcd v3's KV + Watch services.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Reads keys at the head revision or at `req.revision`.
    async fn range(&self, req: RangeRequest) -> Result<RangeResponse>;

    /// Compares, then applies `success` or `failure` atomically under one new revision
    /// (no new revision when the chosen branch writes nothing).
    async fn txn(&self, req: TxnRequest) -> Result<TxnResponse>;

    /// Streams every change to `req.range` from `req.start_revision` on, in revision
    /// order, none lost and none repeated.
    async fn watch(&self, req: WatchRequest) -> Result<Watcher>;

    /// Forgets history older than `revision`: reads and watches below it fail with
    /// [`StoreError::Compacted`].
    async fn compact(&self, revision: i64) -> Result<()>;

    /// The head and compacted revisions.
    async fn status(&self) -> Result<StoreStatus>;

    /// Puts one key unconditionally.
    async fn put(&self, key: &[u8], value: &[u8]) -> Result<TxnResponse> {
        self.txn(TxnRequest {
            compare: vec![],
            success: vec![Op::put(key, value)],
            failure: vec![],
        })
        .await
    }

    /// Reads one key at the head revision.
    async fn get(&self, key: &[u8]) -> Result<Option<KeyValue>> {
        let resp = self.range(RangeRequest::key(key)).await?;
        Ok(resp.kvs.into_iter().next())
    }

    /// Deletes one key unconditionally.
    async fn delete(&self, key: &[u8]) -> Result<TxnResponse> {
        self.txn(TxnRequest {
            compare: vec![],
            success: vec![Op::Delete {
                range: KeyRange::key(key),
                prev_kv: false,
            }],
            failure: vec![],
        })
        .await
    }
}
