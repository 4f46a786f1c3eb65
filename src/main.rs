//! The `kelp` binary: parses the command line, builds a validated config and hands it to
//! the library ([`kelp::server::run`]). Nothing else lives here.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, FromArgMatches, Parser, Subcommand};
use kelp::server::config::{self, AgentConfig, AgentFlags, ConfigError, ServerConfig, ServerFlags};

/// sysexits.h: the command was used incorrectly (bad flag, config or environment).
const EX_USAGE: u8 = 64;
/// sysexits.h: a service is unavailable; here, a subcommand that is not built yet.
const EX_UNAVAILABLE: u8 = 69;
/// How long runtime shutdown waits for blocking tasks before the process exits anyway.
const RUNTIME_SHUTDOWN: Duration = Duration::from_secs(5);

/// A Kubernetes distribution for the edge in one binary.
#[derive(Parser)]
// KELP_VERSION (build.rs): "0.1.0 (commit abc1234, x86_64-unknown-linux-gnu, built 2026-12-03)"
#[command(name = "kelp", version = env!("KELP_VERSION"))]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the control plane, and the node agent unless --disable-agent
    Server(ServerFlags),
    /// Run the node agent only, joining a server given by --server and --token
    Agent(AgentFlags),
    /// Save, restore and list store snapshots
    Snapshot {
        #[command(subcommand)]
        command: SnapshotCommand,
    },
    /// Create, list and revoke join tokens
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Run the system kubectl with kelp's admin kubeconfig
    // kubectl's own --help and --version must reach kubectl.
    #[command(disable_help_flag = true, disable_version_flag = true)]
    Kubectl {
        /// Arguments passed to kubectl unchanged
        #[arg(
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "ARGS"
        )]
        args: Vec<OsString>,
    },
    /// Report whether this host can run kelp (kernel, cgroups, containerd, iptables)
    CheckConfig(kelp::checkconfig::CheckConfigFlags),
    /// Offline (airgapped) installs: what a node needs that kelp does not ship
    Airgap {
        #[command(subcommand)]
        command: AirgapCommand,
    },
}

#[derive(Subcommand)]
enum AirgapCommand {
    /// Print the container images the auto-deployed manifests need, one per line
    ///
    /// Every image named by the containers, init containers and ephemeral containers of
    /// the Pods, pod templates (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job,
    /// CronJob, ReplicationController, PodTemplate) and Lists in the manifests `kelp
    /// server` deploys from <data-dir>/server/manifests (NAME.yaml.skip and --disable NAME
    /// leave NAME.yaml out), sorted and unique, as written in the manifests: pull them
    /// (`ctr image pull`, `docker pull`) and put their archives in the agent's images
    /// directory, <data-dir>/agent/images (the airgap bundle's images/).
    ///
    /// kelp itself needs no image: by design its node agent runs pods through
    /// containerd's own API (no pause image) and cluster DNS runs inside kelp.
    ///
    /// A manifest that does not parse is an error naming it (exit 1); no manifests
    /// directory is an empty list.
    ListImages(ListImagesFlags),
}

/// Flags of `kelp airgap list-images`: the directory and the disabled names are found
/// as `kelp server` finds them (flag < `KELP_*` < config file < default).
#[derive(Args)]
struct ListImagesFlags {
    /// Read the manifests in DIR instead of <data-dir>/server/manifests (.skip files and
    /// --disable still count)
    #[arg(long, value_name = "DIR", conflicts_with = "data_dir")]
    manifests: Option<PathBuf>,
    /// Data directory whose server/manifests to read, as for `kelp server` [default:
    /// /var/lib/kelp] [env: KELP_DATA_DIR]
    #[arg(long, value_name = "PATH")]
    data_dir: Option<String>,
    /// YAML config file to take data-dir and disable from, as for `kelp server`
    /// [default: /etc/kelp/config.yaml] [env: KELP_CONFIG]
    #[arg(long, value_name = "PATH")]
    config: Option<String>,
    /// Manifests to leave out, as for `kelp server` (repeatable; comma-separated) [env:
    /// KELP_DISABLE]
    #[arg(long, value_name = "NAME")]
    disable: Vec<String>,
    /// Manifest files to read instead of a directory: every document in them counts
    #[arg(value_name = "FILE", conflicts_with_all = ["manifests", "data_dir", "config", "disable"])]
    files: Vec<PathBuf>,
}

#[derive(Subcommand)]
enum SnapshotCommand {
    /// Save a consistent snapshot of the store
    Save,
    /// Restore the store from a snapshot
    Restore,
    /// List saved snapshots
    Ls,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a join token
    Create,
    /// List join tokens
    List,
    /// Revoke a join token
    Revoke,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // --help and --version are not errors; everything else is a usage error.
            let code = if err.use_stderr() { EX_USAGE } else { 0 };
            let _ = err.print();
            return ExitCode::from(code);
        }
    };
    let env = |name: &str| std::env::var(name).ok();
    match cli.command {
        Command::Server(flags) => server(flags, &env),
        Command::Agent(flags) => match AgentConfig::load(flags, &env) {
            Ok(_) => not_implemented("agent"),
            Err(err) => usage_error(err),
        },
        Command::Snapshot { command } => not_implemented(match command {
            SnapshotCommand::Save => "snapshot save",
            SnapshotCommand::Restore => "snapshot restore",
            SnapshotCommand::Ls => "snapshot ls",
        }),
        Command::Token { command } => not_implemented(match command {
            TokenCommand::Create => "token create",
            TokenCommand::List => "token list",
            TokenCommand::Revoke => "token revoke",
        }),
        Command::Kubectl { args } => kubectl(args, &env),
        Command::CheckConfig(flags) => kelp::checkconfig::run(flags, &env),
        Command::Airgap {
            command: AirgapCommand::ListImages(flags),
        } => list_images(flags, &env),
    }
}

fn server(flags: ServerFlags, env: &dyn Fn(&str) -> Option<String>) -> ExitCode {
    // Validate everything before anything else happens, logging included.
    let cfg = match ServerConfig::load(flags, env) {
        Ok(cfg) => cfg,
        Err(err) => return usage_error(err),
    };
    init_tracing(cfg.debug);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("kelp")
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("kelp: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(kelp::server::run(cfg));
    runtime.shutdown_timeout(RUNTIME_SHUTDOWN);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("kelp: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// `kelp airgap list-images`: the images on stdout, one per line.
fn list_images(flags: ListImagesFlags, env: &dyn Fn(&str) -> Option<String>) -> ExitCode {
    use kelp::controllers::images;
    let found = if !flags.files.is_empty() {
        images::in_files(&flags.files)
    } else {
        // The directory and --disable exactly as `kelp server` resolves them from the same
        // flags, environment and config file.
        let mut argv = vec!["list-images".to_string()];
        argv.extend(flags.data_dir.iter().map(|d| format!("--data-dir={d}")));
        argv.extend(flags.config.iter().map(|c| format!("--config={c}")));
        argv.extend(flags.disable.iter().map(|d| format!("--disable={d}")));
        let server_flags = ServerFlags::augment_args(clap::Command::new("list-images"))
            .try_get_matches_from(argv)
            .and_then(|m| ServerFlags::from_arg_matches(&m));
        let server_flags = match server_flags {
            Ok(f) => f,
            Err(err) => {
                eprintln!("kelp: {err}");
                return ExitCode::from(EX_USAGE);
            }
        };
        let cfg = match ServerConfig::load(server_flags, env) {
            Ok(cfg) => cfg,
            Err(err) => return usage_error(err),
        };
        let dir = flags
            .manifests
            .unwrap_or_else(|| kelp::server::manifests_dir(&cfg.data_dir));
        images::in_dir(&dir, &cfg.disable).map(|found| {
            found.unwrap_or_else(|| {
                eprintln!(
                    "kelp: no manifests directory {}: no images needed",
                    dir.display()
                );
                BTreeSet::new()
            })
        })
    };
    match found {
        Ok(images) => {
            let mut stdout = std::io::stdout().lock();
            // a closed stdout (`| head`) is the reader's choice, not a failure
            for image in images {
                if writeln!(stdout, "{image}").is_err() {
                    break;
                }
            }
            let _ = stdout.flush();
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("kelp: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to stderr (the journal under systemd); colours only on a terminal.
fn init_tracing(debug: bool) {
    use tracing_subscriber::EnvFilter;
    // openraft logs whole raft states at info; its warnings are what an operator needs
    let level = if debug {
        "debug,openraft=info"
    } else {
        "info,openraft=warn"
    };
    let filter = match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.trim().is_empty() => EnvFilter::try_new(&spec).unwrap_or_else(|err| {
            eprintln!("kelp: ignoring RUST_LOG={spec:?}: {err}");
            EnvFilter::new(level)
        }),
        _ => EnvFilter::new(level),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

/// Replaces this process with the system kubectl, pointed at kelp's admin kubeconfig
/// unless the user already chose one with KUBECONFIG.
fn kubectl(args: Vec<OsString>, env: &dyn Fn(&str) -> Option<String>) -> ExitCode {
    let mut command = std::process::Command::new("kubectl");
    command.args(args);
    let user_chose = std::env::var_os("KUBECONFIG").is_some_and(|v| !v.is_empty());
    if !user_chose {
        let path = match config::kubeconfig_path(env) {
            Ok(path) => path,
            Err(err) => return usage_error(err),
        };
        if let Err(err) = std::fs::metadata(&path)
            && err.kind() == std::io::ErrorKind::NotFound
        {
            eprintln!(
                "kelp: kubeconfig {} not found: is kelp server running?",
                path.display()
            );
            return ExitCode::FAILURE;
        }
        command.env("KUBECONFIG", &path);
    }
    // exec only returns on failure.
    let err = command.exec();
    if err.kind() == std::io::ErrorKind::NotFound {
        eprintln!("kelp: kubectl not found on PATH; install kubectl to use `kelp kubectl`");
        ExitCode::from(127)
    } else {
        eprintln!("kelp: cannot run kubectl: {err}");
        ExitCode::from(126)
    }
}

fn usage_error(err: ConfigError) -> ExitCode {
    eprintln!("kelp: {err}");
    ExitCode::from(EX_USAGE)
}

fn not_implemented(what: &str) -> ExitCode {
    eprintln!("kelp: {what} is not implemented yet");
    ExitCode::from(EX_UNAVAILABLE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn kubectl_arguments_pass_through_untouched() {
        let cases: &[&[&str]] = &[
            &["get", "pods", "-A"],
            &["-n", "kube-system", "get", "pods"],
            &["--help"],
            &["--version"],
            &["exec", "-it", "pod", "--", "sh", "-c", "ls"],
            &[],
        ];
        for args in cases {
            let argv = ["kelp", "kubectl"].iter().chain(args.iter());
            let cli = Cli::try_parse_from(argv).unwrap_or_else(|e| panic!("{args:?}: {e}"));
            let Command::Kubectl { args: got } = cli.command else {
                panic!("not kubectl")
            };
            let want: Vec<OsString> = args.iter().map(OsString::from).collect();
            assert_eq!(got, want, "{args:?}");
        }
    }
}
