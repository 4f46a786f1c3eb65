//! HTTPS serving: TLS with optional client certificates, authentication, request
//! limits (body size, inflight, timeout), graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::api::status::ApiError;
use crate::pki::{Identity, identity_from_client_cert};

use super::{ApiServer, Body, error_response};

/// Request bodies larger than this get 413, as upstream's 3 MiB limit.
pub const MAX_BODY: usize = 3 * 1024 * 1024;
pub const MAX_INFLIGHT: usize = 400;
pub const MAX_MUTATING_INFLIGHT: usize = 200;
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Static bearer tokens (`token → identity`), checked before service-account tokens.
#[derive(Default, Clone)]
pub struct Tokens(pub std::collections::HashMap<String, Identity>);

impl Tokens {
    /// Parses kube-apiserver's token file: `token,user,uid[,"group1,group2"]` per line;
    /// blank lines and lines starting with `#` are skipped.
    pub fn parse(text: &str) -> Result<Tokens, String> {
        let mut out = std::collections::HashMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields = split_csv(line);
            if fields.len() < 3 || fields[0].is_empty() || fields[1].is_empty() {
                return Err(format!(
                    "line {}: want token,user,uid[,\"groups\"], got {} fields",
                    n + 1,
                    fields.len()
                ));
            }
            let groups = fields
                .get(3)
                .map(|g| {
                    g.split(',')
                        .map(str::trim)
                        .filter(|g| !g.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            out.insert(
                fields[0].clone(),
                Identity {
                    user: fields[1].clone(),
                    groups,
                },
            );
        }
        Ok(Tokens(out))
    }
}

/// Splits one CSV line, honouring double quotes.
fn split_csv(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().expect("one field").push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(String::new()),
            c => fields.last_mut().expect("one field").push(c),
        }
    }
    fields.into_iter().map(|f| f.trim().to_string()).collect()
}

/// The request limits of kube-apiserver's flags of the same names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `--max-requests-inflight`: concurrent non-mutating requests; 0 is no limit.
    pub max_inflight: usize,
    /// `--max-mutating-requests-inflight`: concurrent mutating requests; 0 is no limit.
    pub max_mutating_inflight: usize,
    /// `--request-timeout`: the longest a request other than a watch may take; a
    /// request's `?timeout=` may only shorten it.
    pub request_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_inflight: MAX_INFLIGHT,
            max_mutating_inflight: MAX_MUTATING_INFLIGHT,
            request_timeout: REQUEST_TIMEOUT,
        }
    }
}

/// The inflight pools; `None` where the limit is 0.
struct Pools {
    reads: Option<Arc<Semaphore>>,
    writes: Option<Arc<Semaphore>>,
    request_timeout: Duration,
}

impl Pools {
    fn new(limits: &Limits) -> Pools {
        let pool =
            |n: usize| (n > 0).then(|| Arc::new(Semaphore::new(n.min(Semaphore::MAX_PERMITS))));
        Pools {
            reads: pool(limits.max_inflight),
            writes: pool(limits.max_mutating_inflight),
            request_timeout: limits.request_timeout,
        }
    }
}

#[derive(Clone)]
struct Conn {
    api: ApiServer,
    cert_identity: Option<Identity>,
    tokens: Arc<Tokens>,
    pools: Arc<Pools>,
}

fn bearer(req: &Request<Incoming>) -> Option<&str> {
    req.headers()
        .get(http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

fn is_mutating(method: &http::Method) -> bool {
    !matches!(
        *method,
        http::Method::GET | http::Method::HEAD | http::Method::OPTIONS
    )
}

fn is_watch(req: &Request<Incoming>) -> bool {
    req.uri().query().is_some_and(|q| {
        // the first `watch`, as the API server reads it
        q.split('&')
            .map(|p| p.split_once('=').unwrap_or((p, "")))
            .find(|(k, _)| *k == "watch")
            .is_some_and(|(_, v)| super::request::bool_value(v))
    })
}

/// `/healthz`, `/livez`, `/readyz` and their checks (upstream's `probes` flow schema).
fn is_probe(path: &str) -> bool {
    ["/healthz", "/livez", "/readyz"]
        .iter()
        .any(|p| path == *p || path.strip_prefix(p).is_some_and(|r| r.starts_with('/')))
}

/// How long a request other than a watch may take: the server's limit, or less when
/// its `?timeout=` asks for less (0, negative or longer values leave the limit, as
/// upstream's request-deadline filter does). A malformed value is a 400.
fn deadline_of(query: Option<&str>, limit: Duration) -> Result<Duration, ApiError> {
    let query = super::request::parse_query(query);
    let Some(value) = query.get("timeout").filter(|v| !v.is_empty()) else {
        return Ok(limit);
    };
    let nanos = super::request::go_duration(value).map_err(|e| {
        ApiError::bad_request(format!(
            "invalid timeout specified in the request URL - {e}"
        ))
    })?;
    let asked = Duration::from_nanos(nanos.max(0) as u64);
    Ok(if nanos > 0 && asked < limit {
        asked
    } else {
        limit
    })
}

impl Conn {
    /// The filter chain in upstream's order: the request deadline (a bad `?timeout=`
    /// is a 400 before anything else), authentication, the inflight limits
    /// (watches, `system:masters` and health probes exempt), the body limit, then the
    /// API.
    async fn handle(&self, req: Request<Incoming>) -> Response<Body> {
        let received = tokio::time::Instant::now();
        if is_watch(&req) {
            // a watch ends by its own timeoutSeconds
            return match self.admit(req, true).await {
                Ok(admitted) => admitted.run().await,
                Err(resp) => resp,
            };
        }
        let timeout = match deadline_of(req.uri().query(), self.pools.request_timeout) {
            Ok(t) => t,
            Err(e) => return error_response(&e),
        };
        let deadline = received + timeout;
        let timed_out = || {
            error_response(&ApiError::timeout(
                "request did not complete within requested timeout - context deadline exceeded",
                0,
            ))
        };
        let admitted = match tokio::time::timeout_at(deadline, self.admit(req, false)).await {
            Ok(Ok(admitted)) => admitted,
            Ok(Err(resp)) => return resp,
            Err(_) => return timed_out(),
        };
        // As upstream, a request that outlives its deadline is answered with a timeout
        // while its handler runs on to the end (holding its inflight slot): a write
        // that was under way may still be stored, and the handler is never cut off
        // between two steps that belong together.
        let mut running = tokio::spawn(admitted.run());
        match tokio::time::timeout_at(deadline, &mut running).await {
            Ok(Ok(resp)) => resp,
            Ok(Err(e)) => error_response(&ApiError::internal(&format!(
                "the request handler failed: {e}"
            ))),
            Err(_) => timed_out(),
        }
    }

    /// Authentication, the inflight limit and the body: what must pass before the
    /// API sees a request.
    async fn admit(&self, req: Request<Incoming>, watch: bool) -> Result<Admitted, Response<Body>> {
        // upstream's order: a client certificate wins over a bearer token
        let user = match bearer(&req).filter(|_| self.cert_identity.is_none()) {
            Some(t) => match self.tokens.0.get(t) {
                Some(id) => Some(id.clone()),
                None => match self.api.authenticate_token(t).await {
                    Some(id) => Some(id),
                    None => return Err(error_response(&ApiError::unauthorized())),
                },
            },
            None => self.cert_identity.clone(),
        };
        let pool = if is_mutating(req.method()) {
            &self.pools.writes
        } else {
            &self.pools.reads
        };
        let privileged = user
            .as_ref()
            .is_some_and(|u| u.groups.iter().any(|g| g == super::SUPERUSER_GROUP));
        // long-running requests (watches), system:masters and health probes are not
        // limited (upstream's exempt priority level takes the last two)
        let privileged = privileged || is_probe(req.uri().path());
        let permit = match pool {
            Some(pool) if !privileged && !watch => match pool.clone().try_acquire_owned() {
                Ok(p) => Some(p),
                Err(_) => return Err(error_response(&ApiError::too_many_requests(1))),
            },
            _ => None,
        };
        let (parts, body) = req.into_parts();
        let bytes = match Limited::new(body, MAX_BODY).collect().await {
            Ok(b) => b.to_bytes(),
            Err(e) if e.is::<http_body_util::LengthLimitError>() => {
                return Err(error_response(&ApiError::request_entity_too_large(
                    "limit is 3145728",
                )));
            }
            Err(e) => {
                return Err(error_response(&ApiError::bad_request(format!(
                    "reading the request body: {e}"
                ))));
            }
        };
        Ok(Admitted {
            api: self.api.clone(),
            req: Request::from_parts(parts, bytes),
            user,
            _permit: permit,
        })
    }
}

/// A request that passed [`Conn::admit`], with its inflight slot.
struct Admitted {
    api: ApiServer,
    req: Request<Bytes>,
    user: Option<Identity>,
    _permit: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl Admitted {
    async fn run(self) -> Response<Body> {
        self.api.handle(self.req, self.user).await
    }
}

/// Serves `api` on `listener` with TLS until `cancel` fires, then stops accepting and
/// lets open connections finish (watches end with the process).
pub async fn serve(
    api: ApiServer,
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    tokens: Tokens,
    limits: Limits,
    cancel: CancellationToken,
) -> std::io::Result<()> {
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    let tokens = Arc::new(tokens);
    let pools = Arc::new(Pools::new(&limits));
    loop {
        let (tcp, peer) = tokio::select! {
            _ = cancel.cancelled() => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    continue;
                }
            },
        };
        // small responses must not wait for Nagle's algorithm (40 ms delayed-ACK
        // stalls on sequential requests)
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(%peer, error = %e, "could not set TCP_NODELAY");
        }
        let acceptor = acceptor.clone();
        let conn = Conn {
            api: api.clone(),
            cert_identity: None,
            tokens: tokens.clone(),
            pools: pools.clone(),
        };
        let cancel = cancel.clone();
        tokio::spawn(async move { serve_conn(acceptor, tcp, peer, conn, cancel).await });
    }
}

async fn serve_conn(
    acceptor: tokio_rustls::TlsAcceptor,
    tcp: tokio::net::TcpStream,
    peer: SocketAddr,
    mut conn: Conn,
    cancel: CancellationToken,
) {
    let tls = match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            tracing::debug!(%peer, error = %e, "TLS handshake failed");
            return;
        }
        Err(_) => return,
    };
    conn.cert_identity = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|c| c.first())
        .and_then(|c| identity_from_client_cert(c));
    let service = hyper::service::service_fn(move |req| {
        let conn = conn.clone();
        async move { Ok::<_, std::convert::Infallible>(conn.handle(req).await) }
    });
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    let served = builder.serve_connection_with_upgrades(TokioIo::new(tls), service);
    tokio::pin!(served);
    tokio::select! {
        r = served.as_mut() => {
            if let Err(e) = r {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        }
        _ = cancel.cancelled() => {
            served.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(Duration::from_secs(5), served).await;
        }
    }
}

/// Serves one request in-process (no socket, no TLS) as `user`: the path in-process
/// components and tests take.
pub async fn handle_in_process(
    api: &ApiServer,
    req: Request<Bytes>,
    user: Identity,
) -> Response<Body> {
    api.handle(req, Some(user)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_file() {
        let t = Tokens::parse(
            "# comment\n\ns3cret,alice,1001,\"system:masters,dev\"\nother,bob,1002\n",
        )
        .unwrap();
        assert_eq!(t.0["s3cret"].user, "alice");
        assert_eq!(t.0["s3cret"].groups, vec!["system:masters", "dev"]);
        assert!(t.0["other"].groups.is_empty());
        assert!(Tokens::parse("onlytoken\n").is_err());
    }
}
