//! Where the MVCC engine keeps its records: an ordered map from revision to record,
//! plus a little metadata, committed in atomic batches.
//!
//! The engine ([`super::mvcc::Mvcc`]) keeps the key index in memory and asks the
//! backend only for records by revision, so a backend is small: [`MemBackend`] for
//! tests, [`super::redb_backend::RedbBackend`] on disk.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use super::Result;

/// A position in history: the store revision of a transaction and the index of the
/// change within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rev {
    pub main: i64,
    pub sub: u32,
}

impl Rev {
    pub const fn new(main: i64, sub: u32) -> Self {
        Rev { main, sub }
    }
}

/// One version of one key as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub key: Vec<u8>,
    pub value: Bytes,
    pub create_revision: i64,
    pub version: i64,
    pub tombstone: bool,
}

/// The engine's own metadata, committed with every batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Meta {
    pub revision: i64,
    pub compact_revision: i64,
}

/// One atomic commit. Puts are applied before removes (a compaction in the same batch
/// may remove a record the batch itself wrote).
#[derive(Debug, Default)]
pub struct WriteBatch {
    pub puts: Vec<(Rev, Record)>,
    pub removes: Vec<Rev>,
    pub meta: Meta,
    /// Opaque values committed atomically with the batch (the raft state machine keeps
    /// its applied log id here).
    pub extra: Vec<(&'static str, Vec<u8>)>,
}

/// A consistent read view of the records.
pub trait BackendView: Send {
    fn get(&self, rev: Rev) -> Result<Option<Record>>;

    /// Metadata as of this view.
    fn meta(&self) -> Result<Meta>;

    /// An extra value stored by [`WriteBatch::extra`], as of this view.
    fn extra(&self, key: &str) -> Result<Option<Vec<u8>>>;

    /// Calls `f` for each record at `from` or later, in revision order, until it
    /// returns false.
    fn scan(&self, from: Rev, f: &mut dyn FnMut(Rev, Record) -> bool) -> Result<()>;
}

pub trait Backend: Send + Sync + 'static {
    type View: BackendView;

    fn view(&self) -> Result<Self::View>;

    fn commit(&self, batch: WriteBatch) -> Result<()>;

    /// Replaces everything with `records`, `meta` and `extra` in one commit (snapshot
    /// install).
    fn replace_all(
        &self,
        records: Vec<(Rev, Record)>,
        meta: Meta,
        extra: Vec<(&'static str, Vec<u8>)>,
    ) -> Result<()>;
}

type Records = BTreeMap<Rev, Record>;

/// An in-memory backend: a copy-on-write map, so a view is a cheap snapshot.
#[derive(Default)]
pub struct MemBackend {
    inner: Mutex<MemInner>,
}

#[derive(Default, Clone)]
struct MemInner {
    records: Arc<Records>,
    meta: Meta,
    extra: Arc<BTreeMap<String, Vec<u8>>>,
}

pub struct MemView(MemInner);

impl BackendView for MemView {
    fn get(&self, rev: Rev) -> Result<Option<Record>> {
        Ok(self.0.records.get(&rev).cloned())
    }

    fn meta(&self) -> Result<Meta> {
        Ok(self.0.meta)
    }

    fn extra(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.0.extra.get(key).cloned())
    }

    fn scan(&self, from: Rev, f: &mut dyn FnMut(Rev, Record) -> bool) -> Result<()> {
        for (rev, rec) in self.0.records.range(from..) {
            if !f(*rev, rec.clone()) {
                break;
            }
        }
        Ok(())
    }
}

impl Backend for MemBackend {
    type View = MemView;

    fn view(&self) -> Result<MemView> {
        Ok(MemView(self.inner.lock().expect("poisoned").clone()))
    }

    fn commit(&self, batch: WriteBatch) -> Result<()> {
        let mut inner = self.inner.lock().expect("poisoned");
        let records = Arc::make_mut(&mut inner.records);
        for (rev, rec) in batch.puts {
            records.insert(rev, rec);
        }
        for rev in batch.removes {
            records.remove(&rev);
        }
        inner.meta = batch.meta;
        let extra = Arc::make_mut(&mut inner.extra);
        for (k, v) in batch.extra {
            extra.insert(k.to_string(), v);
        }
        Ok(())
    }

    fn replace_all(
        &self,
        records: Vec<(Rev, Record)>,
        meta: Meta,
        extra: Vec<(&'static str, Vec<u8>)>,
    ) -> Result<()> {
        let mut inner = self.inner.lock().expect("poisoned");
        inner.records = Arc::new(records.into_iter().collect());
        inner.meta = meta;
        inner.extra = Arc::new(extra.into_iter().map(|(k, v)| (k.to_string(), v)).collect());
        Ok(())
    }
}
