//! `option NAME VALUE;` with ISC's value syntax (read by the wire crate's option table), and
//! `option NAME code N = TYPE;` definitions.

use std::collections::{HashMap, HashSet};

use charrua_server::config::FqdnField;
use charrua_wire::options::lookup_name;
use charrua_wire::{Format, OptionCode, Value};

use super::isc_format;
use crate::lexer::{Token, TokenKind};
use crate::source::{Diagnostic, Sources, Span};

/// Options defined in the file (`option NAME code N = TYPE;`), and its option spaces.
#[derive(Debug)]
pub(crate) struct Definitions {
    /// name -> (code, format; `None` for a record type, whose values are not read yet).
    by_name: HashMap<String, (OptionCode, Option<Format>)>,
    /// The option spaces a name may be qualified with: dhcpd's own (common/tables.c,
    /// server/stables.c) and those the file declares with `option space`.
    spaces: HashSet<String>,
    /// Every option the file defines, by lower-case name (`SPACE.NAME` in another space), with
    /// dhcpd's format for it, so values are checked as dhcpd checks them.
    isc_formats: HashMap<String, String>,
    /// Options the file defines in its own spaces (`SPACE.NAME`, lower case): code and format
    /// (`None` for a record type).
    space_options: HashMap<String, (OptionCode, Option<Format>)>,
    /// The file's spaces with other code or length widths than one octet, whose values are
    /// not sent.
    wide_spaces: HashSet<String>,
}

/// dhcpd 4.4's option spaces (universes).
const ISC_SPACES: &[&str] = &[
    "dhcp",
    "nwip",
    "fqdn",
    "vendor-class",
    "vendor",
    "isc",
    "dhcp6",
    "vsio",
    "isc6",
    "agent",
    "server",
];

impl Default for Definitions {
    fn default() -> Self {
        Self {
            by_name: HashMap::new(),
            spaces: ISC_SPACES.iter().map(|s| s.to_string()).collect(),
            isc_formats: HashMap::new(),
            space_options: HashMap::new(),
            wide_spaces: HashSet::new(),
        }
    }
}

/// What an `option` statement turned into.
pub(crate) enum OptionStatement {
    /// A value for the DHCP option space.
    Value(OptionCode, Value),
    /// A definition, recorded.
    Defined,
    /// Set to nothing in its scope, so neither it nor an outer scope's value is sent: an
    /// empty value, or an address option whose host names did not all resolve (dhcpd leaves
    /// out an option whose lookup fails, common/tree.c `expr_host_lookup`, and one of no
    /// length, common/options.c `store_options`).
    Withheld(OptionCode),
    /// A value of option `code` of the file's option space named.
    SpaceValue(String, OptionCode, Value),
    /// `option NAME = EXPRESSION;`: the value computed for each request.
    Computed(OptionCode, charrua_server::config::Expr),
    /// Parsed, not implemented: the warning says why.
    Warned(Diagnostic),
}

/// ISC type words to a format (dhcp-options(5) "DEFINING NEW OPTIONS").
fn format_of(words: &[Token]) -> Option<Format> {
    let text: Vec<String> = words.iter().map(|t| t.text.to_ascii_lowercase()).collect();
    let text: Vec<&str> = text.iter().map(String::as_str).collect();
    Some(match text.as_slice() {
        ["ip-address"] => Format::Ip,
        ["array", "of", "ip-address"] => Format::IpList,
        ["unsigned", "integer", "8"] | ["integer", "8"] => Format::U8,
        ["unsigned", "integer", "16"] | ["integer", "16"] => Format::U16,
        ["unsigned", "integer", "32"] => Format::U32,
        ["integer", "32"] | ["signed", "integer", "32"] => Format::I32,
        ["array", "of", "unsigned", "integer", "8"] | ["array", "of", "integer", "8"] => {
            Format::U8List
        }
        ["array", "of", "unsigned", "integer", "16"] | ["array", "of", "integer", "16"] => {
            Format::U16List
        }
        ["text"] => Format::Text,
        ["string"] => Format::Bytes,
        ["boolean"] | ["flag"] => Format::Bool,
        ["domain-name"] => Format::DomainName,
        ["domain-list"] | ["domain-list", "compressed"] => Format::DomainList,
        _ => return None,
    })
}

/// `option space NAME [code width 1|2|4] [length width 1|2] [hash size N];` (common/parse.c
/// parse_option_space_decl): the space's name, or dhcpd's complaint.
/// `option space NAME [code width N] [length width N] [hash size N];`: the name, and whether
/// its widths are one octet each, as DHCPv4 options.
fn space_declaration(rest: &[Token], span: Span) -> Result<(String, bool), Diagnostic> {
    let name = rest
        .first()
        .filter(|t| t.kind == TokenKind::Atom && !t.text.starts_with(|c: char| c.is_ascii_digit()))
        .ok_or_else(|| Diagnostic::error(span, "expecting identifier."))?;
    let mut i = 1;
    let mut octets = true;
    while let Some(t) = rest.get(i) {
        let value = rest.get(i + 2);
        let n = value.and_then(|v| v.text.parse::<u64>().ok());
        if !t.is("hash") && n != Some(1) {
            octets = false;
        }
        let bad = |message: String| Diagnostic::error(value.map_or(t.span, |v| v.span), message);
        match t.text.to_ascii_lowercase().as_str() {
            "code" if !rest.get(i + 1).is_some_and(|w| w.is("width")) => {
                return Err(bad("expecting width token.".into()))
            }
            "code" => match n {
                Some(1 | 2 | 4) => {}
                Some(n) => {
                    return Err(bad(format!(
                        "invalid code width ({n}), expecting a 1, 2 or 4."
                    )))
                }
                None => return Err(bad("expecting number 1, 2, 4.".into())),
            },
            "length" if !rest.get(i + 1).is_some_and(|w| w.is("width")) => {
                return Err(bad("expecting width token.".into()))
            }
            "length" => match n {
                Some(1 | 2) => {}
                Some(n) => {
                    return Err(bad(format!("invalid length width ({n}) expecting 1 or 2.")))
                }
                None => return Err(bad("expecting number 1 or 2.".into())),
            },
            "hash" if !rest.get(i + 1).is_some_and(|w| w.is("size")) => {
                return Err(bad("expecting size token.".into()))
            }
            "hash" if n.is_some_and(|n| n <= 0x7FFF_FFFF) => {}
            "hash" => return Err(bad("expecting a 10base number".into())),
            _ => return Err(Diagnostic::error(t.span, "Unexpected token.")),
        }
        i += 3;
    }
    Ok((name.text.to_ascii_lowercase(), octets))
}

/// Options whose text form in dhcpd (common/tables.c) differs from charrua's table's: their
/// values are read in dhcpd's format, all 8-bit fields.
const ISC_TEXT: &[(OptionCode, &str)] = &[(OptionCode::PXE_INTERFACE_ID, "BBB")];

/// The relay agent options dhcpd knows (server/stables.c `agent_options`), with its formats.
const AGENT: &[(&str, &str)] = &[
    ("circuit-id", "X"),
    ("remote-id", "X"),
    ("agent-id", "I"),
    ("docsis-device-class", "L"),
    ("link-selection", "I"),
    ("relay-port", "Z"),
];

/// Options in dhcpd's table (common/tables.c) that charrua's option table does not have,
/// with dhcpd's format: their values are checked, not sent.
const ISC_ONLY: &[(&str, &str)] = &[
    ("slp-directory-agent", "fIa"),
    ("slp-service-scope", "fto"),
    ("pxe-undefined-1", "X"),
    ("pxe-undefined-2", "X"),
    ("pxe-undefined-3", "X"),
    ("pxe-undefined-4", "X"),
    ("pxe-undefined-5", "X"),
    ("pxe-undefined-6", "X"),
    ("pxe-undefined-7", "X"),
    ("pxe-undefined-8", "X"),
    ("pana-agent", "Ia"),
    ("v4-lost", "d"),
    ("capwap-ac-v4", "Ia"),
    ("sip-ua-cs-domains", "Dc"),
    ("ipv4-address-andsf", "IA"),
    ("rdnss-selection", "BIID"),
    ("v4-portparams", "BBS"),
    ("pxelinux-magic", "BBBB"),
];

impl Definitions {
    /// A definition in the file first (dhcpd lets a file define a standard option anew, e.g.
    /// `option www-server code 72 = ip-address;`), then the option table.
    fn lookup(&self, name: &str) -> Option<(OptionCode, Option<Format>)> {
        if let Some(defined) = self.by_name.get(&name.to_ascii_lowercase()) {
            return Some(*defined);
        }
        lookup_name(name).map(|def| (def.code, Some(def.format)))
    }

    /// The value format of option `name`, standard or defined here (`None` when unknown or of
    /// a record type).
    pub(crate) fn format(&self, name: &str) -> Option<Format> {
        let lower = name.to_ascii_lowercase();
        self.lookup(lower.strip_prefix("dhcp.").unwrap_or(&lower))
            .and_then(|(_, f)| f)
    }

    /// The code of option `name`, standard or defined here.
    pub(crate) fn code(&self, name: &str) -> Option<OptionCode> {
        self.lookup(name).map(|(c, _)| c)
    }

    /// Whether option `name` (lower case, perhaps `SPACE.NAME`) is one dhcpd would know: a
    /// DHCP option (standard, `unknown-N` or defined here), a relay agent sub-option, an
    /// option defined here in a space of the file's, or one of dhcpd's other spaces.
    pub(crate) fn known(&self, name: &str) -> bool {
        let local = name.strip_prefix("dhcp.").unwrap_or(name);
        match local.split_once('.') {
            None => {
                self.lookup(local).is_some()
                    || local
                        .strip_prefix("unknown-")
                        .is_some_and(|n| n.parse::<u32>().is_ok())
            }
            Some(("agent", option)) => AGENT.iter().any(|(n, _)| *n == option),
            Some(("fqdn", option)) => FqdnField::from_name(option).is_some(),
            Some((space, _)) if ISC_SPACES.contains(&space) => true,
            Some(_) => self.isc_formats.contains_key(local),
        }
    }

    /// The lowest code of `space` that is a site option when it is the `site-option-space`:
    /// its lowest defined code, at most 224, at least 128 (server/dhcp.c `find_min_site_code`).
    pub(crate) fn site_code_min(&self, space: &str) -> u8 {
        let prefix = format!("{space}.");
        self.space_options
            .iter()
            .filter(|(name, _)| name.starts_with(&prefix))
            .map(|(_, (code, _))| code.0)
            .fold(224, u8::min)
            .max(128)
    }

    /// Lowers one `option ...;` statement (`words` includes the leading `option`).
    pub(crate) fn statement(
        &mut self,
        words: &[Token],
        span: Span,
        sources: &Sources,
        top: bool,
    ) -> Result<OptionStatement, Diagnostic> {
        let name = match words.get(1) {
            Some(t) if t.kind == TokenKind::Atom => t,
            _ => {
                return Err(Diagnostic::error(
                    span,
                    "expected an option name after 'option'",
                ))
            }
        };
        let rest = words.get(2..).unwrap_or_default();
        // `option space NAME ...;`: another option space.
        // Definitions are the file's, not a scope's (common/parse.c parse_option_statement).
        let defines = name.is("space") || rest.first().is_some_and(|t| t.is("code"));
        if defines && !top {
            return Err(Diagnostic::error(
                span,
                if name.is("space") {
                    "option space definitions may not be scoped."
                } else {
                    "option definitions may not be scoped."
                },
            ));
        }
        if name.text.ends_with('.') {
            return Err(Diagnostic::error(
                name.span,
                "expecting identifier after '.'",
            ));
        }
        if name.is("space") {
            let (space, octets) = space_declaration(rest, span)?;
            if !octets {
                self.wide_spaces.insert(space.clone());
            }
            self.spaces.insert(space);
            return Ok(OptionStatement::Defined);
        }
        // `SPACE.NAME` needs a known SPACE (common/parse.c parse_option_name).
        if let Some((space, _)) = name.text.split_once('.') {
            if !self.spaces.contains(&space.to_ascii_lowercase()) {
                return Err(Diagnostic::error(
                    name.span,
                    format!("no option space named {space}."),
                ));
            }
        }
        if rest.first().is_some_and(|t| t.is("code")) {
            return self.define(name, rest, span);
        }
        let lower = name.text.to_ascii_lowercase();
        let local = lower.strip_prefix("dhcp.").unwrap_or(&lower);
        if let Some((space, option)) = local.split_once('.') {
            // A value of an option this file defined is read as dhcpd reads it, though not
            // sent; an option a space does not have is unknown, as in dhcpd.
            if let Some(code) = option.strip_prefix("unknown-") {
                unknown_code(code, space, name)?;
            } else if let Some(format) =
                self.isc_formats.get(local).map(String::as_str).or_else(|| {
                    AGENT
                        .iter()
                        .find(|(n, _)| space == "agent" && *n == option)
                        .map(|(_, f)| *f)
                })
            {
                let value = value_words(rest);
                isc_format::check_value(format, value, span)?;
            } else if !self.known(local) {
                return Err(Diagnostic::error(
                    name.span,
                    format!("unknown option {local}"),
                ));
            }
            if let (Some((code, Some(format))), false) = (
                self.space_options.get(local).copied(),
                self.wide_spaces.contains(space),
            ) {
                return Ok(match self.value(name, code, format, rest, sources)? {
                    OptionStatement::Value(code, value) => {
                        OptionStatement::SpaceValue(space.to_string(), code, value)
                    }
                    other => other,
                });
            }
            return Ok(OptionStatement::Warned(Diagnostic::warning(
                name.span,
                format!(
                    "option {} is in an option space whose values charrua does not send (another space of dhcpd's, a record type or wider codes): it is not sent",
                    name.text
                ),
            )));
        }
        let Some((code, format)) = self.lookup(local) else {
            let warn = |what: String| {
                Ok(OptionStatement::Warned(Diagnostic::warning(
                    name.span, what,
                )))
            };
            if let Some(format) = self
                .isc_formats
                .get(local)
                .map(String::as_str)
                .or_else(|| ISC_ONLY.iter().find(|(n, _)| *n == local).map(|(_, f)| *f))
            {
                isc_format::check_value(format, value_words(rest), span)?;
                return warn(format!(
                    "option {} is not in charrua's option table: it is not sent",
                    name.text
                ));
            }
            // `unknown-N`: option N by number (common/parse.c parse_option_name).
            if let Some(number) = local.strip_prefix("unknown-") {
                let code = unknown_code(number, "dhcp", name)?;
                if let Some(def) = u8::try_from(code)
                    .ok()
                    .and_then(|c| charrua_wire::options::lookup(OptionCode(c)))
                {
                    return self.value(name, def.code, def.format, rest, sources);
                }
                return match u8::try_from(code) {
                    Ok(c) => self.value(name, OptionCode(c), Format::Bytes, rest, sources),
                    Err(_) => {
                        isc_format::check_value("X", value_words(rest), span)?;
                        warn(format!(
                            "option {}: code {code} does not fit DHCPv4's one octet; it is not sent",
                            name.text
                        ))
                    }
                };
            }
            return Err(Diagnostic::error(
                name.span,
                format!("unknown option {:?}", name.text),
            ));
        };
        let Some(format) = format else {
            if let Some(isc) = self.isc_formats.get(local) {
                isc_format::check_value(isc, value_words(rest), span)?;
            }
            return Ok(OptionStatement::Warned(Diagnostic::warning(
                name.span,
                format!(
                    "option {} has a record type; its values are not read yet: this one is not sent",
                    name.text
                ),
            )));
        };
        self.value(name, code, format, rest, sources)
    }

    /// The value of option `name` (code `code`, `format`) written as `rest`.
    fn value(
        &self,
        name: &Token,
        code: OptionCode,
        format: Format,
        rest: &[Token],
        sources: &Sources,
    ) -> Result<OptionStatement, Diagnostic> {
        // An empty value is set, and not sent: dhcpd skips options of no length when it
        // assembles a reply (common/options.c `store_options`), outer scopes' values too.
        if let [only] = rest {
            if only.kind == TokenKind::String && only.bytes.is_empty() && format == Format::Text {
                return Ok(OptionStatement::Withheld(code));
            }
        }
        // `option NAME = EXPRESSION;` computes the value for each reply: a constant is the
        // value itself; anything else is not evaluated yet, and the option is not sent.
        let rest = match rest {
            // Hex data is the option's octets, read in its format (`option routers =
            // c6:12:00:01;`).
            [eq, value] if eq.is_punct("=") && value.kind == TokenKind::Atom => {
                if let Some(octets) = super::hex_bytes(&value.text) {
                    return Value::decode(format, code, &octets)
                        .map(|v| OptionStatement::Value(code, v))
                        .map_err(|e| {
                            Diagnostic::error(value.span, format!("option {}: {e}", name.text))
                        });
                }
                std::slice::from_ref(value)
            }
            [eq, value] if eq.is_punct("=") && value.kind == TokenKind::String => {
                std::slice::from_ref(value)
            }
            [eq, expression @ ..] if eq.is_punct("=") => {
                let parsed = super::expr::parse(expression, name.span, super::expr::Kind::Data)?;
                return Ok(match super::conditions::data(&parsed, self) {
                    Ok(e) => OptionStatement::Computed(code, e),
                    Err(why) => OptionStatement::Warned(Diagnostic::warning(
                        name.span,
                        format!(
                            "option {} = EXPRESSION: {why} is not evaluated yet; the option is not sent",
                            name.text
                        ),
                    )),
                });
            }
            other => other,
        };
        // Options whose text dhcpd writes otherwise than charrua's table: its fields are read
        // in its format and make the octets (`option pxe-interface-id 1 2 1;`).
        if let Some((_, isc)) = ISC_TEXT.iter().find(|(c, _)| *c == code) {
            isc_format::check_value(isc, rest, name.span)?;
            let octets: Vec<u8> = rest
                .iter()
                .filter_map(|t| super::server_options::number(t, 8).ok())
                .map(|n| n as u8)
                .collect();
            return Value::decode(format, code, &octets)
                .map(|v| OptionStatement::Value(code, v))
                .map_err(|e| Diagnostic::error(name.span, format!("option {}: {e}", name.text)));
        }
        // Booleans may be `ignore` in dhcpd (a value of 2, no boolean): not sent.
        if let ([word], Format::Bool) = (rest, format) {
            if word.is("ignore") {
                return Ok(OptionStatement::Warned(Diagnostic::warning(
                    word.span,
                    format!(
                        "option {} ignore: charrua sends booleans only; it is not sent",
                        name.text
                    ),
                )));
            }
        }
        // A text value written as a bare name (`option domain-name localdomain;`): dhcpd's
        // parse_option_token takes a name where text goes.
        if let [word] = rest {
            // (A dot ends a name in dhcpd's lexer: `example.com` unquoted is refused.)
            if word.kind == TokenKind::Atom
                && !word.text.contains('.')
                && format == Format::Text
                && !word.text.starts_with(|c: char| c.is_ascii_digit())
            {
                let quoted = format!("\"{}\"", word.text);
                if let Ok(value) = Value::parse_text(format, &quoted) {
                    return Ok(OptionStatement::Value(code, value));
                }
            }
        }
        let value = match (rest.first(), rest.last()) {
            (Some(first), Some(last)) => {
                let start = first.span.offset;
                let end = last.span.offset + last.span.len;
                let text = sources
                    .text(first.span.file)
                    .get(start..end)
                    .unwrap_or_default();
                Value::parse_text(format, text).map_err(|e| {
                    let at = rest
                        .iter()
                        .rev()
                        .find(|t| t.span.offset - start <= e.offset)
                        .map_or(first.span, |t| t.span);
                    Diagnostic::error(at, format!("option {}: expected {}", name.text, e.expected))
                })?
            }
            _ if format == Format::Empty => Value::Empty,
            _ => {
                return Err(Diagnostic::error(
                    name.span,
                    format!("option {} needs a value", name.text),
                ))
            }
        };
        Ok(OptionStatement::Value(code, value))
    }

    /// `option NAME code N = TYPE;`
    fn define(
        &mut self,
        name: &Token,
        rest: &[Token],
        span: Span,
    ) -> Result<OptionStatement, Diagnostic> {
        let lower = name.text.to_ascii_lowercase();
        let local = lower.strip_prefix("dhcp.").unwrap_or(&lower).to_string();
        let other_space = local.contains('.');
        let code = rest.get(1).and_then(|t| t.text.parse::<i64>().ok());
        let Some(code) = code else {
            return Err(Diagnostic::error(
                rest.get(1).map_or(span, |t| t.span),
                "expecting option code number.",
            ));
        };
        if !rest.get(2).is_some_and(|t| t.is_punct("=")) {
            return Err(Diagnostic::error(
                rest.get(2).map_or(span, |t| t.span),
                "expecting \"=\"",
            ));
        }
        let type_words = rest.get(3..).unwrap_or_default();
        let isc = isc_format::definition(type_words, &self.spaces, span)?;
        self.isc_formats.insert(local.clone(), isc);
        if other_space {
            // Another option space: sent where `site-option-space` or `vendor-option-space`
            // names it, when its codes fit an octet.
            if let Ok(code) = u8::try_from(code) {
                self.space_options
                    .insert(local, (OptionCode(code), format_of(type_words)));
            }
            return Ok(OptionStatement::Defined);
        }
        // dhcpd takes any code; DHCPv4 can carry 1 to 254.
        if !(1..=254).contains(&code) {
            return Ok(OptionStatement::Warned(Diagnostic::warning(
                name.span,
                format!(
                    "option {} has code {code}, which a DHCPv4 message cannot carry: it is not sent",
                    name.text
                ),
            )));
        }
        let code = OptionCode(u8::try_from(code).unwrap_or_default());
        let format = format_of(type_words);
        self.by_name
            .insert(name.text.to_ascii_lowercase(), (code, format));
        match format {
            Some(_) => Ok(OptionStatement::Defined),
            None => Ok(OptionStatement::Warned(Diagnostic::warning(
                span,
                format!("option {} has a record or encapsulated type; reading its values is not implemented yet: they are not sent", name.text),
            ))),
        }
    }
}

/// The value words of an option statement (`= VALUE` takes the constant after `=`).
fn value_words(rest: &[Token]) -> &[Token] {
    match rest {
        [eq, value @ ..] if eq.is_punct("=") => value,
        other => other,
    }
}

/// The code of `unknown-N` in `space`: dhcpd refuses 0 and the space's end code (255 for
/// DHCP, 0 for the relay agent's).
fn unknown_code(number: &str, space: &str, name: &Token) -> Result<u32, Diagnostic> {
    let code = number.parse::<u32>().unwrap_or(0);
    let end = if space == "dhcp" { 255 } else { 0 };
    if code == 0 || code == end {
        return Err(Diagnostic::error(
            name.span,
            format!("Option codes 0 and {end} are illegal in the {space} space."),
        ));
    }
    Ok(code)
}
