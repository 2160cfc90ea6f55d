//! BOOTP clients of before RFC 1048, which send no magic cookie, judged against ISC dhcpd in
//! network namespaces the test creates. dhcpd serves them as BOOTP and answers with the
//! client's own vendor area and no options (server/bootp.c), or with RFC 1048 options under
//! `always-reply-rfc1048`; a BOOTP reply takes hops, secs and, when none is configured, the
//! boot file name from the request, and the server's address as siaddr. charruad's reply must
//! be dhcpd's, octet for octet.

mod lab;

use lab::{skip, udp_from, Lab};

const HOSTS: &str = "
ping-check false;
subnet 198.18.0.0 netmask 255.255.255.0 { option routers 198.18.0.1; }
host terminal { hardware ethernet 02:00:00:00:24:01; fixed-address 198.18.0.50; filename \"term.img\"; }
host printer { hardware ethernet 02:00:00:00:24:02; fixed-address 198.18.0.51; }
";

/// A BOOTREQUEST of `mac`'s last octet, broadcast flag set, with a boot file name and an RFC
/// 951 vendor area (no cookie).
fn request(last: u8) -> Vec<u8> {
    let mut m = vec![0u8; 300];
    m[..4].copy_from_slice(&[1, 1, 6, 1]);
    m[4..8].copy_from_slice(&[0x95, 0x10, 0, last]);
    m[8..10].copy_from_slice(&7u16.to_be_bytes());
    m[10..12].copy_from_slice(&0x8000u16.to_be_bytes());
    m[28..34].copy_from_slice(&[2, 0, 0, 0, 0x24, last]);
    m[108..116].copy_from_slice(b"boot/req");
    m[236..240].copy_from_slice(b"CMU\0");
    m[240..244].copy_from_slice(&[1, 2, 3, 4]);
    m
}

/// The replies of the server running in `lab` to the two hosts' requests, each sent from a
/// namespace with the host's hardware address (dhcpd addresses the frame to it).
fn replies(lab: &mut Lab) -> Vec<Vec<u8>> {
    [1, 2]
        .into_iter()
        .map(|last| {
            let ns = lab.client(&format!("02:00:00:00:24:{last:02x}"));
            let address = format!("198.18.0.{}/24", 240 + last);
            lab.exec(&ns, 5, &["ip", "addr", "add", &address, "dev", "eth0"]);
            udp_from(&ns, vec![request(last)], "198.18.0.1:67", true)
                .map(|(reply, _)| reply)
                .unwrap_or_default()
        })
        .collect()
}

fn from_charruad(config: &str) -> Vec<Vec<u8>> {
    let mut lab = Lab::new();
    lab.start(config);
    let got = replies(&mut lab);
    assert!(got.iter().all(|r| !r.is_empty()), "{}", lab.log());
    assert!(lab.stop().success(), "{}", lab.log());
    got
}

fn from_dhcpd(config: &str) -> Vec<Vec<u8>> {
    Lab::new().with_dhcpd(config, |lab| {
        let got = replies(lab);
        assert!(got.iter().all(|r| !r.is_empty()), "{}", lab.logs());
        got
    })
}

#[test]
fn a_bootp_client_without_the_cookie_gets_its_vendor_area_back_as_from_dhcpd() {
    if skip(&["dhcpd"]) {
        return;
    }
    let (ours, theirs) = (from_charruad(HOSTS), from_dhcpd(HOSTS));
    assert_eq!(ours, theirs);
    let terminal = &ours[0];
    assert_eq!(terminal.get(16..20), Some(&[198, 18, 0, 50][..]));
    assert_eq!(terminal.get(236..244), request(1).get(236..244));
    assert!(terminal.get(108..116) == Some(b"term.img"));
    // No file name configured: the request's comes back.
    assert!(ours[1].get(108..116) == Some(b"boot/req"));
}

#[test]
fn with_always_reply_rfc1048_it_gets_options_as_from_dhcpd() {
    if skip(&["dhcpd"]) {
        return;
    }
    let config = format!("always-reply-rfc1048 true;\n{HOSTS}");
    let (ours, theirs) = (from_charruad(&config), from_dhcpd(&config));
    assert_eq!(ours, theirs);
    assert_eq!(ours[0].get(236..240), Some(&[99, 130, 83, 99][..]));
}
