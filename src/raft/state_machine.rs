//! The raft state machine: applies committed entries to the MVCC store.
//!
//! All writes of all entries in one `apply` call go into one store commit, together
//! with the applied log id and membership, so the store and "what has been applied"
//! can never disagree. The commit is not fsynced: the log's next durable commit
//! carries it, and after a crash openraft re-applies from the last applied id.
//!
//! Snapshots are the store's retained records, built from one read view and streamed
//! record by record to `snapshot.bin` beside the database, so building one never holds
//! the store in memory (see [`SNAPSHOT_FORMAT`] for the layout).

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
use crate::store::backend::{Backend, BackendView, Meta, Record, Rev};
use crate::store::encoding::{decode_record, encode_record};
use crate::store::mvcc::{Mvcc, Write};
use crate::store::redb_backend::RedbBackend;

type Entry = openraft::Entry<TypeConfig>;

const APPLIED_KEY: &str = "raft.applied";
const MEMBERSHIP_KEY: &str = "raft.membership";

/// The first byte of `snapshot.bin`: `[SNAPSHOT_FORMAT][meta length: u32 LE][meta
/// (postcard, with the log's format byte)][data]`. The data (what followers are sent and
/// install) is `[DATA_FORMAT]` then frames of `[length: u32 LE][payload]`: first the
/// store's `(revision, compact_revision)`, then one frame per retained record,
/// `[main revision: i64 LE][sub: u32 LE][the record as the store encodes it]`, in
/// revision order.
const SNAPSHOT_FORMAT: u8 = 2;
const DATA_FORMAT: u8 = 2;
/// Files and data written before streaming (`SnapshotFile`/`SnapshotData` in postcard,
/// behind the log's format byte 1) are still read.
const LEGACY_FORMAT: u8 = 1;

#[derive(Serialize, Deserialize)]
struct LegacySnapshotData {
    revision: i64,
    compact_revision: i64,
    /// `(main, sub, record bytes)` in revision order.
    records: Vec<(i64, u32, Vec<u8>)>,
}

#[derive(Serialize, Deserialize)]
struct LegacySnapshotFile {
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

fn frame(out: &mut (impl std::io::Write + ?Sized), payload: &[u8]) -> std::io::Result<()> {
    let len = u32::try_from(payload.len())
        .map_err(|_| std::io::Error::other("a snapshot record over 4 GiB"))?;
    out.write_all(&len.to_le_bytes())?;
    out.write_all(payload)
}

/// Writes `snapshot.bin` atomically (temporary file, fsync, rename, fsync of the
/// directory): the meta, then what `data` writes.
fn write_snapshot_file(
    path: &PathBuf,
    meta: &SnapshotMeta<NodeId, Node>,
    data: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<(), StorageError<NodeId>> {
    use std::io::Write as _;
    let err = |e| snap_err(ErrorVerb::Write, e);
    let tmp = path.with_extension("tmp");
    let f = std::fs::File::create(&tmp).map_err(err)?;
    let mut out = std::io::BufWriter::with_capacity(256 * 1024, f);
    let meta = encode(meta);
    out.write_all(&[SNAPSHOT_FORMAT]).map_err(err)?;
    frame(&mut out, &meta).map_err(err)?;
    data(&mut out).map_err(err)?;
    let f = out.into_inner().map_err(|e| err(e.into_error()))?;
    f.sync_all().map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(err)?;
    }
    Ok(())
}

/// A snapshot's raft meta.
type RaftMeta = SnapshotMeta<NodeId, Node>;

/// The meta and data of a snapshot file (either format).
fn read_snapshot_file(bytes: Vec<u8>) -> Result<(RaftMeta, Vec<u8>), StorageError<NodeId>> {
    let err = |e: String| snap_err(ErrorVerb::Read, e);
    match bytes.first() {
        Some(&SNAPSHOT_FORMAT) => {
            let (meta, rest) = next_frame(&bytes[1..]).map_err(err)?;
            let meta = decode(meta).map_err(err)?;
            let at = bytes.len() - rest.len();
            let mut data = bytes;
            data.drain(..at);
            Ok((meta, data))
        }
        Some(&LEGACY_FORMAT) => {
            let file: LegacySnapshotFile = decode(&bytes).map_err(err)?;
            Ok((file.meta, file.data))
        }
        Some(f) => Err(err(format!(
            "unknown snapshot format {f} (written by a newer kelp?)"
        ))),
        None => Err(err("empty snapshot file".into())),
    }
}

fn next_frame(b: &[u8]) -> Result<(&[u8], &[u8]), String> {
    let (len, rest) = b
        .split_first_chunk::<4>()
        .ok_or("a snapshot frame cut short")?;
    let len = u32::from_le_bytes(*len) as usize;
    if rest.len() < len {
        return Err("a snapshot frame cut short".into());
    }
    Ok(rest.split_at(len))
}

/// The store's meta and records in a snapshot's data (either format).
fn decode_data(data: &[u8]) -> Result<(Meta, Vec<(Rev, Record)>), String> {
    match data.first() {
        Some(&DATA_FORMAT) => {
            let (head, mut rest) = next_frame(&data[1..])?;
            let (revision, compact_revision): (i64, i64) = decode(head)?;
            let mut records = Vec::new();
            while !rest.is_empty() {
                let (payload, more) = next_frame(rest)?;
                rest = more;
                let (main, tail) = payload
                    .split_first_chunk::<8>()
                    .ok_or("a snapshot record cut short")?;
                let (sub, rec) = tail
                    .split_first_chunk::<4>()
                    .ok_or("a snapshot record cut short")?;
                let rec = decode_record(rec).map_err(|e| e.to_string())?;
                records.push((
                    Rev::new(i64::from_le_bytes(*main), u32::from_le_bytes(*sub)),
                    rec,
                ));
            }
            let meta = Meta {
                revision,
                compact_revision,
            };
            Ok((meta, records))
        }
        Some(&LEGACY_FORMAT) => {
            let data: LegacySnapshotData = decode(data)?;
            let mut records = Vec::with_capacity(data.records.len());
            for (main, sub, b) in &data.records {
                let rec = decode_record(b).map_err(|e| e.to_string())?;
                records.push((Rev::new(*main, *sub), rec));
            }
            let meta = Meta {
                revision: data.revision,
                compact_revision: data.compact_revision,
            };
            Ok((meta, records))
        }
        Some(f) => Err(format!("unknown snapshot data format {f}")),
        None => Err("empty snapshot data".into()),
    }
}

impl RaftSnapshotBuilder<TypeConfig> for SnapshotBuilder {
    async fn build_snapshot(&mut self) -> Result<Snapshot<TypeConfig>, StorageError<NodeId>> {
        let mvcc = self.mvcc.clone();
        let path = self.snapshot_path.clone();
        tokio::task::spawn_blocking(move || {
            let view = mvcc
                .backend()
                .view()
                .map_err(|e| snap_err(ErrorVerb::Read, e))?;
            let store_meta = view.meta().map_err(|e| snap_err(ErrorVerb::Read, e))?;
            let (last_log_id, last_membership) = read_applied(&view)?;
            let snapshot_id = match &last_log_id {
                Some(id) => format!("{}-{}-{}", id.leader_id.term, id.index, store_meta.revision),
                None => format!("0-0-{}", store_meta.revision),
            };
            let meta = SnapshotMeta {
                last_log_id,
                last_membership,
                snapshot_id,
            };
            let mut scan_error = None;
            write_snapshot_file(&path, &meta, |out| {
                out.write_all(&[DATA_FORMAT])?;
                frame(
                    out,
                    &encode(&(store_meta.revision, store_meta.compact_revision)),
                )?;
                let mut payload = Vec::new();
                let mut io_error = None;
                let scanned = view.scan(Rev::new(0, 0), &mut |rev, rec| {
                    payload.clear();
                    payload.extend_from_slice(&rev.main.to_le_bytes());
                    payload.extend_from_slice(&rev.sub.to_le_bytes());
                    payload.extend_from_slice(&encode_record(&rec));
                    match frame(out, &payload) {
                        Ok(()) => true,
                        Err(e) => {
                            io_error = Some(e);
                            false
                        }
                    }
                });
                if let Err(e) = scanned {
                    scan_error = Some(e.to_string());
                }
                io_error.map_or(Ok(()), Err)
            })?;
            if let Some(e) = scan_error {
                return Err(snap_err(ErrorVerb::Read, e));
            }
            // openraft keeps only the meta of a snapshot it asked for; the data is
            // read back for the trait's sake (and for callers that install it)
            let bytes = std::fs::read(&path).map_err(|e| snap_err(ErrorVerb::Read, e))?;
            let (meta, data) = read_snapshot_file(bytes)?;
            Ok(Snapshot {
                meta,
                snapshot: Box::new(Cursor::new(data)),
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
        let data = snapshot.into_inner();
        let (store_meta, records) = decode_data(&data).map_err(|e| snap_err(ErrorVerb::Read, e))?;
        let applied: Applied = (meta.last_log_id, meta.last_membership.clone());
        let extra = applied_extra(&applied);
        let mvcc = self.mvcc.clone();
        let path = self.snapshot_path.clone();
        let meta = meta.clone();
        tokio::task::spawn_blocking(move || {
            mvcc.restore(records, store_meta, extra)
                .map_err(|e| snap_err(ErrorVerb::Write, e))?;
            write_snapshot_file(&path, &meta, |out| out.write_all(&data))
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
        let (meta, data) = read_snapshot_file(bytes)?;
        Ok(Some(Snapshot {
            meta,
            snapshot: Box::new(Cursor::new(data)),
        }))
    }
}

#[cfg(test)]
mod format_tests {
    use super::*;

    fn record(key: &str, value: &str, rev: i64) -> (Rev, Record) {
        (
            Rev::new(rev, 0),
            Record {
                key: key.as_bytes().to_vec(),
                value: bytes::Bytes::from(value.as_bytes().to_vec()),
                create_revision: rev,
                version: 1,
                tombstone: false,
            },
        )
    }

    fn meta() -> RaftMeta {
        SnapshotMeta {
            last_log_id: None,
            last_membership: StoredMembership::default(),
            snapshot_id: "0-0-3".into(),
        }
    }

    #[test]
    fn streamed_files_read_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("snapshot.bin");
        let records = [record("/a", "1", 2), record("/b", "2", 3)];
        write_snapshot_file(&path, &meta(), |out| {
            out.write_all(&[DATA_FORMAT])?;
            frame(out, &encode(&(3i64, 1i64)))?;
            for (rev, rec) in &records {
                let mut p = rev.main.to_le_bytes().to_vec();
                p.extend_from_slice(&rev.sub.to_le_bytes());
                p.extend_from_slice(&encode_record(rec));
                frame(out, &p)?;
            }
            Ok(())
        })
        .unwrap();
        assert!(!path.with_extension("tmp").exists());
        let (m, data) = read_snapshot_file(std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(m, meta());
        let (store_meta, got) = decode_data(&data).unwrap();
        assert_eq!((store_meta.revision, store_meta.compact_revision), (3, 1));
        assert_eq!(got, records);
        // a cut-off file is an error, not a shorter snapshot
        assert!(decode_data(&data[..data.len() - 1]).is_err());
    }

    #[test]
    fn files_of_the_earlier_format_are_still_read() {
        let (rev, rec) = record("/a", "1", 2);
        let data = encode(&LegacySnapshotData {
            revision: 2,
            compact_revision: 0,
            records: vec![(rev.main, rev.sub, encode_record(&rec))],
        });
        let file = encode(&LegacySnapshotFile {
            meta: meta(),
            data: data.clone(),
        });
        let (m, d) = read_snapshot_file(file).unwrap();
        assert_eq!((m, &d), (meta(), &data));
        let (store_meta, got) = decode_data(&d).unwrap();
        assert_eq!(store_meta.revision, 2);
        assert_eq!(got, vec![(rev, rec)]);
        assert!(read_snapshot_file(vec![9, 0]).is_err());
    }
}
