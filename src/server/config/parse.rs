//! Value syntax: parsers for each kind of configuration value and the Kubernetes
//! name, label and taint checks they use.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use ipnet::IpNet;

pub(super) fn parse_path(s: &str) -> Result<PathBuf, String> {
    if s.is_empty() {
        return Err("must not be empty".into());
    }
    Ok(PathBuf::from(s))
}

pub(super) fn parse_ip(s: &str) -> Result<IpAddr, String> {
    s.parse()
        .map_err(|_| "must be an IPv4 or IPv6 address".into())
}

pub(super) fn parse_advertise(s: &str) -> Result<IpAddr, String> {
    let ip = parse_ip(s)?;
    if ip.is_unspecified() {
        return Err("must be an address others can reach, not the unspecified address".into());
    }
    Ok(ip)
}

pub(super) fn parse_port(s: &str) -> Result<u16, String> {
    match s.parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err("must be 1-65535".into()),
    }
}

pub(super) fn parse_u64(s: &str) -> Result<u64, String> {
    s.parse()
        .map_err(|_| "must be a whole number, 0 or more".into())
}

pub(super) fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s)
        .map_err(|e| format!("must be a duration such as 90s, 5m or 1h: {e}"))
}

pub(super) fn parse_bool(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err("must be true, false, 1 or 0".into()),
    }
}

/// `0600`, `600` and `0o600` all mean rw-------.
pub(super) fn parse_mode(s: &str) -> Result<u32, String> {
    const REASON: &str = "must be octal permission bits such as 0600, at most 0777";
    let digits = s.strip_prefix("0o").unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return Err(REASON.into());
    }
    match u32::from_str_radix(digits, 8) {
        Ok(mode) if mode <= 0o777 => Ok(mode),
        _ => Err(REASON.into()),
    }
}

/// Host bits are cleared (`10.42.0.1/16` means `10.42.0.0/16`), as Go's ParseCIDR does.
pub(super) fn parse_cidr(s: &str) -> Result<IpNet, String> {
    s.parse::<IpNet>()
        .map(|net| net.trunc())
        .map_err(|_| "must be a CIDR such as 10.42.0.0/16".into())
}

pub(super) fn first_host(net: IpNet) -> Option<IpAddr> {
    match net {
        IpNet::V4(n) => u32::from(n.network())
            .checked_add(1)
            .map(|a| IpAddr::from(std::net::Ipv4Addr::from(a))),
        IpNet::V6(n) => u128::from(n.network())
            .checked_add(1)
            .map(|a| IpAddr::from(std::net::Ipv6Addr::from(a))),
    }
}

pub(super) fn parse_token(s: &str) -> Result<String, String> {
    // Never echo a token back: the only rule is one that shows nothing of it.
    if s.is_empty() {
        return Err("must not be empty".into());
    }
    Ok(s.to_string())
}

/// `https://host[:port][/path]`; the port, when given, is 1-65535.
pub(super) fn parse_https_url(s: &str) -> Result<String, String> {
    const REASON: &str = "must be an https URL such as https://10.0.0.1:6443";
    let rest = s.strip_prefix("https://").ok_or(REASON)?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') || s.chars().any(char::is_whitespace) {
        return Err(REASON.into());
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']').ok_or(REASON)?;
        host.parse::<std::net::Ipv6Addr>().map_err(|_| REASON)?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() || port.is_some_and(|p| parse_port(p).is_err()) {
        return Err(REASON.into());
    }
    Ok(s.to_string())
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?` without a length limit.
pub(super) fn is_dns_label_chars(s: &str) -> bool {
    let b = s.as_bytes();
    let edge = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    b.first().is_some_and(edge)
        && b.last().is_some_and(edge)
        && b.iter().all(|c| edge(c) || *c == b'-')
}

pub(super) fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns_label_chars)
}

pub(super) fn parse_subdomain(s: &str) -> Result<String, String> {
    if !is_dns_subdomain(s) {
        return Err(
            "must be a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', \
                    starting and ending with a letter or digit, at most 253 characters"
                .into(),
        );
    }
    Ok(s.to_string())
}

pub(super) fn check_label_dns(s: &str) -> Result<(), String> {
    if s.len() > 63 || !is_dns_label_chars(s) {
        return Err(
            "must be a DNS-1123 label: lowercase letters, digits and '-', \
                    starting and ending with a letter or digit, at most 63 characters"
                .into(),
        );
    }
    Ok(())
}

/// Kubernetes' name part: `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`, at most 63.
pub(super) fn is_label_name(s: &str) -> bool {
    let b = s.as_bytes();
    let edge = |c: &u8| c.is_ascii_alphanumeric();
    s.len() <= 63
        && b.first().is_some_and(edge)
        && b.last().is_some_and(edge)
        && b.iter().all(|c| edge(c) || matches!(c, b'-' | b'_' | b'.'))
}

/// A label or taint key: `[prefix/]name`, the prefix a DNS-1123 subdomain.
pub(super) fn check_label_key(key: &str) -> Result<(), String> {
    let name = match key.split_once('/') {
        Some((prefix, name)) if is_dns_subdomain(prefix) => name,
        Some(_) => {
            return Err(format!(
                "key {key:?}: the prefix before '/' must be a DNS-1123 subdomain"
            ));
        }
        None => key,
    };
    if !is_label_name(name) {
        return Err(format!(
            "key {key:?}: the name must be at most 63 letters, digits, '-', '_' or '.', \
             starting and ending with a letter or digit"
        ));
    }
    Ok(())
}

pub(super) fn check_label_value(value: &str) -> Result<(), String> {
    if !value.is_empty() && !is_label_name(value) {
        return Err(format!(
            "value {value:?}: must be empty or at most 63 letters, digits, '-', '_' or '.', \
             starting and ending with a letter or digit"
        ));
    }
    Ok(())
}

pub(super) fn check_label(s: &str) -> Result<(), String> {
    let (key, value) = s.split_once('=').ok_or("must be key=value")?;
    check_label_key(key)?;
    check_label_value(value)
}

pub(super) fn check_taint(s: &str) -> Result<(), String> {
    const EFFECTS: [&str; 3] = ["NoSchedule", "PreferNoSchedule", "NoExecute"];
    let (kv, effect) = s
        .rsplit_once(':')
        .ok_or("must be key=value:Effect or key:Effect")?;
    if !EFFECTS.contains(&effect) {
        return Err(format!(
            "effect {effect:?} must be NoSchedule, PreferNoSchedule or NoExecute"
        ));
    }
    let (key, value) = kv.split_once('=').unwrap_or((kv, ""));
    check_label_key(key)?;
    check_label_value(value)
}
