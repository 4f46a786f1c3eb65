//! Watch: a stream of `{"type":…,"object":…}` lines from the store's watch, with
//! initial events, selector transitions, bookmarks and timeouts as upstream sends them.

use std::time::Duration;

use tokio::time::Instant;

use bytes::Bytes;
use http::{Response, StatusCode};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::api::ResourceInfo;
use crate::api::status::ApiError;
use crate::store::{EventKind, StoreError, WatchRequest};

use super::crd::PrinterColumn;
use super::handlers::{Output, Query};
use super::registry::{Filter, ListOptions, decode, prefix, set_resource_version};
use super::{ApiServer, Body, table};

/// Events buffered per watcher before the watch is cut off (the client re-lists).
const BUFFER: usize = 256;
const BOOKMARK_EVERY: Duration = Duration::from_secs(60);
/// How long before its timeout a watch gets its last bookmark (upstream's cacher).
const PRE_TIMEOUT_BOOKMARK: Duration = Duration::from_secs(2);
/// Upstream's default when the client does not set timeoutSeconds: 30-60 minutes.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1800);

/// The initial events of a watch: read from the store, or shared with the cache.
enum Initial {
    Values(Vec<Value>),
    Cached(Vec<std::sync::Arc<super::watch_cache::CachedObject>>),
}

struct Sink {
    tx: mpsc::Sender<Bytes>,
    info: ResourceInfo,
    custom: Option<Vec<PrinterColumn>>,
    out: Output,
    /// A custom resource's objects, to the watch's version.
    converter: Option<super::conversion::Converter>,
}

impl Sink {
    /// Sends one event; false when the client is gone or too slow.
    fn send(&self, kind: &str, obj: &Value) -> bool {
        let converted;
        let obj = match &self.converter {
            Some(c) if kind != "BOOKMARK" && kind != "ERROR" => {
                let mut o = obj.clone();
                if let Err(e) = c.to_request(&mut o) {
                    return self.fail(e);
                }
                converted = o;
                &converted
            }
            _ => obj,
        };
        let object = match self.out {
            Output::Json => obj.clone(),
            Output::Table(include) if kind != "BOOKMARK" && kind != "ERROR" => table::Printer {
                info: &self.info,
                custom: self.custom.as_deref(),
            }
            .event_table(obj, include),
            Output::Table(_) => obj.clone(),
        };
        let mut line = serde_json::to_vec(&json!({"type": kind, "object": object}))
            .expect("JSON values serialize");
        line.push(b'\n');
        self.tx.try_send(Bytes::from(line)).is_ok()
    }

    /// Sends an event whose object is already encoded (shared by every watcher).
    fn send_encoded(&self, kind: &str, object: &Bytes) -> bool {
        let converted;
        let object = match &self.converter {
            Some(c) => match c.bytes_to_request(object) {
                Ok(b) => {
                    converted = b;
                    &converted
                }
                Err(e) => return self.fail(e),
            },
            None => object,
        };
        let mut line = Vec::with_capacity(object.len() + 32);
        line.extend_from_slice(b"{\"type\":\"");
        line.extend_from_slice(kind.as_bytes());
        line.extend_from_slice(b"\",\"object\":");
        line.extend_from_slice(object);
        line.extend_from_slice(b"}\n");
        self.tx.try_send(Bytes::from(line)).is_ok()
    }

    /// Ends the watch with an ERROR event carrying `e`'s Status.
    fn fail(&self, e: ApiError) -> bool {
        let status: Value = serde_json::from_slice(&e.to_json()).expect("Status is JSON");
        self.send("ERROR", &status);
        false
    }

    fn bookmark(&self, rv: i64, initial_end: bool) -> bool {
        let mut metadata = json!({"resourceVersion": rv.to_string()});
        if initial_end {
            metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        let obj = json!({
            "kind": self.info.kind,
            "apiVersion": self.info.api_version(),
            "metadata": metadata,
        });
        self.send("BOOKMARK", &obj)
    }
}

fn flag(query: &Query, name: &str) -> bool {
    super::request::query_bool(query, name).unwrap_or(false)
}

pub async fn serve(
    api: &ApiServer,
    info: ResourceInfo,
    custom: Option<Vec<PrinterColumn>>,
    namespace: Option<&str>,
    filter: Filter,
    query: &Query,
    out: Output,
) -> Result<Response<Body>, ApiError> {
    let rv = query.get("resourceVersion").cloned().unwrap_or_default();
    let start: Option<i64> = match rv.as_str() {
        "" | "0" => None,
        s => Some(
            s.parse()
                .map_err(|_| ApiError::bad_request(format!("invalid resource version: {s}")))?,
        ),
    };
    // upstream: no resourceVersion (or "0") means "current state, then changes"
    let send_initial =
        super::request::query_bool(query, "sendInitialEvents").unwrap_or(start.is_none());
    let bookmarks = flag(query, "allowWatchBookmarks");
    let timeout = match query.get("timeoutSeconds").filter(|t| !t.is_empty()) {
        Some(t) => Duration::from_secs(
            t.parse()
                .map_err(|_| ApiError::bad_request(format!("invalid timeoutSeconds: {t}")))?,
        ),
        None => DEFAULT_TIMEOUT,
    };
    let namespace = namespace.map(str::to_string);
    let registry_api = api.clone();
    let (tx, body) = super::body::channel(BUFFER);
    let sink = Sink {
        tx,
        info: info.clone(),
        custom,
        out,
        converter: api.inner.registry.conversions().for_resource(&info),
    };
    // the initial list (if any) is read before the response starts, so its errors are
    // ordinary error responses; without a resourceVersion it comes from the watch
    // cache together with the subscription that follows it
    let caches = &registry_api.inner.watch_caches;
    let mut cached = None;
    if send_initial && start.is_none() {
        cached = caches
            .list_and_subscribe(&info, namespace.as_deref(), &filter)
            .await;
    }
    let (initial, from, mut sub) = match cached {
        Some((list, sub)) => (
            Some(Initial::Cached(list.items)),
            list.revision + 1,
            Some(sub),
        ),
        None if send_initial => {
            let list = registry_api
                .inner
                .registry
                .list(
                    &info,
                    namespace.as_deref(),
                    &ListOptions {
                        filter: filter.clone(),
                        exact_revision: start,
                        ..Default::default()
                    },
                )
                .await?;
            (Some(Initial::Values(list.items)), list.revision + 1, None)
        }
        // no initial events: the changes after the given revision, or after now
        None => match start {
            Some(rv) => (None, rv + 1, None),
            None => (
                None,
                registry_api.inner.registry.revision().await? + 1,
                None,
            ),
        },
    };
    if sub.is_none() {
        sub = caches
            .subscribe(&info, namespace.as_deref(), &filter, from)
            .await;
    }
    let send_initial_end = send_initial && bookmarks && query.contains_key("sendInitialEvents");
    tokio::spawn(async move {
        let sent = match initial {
            None => true,
            Some(Initial::Values(items)) => items.iter().all(|obj| sink.send("ADDED", obj)),
            Some(Initial::Cached(items)) => items.iter().all(|obj| match sink.out {
                Output::Json => sink.send_encoded("ADDED", &obj.json),
                Output::Table(_) => sink.send("ADDED", &obj.value()),
            }),
        };
        if !sent || (send_initial_end && !sink.bookmark(from - 1, true)) {
            return;
        }
        if let Some(sub) = sub {
            let ns_prefix = prefix(&info, namespace.as_deref());
            serve_cached(&sink, &filter, &ns_prefix, sub, from, timeout, bookmarks).await;
            return;
        }
        let store = registry_api.inner.registry.store().clone();
        let mut watcher = match store
            .watch(WatchRequest {
                range: crate::store::KeyRange::prefix(&prefix(&info, namespace.as_deref())),
                start_revision: from,
                prev_kv: true,
            })
            .await
        {
            Ok(w) => w,
            Err(e) => {
                sink.send("ERROR", &error_object(e));
                return;
            }
        };
        let end = Instant::now() + timeout;
        let mut beat = Bookmarks::new(bookmarks, end);
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(end) => return,
                _ = sink.tx.closed() => return,
                _ = beat.due() => {
                    if !sink.bookmark(watcher.next_revision() - 1, false) {
                        return;
                    }
                }
                batch = watcher.recv() => {
                    let batch = match batch {
                        Some(Ok(b)) => b,
                        Some(Err(e)) => {
                            sink.send("ERROR", &error_object(e));
                            return;
                        }
                        None => return,
                    };
                    for ev in &batch.events {
                        if !deliver(&sink, &info, &filter, ev, batch.revision) {
                            return;
                        }
                    }
                }
            }
        }
    });
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(http::header::CACHE_CONTROL, "no-cache, private")
        .body(body)
        .expect("valid response"))
}

/// When a watch's periodic bookmarks are due, as upstream's cacher schedules them:
/// every minute, and once more 2 s before the watch times out, so that its client
/// resumes from a recent revision; none after that moment.
fn next_bookmark(now: Instant, end: Instant) -> Option<Instant> {
    let at = (now + BOOKMARK_EVERY).min(end.checked_sub(PRE_TIMEOUT_BOOKMARK)?);
    (at >= now).then_some(at)
}

/// The bookmark schedule of one watch (none unless it allowed bookmarks).
struct Bookmarks {
    next: Option<Instant>,
    end: Instant,
}

impl Bookmarks {
    fn new(allowed: bool, end: Instant) -> Self {
        let next = if allowed {
            next_bookmark(Instant::now(), end)
        } else {
            None
        };
        Bookmarks { next, end }
    }

    /// Completes when a bookmark is due (never, when none is left), and schedules
    /// the next.
    async fn due(&mut self) {
        match self.next {
            Some(at) => {
                tokio::time::sleep_until(at).await;
                self.next = next_bookmark(Instant::now(), self.end).filter(|n| *n > at);
            }
            None => std::future::pending().await,
        }
    }
}

/// Serves a watch from the watch cache: the backlog, then live events, with
/// bookmarks; ends when the client goes, the timeout passes or the watcher falls
/// too far behind (its client re-watches from the last resourceVersion it saw).
async fn serve_cached(
    sink: &Sink,
    filter: &Filter,
    ns_prefix: &[u8],
    mut sub: super::watch_cache::Subscription,
    from: i64,
    timeout: Duration,
    bookmarks: bool,
) {
    // the last revision this watcher has passed, delivered or not
    let mut seen = from - 1;
    for ev in std::mem::take(&mut sub.backlog) {
        if !deliver_cached(sink, filter, ns_prefix, &ev, from, &mut seen) {
            return;
        }
    }
    let end = Instant::now() + timeout;
    let mut beat = Bookmarks::new(bookmarks, end);
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(end) => return,
            _ = sink.tx.closed() => return,
            _ = beat.due() => {
                // the cache's revision, once this watcher has taken every event
                // queued for it up to there
                if let Some(p) = sub.progress() {
                    seen = seen.max(p);
                }
                if !sink.bookmark(seen, false) {
                    return;
                }
            }
            ev = sub.live.recv() => match ev {
                Some(ev) => {
                    if !deliver_cached(sink, filter, ns_prefix, &ev, from, &mut seen) {
                        return;
                    }
                }
                // cut off a watcher that fell behind; it re-watches from `seen`
                None => return,
            },
        }
    }
}

fn deliver_cached(
    sink: &Sink,
    filter: &Filter,
    ns_prefix: &[u8],
    ev: &super::watch_cache::CachedEvent,
    from: i64,
    seen: &mut i64,
) -> bool {
    // the cache hands each event from the start revision over once, in order
    debug_assert!(ev.revision >= from, "the subscription starts at {from}");
    *seen = (*seen).max(ev.revision);
    if !ev.key.starts_with(ns_prefix) {
        return true;
    }
    let old_matches = ev.prev.as_deref().is_some_and(|o| o.matches(filter));
    let kind = match ev.kind {
        EventKind::Put => {
            let new_matches = ev.object.matches(filter);
            match (old_matches, new_matches) {
                (true, true) => "MODIFIED",
                (false, true) => "ADDED",
                (true, false) => "DELETED",
                (false, false) => return true,
            }
        }
        EventKind::Delete if old_matches => "DELETED",
        EventKind::Delete => return true,
    };
    match sink.out {
        Output::Json => sink.send_encoded(kind, &ev.object.json),
        Output::Table(_) => sink.send(kind, &ev.object.value()),
    }
}

fn error_object(e: StoreError) -> Value {
    let api_err = match e {
        StoreError::Compacted {
            requested,
            compacted,
        } => ApiError::too_old_resource_version(requested.max(0) as u64, compacted.max(0) as u64),
        e => super::registry::store_error(e),
    };
    serde_json::from_slice(&api_err.to_json()).expect("Status is JSON")
}

/// Translates one store event into what a watcher with `filter` sees: an object that
/// starts matching is ADDED, one that stops matching is DELETED.
fn deliver(
    sink: &Sink,
    info: &ResourceInfo,
    filter: &Filter,
    ev: &crate::store::Event,
    revision: i64,
) -> bool {
    let decode_opt = |kv: Option<&crate::store::KeyValue>| kv.and_then(|kv| decode(kv).ok());
    let old = decode_opt(ev.prev_kv.as_ref());
    let old_matches = old.as_ref().is_some_and(|o| filter.matches(info, o));
    match ev.kind {
        EventKind::Put => {
            let Ok(new) = decode(&ev.kv) else {
                return true;
            };
            let new_matches = filter.matches(info, &new);
            match (old.is_some() && old_matches, new_matches) {
                (true, true) => sink.send("MODIFIED", &new),
                (false, true) => sink.send("ADDED", &new),
                (true, false) => sink.send("DELETED", &new),
                (false, false) => true,
            }
        }
        EventKind::Delete => match old {
            Some(mut o) if old_matches => {
                set_resource_version(&mut o, revision);
                sink.send("DELETED", &o)
            }
            _ => true,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bookmarks_come_every_minute_and_just_before_the_timeout() {
        let now = Instant::now();
        let s = Duration::from_secs;
        // a long watch: a minute from now
        assert_eq!(next_bookmark(now, now + s(1800)), Some(now + s(60)));
        // a watch ending within the minute: 2 s before its end
        assert_eq!(next_bookmark(now, now + s(10)), Some(now + s(8)));
        assert_eq!(next_bookmark(now, now + s(2)), Some(now));
        // too late for one
        assert_eq!(next_bookmark(now, now + s(1)), None);
        assert_eq!(next_bookmark(now + s(9), now + s(10)), None);
    }
}
