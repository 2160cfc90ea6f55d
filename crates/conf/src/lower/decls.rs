//! What a dhcpd.conf declares, gathered before it becomes a `Config`, and small readers for
//! statement words.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use charrua_server::config::{Expr as ServerExpr, LeaseLimit, Match, Params};
use charrua_server::Ipv4Net;

use super::expr::hex_bytes;
use crate::lexer::{Token, TokenKind};
use crate::source::{Diagnostic, Span};
use crate::syntax::Statement;
use charrua_wire::options::text::parse_ipv4;

/// Which scope a statement appears in; decides what it may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scope {
    Global,
    Group,
    SharedNetwork,
    Subnet,
    Pool,
    Host,
    Class,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PermitKind {
    Known,
    Unknown,
    DynamicBootp,
    All,
    /// `after DATE`, in Unix seconds.
    After(u64),
    /// `authenticated clients`.
    Authenticated,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PermitSpec {
    Kind(PermitKind),
    Class(String),
}

#[derive(Debug, Default, Clone)]
pub(super) struct PoolDecl {
    pub(super) params: Params,
    pub(super) ranges: Vec<(Ipv4Addr, Ipv4Addr)>,
    pub(super) allow: Vec<PermitSpec>,
    pub(super) deny: Vec<PermitSpec>,
}

#[derive(Debug)]
pub(super) struct SubnetDecl {
    pub(super) net: Ipv4Net,
    pub(super) params: Params,
    pub(super) ranges: Vec<(Ipv4Addr, Ipv4Addr)>,
    pub(super) pools: Vec<PoolDecl>,
}

#[derive(Debug)]
pub(super) struct NetworkDecl {
    /// `None` for a subnet declared outside any shared-network.
    pub(super) name: Option<String>,
    pub(super) params: Params,
    pub(super) subnets: Vec<SubnetDecl>,
}

#[derive(Debug, Default)]
pub(super) struct HostDecl {
    pub(super) name: String,
    pub(super) hardware: Option<(u8, Vec<u8>)>,
    pub(super) client_id: Option<Vec<u8>>,
    pub(super) fixed: Vec<Ipv4Addr>,
    pub(super) params: Params,
}

#[derive(Debug)]
pub(super) struct ClassDecl {
    pub(super) name: String,
    /// `match if BOOLEAN;`.
    pub(super) condition: Option<Match>,
    /// `match DATA;` or `spawn with DATA;`: the class's subclasses.
    pub(super) submatch: Option<Submatch>,
    /// `lease limit N;`.
    pub(super) lease_limit: Option<u32>,
    /// A `match` charruad could not evaluate (warned): the class matches no client.
    pub(super) unevaluated: bool,
    pub(super) params: Params,
    pub(super) span: Span,
}

/// A class's subclasses (server/class.c `check_collection`): the value of `value` names a
/// client's subclass.
#[derive(Debug, Clone)]
pub(super) struct Submatch {
    pub(super) value: ServerExpr,
    /// `spawn with`: every value is a subclass.
    pub(super) spawning: bool,
    /// The declared subclasses' values.
    pub(super) members: BTreeSet<Vec<u8>>,
    /// The lease limit of each declared subclass: its class's when it was declared, or its
    /// own (server/confpars.c parse_class_declaration copies the class's at declaration).
    pub(super) limits: BTreeMap<Vec<u8>, u32>,
}

impl ClassDecl {
    /// Who is a member: the `match if` holds and, for a class with subclasses, the client is
    /// in one of them (`None`: nobody).
    pub(super) fn membership(&self) -> Option<Match> {
        let subclass = self.submatch.as_ref().map(|s| Match::Subclass {
            value: Box::new(s.value.clone()),
            members: s.members.clone(),
            spawning: s.spawning,
        });
        match (self.condition.clone(), subclass) {
            (Some(condition), Some(subclass)) => Some(Match::All(vec![condition, subclass])),
            (condition, subclass) => condition.or(subclass),
        }
    }

    /// The class's lease limit, where it or one of its subclasses has one.
    pub(super) fn lease_limit(&self) -> Option<LeaseLimit> {
        let limits = self.submatch.as_ref().map(|s| &s.limits);
        let any_subclass = limits.is_some_and(|l| l.values().any(|n| *n > 0));
        (self.lease_limit.is_some() || any_subclass).then(|| LeaseLimit {
            limit: self.lease_limit.unwrap_or(0),
            subclass: self.submatch.as_ref().map(|s| s.value.clone()),
            subclass_limits: limits.cloned().unwrap_or_default(),
        })
    }
}

/// Everything the file declares, before it becomes a `Config`.
#[derive(Debug, Default)]
pub(super) struct Decls {
    pub(super) global: Params,
    pub(super) networks: Vec<NetworkDecl>,
    pub(super) hosts: Vec<HostDecl>,
    pub(super) classes: Vec<ClassDecl>,
}

/// What one scope's block holds.
#[derive(Debug, Default)]
pub(super) struct Body {
    pub(super) params: Params,
    pub(super) ranges: Vec<(Ipv4Addr, Ipv4Addr, bool)>,
    pub(super) pools: Vec<PoolDecl>,
    pub(super) subnets: Vec<SubnetDecl>,
    pub(super) allow: Vec<PermitSpec>,
    pub(super) deny: Vec<PermitSpec>,
    /// Whether an `interface` statement was seen (one per subnet or shared network).
    pub(super) interface: bool,
    /// After an `if` or `elsif`: whether its chain is acted on (the last statement of `params`
    /// is its `If`), so an `elsif` or `else` joins it.
    pub(super) open_if: Option<bool>,
}

impl Body {
    /// Before statement `st`: an `if` chain stays open only for the `elsif` or `else` after it.
    pub(super) fn before(&mut self, st: &Statement) {
        if !matches!(st.keyword().as_str(), "elsif" | "else") {
            self.open_if = None;
        }
    }
}

pub(super) fn word(words: &[Token], i: usize) -> Option<&Token> {
    words.get(i)
}

/// A statement of `n` words written with more: dhcpd expects its semicolon where the first
/// extra word is, and names that word's line ("semicolon expected.").
fn extra_words(words: &[Token], n: usize) -> Result<(), Diagnostic> {
    match words.get(n) {
        Some(t) => Err(Diagnostic::error(
            t.span,
            format!("expected ';' before {:?} (semicolon expected)", t.text),
        )),
        None => Ok(()),
    }
}

/// One value word: an address.
pub(super) fn address(t: Option<&Token>, span: Span) -> Result<Ipv4Addr, Diagnostic> {
    let t = t.ok_or_else(|| Diagnostic::error(span, "expected an IPv4 address"))?;
    parse_ipv4(&t.text).ok_or_else(|| {
        Diagnostic::error(
            t.span,
            format!("expected an IPv4 address, found {:?}", t.text),
        )
    })
}

/// A string or colon-separated hex, as `uid` and `dhcp-client-identifier` take.
pub(super) fn data(t: Option<&Token>, span: Span) -> Result<Vec<u8>, Diagnostic> {
    let t = t.ok_or_else(|| Diagnostic::error(span, "expected a string or colon-separated hex"))?;
    match t.kind {
        TokenKind::String => Ok(t.bytes.clone()),
        // One octet written alone is hex too (common/parse.c parse_cshl).
        _ if t.text.len() <= 2 && t.text.chars().all(|c| c.is_ascii_hexdigit()) => {
            u8::from_str_radix(&t.text, 16)
                .map(|b| vec![b])
                .map_err(|_| Diagnostic::error(t.span, "expected a hex octet"))
        }
        _ => hex_bytes(&t.text).ok_or_else(|| {
            Diagnostic::error(
                t.span,
                format!(
                    "expected a string or colon-separated hex, found {:?}",
                    t.text
                ),
            )
        }),
    }
}

/// A lease time in seconds. dhcpd reads it as a signed 32-bit number and stores it unsigned
/// (server/confpars.c parse_lease_time), so `-1` is 0xffffffff, an infinite lease.
pub(super) fn lease_time(words: &[Token], span: Span) -> Result<u32, Diagnostic> {
    extra_words(words, 2)?;
    match words {
        // dhcpd writes infinite as all ones (common/parse.c parse_option_token, `T`).
        [_, t] if t.is("infinite") => Ok(u32::MAX),
        [_, t] => super::server_options::number(t, 32),
        _ => Err(Diagnostic::error(span, "expected one number")),
    }
}

pub(super) fn string(words: &[Token], span: Span) -> Result<Vec<u8>, Diagnostic> {
    extra_words(words, 2)?;
    match words {
        [_, t] if t.kind == TokenKind::String => Ok(t.bytes.clone()),
        // dhcpd takes a name written bare as text (common/parse.c parse_option_token `t`).
        [_, t]
            if t.kind == TokenKind::Atom
                && !t.text.contains('.')
                && !t.text.starts_with(|c: char| c.is_ascii_digit()) =>
        {
            Ok(t.text.as_bytes().to_vec())
        }
        [_, t] => Err(Diagnostic::error(t.span, "expecting string.")),
        _ => Err(Diagnostic::error(span, "expected one quoted string")),
    }
}

/// The error for a statement `what` written where `scope` does not take it.
pub(super) fn misplaced(s: &Statement, scope: Scope, what: &str) -> Diagnostic {
    Diagnostic::error(
        s.span,
        format!("{what} is not allowed in {}", scope_name(scope)),
    )
}

pub(super) fn scope_name(scope: Scope) -> &'static str {
    match scope {
        Scope::Global => "the global scope",
        Scope::Group => "a group",
        Scope::SharedNetwork => "a shared-network",
        Scope::Subnet => "a subnet",
        Scope::Pool => "a pool",
        Scope::Host => "a host",
        Scope::Class => "a class",
    }
}

/// The block of a declaration whose `{` comes after its first `words` words: dhcpd names the
/// token it found instead of the brace ("expecting left brace.", at that token's line).
pub(super) fn block_after(s: &Statement, words: usize) -> Result<&[Statement], Diagnostic> {
    match (&s.block, s.words.get(words)) {
        (Some(block), None) => Ok(block),
        (_, Some(extra)) => Err(Diagnostic::error(extra.span, "expecting left brace.")),
        (None, None) => Err(Diagnostic::error(s.end, "expecting left brace.")),
    }
}
