//! Hex text: parsing user input and formatting bytes.

use std::fmt::Write;

/// Lower-case hex without separators.
pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Colon-separated lower-case hex pairs, as ISC dhcpd and tshark print hardware addresses.
pub(crate) fn colons(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Parses hex digits, ignoring white space and colons; an optional `0x` prefix is allowed.
pub(crate) fn decode(text: &str) -> Result<Vec<u8>, String> {
    let text = text.trim();
    let text = text.strip_prefix("0x").unwrap_or(text);
    let digits: Vec<u8> = text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b':')
        .collect();
    if let Some(bad) = digits.iter().find(|b| !b.is_ascii_hexdigit()) {
        return Err(format!("'{}' is not a hex digit", char::from(*bad)));
    }
    if !digits.len().is_multiple_of(2) {
        return Err(format!("odd number of hex digits ({})", digits.len()));
    }
    Ok(digits
        .chunks_exact(2)
        .filter_map(|pair| std::str::from_utf8(pair).ok())
        .filter_map(|pair| u8::from_str_radix(pair, 16).ok())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_spaced_and_colon_hex() {
        assert_eq!(decode("0x01 02:ab").unwrap(), vec![1, 2, 0xab]);
    }

    #[test]
    fn rejects_odd_and_non_hex() {
        assert!(decode("123").is_err());
        assert!(decode("zz").is_err());
    }

    #[test]
    fn formats_both_ways() {
        assert_eq!(encode(&[0, 255]), "00ff");
        assert_eq!(colons(&[0, 255]), "00:ff");
    }
}
