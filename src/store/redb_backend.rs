//! The on-disk backend: records and metadata in a redb database file.
//!
//! Tables (format 1):
//! - `records`: `(u64 main revision, u32 sub revision)` → record bytes (see
//!   [`super::encoding`]).
//! - `meta`: `&str` → bytes. `kelp.format` (u32 LE, the data dir's format),
//!   `mvcc.revision` and `mvcc.compact_revision` (i64 LE), and any extra values the
//!   owner commits with a batch (the raft state machine's applied log id).
//!
//! The same [`RedbDb`] also holds the raft log (see `crate::raft::log_store`), so that
//! one fsync makes a log append and every earlier state machine commit durable.

use std::path::{Path, PathBuf};
use std::sync::{RwLock, RwLockReadGuard};

use redb::{Database, Durability, ReadableDatabase, ReadableTableMetadata, TableDefinition};

use super::backend::{Backend, BackendView, Meta, Record, Rev, WriteBatch};
use super::encoding::{decode_record, encode_record};
use super::{Result, StoreError};

const RECORDS: TableDefinition<(u64, u32), &[u8]> = TableDefinition::new("records");
pub(crate) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

/// redb's own page cache.
const CACHE_BYTES: usize = 16 << 20;

/// The data dir format this binary writes and understands.
pub const FORMAT: u32 = 1;
const FORMAT_KEY: &str = "kelp.format";
const REVISION_KEY: &str = "mvcc.revision";
const COMPACT_KEY: &str = "mvcc.compact_revision";

/// Errors opening the database file.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{}: the store file is corrupted and will not be served: {source}", path.display())]
    Corrupted {
        path: PathBuf,
        #[source]
        source: redb::DatabaseError,
    },
    #[error("{}: {source}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: redb::DatabaseError,
    },
    #[error(
        "{}: data dir format {found} was written by a newer kelp; this binary understands format {FORMAT} or older and will not modify it",
        path.display()
    )]
    NewerFormat { path: PathBuf, found: u32 },
    #[error("{}: {error}", path.display())]
    Store { path: PathBuf, error: StoreError },
}

impl OpenError {
    fn store(path: &Path, error: StoreError) -> Self {
        OpenError::Store {
            path: path.to_path_buf(),
            error,
        }
    }
}

pub(crate) fn fatal(e: impl std::fmt::Display) -> StoreError {
    StoreError::Fatal(format!("redb: {e}"))
}

/// A redb database shared by the store backend and the raft log.
///
/// The lock is taken shared to begin a transaction and exclusively to reclaim file
/// space, which redb only allows with no transaction open.
pub struct RedbDb {
    db: RwLock<Database>,
    path: PathBuf,
}

impl RedbDb {
    /// Opens (or creates) the file, verifying every page's checksum so that a corrupted
    /// file is refused rather than served, and checks the data format.
    pub fn open(path: &Path) -> Result<Self, OpenError> {
        let db = redb::Builder::new()
            // redb caches up to 1 GiB of pages by default; the OS page cache already
            // holds hot pages, and edge devices have little memory
            .set_cache_size(CACHE_BYTES)
            .set_check_integrity_on_open(true)
            .create(path)
            .map_err(|source| match source {
                redb::DatabaseError::Storage(redb::StorageError::Corrupted(_)) => {
                    OpenError::Corrupted {
                        path: path.to_path_buf(),
                        source,
                    }
                }
                source => OpenError::Open {
                    path: path.to_path_buf(),
                    source,
                },
            })?;
        let this = RedbDb {
            db: RwLock::new(db),
            path: path.to_path_buf(),
        };
        this.check_format()?;
        Ok(this)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn check_format(&self) -> Result<(), OpenError> {
        let found = self
            .read_meta(FORMAT_KEY)
            .map_err(|e| OpenError::store(&self.path, e))?;
        match found {
            Some(bytes) => {
                let found = u32::from_le_bytes(bytes.as_slice().try_into().map_err(|_| {
                    OpenError::store(&self.path, fatal("kelp.format is not 4 bytes"))
                })?);
                if found > FORMAT {
                    return Err(OpenError::NewerFormat {
                        path: self.path.clone(),
                        found,
                    });
                }
                Ok(())
            }
            None => {
                let txn = self
                    .begin_write()
                    .map_err(|e| OpenError::store(&self.path, e))?;
                {
                    let mut meta = txn
                        .open_table(META)
                        .map_err(fatal)
                        .map_err(|e| OpenError::store(&self.path, e))?;
                    meta.insert(FORMAT_KEY, FORMAT.to_le_bytes().as_slice())
                        .map_err(fatal)
                        .map_err(|e| OpenError::store(&self.path, e))?;
                    txn.open_table(RECORDS)
                        .map_err(fatal)
                        .map_err(|e| OpenError::store(&self.path, e))?;
                }
                txn.commit()
                    .map_err(fatal)
                    .map_err(|e| OpenError::store(&self.path, e))
            }
        }
    }

    fn lock(&self) -> RwLockReadGuard<'_, Database> {
        self.db.read().expect("redb lock poisoned")
    }

    pub fn begin_read(&self) -> Result<redb::ReadTransaction> {
        self.lock().begin_read().map_err(fatal)
    }

    /// A durable write transaction (the commit fsyncs).
    pub fn begin_write(&self) -> Result<redb::WriteTransaction> {
        self.lock().begin_write().map_err(fatal)
    }

    pub fn read_meta(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let txn = self.begin_read()?;
        let table = match txn.open_table(META) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(fatal(e)),
        };
        Ok(table.get(key).map_err(fatal)?.map(|v| v.value().to_vec()))
    }

    /// Share of the file's allocated space that holds no live data.
    pub fn fragmentation(&self) -> Result<(u64, f64)> {
        let txn = self.begin_write()?;
        let stats = txn.stats().map_err(fatal)?;
        txn.abort().map_err(fatal)?;
        let allocated = stats.allocated_pages() * stats.page_size() as u64;
        let ratio = if allocated == 0 {
            0.0
        } else {
            stats.fragmented_bytes() as f64 / allocated as f64
        };
        Ok((allocated, ratio))
    }

    /// Gives free pages back to the file system. Returns false when transactions were
    /// open (try again later). Blocks every other transaction while it runs.
    pub fn reclaim(&self) -> Result<bool> {
        let mut db = self.db.write().expect("redb lock poisoned");
        match db.compact() {
            Ok(_) => Ok(true),
            Err(redb::CompactionError::TransactionInProgress) => Ok(false),
            Err(e) => Err(fatal(e)),
        }
    }
}

/// The MVCC engine's backend on a [`RedbDb`].
pub struct RedbBackend {
    db: std::sync::Arc<RedbDb>,
    durability: Durability,
}

impl RedbBackend {
    /// `durable`: whether each commit fsyncs. Under raft the log append is the durable
    /// step and state machine commits ride on the next one (see `crate::raft`).
    pub fn new(db: std::sync::Arc<RedbDb>, durable: bool) -> Self {
        RedbBackend {
            db,
            durability: if durable {
                Durability::Immediate
            } else {
                Durability::None
            },
        }
    }

    pub fn db(&self) -> &std::sync::Arc<RedbDb> {
        &self.db
    }

    fn write(&self, f: impl FnOnce(&redb::WriteTransaction) -> Result<()>) -> Result<()> {
        let mut txn = self.db.begin_write()?;
        txn.set_durability(self.durability).map_err(fatal)?;
        f(&txn)?;
        txn.commit().map_err(fatal)
    }
}

fn put_meta(
    table: &mut redb::Table<'_, &str, &[u8]>,
    meta: Meta,
    extra: &[(&'static str, Vec<u8>)],
) -> Result<()> {
    table
        .insert(REVISION_KEY, meta.revision.to_le_bytes().as_slice())
        .map_err(fatal)?;
    table
        .insert(COMPACT_KEY, meta.compact_revision.to_le_bytes().as_slice())
        .map_err(fatal)?;
    for (k, v) in extra {
        table.insert(*k, v.as_slice()).map_err(fatal)?;
    }
    Ok(())
}

fn i64_meta(bytes: Option<Vec<u8>>, key: &str) -> Result<i64> {
    match bytes {
        None => Ok(0),
        Some(b) => Ok(i64::from_le_bytes(
            b.as_slice()
                .try_into()
                .map_err(|_| fatal(format!("{key} is not 8 bytes")))?,
        )),
    }
}

fn rev_key(rev: Rev) -> (u64, u32) {
    (rev.main as u64, rev.sub)
}

fn decode(bytes: &[u8], rev: Rev) -> Result<Record> {
    decode_record(bytes)
        .map_err(|e| fatal(format!("record at revision {}.{}: {e}", rev.main, rev.sub)))
}

pub struct RedbView {
    txn: redb::ReadTransaction,
}

impl RedbView {
    fn meta_value(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let table = self.txn.open_table(META).map_err(fatal)?;
        Ok(table.get(key).map_err(fatal)?.map(|v| v.value().to_vec()))
    }
}

impl BackendView for RedbView {
    fn meta(&self) -> Result<Meta> {
        Ok(Meta {
            revision: i64_meta(self.meta_value(REVISION_KEY)?, REVISION_KEY)?,
            compact_revision: i64_meta(self.meta_value(COMPACT_KEY)?, COMPACT_KEY)?,
        })
    }

    fn extra(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.meta_value(key)
    }

    fn get(&self, rev: Rev) -> Result<Option<Record>> {
        let table = self.txn.open_table(RECORDS).map_err(fatal)?;
        match table.get(rev_key(rev)).map_err(fatal)? {
            Some(v) => Ok(Some(decode(v.value(), rev)?)),
            None => Ok(None),
        }
    }

    fn scan(&self, from: Rev, f: &mut dyn FnMut(Rev, Record) -> bool) -> Result<()> {
        let table = self.txn.open_table(RECORDS).map_err(fatal)?;
        for item in table.range(rev_key(from)..).map_err(fatal)? {
            let (k, v) = item.map_err(fatal)?;
            let (main, sub) = k.value();
            let rev = Rev::new(main as i64, sub);
            if !f(rev, decode(v.value(), rev)?) {
                break;
            }
        }
        Ok(())
    }
}

impl Backend for RedbBackend {
    type View = RedbView;

    fn view(&self) -> Result<RedbView> {
        Ok(RedbView {
            txn: self.db.begin_read()?,
        })
    }

    fn commit(&self, batch: WriteBatch) -> Result<()> {
        self.write(|txn| {
            let mut records = txn.open_table(RECORDS).map_err(fatal)?;
            for (rev, rec) in &batch.puts {
                records
                    .insert(rev_key(*rev), encode_record(rec).as_slice())
                    .map_err(fatal)?;
            }
            for rev in &batch.removes {
                records.remove(rev_key(*rev)).map_err(fatal)?;
            }
            let mut meta = txn.open_table(META).map_err(fatal)?;
            put_meta(&mut meta, batch.meta, &batch.extra)
        })
    }

    fn replace_all(
        &self,
        records: Vec<(Rev, Record)>,
        meta: Meta,
        extra: Vec<(&'static str, Vec<u8>)>,
    ) -> Result<()> {
        self.write(|txn| {
            txn.delete_table(RECORDS).map_err(fatal)?;
            let mut table = txn.open_table(RECORDS).map_err(fatal)?;
            for (rev, rec) in &records {
                table
                    .insert(rev_key(*rev), encode_record(rec).as_slice())
                    .map_err(fatal)?;
            }
            let mut m = txn.open_table(META).map_err(fatal)?;
            put_meta(&mut m, meta, &extra)
        })
    }
}

impl RedbBackend {
    /// Number of stored records (for tests and status).
    pub fn record_count(&self) -> Result<u64> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(RECORDS).map_err(fatal)?;
        table.len().map_err(fatal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_file_gets_the_current_format_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.redb");
        let db = RedbDb::open(&path).unwrap();
        assert_eq!(
            db.read_meta(FORMAT_KEY).unwrap(),
            Some(FORMAT.to_le_bytes().to_vec())
        );
        drop(db);
        RedbDb::open(&path).unwrap();
    }

    #[test]
    fn newer_format_is_refused_and_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.redb");
        {
            let db = RedbDb::open(&path).unwrap();
            let txn = db.begin_write().unwrap();
            txn.open_table(META)
                .unwrap()
                .insert(FORMAT_KEY, (FORMAT + 1).to_le_bytes().as_slice())
                .unwrap();
            txn.commit().unwrap();
        }
        let err = RedbDb::open(&path)
            .err()
            .expect("must refuse a newer format");
        let msg = err.to_string();
        assert!(matches!(err, OpenError::NewerFormat { found, .. } if found == FORMAT + 1));
        assert!(
            msg.contains("newer kelp") && msg.contains("s.redb"),
            "{msg}"
        );
    }

    #[test]
    fn reclaim_gives_space_back_after_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.redb");
        let db = std::sync::Arc::new(RedbDb::open(&path).unwrap());
        let backend = RedbBackend::new(db.clone(), true);
        let value = bytes::Bytes::from(vec![7u8; 4096]);
        let mut batch = WriteBatch::default();
        for i in 0..2000 {
            batch.puts.push((
                Rev::new(i + 1, 0),
                Record {
                    key: format!("k{i}").into_bytes(),
                    value: value.clone(),
                    create_revision: i + 1,
                    version: 1,
                    tombstone: false,
                },
            ));
        }
        backend.commit(batch).unwrap();
        let big = std::fs::metadata(&path).unwrap().len();
        let removes = (1..=2000).map(|i| Rev::new(i, 0)).collect();
        backend
            .commit(WriteBatch {
                removes,
                ..Default::default()
            })
            .unwrap();
        let (_, free) = db.fragmentation().unwrap();
        assert!(free > 0.5, "free ratio {free}");
        assert!(db.reclaim().unwrap());
        let small = std::fs::metadata(&path).unwrap().len();
        assert!(small < big / 2, "file {big} -> {small} bytes");
    }
}
