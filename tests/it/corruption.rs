//! A damaged store file is refused at start with a clear error, never served.

use kelp::raft::RaftStore;
use kelp::store::Store;

const MARKER: &[u8] = b"KELP-CORRUPTION-MARKER-";

/// A store holding recognisable values, shut down cleanly. Returns the file path.
fn make_store(dir: &std::path::Path) -> std::path::PathBuf {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = RaftStore::open(dir).await.unwrap();
        for i in 0..200 {
            let mut v = MARKER.to_vec();
            v.extend(format!("{i:05}").as_bytes());
            v.resize(512, b'.');
            store
                .put(format!("/c/{i:05}").as_bytes(), &v)
                .await
                .unwrap();
        }
        store.shutdown().await.unwrap();
    });
    dir.join("kelp.redb")
}

fn open_error(dir: &std::path::Path) -> String {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        match RaftStore::open(dir).await {
            Ok(store) => {
                let n = store
                    .range(kelp::store::RangeRequest::prefix(b"/c/"))
                    .await
                    .map(|r| r.count);
                panic!("a damaged store opened and served {n:?} keys")
            }
            Err(e) => e.to_string(),
        }
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Vec<usize> {
    haystack
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn bit_flip_in_stored_data_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let path = make_store(dir.path());
    let mut bytes = std::fs::read(&path).unwrap();
    let hits = find(&bytes, MARKER);
    assert!(!hits.is_empty(), "values not found in the file");
    // flip one bit in the middle of a stored value
    let at = hits[hits.len() / 2] + 3;
    bytes[at] ^= 0x10;
    std::fs::write(&path, &bytes).unwrap();
    let err = open_error(dir.path());
    assert!(err.contains("corrupt"), "unclear error: {err}");
}

#[test]
fn truncated_file_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let path = make_store(dir.path());
    let len = std::fs::metadata(&path).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    f.set_len(len / 2).unwrap();
    drop(f);
    let err = open_error(dir.path());
    assert!(
        err.contains("kelp.redb"),
        "error does not name the file: {err}"
    );
}

#[test]
fn bit_flip_in_header_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let path = make_store(dir.path());
    let mut bytes = std::fs::read(&path).unwrap();
    // redb's header lives in the first page; damage the commit slot area
    for at in [64usize, 200] {
        bytes[at] ^= 0x01;
    }
    std::fs::write(&path, &bytes).unwrap();
    let err = open_error(dir.path());
    assert!(
        err.contains("kelp.redb"),
        "error does not name the file: {err}"
    );
}
