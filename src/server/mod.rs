//! The composition root: turns a validated [`config::ServerConfig`] into running
//! components, waits for them to be ready and shuts them down in order.
//!
//! Today `kelp server` runs the store (raft + redb) and its compactor. The Kubernetes
//! API server, scheduler, controllers and agent are later pieces; nothing pretends
//! to serve them yet.

pub mod config;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

use crate::raft::RaftStore;
use crate::store::compactor::{self, CompactionPolicy, Reclaim};
use crate::store::{Store, StoreError};

/// Reclaim file space when at least this much of the file is free...
const RECLAIM_RATIO: f64 = 0.5;
/// ...and the file has grown past this size.
const RECLAIM_MIN_BYTES: u64 = 16 << 20;

/// Where the store lives inside the data dir.
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

/// Runs `kelp server` until SIGINT/SIGTERM or until a core component fails (then the
/// error is returned and the process exits non-zero, so systemd restarts it).
pub async fn run(cfg: config::ServerConfig) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
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
    tracing::warn!(
        "the Kubernetes API server is not implemented yet: kelp server runs only its store"
    );

    let mut term = signal(SignalKind::terminate()).context("installing SIGTERM handler")?;
    let mut int = signal(SignalKind::interrupt()).context("installing SIGINT handler")?;
    let failure = tokio::select! {
        _ = term.recv() => None,
        _ = int.recv() => None,
        e = handle.failed() => Some(e),
    };
    if let Some(e) = failure {
        return Err(e);
    }
    tracing::info!("shutting down");
    handle.stop().await
}
