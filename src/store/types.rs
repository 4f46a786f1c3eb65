//! Request and response types of the store, shaped after etcd v3's `rpc.proto`.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// A set of keys: one key, or the half-open interval `[start, end)`.
/// `end == None` on a `Range` means "to the end of the keyspace".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyRange {
    Key(#[serde(with = "serde_bytes")] Vec<u8>),
    Range {
        #[serde(with = "serde_bytes")]
        start: Vec<u8>,
        end: Option<serde_bytes::ByteBuf>,
    },
}

impl KeyRange {
    pub fn key(key: &[u8]) -> Self {
        KeyRange::Key(key.to_vec())
    }

    /// Every key that starts with `prefix`.
    pub fn prefix(prefix: &[u8]) -> Self {
        KeyRange::Range {
            start: prefix.to_vec(),
            end: prefix_end(prefix).map(serde_bytes::ByteBuf::from),
        }
    }

    pub fn range(start: &[u8], end: Option<&[u8]>) -> Self {
        KeyRange::Range {
            start: start.to_vec(),
            end: end.map(|e| serde_bytes::ByteBuf::from(e.to_vec())),
        }
    }

    pub fn contains(&self, key: &[u8]) -> bool {
        match self {
            KeyRange::Key(k) => k.as_slice() == key,
            KeyRange::Range { start, end } => {
                key >= start.as_slice() && end.as_ref().is_none_or(|e| key < e.as_slice())
            }
        }
    }

    /// The first key of the set.
    pub fn start(&self) -> &[u8] {
        match self {
            KeyRange::Key(k) => k,
            KeyRange::Range { start, .. } => start,
        }
    }

    pub(crate) fn validate(&self) -> super::Result<()> {
        match self {
            KeyRange::Key(k) if k.is_empty() => Err(super::StoreError::InvalidRequest(
                "key is not provided".into(),
            )),
            KeyRange::Range {
                start,
                end: Some(e),
            } if e.as_slice() <= start.as_slice() => Err(super::StoreError::InvalidRequest(
                "range end must be greater than start".into(),
            )),
            _ => Ok(()),
        }
    }
}

/// The smallest key greater than every key with this prefix, or `None` when no such
/// key exists (the prefix is empty or all 0xff).
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// One key at one revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyValue {
    #[serde(with = "serde_bytes")]
    pub key: Vec<u8>,
    /// Revision of the put that created this incarnation of the key.
    pub create_revision: i64,
    /// Revision of the last change.
    pub mod_revision: i64,
    /// Number of puts since creation (1 after create); reset by delete.
    pub version: i64,
    pub value: Bytes,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeRequest {
    pub range: KeyRange,
    /// Maximum keys returned; 0 means no limit.
    pub limit: usize,
    /// Revision to read at; 0 means the head.
    pub revision: i64,
    /// Return only the count.
    pub count_only: bool,
    /// Return keys and metadata without values.
    pub keys_only: bool,
}

impl RangeRequest {
    pub fn new(range: KeyRange) -> Self {
        RangeRequest {
            range,
            limit: 0,
            revision: 0,
            count_only: false,
            keys_only: false,
        }
    }

    pub fn key(key: &[u8]) -> Self {
        Self::new(KeyRange::key(key))
    }

    pub fn prefix(prefix: &[u8]) -> Self {
        Self::new(KeyRange::prefix(prefix))
    }

    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    pub fn at_revision(mut self, revision: i64) -> Self {
        self.revision = revision;
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RangeResponse {
    pub kvs: Vec<KeyValue>,
    /// More keys matched than `limit` allowed.
    pub more: bool,
    /// How many keys matched in all (ignores `limit`).
    pub count: i64,
    /// The revision the read was served at (the head when `revision == 0`).
    pub revision: i64,
}

/// What a [`Compare`] looks at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CompareTarget {
    Version(i64),
    CreateRevision(i64),
    ModRevision(i64),
    Value(Bytes),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CompareOp {
    Equal,
    NotEqual,
    Less,
    Greater,
}

/// A condition on one key. A missing key has version, create and mod revision 0, and
/// every `Value` comparison on it is false (as in etcd).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Compare {
    #[serde(with = "serde_bytes")]
    pub key: Vec<u8>,
    pub op: CompareOp,
    pub target: CompareTarget,
}

impl Compare {
    pub fn mod_revision(key: &[u8], op: CompareOp, revision: i64) -> Self {
        Compare {
            key: key.to_vec(),
            op,
            target: CompareTarget::ModRevision(revision),
        }
    }

    pub fn version(key: &[u8], op: CompareOp, version: i64) -> Self {
        Compare {
            key: key.to_vec(),
            op,
            target: CompareTarget::Version(version),
        }
    }

    /// True when the key does not exist.
    pub fn absent(key: &[u8]) -> Self {
        Self::version(key, CompareOp::Equal, 0)
    }

    pub fn value(key: &[u8], op: CompareOp, value: &[u8]) -> Self {
        Compare {
            key: key.to_vec(),
            op,
            target: CompareTarget::Value(Bytes::copy_from_slice(value)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    Put {
        #[serde(with = "serde_bytes")]
        key: Vec<u8>,
        value: Bytes,
        prev_kv: bool,
    },
    Delete {
        range: KeyRange,
        prev_kv: bool,
    },
    Range(RangeRequest),
}

impl Op {
    pub fn put(key: &[u8], value: &[u8]) -> Self {
        Op::Put {
            key: key.to_vec(),
            value: Bytes::copy_from_slice(value),
            prev_kv: false,
        }
    }

    pub fn delete(key: &[u8]) -> Self {
        Op::Delete {
            range: KeyRange::key(key),
            prev_kv: false,
        }
    }

    pub fn get(key: &[u8]) -> Self {
        Op::Range(RangeRequest::key(key))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TxnRequest {
    pub compare: Vec<Compare>,
    pub success: Vec<Op>,
    pub failure: Vec<Op>,
}

impl TxnRequest {
    /// Checks the request without looking at data: keys present, ranges ordered, no key
    /// written twice in one branch, reads only at the head.
    pub(crate) fn validate(&self) -> super::Result<()> {
        for c in &self.compare {
            if c.key.is_empty() {
                return Err(super::StoreError::InvalidRequest(
                    "compare key is not provided".into(),
                ));
            }
        }
        for branch in [&self.success, &self.failure] {
            let mut put_keys: Vec<&[u8]> = Vec::new();
            let mut delete_ranges: Vec<&KeyRange> = Vec::new();
            for op in branch {
                match op {
                    Op::Put { key, .. } => {
                        if key.is_empty() {
                            return Err(super::StoreError::InvalidRequest(
                                "key is not provided".into(),
                            ));
                        }
                        put_keys.push(key);
                    }
                    Op::Delete { range, .. } => {
                        range.validate()?;
                        delete_ranges.push(range);
                    }
                    Op::Range(r) => {
                        r.range.validate()?;
                        if r.revision != 0 {
                            return Err(super::StoreError::InvalidRequest(
                                "a range inside a transaction reads at the transaction's revision"
                                    .into(),
                            ));
                        }
                    }
                }
            }
            put_keys.sort_unstable();
            if put_keys.windows(2).any(|w| w[0] == w[1]) {
                return Err(super::StoreError::InvalidRequest(
                    "duplicate key given in txn request".into(),
                ));
            }
            if put_keys
                .iter()
                .any(|k| delete_ranges.iter().any(|r| r.contains(k)))
            {
                return Err(super::StoreError::InvalidRequest(
                    "duplicate key given in txn request".into(),
                ));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OpResponse {
    Put {
        prev_kv: Option<KeyValue>,
    },
    Delete {
        deleted: i64,
        prev_kvs: Vec<KeyValue>,
    },
    Range(RangeResponse),
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TxnResponse {
    pub succeeded: bool,
    /// The store's revision after the transaction (its own revision if it wrote).
    pub revision: i64,
    pub responses: Vec<OpResponse>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchRequest {
    pub range: KeyRange,
    /// First revision to deliver; 0 means "changes after now".
    pub start_revision: i64,
    /// Attach the previous version of each key to its event, when still retained.
    pub prev_kv: bool,
}

impl WatchRequest {
    pub fn prefix(prefix: &[u8], start_revision: i64) -> Self {
        WatchRequest {
            range: KeyRange::prefix(prefix),
            start_revision,
            prev_kv: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventKind {
    Put,
    Delete,
}

/// One change. For a delete, `kv` holds the key, `mod_revision` is the delete's
/// revision, and version/create revision/value are empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub kind: EventKind,
    pub kv: KeyValue,
    pub prev_kv: Option<KeyValue>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StoreStatus {
    pub revision: i64,
    pub compact_revision: i64,
}
