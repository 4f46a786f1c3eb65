//! IP and CIDR syntax as the "legacy" API fields accept it (upstream
//! `netutils.ParseIPSloppy` / `ParseCIDRSloppy` and `IsValidCIDRForLegacyField` with `StrictIPCIDRValidation` off, its v1.33 default).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::api::status::Cause;

/// Upstream's message for a value that does not parse as a CIDR.
pub(crate) const INVALID_CIDR: &str =
    "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";

/// Dotted IPv4 whose octets may carry leading zeros (`010.0.0.1`).
fn ipv4_sloppy(s: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut octets = [0u8; 4];
    for (o, p) in octets.iter_mut().zip(&parts) {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *o = p.trim_start_matches('0').parse::<u8>().ok().or_else(|| {
            // all zeros
            p.bytes().all(|b| b == b'0').then_some(0)
        })?;
    }
    Some(Ipv4Addr::from(octets))
}

/// `netutils.ParseIPSloppy`.
pub(crate) fn parse_ip_sloppy(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse() {
        return Some(ip);
    }
    if !s.contains(':') {
        return ipv4_sloppy(s).map(IpAddr::V4);
    }
    // An IPv6 address with a sloppy embedded IPv4 tail.
    let (head, tail) = s.rsplit_once(':')?;
    let v4 = ipv4_sloppy(tail)?;
    format!("{head}:{v4}")
        .parse::<Ipv6Addr>()
        .ok()
        .map(IpAddr::V6)
}

/// `netutils.ParseCIDRSloppy`: the masked network address and the prefix length.
pub(crate) fn parse_cidr_sloppy(s: &str) -> Option<(IpAddr, u8)> {
    let (ip, len) = s.split_once('/')?;
    let ip = parse_ip_sloppy(ip)?;
    if len.is_empty() || len.len() > 8 || !len.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let len: u32 = len.parse().ok()?;
    let net = match ip {
        IpAddr::V4(v4) if len <= 32 => {
            let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(u32::from(v4) & mask))
        }
        IpAddr::V6(v6) if len <= 128 => {
            let mask = u128::MAX.checked_shl(128 - len).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask))
        }
        _ => return None,
    };
    Some((net, len as u8))
}

/// Whether the network `(net, len)` contains `ip` (same family only).
pub(crate) fn contains(net: (IpAddr, u8), ip: IpAddr) -> bool {
    match (net.0, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(net.1)).unwrap_or(0);
            u32::from(i) & mask == u32::from(n)
        }
        (IpAddr::V6(n), IpAddr::V6(i)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(net.1)).unwrap_or(0);
            u128::from(i) & mask == u128::from(n)
        }
        _ => false,
    }
}

/// `IsValidCIDRForLegacyField` (non-strict).
pub(crate) fn legacy_cidr(value: &str, path: &str, out: &mut Vec<Cause>) {
    if parse_cidr_sloppy(value).is_none() {
        out.push(Cause::invalid(path, value, INVALID_CIDR));
    }
}
