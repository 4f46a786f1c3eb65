//! The real binary under a stand-in for systemd's notification socket: `READY=1` once
//! the API serves, `WATCHDOG=1` at half of `WATCHDOG_USEC`, `STOPPING=1` on SIGTERM.

use std::os::unix::net::UnixDatagram;
use std::time::{Duration, Instant};

use crate::support::Server;

/// Receives notification messages until one contains `want`.
fn expect(sock: &UnixDatagram, want: &str, deadline: Duration) -> Vec<String> {
    let start = Instant::now();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = deadline.saturating_sub(start.elapsed());
        assert!(
            !left.is_zero(),
            "no {want:?} within {deadline:?}; got {seen:?}"
        );
        sock.set_read_timeout(Some(left)).unwrap();
        match sock.recv(&mut buf) {
            Ok(n) => {
                let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
                let done = msg.lines().any(|l| l == want);
                seen.push(msg);
                if done {
                    return seen;
                }
            }
            Err(e) => panic!("no {want:?} within {deadline:?} ({e}); got {seen:?}"),
        }
    }
}

#[test]
fn notifies_ready_watchdog_and_stopping() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notify.sock");
    let sock = UnixDatagram::bind(&path).unwrap();
    let mut server = Server::start_with_env(
        dir.path(),
        &[],
        &[
            ("NOTIFY_SOCKET", path.to_str().unwrap()),
            // 400 ms: a ping every 200 ms
            ("WATCHDOG_USEC", "400000"),
        ],
    );
    let seen = expect(&sock, "READY=1", Duration::from_secs(30));
    assert_eq!(seen.len(), 1, "READY=1 comes first: {seen:?}");
    // READY=1 means the API answers
    server.wait_for("API server ready", Duration::from_secs(5));
    expect(&sock, "WATCHDOG=1", Duration::from_secs(5));
    expect(&sock, "WATCHDOG=1", Duration::from_secs(5));
    let status = server.terminate();
    assert!(status.success(), "{status}");
    expect(&sock, "STOPPING=1", Duration::from_secs(1));
}
