//! The composition root: turns a validated [`config::ServerConfig`] into running
//! components, waits for them to be ready and shuts them down in order.
//!
//! Today `kelp server` runs the store (raft + redb) and its compactor, and the
//! Kubernetes API server over TLS in front of it. The scheduler, controllers and agent
//! are later pieces; nothing pretends to run them yet.

pub mod config;
mod notify;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

use crate::apiserver::ApiServer;
use crate::raft::RaftStore;
use crate::store::compactor::{self, CompactionPolicy, Reclaim};
use crate::store::{Store, StoreError};

/// Reclaim file space when at least this much of the file is free...
const RECLAIM_RATIO: f64 = 0.5;
/// ...and the file has grown past this size.
const RECLAIM_MIN_BYTES: u64 = 16 << 20;

/// Where the store lives inside the data dir.
/// Where auto-deployed manifests are read from (`<data-dir>/server/manifests`).
pub fn manifests_dir(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("server").join("manifests")
}

pub fn store_dir(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("server").join("db")
}

/// The running store and its background tasks.
pub struct StoreHandle {
    pub store: Arc<RaftStore>,
    cancel: CancellationToken,
    compactor: tokio::task::JoinHandle<Result<(), StoreError>>,
}

impl StoreHandle {
    /// Opens the store and starts its compactor.
    pub async fn start(dir: &std::path::Path, policy: CompactionPolicy) -> anyhow::Result<Self> {
        let store = Arc::new(
            RaftStore::open(dir)
                .await
                .with_context(|| format!("opening the store in {}", dir.display()))?,
        );
        let db = store.db().clone();
        let reclaim: Reclaim = Arc::new(move || {
            let (allocated, free) = db.fragmentation()?;
            if allocated < RECLAIM_MIN_BYTES || free < RECLAIM_RATIO {
                return Ok(false);
            }
            db.reclaim()
        });
        let cancel = CancellationToken::new();
        let compactor = tokio::spawn(compactor::run(
            store.clone() as Arc<dyn Store>,
            policy,
            Some(reclaim),
            cancel.child_token(),
        ));
        Ok(StoreHandle {
            store,
            cancel,
            compactor,
        })
    }

    /// Resolves when a background task fails; never resolves otherwise.
    pub async fn failed(&mut self) -> anyhow::Error {
        match (&mut self.compactor).await {
            Ok(Ok(())) => std::future::pending().await,
            Ok(Err(e)) => anyhow::Error::new(e).context("store compactor failed"),
            Err(e) => anyhow::Error::new(e).context("store compactor panicked"),
        }
    }

    pub async fn stop(self) -> anyhow::Result<()> {
        self.cancel.cancel();
        if !self.compactor.is_finished() {
            let _ = self.compactor.await;
        }
        self.store.shutdown().await.context("stopping raft")?;
        Ok(())
    }
}

/// The serving certificate's addresses: every address this server is reached at.
fn serving_sans(cfg: &config::ServerConfig) -> crate::pki::ServingSans {
    let mut ips = vec![];
    if let Some(a) = cfg.advertise_address {
        ips.push(a);
    }
    if !cfg.bind_address.is_unspecified() {
        ips.push(cfg.bind_address);
    }
    // the `kubernetes` Service's ClusterIP: the service range's first address
    if let std::net::IpAddr::V4(net) = cfg.service_cidr.network() {
        ips.push(std::net::IpAddr::V4(std::net::Ipv4Addr::from(
            u32::from(net) + 1,
        )));
    }
    let mut dns = vec![];
    if let Ok(host) = std::fs::read_to_string("/proc/sys/kernel/hostname") {
        let host = host.trim().to_lowercase();
        if !host.is_empty() {
            dns.push(host);
        }
    }
    crate::pki::ServingSans {
        ips,
        dns,
        cluster_domain: cfg.cluster_domain.clone(),
    }
}

/// Runs `kelp server` until SIGINT/SIGTERM or until a core component fails (then the
/// error is returned and the process exits non-zero, so systemd restarts it).
pub async fn run(cfg: config::ServerConfig) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    // first, so that a signal during start-up still stops kelp cleanly
    let mut term = signal(SignalKind::terminate()).context("installing SIGTERM handler")?;
    let mut int = signal(SignalKind::interrupt()).context("installing SIGINT handler")?;
    let dir = store_dir(&cfg.data_dir);
    let policy = CompactionPolicy::new(cfg.store_keep_revisions, cfg.store_keep_duration);
    let mut handle = StoreHandle::start(&dir, policy).await?;
    let status = handle.store.status().await?;
    tracing::info!(
        dir = %dir.display(),
        revision = status.revision,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "store ready"
    );

    let tls_dir = cfg.data_dir.join("server").join("tls");
    let pki = crate::pki::Pki::ensure(&tls_dir, &serving_sans(&cfg))
        .with_context(|| format!("preparing certificates in {}", tls_dir.display()))?;
    let listen = std::net::SocketAddr::new(cfg.bind_address, cfg.https_listen_port);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let advertise = cfg
        .advertise_address
        .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
    let ranges = match cfg.service_cidr {
        ipnet::IpNet::V4(cidr) => crate::apiserver::allocator::ServiceRanges { cidr },
        ipnet::IpNet::V6(_) => anyhow::bail!("IPv6 service-cidr is not supported yet"),
    };
    let api = ApiServer::new(
        handle.store.clone() as Arc<dyn Store>,
        std::net::SocketAddr::new(advertise, cfg.https_listen_port).to_string(),
        ranges,
    );
    api.set_anonymous_auth(cfg.anonymous_auth);
    let sa_key = crate::pki::ServiceAccountKey::load_or_create(&tls_dir)
        .with_context(|| format!("preparing the service-account key in {}", tls_dir.display()))?;
    api.set_service_account_key(Arc::new(sa_key));
    api.bootstrap(advertise, cfg.https_listen_port)
        .await
        .context("creating the default namespaces and the kubernetes Service")?;
    let url = format!("https://127.0.0.1:{}", cfg.https_listen_port);
    crate::pki::write_kubeconfig(&cfg.write_kubeconfig, cfg.write_kubeconfig_mode, &url, &pki)
        .with_context(|| format!("writing {}", cfg.write_kubeconfig.display()))?;
    let tokens = match &cfg.token_auth_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading token-auth-file {}", path.display()))?;
            crate::apiserver::serve::Tokens::parse(&text)
                .map_err(|e| anyhow::anyhow!("token-auth-file {}: {e}", path.display()))?
        }
        None => Default::default(),
    };
    let cancel = CancellationToken::new();
    let deployer = tokio::spawn(crate::controllers::manifests::run(
        crate::apiserver::client::in_process_client(
            api.clone(),
            crate::pki::Identity {
                user: "system:kelp-deploy".into(),
                groups: vec![crate::apiserver::SUPERUSER_GROUP.into()],
            },
        ),
        manifests_dir(&cfg.data_dir),
        cfg.disable.clone(),
        cancel.child_token(),
    ));
    let mut serving = tokio::spawn(crate::apiserver::serve::serve(
        api,
        listener,
        pki.server_tls_config(),
        tokens,
        crate::apiserver::serve::Limits {
            max_inflight: usize::try_from(cfg.max_requests_inflight).unwrap_or(usize::MAX),
            max_mutating_inflight: usize::try_from(cfg.max_mutating_requests_inflight)
                .unwrap_or(usize::MAX),
            request_timeout: cfg.request_timeout,
        },
        cancel.child_token(),
    ));
    tracing::info!(
        %listen,
        kubeconfig = %cfg.write_kubeconfig.display(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "API server ready"
    );
    notify::ready();
    let watchdog = notify::watchdog(cancel.child_token());

    let failure = tokio::select! {
        _ = term.recv() => None,
        _ = int.recv() => None,
        e = handle.failed() => Some(e),
        r = &mut serving => Some(match r {
            Ok(Ok(())) => anyhow::anyhow!("the API server stopped"),
            Ok(Err(e)) => anyhow::Error::new(e).context("the API server failed"),
            Err(e) => anyhow::Error::new(e).context("the API server panicked"),
        }),
    };
    if let Some(e) = failure {
        return Err(e);
    }
    tracing::info!("shutting down");
    notify::stopping();
    cancel.cancel();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), serving).await;
    let _ = deployer.await;
    if let Some(w) = watchdog {
        let _ = w.await;
    }
    handle.stop().await
}
