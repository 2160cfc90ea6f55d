//! ISC dhcpd's DDNS decisions (server/ddns.c `ddns_updates`, `ddns_removals`; docs/ddns.md
//! sections 2 to 6): the name registered at an ACK, who updates the A record, the reply's
//! option 81, what the lease records once the daemon reports the records added, and the
//! removals at release, decline and expiry.

mod common;

use charrua_server::config::{ClientUpdates, Ddns, DdnsStyle, Effect, Params, ScopeBuilder};
use charrua_server::dns::{DnsNote, DnsRecorded, DnsWork, DHCID, TXT};
use charrua_server::{Config, Outcome, Server};
use charrua_wire::options::ClientFqdn;
use charrua_wire::{Format, MessageType, OptionCode, Value};
use common::*;

fn config_with(style: DdnsStyle, params: Params) -> Config {
    builder()
        .ddns(Ddns {
            style,
            ..Ddns::default()
        })
        .inherit(&params)
        .build()
        .unwrap()
}

fn interim() -> Config {
    config_with(DdnsStyle::Interim, Params::default())
}

fn dns_work(outcome: &Outcome) -> Vec<DnsWork> {
    reply(outcome)
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::Dns(work) => Some((**work).clone()),
            _ => None,
        })
        .collect()
}

fn fqdn_option(outcome: &Outcome) -> Option<ClientFqdn> {
    let raw = reply(outcome)
        .message
        .options
        .get(OptionCode::CLIENT_FQDN)?;
    match Value::decode(Format::Fqdn, OptionCode::CLIENT_FQDN, raw) {
        Ok(Value::Fqdn(f)) => Some(f),
        other => panic!("option 81: {other:?}"),
    }
}

fn option81(flags: u8, name: &str) -> Vec<u8> {
    Value::Fqdn(ClientFqdn {
        flags,
        rcode1: 0,
        rcode2: 0,
        name: name.into(),
    })
    .to_bytes()
}

/// DISCOVER and REQUEST from `m` with `option` added to both; the ACK.
fn dora_with(h: &mut Harness, m: [u8; 6], option: (OptionCode, &[u8])) -> Outcome {
    let offer = h.send(&direct(with(discover(m), option.0, option.1)));
    if h.config.ddns.style != DdnsStyle::None {
        assert_eq!(fqdn_option(&offer), None, "no option 81 in an OFFER");
    }
    assert!(dns_work(&offer).is_empty(), "no DNS work for an OFFER");
    let addr = reply(&offer).message.yiaddr;
    h.send(&direct(with(
        selecting(m, addr, SERVER),
        option.0,
        option.1,
    )))
}

/// What the daemon reports once every record of `work` is added.
fn added(work: &DnsWork) -> Vec<DnsNote> {
    let add = work.add.as_ref().unwrap();
    let mut notes = Vec::new();
    if add.forward {
        notes.push(DnsNote::ForwardAdded {
            fqdn: add.fqdn.clone(),
            guard_variable: TXT,
            guard: b"00abcdef".to_vec(),
        });
    }
    if let Some(reverse) = &add.reverse {
        notes.push(DnsNote::ReverseAdded {
            reverse: reverse.clone(),
            client_fqdn: (!add.forward).then(|| add.fqdn.clone()),
        });
    }
    notes
}

fn report(h: &mut Harness, work: &DnsWork, notes: &[DnsNote]) -> Vec<Effect> {
    let (changes, effects) = Server::dns_recorded(&h.db, work.address, &work.client, notes, h.now);
    h.apply(&changes);
    effects
}

#[test]
fn without_a_style_nothing_is_registered_and_option_81_says_so() {
    let mut h = Harness::new(config());
    let ack = dora_with(
        &mut h,
        mac(1),
        (OptionCode::CLIENT_FQDN, &option81(0x01, "pc")),
    );
    assert!(dns_work(&ack).is_empty());
    assert_eq!(fqdn_option(&ack).map(|f| f.flags), Some(0x08 | 0x02));
}

#[test]
fn a_host_name_is_registered_in_the_configured_domain_with_half_the_lease_as_ttl() {
    let mut h = Harness::new(interim());
    let ack = dora_with(&mut h, mac(1), (OptionCode::HOST_NAME, b"laptop"));
    let work = dns_work(&ack);
    assert_eq!(work.len(), 1, "{work:?}");
    let add = work[0].add.as_ref().unwrap();
    let addr = reply(&ack).message.yiaddr;
    assert_eq!(add.fqdn, "laptop.example.test");
    assert_eq!(add.ttl, 1800);
    assert!(add.forward);
    assert_eq!(add.style, DdnsStyle::Interim);
    let [a, b, c, d] = addr.octets();
    assert_eq!(
        add.reverse.as_deref(),
        Some(format!("{d}.{c}.{b}.{a}.in-addr.arpa.").as_str())
    );
    assert_eq!(work[0].remove, None);
    // No option 81 was sent, so none comes back.
    assert_eq!(fqdn_option(&ack), None);
}

/// docs/ddns.md section 3.3: S=1 or a name without a domain, the server updates (S and O
/// set, its own name); S=0 with a qualified name, the client does (flags 0, its name), unless
/// `deny` (the server does) or `ignore` (the server does and says it does not).
#[test]
fn option_81_decides_who_updates_the_a_record() {
    let mut h = Harness::new(interim());
    let ack = dora_with(
        &mut h,
        mac(1),
        (OptionCode::CLIENT_FQDN, &option81(0x01, "pc.other.zone")),
    );
    let add = dns_work(&ack)[0].add.clone().unwrap();
    assert_eq!((add.fqdn.as_str(), add.forward), ("pc.example.test", true));
    let f = fqdn_option(&ack).unwrap();
    assert_eq!((f.flags, f.name.as_str()), (0x03, "pc.example.test"));
    assert_eq!((f.rcode1, f.rcode2), (255, 255));

    let client_path = option81(0x00, "pc.client.test.");
    let ack = dora_with(&mut h, mac(2), (OptionCode::CLIENT_FQDN, &client_path));
    let add = dns_work(&ack)[0].add.clone().unwrap();
    assert_eq!((add.fqdn.as_str(), add.forward), ("pc.client.test.", false));
    let f = fqdn_option(&ack).unwrap();
    assert_eq!((f.flags, f.name.as_str()), (0x00, "pc.client.test."));

    for (rule, flags) in [(ClientUpdates::Deny, 0x03), (ClientUpdates::Ignore, 0x00)] {
        let params = Params {
            client_updates: Some(rule),
            ..Params::default()
        };
        let mut h = Harness::new(config_with(DdnsStyle::Standard, params));
        let ack = dora_with(&mut h, mac(3), (OptionCode::CLIENT_FQDN, &client_path));
        let add = dns_work(&ack)[0].add.clone().unwrap();
        assert_eq!((add.fqdn.as_str(), add.forward), ("pc.example.test", true));
        assert_eq!(fqdn_option(&ack).map(|f| f.flags), Some(flags), "{rule:?}");
    }
}

#[test]
fn ddns_updates_off_registers_nothing_and_answers_no_option_81() {
    let params = Params {
        ddns_updates: Some(false),
        ..Params::default()
    };
    let mut h = Harness::new(config_with(DdnsStyle::Standard, params));
    let ack = dora_with(
        &mut h,
        mac(1),
        (OptionCode::CLIENT_FQDN, &option81(0x01, "pc")),
    );
    assert!(dns_work(&ack).is_empty());
    assert_eq!(fqdn_option(&ack), None);
}

/// What the daemon reports is written into the lease as ISC's variables; a renewal of the same
/// name then costs no DNS traffic (`update-optimization`), a new name removes the old first.
#[test]
fn registered_records_are_kept_in_the_lease_and_renewals_are_optimised() {
    let mut h = Harness::new(interim());
    let ack = dora_with(&mut h, mac(1), (OptionCode::HOST_NAME, b"laptop"));
    let work = dns_work(&ack).remove(0);
    assert!(report(&mut h, &work, &added(&work)).is_empty());
    let lease = h.db.get(work.address).unwrap();
    let recorded = DnsRecorded::of(&lease.variables);
    assert_eq!(recorded.fwd_name.as_deref(), Some("laptop.example.test"));
    assert_eq!(recorded.txt.as_deref(), Some(&b"00abcdef"[..]));
    assert!(recorded.rev_name.is_some());

    h.now += 2000;
    let renewal = with(
        renewing(mac(1), work.address),
        OptionCode::HOST_NAME,
        b"laptop",
    );
    let ack = h.send(&unicast(renewal));
    assert_eq!(reply(&ack).message.message_type(), Some(MessageType::ACK));
    assert!(dns_work(&ack).is_empty(), "optimised away");

    let renamed = with(
        renewing(mac(1), work.address),
        OptionCode::HOST_NAME,
        b"desktop",
    );
    let ack = h.send(&unicast(renamed));
    let again = dns_work(&ack).remove(0);
    assert_eq!(again.remove, Some(recorded));
    assert_eq!(again.add.unwrap().fqdn, "desktop.example.test");
}

/// The standard style replaces a name registered under the interim one (ISC's
/// `DDNS_UPDATE_SLOW_TRANSITION`).
#[test]
fn a_name_guarded_in_the_other_style_is_registered_again() {
    let mut h = Harness::new(config_with(DdnsStyle::Standard, Params::default()));
    let ack = dora_with(&mut h, mac(1), (OptionCode::HOST_NAME, b"laptop"));
    let work = dns_work(&ack).remove(0);
    report(&mut h, &work, &added(&work)); // a TXT guard: the interim style's
    let renewal = with(
        renewing(mac(1), work.address),
        OptionCode::HOST_NAME,
        b"laptop",
    );
    let again = dns_work(&h.send(&unicast(renewal))).remove(0);
    assert!(again.remove.is_some() && again.add.is_some());
}

#[test]
fn release_decline_and_expiry_remove_what_the_lease_records() {
    let mut h = Harness::new(interim());
    let ack = dora_with(&mut h, mac(1), (OptionCode::HOST_NAME, b"laptop"));
    let work = dns_work(&ack).remove(0);
    report(&mut h, &work, &added(&work));
    let lease = h.db.get(work.address).unwrap().clone();
    let Some(Effect::Dns(removal)) = Server::dns_removal(&h.config, &lease) else {
        panic!("no removal");
    };
    assert_eq!(removal.add, None);
    assert_eq!(
        removal.remove.as_ref().and_then(|r| r.fwd_name.as_deref()),
        Some("laptop.example.test")
    );
    // The variables stay until the daemon says the records are gone.
    let gone = [
        DnsNote::ForwardRemoved {
            fqdn: "laptop.example.test".into(),
        },
        DnsNote::ReverseRemoved {
            reverse: work.add.as_ref().unwrap().reverse.clone().unwrap(),
        },
    ];
    report(&mut h, &work, &gone);
    let lease = h.db.get(work.address).unwrap();
    assert!(!DnsRecorded::of(&lease.variables).is_removable());
    assert_eq!(Server::dns_removal(&h.config, lease), None);
    // Under style none, stored records are never acted on (server/ddns.c `ddns_removals`).
    let mut recorded = lease.clone();
    DnsNote::ForwardAdded {
        fqdn: "x.example.test".into(),
        guard_variable: DHCID,
        guard: vec![0, 1, 1],
    }
    .write(&mut recorded.variables);
    assert!(Server::dns_removal(&h.config, &recorded).is_some());
    assert_eq!(Server::dns_removal(&config(), &recorded), None);
}

/// A registration that ends after its client released the address is not written into the
/// lease: its records are removed at once.
#[test]
fn records_added_after_the_client_left_are_removed() {
    let mut h = Harness::new(interim());
    let ack = dora_with(&mut h, mac(1), (OptionCode::HOST_NAME, b"laptop"));
    let work = dns_work(&ack).remove(0);
    let release = charrua_server::Received {
        ..unicast(renewing(mac(1), work.address))
    };
    let mut msg = release.message.clone();
    msg.options
        .insert(OptionCode::MESSAGE_TYPE, &[MessageType::RELEASE.0]);
    h.send(&unicast(msg));
    let effects = report(&mut h, &work, &added(&work));
    let lease = h.db.get(work.address).unwrap();
    assert!(!DnsRecorded::of(&lease.variables).is_removable());
    let [Effect::Dns(removal)] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    assert_eq!(
        removal.remove.as_ref().and_then(|r| r.fwd_name.as_deref()),
        Some("laptop.example.test")
    );
}

/// The records belong to the address: a removal that failed is made when the address goes to
/// another client, before that client's name is added (server/dhcp.c `ack_lease` keeps the
/// lease's bindings).
#[test]
fn a_failed_removal_is_finished_when_the_address_goes_to_another_client() {
    let mut h = Harness::new(interim());
    let ack = dora_with(&mut h, mac(1), (OptionCode::HOST_NAME, b"laptop"));
    let work = dns_work(&ack).remove(0);
    report(&mut h, &work, &added(&work));
    // The lease runs out; its removal fails (nothing reported), and the pool has only this
    // address left for the next client.
    h.advance(3601);
    let mut next = None;
    for last in 2..=200 {
        let offer = h.send(&direct(discover(mac(last))));
        if reply(&offer).message.yiaddr == work.address {
            next = Some(mac(last));
            break;
        }
        let addr = reply(&offer).message.yiaddr;
        h.send(&direct(selecting(mac(last), addr, SERVER)));
    }
    let next = next.expect("the address is offered again");
    let ack = h.send(&direct(with(
        selecting(next, work.address, SERVER),
        OptionCode::HOST_NAME,
        b"tablet",
    )));
    let work = dns_work(&ack).remove(0);
    assert_eq!(
        work.remove.and_then(|r| r.fwd_name),
        Some("laptop.example.test".into())
    );
    assert_eq!(work.add.unwrap().fqdn, "tablet.example.test");
}

/// RFC 4702 section 5 lets a server adjust a client's name: bytes outside the host name
/// alphabet are dropped, labels cut to 63, rather than sent to be refused.
#[test]
fn hostile_names_are_sanitised() {
    let mut h = Harness::new(interim());
    let ack = dora_with(&mut h, mac(1), (OptionCode::HOST_NAME, b"my_pc;rm -rf"));
    assert_eq!(
        dns_work(&ack)[0].add.as_ref().unwrap().fqdn,
        "mypcrm-rf.example.test"
    );
    let long = [b'a'; 80];
    let ack = dora_with(&mut h, mac(2), (OptionCode::HOST_NAME, &long));
    let fqdn = dns_work(&ack)[0].add.clone().unwrap().fqdn;
    assert_eq!(fqdn.split('.').next().map(str::len), Some(63));
    let ack = dora_with(&mut h, mac(3), (OptionCode::HOST_NAME, b"\x00\xff"));
    assert!(dns_work(&ack).is_empty(), "nothing left of the name");
}

/// `on commit` runs before DDNS: a setting it makes holds for the registration, and a
/// `set ddns-fwd-name` it makes is taken as the name registered before, which is removed
/// first (docs/ddns.md section 3.4).
#[test]
fn on_commit_settings_and_variables_are_seen_by_the_registration() {
    use charrua_server::config::{Action, Expr};
    let mut config = interim();
    config.global.on_commit = Some(vec![
        Action::Settings(Box::new(Params {
            ddns_hostname: Some(Expr::Const(b"override".to_vec())),
            ..Params::default()
        })),
        Action::Set(
            "ddns-fwd-name".into(),
            Expr::Const(b"old.example.test".to_vec()),
        ),
        Action::Set("ddns-txt".into(), Expr::Const(b"00abcdef".to_vec())),
    ]);
    let mut h = Harness::new(config);
    let ack = dora_with(&mut h, mac(1), (OptionCode::HOST_NAME, b"laptop"));
    let work = dns_work(&ack).remove(0);
    assert_eq!(work.add.unwrap().fqdn, "override.example.test");
    assert_eq!(
        work.remove.and_then(|r| r.fwd_name).as_deref(),
        Some("old.example.test")
    );
}
