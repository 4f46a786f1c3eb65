//! Byte layout of store records on disk.
//!
//! A record is one version of one key, stored under its revision `(main, sub)`:
//!
//! ```text
//! offset  size  field
//! 0       1     record format, currently 1
//! 1       1     flags: bit 0 = tombstone (the key was deleted at this revision)
//! 2       8     create revision, u64 little endian (0 for a tombstone)
//! 10      8     version, u64 little endian (0 for a tombstone)
//! 18      4     key length K, u32 little endian
//! 22      K     key
//! 22+K    rest  value (empty for a tombstone)
//! ```
//!
//! Architecture Invariant: a record is immutable once written; only compaction removes
//! it. A record of an unknown format is an error, never guessed at.

use bytes::Bytes;

use super::backend::Record;

const FORMAT: u8 = 1;
const TOMBSTONE: u8 = 1;
const HEADER: usize = 22;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("record is {0} bytes, shorter than its header")]
    Short(usize),
    #[error("record format {0} is unknown to this kelp (written by a newer version?)")]
    UnknownFormat(u8),
    #[error("record key length {key_len} exceeds the record's {len} bytes")]
    KeyOverflow { key_len: usize, len: usize },
}

pub fn encode_record(r: &Record) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + r.key.len() + r.value.len());
    out.push(FORMAT);
    out.push(if r.tombstone { TOMBSTONE } else { 0 });
    out.extend_from_slice(&(r.create_revision as u64).to_le_bytes());
    out.extend_from_slice(&(r.version as u64).to_le_bytes());
    out.extend_from_slice(&(r.key.len() as u32).to_le_bytes());
    out.extend_from_slice(&r.key);
    out.extend_from_slice(&r.value);
    out
}

pub fn decode_record(b: &[u8]) -> Result<Record, DecodeError> {
    if b.len() < HEADER {
        return Err(DecodeError::Short(b.len()));
    }
    if b[0] != FORMAT {
        return Err(DecodeError::UnknownFormat(b[0]));
    }
    let u64_at = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"));
    let key_len = u32::from_le_bytes(b[18..22].try_into().expect("4 bytes")) as usize;
    if HEADER + key_len > b.len() {
        return Err(DecodeError::KeyOverflow {
            key_len,
            len: b.len(),
        });
    }
    Ok(Record {
        key: b[HEADER..HEADER + key_len].to_vec(),
        value: Bytes::copy_from_slice(&b[HEADER + key_len..]),
        create_revision: u64_at(2) as i64,
        version: u64_at(10) as i64,
        tombstone: b[1] & TOMBSTONE != 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let cases = [
            Record {
                key: b"/registry/pods/default/a".to_vec(),
                value: Bytes::from_static(b"{\"kind\":\"Pod\"}"),
                create_revision: 7,
                version: 3,
                tombstone: false,
            },
            Record {
                key: b"k".to_vec(),
                value: Bytes::new(),
                create_revision: 0,
                version: 0,
                tombstone: true,
            },
        ];
        for r in cases {
            assert_eq!(decode_record(&encode_record(&r)).unwrap(), r);
        }
    }

    #[test]
    fn rejects_bad_bytes() {
        let good = encode_record(&Record {
            key: b"key".to_vec(),
            value: Bytes::from_static(b"v"),
            create_revision: 1,
            version: 1,
            tombstone: false,
        });
        assert_eq!(decode_record(&good[..5]), Err(DecodeError::Short(5)));
        let mut newer = good.clone();
        newer[0] = 2;
        assert_eq!(decode_record(&newer), Err(DecodeError::UnknownFormat(2)));
        let mut long_key = good.clone();
        long_key[18] = 200;
        assert!(matches!(
            decode_record(&long_key),
            Err(DecodeError::KeyOverflow { .. })
        ));
    }
}
