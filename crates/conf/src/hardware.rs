//! Hardware type names, as dhcpd.conf and dhcpd.leases write them: ISC's
//! `parse_hardware_param` (common/parse.c) reads `ethernet`, `token-ring`, `fddi`,
//! `infiniband` and `unknown-N` (N the type number), and dhcpd writes them back so.

/// The hardware type a name stands for.
pub fn type_of(name: &str) -> Option<u8> {
    let name = name.to_ascii_lowercase();
    match name.as_str() {
        "ethernet" => Some(1),
        "token-ring" => Some(6),
        "fddi" => Some(8),
        "infiniband" => Some(32),
        other => other.strip_prefix("unknown-")?.parse().ok(),
    }
}

/// The name of hardware type `htype`.
pub fn name_of(htype: u8) -> String {
    match htype {
        1 => "ethernet".into(),
        6 => "token-ring".into(),
        8 => "fddi".into(),
        32 => "infiniband".into(),
        other => format!("unknown-{other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for htype in 0..=u8::MAX {
            assert_eq!(type_of(&name_of(htype)), Some(htype));
        }
        assert_eq!(type_of("Ethernet"), Some(1));
        assert_eq!(type_of("unknown-x"), None);
        assert_eq!(type_of("wifi"), None);
    }
}
