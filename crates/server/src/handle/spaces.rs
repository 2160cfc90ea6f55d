//! What the configuration gives an option code of a reply, option spaces included: a site
//! option space's options stand for the DHCP options from its lowest code up (ISC
//! `site-option-space`), and a vendor option space's options are encapsulated in option 43
//! (ISC `vendor-option-space`), as common/options.c `cons_options` assembles them.

use std::borrow::Cow;

use charrua_wire::OptionCode;

use crate::config::Params;

/// dhcpd's option hash size (includes/dhcpd.h `OPTION_HASH_SIZE`): it stores a space's
/// options in this many buckets, by code modulo it, and encapsulates them bucket by bucket.
const HASH_SIZE: u8 = 17;

/// The configured value of `code`, if any.
pub(crate) fn value(params: &Params, code: OptionCode) -> Option<Cow<'_, [u8]>> {
    if let Some(site) = params
        .site_option_space
        .as_ref()
        .filter(|s| code.0 >= s.code_min)
    {
        return params
            .space_options
            .get(&site.name)
            .and_then(|o| o.get(code))
            .map(Cow::Borrowed);
    }
    if let Some(raw) = params.options.get(code) {
        return Some(Cow::Borrowed(raw));
    }
    if code == OptionCode::VENDOR_ENCAPSULATED_OPTIONS {
        return vendor_encapsulated(params).map(Cow::Owned);
    }
    None
}

/// Every code the configuration gives a value, for a client that asks for none.
pub(crate) fn codes(params: &Params) -> Vec<OptionCode> {
    let site = params.site_option_space.as_ref();
    let mut codes: Vec<OptionCode> = params
        .options
        .iter()
        .map(|(c, _)| c)
        .filter(|c| site.is_none_or(|s| c.0 < s.code_min))
        .collect();
    if let Some(options) = site.and_then(|s| params.space_options.get(&s.name)) {
        let min = site.map_or(0, |s| s.code_min);
        codes.extend(options.iter().map(|(c, _)| c).filter(|c| c.0 >= min));
    }
    if vendor_encapsulated(params).is_some()
        && !codes.contains(&OptionCode::VENDOR_ENCAPSULATED_OPTIONS)
    {
        codes.push(OptionCode::VENDOR_ENCAPSULATED_OPTIONS);
    }
    codes
}

/// Option 43 made of the vendor option space's options (code, length, value each), in the
/// order dhcpd stores them: by code modulo its hash size, then by code.
fn vendor_encapsulated(params: &Params) -> Option<Vec<u8>> {
    let space = params.vendor_option_space.as_ref()?;
    let options = params.space_options.get(space)?;
    let mut entries: Vec<(OptionCode, &[u8])> = options.iter().collect();
    entries.sort_by_key(|(c, _)| (c.0 % HASH_SIZE, c.0));
    let mut out = Vec::new();
    for (code, value) in entries {
        // A value longer than one sub-option takes several, as dhcpd splits it.
        for chunk in value.chunks(255) {
            out.push(code.0);
            out.push(chunk.len() as u8);
            out.extend_from_slice(chunk);
        }
        if value.is_empty() {
            out.extend([code.0, 0]);
        }
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SiteSpace;

    #[test]
    fn site_options_stand_for_dhcp_options_from_the_lowest_site_code() {
        let mut params = Params {
            site_option_space: Some(SiteSpace {
                name: "pxelinux".into(),
                code_min: 208,
            }),
            ..Params::default()
        };
        params.options.insert(OptionCode(210), b"dhcp");
        params.options.insert(OptionCode(67), b"pxelinux.0");
        params.space_mut("pxelinux").insert(OptionCode(209), b"cfg");
        assert_eq!(
            value(&params, OptionCode(209)).as_deref(),
            Some(&b"cfg"[..])
        );
        assert_eq!(value(&params, OptionCode(210)), None);
        assert_eq!(
            value(&params, OptionCode(67)).as_deref(),
            Some(&b"pxelinux.0"[..])
        );
        assert_eq!(codes(&params), [OptionCode(67), OptionCode(209)]);
    }

    #[test]
    fn vendor_options_are_encapsulated_in_option_43_in_dhcpds_order() {
        let mut params = Params {
            vendor_option_space: Some("sunw".into()),
            ..Params::default()
        };
        let space = params.space_mut("sunw");
        space.insert(OptionCode(18), b"b");
        space.insert(OptionCode(2), b"a");
        space.insert(OptionCode(17), b"");
        let code = OptionCode::VENDOR_ENCAPSULATED_OPTIONS;
        assert_eq!(
            value(&params, code).as_deref(),
            Some(&[17, 0, 18, 1, b'b', 2, 1, b'a'][..])
        );
        assert_eq!(codes(&params), [code]);
        params.options.insert(code, &[1, 1, 9]);
        assert_eq!(value(&params, code).as_deref(), Some(&[1, 1, 9][..]));
    }
}
