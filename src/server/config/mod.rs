//! Typed configuration for `kelp server` and `kelp agent`. One table of keys ([`SERVER_KEYS`]
//! and [`AGENT_KEYS`]) drives the command-line flags, the `KELP_*` environment variables,
//! the config-file keys and the reference docs. Start at [`ServerConfig::load`].
//!
//! Layers, lowest first: built-in defaults < config file (YAML) < environment < flags.
//! A later layer replaces a key wholesale, lists included (as k3s does). Every layer is
//! text first and is parsed by the same per-key parser, so `KELP_HTTPS_LISTEN_PORT=0`,
//! `https-listen-port: 0` and `--https-listen-port 0` fail with the same message.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Arg, ArgAction, ArgMatches};
use ipnet::IpNet;
use serde_yaml::Value as Yaml;

/// How a key is written on the command line and merged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// One value: `--key VALUE`.
    Value,
    /// `--key`, `--key=true|false|1|0`.
    Bool,
    /// Repeatable; every layer also splits values on commas (`--disable a,b`).
    List,
}

/// One configuration key: its flag, config-file key and (derived) env var.
#[derive(Clone, Copy, Debug)]
struct Key {
    name: &'static str,
    kind: Kind,
    /// The default in the same text syntax a user would write; parsed like user input.
    default: Option<&'static str>,
    value_name: &'static str,
    help: &'static str,
}

impl Key {
    /// `data-dir` → `KELP_DATA_DIR`.
    fn env_var(&self) -> String {
        format!("KELP_{}", self.name.to_ascii_uppercase().replace('-', "_"))
    }

    fn arg(&self) -> Arg {
        let mut help = self.help.to_string();
        if let Some(default) = self.default {
            help.push_str(&format!(" [default: {default}]"));
        }
        help.push_str(&format!(" [env: {}]", self.env_var()));
        let arg = Arg::new(self.name)
            .long(self.name)
            .value_name(self.value_name)
            .help(help);
        match self.kind {
            Kind::Value => arg.action(ArgAction::Set),
            Kind::Bool => arg
                .action(ArgAction::Set)
                .num_args(0..=1)
                .require_equals(true)
                .default_missing_value("true"),
            Kind::List => arg.action(ArgAction::Append),
        }
    }
}

macro_rules! keys {
    ($($id:ident: $name:literal, $kind:ident, $default:expr, $value_name:literal,
        $help:literal;)*) => {
        $(const $id: Key = Key {
            name: $name,
            kind: Kind::$kind,
            default: $default,
            value_name: $value_name,
            help: $help,
        };)*
    };
}

// name, kind, default (as a user would write it), value name in --help, description.
keys! {
    CONFIG: "config", Value, Some("/etc/kelp/config.yaml"), "PATH",
        "YAML file of these keys; a missing default file is ignored, a missing given file is an error";
    DEBUG: "debug", Bool, Some("false"), "BOOL",
        "Log at debug level (RUST_LOG, when set, overrides)";
    DATA_DIR: "data-dir", Value, Some("/var/lib/kelp"), "PATH",
        "Directory for the store, certificates and node state";
    BIND_ADDRESS: "bind-address", Value, Some("0.0.0.0"), "IP",
        "Address the API server listens on";
    HTTPS_LISTEN_PORT: "https-listen-port", Value, Some("6443"), "PORT",
        "TLS port of the API server";
    ADVERTISE_ADDRESS: "advertise-address", Value, None, "IP",
        "Address other servers, agents and the kubeconfig use to reach this server (default: chosen by the server)";
    WRITE_KUBECONFIG: "write-kubeconfig", Value, Some("/etc/kelp/kelp.yaml"), "PATH",
        "Where to write the admin kubeconfig (also read by `kelp kubectl`)";
    WRITE_KUBECONFIG_MODE: "write-kubeconfig-mode", Value, Some("0600"), "MODE",
        "File mode of the admin kubeconfig, in octal";
    DISABLE_AGENT: "disable-agent", Bool, Some("false"), "BOOL",
        "Run the control plane only, without the node agent";
    NODE_NAME: "node-name", Value, None, "NAME",
        "Name of this node, a DNS-1123 subdomain (default: the host name)";
    NODE_LABEL: "node-label", List, None, "KEY=VALUE",
        "Labels to register the node with";
    NODE_TAINT: "node-taint", List, None, "KEY[=VALUE]:EFFECT",
        "Taints to register the node with; EFFECT is NoSchedule, PreferNoSchedule or NoExecute";
    CLUSTER_CIDR: "cluster-cidr", Value, Some("10.42.0.0/16"), "CIDR",
        "Pod IP range";
    SERVICE_CIDR: "service-cidr", Value, Some("10.43.0.0/16"), "CIDR",
        "Service cluster IP range; must not overlap cluster-cidr";
    CLUSTER_DNS: "cluster-dns", Value, Some("10.43.0.10"), "IP",
        "Cluster DNS Service address; must be inside service-cidr";
    CLUSTER_DOMAIN: "cluster-domain", Value, Some("cluster.local"), "DOMAIN",
        "Cluster DNS domain";
    SERVER: "server", Value, None, "URL",
        "https URL of an existing server to join (needs token)";
    TOKEN: "token", Value, None, "TOKEN",
        "Shared secret used to join a cluster";
    DISABLE: "disable", List, None, "NAME",
        "Packaged components not to deploy";
    CLUSTER_INIT: "cluster-init", Bool, Some("false"), "BOOL",
        "Start a new cluster that other servers can join with --server";
    STORE_KEEP_REVISIONS: "store-keep-revisions", Value, Some("10000"), "N",
        "Store history keeps at least the last N revisions, for watches to resume; 0 disables this bound";
    STORE_KEEP_DURATION: "store-keep-duration", Value, Some("5m"), "DURATION",
        "Store history keeps at least this much time (e.g. 90s, 5m, 1h); 0 disables this bound";
    TOKEN_AUTH_FILE: "token-auth-file", Value, None, "PATH",
        "CSV file of static bearer tokens for the API server: token,user,uid[,\"group1,group2\"] (kube-apiserver's format)";
    ANONYMOUS_AUTH: "anonymous-auth", Bool, Some("true"), "BOOL",
        "Answer unauthenticated requests to /version, /healthz, /livez and /readyz (every other path needs credentials either way)";
    MAX_REQUESTS_INFLIGHT: "max-requests-inflight", Value, Some("400"), "N",
        "Most non-mutating API requests served at once (watches, system:masters and the health endpoints not counted); more get 429; 0 is no limit";
    MAX_MUTATING_REQUESTS_INFLIGHT: "max-mutating-requests-inflight", Value, Some("200"), "N",
        "Most mutating API requests served at once (system:masters not counted); more get 429; 0 is no limit";
    REQUEST_TIMEOUT: "request-timeout", Value, Some("60s"), "DURATION",
        "Longest time an API request other than a watch may take before it gets 504; a request's ?timeout= can only shorten it";
    AGENT_SERVER: "server", Value, None, "URL",
        "https URL of the server to join (required)";
    AGENT_TOKEN: "token", Value, None, "TOKEN",
        "Shared secret used to join the cluster (required)";
}

/// Every key of `kelp server`, in the order of `--help` and the docs.
const SERVER_KEYS: &[Key] = &[
    CONFIG,
    DEBUG,
    DATA_DIR,
    BIND_ADDRESS,
    HTTPS_LISTEN_PORT,
    ADVERTISE_ADDRESS,
    WRITE_KUBECONFIG,
    WRITE_KUBECONFIG_MODE,
    DISABLE_AGENT,
    NODE_NAME,
    NODE_LABEL,
    NODE_TAINT,
    CLUSTER_CIDR,
    SERVICE_CIDR,
    CLUSTER_DNS,
    CLUSTER_DOMAIN,
    SERVER,
    TOKEN,
    DISABLE,
    CLUSTER_INIT,
    STORE_KEEP_REVISIONS,
    STORE_KEEP_DURATION,
    TOKEN_AUTH_FILE,
    ANONYMOUS_AUTH,
    MAX_REQUESTS_INFLIGHT,
    MAX_MUTATING_REQUESTS_INFLIGHT,
    REQUEST_TIMEOUT,
];

/// Every key of `kelp agent`. A config file shared with a server may hold server-only
/// keys; the agent ignores those (but still rejects keys that neither knows).
const AGENT_KEYS: &[Key] = &[
    CONFIG,
    AGENT_SERVER,
    AGENT_TOKEN,
    DATA_DIR,
    NODE_NAME,
    NODE_LABEL,
    NODE_TAINT,
];

/// Why a configuration was rejected. Display is one line naming the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("invalid value for {key}: {} ({reason})", show(.value))]
    Invalid {
        key: &'static str,
        value: String,
        reason: String,
    },
    #[error("missing value for {key} ({reason})")]
    Missing { key: &'static str, reason: String },
    #[error("config file {}: not found", .path.display())]
    FileNotFound { path: PathBuf },
    #[error("config file {}: {error}", .path.display())]
    ReadFile {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("config file {}: invalid YAML: {reason}", .path.display())]
    Yaml { path: PathBuf, reason: String },
    #[error("config file {}: expected a mapping of keys to values, found {found}", .path.display())]
    NotAMapping { path: PathBuf, found: &'static str },
    #[error("config file {}: unknown key {key:?}{}", .path.display(), did_you_mean(.suggestion))]
    UnknownKey {
        path: PathBuf,
        key: String,
        suggestion: Option<&'static str>,
    },
    #[error("config file {}: wrong type for {key}: expected {expected}, found {found}", .path.display())]
    WrongType {
        path: PathBuf,
        key: &'static str,
        expected: &'static str,
        found: &'static str,
    },
    #[error("config file {}: key {key:?} cannot be set in a config file (use --{key} or {})", .path.display(), env_name(.key))]
    NotInFile { path: PathBuf, key: &'static str },
}

fn show(value: &str) -> String {
    if !value.is_empty() && value.chars().all(|c| c.is_ascii_graphic()) {
        value.to_string()
    } else {
        format!("{value:?}")
    }
}

fn did_you_mean(suggestion: &Option<&'static str>) -> String {
    suggestion.map_or_else(String::new, |s| format!(" (did you mean {s:?}?)"))
}

fn env_name(name: &str) -> String {
    format!("KELP_{}", name.to_ascii_uppercase().replace('-', "_"))
}

/// One key's text in one layer, before parsing.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Raw {
    One(String),
    Many(Vec<String>),
}

type Layer = BTreeMap<&'static str, Raw>;

/// Splits list text on commas, trimming items and dropping empty ones, so that
/// `--disable=` clears a list set by a lower layer.
fn split_list<'a>(items: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    items
        .into_iter()
        .flat_map(|item| item.split(','))
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(String::from)
        .collect()
}

fn flag_layer(m: &ArgMatches, keys: &[Key]) -> Layer {
    let mut layer = Layer::new();
    for key in keys {
        let raw = match key.kind {
            Kind::List => m
                .get_many::<String>(key.name)
                .map(|values| Raw::Many(split_list(values.map(String::as_str)))),
            Kind::Value | Kind::Bool => m.get_one::<String>(key.name).cloned().map(Raw::One),
        };
        if let Some(raw) = raw {
            layer.insert(key.name, raw);
        }
    }
    layer
}

macro_rules! flags_type {
    ($(#[$doc:meta])* $name:ident, $keys:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Default, PartialEq, Eq)]
        pub struct $name(Layer);

        impl clap::FromArgMatches for $name {
            fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
                Ok(Self(flag_layer(m, $keys)))
            }
            fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
                self.0.extend(flag_layer(m, $keys));
                Ok(())
            }
        }

        impl clap::Args for $name {
            fn augment_args(cmd: clap::Command) -> clap::Command {
                $keys.iter().fold(cmd, |cmd, key| cmd.arg(key.arg()))
            }
            fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
                Self::augment_args(cmd)
            }
        }
    };
}

flags_type!(
    /// The flags given to `kelp server`, as text; use with clap (`Server(ServerFlags)`)
    /// and turn into a [`ServerConfig`] with [`ServerConfig::load`].
    ServerFlags,
    SERVER_KEYS
);
flags_type!(
    /// The flags given to `kelp agent`; see [`AgentConfig::load`].
    AgentFlags,
    AGENT_KEYS
);

fn env_layer(keys: &[Key], env: &dyn Fn(&str) -> Option<String>) -> Layer {
    let mut layer = Layer::new();
    for key in keys {
        // An empty variable is unset: systemd EnvironmentFiles often carry `KELP_TOKEN=`.
        let Some(text) = env(&key.env_var()).filter(|v| !v.is_empty()) else {
            continue;
        };
        let raw = match key.kind {
            Kind::List => Raw::Many(split_list([text.as_str()])),
            Kind::Value | Kind::Bool => Raw::One(text),
        };
        layer.insert(key.name, raw);
    }
    layer
}

/// Reads the config file; `explicit` says whether the user named it (then it must exist).
fn file_layer(
    path: &Path,
    explicit: bool,
    keys: &[Key],
    ignored: &[Key],
) -> Result<Layer, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
            return Ok(Layer::new());
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ConfigError::FileNotFound {
                path: path.to_owned(),
            });
        }
        Err(error) => {
            return Err(ConfigError::ReadFile {
                path: path.to_owned(),
                error,
            });
        }
    };
    parse_file(path, &text, keys, ignored)
}

fn parse_file(
    path: &Path,
    text: &str,
    keys: &[Key],
    ignored: &[Key],
) -> Result<Layer, ConfigError> {
    let doc: Yaml = serde_yaml::from_str(text).map_err(|e| ConfigError::Yaml {
        path: path.to_owned(),
        reason: e.to_string().replace('\n', " "),
    })?;
    let map = match doc {
        Yaml::Null => return Ok(Layer::new()),
        Yaml::Mapping(map) => map,
        other => {
            return Err(ConfigError::NotAMapping {
                path: path.to_owned(),
                found: yaml_kind(&other),
            });
        }
    };
    let mut layer = Layer::new();
    for (name, value) in map {
        let name = scalar_text(&name).unwrap_or_else(|| format!("{name:?}"));
        let Some(key) = keys.iter().find(|k| k.name == name) else {
            if ignored.iter().any(|k| k.name == name) {
                continue;
            }
            let normalized = name.to_ascii_lowercase().replace('_', "-");
            let suggestion = keys.iter().find(|k| k.name == normalized).map(|k| k.name);
            return Err(ConfigError::UnknownKey {
                path: path.to_owned(),
                key: name,
                suggestion,
            });
        };
        if key.name == CONFIG.name {
            return Err(ConfigError::NotInFile {
                path: path.to_owned(),
                key: key.name,
            });
        }
        if let Some(raw) = yaml_raw(path, key, value)? {
            layer.insert(key.name, raw);
        }
    }
    Ok(layer)
}

/// Converts one YAML value to layer text; `null` (`key:` with nothing after it) is unset.
fn yaml_raw(path: &Path, key: &Key, value: Yaml) -> Result<Option<Raw>, ConfigError> {
    let wrong = |expected, found| ConfigError::WrongType {
        path: path.to_owned(),
        key: key.name,
        expected,
        found,
    };
    if value.is_null() {
        return Ok(None);
    }
    match key.kind {
        Kind::Value | Kind::Bool => {
            let expected = if key.kind == Kind::Bool {
                "true or false"
            } else {
                "a single value"
            };
            scalar_text(&value)
                .map(|text| Some(Raw::One(text)))
                .ok_or_else(|| wrong(expected, yaml_kind(&value)))
        }
        Kind::List => {
            let items = match value {
                Yaml::Sequence(items) => items,
                scalar => vec![scalar],
            };
            let mut texts = Vec::with_capacity(items.len());
            for item in &items {
                texts.push(
                    scalar_text(item).ok_or_else(|| wrong("a list of strings", yaml_kind(item)))?,
                );
            }
            Ok(Some(Raw::Many(split_list(
                texts.iter().map(String::as_str),
            ))))
        }
    }
}

fn scalar_text(value: &Yaml) -> Option<String> {
    match value {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn yaml_kind(value: &Yaml) -> &'static str {
    match value {
        Yaml::Null => "nothing",
        Yaml::Bool(_) => "a boolean",
        Yaml::Number(_) => "a number",
        Yaml::String(_) => "a string",
        Yaml::Sequence(_) => "a list",
        Yaml::Mapping(_) => "a mapping",
        Yaml::Tagged(_) => "a tagged value",
    }
}

/// The merged text of every key, with the defaults behind it, ready to be parsed.
struct Resolved {
    keys: &'static [Key],
    values: Layer,
    /// Keys read so far, so a test can prove that no key in the table is forgotten.
    read: RefCell<BTreeSet<&'static str>>,
}

impl Resolved {
    /// Stacks the layers: defaults < file < env < flags. `ignored` are keys that may
    /// appear in the file without being ours (server keys in an agent's file).
    fn gather(
        keys: &'static [Key],
        ignored: &[Key],
        flags: Layer,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let env = env_layer(keys, env);
        let given = flags.get(CONFIG.name).or_else(|| env.get(CONFIG.name));
        let (path, explicit) = match given {
            Some(Raw::One(path)) => (path.clone(), true),
            _ => (CONFIG.default.unwrap_or_default().to_string(), false),
        };
        let path = parse_path(&path).map_err(|reason| ConfigError::Invalid {
            key: CONFIG.name,
            value: path.clone(),
            reason,
        })?;
        let mut values = file_layer(&path, explicit, keys, ignored)?;
        values.extend(env);
        values.extend(flags);
        values.insert(CONFIG.name, Raw::One(path.display().to_string()));
        Ok(Self {
            keys,
            values,
            read: RefCell::default(),
        })
    }

    fn key(&self, name: &'static str, kind: Kind) -> &'static Key {
        let key = self
            .keys
            .iter()
            .find(|k| k.name == name)
            .unwrap_or_else(|| panic!("config key {name} is not in the key table"));
        assert_eq!(key.kind, kind, "config key {name} read as the wrong kind");
        self.read.borrow_mut().insert(name);
        key
    }

    /// The text of a single-valued key, or its default.
    fn text(&self, name: &'static str, kind: Kind) -> Option<String> {
        let key = self.key(name, kind);
        match self.values.get(name) {
            Some(Raw::One(text)) => Some(text.clone()),
            Some(Raw::Many(_)) => unreachable!("list value for single key {name}"),
            None => key.default.map(String::from),
        }
    }

    fn optional<T>(
        &self,
        name: &'static str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ConfigError> {
        self.text(name, Kind::Value)
            .map(|text| {
                parse(&text).map_err(|reason| ConfigError::Invalid {
                    key: name,
                    value: text,
                    reason,
                })
            })
            .transpose()
    }

    /// A key with a default in the table, so it always has a value.
    fn value<T>(
        &self,
        name: &'static str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        Ok(self
            .optional(name, parse)?
            .unwrap_or_else(|| panic!("config key {name} has no default")))
    }

    fn required<T>(
        &self,
        name: &'static str,
        parse: impl Fn(&str) -> Result<T, String>,
        reason: &str,
    ) -> Result<T, ConfigError> {
        self.optional(name, parse)?
            .ok_or_else(|| ConfigError::Missing {
                key: name,
                reason: reason.to_string(),
            })
    }

    fn flag(&self, name: &'static str) -> Result<bool, ConfigError> {
        let text = self.text(name, Kind::Bool).unwrap_or_default();
        parse_bool(&text).map_err(|reason| ConfigError::Invalid {
            key: name,
            value: text,
            reason,
        })
    }

    /// A list key, each item checked by `check`.
    fn list(
        &self,
        name: &'static str,
        check: impl Fn(&str) -> Result<(), String>,
    ) -> Result<Vec<String>, ConfigError> {
        let key = self.key(name, Kind::List);
        let items = match self.values.get(name) {
            Some(Raw::Many(items)) => items.clone(),
            Some(Raw::One(_)) => unreachable!("single value for list key {name}"),
            None => split_list(key.default),
        };
        for item in &items {
            check(item).map_err(|reason| ConfigError::Invalid {
                key: name,
                value: item.clone(),
                reason,
            })?;
        }
        Ok(items)
    }

    fn unread(&self) -> Vec<&'static str> {
        let read = self.read.borrow();
        self.keys
            .iter()
            .map(|k| k.name)
            .filter(|name| !read.contains(name))
            .collect()
    }
}

/// Configuration of `kelp server`, fully merged and validated.
#[derive(Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// The config file that was read (or would have been, when the default is absent).
    pub config: PathBuf,
    pub data_dir: PathBuf,
    pub bind_address: IpAddr,
    pub https_listen_port: u16,
    pub advertise_address: Option<IpAddr>,
    pub write_kubeconfig: PathBuf,
    /// Permission bits only, at most `0o777`.
    pub write_kubeconfig_mode: u32,
    pub disable_agent: bool,
    pub node_name: Option<String>,
    /// `key=value`, checked against Kubernetes label syntax.
    pub node_labels: Vec<String>,
    /// `key=value:Effect` or `key:Effect`, checked against Kubernetes taint syntax.
    pub node_taints: Vec<String>,
    /// Network address (host bits cleared).
    pub cluster_cidr: IpNet,
    /// Network address (host bits cleared); does not overlap `cluster_cidr`.
    pub service_cidr: IpNet,
    /// Inside `service_cidr`.
    pub cluster_dns: IpAddr,
    pub cluster_domain: String,
    /// An `https://` URL.
    pub server: Option<String>,
    /// Present whenever `server` is.
    pub token: Option<String>,
    pub disable: Vec<String>,
    pub cluster_init: bool,
    pub debug: bool,
    /// Revisions of history always kept below the head; 0 disables this bound (never
    /// together with a zero `store_keep_duration`: nothing would ever be compacted).
    pub store_keep_revisions: u64,
    /// History younger than this is kept; zero disables this bound.
    pub store_keep_duration: Duration,
    /// Static bearer tokens (kube-apiserver's `--token-auth-file` format).
    pub token_auth_file: Option<PathBuf>,
    /// Whether /version and the health endpoints answer without credentials.
    pub anonymous_auth: bool,
    /// Concurrent non-mutating requests; 0 is no limit.
    pub max_requests_inflight: u64,
    /// Concurrent mutating requests; 0 is no limit.
    pub max_mutating_requests_inflight: u64,
    /// Non-zero.
    pub request_timeout: Duration,
}

impl ServerConfig {
    /// Merges defaults < config file < environment (`env` looks a variable up; pass
    /// `&|k| std::env::var(k).ok()`) < `flags`, and validates the result.
    pub fn load(
        flags: ServerFlags,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<ServerConfig, ConfigError> {
        let r = Resolved::gather(SERVER_KEYS, &[], flags.0, env)?;
        let cfg = Self::from_resolved(&r)?;
        debug_assert_eq!(r.unread(), Vec::<&str>::new(), "keys not read");
        cfg.check()?;
        Ok(cfg)
    }

    fn from_resolved(r: &Resolved) -> Result<Self, ConfigError> {
        Ok(ServerConfig {
            config: r.value(CONFIG.name, parse_path)?,
            data_dir: r.value(DATA_DIR.name, parse_path)?,
            bind_address: r.value(BIND_ADDRESS.name, parse_ip)?,
            https_listen_port: r.value(HTTPS_LISTEN_PORT.name, parse_port)?,
            advertise_address: r.optional(ADVERTISE_ADDRESS.name, parse_advertise)?,
            write_kubeconfig: r.value(WRITE_KUBECONFIG.name, parse_path)?,
            write_kubeconfig_mode: r.value(WRITE_KUBECONFIG_MODE.name, parse_mode)?,
            disable_agent: r.flag(DISABLE_AGENT.name)?,
            node_name: r.optional(NODE_NAME.name, parse_subdomain)?,
            node_labels: r.list(NODE_LABEL.name, check_label)?,
            node_taints: r.list(NODE_TAINT.name, check_taint)?,
            cluster_cidr: r.value(CLUSTER_CIDR.name, parse_cidr)?,
            service_cidr: r.value(SERVICE_CIDR.name, parse_cidr)?,
            cluster_dns: r.value(CLUSTER_DNS.name, parse_ip)?,
            cluster_domain: r.value(CLUSTER_DOMAIN.name, parse_subdomain)?,
            server: r.optional(SERVER.name, parse_https_url)?,
            token: r.optional(TOKEN.name, parse_token)?,
            disable: r.list(DISABLE.name, check_label_dns)?,
            cluster_init: r.flag(CLUSTER_INIT.name)?,
            debug: r.flag(DEBUG.name)?,
            store_keep_revisions: r.value(STORE_KEEP_REVISIONS.name, parse_u64)?,
            store_keep_duration: r.value(STORE_KEEP_DURATION.name, parse_duration)?,
            token_auth_file: r.optional(TOKEN_AUTH_FILE.name, parse_path)?,
            anonymous_auth: r.flag(ANONYMOUS_AUTH.name)?,
            max_requests_inflight: r.value(MAX_REQUESTS_INFLIGHT.name, parse_u64)?,
            max_mutating_requests_inflight: r
                .value(MAX_MUTATING_REQUESTS_INFLIGHT.name, parse_u64)?,
            request_timeout: r.value(REQUEST_TIMEOUT.name, parse_duration)?,
        })
    }

    /// Rules that involve more than one key.
    fn check(&self) -> Result<(), ConfigError> {
        let invalid = |key: &'static str, value: String, reason: String| {
            Err(ConfigError::Invalid { key, value, reason })
        };
        let (svc, pods) = (self.service_cidr, self.cluster_cidr);
        if svc.contains(&pods.network()) || pods.contains(&svc.network()) {
            return invalid(
                SERVICE_CIDR.name,
                svc.to_string(),
                format!("overlaps cluster-cidr {pods}"),
            );
        }
        let dns = self.cluster_dns;
        if !svc.contains(&dns) {
            return invalid(
                CLUSTER_DNS.name,
                dns.to_string(),
                format!("must be inside service-cidr {svc}"),
            );
        }
        if dns == svc.network() || Some(dns) == first_host(svc) {
            return invalid(
                CLUSTER_DNS.name,
                dns.to_string(),
                format!(
                    "the network address and the first address of service-cidr {svc} are reserved"
                ),
            );
        }
        if self.store_keep_revisions == 0 && self.store_keep_duration.is_zero() {
            return invalid(
                STORE_KEEP_REVISIONS.name,
                "0".into(),
                "store-keep-duration is 0 too, so the store would never compact and grow \
                 without bound; set at least one of them above 0"
                    .into(),
            );
        }
        if self.request_timeout.is_zero() {
            return invalid(
                REQUEST_TIMEOUT.name,
                "0s".into(),
                "must be longer than 0: every request would time out at once".into(),
            );
        }
        if self.server.is_some() && self.token.is_none() {
            return Err(ConfigError::Missing {
                key: TOKEN.name,
                reason: "required to join the server given by server".into(),
            });
        }
        if self.cluster_init && self.server.is_some() {
            return invalid(
                CLUSTER_INIT.name,
                "true".into(),
                "cannot be combined with server: cluster-init starts a new cluster, \
                 server joins an existing one"
                    .into(),
            );
        }
        Ok(())
    }
}

// Hand-written so that the join token never reaches a log line.
impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerConfig")
            .field("config", &self.config)
            .field("data_dir", &self.data_dir)
            .field("bind_address", &self.bind_address)
            .field("https_listen_port", &self.https_listen_port)
            .field("advertise_address", &self.advertise_address)
            .field("write_kubeconfig", &self.write_kubeconfig)
            .field(
                "write_kubeconfig_mode",
                &format_args!("{:#o}", self.write_kubeconfig_mode),
            )
            .field("disable_agent", &self.disable_agent)
            .field("node_name", &self.node_name)
            .field("node_labels", &self.node_labels)
            .field("node_taints", &self.node_taints)
            .field("cluster_cidr", &self.cluster_cidr)
            .field("service_cidr", &self.service_cidr)
            .field("cluster_dns", &self.cluster_dns)
            .field("cluster_domain", &self.cluster_domain)
            .field("server", &self.server)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("disable", &self.disable)
            .field("cluster_init", &self.cluster_init)
            .field("debug", &self.debug)
            .field("store_keep_revisions", &self.store_keep_revisions)
            .field("store_keep_duration", &self.store_keep_duration)
            .field("token_auth_file", &self.token_auth_file)
            .field("anonymous_auth", &self.anonymous_auth)
            .field("max_requests_inflight", &self.max_requests_inflight)
            .field(
                "max_mutating_requests_inflight",
                &self.max_mutating_requests_inflight,
            )
            .field("request_timeout", &self.request_timeout)
            .finish()
    }
}

/// Configuration of `kelp agent`, validated (the agent itself is not built yet).
#[derive(Clone, PartialEq, Eq)]
pub struct AgentConfig {
    pub config: PathBuf,
    /// An `https://` URL.
    pub server: String,
    pub token: String,
    pub data_dir: PathBuf,
    pub node_name: Option<String>,
    pub node_labels: Vec<String>,
    pub node_taints: Vec<String>,
}

impl AgentConfig {
    /// Like [`ServerConfig::load`]; `server` and `token` are required.
    pub fn load(
        flags: AgentFlags,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<AgentConfig, ConfigError> {
        let r = Resolved::gather(AGENT_KEYS, SERVER_KEYS, flags.0, env)?;
        let cfg = AgentConfig {
            config: r.value(CONFIG.name, parse_path)?,
            server: r.required(
                AGENT_SERVER.name,
                parse_https_url,
                "kelp agent needs --server, KELP_SERVER or server: in the config file",
            )?,
            token: r.required(
                AGENT_TOKEN.name,
                parse_token,
                "kelp agent needs --token, KELP_TOKEN or token: in the config file",
            )?,
            data_dir: r.value(DATA_DIR.name, parse_path)?,
            node_name: r.optional(NODE_NAME.name, parse_subdomain)?,
            node_labels: r.list(NODE_LABEL.name, check_label)?,
            node_taints: r.list(NODE_TAINT.name, check_taint)?,
        };
        debug_assert_eq!(r.unread(), Vec::<&str>::new(), "keys not read");
        Ok(cfg)
    }
}

impl fmt::Debug for AgentConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgentConfig")
            .field("config", &self.config)
            .field("server", &self.server)
            .field("token", &"<redacted>")
            .field("data_dir", &self.data_dir)
            .field("node_name", &self.node_name)
            .field("node_labels", &self.node_labels)
            .field("node_taints", &self.node_taints)
            .finish()
    }
}

/// The admin kubeconfig `kelp kubectl` should use: `write-kubeconfig` from the default <
/// config file < `KELP_WRITE_KUBECONFIG`, without validating the server's other keys.
pub fn kubeconfig_path(env: &dyn Fn(&str) -> Option<String>) -> Result<PathBuf, ConfigError> {
    Resolved::gather(SERVER_KEYS, &[], Layer::new(), env)?.value(WRITE_KUBECONFIG.name, parse_path)
}

/// A Markdown reference of every key of `kelp server` and `kelp agent`, for the README.
pub fn reference_markdown() -> String {
    let mut out = String::new();
    for (title, keys) in [("kelp server", SERVER_KEYS), ("kelp agent", AGENT_KEYS)] {
        out.push_str(&format!("**`{title}`**\n\n"));
        out.push_str("| flag | env var | config key | default | description |\n");
        out.push_str("|---|---|---|---|---|\n");
        for key in keys {
            let flag = match key.kind {
                Kind::Bool => format!("`--{}`", key.name),
                Kind::Value | Kind::List => format!("`--{} {}`", key.name, key.value_name),
            };
            let default = key.default.map_or("—".to_string(), |d| format!("`{d}`"));
            let mut help = key.help.replace('|', "\\|");
            if key.kind == Kind::List {
                help.push_str(" (repeatable; comma-separated)");
            }
            out.push_str(&format!(
                "| {flag} | `{}` | `{}` | {default} | {help} |\n",
                key.env_var(),
                key.name
            ));
        }
        out.push('\n');
    }
    out
}

// ---- per-key parsers: text in, value or a short reason out -----------------------------

mod parse;
use parse::*;

#[cfg(test)]
mod tests;
