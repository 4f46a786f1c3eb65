//! systemd's readiness protocol for `Type=notify` units: `READY=1` once the API
//! serves, `STOPPING=1` when shutdown begins, and `WATCHDOG=1` at half the unit's
//! `WatchdogSec` while the process runs. Outside systemd (no `NOTIFY_SOCKET`) every
//! call does nothing.

use std::time::Duration;

use sd_notify::NotifyState;
use tokio_util::sync::CancellationToken;

fn send(state: &[NotifyState]) {
    // the environment is left alone: the agent in the same process notifies too
    if let Err(e) = sd_notify::notify(state) {
        tracing::warn!("cannot notify systemd: {e}");
    }
}

pub fn ready() {
    send(&[NotifyState::Ready]);
}

pub fn stopping() {
    send(&[NotifyState::Stopping]);
}

/// Starts the watchdog pings when systemd asks for them (`WATCHDOG_USEC`, for this
/// process when `WATCHDOG_PID` is set).
pub fn watchdog(cancel: CancellationToken) -> Option<tokio::task::JoinHandle<()>> {
    let timeout = sd_notify::watchdog_enabled().filter(|d| !d.is_zero())?;
    let every = (timeout / 2).max(Duration::from_millis(100));
    tracing::info!(
        interval_ms = every.as_millis() as u64,
        "systemd watchdog enabled"
    );
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tick.tick() => send(&[NotifyState::Watchdog]),
            }
        }
    }))
}
