//! The serving baseline with the real binary over TLS: static-token logins, the
//! inflight limits (429 with Retry-After) and the request deadline (504, `?timeout=`).
//! Raw HTTP/1.1 comes from Python's standard library, which can send a request's
//! headers and hold its body back: that keeps a request in flight for as long as a
//! test needs, with no timing guesses.

use std::time::Duration;

use crate::kubectl::{Kubectl, kubectl_binary};
use crate::support::Server;

const TOKENS: &str = "admin-token,alice,1001,\"system:masters,dev\"\nbob-token,bob,1002\n";

/// `kelp server` with [`TOKENS`] as its token file, plus `extra` flags, once ready.
fn started_with_tokens(extra: &[&str]) -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens.csv");
    std::fs::write(&tokens, TOKENS).unwrap();
    let mut args = vec!["--token-auth-file", tokens.to_str().unwrap()];
    args.extend_from_slice(extra);
    let mut server = Server::start(dir.path(), &args);
    server.wait_for("API server ready", Duration::from_secs(30));
    (dir, server)
}

/// A kubeconfig logging in with `token` (and no client certificate).
fn token_kubectl(dir: &std::path::Path, port: u16, token: &str) -> Kubectl {
    let path = dir.join(format!("{token}.yaml"));
    let kc = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:{port}\n    insecure-skip-tls-verify: true\ncontexts:\n- name: c\n  context: {{cluster: c, user: u}}\ncurrent-context: c\nusers:\n- name: u\n  user: {{token: {token}}}\n"
    );
    std::fs::write(&path, kc).unwrap();
    Kubectl {
        bin: kubectl_binary(),
        kubeconfig: path,
    }
}

#[test]
fn token_file_users_log_in_and_only_masters_may_act() {
    let (dir, server) = started_with_tokens(&[]);

    let alice = token_kubectl(dir.path(), server.port, "admin-token");
    let who: serde_json::Value =
        serde_json::from_str(&alice.ok(&["auth", "whoami", "-o", "json"])).unwrap();
    assert_eq!(who["status"]["userInfo"]["username"], "alice");
    let groups = who["status"]["userInfo"]["groups"].to_string();
    assert!(
        groups.contains("\"system:masters\"") && groups.contains("\"dev\""),
        "{groups}"
    );
    alice.ok(&["create", "configmap", "from-alice", "--from-literal=a=b"]);
    assert_eq!(
        alice.ok(&["get", "cm", "from-alice", "-o", "jsonpath={.data.a}"]),
        "b"
    );

    // bob is authenticated but not authorized (no RBAC yet: only system:masters)
    let bob = token_kubectl(dir.path(), server.port, "bob-token");
    let who = bob.ok(&["auth", "whoami"]);
    assert!(who.contains("bob"), "{who}");
    let err = bob.fails(&["get", "cm"]);
    assert!(
        err.contains(
            "configmaps is forbidden: User \"bob\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"default\""
        ),
        "{err}"
    );
    let err = bob.fails(&["create", "configmap", "from-bob"]);
    assert!(
        err.contains("Forbidden") || err.contains("forbidden"),
        "{err}"
    );
    // nothing of bob's was stored
    let admin = Kubectl::new(&server);
    let names = admin.ok(&["get", "cm", "-o", "name"]);
    assert!(
        names.contains("configmap/from-alice\n") && !names.contains("from-bob"),
        "{names}"
    );

    // a token not in the file is refused
    let stranger = token_kubectl(dir.path(), server.port, "not-in-the-file");
    assert!(stranger.fails(&["get", "cm"]).contains("Unauthorized"));
    assert!(server.terminate().success());
}

/// Runs `script` with Python's standard library; `port` is `PORT` in it. Returns its
/// stdout, failing the test when the script fails.
fn python(script: &str, port: u16) -> String {
    let prelude = format!(
        "import ssl, socket, json, time, http.client\n\
         PORT = {port}\n\
         CTX = ssl.create_default_context(); CTX.check_hostname = False; CTX.verify_mode = ssl.CERT_NONE\n\
         def connect():\n\
         \x20   return CTX.wrap_socket(socket.create_connection(('127.0.0.1', PORT)), server_hostname='127.0.0.1')\n\
         def send_head(s, method, path, token, length):\n\
         \x20   s.sendall(f'{{method}} {{path}} HTTP/1.1\\r\\nHost: kelp\\r\\nAuthorization: Bearer {{token}}\\r\\nContent-Type: application/json\\r\\nContent-Length: {{length}}\\r\\n\\r\\n'.encode())\n\
         def answer(s):\n\
         \x20   r = http.client.HTTPResponse(s); r.begin(); body = r.read()\n\
         \x20   return r.status, r.getheader('Retry-After'), json.loads(body) if body else None\n\
         def request(method, path, token, body=b''):\n\
         \x20   s = connect(); send_head(s, method, path, token, len(body)); s.sendall(body)\n\
         \x20   try:\n\
         \x20       return answer(s)\n\
         \x20   finally:\n\
         \x20       s.close()\n\
         def cm(name):\n\
         \x20   return json.dumps({{'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {{'name': name}}}}).encode()\n"
    );
    let out = std::process::Command::new("/usr/bin/python3")
        .args(["-c", &format!("{prelude}{script}")])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn inflight_limits_answer_429_with_retry_after() {
    let (_dir, server) = started_with_tokens(&[
        "--max-mutating-requests-inflight",
        "1",
        "--max-requests-inflight",
        "1",
    ]);
    let out = python(
        r#"
CMS = '/api/v1/namespaces/default/configmaps'
# bob's create holds the one mutating slot while its body is held back
held = connect()
send_head(held, 'POST', CMS, 'bob-token', len(cm('held')))
# until the server has read those headers, bob's other creates get 403; then 429
deadline = time.time() + 20
while True:
    status, retry, body = request('POST', CMS, 'bob-token', cm('other'))
    if status == 429:
        break
    assert status == 403, (status, body)
    assert time.time() < deadline, 'no 429 within 20 s'
print('busy', status, retry, body['reason'], body['code'], body['details'], body['message'])
# reads have their own pool: bob's list is refused by authorization, not the limit
status, _, body = request('GET', CMS, 'bob-token')
print('read', status, body['reason'])
# a read held the same way (a GET with a body) fills the read pool; health probes
# are still answered
held_read = connect()
send_head(held_read, 'GET', CMS, 'bob-token', 10)
deadline = time.time() + 20
while True:
    status, retry, body = request('GET', CMS, 'bob-token')
    if status == 429:
        break
    assert status == 403, (status, body)
    assert time.time() < deadline, 'no 429 for reads within 20 s'
print('reads busy', status, retry)
s = connect(); send_head(s, 'GET', '/readyz', 'bob-token', 0)
r = http.client.HTTPResponse(s); r.begin(); print('probe', r.status, r.read().decode()); s.close()
held_read.sendall(b'0123456789')
status, _, body = answer(held_read)
held_read.close()
print('held read', status, body['reason'])
# system:masters is never limited
status, _, body = request('POST', CMS, 'admin-token', cm('from-alice'))
print('master', status, body['metadata']['name'])
# the held create finishes (and is refused); its slot is free again
held.sendall(cm('held'))
status, _, body = answer(held)
held.close()
print('held', status, body['reason'])
status, _, body = request('POST', CMS, 'bob-token', cm('other'))
print('free', status, body['reason'])
"#,
        server.port,
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "busy 429 1 TooManyRequests 429 {'retryAfterSeconds': 1} Too many requests, please try again later.",
            "read 403 Forbidden",
            "reads busy 429 1",
            "probe 200 ok",
            "held read 403 Forbidden",
            "master 201 from-alice",
            "held 403 Forbidden",
            "free 403 Forbidden",
        ],
        "{out}"
    );
    let k = Kubectl::new(&server);
    assert_eq!(
        k.ok(&["get", "cm", "from-alice", "-o", "name"]),
        "configmap/from-alice\n"
    );
    assert!(!k.ok(&["get", "cm", "-o", "name"]).contains("held"));
    assert!(server.terminate().success());
}

#[test]
fn requests_time_out_at_the_deadline_and_watches_do_not() {
    let (_dir, server) = started_with_tokens(&["--request-timeout", "3s"]);
    let out = python(
        r#"
CMS = '/api/v1/namespaces/default/configmaps'
def stalled(query):
    # a create whose body never comes: only the deadline ends it
    s = connect()
    start = time.time()
    send_head(s, 'POST', CMS + query, 'admin-token', 100)
    status, _, body = answer(s)
    s.close()
    return time.time() - start, status, body
for query in ['?timeout=1s', '', '?timeout=1h', '?timeout=0s', '?timeout=-5s']:
    took, status, body = stalled(query)
    # ?timeout= shortens the server's 3 s, never lengthens it
    want = 1 if query == '?timeout=1s' else 3
    assert want - 0.2 <= took < want + 20, (query, took)
    print(query or 'none', status, body['reason'], body['message'])
# a malformed timeout is a 400 before authentication
status, _, body = request('GET', CMS + '?timeout=soon', 'no-such-token')
print('bad', status, body['reason'], body['message'])
# a watch outlives the request timeout: it ends at its timeoutSeconds
s = connect()
start = time.time()
send_head(s, 'GET', CMS + '?watch=1&timeoutSeconds=5', 'admin-token', 0)
r = http.client.HTTPResponse(s); r.begin(); r.read(); s.close()
took = time.time() - start
assert took >= 4.8, took
print('watch', r.status)
"#,
        server.port,
    );
    let timeout = "Timeout Timeout: request did not complete within requested timeout - context deadline exceeded";
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            format!("?timeout=1s 504 {timeout}"),
            format!("none 504 {timeout}"),
            format!("?timeout=1h 504 {timeout}"),
            format!("?timeout=0s 504 {timeout}"),
            format!("?timeout=-5s 504 {timeout}"),
            "bad 400 BadRequest invalid timeout specified in the request URL - time: invalid duration \"soon\"".to_string(),
            "watch 200".to_string(),
        ],
        "{out}"
    );
    assert!(server.terminate().success());
}

#[test]
fn bad_requests_get_upstream_status_codes_and_change_nothing() {
    let (_dir, server) = started_with_tokens(&[]);
    let out = python(
        r#"
CMS = '/api/v1/namespaces/default/configmaps'
def send(what, method, path, body=b'', ctype='application/json', message=False):
    s = connect()
    s.sendall(f'{method} {path} HTTP/1.1\r\nHost: kelp\r\nAuthorization: Bearer admin-token\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n\r\n'.encode() + body)
    status, _, reply = answer(s)
    s.close()
    details = reply.get('details', {})
    print(what, status, reply.get('reason'), details.get('group', '-'), details.get('kind', '-'))
    if message:
        print(' ', reply['message'])
status, _, _ = request('POST', CMS, 'admin-token', cm('keep'))
assert status == 201, status
big = b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"big"},"data":{"a":"' + b'x' * (3 * 1024 * 1024 + 10) + b'"}}'
send('json', 'POST', CMS, b'{"apiVersion": "v1",')
send('yaml', 'POST', CMS, b'apiVersion: v1\nkind: [ConfigMap', 'application/yaml')
send('kind', 'POST', CMS, b'{"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"}}')
send('version', 'POST', CMS, b'{"apiVersion":"apps/v1","kind":"ConfigMap","metadata":{"name":"x"}}')
send('name', 'POST', CMS, b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"Not_Valid"}}')
send('noname', 'POST', CMS, b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{}}')
send('big', 'POST', CMS, big)
send('media', 'POST', CMS, b'hello', 'text/plain')
send('url-name', 'PUT', CMS + '/keep', cm('other'))
send('patch-media', 'PATCH', CMS + '/keep', b'{}', 'application/json')
send('labels', 'GET', CMS + '?labelSelector=a%20b%20c')
send('fields', 'GET', CMS + '?fieldSelector=data.x%3Dy')
send('rv', 'GET', CMS + '?resourceVersion=abc&resourceVersionMatch=Exact')
send('future', 'GET', CMS + '?resourceVersion=999999&resourceVersionMatch=Exact')
send('unknown', 'GET', '/api/v1/namespaces/default/gizmos')
send('policy', 'DELETE', CMS + '/keep', b'{"propagationPolicy":"Sideways"}', message=True)
send('both', 'DELETE', CMS + '/keep', b'{"propagationPolicy":"Orphan","orphanDependents":true}', message=True)
send('policy-query', 'DELETE', CMS + '/keep?propagationPolicy=Nope')
send('collection', 'DELETE', CMS + '?labelSelector=a%20b%20c')
send('dry-run', 'DELETE', CMS + '/keep?dryRun=Some', message=True)
send('dry-run-body', 'DELETE', CMS + '/keep', b'{"dryRun":["Some"]}')
send('dry-run-create', 'POST', CMS + '?dryRun=Some', cm('dry'))
status, _, reply = request('GET', CMS, 'admin-token')
print('stored', status, sorted(i['metadata']['name'] for i in reply['items']))
"#,
        server.port,
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "json 400 BadRequest - -",
            "yaml 400 BadRequest - -",
            "kind 400 BadRequest - -",
            "version 400 BadRequest - -",
            "name 422 Invalid - ConfigMap",
            "noname 422 Invalid - ConfigMap",
            "big 413 RequestEntityTooLarge - -",
            "media 415 UnsupportedMediaType - -",
            "url-name 400 BadRequest - -",
            "patch-media 415 UnsupportedMediaType - -",
            "labels 400 BadRequest - -",
            "fields 400 BadRequest - -",
            "rv 400 BadRequest - -",
            "future 504 Timeout - -",
            "unknown 404 NotFound - -",
            "policy 422 Invalid meta.k8s.io DeleteOptions",
            "  DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"Sideways\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"",
            "both 422 Invalid meta.k8s.io DeleteOptions",
            "  DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Invalid value: \"Orphan\": orphanDependents and deletionPropagation cannot be both set",
            "policy-query 422 Invalid meta.k8s.io DeleteOptions",
            "collection 400 BadRequest - -",
            "dry-run 422 Invalid meta.k8s.io DeleteOptions",
            "  DeleteOptions.meta.k8s.io \"\" is invalid: dryRun: Unsupported value: []string{\"Some\"}: supported values: \"All\"",
            "dry-run-body 422 Invalid meta.k8s.io DeleteOptions",
            "dry-run-create 422 Invalid meta.k8s.io CreateOptions",
            "stored 200 ['keep']",
        ],
        "{out}"
    );
    assert!(server.terminate().success());
}
