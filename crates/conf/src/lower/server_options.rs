//! dhcpd's server parameters (server/stables.c `server_options`, dhcpd 4.4.3 as Debian builds
//! it, without LDAP): each one's value, read as dhcpd reads it (common/parse.c
//! `parse_option_token`). `NAME VALUE;` for any of them is a statement dhcpd takes at any scope.

use charrua_wire::options::text::{parse_isc_number, NumberError};

use crate::lexer::{Token, TokenKind};
use crate::source::{Diagnostic, Span};

/// How a parameter's value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `T`: a lease time, a 32-bit number or `infinite`.
    Time,
    /// `L`, `S`, `B`: an unsigned number of so many bits.
    Number(u32),
    /// `f`: `true`/`on`, `false`/`off` or `ignore`.
    Flag,
    /// `t`: a string, or a name written bare.
    Text,
    /// `I`: an IPv4 address or a host name.
    Address,
    /// `6`: an IPv6 address.
    Address6,
    /// `U`: a name written bare.
    Identifier,
    /// `X`: a string or colon-separated hex.
    Data,
    /// `k`: a key name, quoted or bare.
    Key,
    /// `N`: one of these words.
    Enumeration(&'static [&'static str]),
}

const SYSLOG: &[&str] = &[
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv",
    "ftp", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
];

/// The parameters and the forms of their values.
const SERVER_OPTIONS: &[(&str, Kind)] = &[
    ("default-lease-time", Kind::Time),
    ("max-lease-time", Kind::Time),
    ("min-lease-time", Kind::Time),
    ("dynamic-bootp-lease-cutoff", Kind::Time),
    ("dynamic-bootp-lease-length", Kind::Number(32)),
    ("boot-unknown-clients", Kind::Flag),
    ("dynamic-bootp", Kind::Flag),
    ("allow-bootp", Kind::Flag),
    ("allow-booting", Kind::Flag),
    ("one-lease-per-client", Kind::Flag),
    ("get-lease-hostnames", Kind::Flag),
    ("use-host-decl-names", Kind::Flag),
    ("use-lease-addr-for-default-route", Kind::Flag),
    ("min-secs", Kind::Number(8)),
    ("filename", Kind::Text),
    ("server-name", Kind::Text),
    ("next-server", Kind::Address),
    ("authoritative", Kind::Flag),
    ("vendor-option-space", Kind::Identifier),
    ("always-reply-rfc1048", Kind::Flag),
    ("site-option-space", Kind::Data),
    ("always-broadcast", Kind::Flag),
    ("ddns-domainname", Kind::Text),
    ("ddns-hostname", Kind::Text),
    ("ddns-rev-domainname", Kind::Text),
    ("lease-file-name", Kind::Text),
    ("pid-file-name", Kind::Text),
    ("duplicates", Kind::Flag),
    ("declines", Kind::Flag),
    ("ddns-updates", Kind::Flag),
    ("omapi-port", Kind::Number(16)),
    ("local-port", Kind::Number(16)),
    ("limited-broadcast-address", Kind::Address),
    ("remote-port", Kind::Number(16)),
    ("local-address", Kind::Address),
    ("omapi-key", Kind::Key),
    ("stash-agent-options", Kind::Flag),
    ("ddns-ttl", Kind::Time),
    (
        "ddns-update-style",
        Kind::Enumeration(&["none", "ad-hoc", "interim", "standard"]),
    ),
    ("client-updates", Kind::Flag),
    ("update-optimization", Kind::Flag),
    ("ping-check", Kind::Flag),
    ("update-static-leases", Kind::Flag),
    ("log-facility", Kind::Enumeration(SYSLOG)),
    ("do-forward-updates", Kind::Flag),
    ("ping-timeout", Kind::Time),
    ("infinite-is-reserved", Kind::Flag),
    ("update-conflict-detection", Kind::Flag),
    ("leasequery", Kind::Flag),
    ("adaptive-lease-time-threshold", Kind::Number(8)),
    ("do-reverse-updates", Kind::Flag),
    ("fqdn-reply", Kind::Flag),
    ("preferred-lifetime", Kind::Time),
    ("dhcpv6-lease-file-name", Kind::Text),
    ("dhcpv6-pid-file-name", Kind::Text),
    ("limit-addrs-per-ia", Kind::Number(32)),
    ("limit-prefs-per-ia", Kind::Number(32)),
    ("delayed-ack", Kind::Number(16)),
    ("max-ack-delay", Kind::Number(32)),
    ("dhcp-cache-threshold", Kind::Number(8)),
    ("dont-use-fsync", Kind::Flag),
    ("ddns-local-address4", Kind::Address),
    ("ddns-local-address6", Kind::Address6),
    ("ignore-client-uids", Kind::Flag),
    ("log-threshold-low", Kind::Number(8)),
    ("log-threshold-high", Kind::Number(8)),
    ("echo-client-id", Kind::Flag),
    ("server-id-check", Kind::Flag),
    (
        "prefix-length-mode",
        Kind::Enumeration(&["ignore", "prefer", "exact", "minimum", "maximum"]),
    ),
    ("dhcpv6-set-tee-times", Kind::Flag),
    ("abandon-lease-time", Kind::Time),
    ("check-secs-byte-order", Kind::Flag),
    ("ddns-dual-stack-mixed-mode", Kind::Flag),
    ("ddns-guard-id-must-match", Kind::Flag),
    ("ddns-other-guard-is-dynamic", Kind::Flag),
    ("release-on-roam", Kind::Flag),
    ("local-address6", Kind::Address6),
    ("bind-local-address6", Kind::Flag),
    ("ping-cltt-secs", Kind::Time),
    ("ping-timeout-ms", Kind::Time),
];

/// The form of the parameter `name`'s value, if dhcpd has such a parameter.
pub(crate) fn kind(name: &str) -> Option<Kind> {
    SERVER_OPTIONS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, k)| *k)
}

/// A number as dhcpd reads one, with its words when it is not (common/parse.c `convert_num`).
pub(crate) fn number(t: &Token, bits: u32) -> Result<u32, Diagnostic> {
    let numeric = t.kind == TokenKind::Atom
        && t.text
            .trim_start_matches('-')
            .chars()
            .all(|c| c.is_ascii_alphanumeric())
        && !t.text.trim_start_matches('-').is_empty();
    if !numeric {
        return Err(Diagnostic::error(t.span, "expecting number."));
    }
    parse_isc_number(&t.text, bits).map_err(|e| {
        Diagnostic::error(
            t.span,
            match e {
                NumberError::Bogus => format!("Bogus number: {}.", t.text),
                NumberError::NotInBase { digit, base } => {
                    format!("Bogus number {}: digit {digit} not in base {base}", t.text)
                }
                NumberError::TooBig { max } => {
                    format!("{} exceeds max ({max}) for precision.", t.text)
                }
            },
        )
    })
}

/// A name dhcpd's lexer reads as one word: letters, digits, `-` and `_`, not all digits.
fn is_name(t: &Token) -> bool {
    t.kind == TokenKind::Atom
        && t.text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        && !t.text.chars().all(|c| c.is_ascii_digit() || c == '-')
}

/// The value of a flag: `Some(true)` for true/on, `Some(false)` for false/off and ignore
/// (which dhcpd reads as "do not answer", as deny).
pub(crate) fn flag(t: &Token) -> Result<bool, Diagnostic> {
    if !is_name(t) {
        return Err(Diagnostic::error(t.span, "expecting identifier."));
    }
    match t.text.to_ascii_lowercase().as_str() {
        "true" | "on" => Ok(true),
        "false" | "off" | "ignore" => Ok(false),
        _ => Err(Diagnostic::error(t.span, "expecting boolean.")),
    }
}

/// Checks the value `words` (after the parameter's name) as dhcpd reads a `kind` value.
pub(crate) fn check(kind: Kind, words: &[Token], span: Span) -> Result<(), Diagnostic> {
    let Some(first) = words.first() else {
        return Err(Diagnostic::error(
            span,
            "semicolon expected: a value is missing",
        ));
    };
    let used = match kind {
        Kind::Time if first.is("infinite") => 1,
        Kind::Time => number(first, 32).map(|_| 1)?,
        Kind::Number(bits) => number(first, bits).map(|_| 1)?,
        Kind::Flag => flag(first).map(|_| 1)?,
        Kind::Text | Kind::Key if first.kind == TokenKind::String || is_name(first) => 1,
        Kind::Text => return Err(Diagnostic::error(first.span, "expecting string.")),
        Kind::Key => 1,
        Kind::Identifier if is_name(first) => 1,
        Kind::Identifier => return Err(Diagnostic::error(first.span, "expecting identifier.")),
        Kind::Data
            if first.kind == TokenKind::String || super::hex_bytes(&first.text).is_some() =>
        {
            1
        }
        Kind::Data if first.text.chars().all(|c| c.is_ascii_hexdigit()) => 1,
        Kind::Data => {
            return Err(Diagnostic::error(
                first.span,
                "expecting string or hexadecimal data.",
            ))
        }
        Kind::Address if first.kind == TokenKind::Atom => 1,
        Kind::Address => {
            return Err(Diagnostic::error(
                first.span,
                "expecting IP address or hostname",
            ))
        }
        Kind::Address6 if first.text.parse::<std::net::Ipv6Addr>().is_ok() => 1,
        Kind::Address6 => return Err(Diagnostic::error(first.span, "Invalid IPv6 address.")),
        Kind::Enumeration(_) if !is_name(first) => {
            return Err(Diagnostic::error(first.span, "identifier expected"))
        }
        Kind::Enumeration(values) if values.contains(&first.text.to_ascii_lowercase().as_str()) => {
            1
        }
        Kind::Enumeration(_) => return Err(Diagnostic::error(first.span, "unknown value")),
    };
    match words.get(used) {
        Some(extra) => Err(Diagnostic::error(extra.span, "semicolon expected.")),
        None => Ok(()),
    }
}
