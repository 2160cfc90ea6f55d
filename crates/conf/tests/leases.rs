//! dhcpd.leases: files written by a real ISC dhcpd (testdata/leases/record.sh), round trips
//! through the writer, and bad files with errors at their line.

use std::net::Ipv4Addr;
use std::path::Path;

use charrua_conf::leases::{read, write};
use charrua_server::config::Config;
use charrua_server::{ClientKey, LeaseDb, LeaseState};

fn testdata(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/leases")
            .join(name),
    )
    .unwrap()
}

fn config() -> Config {
    Config::builder()
        .subnet("198.18.0.0/24".parse().unwrap(), |s| {
            s.range(
                Ipv4Addr::new(198, 18, 0, 100),
                Ipv4Addr::new(198, 18, 0, 150),
            )
        })
        .build()
        .unwrap()
}

fn import(text: String) -> LeaseDb {
    let file = read("t.leases", text);
    assert!(!file.has_errors(), "{:?}", file.diagnostics);
    let mut db = LeaseDb::new(&config());
    db.extend(file.changes);
    db
}

#[test]
fn a_file_written_by_isc_dhcpd_imports_with_the_last_block_winning() {
    let db = import(testdata("isc-dhclient-udhcpc.leases"));
    let released = db.get(Ipv4Addr::new(198, 18, 0, 100)).unwrap();
    assert_eq!(
        released.state,
        LeaseState::Expired,
        "dhclient released it: the later 'free' block wins"
    );
    assert_eq!(
        released.client,
        ClientKey::Hardware {
            htype: 1,
            addr: vec![2, 0, 0, 0xc0, 0xff, 1].into()
        }
    );
    let active = db.get(Ipv4Addr::new(198, 18, 0, 101)).unwrap();
    assert_eq!(active.state, LeaseState::Bound);
    assert_eq!(
        active.client,
        ClientKey::ClientId(vec![1, 2, 0, 0, 0, 0xc0, 0xff, 2].into()),
        "uid with octal escapes"
    );
    assert_eq!(active.hostname.as_deref(), Some("udhcpc-host"));
    assert_eq!(active.ends - active.starts, 3600);
    assert_eq!(active.starts, 1_795_578_802);
}

#[test]
fn export_then_import_gives_the_same_leases() {
    let db = import(testdata("isc-dhclient-udhcpc.leases"));
    let text = write(db.iter());
    assert!(
        text.contains("uid \"\\001\\002\\000\\000\\000\\300\\377\\002\";"),
        "{text}"
    );
    assert_eq!(import(text), db);
}

#[test]
fn infinite_and_far_dates_survive_the_round_trip() {
    let text = "lease 198.18.0.120 { starts epoch 0; ends never; binding state active; hardware ethernet 02:00:00:00:00:01; }\n\
                lease 198.18.0.121 { starts 1 2024/01/01 00:00:00; ends epoch 999999999999; binding state active; hardware ethernet 02:00:00:00:00:02; }";
    let db = import(text.to_string());
    assert_eq!(
        db.get(Ipv4Addr::new(198, 18, 0, 120)).unwrap().ends,
        u64::MAX
    );
    assert_eq!(import(write(db.iter())), db);
}

fn first_error(text: &str) -> (u32, String) {
    let file = read("bad.leases", text.to_string());
    let e = file
        .diagnostics
        .iter()
        .find(|d| d.severity == charrua_conf::Severity::Error)
        .expect("an error");
    (e.span.line, e.message.clone())
}

#[test]
fn bad_lease_files_give_errors_with_line_numbers() {
    let long_uid = format!(
        "lease 198.18.0.100 {{\n  uid {};\n  binding state active;\n}}",
        vec!["ab"; 300].join(":")
    );
    let (line, message) = first_error(&long_uid);
    assert_eq!(line, 2);
    assert!(message.contains("longer than 255"), "{message}");
    let (line, message) = first_error("lease 198.18.0.100 {\n  starts 3 2026/11/25 03:53:19;\n");
    assert!(message.contains("expected '}'"), "{message} at {line}");
    // (dhcpd counts on past a 13th month; a 14th is nonsense.)
    let (line, _) = first_error("lease 198.18.0.100 {\n  ends 3 2026/14/45 00:00:00;\n}");
    assert_eq!(line, 2);
    let (_, message) = first_error("lease 198.18.0.100 { binding state active; }");
    assert!(message.contains("neither uid nor hardware"));
    let (_, message) = first_error("lease 198.18.0.999 { }");
    assert!(message.contains("IPv4 address"));
}

#[test]
fn a_bad_block_is_skipped_and_the_rest_is_read() {
    let text = "lease 198.18.0.100 { binding state bogus; }\nlease 198.18.0.101 { binding state active; hardware ethernet 02:00:00:00:00:01; ends never; }";
    let file = read("t.leases", text.to_string());
    assert!(file.has_errors());
    assert_eq!(file.changes.len(), 1);
}

#[test]
fn the_fuzz_body_holds_on_the_recorded_file() {
    charrua_conf::fuzzing::leases(testdata("isc-dhclient-udhcpc.leases").as_bytes());
}

/// `set` variables of a dhcpd lease (its DDNS names, `on commit`'s) become the lease's; a name
/// set again takes the later value; those beyond what a lease keeps stay as text, written back
/// as read. Nothing of the block is lost.
#[test]
fn set_variables_are_the_leases_and_what_does_not_fit_is_kept_as_text() {
    let mut block = String::from(
        "lease 198.18.0.100 {\n  starts epoch 1795000000;\n  ends epoch 1795003600;\n  binding state active;\n  hardware ethernet 02:00:00:00:00:01;\n  set ddns-fwd-name = \"pc.example.test\";\n  set ddns-fwd-name = \"pc2.example.test\";\n",
    );
    for i in 0..20 {
        block.push_str(&format!("  set v{i} = %{i};\n"));
    }
    block.push_str("}\n");
    let file = read("t.leases", block);
    assert!(!file.has_errors(), "{:?}", file.diagnostics);
    let charrua_server::LeaseChange::Set(lease) = &file.changes[0] else {
        panic!("{:?}", file.changes);
    };
    assert_eq!(lease.variables.len(), 16);
    assert_eq!(
        lease.variables[0],
        (
            "ddns-fwd-name".to_string(),
            charrua_server::config::Datum::Data(b"pc2.example.test".to_vec())
        )
    );
    let text: Vec<&str> = file.kept.iter().flat_map(|(_, t)| t.lines()).collect();
    assert_eq!(text.len(), 5, "{text:?}");
    assert!(text.iter().all(|t| t.starts_with("set v")), "{text:?}");
}

/// A binding's class account and relay agent information are the lease's, written back as
/// dhcpd writes them; what a released lease's block says of them stays as text, as read, and
/// gives way to the binding's own when its client is bound again.
#[test]
fn billing_and_agent_options_are_a_bindings_and_kept_as_text_otherwise() {
    let block = |state: &str| {
        format!(
            "lease 198.18.0.100 {{\n  starts epoch 1795000000;\n  ends epoch 1795003600;\n  binding state {state};\n  billing subclass \"per-port\" \"eth0/1\";\n  hardware ethernet 02:00:00:00:00:01;\n  option agent.circuit-id \"eth0/1\";\n  option agent.agent-id 198.18.0.2;\n}}\n"
        )
    };
    let bound = read("t.leases", block("active"));
    assert!(!bound.has_errors(), "{:?}", bound.diagnostics);
    let charrua_server::LeaseChange::Set(lease) = &bound.changes[0] else {
        panic!("{:?}", bound.changes);
    };
    assert_eq!(
        lease.billing.as_deref(),
        charrua_server::Billing::new("per-port", Some(b"eth0/1")).as_ref()
    );
    assert_eq!(
        lease.agent_options.as_deref(),
        Some(&[1, 6, b'e', b't', b'h', b'0', b'/', b'1', 3, 4, 198, 18, 0, 2][..])
    );
    assert!(
        bound.kept.iter().all(|(_, t)| t.is_empty()),
        "{:?}",
        bound.kept
    );
    let mut written = String::new();
    write::block(&mut written, lease, None);
    for line in [
        "  billing subclass \"per-port\" \"eth0/1\";",
        "  option agent.circuit-id \"eth0/1\";",
        "  option agent.agent-id 198.18.0.2;",
    ] {
        assert_eq!(written.matches(line).count(), 1, "{written}");
    }
    // Released: the lines stay as text; bound again, the binding's own replace them.
    let released = read("t.leases", block("released"));
    let charrua_server::LeaseChange::Set(old) = &released.changes[0] else {
        panic!("{:?}", released.changes);
    };
    assert_eq!(
        (old.billing.as_ref(), old.agent_options.as_ref()),
        (None, None)
    );
    let kept = released
        .kept
        .first()
        .map(|(_, t)| t.to_string())
        .unwrap_or_default();
    assert_eq!(kept.lines().count(), 3, "{kept}");
    let mut rebound = String::new();
    write::block(&mut rebound, lease, Some(&kept));
    assert_eq!(rebound.matches("billing subclass").count(), 1, "{rebound}");
    assert_eq!(
        rebound.matches("option agent.circuit-id").count(),
        1,
        "{rebound}"
    );
}

/// What ISC dhcpd records of DNS in a lease (server/ddns.c `ddns_update_lease_text`, docs/ddns.md
/// section 6), the DHCID in octal escapes, and the old unprefixed forms
/// (server/confpars.c parse_lease_declaration): read as the variables DDNS removes from, and
/// written back in the `set` form dhcpd reads.
#[test]
fn isc_ddns_variables_are_read_for_the_removal_and_written_back() {
    let block = "lease 198.18.0.101 {\n  starts epoch 1795000000;\n  ends epoch 1795003600;\n  binding state active;\n  hardware ethernet 02:00:00:00:00:01;\n  uid \"\\001\\002\\000\\000\\000\\000\\001\";\n  set ddns-rev-name = \"101.0.18.198.in-addr.arpa.\";\n  set ddns-dhcid = \"\\000\\001\\001_%w\\327\\221y\";\n  set ddns-fwd-name = \"alpha.example.test\";\n}\nlease 198.18.0.102 {\n  starts epoch 1795000000;\n  ends epoch 1795003600;\n  binding state active;\n  hardware ethernet 02:00:00:00:00:02;\n  ddns-fwd-name \"beta.example.test\";\n  ddns-rev-name \"102.0.18.198.in-addr.arpa.\";\n  set ddns-txt = \"00c4ca78f9cf3717b36cf11b2bb4fc190c\";\n}\n";
    let db = import(block.to_string());
    let alpha = db.get(Ipv4Addr::new(198, 18, 0, 101)).unwrap();
    let recorded = charrua_server::dns::DnsRecorded::of(&alpha.variables);
    assert_eq!(recorded.fwd_name.as_deref(), Some("alpha.example.test"));
    assert_eq!(
        recorded.dhcid.as_deref(),
        Some(&[0, 1, 1, b'_', b'%', b'w', 0o327, 0o221, b'y'][..])
    );
    assert_eq!(
        recorded.rev_name.as_deref(),
        Some("101.0.18.198.in-addr.arpa.")
    );
    let beta = db.get(Ipv4Addr::new(198, 18, 0, 102)).unwrap();
    let recorded = charrua_server::dns::DnsRecorded::of(&beta.variables);
    assert_eq!(recorded.fwd_name.as_deref(), Some("beta.example.test"));
    assert_eq!(
        recorded.txt.as_deref(),
        Some(&b"00c4ca78f9cf3717b36cf11b2bb4fc190c"[..])
    );
    assert!(recorded.is_removable());
    let mut written = String::new();
    write::block(&mut written, beta, None);
    assert!(
        written.contains("set ddns-fwd-name = \"beta.example.test\";"),
        "{written}"
    );
}
