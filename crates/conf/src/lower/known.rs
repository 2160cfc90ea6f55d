//! dhcpd.conf statements that charrua recognizes but does not act on yet. Each is parsed and
//! reported as a warning; anything not here and not implemented is an unknown statement, as it
//! is for ISC dhcpd.

/// Keywords (first word of a statement) accepted with a warning, each with what the operator
/// loses while charruad does not act on it (said in the warning).
pub(crate) const WARNED: &[(&str, &str)] = &[
    (
        "adaptive-lease-time-threshold",
        "lease times are not shortened when a pool fills",
    ),
    (
        "check-secs-byte-order",
        "the secs field is read in network byte order only",
    ),
    (
        "db-time-format",
        "lease file dates are written in dhcpd's default (UTC) form",
    ),
    (
        "delayed-ack",
        "ACKs wait for charrua's own group commit instead",
    ),
    (
        "dont-use-fsync",
        "the lease file is still synced before every ACK",
    ),
    (
        "dynamic-bootp-lease-cutoff",
        "BOOTP leases do not end at this date",
    ),
    (
        "failover",
        "this server serves the whole pool alone, with no failover partner (servers that share a pool share one lease database: --store postgresql://..., docs/shared-database.md)",
    ),
    (
        "ignore-client-uids",
        "clients are told apart by their client identifier too, so one that changes it may hold two leases",
    ),
    (
        "infinite-is-reserved",
        "infinite leases are not marked reserved",
    ),
    (
        "limit-addrs-per-ia",
        "(DHCPv6) nothing: charruad serves DHCPv4",
    ),
    (
        "log-threshold-high",
        "pool usage is not logged at this threshold",
    ),
    (
        "log-threshold-low",
        "pool usage is not logged at this threshold",
    ),
    (
        "max-ack-delay",
        "ACKs wait for charrua's own group commit instead",
    ),
    (
        "min-secs",
        "clients are answered at once, whatever their secs field",
    ),
    (
        "omapi-key",
        "no OMAPI: omshell and OMAPI clients (such as Foreman's smart proxy) cannot reach charruad",
    ),
    (
        "omapi-port",
        "no OMAPI: omshell and OMAPI clients (such as Foreman's smart proxy) cannot reach charruad",
    ),
    (
        "release-on-roam",
        "(DHCPv6) nothing: charruad serves DHCPv4",
    ),
    (
        "server-duid",
        "(DHCPv6) nothing: charruad serves DHCPv4",
    ),
    (
        "site-option-space",
        "site-local options (224-254) of this space are not sent",
    ),
    (
        "use-lease-addr-for-default-route",
        "the routers option is sent as configured, not replaced by the leased address",
    ),
    (
        "vendor-option-space",
        "option 43 is not assembled from this space",
    ),
    (
        "define",
        "the variable or function is not defined",
    ),
    (
        "eval",
        "the expression is not evaluated",
    ),
    (
        "return",
        "nothing is returned",
    ),
    (
        "default",
        "this default value is not applied",
    ),
    (
        "prepend",
        "the value is not prepended to the option",
    ),
    (
        "append",
        "the value is not appended to the option",
    ),
    (
        "send",
        "the option is not sent by this statement",
    ),
    (
        "set",
        "the variable is not set",
    ),
    (
        "unset",
        "the variable is not unset",
    ),
];

/// What the operator loses with `keyword` ignored, if charruad knows it.
pub(crate) fn loss(keyword: &str) -> Option<&'static str> {
    WARNED.iter().find(|(k, _)| *k == keyword).map(|(_, l)| *l)
}
