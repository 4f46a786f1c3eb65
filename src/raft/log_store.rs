//! The raft log and vote in redb, in the same database file as the state machine.
//!
//! Tables (format 1):
//! - `raft_log`: `u64` log index → entry bytes: one format byte (1) + postcard.
//! - `raft_state`: `&str` → bytes: `vote`, `last_purged` (postcard).
//!
//! Every append and vote is a durable commit (fsync). Because the state machine
//! commits into the same file without fsync, the next durable log commit also makes
//! every earlier state machine commit durable — one fsync per batch in all.

use std::fmt::Debug;
use std::ops::RangeBounds;
use std::sync::Arc;

use openraft::storage::{LogFlushed, RaftLogStorage};
use openraft::{
    ErrorSubject, ErrorVerb, LogId, LogState, OptionalSend, RaftLogReader, StorageError,
    StorageIOError, Vote,
};
use redb::{ReadableTable, TableDefinition};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{NodeId, TypeConfig};
use crate::store::redb_backend::RedbDb;

type Entry = openraft::Entry<TypeConfig>;

const LOG: TableDefinition<u64, &[u8]> = TableDefinition::new("raft_log");
const STATE: TableDefinition<&str, &[u8]> = TableDefinition::new("raft_state");
const ENTRY_FORMAT: u8 = 1;

pub(crate) fn io_err(
    subject: ErrorSubject<NodeId>,
    verb: ErrorVerb,
    e: impl ToString,
) -> StorageError<NodeId> {
    StorageError::IO {
        source: StorageIOError::new(subject, verb, openraft::AnyError::error(e.to_string())),
    }
}

fn log_err(verb: ErrorVerb, e: impl ToString) -> StorageError<NodeId> {
    io_err(ErrorSubject::Logs, verb, e)
}

pub(crate) fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    let mut out = vec![ENTRY_FORMAT];
    out.extend(postcard::to_stdvec(v).expect("raft types serialize"));
    out
}

pub(crate) fn decode<T: DeserializeOwned>(b: &[u8]) -> Result<T, String> {
    match b.first() {
        Some(&ENTRY_FORMAT) => postcard::from_bytes(&b[1..]).map_err(|e| e.to_string()),
        Some(f) => Err(format!("unknown format {f} (written by a newer kelp?)")),
        None => Err("empty value".into()),
    }
}

/// The log store; cheap to clone (the clone is also the log reader).
#[derive(Clone)]
pub struct LogStore {
    db: Arc<RedbDb>,
}

impl LogStore {
    pub fn new(db: Arc<RedbDb>) -> Self {
        LogStore { db }
    }

    fn read_state<T: DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, StorageError<NodeId>> {
        let txn = self
            .db
            .begin_read()
            .map_err(|e| log_err(ErrorVerb::Read, e))?;
        let table = match txn.open_table(STATE) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(log_err(ErrorVerb::Read, e)),
        };
        match table.get(key).map_err(|e| log_err(ErrorVerb::Read, e))? {
            Some(v) => decode(v.value())
                .map(Some)
                .map_err(|e| log_err(ErrorVerb::Read, format!("raft_state {key}: {e}"))),
            None => Ok(None),
        }
    }

    /// One durable commit on the blocking pool.
    async fn write(
        &self,
        verb: ErrorVerb,
        f: impl FnOnce(&redb::WriteTransaction) -> Result<(), redb::Error> + Send + 'static,
    ) -> Result<(), StorageError<NodeId>> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || {
            let txn = db.begin_write().map_err(|e| e.to_string())?;
            f(&txn).map_err(|e| e.to_string())?;
            txn.commit().map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| log_err(verb, e))?
        .map_err(|e| log_err(verb, e))
    }

    fn put_state<T: Serialize>(
        txn: &redb::WriteTransaction,
        key: &str,
        v: &T,
    ) -> Result<(), redb::Error> {
        txn.open_table(STATE)?.insert(key, encode(v).as_slice())?;
        Ok(())
    }

    fn last_entry_id(&self) -> Result<Option<LogId<NodeId>>, StorageError<NodeId>> {
        let txn = self
            .db
            .begin_read()
            .map_err(|e| log_err(ErrorVerb::Read, e))?;
        let table = match txn.open_table(LOG) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(log_err(ErrorVerb::Read, e)),
        };
        match table.last().map_err(|e| log_err(ErrorVerb::Read, e))? {
            Some((_, v)) => {
                let e: Entry = decode(v.value()).map_err(|e| log_err(ErrorVerb::Read, e))?;
                Ok(Some(e.log_id))
            }
            None => Ok(None),
        }
    }
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry>, StorageError<NodeId>> {
        let txn = self
            .db
            .begin_read()
            .map_err(|e| log_err(ErrorVerb::Read, e))?;
        let table = match txn.open_table(LOG) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(vec![]),
            Err(e) => return Err(log_err(ErrorVerb::Read, e)),
        };
        let mut out = Vec::new();
        for item in table
            .range(range)
            .map_err(|e| log_err(ErrorVerb::Read, e))?
        {
            let (k, v) = item.map_err(|e| log_err(ErrorVerb::Read, e))?;
            let entry: Entry = decode(v.value())
                .map_err(|e| log_err(ErrorVerb::Read, format!("log entry {}: {e}", k.value())))?;
            out.push(entry);
        }
        Ok(out)
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = LogStore;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, StorageError<NodeId>> {
        let last_purged: Option<LogId<NodeId>> = self.read_state("last_purged")?;
        let last = self.last_entry_id()?.or(last_purged);
        Ok(LogState {
            last_purged_log_id: last_purged,
            last_log_id: last,
        })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote<NodeId>) -> Result<(), StorageError<NodeId>> {
        let vote = *vote;
        self.write(ErrorVerb::Write, move |txn| {
            Self::put_state(txn, "vote", &vote)
        })
        .await
        .map_err(|e| io_err(ErrorSubject::Vote, ErrorVerb::Write, e))
    }

    async fn read_vote(&mut self) -> Result<Option<Vote<NodeId>>, StorageError<NodeId>> {
        self.read_state("vote")
    }

    // save_committed/read_committed keep openraft's defaults (not stored): a commit
    // per committed index would be one more write transaction per batch, and after a
    // restart the one-voter leader re-commits and re-applies its log at once anyway.

    async fn append<I>(
        &mut self,
        entries: I,
        callback: LogFlushed<TypeConfig>,
    ) -> Result<(), StorageError<NodeId>>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let encoded: Vec<(u64, Vec<u8>)> = entries
            .into_iter()
            .map(|e| (e.log_id.index, encode(&e)))
            .collect();
        let res = self
            .write(ErrorVerb::Write, move |txn| {
                let mut table = txn.open_table(LOG)?;
                for (index, bytes) in &encoded {
                    table.insert(*index, bytes.as_slice())?;
                }
                Ok(())
            })
            .await;
        match res {
            Ok(()) => {
                callback.log_io_completed(Ok(()));
                Ok(())
            }
            Err(e) => {
                callback.log_io_completed(Err(std::io::Error::other(e.to_string())));
                Err(e)
            }
        }
    }

    async fn truncate(&mut self, log_id: LogId<NodeId>) -> Result<(), StorageError<NodeId>> {
        self.write(ErrorVerb::Delete, move |txn| {
            let mut table = txn.open_table(LOG)?;
            table.retain_in(log_id.index.., |_, _| false)?;
            Ok(())
        })
        .await
    }

    async fn purge(&mut self, log_id: LogId<NodeId>) -> Result<(), StorageError<NodeId>> {
        self.write(ErrorVerb::Delete, move |txn| {
            Self::put_state(txn, "last_purged", &log_id)?;
            let mut table = txn.open_table(LOG)?;
            table.retain_in(..=log_id.index, |_, _| false)?;
            Ok(())
        })
        .await
    }
}
