//! `key NAME { algorithm NAME; secret BASE64; }` and `zone NAME { primary ...; key NAME; }`,
//! read and checked as dhcpd reads them (common/parse.c `parse_key`, `parse_base64`,
//! `parse_zone`) into the configuration's keys and zones.

use std::net::Ipv6Addr;

use charrua_server::config::{TsigKey, Zone};

use super::Lowerer;
use crate::lexer::{Token, TokenKind};
use crate::source::Diagnostic;
use crate::syntax::Statement;

/// The value of a base64 character, as dhcpd's `from64` table has it.
fn sextet(c: u8) -> Option<u32> {
    Some(u32::from(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    }))
}

/// Decodes a key secret written as one or more words, as dhcpd does: every character base64 or
/// a trailing `=`, and no bits left over from a partial last group ("partial base64 value left
/// over: N." with dhcpd's number).
pub(crate) fn base64(words: &[Token]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let (mut acc, mut k, mut terminated) = (0u32, 0usize, false);
    for &c in words.iter().flat_map(|t| t.text.as_bytes()) {
        if c == b'=' {
            terminated = true;
            continue;
        }
        if terminated {
            return Err("stuff after base64 '=' terminator.".into());
        }
        let v = sextet(c).ok_or_else(|| format!("invalid base64 character {c}."))?;
        acc = (acc << 6) + v;
        match k % 4 {
            1 => {
                out.push((acc >> 4) as u8);
                acc &= 0x0f;
            }
            2 => {
                out.push((acc >> 2) as u8);
                acc &= 0x03;
            }
            3 => {
                out.push(acc as u8);
                acc = 0;
            }
            _ => {}
        }
        k += 1;
    }
    if k % 4 != 0 && acc != 0 {
        return Err(format!("partial base64 value left over: {acc}."));
    }
    Ok(out)
}

/// A `key` declaration, checked as dhcpd checks it (common/parse.c `parse_key`).
pub(crate) fn key(s: &Statement) -> Result<TsigKey, Diagnostic> {
    let name = match s.words.as_slice() {
        [_, name] => name.text.clone(),
        _ => return Err(Diagnostic::error(s.span, "expecting key name.")),
    };
    let block = s
        .block
        .as_deref()
        .ok_or_else(|| Diagnostic::error(s.span, "expecting left brace"))?;
    let (mut algorithm, mut secret) = (None, None);
    for st in block {
        let rest = st.words.get(1..).unwrap_or_default();
        match st.keyword().as_str() {
            "algorithm" if algorithm.is_some() => {
                return Err(Diagnostic::error(
                    st.span,
                    format!("key {name}: too many algorithms"),
                ))
            }
            "algorithm" => match rest {
                [word] if word.kind == TokenKind::Atom => algorithm = Some(word.text.clone()),
                _ => return Err(Diagnostic::error(st.span, "expecting key algorithm name.")),
            },
            "secret" if secret.is_some() => {
                return Err(Diagnostic::error(
                    st.span,
                    format!("key {name}: too many secrets"),
                ))
            }
            // With nothing before the semicolon, dhcpd reads the `;` as the secret.
            "secret" if rest.is_empty() => {
                return Err(Diagnostic::error(st.span, "invalid base64 character 59."))
            }
            "secret" => secret = Some(base64(rest).map_err(|why| Diagnostic::error(st.span, why))?),
            _ => return Err(Diagnostic::error(st.span, "expecting right brace.")),
        }
    }
    // dhcpd 4.4.3 reads a key without either and then crashes entering it (omapip/auth.c
    // `omapi_auth_key_enter` reads both): refused here.
    match (algorithm, secret) {
        (Some(algorithm), Some(secret)) => Ok(TsigKey {
            name,
            algorithm,
            secret,
        }),
        (None, _) => Err(Diagnostic::error(
            s.span,
            format!("key {name}: no algorithm (dhcpd 4.4.3 crashes on a key without one)"),
        )),
        (_, None) => Err(Diagnostic::error(
            s.span,
            format!("key {name}: no secret (dhcpd 4.4.3 crashes on a key without one)"),
        )),
    }
}

impl Lowerer<'_> {
    /// A `zone NAME { primary ...; secondary ...; primary6 ...; secondary6 ...; key NAME; }`
    /// declaration (common/parse.c `parse_zone`), whose key must be declared before it.
    pub(super) fn zone(&mut self, s: &Statement) -> Result<Zone, Diagnostic> {
        let mut name = match s.words.as_slice() {
            [_, name] if name.kind == TokenKind::Atom => name.text.clone(),
            _ => return Err(Diagnostic::error(s.span, "expecting hostname.")),
        };
        // dhcpd adds the final dot (common/parse.c `parse_executable_statement`).
        if !name.ends_with('.') {
            name.push('.');
        }
        let block = s
            .block
            .as_deref()
            .ok_or_else(|| Diagnostic::error(s.span, "expecting left brace"))?;
        let mut zone = Zone {
            name: name.clone(),
            primary: Vec::new(),
            secondary: Vec::new(),
            primary6: Vec::new(),
            secondary6: Vec::new(),
            key: None,
        };
        let mut seen: Vec<String> = Vec::new();
        for st in block {
            let keyword = st.keyword();
            let values = st.words.get(1..).unwrap_or_default();
            match keyword.as_str() {
                "primary" | "secondary" | "primary6" | "secondary6" | "key"
                    if seen.contains(&keyword) =>
                {
                    return Err(Diagnostic::error(
                        st.span,
                        match keyword.as_str() {
                            "key" => format!("Multiple key definitions for zone {name}."),
                            other => format!("more than one {other}."),
                        },
                    ));
                }
                "primary" | "secondary" | "primary6" | "secondary6" => {
                    // ADDRESS [, ADDRESS ...]: a comma between addresses, as dhcpd reads them
                    // (it wants the semicolon where a comma is not, and an address after one).
                    if let Some(t) = values.iter().skip(1).step_by(2).find(|t| !t.is_punct(",")) {
                        return Err(Diagnostic::error(t.span, "expecting semicolon."));
                    }
                    if values.is_empty() || values.len() % 2 == 0 {
                        return Err(Diagnostic::error(
                            st.end,
                            "; (59): expecting IP address or hostname",
                        ));
                    }
                    let what = format!("zone {name} {keyword}");
                    for t in values.iter().step_by(2) {
                        match keyword.as_str() {
                            "primary" => zone.primary.extend(self.addresses(t, &what)?),
                            "secondary" => zone.secondary.extend(self.addresses(t, &what)?),
                            _ => {
                                let address: Ipv6Addr = t.text.parse().map_err(|_| {
                                    Diagnostic::error(t.span, "Invalid IPv6 address.")
                                })?;
                                if keyword == "primary6" {
                                    zone.primary6.push(address);
                                } else {
                                    zone.secondary6.push(address);
                                }
                            }
                        }
                    }
                }
                "key" => match values {
                    [k] => match self.ddns.key(&k.text) {
                        Some(key) => zone.key = Some(key.clone()),
                        None => {
                            return Err(Diagnostic::error(
                                k.span,
                                format!("unknown key {}", k.text),
                            ))
                        }
                    },
                    _ => return Err(Diagnostic::error(st.span, "expecting key name.")),
                },
                _ => return Err(Diagnostic::error(st.span, "expecting right brace.")),
            }
            seen.push(keyword);
        }
        Ok(zone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::lex;
    use crate::source::FileId;

    /// Each case as `dhcpd -t` 4.4.3 judged `key k { algorithm hmac-md5; secret S; }`.
    #[test]
    fn secrets_decode_as_dhcpd_decodes_them() {
        let decode = |s: &str| base64(&lex(FileId(0), s).unwrap());
        assert_eq!(decode("abcd"), Ok(vec![0x69, 0xb7, 0x1d]));
        assert!(decode("abc").is_ok());
        assert!(decode("abcd==").is_ok());
        assert!(decode("ab cd").is_ok());
        assert_eq!(
            decode("FIXME"),
            Err("partial base64 value left over: 4.".to_string())
        );
        assert!(decode("ab=cd").is_err());
    }
}
