//! kelp's store against etcd on the same machine, in the same run.
//!
//! `cargo bench --bench store` starts its own etcd (`/usr/bin/etcd`) on 127.0.0.1, opens
//! a kelp `RaftStore` beside it on the same filesystem, and measures for each: puts of
//! 256-byte values at 1, 8 and 64 concurrent writers, and linearizable ranges of 1 and
//! 100 keys at 1 and 8 concurrent readers. Each level runs kelp, then etcd, for a fixed
//! wall time (`KELP_BENCH_SECS`, default 5) after a 1 s warm-up. The table is printed
//! and written into `BENCHMARKS.md` between the `store-bench` markers.

mod common;

use std::fmt::Write as _;
use std::future::Future;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use etcd_client::{Client, GetOptions};
use kelp::raft::RaftStore;
use kelp::store::{RangeRequest, Store};

const ETCD: &str = "/usr/bin/etcd";
const VALUE_LEN: usize = 256;
const WARMUP: Duration = Duration::from_secs(1);
const DEFAULT_SECS: u64 = 5;
const WRITERS: [usize; 3] = [1, 8, 64];
const READERS: [usize; 2] = [1, 8];
const READ_ONE: &[u8] = b"/registry/bench/read/one";
const READ_PREFIX: &str = "/registry/bench/read/hundred/";
const READ_PREFIX_KEYS: usize = 100;
const MARK_START: &str = "<!-- store-bench:start -->";
const MARK_END: &str = "<!-- store-bench:end -->";

fn main() -> Result<()> {
    let secs = match std::env::var("KELP_BENCH_SECS") {
        Ok(s) => s
            .parse::<u64>()
            .ok()
            .filter(|&n| n > 0)
            .with_context(|| format!("KELP_BENCH_SECS={s:?} is not a positive integer"))?,
        Err(_) => DEFAULT_SECS,
    };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(Duration::from_secs(secs)))
}

async fn run(secs: Duration) -> Result<()> {
    if !Path::new(ETCD).exists() {
        bail!("{ETCD} not found: install etcd with `apt-get install etcd-server`");
    }
    let parent = common::temp_parent()?;
    // dropped last: after etcd is killed and kelp is shut down
    let tmp = tempfile::Builder::new()
        .prefix("kelp-store-bench-")
        .tempdir_in(&parent)
        .with_context(|| format!("creating a temp dir in {}", parent.display()))?;
    let fs_type = common::fs_type(tmp.path())?;
    ensure!(fs_type != "tmpfs", "{} is on tmpfs", tmp.path().display());

    let etcd = Etcd::start(tmp.path()).await?;
    let client = Client::connect([&etcd.url], None).await?;
    let kelp = Arc::new(
        RaftStore::open(&tmp.path().join("kelp"))
            .await
            .context("opening the kelp store")?,
    );

    let value = value();
    // the read set: one key, and a prefix holding exactly 100 keys
    kelp.put(READ_ONE, &value).await?;
    client.clone().put(READ_ONE, value.clone(), None).await?;
    for i in 0..READ_PREFIX_KEYS {
        let key = format!("{READ_PREFIX}{i:03}");
        kelp.put(key.as_bytes(), &value).await?;
        client.clone().put(key, value.clone(), None).await?;
    }
    KelpRead {
        store: kelp.clone(),
        read: Read::Hundred,
    }
    .run(0)
    .await?;
    EtcdRead {
        client: client.clone(),
        read: Read::Hundred,
    }
    .run(0)
    .await?;

    let mut rows = Vec::new();
    for &n in &WRITERS {
        let prefix = |w: usize| format!("/registry/bench/put/c{n}/w{w:02}/");
        let k = measure(
            (0..n).map(|w| KelpPut {
                store: kelp.clone(),
                prefix: prefix(w),
                value: value.clone(),
            }),
            secs,
        )
        .await?;
        let e = measure(
            (0..n).map(|w| EtcdPut {
                client: client.clone(),
                prefix: prefix(w),
                value: value.clone(),
            }),
            secs,
        )
        .await?;
        rows.push(Row::new("put 256 B", n, k, e));
    }
    for read in [Read::One, Read::Hundred] {
        for &n in &READERS {
            let k = measure(
                (0..n).map(|_| KelpRead {
                    store: kelp.clone(),
                    read,
                }),
                secs,
            )
            .await?;
            let e = measure(
                (0..n).map(|_| EtcdRead {
                    client: client.clone(),
                    read,
                }),
                secs,
            )
            .await?;
            rows.push(Row::new(read.name(), n, k, e));
        }
    }

    kelp.shutdown().await.context("shutting kelp down")?;
    drop(client);
    drop(etcd);

    let table = table(&rows);
    println!("\n{table}");
    let section = section(&table, secs, tmp.path(), &fs_type)?;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("BENCHMARKS.md");
    common::write_benchmarks(&path, MARK_START, MARK_END, &section)?;
    println!("wrote {}", path.display());
    Ok(())
}

fn value() -> Vec<u8> {
    (0..VALUE_LEN).map(|i| b'a' + (i % 26) as u8).collect()
}

/// etcd, killed by PID when dropped (also when the benchmark panics).
struct Etcd {
    child: Child,
    url: String,
}

impl Etcd {
    async fn start(dir: &Path) -> Result<Etcd> {
        // hold both listeners so the two ports differ, then free them for etcd
        let (client_port, peer_port) = {
            let a = TcpListener::bind("127.0.0.1:0")?;
            let b = TcpListener::bind("127.0.0.1:0")?;
            (a.local_addr()?.port(), b.local_addr()?.port())
        };
        let url = format!("http://127.0.0.1:{client_port}");
        let peer = format!("http://127.0.0.1:{peer_port}");
        let log_path = dir.join("etcd.log");
        let log = std::fs::File::create(&log_path)?;
        let child = Command::new(ETCD)
            .args(["--name", "bench", "--data-dir"])
            .arg(dir.join("etcd"))
            .args(["--listen-client-urls", &url])
            .args(["--advertise-client-urls", &url])
            .args(["--listen-peer-urls", &peer])
            .args(["--initial-advertise-peer-urls", &peer])
            .arg("--initial-cluster")
            .arg(format!("bench={peer}"))
            .args(["--quota-backend-bytes", "8589934592"])
            .args(["--log-level", "error"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {ETCD}"))?;
        let mut etcd = Etcd { child, url };

        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = etcd.child.try_wait()? {
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                bail!("etcd exited with {status} before answering:\n{log}");
            }
            let probe = async {
                let mut c = Client::connect([&etcd.url], None).await?;
                c.status().await
            };
            if let Ok(Ok(_)) = tokio::time::timeout(Duration::from_millis(500), probe).await {
                return Ok(etcd);
            }
            if Instant::now() >= deadline {
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                bail!("etcd did not answer on {} within 30 s:\n{log}", etcd.url);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Etcd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One benchmarked operation, run in a loop by one task.
trait Op: Send + 'static {
    fn run(&mut self, seq: u64) -> impl Future<Output = Result<()>> + Send;
}

struct KelpPut {
    store: Arc<RaftStore>,
    prefix: String,
    value: Vec<u8>,
}

impl Op for KelpPut {
    async fn run(&mut self, seq: u64) -> Result<()> {
        let key = format!("{}{seq:010}", self.prefix);
        self.store.put(key.as_bytes(), &self.value).await?;
        Ok(())
    }
}

struct EtcdPut {
    client: Client,
    prefix: String,
    value: Vec<u8>,
}

impl Op for EtcdPut {
    async fn run(&mut self, seq: u64) -> Result<()> {
        let key = format!("{}{seq:010}", self.prefix);
        self.client.put(key, self.value.clone(), None).await?;
        Ok(())
    }
}

#[derive(Clone, Copy)]
enum Read {
    One,
    Hundred,
}

impl Read {
    fn name(self) -> &'static str {
        match self {
            Read::One => "range 1 key",
            Read::Hundred => "range 100 keys",
        }
    }

    fn expected(self) -> usize {
        match self {
            Read::One => 1,
            Read::Hundred => READ_PREFIX_KEYS,
        }
    }
}

struct KelpRead {
    store: Arc<RaftStore>,
    read: Read,
}

impl Op for KelpRead {
    async fn run(&mut self, _: u64) -> Result<()> {
        let req = match self.read {
            Read::One => RangeRequest::key(READ_ONE),
            Read::Hundred => RangeRequest::prefix(READ_PREFIX.as_bytes()),
        };
        let got = self.store.range(req).await?.kvs.len();
        ensure!(got == self.read.expected(), "kelp returned {got} keys");
        Ok(())
    }
}

struct EtcdRead {
    client: Client,
    read: Read,
}

impl Op for EtcdRead {
    async fn run(&mut self, _: u64) -> Result<()> {
        let resp = match self.read {
            Read::One => self.client.get(READ_ONE, None).await?,
            Read::Hundred => {
                let opts = GetOptions::new().with_prefix();
                self.client.get(READ_PREFIX, Some(opts)).await?
            }
        };
        let got = resp.kvs().len();
        ensure!(got == self.read.expected(), "etcd returned {got} keys");
        Ok(())
    }
}

struct Stats {
    ops_per_sec: f64,
    p50: Duration,
    p99: Duration,
}

/// Runs one task per worker for the warm-up and then `secs`; counts the operations that
/// started after the warm-up and finished within the window.
async fn measure<O: Op>(workers: impl Iterator<Item = O>, secs: Duration) -> Result<Stats> {
    let from = Instant::now() + WARMUP;
    let until = from + secs;
    let tasks: Vec<_> = workers
        .map(|mut op| {
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(1 << 16);
                let mut seq = 0;
                loop {
                    let start = Instant::now();
                    if start >= until {
                        break;
                    }
                    op.run(seq).await?;
                    seq += 1;
                    let end = Instant::now();
                    if start >= from && end <= until {
                        latencies.push(end - start);
                    }
                }
                anyhow::Ok(latencies)
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await??);
    }
    ensure!(!all.is_empty(), "no operation completed in the window");
    all.sort_unstable();
    let pct = |p: f64| all[((all.len() as f64 * p).ceil() as usize).clamp(1, all.len()) - 1];
    Ok(Stats {
        ops_per_sec: all.len() as f64 / secs.as_secs_f64(),
        p50: pct(0.50),
        p99: pct(0.99),
    })
}

struct Row {
    workload: &'static str,
    concurrency: usize,
    kelp: Stats,
    etcd: Stats,
}

impl Row {
    fn new(workload: &'static str, concurrency: usize, kelp: Stats, etcd: Stats) -> Row {
        let ratio = kelp.ops_per_sec / etcd.ops_per_sec;
        eprintln!(
            "{workload} x{concurrency}: kelp {:.0}/s, etcd {:.0}/s ({ratio:.2}x)",
            kelp.ops_per_sec, etcd.ops_per_sec
        );
        Row {
            workload,
            concurrency,
            kelp,
            etcd,
        }
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn table(rows: &[Row]) -> String {
    let mut t = String::from(
        "| workload | concurrency | kelp ops/s | kelp p50 | kelp p99 | etcd ops/s | etcd p50 | etcd p99 | kelp/etcd throughput ratio |\n\
         |---|--:|--:|--:|--:|--:|--:|--:|--:|\n",
    );
    for r in rows {
        let _ = writeln!(
            t,
            "| {} | {} | {:.0} | {} | {} | {:.0} | {} | {} | {:.2}× |",
            r.workload,
            r.concurrency,
            r.kelp.ops_per_sec,
            ms(r.kelp.p50),
            ms(r.kelp.p99),
            r.etcd.ops_per_sec,
            ms(r.etcd.p50),
            ms(r.etcd.p99),
            r.kelp.ops_per_sec / r.etcd.ops_per_sec,
        );
    }
    t
}

fn section(table: &str, secs: Duration, data: &Path, fs_type: &str) -> Result<String> {
    let secs = secs.as_secs();
    let command = match std::env::var("KELP_BENCH_SECS") {
        Ok(s) => format!("KELP_BENCH_SECS={s} cargo bench --bench store"),
        Err(_) => "cargo bench --bench store".to_string(),
    };
    let uname = common::output("uname", &["-srm"])?;
    let etcd_version = common::output(ETCD, &["--version"])?;
    let etcd_version = etcd_version.lines().next().unwrap_or_default();
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name")?.split_once(':'))
        .map_or("unknown CPU", |(_, m)| m.trim());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kib: u64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    let mem = mem_kib as f64 / (1024.0 * 1024.0);
    let parent = data.parent().unwrap_or(data).display();
    Ok(format!(
        "## Store: kelp vs etcd\n\
         \n\
         - Date: {date}\n\
         - Machine: {uname}, {cpu}, {cores} cores, {mem:.1} GiB memory\n\
         - Data dirs: both under one temp dir in `{parent}` ({fs_type})\n\
         - etcd: {etcd_version}, started by the benchmark on 127.0.0.1 with \
           `--quota-backend-bytes 8589934592`, otherwise defaults\n\
         - Command: `{command}` (cargo's `bench` profile: opt-level 3 without LTO)\n\
         - Method: per level kelp runs, then etcd, each for {secs} s after a 1 s warm-up; \
           writers are tokio tasks, each putting its own keys (256-byte values); reads are \
           linearizable (etcd's default; kelp's `range` calls `ensure_linearizable`, then \
           reads locally); the 100-key range is a prefix holding exactly 100 keys. \
           p50/p99 are per-operation latencies.\n\
         \n\
         {table}\n\
         kelp's store is measured in-process (as kelp's API server will call it — no \
         network hop), while etcd is measured over gRPC on loopback (as a Kubernetes API \
         server talks to it). Both fsync every acknowledged write.\n",
        date = common::utc_now(),
    ))
}
