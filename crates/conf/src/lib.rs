//! charrua-conf: ISC dhcpd.conf read as it is.
//!
//! [`parse_config`] lexes and parses a dhcpd.conf (with includes, through a [`Loader`] the
//! caller supplies, so this crate does no IO) into a faithful syntax tree with spans, then lowers
//! it to the validated [`charrua_server::Config`]. Errors carry file, line and column and render
//! with the offending line and a caret; statements the server does not implement yet are
//! warnings, never silently dropped and never a reason to refuse a valid file.
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    warn(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

#[doc(hidden)]
pub mod fuzzing;
pub mod hardware;
pub mod leases;
pub mod lexer;
mod lower;
pub mod source;
pub mod syntax;
pub mod time;

pub use lower::Lowered;
pub use source::{Diagnostic, Severity, Sources, Span};
pub use syntax::{Loader, NoIncludes};

/// Parses and lowers the dhcpd.conf `text` named `name`. The result holds the configuration
/// when there was no error, and every diagnostic (errors and warnings) in file order.
pub fn parse_config(name: &str, text: String, loader: &mut dyn Loader) -> Lowered {
    parse_config_with_hosts(name, text, "", String::new(), loader)
}

/// [`parse_config`], with the host declarations of a lease file (text from
/// [`leases::host_declarations`], named `hosts_name` in diagnostics) read after the
/// configuration, at its top level, as dhcpd reads the hosts it keeps in its lease file.
pub fn parse_config_with_hosts(
    name: &str,
    text: String,
    hosts_name: &str,
    hosts: String,
    loader: &mut dyn Loader,
) -> Lowered {
    let mut sources = Sources::default();
    let (mut statements, mut errors) = syntax::parse_all(name, text, &mut sources, loader);
    let (hosts, host_errors) = syntax::parse_all(hosts_name, hosts, &mut sources, loader);
    statements.extend(hosts);
    errors.extend(host_errors);
    // What did read is lowered too, so one run reports every error, as dhcpd does.
    let mut lowered = lower::lower(&statements, sources, loader);
    if !errors.is_empty() {
        lowered.config = None;
        lowered.diagnostics.extend(errors);
        lowered
            .diagnostics
            .sort_by_key(|d| (d.span.file, d.span.offset));
    }
    lowered
}
