//! `key NAME { algorithm NAME; secret BASE64; }` and the keys `zone` declarations name, checked
//! as dhcpd checks them (common/parse.c `parse_key`, `parse_base64`; `parse_zone`).

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

/// Checks a `key` declaration and returns its name.
pub(crate) fn key(s: &Statement) -> Result<String, Diagnostic> {
    let name = match s.words.as_slice() {
        [_, name] => name.text.clone(),
        _ => return Err(Diagnostic::error(s.span, "expecting key name.")),
    };
    let block = s
        .block
        .as_deref()
        .ok_or_else(|| Diagnostic::error(s.span, "expecting left brace"))?;
    let (mut algorithm, mut secret) = (false, false);
    for st in block {
        let rest = st.words.get(1..).unwrap_or_default();
        match st.keyword().as_str() {
            "algorithm" if std::mem::replace(&mut algorithm, true) => {
                return Err(Diagnostic::error(
                    st.span,
                    format!("key {name}: too many algorithms"),
                ))
            }
            "algorithm" if rest.len() != 1 || rest.iter().any(|t| t.kind != TokenKind::Atom) => {
                return Err(Diagnostic::error(st.span, "expecting key algorithm name."))
            }
            "secret" if std::mem::replace(&mut secret, true) => {
                return Err(Diagnostic::error(
                    st.span,
                    format!("key {name}: too many secrets"),
                ))
            }
            // With nothing before the semicolon, dhcpd reads the `;` as the secret.
            "secret" if rest.is_empty() => {
                return Err(Diagnostic::error(st.span, "invalid base64 character 59."))
            }
            "secret" => {
                base64(rest).map_err(|why| Diagnostic::error(st.span, why))?;
            }
            "algorithm" => {}
            _ => return Err(Diagnostic::error(st.span, "expecting right brace.")),
        }
    }
    Ok(name)
}

/// Checks a `zone NAME { primary ...; secondary ...; key NAME; }` declaration (common/parse.c
/// parse_zone) whose keys must be among `keys`.
pub(crate) fn zone(s: &Statement, keys: &[String]) -> Result<(), Diagnostic> {
    let name = match s.words.as_slice() {
        [_, name] if name.kind == TokenKind::Atom => name.text.clone(),
        _ => return Err(Diagnostic::error(s.span, "expecting hostname.")),
    };
    let block = s
        .block
        .as_deref()
        .ok_or_else(|| Diagnostic::error(s.span, "expecting left brace"))?;
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
                        other => format!("more than one {}.", other.trim_end_matches('6')),
                    },
                ));
            }
            "primary" | "secondary" | "primary6" | "secondary6" => {
                if values.is_empty() || values.len() % 2 == 0 {
                    return Err(Diagnostic::error(
                        st.end,
                        "; (59): expecting IP address or hostname",
                    ));
                }
                if keyword.ends_with('6') {
                    let bad = values
                        .iter()
                        .step_by(2)
                        .find(|t| t.text.parse::<std::net::Ipv6Addr>().is_err());
                    if let Some(t) = bad {
                        return Err(Diagnostic::error(t.span, "Invalid IPv6 address."));
                    }
                }
            }
            "key" => match values {
                [k] if keys.contains(&k.text) => {}
                [k] => return Err(Diagnostic::error(k.span, format!("unknown key {}", k.text))),
                _ => return Err(Diagnostic::error(st.span, "expecting key name.")),
            },
            _ => return Err(Diagnostic::error(st.span, "expecting right brace.")),
        }
        seen.push(keyword);
    }
    Ok(())
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
