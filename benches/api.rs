//! The real `kelp` binary's API server under load, over TLS on 127.0.0.1.
//!
//! `cargo bench --bench api` starts `kelp server` on a fresh data dir (on a real
//! filesystem, never tmpfs) and drives it with a hyper 1 HTTP/2 client (tokio-rustls,
//! the admin client certificate and CA of the kubeconfig kelp writes; a pool of
//! keep-alive connections). It measures:
//!
//! 1. time from process start to `/readyz` answering 200 on a warm data dir (start,
//!    SIGTERM, start again: the second start; `/readyz` polled every 5 ms);
//! 2. the server's idle RSS right after ready and 5 s later;
//! 3. ConfigMap creates at 1, 16 and 64 concurrent clients, each for `KELP_BENCH_SECS`
//!    (default 5) after a 1 s warm-up;
//! 4. creating 10,000 Pods (64 concurrent), then 20 sequential LISTs of all of them;
//! 5. 1,000 watches of one Pod each while every Pod is patched once a second for 20 s:
//!    events expected vs received, delivery latency, RSS; first the same patch load for
//!    5 s on pods nobody watches, for comparison.
//!
//! Alongside: server and client CPU per phase (from `/proc`), and how much CPU other
//! processes took meanwhile, since the client shares the machine with the server.
//!
//! The table is printed and written into `BENCHMARKS.md` between the `api-bench`
//! markers. The server is killed by PID when the benchmark ends or fails.

mod common;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow, bail, ensure};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http2::SendRequest;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio_rustls::TlsConnector;
use tokio_util::sync::CancellationToken;

const KELP: &str = env!("CARGO_BIN_EXE_kelp");
const DEFAULT_SECS: u64 = 5;
const WARMUP: Duration = Duration::from_secs(1);
/// Keep-alive HTTP/2 connections shared by the request-response phases.
const POOL: usize = 8;
const READY_POLL: Duration = Duration::from_millis(5);
const READY_DEADLINE: Duration = Duration::from_secs(30);
/// Warm restarts after the measured one, reported as a spread.
const EXTRA_RESTARTS: usize = 5;
const IDLE_WAIT: Duration = Duration::from_secs(5);
const CREATE_LEVELS: [usize; 3] = [1, 16, 64];
const CM_DATA_LEN: usize = 256;
const POD_CONCURRENCY: usize = 64;
const LIST_PODS: usize = 10_000;
const LIST_RUNS: usize = 20;
/// Bound on one bulk-create phase.
const CREATE_DEADLINE: Duration = Duration::from_secs(180);
const REQUEST_DEADLINE: Duration = Duration::from_secs(60);
const WATCHERS: usize = 1_000;
/// Watch streams per connection: 50, well below hyper's 200 concurrent streams.
const WATCH_CONNS: usize = 20;
const WATCH_SECS: u64 = 20;
/// The same updates with no watchers, for comparison.
const BASELINE_SECS: u64 = 5;
const UPDATE_TICK: Duration = Duration::from_millis(10);
const UPDATE_INFLIGHT: usize = 128;
/// An update more than this late for its slot is skipped (and counted).
const UPDATE_MAX_LAG: Duration = Duration::from_secs(1);
/// After the last update: how long to wait for the rest of the events.
const DRAIN: Duration = Duration::from_secs(10);
const ANNOTATION: &str = "bench.kelp.io/sent-ns";
const TARGET_START: Duration = Duration::from_millis(300);
const TARGET_RSS_MIB: f64 = 30.0;
const MARK_START: &str = "<!-- api-bench:start -->";
const MARK_END: &str = "<!-- api-bench:end -->";

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
    let bench_start = Instant::now();
    // before anything else: others may commit while this runs
    let build = Build::now();
    let run_system = system_busy_ticks();
    let run_ours = ours_ticks();
    let parent = common::temp_parent()?;
    // dropped last: after the server is killed
    let tmp = tempfile::Builder::new()
        .prefix("kelp-api-bench-")
        .tempdir_in(&parent)
        .with_context(|| format!("creating a temp dir in {}", parent.display()))?;
    let fs_type = common::fs_type(tmp.path())?;
    ensure!(fs_type != "tmpfs", "{} is on tmpfs", tmp.path().display());
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data)?;
    // an explicitly named missing config file is an error; use an empty one
    std::fs::write(data.join("config.yaml"), "")?;
    let tck = clock_ticks();
    let mut rep = Report::default();

    // 1. start-up: cold, then the measured warm start, then a few more warm starts
    eprintln!("api bench: start-up");
    let (cold_server, cold, client) = start_until_ready(&data, None).await?;
    let cold_stop = cold_server.terminate()?;
    let (server, warm, client) = start_until_ready(&data, Some(&client)).await?;
    let pid = server.pid();

    // 2. idle RSS of that warm start
    let rss_ready = status_kib(pid, "VmRSS")?;
    let threads_ready = status_kib(pid, "Threads")?;
    let cpu_idle = Cpu::mark(pid, tck);
    tokio::time::sleep(IDLE_WAIT).await;
    let rss_idle = status_kib(pid, "VmRSS")?;
    let idle_cpu = cpu_idle.since();
    let warm_stop = server.terminate()?;
    let mut extra = Vec::new();
    let mut last = None;
    let mut client = client;
    for i in 0..EXTRA_RESTARTS {
        let (s, t, c) = start_until_ready(&data, Some(&client)).await?;
        extra.push(t.to_ready);
        client = c;
        if i + 1 < EXTRA_RESTARTS {
            s.terminate()?;
        } else {
            last = Some(s);
        }
    }
    let server = last.context("no server left running")?;
    let pid = server.pid();
    extra.sort_unstable();

    rep.row(
        "1",
        "warm start: process start → `/readyz` 200 (2nd start)",
        ms(warm.to_ready),
        "",
        "",
        target_le_ms(warm.to_ready, TARGET_START),
    );
    rep.row(
        "1",
        &format!("warm start, {EXTRA_RESTARTS} further restarts: min / median / max"),
        format!(
            "{} / {} / {}",
            ms(extra[0]),
            ms(extra[extra.len() / 2]),
            ms(extra[extra.len() - 1])
        ),
        "",
        "",
        "",
    );
    rep.row(
        "1",
        "cold start (empty data dir, creates PKI): process start → `/readyz` 200",
        ms(cold.to_ready),
        "",
        "",
        "",
    );
    rep.note(format!(
        "Start-up phases (warm start): `store ready` logged at {} after spawn ({} ms \
         in-process), `API server ready` at {} ({} ms in-process), first `/readyz` 200 \
         at {} after {} probes. In-process times count from the start of `kelp server`'s \
         `run`, so spawn→store-ready minus the in-process figure is exec, runtime and \
         config start-up. Cold start: store ready at {}, API ready at {}. SIGTERM → exit: \
         {} (cold run), {} (warm run).",
        opt_ms(warm.store_log),
        warm.store_ms.map_or("?".into(), |v| v.to_string()),
        opt_ms(warm.api_log),
        warm.api_ms.map_or("?".into(), |v| v.to_string()),
        ms(warm.to_ready),
        warm.probes,
        opt_ms(cold.store_log),
        opt_ms(cold.api_log),
        ms(cold_stop),
        ms(warm_stop),
    ));
    rep.row(
        "2",
        "server RSS idle, right after ready",
        mib(rss_ready),
        "",
        "",
        target_le_mib(rss_ready),
    );
    rep.row(
        "2",
        "server RSS idle, 5 s later",
        mib(rss_idle),
        "",
        "",
        target_le_mib(rss_idle),
    );
    rep.note(format!(
        "Idle: {threads_ready} threads right after ready; {:.3} s of server CPU in the \
         5 s idle wait.",
        idle_cpu.server
    ));

    // 3-5 against the last warm-started server
    let pool = Pool::connect(&client, POOL).await?;
    let mut mem = Memory::default();
    mem.mark(pid, "ready");

    // 3. ConfigMap creates
    for &n in &CREATE_LEVELS {
        eprintln!("api bench: ConfigMap creates x{n}");
        let cpu = Cpu::mark(pid, tck);
        let s = create_configmaps(&pool, n, secs).await?;
        let c = cpu.since();
        eprintln!("  {:.0}/s p50 {} p99 {}", s.rate, ms(s.p50), ms(s.p99));
        rep.row(
            "3",
            &format!("ConfigMap create (256 B data), concurrency {n}"),
            format!("{:.0} /s", s.rate),
            ms(s.p50),
            ms(s.p99),
            "",
        );
        rep.note(format!(
            "ConfigMap create x{n}: {} creates in the {} s window, mean {}, {} of them \
             took 38–50 ms; {}.",
            s.count,
            secs.as_secs(),
            ms(s.mean),
            s.near_40ms,
            c.describe()
        ));
        if n == 1 && s.near_40ms * 100 > s.count {
            rep.note(format!(
                "{:.0}% of the sequential creates took 38–50 ms, while the median is {}: a \
                 cluster at Linux's 40 ms delayed-ACK timeout is the signature of Nagle's \
                 algorithm holding a small write on a socket without TCP_NODELAY.",
                s.near_40ms as f64 * 100.0 / s.count as f64,
                ms(s.p50)
            ));
        }
    }

    let rss_cms = status_kib(pid, "VmRSS")?;
    mem.mark(pid, "after the ConfigMaps");
    let store_cms = dir_size(&data.join("server"));

    // 4. 10,000 pods, then LISTs
    eprintln!("api bench: creating {LIST_PODS} pods");
    create_namespace(&pool, "bench").await?;
    let names: Vec<String> = (0..LIST_PODS).map(|i| format!("p-{i:05}")).collect();
    let cpu = Cpu::mark(pid, tck);
    let created = create_pods(&pool, "bench", names, POD_CONCURRENCY).await?;
    let c = cpu.since();
    rep.row(
        "4",
        &format!("Pod create ({LIST_PODS} in `bench`), concurrency {POD_CONCURRENCY}"),
        format!("{:.0} /s", created.rate()),
        ms(created.p50()),
        ms(created.p99()),
        "",
    );
    let rss_before = status_kib(pid, "VmRSS")?;
    mem.mark(pid, "after 10,000 Pods");
    let store_pods = dir_size(&data.join("server"));
    rep.note(format!(
        "{LIST_PODS} Pod creates took {}; {}. Server RSS {} after the ConfigMap creates \
         (phase 3 leaves its ConfigMaps in the store; files under `server/` {:.1} MB), {} \
         after the Pod creates ({:.1} MB).",
        secs_f(created.wall),
        c.describe(),
        mib(rss_cms),
        store_cms as f64 / 1e6,
        mib(rss_before),
        store_pods as f64 / 1e6,
    ));
    let hwm_before = status_kib(pid, "VmHWM")?;
    eprintln!("api bench: {LIST_RUNS} LISTs");
    let cpu = Cpu::mark(pid, tck);
    let list = list_pods(&pool, "bench", LIST_PODS).await?;
    let c = cpu.since();
    let rss_after = status_kib(pid, "VmRSS")?;
    mem.mark(pid, "after the LISTs");
    let hwm_after = status_kib(pid, "VmHWM")?;
    rep.row(
        "4",
        &format!("LIST {LIST_PODS} pods (plain JSON, no limit), {LIST_RUNS}× sequential"),
        format!("{:.2} MB per response", list.bytes as f64 / 1e6),
        ms(pct(&list.total, 0.50)),
        ms(pct(&list.total, 0.99)),
        "",
    );
    rep.row(
        "4",
        "server RSS before / after the LISTs",
        format!("{} / {}", mib(rss_before), mib(rss_after)),
        "",
        "",
        "",
    );
    rep.note(format!(
        "LIST: time to response headers p50 {} / p99 {} of the total p50 {} (the rest is \
         the body arriving); {:.1} MB/s at p50; {}. Server peak RSS (VmHWM) {} before \
         the LISTs, {} after.",
        ms(pct(&list.headers, 0.50)),
        ms(pct(&list.headers, 0.99)),
        ms(pct(&list.total, 0.50)),
        list.bytes as f64 / 1e6 / pct(&list.total, 0.50).as_secs_f64(),
        c.describe(),
        mib(hwm_before),
        mib(hwm_after),
    ));

    // 5. watchers
    eprintln!("api bench: {WATCHERS} watchers");
    let w = watch_phase(&pool, &client, pid, tck, &mut mem).await?;
    w.report(&mut rep);

    let rss_end = status_kib(pid, "VmRSS")?;
    mem.mark(pid, "end");
    rep.note(mem.describe());
    rep.note(server_log(&server, &mem));
    let hwm_end = status_kib(pid, "VmHWM")?;
    let anon_end = status_kib(pid, "RssAnon")?;
    let file_end = status_kib(pid, "RssFile")?;
    let store_end = dir_size(&data.join("server"));
    let stop = server.terminate()?;
    // every kelp has been waited for now, so its CPU counts in ours
    let others = (system_busy_ticks().saturating_sub(run_system) as f64
        - ours_ticks().saturating_sub(run_ours) as f64)
        .max(0.0)
        / tck
        / bench_start.elapsed().as_secs_f64();
    rep.note(format!(
        "At the end: server RSS {} (RssAnon {}, RssFile {}; files under `server/` {:.1} MB), \
         peak RSS (VmHWM) over the whole run {}; SIGTERM → \
         exit {}. Whole benchmark: {}; other processes on the machine used {:.2} cores on \
         average meanwhile (they compete with the server and the client).",
        mib(rss_end),
        mib(anon_end),
        mib(file_end),
        store_end as f64 / 1e6,
        mib(hwm_end),
        ms(stop),
        secs_f(bench_start.elapsed()),
        others,
    ));

    let table = rep.table();
    println!("\n{table}");
    for n in &rep.notes {
        println!("- {n}");
    }
    let section = section(&rep, &build, &table, secs, tmp.path(), &fs_type)?;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("BENCHMARKS.md");
    common::write_benchmarks(&path, MARK_START, MARK_END, &section)?;
    println!("wrote {}", path.display());
    Ok(())
}

// ---------------------------------------------------------------------------------
// the server process

/// A `kelp server` child; killed by PID when dropped (also when the benchmark fails).
struct Kelp {
    child: Child,
    lines: Arc<Mutex<Vec<(Instant, String)>>>,
}

impl Kelp {
    fn spawn(data: &Path, port: u16) -> Result<Kelp> {
        let mut child = Command::new(KELP)
            .arg("server")
            .arg("--data-dir")
            .arg(data)
            .arg("--config")
            .arg(data.join("config.yaml"))
            .args(["--bind-address", "127.0.0.1"])
            .args(["--https-listen-port", &port.to_string()])
            .arg("--write-kubeconfig")
            .arg(data.join("kubeconfig.yaml"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", data)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {KELP}"))?;
        let stderr = child.stderr.take().context("no stderr pipe")?;
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        // drains the pipe for the server's whole life, so logging never blocks it
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push((Instant::now(), line));
            }
        });
        Ok(Kelp { child, lines })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn log(&self) -> String {
        let lines = self.lines.lock().unwrap();
        let from = lines.len().saturating_sub(40);
        lines[from..]
            .iter()
            .map(|(_, l)| l.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// When the first line containing `needle` was read, and the line.
    fn logged(&self, needle: &str) -> Option<(Instant, String)> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .find(|(_, l)| l.contains(needle))
            .cloned()
    }

    /// SIGTERM, then waits (bounded) for the exit; returns how long that took.
    fn terminate(mut self) -> Result<Duration> {
        let t = Instant::now();
        let ok = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()?;
        ensure!(ok.success(), "kill -TERM {} failed", self.pid());
        while t.elapsed() < Duration::from_secs(30) {
            if let Some(status) = self.child.try_wait()? {
                ensure!(
                    status.success(),
                    "kelp exited with {status} after SIGTERM:\n{}",
                    self.log()
                );
                return Ok(t.elapsed());
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        bail!("kelp did not exit within 30 s of SIGTERM:\n{}", self.log())
    }
}

impl Drop for Kelp {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

struct StartTiming {
    to_ready: Duration,
    probes: u32,
    store_log: Option<Duration>,
    api_log: Option<Duration>,
    store_ms: Option<u64>,
    api_ms: Option<u64>,
}

/// Spawns kelp on a fresh port and polls `/readyz` every 5 ms until it answers 200.
/// `known` is a client built from an earlier kubeconfig of this data dir (the CA and
/// admin certificate persist there); without it the new kubeconfig is read once kelp
/// has written it.
async fn start_until_ready(
    data: &Path,
    known: Option<&Client>,
) -> Result<(Kelp, StartTiming, Client)> {
    let port = free_port()?;
    let kubeconfig = data.join("kubeconfig.yaml");
    let t0 = Instant::now();
    let mut server = Kelp::spawn(data, port)?;
    let mut client = known.map(|c| c.with_port(port));
    let mut probes = 0;
    loop {
        if client.is_none() && kubeconfig.exists() {
            client = Client::from_kubeconfig(&kubeconfig, port).ok();
        }
        if let Some(c) = &client {
            probes += 1;
            if let Ok(Ok(true)) = tokio::time::timeout(Duration::from_secs(1), c.readyz()).await {
                break;
            }
        }
        if let Some(status) = server.child.try_wait()? {
            bail!("kelp exited with {status} before ready:\n{}", server.log());
        }
        if t0.elapsed() > READY_DEADLINE {
            bail!(
                "/readyz did not answer 200 within {READY_DEADLINE:?}:\n{}",
                server.log()
            );
        }
        tokio::time::sleep(READY_POLL).await;
    }
    let to_ready = t0.elapsed();
    // the log lines are read by another thread; give it a moment
    let wait = Instant::now();
    while server.logged("API server ready").is_none() && wait.elapsed() < Duration::from_secs(1) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let at = |needle: &str| {
        server
            .logged(needle)
            .map(|(t, l)| (t.saturating_duration_since(t0), elapsed_ms(&l)))
    };
    let store = at("store ready");
    let api = at("API server ready");
    let client = Client::from_kubeconfig(&kubeconfig, port)?;
    server.child.try_wait()?;
    Ok((
        server,
        StartTiming {
            to_ready,
            probes,
            store_log: store.map(|s| s.0),
            api_log: api.map(|a| a.0),
            store_ms: store.and_then(|s| s.1),
            api_ms: api.and_then(|a| a.1),
        },
        client,
    ))
}

fn elapsed_ms(line: &str) -> Option<u64> {
    let rest = &line[line.find("elapsed_ms=")? + "elapsed_ms=".len()..];
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

// ---------------------------------------------------------------------------------
// the client

/// TLS to kelp with the kubeconfig's CA and admin client certificate.
#[derive(Clone)]
struct Client {
    tls: TlsConnector,
    addr: SocketAddr,
}

impl Client {
    fn from_kubeconfig(path: &Path, port: u16) -> Result<Client> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let kc: serde_yaml::Value = serde_yaml::from_str(&text)?;
        let field = |section: &str, inner: &str, key: &str| -> Result<Vec<u8>> {
            let v = kc[section][0][inner][key]
                .as_str()
                .with_context(|| format!("{}: no {section}[0].{inner}.{key}", path.display()))?;
            Ok(BASE64.decode(v.trim())?)
        };
        let ca = field("clusters", "cluster", "certificate-authority-data")?;
        let cert = field("users", "user", "client-certificate-data")?;
        let key = field("users", "user", "client-key-data")?;
        let mut roots = RootCertStore::empty();
        for c in CertificateDer::pem_slice_iter(&ca) {
            roots.add(c.map_err(|e| anyhow!("CA PEM: {e:?}"))?)?;
        }
        let chain = CertificateDer::pem_slice_iter(&cert)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| anyhow!("client certificate PEM: {e:?}"))?;
        let key = PrivateKeyDer::from_pem_slice(&key).map_err(|e| anyhow!("key PEM: {e:?}"))?;
        let mut config =
            ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()?
                .with_root_certificates(roots)
                .with_client_auth_cert(chain, key)?;
        config.alpn_protocols = vec![b"h2".to_vec()];
        Ok(Client {
            tls: TlsConnector::from(Arc::new(config)),
            addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
        })
    }

    fn with_port(&self, port: u16) -> Client {
        Client {
            tls: self.tls.clone(),
            addr: SocketAddr::new(self.addr.ip(), port),
        }
    }

    /// One new HTTP/2 connection.
    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>> {
        let tcp = tokio::net::TcpStream::connect(self.addr).await?;
        tcp.set_nodelay(true)?;
        let name = ServerName::from(self.addr.ip());
        let tls = self.tls.connect(name, tcp).await?;
        ensure!(
            tls.get_ref().1.alpn_protocol() == Some(b"h2"),
            "the server did not negotiate h2"
        );
        let mut builder = hyper::client::conn::http2::Builder::new(TokioExecutor::new());
        builder
            .initial_stream_window_size(4 << 20)
            .initial_connection_window_size(16 << 20);
        let (sender, conn) = builder.handshake(TokioIo::new(tls)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(sender)
    }

    fn request(&self, method: Method, path: &str, ctype: Option<&str>, body: Bytes) -> Req {
        let mut b = Request::builder()
            .method(method)
            .uri(format!("https://{}{path}", self.addr))
            .header(header::ACCEPT, "application/json");
        if let Some(ct) = ctype {
            b = b.header(header::CONTENT_TYPE, ct);
        }
        b.body(Full::new(body)).expect("valid request")
    }

    /// A fresh connection and `GET /readyz`: true on 200.
    async fn readyz(&self) -> Result<bool> {
        let mut s = self.connect().await?;
        let resp = s
            .send_request(self.request(Method::GET, "/readyz", None, Bytes::new()))
            .await?;
        Ok(resp.status() == StatusCode::OK)
    }
}

type Req = Request<Full<Bytes>>;

/// Keep-alive HTTP/2 connections, used round-robin.
#[derive(Clone)]
struct Pool {
    client: Client,
    conns: Arc<Vec<SendRequest<Full<Bytes>>>>,
    next: Arc<AtomicUsize>,
}

impl Pool {
    async fn connect(client: &Client, n: usize) -> Result<Pool> {
        let mut conns = Vec::with_capacity(n);
        for _ in 0..n {
            conns.push(client.connect().await?);
        }
        Ok(Pool {
            client: client.clone(),
            conns: Arc::new(conns),
            next: Arc::new(AtomicUsize::new(0)),
        })
    }

    async fn send(&self, req: Req) -> Result<Response<Incoming>> {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.conns.len();
        let mut s = self.conns[i].clone();
        s.ready().await?;
        Ok(s.send_request(req).await?)
    }

    /// One request with its whole response body, bounded in time.
    async fn call(
        &self,
        method: Method,
        path: &str,
        ctype: Option<&str>,
        body: Bytes,
    ) -> Result<(StatusCode, Bytes)> {
        let req = self.client.request(method, path, ctype, body);
        let fut = async {
            let resp = self.send(req).await?;
            let status = resp.status();
            let body = resp.into_body().collect().await?.to_bytes();
            anyhow::Ok((status, body))
        };
        tokio::time::timeout(REQUEST_DEADLINE, fut)
            .await
            .with_context(|| format!("{path}: no answer within {REQUEST_DEADLINE:?}"))?
    }

    async fn post_json(&self, path: &str, body: &Value) -> Result<(StatusCode, Bytes)> {
        let body = Bytes::from(serde_json::to_vec(body)?);
        self.call(Method::POST, path, Some("application/json"), body)
            .await
    }
}

fn expect(status: StatusCode, want: StatusCode, what: &str, body: &[u8]) -> Result<()> {
    ensure!(
        status == want,
        "{what}: {status} (expected {want}): {}",
        String::from_utf8_lossy(&body[..body.len().min(500)])
    );
    Ok(())
}

// ---------------------------------------------------------------------------------
// 3. ConfigMap creates

struct Rate {
    count: usize,
    mean: Duration,
    /// creates that took 38-50 ms: around Linux's 40 ms delayed-ACK timeout
    near_40ms: usize,
    rate: f64,
    p50: Duration,
    p99: Duration,
}

/// `n` tasks create ConfigMaps for the warm-up and then `secs`; counts the creates that
/// started after the warm-up and finished within the window.
async fn create_configmaps(pool: &Pool, n: usize, secs: Duration) -> Result<Rate> {
    let data: String = (0..CM_DATA_LEN)
        .map(|i| (b'a' + (i % 26) as u8) as char)
        .collect();
    let from = Instant::now() + WARMUP;
    let until = from + secs;
    let tasks: Vec<_> = (0..n)
        .map(|w| {
            let pool = pool.clone();
            let data = data.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(1 << 14);
                for seq in 0u64.. {
                    let start = Instant::now();
                    if start >= until {
                        break;
                    }
                    let name = format!("cm-c{n}-w{w:02}-{seq:07}");
                    let body = json!({
                        "apiVersion": "v1",
                        "kind": "ConfigMap",
                        "metadata": {"name": name},
                        "data": {"payload": data},
                    });
                    let (status, resp) = pool
                        .post_json("/api/v1/namespaces/default/configmaps", &body)
                        .await?;
                    expect(status, StatusCode::CREATED, "create ConfigMap", &resp)?;
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
    for t in tasks {
        all.extend(t.await??);
    }
    ensure!(
        !all.is_empty(),
        "no ConfigMap create completed in the window"
    );
    all.sort_unstable();
    let near_40ms = all
        .iter()
        .filter(|d| (38..50).contains(&d.as_millis()))
        .count();
    Ok(Rate {
        count: all.len(),
        mean: all.iter().sum::<Duration>() / all.len() as u32,
        near_40ms,
        rate: all.len() as f64 / secs.as_secs_f64(),
        p50: pct(&all, 0.50),
        p99: pct(&all, 0.99),
    })
}

// ---------------------------------------------------------------------------------
// 4. pods and LISTs

async fn create_namespace(pool: &Pool, name: &str) -> Result<()> {
    let body = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}});
    let (status, resp) = pool.post_json("/api/v1/namespaces", &body).await?;
    expect(status, StatusCode::CREATED, "create Namespace", &resp)
}

struct Created {
    wall: Duration,
    latencies: Vec<Duration>,
    max_rv: i64,
}

impl Created {
    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.wall.as_secs_f64()
    }
    fn p50(&self) -> Duration {
        pct(&self.latencies, 0.50)
    }
    fn p99(&self) -> Duration {
        pct(&self.latencies, 0.99)
    }
}

/// Creates one minimal Pod per name with `concurrency` tasks.
async fn create_pods(
    pool: &Pool,
    ns: &str,
    names: Vec<String>,
    concurrency: usize,
) -> Result<Created> {
    let names = Arc::new(names);
    let next = Arc::new(AtomicUsize::new(0));
    let path = Arc::new(format!("/api/v1/namespaces/{ns}/pods"));
    let start = Instant::now();
    let deadline = start + CREATE_DEADLINE;
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (pool, names, next, path) =
                (pool.clone(), names.clone(), next.clone(), path.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut max_rv = 0i64;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(name) = names.get(i) else { break };
                    ensure!(
                        Instant::now() < deadline,
                        "creating pods took longer than {CREATE_DEADLINE:?}"
                    );
                    let body = json!({
                        "apiVersion": "v1",
                        "kind": "Pod",
                        "metadata": {"name": name},
                        "spec": {"containers": [{"name": "c", "image": "busybox"}]},
                    });
                    let t = Instant::now();
                    let (status, resp) = pool.post_json(&path, &body).await?;
                    latencies.push(t.elapsed());
                    expect(status, StatusCode::CREATED, "create Pod", &resp)?;
                    let v: Value = serde_json::from_slice(&resp)?;
                    let rv = v["metadata"]["resourceVersion"]
                        .as_str()
                        .and_then(|s| s.parse().ok())
                        .context("created Pod has no resourceVersion")?;
                    max_rv = max_rv.max(rv);
                }
                anyhow::Ok((latencies, max_rv))
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut max_rv = 0;
    for t in tasks {
        let (l, rv) = t.await??;
        latencies.extend(l);
        max_rv = max_rv.max(rv);
    }
    let wall = start.elapsed();
    latencies.sort_unstable();
    Ok(Created {
        wall,
        latencies,
        max_rv,
    })
}

struct Lists {
    headers: Vec<Duration>,
    total: Vec<Duration>,
    bytes: usize,
}

async fn list_pods(pool: &Pool, ns: &str, expected: usize) -> Result<Lists> {
    let path = format!("/api/v1/namespaces/{ns}/pods");
    let mut headers = Vec::new();
    let mut total = Vec::new();
    let mut bytes = 0;
    for i in 0..LIST_RUNS {
        let req = pool.client.request(Method::GET, &path, None, Bytes::new());
        let fut = async {
            let t = Instant::now();
            let resp = pool.send(req).await?;
            let h = t.elapsed();
            let status = resp.status();
            let body = resp.into_body().collect().await?.to_bytes();
            anyhow::Ok((h, t.elapsed(), status, body))
        };
        let (h, d, status, body) = tokio::time::timeout(REQUEST_DEADLINE, fut)
            .await
            .context("LIST did not finish within 60 s")??;
        expect(status, StatusCode::OK, "LIST pods", &body)?;
        if i == 0 {
            let v: Value = serde_json::from_slice(&body)?;
            let n = v["items"].as_array().map_or(0, Vec::len);
            ensure!(n == expected, "LIST returned {n} pods, expected {expected}");
            ensure!(
                v.get("metadata")
                    .and_then(|m| m.get("continue"))
                    .and_then(Value::as_str)
                    .is_none_or(str::is_empty),
                "LIST without limit returned a continue token"
            );
        }
        headers.push(h);
        total.push(d);
        bytes = body.len();
    }
    headers.sort_unstable();
    total.sort_unstable();
    Ok(Lists {
        headers,
        total,
        bytes,
    })
}

// ---------------------------------------------------------------------------------
// 5. watchers

#[derive(Default)]
struct WatchOutcome {
    /// MODIFIED events of this watcher's pod carrying the send timestamp.
    received: u64,
    /// (send time ns since the epoch, delivery latency ns)
    latencies: Vec<(u64, u64)>,
    /// Events of other types, unparsable lines, or without the annotation.
    other: u64,
    wrong_pod: u64,
    errors: Vec<String>,
    open_error: Option<String>,
    /// When (since the phase started) and why the stream ended before we stopped it.
    ended: Option<(Duration, String)>,
}

impl WatchOutcome {
    fn event(&mut self, line: &[u8], now: u64, name: &str, received: &AtomicU64) {
        let Ok(v) = serde_json::from_slice::<Value>(line) else {
            self.other += 1;
            return;
        };
        let ty = v["type"].as_str().unwrap_or_default();
        if ty == "ERROR" {
            self.other += 1;
            self.errors.push(v["object"]["message"].to_string());
            return;
        }
        let meta = &v["object"]["metadata"];
        if meta["name"].as_str() != Some(name) {
            self.wrong_pod += 1;
            return;
        }
        let sent = meta["annotations"][ANNOTATION]
            .as_str()
            .and_then(|s| s.parse::<u64>().ok());
        match (ty, sent) {
            ("MODIFIED", Some(sent)) => {
                self.received += 1;
                received.fetch_add(1, Ordering::Relaxed);
                self.latencies.push((sent, now.saturating_sub(sent)));
            }
            _ => self.other += 1,
        }
    }
}

struct Watcher {
    conn: SendRequest<Full<Bytes>>,
    req: Req,
    name: String,
    index: usize,
    /// per watcher: set when its watch answered 200
    opened: Arc<Vec<AtomicBool>>,
    /// counts watches that answered, either way
    settled: Arc<AtomicUsize>,
    received: Arc<AtomicU64>,
    stop: CancellationToken,
    phase_start: Instant,
}

impl Watcher {
    async fn run(mut self) -> WatchOutcome {
        let mut out = WatchOutcome::default();
        let open = async {
            self.conn.ready().await?;
            anyhow::Ok(self.conn.send_request(self.req).await?)
        };
        let resp = tokio::time::timeout(Duration::from_secs(30), open).await;
        self.settled.fetch_add(1, Ordering::Relaxed);
        let resp = match resp {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                out.open_error = Some(e.to_string());
                return out;
            }
            Err(_) => {
                out.open_error = Some("no response headers within 30 s".into());
                return out;
            }
        };
        if resp.status() != StatusCode::OK {
            let status = resp.status();
            let body = tokio::time::timeout(Duration::from_secs(5), resp.into_body().collect())
                .await
                .ok()
                .and_then(Result::ok)
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            out.open_error = Some(format!("{status}: {}", String::from_utf8_lossy(&body)));
            return out;
        }
        self.opened[self.index].store(true, Ordering::Relaxed);
        let mut body = resp.into_body();
        let mut buf: Vec<u8> = Vec::new();
        loop {
            let frame = tokio::select! {
                biased;
                _ = self.stop.cancelled() => break,
                f = body.frame() => f,
            };
            match frame {
                None => {
                    let at = self.phase_start.elapsed();
                    out.ended = Some((at, "the server ended the stream".into()));
                    break;
                }
                Some(Err(e)) => {
                    let at = self.phase_start.elapsed();
                    out.ended = Some((at, format!("stream error: {e}")));
                    break;
                }
                Some(Ok(frame)) => {
                    let Ok(data) = frame.into_data() else {
                        continue;
                    };
                    let now = now_ns();
                    buf.extend_from_slice(&data);
                    while let Some(pos) = buf.iter().position(|&b| b == b'\n') {
                        let line: Vec<u8> = buf.drain(..=pos).collect();
                        out.event(&line, now, &self.name, &self.received);
                    }
                }
            }
        }
        out
    }
}

#[derive(Default)]
struct Updates {
    scheduled: u64,
    skipped: u64,
    ok: u64,
    failed: u64,
    failures: Vec<String>,
    latencies: Vec<Duration>,
    /// how late the ticker was for its slots, at the worst
    max_tick_lag: Duration,
    /// from the first slot until every update answered
    wall: Duration,
}

impl Updates {
    fn rate(&self) -> f64 {
        self.ok as f64 / self.wall.as_secs_f64()
    }

    fn summary(&self) -> String {
        format!(
            "{:.0} /s achieved: {} ok of {} scheduled ({} skipped as >1 s late, {} failed)",
            self.rate(),
            self.ok,
            self.scheduled,
            self.skipped,
            self.failed
        )
    }
}

/// Pods to patch, and how many patches of each succeeded.
struct PodSet {
    ns: String,
    names: Vec<String>,
    ok: Arc<Vec<AtomicU32>>,
}

impl PodSet {
    fn new(ns: &str, names: Vec<String>) -> PodSet {
        let ok = Arc::new((0..names.len()).map(|_| AtomicU32::new(0)).collect());
        PodSet {
            ns: ns.to_string(),
            names,
            ok,
        }
    }
}

struct WatchResult {
    baseline: Updates,
    baseline_cpu: CpuUse,
    created: Created,
    opened: usize,
    open_time: Duration,
    open_errors: Vec<String>,
    updates: Updates,
    expected: u64,
    received: u64,
    drain_wait: Duration,
    short_watchers: usize,
    ended: Vec<(Duration, String)>,
    other: u64,
    wrong_pod: u64,
    errors: Vec<String>,
    latencies: Vec<(u64, u64)>,
    t0_ns: u64,
    rss_before: u64,
    rss_max: u64,
    rss_last: u64,
    cpu: CpuUse,
}

async fn watch_phase(
    pool: &Pool,
    client: &Client,
    pid: u32,
    tck: f64,
    mem: &mut Memory,
) -> Result<WatchResult> {
    // the same updates with no watcher at all, on 1,000 of the pods in `bench`
    let cpu = Cpu::mark(pid, tck);
    let base = PodSet::new(
        "bench",
        (0..WATCHERS).map(|i| format!("p-{i:05}")).collect(),
    );
    let baseline = run_updates(pool, &base, BASELINE_SECS).await?;
    let baseline_cpu = cpu.since();
    mem.mark(pid, "after the unwatched patches");
    eprintln!("  updates without watchers: {}", baseline.summary());

    create_namespace(pool, "watch").await?;
    let names: Vec<String> = (0..WATCHERS).map(|i| format!("w-{i}")).collect();
    let created = create_pods(pool, "watch", names.clone(), POD_CONCURRENCY).await?;
    let rv = created.max_rv;
    let rss_before = status_kib(pid, "VmRSS")?;
    mem.mark(pid, "after 1,000 Pods in `watch`");

    // open the watches, 50 per connection
    let mut conns = Vec::with_capacity(WATCH_CONNS);
    for _ in 0..WATCH_CONNS {
        conns.push(client.connect().await?);
    }
    let opened: Arc<Vec<AtomicBool>> =
        Arc::new((0..WATCHERS).map(|_| AtomicBool::new(false)).collect());
    let settled = Arc::new(AtomicUsize::new(0));
    let received = Arc::new(AtomicU64::new(0));
    let stop = CancellationToken::new();
    let phase_start = Instant::now();
    let watchers: Vec<_> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let path = format!(
                "/api/v1/namespaces/watch/pods?watch=true&fieldSelector=metadata.name%3D{name}\
                 &resourceVersion={rv}"
            );
            let w = Watcher {
                conn: conns[i % WATCH_CONNS].clone(),
                req: client.request(Method::GET, &path, None, Bytes::new()),
                name: name.clone(),
                index: i,
                opened: opened.clone(),
                settled: settled.clone(),
                received: received.clone(),
                stop: stop.clone(),
                phase_start,
            };
            tokio::spawn(w.run())
        })
        .collect();
    let open_deadline = Instant::now() + Duration::from_secs(30);
    while settled.load(Ordering::Relaxed) < WATCHERS && Instant::now() < open_deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let open_time = phase_start.elapsed();
    mem.mark(pid, "watches open");

    // RSS every 500 ms while the updates run
    let sampler = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut tick = tokio::time::interval(Duration::from_millis(500));
            loop {
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = tick.tick() => {
                        if let Ok(kib) = status_kib(pid, "VmRSS") {
                            samples.push(kib);
                        }
                    }
                }
            }
            samples
        })
    };

    let cpu = Cpu::mark(pid, tck);
    let pods = PodSet::new("watch", names.clone());
    let per_pod = pods.ok.clone();
    let t0_ns = now_ns();
    let updates = run_updates(pool, &pods, WATCH_SECS).await?;
    let updates_done = Instant::now();
    mem.mark(pid, "after the watched patches");

    // what each open watcher should see: the successful updates of its pod
    let expected_for = |i: usize| u64::from(per_pod[i].load(Ordering::Relaxed));
    let is_open = |i: usize| opened[i].load(Ordering::Relaxed);
    let expected: u64 = (0..WATCHERS)
        .filter(|&i| is_open(i))
        .map(expected_for)
        .sum();
    while received.load(Ordering::Relaxed) < expected && updates_done.elapsed() < DRAIN {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let drain_wait = updates_done.elapsed();
    let cpu = cpu.since();
    stop.cancel();
    let mut outcomes = Vec::with_capacity(WATCHERS);
    let join_deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    for w in watchers {
        let o = tokio::time::timeout_at(join_deadline, w)
            .await
            .context("a watcher did not stop within 10 s")??;
        outcomes.push(o);
    }
    let mut samples = sampler.await?;
    let rss_last = samples.last().copied().unwrap_or(0);
    samples.sort_unstable();
    let rss_max = samples.last().copied().unwrap_or(0);

    let mut r = WatchResult {
        baseline,
        baseline_cpu,
        created,
        opened: (0..WATCHERS).filter(|&i| is_open(i)).count(),
        open_time,
        open_errors: Vec::new(),
        updates,
        expected,
        received: 0,
        drain_wait,
        short_watchers: 0,
        ended: Vec::new(),
        other: 0,
        wrong_pod: 0,
        errors: Vec::new(),
        latencies: Vec::new(),
        t0_ns,
        rss_before,
        rss_max,
        rss_last,
        cpu,
    };
    for (i, o) in outcomes.into_iter().enumerate() {
        if let Some(e) = o.open_error {
            r.open_errors.push(e);
            continue;
        }
        r.received += o.received;
        if o.received < expected_for(i) {
            r.short_watchers += 1;
        }
        r.other += o.other;
        r.wrong_pod += o.wrong_pod;
        r.errors.extend(o.errors);
        r.ended.extend(o.ended);
        r.latencies.extend(o.latencies);
    }
    Ok(r)
}

/// Patches every pod once per second for `WATCH_SECS`, 10 pods every 10 ms.
async fn run_updates(pool: &Pool, pods: &PodSet, secs: u64) -> Result<Updates> {
    let agg = Arc::new(Mutex::new(Updates::default()));
    let sem = Arc::new(Semaphore::new(UPDATE_INFLIGHT));
    let ticks = secs * 1000 / UPDATE_TICK.as_millis() as u64;
    let per_tick = (pods.names.len() as u64 * UPDATE_TICK.as_millis() as u64 / 1000) as usize;
    let start = Instant::now();
    let mut slot = 0usize;
    let mut skipped = 0;
    let mut max_lag = Duration::ZERO;
    for tick in 0..ticks {
        let at = start + UPDATE_TICK * tick as u32;
        tokio::time::sleep_until(at.into()).await;
        max_lag = max_lag.max(at.elapsed());
        for _ in 0..per_tick {
            let pod = slot % pods.names.len();
            slot += 1;
            let late = at + UPDATE_MAX_LAG;
            let permit = match sem.clone().try_acquire_owned() {
                Ok(p) => p,
                Err(_) => {
                    match tokio::time::timeout_at(late.into(), sem.clone().acquire_owned()).await {
                        Ok(Ok(p)) => p,
                        _ => {
                            skipped += 1;
                            continue;
                        }
                    }
                }
            };
            if Instant::now() > late {
                skipped += 1;
                continue;
            }
            let (pool, agg, per_pod) = (pool.clone(), agg.clone(), pods.ok.clone());
            let path = format!("/api/v1/namespaces/{}/pods/{}", pods.ns, pods.names[pod]);
            tokio::spawn(async move {
                let _permit = permit;
                let sent = now_ns();
                let body = json!({"metadata": {"annotations": {ANNOTATION: sent.to_string()}}});
                let body = Bytes::from(serde_json::to_vec(&body).expect("JSON"));
                let t = Instant::now();
                let r = pool
                    .call(
                        Method::PATCH,
                        &path,
                        Some("application/merge-patch+json"),
                        body,
                    )
                    .await;
                let d = t.elapsed();
                let mut agg = agg.lock().unwrap();
                match r {
                    Ok((StatusCode::OK, _)) => {
                        agg.ok += 1;
                        agg.latencies.push(d);
                        per_pod[pod].fetch_add(1, Ordering::Relaxed);
                    }
                    Ok((status, body)) => {
                        agg.failed += 1;
                        if agg.failures.len() < 5 {
                            let body = String::from_utf8_lossy(&body[..body.len().min(200)]);
                            agg.failures.push(format!("{status}: {body}"));
                        }
                    }
                    Err(e) => {
                        agg.failed += 1;
                        if agg.failures.len() < 5 {
                            agg.failures.push(e.to_string());
                        }
                    }
                }
            });
        }
    }
    // every permit back: every update answered (each is bounded by REQUEST_DEADLINE)
    let all = tokio::time::timeout(
        REQUEST_DEADLINE + Duration::from_secs(5),
        sem.acquire_many(UPDATE_INFLIGHT as u32),
    )
    .await
    .context("updates still in flight after 65 s")??;
    drop(all);
    let mut u = std::mem::take(&mut *agg.lock().unwrap());
    u.scheduled = ticks * per_tick as u64;
    u.wall = start.elapsed();
    u.skipped = skipped;
    u.max_tick_lag = max_lag;
    u.latencies.sort_unstable();
    Ok(u)
}

impl WatchResult {
    fn report(&self, rep: &mut Report) {
        let b = &self.baseline;
        rep.row(
            "5",
            &format!(
                "baseline, no watchers: merge-patch {WATCHERS} pods of `bench`, each 1/s \
                 for {BASELINE_SECS} s"
            ),
            b.summary(),
            ms(pct(&b.latencies, 0.50)),
            ms(pct(&b.latencies, 0.99)),
            "",
        );
        let c = &self.created;
        rep.row(
            "5",
            &format!("Pod create ({WATCHERS} in `watch`), concurrency {POD_CONCURRENCY}"),
            format!("{:.0} /s", c.rate()),
            ms(c.p50()),
            ms(c.p99()),
            "",
        );
        rep.row(
            "5",
            &format!("watches opened ({WATCH_CONNS} HTTP/2 connections)"),
            format!("{} / {WATCHERS} in {}", self.opened, ms(self.open_time)),
            "",
            "",
            "",
        );
        let u = &self.updates;
        rep.row(
            "5",
            &format!("with the watches: merge-patch each `w-N` 1/s for {WATCH_SECS} s"),
            u.summary(),
            ms(pct(&u.latencies, 0.50)),
            ms(pct(&u.latencies, 0.99)),
            "",
        );
        let missing = self.expected.saturating_sub(self.received);
        rep.row(
            "5",
            "watch events received / expected",
            format!(
                "{} / {} ({missing} missing; {} watchers short; {} streams ended early)",
                self.received,
                self.expected,
                self.short_watchers,
                self.ended.len()
            ),
            "",
            "",
            "",
        );
        let mut lat: Vec<Duration> = self
            .latencies
            .iter()
            .map(|&(_, l)| Duration::from_nanos(l))
            .collect();
        lat.sort_unstable();
        rep.row(
            "5",
            "watch delivery latency (receive − send timestamp)",
            format!("max {}", ms(lat.last().copied().unwrap_or_default())),
            ms(pct(&lat, 0.50)),
            ms(pct(&lat, 0.99)),
            "",
        );
        rep.row(
            "5",
            "server RSS during the watch phase",
            format!(
                "max {} (before {}, end {})",
                mib(self.rss_max),
                mib(self.rss_before),
                mib(self.rss_last)
            ),
            "",
            "",
            "",
        );
        // latency by when the update was sent: does delivery fall behind over time?
        let mut windows = String::new();
        for w in 0..WATCH_SECS / 5 {
            let (lo, hi) = (w * 5_000_000_000, (w + 1) * 5_000_000_000);
            let mut l: Vec<Duration> = self
                .latencies
                .iter()
                .filter(|&&(s, _)| (lo..hi).contains(&s.saturating_sub(self.t0_ns)))
                .map(|&(_, l)| Duration::from_nanos(l))
                .collect();
            l.sort_unstable();
            let _ = write!(
                windows,
                "{}{}–{} s: {} events, p50 {} / p99 {}",
                if w == 0 { "" } else { "; " },
                w * 5,
                (w + 1) * 5,
                l.len(),
                ms(pct(&l, 0.50)),
                ms(pct(&l, 0.99))
            );
        }
        rep.note(format!(
            "Watch delivery by send time — {windows}. Updates: the 10 ms ticker was at \
             worst {} late; {} after the last update answered the benchmark stopped \
             waiting for events (limit {}). {}.",
            ms(u.max_tick_lag),
            ms(self.drain_wait),
            secs_f(DRAIN),
            self.cpu.describe()
        ));
        rep.note(format!(
            "Updates without watchers ({BASELINE_SECS} s): the ticker was at worst {} late; \
             {}.",
            ms(b.max_tick_lag),
            self.baseline_cpu.describe()
        ));
        let mut problems = Vec::new();
        if !self.open_errors.is_empty() {
            problems.push(format!(
                "{} watches failed to open (first: {})",
                self.open_errors.len(),
                self.open_errors[0]
            ));
        }
        if !self.ended.is_empty() {
            let mut ended = self.ended.clone();
            ended.sort();
            problems.push(format!(
                "{} watch streams ended before the benchmark stopped them, the first at \
                 {} into the phase ({}), the last at {}",
                ended.len(),
                secs_f(ended[0].0),
                ended[0].1,
                secs_f(ended[ended.len() - 1].0)
            ));
        }
        if !self.errors.is_empty() {
            problems.push(format!(
                "{} ERROR events (first: {})",
                self.errors.len(),
                self.errors[0]
            ));
        }
        if self.wrong_pod > 0 {
            problems.push(format!(
                "{} events for a pod the watcher did not select",
                self.wrong_pod
            ));
        }
        if self.other > 0 {
            problems.push(format!(
                "{} other events (not MODIFIED with the timestamp)",
                self.other
            ));
        }
        if u.failed > 0 {
            problems.push(format!(
                "{} updates failed (e.g. {})",
                u.failed,
                u.failures.first().map_or("", String::as_str)
            ));
        }
        if u.skipped > 0 {
            problems.push(format!(
                "{} updates were skipped because the updater fell more than 1 s behind its \
                 schedule ({UPDATE_INFLIGHT} in flight at most)",
                u.skipped
            ));
        }
        if self.received < self.expected {
            problems.push(format!(
                "{} of {} expected events had not arrived {} after the last update",
                self.expected - self.received,
                self.expected,
                ms(self.drain_wait)
            ));
        }
        if problems.is_empty() {
            rep.note(
                "Watch: every watch opened and stayed open; every successful update \
                 reached its watcher; no unexpected events."
                    .to_string(),
            );
        } else {
            rep.note(format!("Watch problems: {}.", problems.join("; ")));
        }
    }
}

// ---------------------------------------------------------------------------------
// measuring

/// The load server's RSS and peak RSS at points of the run.
#[derive(Default)]
struct Memory(Vec<(String, u64, u64, Instant)>);

impl Memory {
    fn mark(&mut self, pid: u32, label: &str) {
        if let (Ok(rss), Ok(hwm)) = (status_kib(pid, "VmRSS"), status_kib(pid, "VmHWM")) {
            self.0.push((label.to_string(), rss, hwm, Instant::now()));
        }
    }

    /// The checkpoint that ends the stretch holding `t`.
    fn phase_of(&self, t: Instant) -> &str {
        self.0
            .iter()
            .find(|m| m.3 >= t)
            .map_or("the end", |m| m.0.as_str())
    }

    fn describe(&self) -> String {
        let points: Vec<String> = self
            .0
            .iter()
            .map(|(l, rss, hwm, _)| format!("{l} {} (peak {})", mib(*rss), mib(*hwm)))
            .collect();
        format!(
            "Server RSS through the run (the server of phases 3-5): {}.",
            points.join(" → ")
        )
    }
}

/// What the load server logged after it was ready, and in which stretch of the run.
fn server_log(server: &Kelp, mem: &Memory) -> String {
    let Some(ready) = mem.0.first().map(|m| m.3) else {
        return String::new();
    };
    let lines: Vec<(Instant, String)> = server
        .lines
        .lock()
        .unwrap()
        .iter()
        .filter(|(t, _)| *t > ready)
        .cloned()
        .collect();
    if lines.is_empty() {
        return "The server logged nothing while under load.".to_string();
    }
    let shown: Vec<String> = lines
        .iter()
        .take(5)
        .map(|(t, l)| {
            // drop the timestamp
            let l = l
                .split_once(' ')
                .map_or(l.as_str(), |(_, rest)| rest.trim());
            format!("`{l}` (before \"{}\")", mem.phase_of(*t))
        })
        .collect();
    format!(
        "The server logged {} lines while under load{}: {}.",
        lines.len(),
        if lines.len() > 5 { ", the first 5" } else { "" },
        shown.join("; ")
    )
}

/// Server and benchmark CPU since a mark.
struct Cpu {
    pid: u32,
    tck: f64,
    at: Instant,
    server: u64,
    threads: HashMap<String, u64>,
    me: u64,
    system: u64,
}

struct CpuUse {
    wall: f64,
    server: f64,
    /// the server's busiest threads, in cores
    busiest: Vec<f64>,
    me: f64,
    /// everything else on the machine
    others: f64,
}

impl Cpu {
    fn mark(pid: u32, tck: f64) -> Cpu {
        Cpu {
            pid,
            tck,
            at: Instant::now(),
            server: cpu_ticks(&pid.to_string()),
            threads: thread_ticks(pid),
            me: cpu_ticks("self"),
            system: system_busy_ticks(),
        }
    }

    fn since(&self) -> CpuUse {
        let wall = self.at.elapsed().as_secs_f64();
        let mut busiest: Vec<f64> = thread_ticks(self.pid)
            .into_iter()
            .map(|(tid, t)| {
                let before = self.threads.get(&tid).copied().unwrap_or(0);
                t.saturating_sub(before) as f64 / self.tck / wall
            })
            .collect();
        busiest.sort_by(|a, b| b.total_cmp(a));
        busiest.truncate(3);
        let server = cpu_ticks(&self.pid.to_string()).saturating_sub(self.server) as f64 / self.tck;
        let me = cpu_ticks("self").saturating_sub(self.me) as f64 / self.tck;
        let system = system_busy_ticks().saturating_sub(self.system) as f64 / self.tck;
        CpuUse {
            wall,
            server,
            busiest,
            me,
            others: (system - server - me).max(0.0),
        }
    }
}

/// CPU ticks of this process and its waited-for children (every `kelp` it ran).
fn ours_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
        return 0;
    };
    // utime, stime, cutime, cstime: fields 14-17 of stat(5)
    rest.split_whitespace()
        .skip(11)
        .take(4)
        .filter_map(|v| v.parse::<u64>().ok())
        .sum()
}

/// Busy ticks of the whole machine, from the `cpu` line of `/proc/stat`.
fn system_busy_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(line) = stat.lines().find(|l| l.starts_with("cpu ")) else {
        return 0;
    };
    let f: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|v| v.parse().unwrap_or(0))
        .collect();
    // user nice system idle iowait irq softirq steal: all but idle and iowait
    [0, 1, 2, 5, 6, 7].iter().filter_map(|&i| f.get(i)).sum()
}

/// CPU ticks of each thread of `pid`, by thread id.
fn thread_ticks(pid: u32) -> HashMap<String, u64> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return HashMap::new();
    };
    dir.filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .map(|tid| {
            let t = cpu_ticks(&format!("{pid}/task/{tid}"));
            (tid, t)
        })
        .collect()
}

impl CpuUse {
    fn describe(&self) -> String {
        let busiest: Vec<String> = self.busiest.iter().map(|c| format!("{c:.2}")).collect();
        format!(
            "server CPU {:.1} s in {:.1} s ({:.2} cores; busiest threads {} cores), \
             benchmark client CPU {:.1} s ({:.2} cores), other processes {:.2} cores",
            self.server,
            self.wall,
            self.server / self.wall,
            busiest.join(" / "),
            self.me,
            self.me / self.wall,
            self.others / self.wall
        )
    }
}

/// utime + stime of `/proc/<pid>/stat`, in clock ticks (0 if unreadable).
fn cpu_ticks(pid: &str) -> u64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0;
    };
    let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
        return 0;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    // fields 14 and 15 of stat(5); `rest` starts at field 3
    field(11) + field(12)
}

fn clock_ticks() -> f64 {
    common::output("getconf", &["CLK_TCK"])
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100.0)
}

/// A numeric field of `/proc/<pid>/status` (kB for memory fields).
fn status_kib(pid: u32, field: &str) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("no {field} in /proc/{pid}/status"))
}

/// Bytes in the files under `dir` (0 if unreadable).
fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_size(&e.path()),
            Ok(_) => e.metadata().map_or(0, |m| m.len()),
            Err(_) => 0,
        })
        .sum()
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn opt_ms(d: Option<Duration>) -> String {
    d.map_or("?".into(), ms)
}

fn secs_f(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn target_le_ms(d: Duration, target: Duration) -> String {
    let verdict = if d <= target { "met" } else { "missed" };
    format!("≤ {} ms ({verdict})", target.as_millis())
}

fn target_le_mib(kib: u64) -> String {
    let verdict = if kib as f64 / 1024.0 <= TARGET_RSS_MIB {
        "met"
    } else {
        "missed"
    };
    format!("≤ {TARGET_RSS_MIB:.0} MiB ({verdict})")
}

// ---------------------------------------------------------------------------------
// the report

#[derive(Default)]
struct Report {
    rows: Vec<[String; 6]>,
    notes: Vec<String>,
}

impl Report {
    fn row(
        &mut self,
        n: &str,
        what: &str,
        result: impl Into<String>,
        p50: impl Into<String>,
        p99: impl Into<String>,
        target: impl Into<String>,
    ) {
        let r = [
            n.to_string(),
            what.to_string(),
            result.into(),
            p50.into(),
            p99.into(),
            target.into(),
        ];
        eprintln!("  {}: {} {} {} {}", r[1], r[2], r[3], r[4], r[5]);
        self.rows.push(r);
    }

    fn note(&mut self, n: String) {
        self.notes.push(n);
    }

    fn table(&self) -> String {
        let mut t = String::from(
            "| # | measurement | result | p50 | p99 | target |\n|--:|---|---|--:|--:|---|\n",
        );
        for r in &self.rows {
            let _ = writeln!(t, "| {} |", r.join(" | "));
        }
        t
    }
}

/// The commit the benchmark runs, read when it starts (cargo built it just before).
struct Build {
    commit: String,
    commit_time: String,
    /// uncommitted paths in `src/` changed before the binary was built
    dirty: Vec<String>,
    /// ...and after (so not in it)
    dirty_after: Vec<String>,
    binary_time: String,
}

impl Build {
    fn now() -> Build {
        let root = env!("CARGO_MANIFEST_DIR");
        let commit = common::output("git", &["-C", root, "rev-parse", "--short", "HEAD"])
            .unwrap_or_else(|_| "unknown".into());
        let commit_time = common::output(
            "git",
            &["-C", root, "log", "-1", "--format=%cd", "--date=unix"],
        )
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map_or("?".into(), |t| {
            common::utc(UNIX_EPOCH + Duration::from_secs(t))
        });
        let built = std::fs::metadata(KELP).and_then(|m| m.modified()).ok();
        // uncommitted paths under src/: in the binary if changed before it was built
        let status = Command::new("git")
            .args(["-C", root, "status", "--porcelain", "--", "src"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        let (mut dirty, mut dirty_after) = (Vec::new(), Vec::new());
        for line in status.lines() {
            let path = line.get(3..).unwrap_or_default();
            let path = path.rsplit(" -> ").next().unwrap_or(path).to_string();
            let changed = std::fs::metadata(Path::new(root).join(&path))
                .and_then(|m| m.modified())
                .ok();
            match (changed, built) {
                (Some(c), Some(b)) if c > b => dirty_after.push(path),
                _ => dirty.push(path),
            }
        }
        Build {
            commit,
            commit_time,
            dirty,
            dirty_after,
            binary_time: built.map_or("?".into(), common::utc),
        }
    }
}

fn section(
    rep: &Report,
    build: &Build,
    table: &str,
    secs: Duration,
    data: &Path,
    fs_type: &str,
) -> Result<String> {
    let command = match std::env::var("KELP_BENCH_SECS") {
        Ok(s) => format!("KELP_BENCH_SECS={s} cargo bench --bench api"),
        Err(_) => "cargo bench --bench api".to_string(),
    };
    let commit = format!(
        "commit `{}` (committed {}; the binary was built {})",
        build.commit, build.commit_time, build.binary_time
    );
    let quote = |paths: &[String]| {
        paths
            .iter()
            .map(|p| format!("`{p}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut dirty = String::new();
    if !build.dirty.is_empty() {
        let _ = write!(
            dirty,
            " plus uncommitted changes (others were editing) to {}",
            quote(&build.dirty)
        );
    }
    if !build.dirty_after.is_empty() {
        let _ = write!(
            dirty,
            "; changes to {} were made after the binary was built and are not in it",
            quote(&build.dirty_after)
        );
    }
    let uname = common::output("uname", &["-srm"])?;
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
    let mut notes = String::new();
    for n in &rep.notes {
        let _ = writeln!(notes, "- {n}");
    }
    Ok(format!(
        "## API server: the `kelp` binary under load\n\
         \n\
         - Date: {date}\n\
         - Machine: {uname}, {cpu}, {cores} cores, {mem:.1} GiB memory\n\
         - kelp: {commit}{dirty}, built by cargo's `bench` profile (opt-level 3 \
           without LTO), started by the benchmark as `kelp server` on 127.0.0.1 with an \
           empty config file\n\
         - Data dir: a fresh temp dir in `{parent}` ({fs_type})\n\
         - Command: `{command}`\n\
         - Client: in the benchmark process on the same {cores} cores (it competes with \
           the server for CPU): hyper 1 HTTP/2 over tokio-rustls with the kubeconfig's CA \
           and admin client certificate; {POOL} keep-alive connections used round-robin \
           for requests, {WATCH_CONNS} more for the watches.\n\
         - Method: (1) spawn → first 200 from `/readyz`, polled every 5 ms on a new \
           connection each time; the data dir was started and stopped (SIGTERM) once \
           before. (2) VmRSS of `/proc/PID/status`. (3) each level for {secs} s after a \
           1 s warm-up, unique names, 256-byte data. (4) {LIST_PODS} minimal Pods, then \
           {LIST_RUNS} sequential LISTs on one connection at a time. (5) {WATCHERS} pods \
           `w-N`, one watch each (`fieldSelector=metadata.name=w-N`, `resourceVersion` \
           after the creates), then every pod merge-patched once a second for \
           {WATCH_SECS} s (10 patches every 10 ms, at most {UPDATE_INFLIGHT} in flight), \
           the send time in nanoseconds in an annotation; delivery latency is receive \
           time − that timestamp, so it includes the PATCH itself. MiB = 2^20 bytes.\n\
         \n\
         {table}\n\
         {notes}",
        date = common::utc_now(),
        secs = secs.as_secs(),
    ))
}
