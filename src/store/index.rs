//! The in-memory key index: for each key, the revisions at which it changed.
//!
//! Values live in the backend under their revision; the index answers "which revision
//! holds key K as of revision R" without touching disk, as etcd's `treeIndex` does.
//! The writer may append entries above the committed head before its batch is
//! durable; readers only ever look at or below the committed head, so they never see
//! them.

use std::collections::BTreeMap;
use std::ops::Bound;

use super::backend::Rev;
use super::types::KeyRange;

/// One change of one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    pub rev: Rev,
    pub create_revision: i64,
    pub version: i64,
    pub tombstone: bool,
}

#[derive(Debug, Default)]
pub(crate) struct KeyIndex {
    keys: BTreeMap<Vec<u8>, Vec<Entry>>,
}

/// How many of a key's oldest entries compaction at `at` drops: all older than the
/// one visible at `at`, and that one too if it is a tombstone older than `at`.
fn compactable(entries: &[Entry], at: i64) -> usize {
    let n = entries.partition_point(|e| e.rev.main <= at);
    match entries[..n].last() {
        None => 0,
        Some(last) if last.tombstone && last.rev.main < at => n,
        Some(_) => n - 1,
    }
}

/// The entry visible at revision `at`, if the key is live then.
fn visible(entries: &[Entry], at: i64) -> Option<&Entry> {
    let n = entries.partition_point(|e| e.rev.main <= at);
    entries[..n].last().filter(|e| !e.tombstone)
}

impl KeyIndex {
    pub fn push(&mut self, key: &[u8], entry: Entry) {
        match self.keys.get_mut(key) {
            Some(entries) => {
                debug_assert!(entries.last().is_none_or(|e| e.rev < entry.rev));
                entries.push(entry)
            }
            None => {
                self.keys.insert(key.to_vec(), vec![entry]);
            }
        }
    }

    /// The key's newest entry including uncommitted ones, if it is live.
    pub fn latest(&self, key: &[u8]) -> Option<&Entry> {
        self.keys
            .get(key)
            .and_then(|e| e.last())
            .filter(|e| !e.tombstone)
    }

    /// The entry visible at `at`.
    #[cfg(test)]
    pub fn get(&self, key: &[u8], at: i64) -> Option<&Entry> {
        self.keys.get(key).and_then(|e| visible(e, at))
    }

    /// The entry that preceded the change at `rev`, if the key was live before it.
    pub fn previous(&self, key: &[u8], rev: Rev) -> Option<&Entry> {
        let entries = self.keys.get(key)?;
        let n = entries.partition_point(|e| e.rev < rev);
        entries[..n].last().filter(|e| !e.tombstone)
    }

    /// Keys live at `at` within `range`, in key order.
    pub fn range<'a>(
        &'a self,
        range: &'a KeyRange,
        at: i64,
    ) -> Box<dyn Iterator<Item = (&'a [u8], &'a Entry)> + 'a> {
        match range {
            KeyRange::Key(k) => Box::new(
                self.keys
                    .get_key_value(k.as_slice())
                    .and_then(|(k, e)| visible(e, at).map(|e| (k.as_slice(), e)))
                    .into_iter(),
            ),
            KeyRange::Range { start, end } => {
                let upper = match end {
                    Some(e) => Bound::Excluded(e.as_slice()),
                    None => Bound::Unbounded,
                };
                Box::new(
                    self.keys
                        .range::<[u8], _>((Bound::Included(start.as_slice()), upper))
                        .filter_map(move |(k, e)| visible(e, at).map(|e| (k.as_slice(), e))),
                )
            }
        }
    }

    /// Drops history below `at`: per key, every entry older than the one visible at
    /// `at`, and that one too if it is a tombstone older than `at`. Returns the
    /// revisions whose records the backend may delete.
    pub fn compact(&mut self, at: i64) -> Vec<Rev> {
        let mut removed = Vec::new();
        self.keys.retain(|_, entries| {
            let n = compactable(entries, at);
            removed.extend(entries.drain(..n).map(|e| e.rev));
            !entries.is_empty()
        });
        removed
    }

    /// What [`KeyIndex::compact`] would remove, without removing it.
    pub fn compaction_plan(&self, at: i64) -> Vec<Rev> {
        self.keys
            .values()
            .flat_map(|entries| entries[..compactable(entries, at)].iter().map(|e| e.rev))
            .collect()
    }

    #[cfg(test)]
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(main: i64, create: i64, version: i64) -> Entry {
        Entry {
            rev: Rev::new(main, 0),
            create_revision: create,
            version,
            tombstone: false,
        }
    }

    fn del(main: i64) -> Entry {
        Entry {
            rev: Rev::new(main, 0),
            create_revision: 0,
            version: 0,
            tombstone: true,
        }
    }

    #[test]
    fn visibility_and_compaction() {
        let mut idx = KeyIndex::default();
        idx.push(b"a", put(2, 2, 1));
        idx.push(b"a", put(4, 2, 2));
        idx.push(b"a", del(6));
        idx.push(b"a", put(8, 8, 1));
        idx.push(b"b", put(3, 3, 1));

        assert_eq!(idx.get(b"a", 1), None);
        assert_eq!(idx.get(b"a", 3).unwrap().version, 1);
        assert_eq!(idx.get(b"a", 5).unwrap().version, 2);
        assert_eq!(idx.get(b"a", 6), None);
        assert_eq!(idx.get(b"a", 9).unwrap().create_revision, 8);
        assert_eq!(idx.previous(b"a", Rev::new(4, 0)).unwrap().rev.main, 2);
        assert_eq!(idx.previous(b"a", Rev::new(8, 0)), None);

        let all = KeyRange::prefix(b"");
        let at5: Vec<_> = idx.range(&all, 5).map(|(k, _)| k.to_vec()).collect();
        assert_eq!(at5, vec![b"a".to_vec(), b"b".to_vec()]);
        let at7: Vec<_> = idx.range(&all, 7).map(|(k, _)| k.to_vec()).collect();
        assert_eq!(at7, vec![b"b".to_vec()]);

        // compacting at 5 keeps a@4 (visible at 5)
        let mut removed = idx.compact(5);
        removed.sort();
        assert_eq!(removed, vec![Rev::new(2, 0)]);
        assert_eq!(idx.get(b"a", 5).unwrap().version, 2);
        // compacting at 7 drops a@4 and the tombstone at 6; the plan says so first
        let mut plan = idx.compaction_plan(7);
        plan.sort();
        let mut removed = idx.compact(7);
        removed.sort();
        assert_eq!(removed, vec![Rev::new(4, 0), Rev::new(6, 0)]);
        assert_eq!(plan, removed);
        assert_eq!(idx.get(b"a", 9).unwrap().version, 1);
        // a tombstone exactly at the compaction point is kept (a watch from there
        // must still see the delete)
        idx.push(b"b", del(10));
        assert_eq!(idx.compact(10), vec![Rev::new(3, 0)]);
        idx.push(b"c", put(11, 11, 1));
        assert_eq!(idx.compact(11), vec![Rev::new(10, 0)]);
        assert_eq!(idx.key_count(), 2);
    }
}
