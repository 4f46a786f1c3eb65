//! The MVCC engine: key index in memory, records in a [`Backend`], one writer.
//!
//! Writes come in batches ([`Mvcc::write_batch`]): each transaction of a batch is
//! evaluated in order against the index (including the batch's own earlier changes),
//! the whole batch is committed to the backend in one commit, and only then is the
//! committed head raised and the events published to watchers.
//!
//! Architecture Invariant: `write_batch` is deterministic — the same batches in the
//! same order on the same starting state give the same records, revisions and
//! responses. No clock, no randomness. This is what the raft state machine relies on.
//!
//! Architecture Invariant: readers read at or below the committed head, whose records
//! are all in the backend; a read view is taken while holding the state lock so that
//! compaction cannot remove a record between the index lookup and the fetch.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use super::backend::{Backend, BackendView, Meta, Record, Rev, WriteBatch};
use super::index::{Entry, KeyIndex};
use super::types::*;
use super::watch::{EventSource, RevEvents, WatchHub, Watcher};
use super::{Result, StoreError};

/// A write the engine applies.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Write {
    Txn(TxnRequest),
    Compact(i64),
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum WriteResponse {
    Txn(TxnResponse),
    Compacted { revision: i64 },
}

struct State {
    index: KeyIndex,
    /// Committed head: every record at or below it is in the backend.
    revision: i64,
    compact_revision: i64,
}

pub struct Mvcc<B: Backend> {
    backend: B,
    state: RwLock<State>,
    writer: Mutex<()>,
    hub: WatchHub,
}

/// The batch being built: records written so far, readable before the commit.
struct Pending<'a, V: BackendView> {
    view: &'a V,
    records: HashMap<Rev, Record>,
    batch: WriteBatch,
    events: Vec<RevEvents>,
    head: i64,
    /// Compaction point as of this batch; the index is compacted after the commit.
    compact_revision: i64,
    compacted: bool,
}

impl<V: BackendView> Pending<'_, V> {
    fn record(&self, rev: Rev) -> Result<Record> {
        if let Some(r) = self.records.get(&rev) {
            return Ok(r.clone());
        }
        self.view.get(rev)?.ok_or_else(|| {
            StoreError::Fatal(format!(
                "index names revision {rev:?} but the backend has no record"
            ))
        })
    }
}

fn kv_of(rev: Rev, rec: Record) -> KeyValue {
    KeyValue {
        key: rec.key,
        create_revision: rec.create_revision,
        mod_revision: rev.main,
        version: rec.version,
        value: rec.value,
    }
}

fn kv_without_value(key: &[u8], e: &Entry) -> KeyValue {
    KeyValue {
        key: key.to_vec(),
        create_revision: e.create_revision,
        mod_revision: e.rev.main,
        version: e.version,
        value: bytes::Bytes::new(),
    }
}

fn compare_holds(op: CompareOp, ord: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    matches!(
        (op, ord),
        (CompareOp::Equal, Equal)
            | (CompareOp::NotEqual, Less | Greater)
            | (CompareOp::Less, Less)
            | (CompareOp::Greater, Greater)
    )
}

impl<B: Backend> Mvcc<B> {
    /// Opens the engine on a backend, rebuilding the key index from its records.
    pub fn open(backend: B) -> Result<Arc<Self>> {
        let view = backend.view()?;
        let meta = view.meta()?;
        let mut index = KeyIndex::default();
        view.scan(Rev::new(0, 0), &mut |rev, rec| {
            index.push(
                &rec.key,
                Entry {
                    rev,
                    create_revision: rec.create_revision,
                    version: rec.version,
                    tombstone: rec.tombstone,
                },
            );
            true
        })?;
        Ok(Arc::new(Mvcc {
            backend,
            state: RwLock::new(State {
                index,
                revision: meta.revision,
                compact_revision: meta.compact_revision,
            }),
            writer: Mutex::new(()),
            hub: WatchHub::new(),
        }))
    }

    pub fn backend(&self) -> &B {
        &self.backend
    }

    pub fn status(&self) -> StoreStatus {
        let st = self.state.read().expect("poisoned");
        StoreStatus {
            revision: st.revision,
            compact_revision: st.compact_revision,
        }
    }

    fn resolve(st: &State, revision: i64) -> Result<i64> {
        if revision <= 0 {
            return Ok(st.revision);
        }
        if revision > st.revision {
            return Err(StoreError::FutureRevision {
                requested: revision,
                current: st.revision,
            });
        }
        if revision < st.compact_revision {
            return Err(StoreError::Compacted {
                requested: revision,
                compacted: st.compact_revision,
            });
        }
        Ok(revision)
    }

    pub fn range(&self, req: &RangeRequest) -> Result<RangeResponse> {
        req.range.validate()?;
        let (at, matches, count, view) = {
            let st = self.state.read().expect("poisoned");
            let at = Self::resolve(&st, req.revision)?;
            let mut matches = Vec::new();
            let mut count = 0i64;
            for (key, entry) in st.index.range(&req.range, at) {
                count += 1;
                if !req.count_only && (req.limit == 0 || matches.len() < req.limit) {
                    matches.push((key.to_vec(), *entry));
                }
            }
            let view = if req.count_only || req.keys_only {
                None
            } else {
                Some(self.backend.view()?)
            };
            (at, matches, count, view)
        };
        let mut kvs = Vec::with_capacity(matches.len());
        for (key, entry) in matches {
            match &view {
                None => kvs.push(kv_without_value(&key, &entry)),
                Some(view) => {
                    let rec = view.get(entry.rev)?.ok_or_else(|| {
                        StoreError::Fatal(format!(
                            "index names revision {:?} of {:?} but the backend has no record",
                            entry.rev,
                            String::from_utf8_lossy(&key)
                        ))
                    })?;
                    kvs.push(kv_of(entry.rev, rec));
                }
            }
        }
        Ok(RangeResponse {
            more: (kvs.len() as i64) < count && !req.count_only,
            kvs,
            count,
            revision: at,
        })
    }

    /// Applies writes in order and commits them (with `extra`) in one backend commit.
    /// The outer error is fatal (backend failure: stop the node); the inner results
    /// are the per-write answers.
    pub fn write_batch(
        &self,
        writes: &[Write],
        extra: Vec<(&'static str, Vec<u8>)>,
    ) -> Result<Vec<Result<WriteResponse>>> {
        let _writer = self.writer.lock().expect("poisoned");
        let view = self.backend.view()?;
        let mut responses = Vec::with_capacity(writes.len());
        let (batch, events, compacted) = {
            let mut st = self.state.write().expect("poisoned");
            let mut p = Pending {
                view: &view,
                records: HashMap::new(),
                batch: WriteBatch::default(),
                events: Vec::new(),
                head: st.revision,
                compact_revision: st.compact_revision,
                compacted: false,
            };
            for w in writes {
                let resp = match w {
                    Write::Txn(t) => Self::apply_txn(&mut st, &mut p, t).map(WriteResponse::Txn),
                    Write::Compact(rev) => Self::apply_compact(&mut st, &mut p, *rev)
                        .map(|()| WriteResponse::Compacted { revision: *rev }),
                };
                if let Err(StoreError::Fatal(e)) = resp {
                    return Err(StoreError::Fatal(e));
                }
                responses.push(resp);
            }
            p.batch.meta = Meta {
                revision: p.head,
                compact_revision: p.compact_revision,
            };
            p.batch.extra = extra;
            (p.batch, p.events, p.compacted)
        };
        // The index now holds entries above the committed head, invisible to readers
        // until the head moves after the commit.
        // A view still open during the commit would make the memory backend copy its
        // whole map (copy-on-write) and keep old redb pages alive.
        drop(view);
        let meta = batch.meta;
        let unchanged = batch.puts.is_empty()
            && batch.removes.is_empty()
            && batch.extra.is_empty()
            && !compacted;
        if compacted {
            // Readers wait out this commit: until the head moves and the index is
            // compacted, a reader must neither see removed records through a new view
            // nor find versions it needs missing at the old head.
            let mut st = self.state.write().expect("poisoned");
            self.backend.commit(batch)?;
            st.revision = meta.revision;
            st.index.compact(meta.compact_revision);
            st.compact_revision = meta.compact_revision;
        } else {
            if !unchanged {
                self.backend.commit(batch)?;
            }
            self.state.write().expect("poisoned").revision = meta.revision;
        }
        for ev in events {
            self.hub.publish(ev);
        }
        Ok(responses)
    }

    fn apply_compact<V: BackendView>(
        st: &mut State,
        p: &mut Pending<'_, V>,
        rev: i64,
    ) -> Result<()> {
        if rev <= p.compact_revision {
            return Err(StoreError::Compacted {
                requested: rev,
                compacted: p.compact_revision,
            });
        }
        if rev > p.head {
            return Err(StoreError::FutureRevision {
                requested: rev,
                current: p.head,
            });
        }
        // Later writes of this batch land above `rev`, so the plan made now is what
        // compacting the index after the commit removes.
        let removed = st.index.compaction_plan(rev);
        for r in &removed {
            p.records.remove(r);
        }
        p.batch.removes.extend(removed);
        p.compact_revision = rev;
        p.compacted = true;
        Ok(())
    }

    fn apply_txn<V: BackendView>(
        st: &mut State,
        p: &mut Pending<'_, V>,
        req: &TxnRequest,
    ) -> Result<TxnResponse> {
        req.validate()?;
        let mut succeeded = true;
        for c in &req.compare {
            if !Self::compare(st, p, c)? {
                succeeded = false;
                break;
            }
        }
        let ops = if succeeded {
            &req.success
        } else {
            &req.failure
        };
        let main = p.head + 1;
        let mut sub = 0u32;
        let mut events = Vec::new();
        let mut responses = Vec::with_capacity(ops.len());
        for op in ops {
            let resp = match op {
                Op::Put {
                    key,
                    value,
                    prev_kv,
                } => {
                    let prev = st.index.latest(key).copied();
                    let rev = Rev::new(main, sub);
                    sub += 1;
                    let prev_value = match prev {
                        Some(e) => Some(kv_of(e.rev, p.record(e.rev)?)),
                        None => None,
                    };
                    let rec = Record {
                        key: key.clone(),
                        value: value.clone(),
                        create_revision: prev.map_or(main, |e| e.create_revision),
                        version: prev.map_or(1, |e| e.version + 1),
                        tombstone: false,
                    };
                    st.index.push(
                        key,
                        Entry {
                            rev,
                            create_revision: rec.create_revision,
                            version: rec.version,
                            tombstone: false,
                        },
                    );
                    events.push(Event {
                        kind: EventKind::Put,
                        kv: kv_of(rev, rec.clone()),
                        prev_kv: prev_value.clone(),
                    });
                    p.records.insert(rev, rec.clone());
                    p.batch.puts.push((rev, rec));
                    OpResponse::Put {
                        prev_kv: if *prev_kv { prev_value } else { None },
                    }
                }
                Op::Delete { range, prev_kv } => {
                    let live: Vec<(Vec<u8>, Entry)> = st
                        .index
                        .range(range, i64::MAX)
                        .map(|(k, e)| (k.to_vec(), *e))
                        .collect();
                    let mut prev_kvs = Vec::new();
                    for (key, e) in &live {
                        let rev = Rev::new(main, sub);
                        sub += 1;
                        let prev = kv_of(e.rev, p.record(e.rev)?);
                        let rec = Record {
                            key: key.clone(),
                            value: bytes::Bytes::new(),
                            create_revision: 0,
                            version: 0,
                            tombstone: true,
                        };
                        st.index.push(
                            key,
                            Entry {
                                rev,
                                create_revision: 0,
                                version: 0,
                                tombstone: true,
                            },
                        );
                        events.push(Event {
                            kind: EventKind::Delete,
                            kv: kv_of(rev, rec.clone()),
                            prev_kv: Some(prev.clone()),
                        });
                        p.records.insert(rev, rec.clone());
                        p.batch.puts.push((rev, rec));
                        if *prev_kv {
                            prev_kvs.push(prev);
                        }
                    }
                    OpResponse::Delete {
                        deleted: live.len() as i64,
                        prev_kvs,
                    }
                }
                Op::Range(r) => {
                    // after a write of this txn the read is at the txn's own revision
                    let at = if sub > 0 { main } else { p.head };
                    OpResponse::Range(Self::range_pending(st, p, r, at)?)
                }
            };
            responses.push(resp);
        }
        if sub > 0 {
            p.head = main;
            p.events.push(RevEvents {
                revision: main,
                events,
            });
        }
        Ok(TxnResponse {
            succeeded,
            revision: p.head,
            responses,
        })
    }

    fn compare<V: BackendView>(st: &State, p: &Pending<'_, V>, c: &Compare) -> Result<bool> {
        let entry = st.index.latest(&c.key).copied();
        let ord = match (&c.target, entry) {
            (CompareTarget::Value(_), None) => return Ok(false),
            (CompareTarget::Value(v), Some(e)) => p.record(e.rev)?.value.as_ref().cmp(v.as_ref()),
            (CompareTarget::Version(v), e) => e.map_or(0, |e| e.version).cmp(v),
            (CompareTarget::CreateRevision(v), e) => e.map_or(0, |e| e.create_revision).cmp(v),
            (CompareTarget::ModRevision(v), e) => e.map_or(0, |e| e.rev.main).cmp(v),
        };
        Ok(compare_holds(c.op, ord))
    }

    /// A range inside a transaction: sees the batch's own earlier writes.
    fn range_pending<V: BackendView>(
        st: &State,
        p: &Pending<'_, V>,
        req: &RangeRequest,
        at: i64,
    ) -> Result<RangeResponse> {
        let mut kvs = Vec::new();
        let mut count = 0i64;
        for (key, e) in st.index.range(&req.range, i64::MAX) {
            count += 1;
            if req.count_only || (req.limit != 0 && kvs.len() >= req.limit) {
                continue;
            }
            kvs.push(if req.keys_only {
                kv_without_value(key, e)
            } else {
                kv_of(e.rev, p.record(e.rev)?)
            });
        }
        Ok(RangeResponse {
            more: (kvs.len() as i64) < count && !req.count_only,
            kvs,
            count,
            revision: at,
        })
    }

    /// Replaces the whole state (snapshot install) and rebuilds the index. Watchers
    /// from before see the new state's history from their next revision on.
    pub fn restore(
        &self,
        records: Vec<(Rev, Record)>,
        meta: Meta,
        extra: Vec<(&'static str, Vec<u8>)>,
    ) -> Result<()> {
        let _writer = self.writer.lock().expect("poisoned");
        let mut index = KeyIndex::default();
        for (rev, rec) in &records {
            index.push(
                &rec.key,
                Entry {
                    rev: *rev,
                    create_revision: rec.create_revision,
                    version: rec.version,
                    tombstone: rec.tombstone,
                },
            );
        }
        let mut st = self.state.write().expect("poisoned");
        self.backend.replace_all(records, meta, extra)?;
        *st = State {
            index,
            revision: meta.revision,
            compact_revision: meta.compact_revision,
        };
        Ok(())
    }

    pub fn watch(self: &Arc<Self>, req: WatchRequest) -> Result<Watcher> {
        req.range.validate()?;
        let rx = self.hub.subscribe();
        let st = self.state.read().expect("poisoned");
        if req.start_revision > 0 && req.start_revision < st.compact_revision {
            return Err(StoreError::Compacted {
                requested: req.start_revision,
                compacted: st.compact_revision,
            });
        }
        let next = if req.start_revision <= 0 {
            st.revision + 1
        } else {
            req.start_revision
        };
        let source: Arc<dyn EventSource> = self.clone();
        Ok(Watcher::new(
            req,
            next,
            next <= st.revision,
            rx,
            Arc::downgrade(&source),
        ))
    }
}

/// Watch catch-up reads records straight from the backend.
impl<B: Backend> EventSource for Mvcc<B> {
    fn replay(
        &self,
        range: &KeyRange,
        from: i64,
        prev_kv: bool,
        max_records: usize,
    ) -> Result<(Vec<RevEvents>, i64, i64)> {
        let (head, view) = {
            let st = self.state.read().expect("poisoned");
            if from < st.compact_revision {
                return Err(StoreError::Compacted {
                    requested: from,
                    compacted: st.compact_revision,
                });
            }
            (st.revision, self.backend.view()?)
        };
        let mut out: Vec<RevEvents> = Vec::new();
        let mut reached = head;
        let mut scanned = 0usize;
        let mut current = from - 1;
        view.scan(Rev::new(from, 0), &mut |rev, rec| {
            if rev.main > head {
                return false;
            }
            if rev.main != current {
                if scanned >= max_records {
                    reached = current;
                    return false;
                }
                current = rev.main;
            }
            scanned += 1;
            if !range.contains(&rec.key) {
                return true;
            }
            let kind = if rec.tombstone {
                EventKind::Delete
            } else {
                EventKind::Put
            };
            let ev = Event {
                kind,
                kv: kv_of(rev, rec),
                prev_kv: None,
            };
            match out.last_mut() {
                Some(last) if last.revision == rev.main => last.events.push(ev),
                _ => out.push(RevEvents {
                    revision: rev.main,
                    events: vec![ev],
                }),
            }
            true
        })?;
        if prev_kv {
            let prevs: Vec<Vec<Option<Rev>>> = {
                let st = self.state.read().expect("poisoned");
                out.iter()
                    .map(|b| {
                        b.events
                            .iter()
                            .map(|e| {
                                st.index
                                    .previous(&e.kv.key, Rev::new(b.revision, 0))
                                    .map(|p| p.rev)
                            })
                            .collect()
                    })
                    .collect()
            };
            for (b, prevs) in out.iter_mut().zip(prevs) {
                for (e, prev) in b.events.iter_mut().zip(prevs) {
                    if let Some(rev) = prev {
                        e.prev_kv = view.get(rev)?.map(|r| kv_of(rev, r));
                    }
                }
            }
        }
        Ok((out, reached, head))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::backend::MemBackend;

    fn put(k: &str, v: &str) -> Write {
        Write::Txn(TxnRequest {
            compare: vec![],
            success: vec![Op::put(k.as_bytes(), v.as_bytes())],
            failure: vec![],
        })
    }

    /// Raft may hand the state machine committed entries in any grouping; the answers
    /// and the resulting state must not depend on it.
    #[test]
    fn grouping_writes_into_batches_does_not_change_results() {
        let writes = vec![
            put("/a", "1"),
            put("/b", "1"),
            put("/a", "2"),
            Write::Compact(3),
            put("/a", "3"),
            Write::Txn(TxnRequest {
                compare: vec![],
                success: vec![Op::delete(b"/b"), Op::Range(RangeRequest::prefix(b"/"))],
                failure: vec![],
            }),
            Write::Compact(3),
            Write::Compact(5),
            put("/c", "1"),
            Write::Compact(9),
        ];
        let one = Mvcc::open(MemBackend::default()).unwrap();
        let all_at_once = one.write_batch(&writes, vec![]).unwrap();
        let each = Mvcc::open(MemBackend::default()).unwrap();
        let one_by_one: Vec<_> = writes
            .iter()
            .map(|w| {
                each.write_batch(std::slice::from_ref(w), vec![])
                    .unwrap()
                    .remove(0)
            })
            .collect();
        assert_eq!(all_at_once, one_by_one);
        assert_eq!(one.status(), each.status());
        for rev in 0..=7 {
            let req = RangeRequest::prefix(b"/").at_revision(rev);
            assert_eq!(one.range(&req), each.range(&req), "at revision {rev}");
        }
    }
}
