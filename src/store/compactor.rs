//! Automatic compaction: keeps history bounded by revision count and by age.
//!
//! Every `interval` the compactor samples the head revision. It compacts to the
//! smaller of `head - keep_revisions` and the head it saw `keep_for` ago, so both
//! windows are kept (either may be disabled with 0). With no new writes the target
//! stops moving, so an idle store is not written to. After a compaction it lets the
//! owner reclaim file space (redb compaction) when enough of the file is free.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompactionPolicy {
    /// Revisions always kept below the head; 0 disables this bound.
    pub keep_revisions: u64,
    /// History younger than this is kept; zero disables this bound.
    pub keep_for: Duration,
    /// How often to sample and decide.
    pub interval: Duration,
}

impl CompactionPolicy {
    pub fn new(keep_revisions: u64, keep_for: Duration) -> Self {
        // sample often enough that the age bound is honoured to within ~10%
        let interval = if keep_for.is_zero() {
            Duration::from_secs(10)
        } else {
            (keep_for / 10).clamp(Duration::from_millis(100), Duration::from_secs(30))
        };
        CompactionPolicy {
            keep_revisions,
            keep_for,
            interval,
        }
    }
}

/// Head revisions seen over time; the pure half of the compactor.
#[derive(Debug, Default)]
pub struct Samples {
    seen: VecDeque<(Instant, i64)>,
}

impl Samples {
    pub fn record(&mut self, now: Instant, head: i64) {
        self.seen.push_back((now, head));
    }

    /// The revision to compact to now, if it is above `compacted`.
    pub fn target(
        &mut self,
        policy: &CompactionPolicy,
        now: Instant,
        head: i64,
        compacted: i64,
    ) -> Option<i64> {
        let by_count = (policy.keep_revisions > 0).then(|| head - policy.keep_revisions as i64);
        let by_age = if policy.keep_for.is_zero() {
            None
        } else {
            let cutoff = now.checked_sub(policy.keep_for)?;
            // drop samples superseded by a newer one that is also older than the cutoff
            while self.seen.len() > 1 && self.seen[1].0 <= cutoff {
                self.seen.pop_front();
            }
            match self.seen.front() {
                Some(&(t, rev)) if t <= cutoff => Some(rev),
                _ => return None, // not enough history observed yet
            }
        };
        let target = match (by_count, by_age) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => return None,
        };
        (target > compacted && target > 0).then_some(target)
    }
}

/// Called after a compaction to give file space back; returns what it did.
pub type Reclaim = Arc<dyn Fn() -> Result<bool, StoreError> + Send + Sync>;

/// Runs until `cancel` fires. Errors are logged and retried next interval, except a
/// fatal store error, which is returned.
pub async fn run(
    store: Arc<dyn Store>,
    policy: CompactionPolicy,
    reclaim: Option<Reclaim>,
    cancel: CancellationToken,
) -> Result<(), StoreError> {
    let mut samples = Samples::default();
    let mut ticker = tokio::time::interval(policy.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return Ok(()),
            _ = ticker.tick() => {}
        }
        let status = store.status().await?;
        let now = Instant::now();
        samples.record(now, status.revision);
        let Some(target) = samples.target(&policy, now, status.revision, status.compact_revision)
        else {
            continue;
        };
        match store.compact(target).await {
            Ok(()) => tracing::debug!(revision = target, "compacted store history"),
            Err(e @ StoreError::Fatal(_)) => return Err(e),
            Err(e) => {
                tracing::warn!(revision = target, error = %e, "compaction failed");
                continue;
            }
        }
        if let Some(reclaim) = &reclaim {
            let reclaim = reclaim.clone();
            match tokio::task::spawn_blocking(move || reclaim()).await {
                Ok(Ok(true)) => tracing::info!("reclaimed free space in the store file"),
                Ok(Ok(false)) => {}
                Ok(Err(e @ StoreError::Fatal(_))) => return Err(e),
                Ok(Err(e)) => tracing::warn!(error = %e, "reclaiming store file space failed"),
                Err(e) => return Err(StoreError::Fatal(format!("reclaim panicked: {e}"))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(keep_revisions: u64, keep_secs: u64) -> CompactionPolicy {
        CompactionPolicy {
            keep_revisions,
            keep_for: Duration::from_secs(keep_secs),
            interval: Duration::from_secs(1),
        }
    }

    #[test]
    fn by_revision_count_only() {
        let mut s = Samples::default();
        let t0 = Instant::now();
        let p = policy(100, 0);
        assert_eq!(s.target(&p, t0, 50, 0), None);
        assert_eq!(s.target(&p, t0, 150, 0), Some(50));
        assert_eq!(s.target(&p, t0, 150, 50), None, "idle: nothing new to do");
    }

    #[test]
    fn by_age_waits_for_history_and_keeps_both_windows() {
        let mut s = Samples::default();
        let t0 = Instant::now() + Duration::from_secs(1000);
        let p = policy(10, 60);
        s.record(t0, 100);
        assert_eq!(s.target(&p, t0, 100, 0), None, "no sample old enough yet");
        s.record(t0 + Duration::from_secs(30), 500);
        s.record(t0 + Duration::from_secs(61), 900);
        // the head 60s ago was 100: keep everything after it
        assert_eq!(
            s.target(&p, t0 + Duration::from_secs(61), 900, 0),
            Some(100)
        );
        // 91s in: the sample at 30s (rev 500) is now old enough
        assert_eq!(
            s.target(&p, t0 + Duration::from_secs(91), 905, 100),
            Some(500)
        );
        // the count window is tighter when few revisions happened
        let p = policy(1000, 60);
        assert_eq!(s.target(&p, t0 + Duration::from_secs(200), 905, 0), None);
    }
}
