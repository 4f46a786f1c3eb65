//! Durability under `kill -9`: a child process writes atomic 3-key transactions as
//! fast as it can and reports each acknowledged one on stdout; the parent kills it at
//! random moments, reopens the store and checks that every acknowledged transaction
//! is there and no transaction is half applied.
//!
//! The child is this test binary re-run with `KELP_CRASH_CHILD_DIR` set (see
//! `crash_child_process`), so it runs the real `RaftStore` code path in its own
//! process.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write as _};
use std::process::{Command, Stdio};
use std::sync::Arc;

use kelp::raft::RaftStore;
use kelp::store::{Op, RangeRequest, Store, TxnRequest};

use crate::support::Rng;

const CHILD_ENV: &str = "KELP_CRASH_CHILD_DIR";
const RUN_ENV: &str = "KELP_CRASH_RUN";
const WRITERS: usize = 16;

fn value(run: u64, task: usize, j: u64) -> Vec<u8> {
    let mut v = format!("{run}-{task}-{j}-").into_bytes();
    v.resize(256, b'x');
    v
}

/// Entry point of the child process; does nothing in a normal test run.
#[test]
fn crash_child_process() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let run: u64 = std::env::var(RUN_ENV).unwrap().parse().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async move {
        let store = Arc::new(RaftStore::open(std::path::Path::new(&dir)).await.unwrap());
        println!("READY");
        let mut tasks = Vec::new();
        for task in 0..WRITERS {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                for j in 0u64.. {
                    let v = value(run, task, j);
                    let base = format!("/crash/{run}/{task}/{j:08}");
                    let txn = TxnRequest {
                        compare: vec![],
                        success: vec![
                            Op::put(format!("{base}/a").as_bytes(), &v),
                            Op::put(format!("{base}/b").as_bytes(), &v),
                            Op::put(format!("/crash/{run}/counter/{task}").as_bytes(), &v),
                        ],
                        failure: vec![],
                    };
                    store.txn(txn).await.unwrap();
                    // stdout is line buffered, so each line is written whole; the
                    // parent may close the pipe before it kills us: stop quietly then
                    if writeln!(std::io::stdout(), "ACK {task} {j}").is_err() {
                        return;
                    }
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    });
}

/// Runs one child until it has acknowledged `kill_after` transactions (0: kill as
/// soon as it has started), then SIGKILLs it. Returns the acknowledged (task, j).
fn run_child(dir: &std::path::Path, run: u64, kill_after: usize) -> Vec<(usize, u64)> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crash::crash_child_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, dir)
        .env(RUN_ENV, run.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut acked = Vec::new();
    let mut ready = false;
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        // libtest prints "test NAME ... " without a newline before the child's output
        if line.ends_with("READY") {
            ready = true;
            if kill_after == 0 {
                break;
            }
        } else if let Some(rest) = line.find("ACK ").map(|i| &line[i + 4..]) {
            let mut it = rest.split(' ');
            let task = it.next().unwrap().parse().unwrap();
            let j = it.next().unwrap().parse().unwrap();
            acked.push((task, j));
            if acked.len() >= kill_after {
                break;
            }
        }
    }
    assert!(ready, "child never became ready");
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    acked
}

async fn verify(dir: &std::path::Path, runs: &BTreeMap<u64, Vec<(usize, u64)>>) -> usize {
    let store = RaftStore::open(dir)
        .await
        .expect("store reopens after kill -9");
    let mut total = 0;
    for (run, acked) in runs {
        let resp = store
            .range(RangeRequest::prefix(format!("/crash/{run}/").as_bytes()))
            .await
            .unwrap();
        let kvs: BTreeMap<Vec<u8>, Vec<u8>> = resp
            .kvs
            .into_iter()
            .map(|kv| (kv.key, kv.value.to_vec()))
            .collect();
        // every acknowledged transaction is complete
        for &(task, j) in acked {
            let base = format!("/crash/{run}/{task}/{j:08}");
            for k in ["a", "b"] {
                let key = format!("{base}/{k}");
                assert_eq!(
                    kvs.get(key.as_bytes()),
                    Some(&value(*run, task, j)),
                    "acknowledged write {key} lost"
                );
            }
        }
        // no transaction is half applied: each a has its b and vice versa, and a
        // task's counter names its newest transaction
        let mut newest: BTreeMap<usize, u64> = BTreeMap::new();
        for key in kvs.keys() {
            let key = String::from_utf8(key.clone()).unwrap();
            let parts: Vec<&str> = key.split('/').collect();
            if parts[3] == "counter" {
                continue;
            }
            let (task, j): (usize, u64) = (parts[3].parse().unwrap(), parts[4].parse().unwrap());
            let other = format!(
                "/crash/{run}/{task}/{j:08}/{}",
                if parts[5] == "a" { "b" } else { "a" }
            );
            assert!(
                kvs.contains_key(other.as_bytes()),
                "{key} without {other}: half-applied txn"
            );
            let e = newest.entry(task).or_default();
            *e = (*e).max(j);
        }
        for (task, j) in newest {
            let counter = kvs
                .get(format!("/crash/{run}/counter/{task}").as_bytes())
                .expect("counter written with every txn");
            assert_eq!(
                counter,
                &value(*run, task, j),
                "counter of task {task} disagrees"
            );
        }
        total += acked.len();
    }
    store.shutdown().await.unwrap();
    total
}

#[test]
fn acknowledged_writes_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::from_env("acknowledged_writes_survive_kill_9");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut runs = BTreeMap::new();
    let kills = 12;
    for run in 0..kills {
        // one kill right at start-up, the rest mid-load after a random number of acks
        let kill_after = if run == 1 {
            0
        } else {
            1 + rng.below(400) as usize
        };
        let acked = run_child(dir.path(), run, kill_after);
        runs.insert(run, acked);
        let checked = rt.block_on(verify(dir.path(), &runs));
        eprintln!(
            "run {run}: killed after {kill_after} acks; {checked} acknowledged txns verified"
        );
    }
    assert!(runs.values().map(Vec::len).sum::<usize>() > 100);
}
