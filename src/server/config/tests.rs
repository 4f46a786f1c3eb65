use super::*;
use clap::{Args, FromArgMatches};
use std::collections::HashMap;

/// Environment variables and flags of one test case.
type Env<'a> = &'a [(&'a str, &'a str)];
type Argv<'a> = &'a [&'a str];

/// A scratch directory with an optional config file in it.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new(yaml: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.yaml"), yaml).unwrap();
        Fixture { dir }
    }
    fn path(&self) -> String {
        self.dir.path().join("config.yaml").display().to_string()
    }
    /// Loads with the fixture's file given by `--config` ahead of `args`.
    fn load(&self, args: &[&str], env: &[(&str, &str)]) -> Result<ServerConfig, ConfigError> {
        let mut all = vec!["--config".to_string(), self.path()];
        all.extend(args.iter().map(|a| a.to_string()));
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        ServerConfig::load(server_flags(&refs), &env_of(env))
    }
    fn err(&self, args: &[&str], env: &[(&str, &str)]) -> String {
        let err = self.load(args, env).expect_err("config should be rejected");
        err.to_string()
    }
}

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name: &str| map.get(name).cloned()
}

fn server_flags(args: &[&str]) -> ServerFlags {
    let cmd = ServerFlags::augment_args(clap::Command::new("server"));
    let m = cmd
        .try_get_matches_from(std::iter::once("server").chain(args.iter().copied()))
        .unwrap();
    ServerFlags::from_arg_matches(&m).unwrap()
}

fn agent_flags(args: &[&str]) -> AgentFlags {
    let cmd = AgentFlags::augment_args(clap::Command::new("agent"));
    let m = cmd
        .try_get_matches_from(std::iter::once("agent").chain(args.iter().copied()))
        .unwrap();
    AgentFlags::from_arg_matches(&m).unwrap()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn defaults_follow_k3s() {
    let fx = Fixture::new("");
    let cfg = fx.load(&[], &[]).unwrap();
    let expected = ServerConfig {
        config: PathBuf::from(fx.path()),
        data_dir: "/var/lib/kelp".into(),
        bind_address: "0.0.0.0".parse().unwrap(),
        https_listen_port: 6443,
        advertise_address: None,
        write_kubeconfig: "/etc/kelp/kelp.yaml".into(),
        write_kubeconfig_mode: 0o600,
        disable_agent: false,
        node_name: None,
        node_labels: vec![],
        node_taints: vec![],
        cluster_cidr: "10.42.0.0/16".parse().unwrap(),
        service_cidr: "10.43.0.0/16".parse().unwrap(),
        cluster_dns: "10.43.0.10".parse().unwrap(),
        cluster_domain: "cluster.local".into(),
        server: None,
        token: None,
        disable: vec![],
        cluster_init: false,
        debug: false,
        store_keep_revisions: 10_000,
        store_keep_duration: Duration::from_secs(300),
        token_auth_file: None,
        anonymous_auth: true,
        max_requests_inflight: 400,
        max_mutating_requests_inflight: 200,
        request_timeout: Duration::from_secs(60),
    };
    assert_eq!(cfg, expected);
}

#[test]
fn missing_default_file_is_fine_missing_given_file_is_not() {
    let gone = "/nonexistent/kelp/config.yaml";
    assert_eq!(
        file_layer(Path::new(gone), false, SERVER_KEYS, &[]).unwrap(),
        Layer::new()
    );
    let by_flag = ServerConfig::load(server_flags(&["--config", gone]), &env_of(&[]));
    let by_env = ServerConfig::load(server_flags(&[]), &env_of(&[("KELP_CONFIG", gone)]));
    for result in [by_flag, by_env] {
        assert_eq!(
            result.unwrap_err().to_string(),
            "config file /nonexistent/kelp/config.yaml: not found"
        );
    }
}

#[test]
fn each_layer_overrides_the_one_below() {
    // (file, env, flags, expected data-dir)
    let cases: &[(&str, Env, Argv, &str)] = &[
        ("", &[], &[], "/var/lib/kelp"),
        ("data-dir: /file", &[], &[], "/file"),
        ("data-dir: /file", &[("KELP_DATA_DIR", "/env")], &[], "/env"),
        (
            "data-dir: /file",
            &[("KELP_DATA_DIR", "/env")],
            &["--data-dir", "/flag"],
            "/flag",
        ),
        ("", &[], &["--data-dir=/flag"], "/flag"),
        // An empty variable counts as unset.
        ("data-dir: /file", &[("KELP_DATA_DIR", "")], &[], "/file"),
    ];
    for (yaml, env, args, want) in cases {
        let cfg = Fixture::new(yaml).load(args, env).unwrap();
        assert_eq!(
            cfg.data_dir,
            PathBuf::from(want),
            "{yaml:?} {env:?} {args:?}"
        );
    }
}

#[test]
fn lists_from_a_later_layer_replace_earlier_ones() {
    let yaml = "node-label: [a=b, c=d]\ndisable: traefik,servicelb\n";
    // (env, flags, expected node-label, expected disable)
    let cases: &[(Env, Argv, &[&str], &[&str])] = &[
        (&[], &[], &["a=b", "c=d"], &["traefik", "servicelb"]),
        (
            &[("KELP_NODE_LABEL", "e=f, g=h")],
            &[],
            &["e=f", "g=h"],
            &["traefik", "servicelb"],
        ),
        (
            &[("KELP_NODE_LABEL", "e=f")],
            &["--node-label", "x=y", "--node-label=z=w,v=u"],
            &["x=y", "z=w", "v=u"],
            &["traefik", "servicelb"],
        ),
        (&[], &["--disable="], &["a=b", "c=d"], &[]),
    ];
    for (env, args, labels, disable) in cases {
        let cfg = Fixture::new(yaml).load(args, env).unwrap();
        assert_eq!(cfg.node_labels, strings(labels), "{env:?} {args:?}");
        assert_eq!(cfg.disable, strings(disable), "{env:?} {args:?}");
    }
}

#[test]
fn bools_in_every_layer() {
    // (file, env, flags, expected disable-agent)
    let cases: &[(&str, Env, Argv, bool)] = &[
        ("disable-agent: true", &[], &[], true),
        (
            "disable-agent: true",
            &[],
            &["--disable-agent=false"],
            false,
        ),
        ("", &[("KELP_DISABLE_AGENT", "1")], &[], true),
        ("", &[("KELP_DISABLE_AGENT", "TRUE")], &[], true),
        (
            "disable-agent: true",
            &[("KELP_DISABLE_AGENT", "0")],
            &[],
            false,
        ),
        ("", &[], &["--disable-agent"], true),
        ("disable-agent: \"1\"", &[], &[], true),
    ];
    for (yaml, env, args, want) in cases {
        let cfg = Fixture::new(yaml).load(args, env).unwrap();
        assert_eq!(cfg.disable_agent, *want, "{yaml:?} {env:?} {args:?}");
    }
}

#[test]
fn every_key_can_be_set_from_the_config_file() {
    let yaml = r#"
debug: true
data-dir: /srv/kelp
bind-address: 127.0.0.1
https-listen-port: 7443
advertise-address: 192.168.1.10
write-kubeconfig: /root/kube.yaml
write-kubeconfig-mode: "0644"
disable-agent: true
node-name: pi-1.lab
node-label: [example.com/role=edge, zone=]
node-taint: ["dedicated=edge:NoSchedule", "gpu:NoExecute"]
cluster-cidr: 10.52.0.0/16
service-cidr: 10.53.0.0/16
cluster-dns: 10.53.0.53
cluster-domain: edge.local
server: https://10.0.0.1:6443
token: s3cret
disable: [traefik]
cluster-init: false
store-keep-revisions: 0
store-keep-duration: 1h 30m
"#;
    let cfg = Fixture::new(yaml).load(&[], &[]).unwrap();
    assert!(cfg.debug && cfg.disable_agent && !cfg.cluster_init);
    assert_eq!(cfg.data_dir, PathBuf::from("/srv/kelp"));
    assert_eq!(cfg.bind_address, "127.0.0.1".parse::<IpAddr>().unwrap());
    assert_eq!(cfg.https_listen_port, 7443);
    assert_eq!(cfg.advertise_address, Some("192.168.1.10".parse().unwrap()));
    assert_eq!(cfg.write_kubeconfig, PathBuf::from("/root/kube.yaml"));
    assert_eq!(cfg.write_kubeconfig_mode, 0o644);
    assert_eq!(cfg.node_name.as_deref(), Some("pi-1.lab"));
    assert_eq!(
        cfg.node_labels,
        strings(&["example.com/role=edge", "zone="])
    );
    assert_eq!(
        cfg.node_taints,
        strings(&["dedicated=edge:NoSchedule", "gpu:NoExecute"])
    );
    assert_eq!(cfg.cluster_cidr.to_string(), "10.52.0.0/16");
    assert_eq!(cfg.service_cidr.to_string(), "10.53.0.0/16");
    assert_eq!(cfg.cluster_dns, "10.53.0.53".parse::<IpAddr>().unwrap());
    assert_eq!(cfg.cluster_domain, "edge.local");
    assert_eq!(cfg.server.as_deref(), Some("https://10.0.0.1:6443"));
    assert_eq!(cfg.token.as_deref(), Some("s3cret"));
    assert_eq!(cfg.disable, strings(&["traefik"]));
    assert_eq!(cfg.store_keep_revisions, 0);
    assert_eq!(cfg.store_keep_duration, Duration::from_secs(5400));
}

#[test]
fn yaml_scalars_and_nulls() {
    // (file, expected mode, expected port, expected node-name)
    let cases: &[(&str, u32, u16, Option<&str>)] = &[
        // Unquoted 0644 is the number 644 in YAML 1.2; its digits still read as octal.
        ("write-kubeconfig-mode: 0644", 0o644, 6443, None),
        ("write-kubeconfig-mode: 644", 0o644, 6443, None),
        ("https-listen-port: \"7443\"", 0o600, 7443, None),
        ("node-name: 123", 0o600, 6443, Some("123")),
        // `key:` with nothing after it leaves the key unset.
        ("node-name:\nhttps-listen-port:", 0o600, 6443, None),
        ("# only a comment", 0o600, 6443, None),
    ];
    for (yaml, mode, port, name) in cases {
        let cfg = Fixture::new(yaml).load(&[], &[]).unwrap();
        assert_eq!(cfg.write_kubeconfig_mode, *mode, "{yaml:?}");
        assert_eq!(cfg.https_listen_port, *port, "{yaml:?}");
        assert_eq!(cfg.node_name.as_deref(), *name, "{yaml:?}");
    }
}

#[test]
fn config_file_errors_name_the_file_and_key() {
    // (file, expected message after "config file PATH: ")
    let cases: &[(&str, &str)] = &[
        ("data_dirr: /x", r#"unknown key "data_dirr""#),
        (
            "data_dir: /x",
            r#"unknown key "data_dir" (did you mean "data-dir"?)"#,
        ),
        (
            "node-label: {a: b}",
            "wrong type for node-label: expected a list of strings, found a mapping",
        ),
        (
            "node-label: [[a=b]]",
            "wrong type for node-label: expected a list of strings, found a list",
        ),
        (
            "data-dir: [/a, /b]",
            "wrong type for data-dir: expected a single value, found a list",
        ),
        (
            "debug: {on: true}",
            "wrong type for debug: expected true or false, found a mapping",
        ),
        (
            "config: /other.yaml",
            r#"key "config" cannot be set in a config file (use --config or KELP_CONFIG)"#,
        ),
        (
            "- data-dir",
            "expected a mapping of keys to values, found a list",
        ),
        (
            "just words",
            "expected a mapping of keys to values, found a string",
        ),
    ];
    for (yaml, want) in cases {
        let fx = Fixture::new(yaml);
        let got = fx.err(&[], &[]);
        assert_eq!(
            got,
            format!("config file {}: {want}", fx.path()),
            "{yaml:?}"
        );
    }
    let fx = Fixture::new("data-dir: [unclosed");
    let got = fx.err(&[], &[]);
    assert!(
        got.starts_with(&format!("config file {}: invalid YAML: ", fx.path())),
        "{got}"
    );
    assert!(!got.contains('\n'), "{got}");
    let fx = Fixture::new("data-dir: /a\ndata-dir: /b");
    assert!(fx.err(&[], &[]).contains("invalid YAML"));
}

#[test]
fn every_validation_error_is_one_line_naming_the_key() {
    let long_name = "a".repeat(254);
    let long_name_flag = format!("--node-name={long_name}");
    // (flags, expected message)
    let cases: &[(&[&str], &str)] = &[
        (
            &["--https-listen-port", "0"],
            "invalid value for https-listen-port: 0 (must be 1-65535)",
        ),
        (
            &["--https-listen-port", "65536"],
            "invalid value for https-listen-port: 65536 (must be 1-65535)",
        ),
        (
            &["--https-listen-port", "web"],
            "invalid value for https-listen-port: web (must be 1-65535)",
        ),
        (
            &["--bind-address", "localhost"],
            "invalid value for bind-address: localhost (must be an IPv4 or IPv6 address)",
        ),
        (
            &["--advertise-address", "0.0.0.0"],
            "invalid value for advertise-address: 0.0.0.0 (must be an address others can reach, not the unspecified address)",
        ),
        (
            &["--data-dir="],
            r#"invalid value for data-dir: "" (must not be empty)"#,
        ),
        (
            &["--write-kubeconfig="],
            r#"invalid value for write-kubeconfig: "" (must not be empty)"#,
        ),
        (
            &["--write-kubeconfig-mode", "0800"],
            "invalid value for write-kubeconfig-mode: 0800 (must be octal permission bits such as 0600, at most 0777)",
        ),
        (
            &["--write-kubeconfig-mode", "1777"],
            "invalid value for write-kubeconfig-mode: 1777 (must be octal permission bits such as 0600, at most 0777)",
        ),
        (
            &["--debug=maybe"],
            "invalid value for debug: maybe (must be true, false, 1 or 0)",
        ),
        (
            &["--disable-agent=yes"],
            "invalid value for disable-agent: yes (must be true, false, 1 or 0)",
        ),
        (
            &["--cluster-init=on"],
            "invalid value for cluster-init: on (must be true, false, 1 or 0)",
        ),
        (
            &["--node-name", "Pi_1"],
            "invalid value for node-name: Pi_1 (must be a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters)",
        ),
        (
            &["--node-name", "pi..1"],
            "invalid value for node-name: pi..1 (must be a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters)",
        ),
        (&[long_name_flag.as_str()], "invalid value for node-name: "),
        (
            &["--node-label", "role"],
            "invalid value for node-label: role (must be key=value)",
        ),
        (
            &["--node-label=-role=x"],
            r#"invalid value for node-label: -role=x (key "-role": the name must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)"#,
        ),
        (
            &["--node-label", "Example.com/role=x"],
            r#"invalid value for node-label: Example.com/role=x (key "Example.com/role": the prefix before '/' must be a DNS-1123 subdomain)"#,
        ),
        (
            &["--node-label", "a/b/c=x"],
            r#"invalid value for node-label: a/b/c=x (key "a/b/c": the name must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)"#,
        ),
        (
            &["--node-label", "role=edge node"],
            r#"invalid value for node-label: "role=edge node" (value "edge node": must be empty or at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)"#,
        ),
        (
            &["--node-taint", "dedicated=edge"],
            "invalid value for node-taint: dedicated=edge (must be key=value:Effect or key:Effect)",
        ),
        (
            &["--node-taint", "dedicated=edge:NoRun"],
            r#"invalid value for node-taint: dedicated=edge:NoRun (effect "NoRun" must be NoSchedule, PreferNoSchedule or NoExecute)"#,
        ),
        (
            &["--node-taint", "=x:NoSchedule"],
            r#"invalid value for node-taint: =x:NoSchedule (key "": the name must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)"#,
        ),
        (
            &["--cluster-cidr", "10.42.0.0/33"],
            "invalid value for cluster-cidr: 10.42.0.0/33 (must be a CIDR such as 10.42.0.0/16)",
        ),
        (
            &["--service-cidr", "10.43.0.0"],
            "invalid value for service-cidr: 10.43.0.0 (must be a CIDR such as 10.42.0.0/16)",
        ),
        (
            &["--service-cidr", "10.42.128.0/24"],
            "invalid value for service-cidr: 10.42.128.0/24 (overlaps cluster-cidr 10.42.0.0/16)",
        ),
        (
            &["--cluster-dns", "10.44.0.10"],
            "invalid value for cluster-dns: 10.44.0.10 (must be inside service-cidr 10.43.0.0/16)",
        ),
        (
            &["--cluster-dns", "10.43.0.1"],
            "invalid value for cluster-dns: 10.43.0.1 (the network address and the first address of service-cidr 10.43.0.0/16 are reserved)",
        ),
        (
            &["--cluster-dns", "dns"],
            "invalid value for cluster-dns: dns (must be an IPv4 or IPv6 address)",
        ),
        (
            &["--cluster-domain", "Cluster.Local"],
            "invalid value for cluster-domain: Cluster.Local (must be a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters)",
        ),
        (
            &["--server", "http://10.0.0.1:6443", "--token", "t"],
            "invalid value for server: http://10.0.0.1:6443 (must be an https URL such as https://10.0.0.1:6443)",
        ),
        (
            &["--server", "https://10.0.0.1:6443"],
            "missing value for token (required to join the server given by server)",
        ),
        (
            &["--server", "https://a:6443", "--token=t", "--cluster-init"],
            "invalid value for cluster-init: true (cannot be combined with server: cluster-init starts a new cluster, server joins an existing one)",
        ),
        (
            &["--token="],
            r#"invalid value for token: "" (must not be empty)"#,
        ),
        (
            &["--disable", "Traefik"],
            "invalid value for disable: Traefik (must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)",
        ),
        (
            &["--store-keep-revisions=-1"],
            "invalid value for store-keep-revisions: -1 (must be a whole number, 0 or more)",
        ),
        (
            &["--store-keep-duration", "5"],
            "invalid value for store-keep-duration: 5 (must be a duration such as 90s, 5m or 1h: time unit needed, for example 5sec or 5ms)",
        ),
        (
            &["--store-keep-revisions", "0", "--store-keep-duration", "0s"],
            "invalid value for store-keep-revisions: 0 (store-keep-duration is 0 too, so the store would never compact and grow without bound; set at least one of them above 0)",
        ),
        (
            &["--request-timeout", "0s"],
            "invalid value for request-timeout: 0s (must be longer than 0: every request would time out at once)",
        ),
        (
            &["--max-requests-inflight", "many"],
            "invalid value for max-requests-inflight: many (must be a whole number, 0 or more)",
        ),
    ];
    let fx = Fixture::new("");
    for (args, want) in cases {
        let got = fx.err(args, &[]);
        assert!(
            got.starts_with(want),
            "{args:?}:\n got: {got}\nwant: {want}"
        );
        assert!(!got.contains('\n'), "{got}");
    }
}

#[test]
fn env_and_file_values_are_validated_like_flags() {
    let want = "invalid value for https-listen-port: 0 (must be 1-65535)";
    let fx = Fixture::new("https-listen-port: 0");
    assert_eq!(fx.err(&[], &[]), want);
    let fx = Fixture::new("");
    assert_eq!(fx.err(&[], &[("KELP_HTTPS_LISTEN_PORT", "0")]), want);
    // A bad value in a lower layer that a higher one replaces is never looked at.
    let fx = Fixture::new("https-listen-port: 0");
    assert_eq!(
        fx.load(&["--https-listen-port", "1"], &[])
            .unwrap()
            .https_listen_port,
        1
    );
}

#[test]
fn octal_mode_parsing() {
    let cases: &[(&str, Option<u32>)] = &[
        ("0600", Some(0o600)),
        ("600", Some(0o600)),
        ("0o644", Some(0o644)),
        ("0", Some(0)),
        ("0777", Some(0o777)),
        ("00000640", Some(0o640)),
        ("1000", None),
        ("0800", None),
        ("0x180", None),
        ("-600", None),
        ("rw", None),
        ("", None),
        ("0o", None),
        ("99999999999999999999", None),
    ];
    for (text, want) in cases {
        assert_eq!(parse_mode(text).ok(), *want, "{text:?}");
    }
}

#[test]
fn cidr_overlap_and_cluster_dns_placement() {
    // (cluster-cidr, service-cidr, cluster-dns, accepted)
    let cases: &[(&str, &str, &str, bool)] = &[
        ("10.42.0.0/16", "10.43.0.0/16", "10.43.0.10", true),
        ("10.42.0.0/16", "10.42.0.0/16", "10.42.0.10", false),
        ("10.0.0.0/8", "10.43.0.0/16", "10.43.0.10", false),
        ("10.42.5.0/24", "10.42.0.0/16", "10.42.0.10", false),
        ("10.42.0.1/16", "10.43.0.0/16", "10.43.0.10", true),
        ("10.42.0.0/16", "10.43.0.0/16", "10.43.255.254", true),
        ("10.42.0.0/16", "10.43.0.0/16", "10.44.0.10", false),
        ("10.42.0.0/16", "10.43.0.0/16", "10.43.0.0", false),
        ("10.42.0.0/16", "fd00:43::/112", "fd00:43::a", true),
        ("fd00:42::/56", "fd00:42::/112", "fd00:42::a", false),
        ("10.42.0.0/16", "fd00:43::/112", "10.43.0.10", false),
    ];
    let fx = Fixture::new("");
    for (pods, svc, dns, ok) in cases {
        let args = [
            "--cluster-cidr",
            pods,
            "--service-cidr",
            svc,
            "--cluster-dns",
            dns,
        ];
        let result = fx.load(&args, &[]);
        assert_eq!(result.is_ok(), *ok, "{args:?}: {result:?}");
    }
    // Host bits are cleared, as Go's ParseCIDR does.
    let cfg = fx.load(&["--cluster-cidr", "10.42.7.1/16"], &[]).unwrap();
    assert_eq!(cfg.cluster_cidr.to_string(), "10.42.0.0/16");
}

#[test]
fn https_urls() {
    let cases: &[(&str, bool)] = &[
        ("https://10.0.0.1:6443", true),
        ("https://kelp.example.com", true),
        ("https://[fd00::1]:6443/", true),
        ("https://host:6443/path?q", true),
        ("http://10.0.0.1:6443", false),
        ("https://", false),
        ("https://:6443", false),
        ("https://host:0", false),
        ("https://host:port", false),
        ("https://user@host", false),
        ("https://[fd00::1", false),
        ("https://ho st", false),
        ("10.0.0.1:6443", false),
    ];
    for (url, ok) in cases {
        assert_eq!(parse_https_url(url).is_ok(), *ok, "{url}");
    }
}

#[test]
fn label_and_taint_syntax() {
    let labels: &[(&str, bool)] = &[
        ("role=edge", true),
        ("role=", true),
        ("kubernetes.io/arch=arm64", true),
        ("A_b.C-9=X.y_z-1", true),
        (&format!("{}=x", "k".repeat(63)), true),
        (&format!("{}=x", "k".repeat(64)), false),
        (&format!("k={}", "v".repeat(64)), false),
        ("role", false),
        ("/role=x", false),
        ("role_=x", false),
        ("role=-x", false),
    ];
    for (label, ok) in labels {
        assert_eq!(check_label(label).is_ok(), *ok, "{label}");
    }
    let taints: &[(&str, bool)] = &[
        ("dedicated=edge:NoSchedule", true),
        ("dedicated:PreferNoSchedule", true),
        ("example.com/gpu=:NoExecute", true),
        ("dedicated=edge", false),
        ("dedicated=edge:noschedule", false),
        (":NoSchedule", false),
    ];
    for (taint, ok) in taints {
        assert_eq!(check_taint(taint).is_ok(), *ok, "{taint}");
    }
}

#[test]
fn agent_requires_server_and_token() {
    let fx = Fixture::new("");
    let config = fx.path();
    let load = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = vec!["--config", config.as_str()];
        all.extend_from_slice(args);
        AgentConfig::load(agent_flags(&all), &env_of(env))
    };
    assert_eq!(
        load(&[], &[]).unwrap_err().to_string(),
        "missing value for server (kelp agent needs --server, KELP_SERVER or server: in the config file)"
    );
    assert_eq!(
        load(&["--server", "https://10.0.0.1:6443"], &[])
            .unwrap_err()
            .to_string(),
        "missing value for token (kelp agent needs --token, KELP_TOKEN or token: in the config file)"
    );
    let cfg = load(
        &["--node-label", "zone=a"],
        &[
            ("KELP_SERVER", "https://10.0.0.1:6443"),
            ("KELP_TOKEN", "t"),
        ],
    )
    .unwrap();
    assert_eq!(cfg.server, "https://10.0.0.1:6443");
    assert_eq!(cfg.token, "t");
    assert_eq!(cfg.data_dir, PathBuf::from("/var/lib/kelp"));
    assert_eq!(cfg.node_labels, strings(&["zone=a"]));
    assert!(!format!("{cfg:?}").contains("\"t\""));
}

#[test]
fn agent_ignores_server_only_keys_but_not_unknown_ones() {
    let fx = Fixture::new("server: https://s:6443\ntoken: t\ncluster-cidr: 10.52.0.0/16\n");
    let flags = agent_flags(&["--config", &fx.path()]);
    assert_eq!(
        AgentConfig::load(flags, &env_of(&[])).unwrap().server,
        "https://s:6443"
    );
    let fx = Fixture::new("server: https://s:6443\ntoken: t\nclustr-cidr: x\n");
    let flags = agent_flags(&["--config", &fx.path()]);
    assert_eq!(
        AgentConfig::load(flags, &env_of(&[]))
            .unwrap_err()
            .to_string(),
        format!(r#"config file {}: unknown key "clustr-cidr""#, fx.path())
    );
}

#[test]
fn kubeconfig_path_follows_file_and_env() {
    let fx = Fixture::new("write-kubeconfig: /from/file.yaml\nhttps-listen-port: 0\n");
    let config = fx.path();
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[("KELP_CONFIG", "/nonexistent/config.yaml")],
            "config file",
        ),
        (&[("KELP_CONFIG", config.as_str())], "/from/file.yaml"),
        (
            &[
                ("KELP_CONFIG", config.as_str()),
                ("KELP_WRITE_KUBECONFIG", "/env.yaml"),
            ],
            "/env.yaml",
        ),
    ];
    for (env, want) in cases {
        let got = match kubeconfig_path(&env_of(env)) {
            Ok(path) => path.display().to_string(),
            Err(err) => err.to_string(),
        };
        assert!(got.starts_with(want), "{env:?}: {got}");
    }
}

#[test]
fn token_never_reaches_debug_output() {
    let fx = Fixture::new("");
    let cfg = fx
        .load(&["--server", "https://s:6443", "--token", "hunter2"], &[])
        .unwrap();
    let debug = format!("{cfg:?}");
    assert!(
        !debug.contains("hunter2") && debug.contains("<redacted>"),
        "{debug}"
    );
}

#[test]
fn reference_lists_every_key_with_its_env_var() {
    let doc = reference_markdown();
    for key in SERVER_KEYS.iter().chain(AGENT_KEYS) {
        assert!(doc.contains(&format!("`--{}", key.name)), "{}", key.name);
        assert!(
            doc.contains(&format!("`{}`", key.env_var())),
            "{}",
            key.name
        );
        if let Some(default) = key.default {
            assert!(doc.contains(&format!("`{default}`")), "{}", key.name);
        }
    }
    let rows = doc.lines().filter(|l| l.starts_with("| `--")).count();
    assert_eq!(rows, SERVER_KEYS.len() + AGENT_KEYS.len());
    assert_eq!(DATA_DIR.env_var(), "KELP_DATA_DIR");
}

#[test]
fn key_table_is_consistent() {
    for keys in [SERVER_KEYS, AGENT_KEYS] {
        let names: BTreeSet<_> = keys.iter().map(|k| k.name).collect();
        assert_eq!(names.len(), keys.len(), "duplicate key");
        // Every default parses: loading with no input uses all of them.
        for key in keys {
            // bools default to false, except where upstream's flag defaults to true
            // (anonymous-auth), and say BOOL
            assert_eq!(
                key.kind == Kind::Bool,
                matches!(key.default, Some("false" | "true")) && key.value_name == "BOOL",
                "{}",
                key.name
            );
        }
    }
    for cmd in [
        ServerFlags::augment_args(clap::Command::new("server")),
        AgentFlags::augment_args(clap::Command::new("agent")),
    ] {
        cmd.debug_assert();
    }
    // Every key is read when a ServerConfig is built (load also debug-asserts this).
    let fx = Fixture::new("");
    let r = Resolved::gather(
        SERVER_KEYS,
        &[],
        server_flags(&["--config", &fx.path()]).0,
        &env_of(&[]),
    )
    .unwrap();
    ServerConfig::from_resolved(&r).unwrap();
    assert_eq!(r.unread(), Vec::<&str>::new());
}

/// README.md embeds `reference_markdown()`; this keeps the two the same.
/// `KELP_UPDATE_README=1 cargo test readme_config_reference` rewrites the README.
#[test]
fn readme_config_reference_is_current() {
    const START: &str = "<!-- config-reference:start -->\n";
    const END: &str = "<!-- config-reference:end -->";
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let (Some(a), Some(b)) = (readme.find(START), readme.find(END)) else {
        panic!("README.md lacks the config reference markers");
    };
    let want = reference_markdown();
    let have = &readme[a + START.len()..b];
    if have != want {
        if std::env::var_os("KELP_UPDATE_README").is_some() {
            let updated = format!("{}{want}{}", &readme[..a + START.len()], &readme[b..]);
            std::fs::write(path, updated).unwrap();
        } else {
            panic!(
                "README.md's config reference is stale: run KELP_UPDATE_README=1 cargo test readme_config_reference"
            );
        }
    }
}
