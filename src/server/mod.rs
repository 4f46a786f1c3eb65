//! The composition root: turns a validated [`config::ServerConfig`] into running
//! components, waits for them to be ready and shuts them down in order.

pub mod config;

/// Runs `kelp server` until a shutdown signal arrives or a core component fails.
pub async fn run(cfg: config::ServerConfig) -> anyhow::Result<()> {
    let _ = cfg;
    anyhow::bail!("server: not wired yet")
}
