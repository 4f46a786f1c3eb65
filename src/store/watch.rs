//! Watches: live events from a broadcast ring, catch-up from the backend.
//!
//! A watcher subscribes to the live ring *before* it reads history, and tracks the
//! next revision it owes its consumer; anything older that arrives live is a repeat
//! and is skipped. When the ring overruns a slow watcher, it falls back to reading
//! the backend from its next revision, so a slow consumer costs disk reads, never
//! unbounded memory, and still loses nothing. Only compaction can end a watch early
//! ([`StoreError::Compacted`]), which the API layer turns into 410 Gone.

use std::collections::VecDeque;
use std::sync::{Arc, Weak};

use tokio::sync::broadcast;

use super::Result;
use super::types::{Event, KeyRange, WatchRequest};

/// Live ring size, in revisions.
const RING: usize = 4096;
/// Records read per catch-up step.
const REPLAY_CHUNK: usize = 1024;

/// All changes of one revision, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevEvents {
    pub revision: i64,
    pub events: Vec<Event>,
}

pub(crate) trait EventSource: Send + Sync {
    /// Events in `range` from revision `from` up to the committed head, reading at most
    /// about `max_records` records. Returns the events, the last revision examined and
    /// the head.
    fn replay(
        &self,
        range: &KeyRange,
        from: i64,
        prev_kv: bool,
        max_records: usize,
    ) -> Result<(Vec<RevEvents>, i64, i64)>;
}

pub(crate) struct WatchHub {
    tx: broadcast::Sender<Arc<RevEvents>>,
}

impl WatchHub {
    pub fn new() -> Self {
        WatchHub {
            tx: broadcast::channel(RING).0,
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<RevEvents>> {
        self.tx.subscribe()
    }

    pub fn publish(&self, events: RevEvents) {
        // no receivers is fine
        let _ = self.tx.send(Arc::new(events));
    }
}

/// A stream of changes; see the module docs for its guarantees.
pub struct Watcher {
    req: WatchRequest,
    next: i64,
    catching_up: bool,
    rx: broadcast::Receiver<Arc<RevEvents>>,
    source: Weak<dyn EventSource>,
    queue: VecDeque<RevEvents>,
    done: bool,
    progress: bool,
}

impl Watcher {
    pub(crate) fn new(
        req: WatchRequest,
        next: i64,
        catching_up: bool,
        rx: broadcast::Receiver<Arc<RevEvents>>,
        source: Weak<dyn EventSource>,
    ) -> Self {
        Watcher {
            req,
            next,
            catching_up,
            rx,
            source,
            queue: VecDeque::new(),
            done: false,
            progress: false,
        }
    }

    /// Also reports progress: a revision that changed nothing in the watched range
    /// comes as a batch with no events (etcd's progress notification, made eager), so
    /// that the consumer knows it has seen everything up to that revision.
    pub fn with_progress(mut self) -> Self {
        self.progress = true;
        self
    }

    /// The next revision this watcher will deliver.
    pub fn next_revision(&self) -> i64 {
        self.next
    }

    /// The changes of the next revision that touched the watched range. `None` when
    /// the store shut down or after an error was returned.
    pub async fn recv(&mut self) -> Option<Result<RevEvents>> {
        loop {
            if let Some(b) = self.queue.pop_front() {
                return Some(Ok(b));
            }
            if self.done {
                return None;
            }
            if self.catching_up {
                if let Err(e) = self.catch_up() {
                    self.done = true;
                    return Some(Err(e));
                }
                continue;
            }
            match self.rx.recv().await {
                Ok(b) => {
                    if b.revision >= self.next {
                        self.next = b.revision + 1;
                        if let Some(b) = self.filter(&b) {
                            return Some(Ok(b));
                        }
                        if self.progress {
                            return Some(Ok(RevEvents {
                                revision: b.revision,
                                events: Vec::new(),
                            }));
                        }
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => self.catching_up = true,
                Err(broadcast::error::RecvError::Closed) => {
                    self.done = true;
                    return None;
                }
            }
        }
    }

    fn catch_up(&mut self) -> Result<()> {
        let Some(source) = self.source.upgrade() else {
            self.done = true;
            return Ok(());
        };
        let (batches, reached, head) =
            source.replay(&self.req.range, self.next, self.req.prev_kv, REPLAY_CHUNK)?;
        let last = batches.last().map(|b| b.revision);
        self.queue.extend(batches);
        if self.progress && reached >= self.next && last.is_none_or(|l| l < reached) {
            self.queue.push_back(RevEvents {
                revision: reached,
                events: Vec::new(),
            });
        }
        self.next = self.next.max(reached + 1);
        self.catching_up = reached < head;
        Ok(())
    }

    fn filter(&self, b: &RevEvents) -> Option<RevEvents> {
        let events: Vec<Event> = b
            .events
            .iter()
            .filter(|e| self.req.range.contains(&e.kv.key))
            .map(|e| {
                let mut e = e.clone();
                if !self.req.prev_kv {
                    e.prev_kv = None;
                }
                e
            })
            .collect();
        (!events.is_empty()).then_some(RevEvents {
            revision: b.revision,
            events,
        })
    }
}

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watcher")
            .field("req", &self.req)
            .field("next", &self.next)
            .field("catching_up", &self.catching_up)
            .finish()
    }
}
