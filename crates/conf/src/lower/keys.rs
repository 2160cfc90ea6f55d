//! `key NAME { algorithm NAME; secret BASE64; }` and the keys `zone` declarations name, checked
//! as dhcpd checks them (common/parse.c `parse_key`, `parse_base64`; `parse_zone`).

use crate::lexer::Token;
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
            "algorithm" if rest.len() != 1 => {
                return Err(Diagnostic::error(st.span, "expecting key algorithm name."))
            }
            "secret" if std::mem::replace(&mut secret, true) => {
                return Err(Diagnostic::error(
                    st.span,
                    format!("key {name}: too many secrets"),
                ))
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

/// The key a `zone` declaration names, if any (`key NAME;` in its block).
pub(crate) fn zone_key(s: &Statement) -> Option<&Token> {
    s.block
        .as_deref()?
        .iter()
        .find(|st| st.keyword() == "key")
        .and_then(|st| st.words.get(1))
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
