//! The raft state machine: applies committed entries to the MVCC store.
//!
//! All writes of all entries in one `apply` call go into one store commit, together
//! with the applied log id and membership, so the store and "what has been applied"
//! can never disagree. The commit is not fsynced: the log's next durable commit
//! carries it, and after a crash openraft re-applies from the last applied id.
//!
//! Snapshots are the store's retained records, built from one read view, written to
//! `snapshot.bin` beside the database (format byte + postcard of meta and data).

use std::io::Cursor;
use std::path::PathBuf;
use std::sync::Arc;

use openraft::storage::{RaftStateMachine, Snapshot};
use openraft::{
    EntryPayload, ErrorSubject, ErrorVerb, LogId, OptionalSend, RaftSnapshotBuilder, SnapshotMeta,
    StorageError, StoredMembership,
};
use serde::{Deserialize, Serialize};

use super::log_store::{decode, encode, io_err};
use super::{Node, NodeId, Response, TypeConfig};
use crate::store::backend::{Backend, BackendView, Meta, Rev};
use crate::store::encoding::{decode_record, encode_record};
use crate::store::mvcc::{Mvcc, Write};
use crate::store::redb_backend::RedbBackend;

type Entry = openraft::Entry<TypeConfig>;

const APPLIED_KEY: &str = "raft.applied";
const MEMBERSHIP_KEY: &str = "raft.membership";

#[derive(Serialize, Deserialize)]
struct SnapshotData {
    revision: i64,
    compact_revision: i64,
    /// `(main, sub, record bytes)` in revision order.
    records: Vec<(i64, u32, Vec<u8>)>,
}

#[derive(Serialize, Deserialize)]
struct SnapshotFile {
    meta: SnapshotMeta<NodeId, Node>,
    data: Vec<u8>,
}

fn sm_err(verb: ErrorVerb, e: impl ToString) -> StorageError<NodeId> {
    io_err(ErrorSubject::StateMachine, verb, e)
}

fn snap_err(verb: ErrorVerb, e: impl ToString) -> StorageError<NodeId> {
    io_err(ErrorSubject::Snapshot(None), verb, e)
}

type Applied = (Option<LogId<NodeId>>, StoredMembership<NodeId, Node>);

pub struct StateMachine {
    mvcc: Arc<Mvcc<RedbBackend>>,
    snapshot_path: PathBuf,
    applied: Applied,
    /// Held while raft's tasks hold the state machine (or a snapshot builder), so that
    /// the store's shutdown can wait until they let go of the database.
    holder: Arc<()>,
}

fn read_applied(view: &impl BackendView) -> Result<Applied, StorageError<NodeId>> {
    let applied = match view
        .extra(APPLIED_KEY)
        .map_err(|e| sm_err(ErrorVerb::Read, e))?
    {
        Some(b) => decode(&b).map_err(|e| sm_err(ErrorVerb::Read, e))?,
        None => None,
    };
    let membership = match view
        .extra(MEMBERSHIP_KEY)
        .map_err(|e| sm_err(ErrorVerb::Read, e))?
    {
        Some(b) => decode(&b).map_err(|e| sm_err(ErrorVerb::Read, e))?,
        None => StoredMembership::default(),
    };
    Ok((applied, membership))
}

fn applied_extra(applied: &Applied) -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (APPLIED_KEY, encode(&applied.0)),
        (MEMBERSHIP_KEY, encode(&applied.1)),
    ]
}

impl StateMachine {
    pub fn new(
        mvcc: Arc<Mvcc<RedbBackend>>,
        snapshot_path: PathBuf,
    ) -> Result<Self, StorageError<NodeId>> {
        let view = mvcc
            .backend()
            .view()
            .map_err(|e| sm_err(ErrorVerb::Read, e))?;
        let applied = read_applied(&view)?;
        Ok(StateMachine {
            mvcc,
            snapshot_path,
            applied,
            holder: Arc::new(()),
        })
    }

    /// A token alive as long as this state machine and its snapshot builders are.
    pub fn holder(&self) -> Arc<()> {
        self.holder.clone()
    }

    pub fn mvcc(&self) -> &Arc<Mvcc<RedbBackend>> {
        &self.mvcc
    }
}

pub struct SnapshotBuilder {
    mvcc: Arc<Mvcc<RedbBackend>>,
    snapshot_path: PathBuf,
    _holder: Arc<()>,
}

fn write_snapshot_file(path: &PathBuf, file: &SnapshotFile) -> Result<(), StorageError<NodeId>> {
    use std::io::Write as _;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp).map_err(|e| snap_err(ErrorVerb::Write, e))?;
    f.write_all(&encode(file))
        .map_err(|e| snap_err(ErrorVerb::Write, e))?;
    f.sync_all().map_err(|e| snap_err(ErrorVerb::Write, e))?;
    std::fs::rename(&tmp, path).map_err(|e| snap_err(ErrorVerb::Write, e))?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| snap_err(ErrorVerb::Write, e))?;
    }
    Ok(())
}

impl RaftSnapshotBuilder<TypeConfig> for SnapshotBuilder {
    async fn build_snapshot(&mut self) -> Result<Snapshot<TypeConfig>, StorageError<NodeId>> {
        let mvcc = self.mvcc.clone();
        let path = self.snapshot_path.clone();
        tokio::task::spawn_blocking(move || {
            let (records, meta, view) = mvcc.dump().map_err(|e| snap_err(ErrorVerb::Read, e))?;
            let (last_log_id, last_membership) = read_applied(&view)?;
            let data = SnapshotData {
                revision: meta.revision,
                compact_revision: meta.compact_revision,
                records: records
                    .iter()
                    .map(|(rev, rec)| (rev.main, rev.sub, encode_record(rec)))
                    .collect(),
            };
            let snapshot_id = match &last_log_id {
                Some(id) => format!("{}-{}-{}", id.leader_id.term, id.index, meta.revision),
                None => format!("0-0-{}", meta.revision),
            };
            let file = SnapshotFile {
                meta: SnapshotMeta {
                    last_log_id,
                    last_membership,
                    snapshot_id,
                },
                data: encode(&data),
            };
            write_snapshot_file(&path, &file)?;
            Ok(Snapshot {
                meta: file.meta,
                snapshot: Box::new(Cursor::new(file.data)),
            })
        })
        .await
        .map_err(|e| snap_err(ErrorVerb::Write, e))?
    }
}

impl RaftStateMachine<TypeConfig> for StateMachine {
    type SnapshotBuilder = SnapshotBuilder;

    async fn applied_state(&mut self) -> Result<Applied, StorageError<NodeId>> {
        Ok(self.applied.clone())
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<Response>, StorageError<NodeId>>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let mut writes: Vec<Write> = Vec::new();
        let mut counts = Vec::new();
        let mut applied = self.applied.clone();
        for entry in entries {
            applied.0 = Some(entry.log_id);
            match entry.payload {
                EntryPayload::Blank => counts.push(0),
                EntryPayload::Normal(req) => {
                    counts.push(req.writes.len());
                    writes.extend(req.writes);
                }
                EntryPayload::Membership(m) => {
                    applied.1 = StoredMembership::new(Some(entry.log_id), m);
                    counts.push(0);
                }
            }
        }
        if counts.is_empty() {
            return Ok(vec![]);
        }
        let mvcc = self.mvcc.clone();
        let extra = applied_extra(&applied);
        let results = tokio::task::spawn_blocking(move || mvcc.write_batch(&writes, extra))
            .await
            .map_err(|e| sm_err(ErrorVerb::Write, e))?
            .map_err(|e| sm_err(ErrorVerb::Write, e))?;
        self.applied = applied;
        let mut results = results.into_iter();
        Ok(counts
            .into_iter()
            .map(|n| Response(results.by_ref().take(n).collect()))
            .collect())
    }

    async fn get_snapshot_builder(&mut self) -> SnapshotBuilder {
        SnapshotBuilder {
            mvcc: self.mvcc.clone(),
            snapshot_path: self.snapshot_path.clone(),
            _holder: self.holder.clone(),
        }
    }

    async fn begin_receiving_snapshot(
        &mut self,
    ) -> Result<Box<Cursor<Vec<u8>>>, StorageError<NodeId>> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta<NodeId, Node>,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StorageError<NodeId>> {
        let bytes = snapshot.into_inner();
        let data: SnapshotData = decode(&bytes).map_err(|e| snap_err(ErrorVerb::Read, e))?;
        let mut records = Vec::with_capacity(data.records.len());
        for (main, sub, b) in &data.records {
            let rec = decode_record(b).map_err(|e| snap_err(ErrorVerb::Read, e))?;
            records.push((Rev::new(*main, *sub), rec));
        }
        let applied: Applied = (meta.last_log_id, meta.last_membership.clone());
        let extra = applied_extra(&applied);
        let store_meta = Meta {
            revision: data.revision,
            compact_revision: data.compact_revision,
        };
        let mvcc = self.mvcc.clone();
        let path = self.snapshot_path.clone();
        let file = SnapshotFile {
            meta: meta.clone(),
            data: bytes,
        };
        tokio::task::spawn_blocking(move || {
            mvcc.restore(records, store_meta, extra)
                .map_err(|e| snap_err(ErrorVerb::Write, e))?;
            write_snapshot_file(&path, &file)
        })
        .await
        .map_err(|e| snap_err(ErrorVerb::Write, e))??;
        self.applied = applied;
        Ok(())
    }

    async fn get_current_snapshot(
        &mut self,
    ) -> Result<Option<Snapshot<TypeConfig>>, StorageError<NodeId>> {
        let bytes = match std::fs::read(&self.snapshot_path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(snap_err(ErrorVerb::Read, e)),
        };
        let file: SnapshotFile = decode(&bytes).map_err(|e| snap_err(ErrorVerb::Read, e))?;
        Ok(Some(Snapshot {
            meta: file.meta,
            snapshot: Box::new(Cursor::new(file.data)),
        }))
    }
}
