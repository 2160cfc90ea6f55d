//! `charrua decode` on captures of real clients (dhclient, udhcpc, dhcpcd against dnsmasq,
//! recorded by testdata/captures/record.sh), checked against what tshark reads in the same files.

mod common;

use common::{charrua_decode, have_tshark, testdata, tshark_fields};
use serde_json::Value as Json;

fn decode(name: &str) -> Vec<Json> {
    let path = testdata().join("captures").join(name);
    let (ok, lines, stderr) = charrua_decode(&[path.to_str().unwrap()], None);
    assert!(ok, "decode {name} failed: {stderr}");
    lines
}

fn types(lines: &[Json]) -> Vec<&str> {
    lines
        .iter()
        .map(|l| l["message_type"].as_str().unwrap())
        .collect()
}

fn option(line: &Json, code: u64) -> &Json {
    line["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["code"] == code)
        .unwrap_or(&Json::Null)
}

#[test]
fn dhclient_dora_and_release_decode_with_dnsmasq_options() {
    let lines = decode("dhclient.pcapng");
    assert_eq!(
        types(&lines),
        [
            "DHCPDISCOVER",
            "DHCPOFFER",
            "DHCPREQUEST",
            "DHCPACK",
            "DHCPRELEASE"
        ]
    );
    let (discover, offer, ack) = (&lines[0], &lines[1], &lines[3]);
    assert_eq!(discover["frame"], 1);
    assert_eq!(discover["chaddr"], "02:00:00:c0:ff:ee");
    assert_eq!(discover["xid"], offer["xid"]);
    assert_eq!(ack["yiaddr"], "198.18.0.100");
    assert_eq!(option(ack, 51)["value"], 3600);
    assert_eq!(option(ack, 3)["value"], serde_json::json!(["198.18.0.1"]));
    assert_eq!(
        option(ack, 6)["value"],
        serde_json::json!(["198.18.0.53", "198.18.0.54"])
    );
    assert_eq!(option(ack, 15)["value"], "example.test");
    assert_eq!(
        option(ack, 119)["value"],
        serde_json::json!(["example.test", "lab.example.test"])
    );
    assert_eq!(
        option(ack, 121)["value"],
        serde_json::json!([
            { "destination": "198.19.0.0/16", "router": "198.18.0.1" },
            { "destination": "0.0.0.0/0", "router": "198.18.0.1" }
        ])
    );
    assert_eq!(lines[4]["ciaddr"], "198.18.0.100");
}

#[test]
fn udhcpc_sends_its_hostname_and_is_offered_the_first_address() {
    let lines = decode("udhcpc.pcapng");
    assert_eq!(
        types(&lines),
        ["DHCPDISCOVER", "DHCPOFFER", "DHCPREQUEST", "DHCPACK"]
    );
    assert_eq!(option(&lines[0], 12)["value"], "charrua-test");
    assert_eq!(option(&lines[2], 50)["value"], "198.18.0.100");
    assert_eq!(option(&lines[2], 54)["value"], "198.18.0.1");
}

#[test]
fn cooked_pcap_from_the_any_interface_decodes() {
    let lines = decode("udhcpc-cooked.pcap");
    assert_eq!(
        types(&lines),
        ["DHCPDISCOVER", "DHCPOFFER", "DHCPREQUEST", "DHCPACK"]
    );
    assert_eq!(option(&lines[0], 60)["value"], "charrua-vendor");
    assert_eq!(option(&lines[0], 61)["hex"], "01020000c0ffee");
}

#[test]
fn dhcpcd_dora_then_init_reboot_and_release() {
    let lines = decode("dhcpcd.pcapng");
    assert_eq!(
        types(&lines),
        ["DHCPDISCOVER", "DHCPOFFER", "DHCPREQUEST", "DHCPACK"]
    );
    let reboot = decode("dhcpcd-reboot.pcapng");
    assert_eq!(types(&reboot), ["DHCPREQUEST", "DHCPACK", "DHCPRELEASE"]);
    // INIT-REBOOT (RFC 2131 section 4.3.2): requested address, no server identifier, no ciaddr.
    assert_eq!(option(&reboot[0], 50)["value"], "198.18.0.100");
    assert_eq!(option(&reboot[0], 54), &Json::Null);
    assert_eq!(reboot[0]["ciaddr"], "0.0.0.0");
}

/// Our decoding of every real capture agrees with tshark's: same frames, message types,
/// transaction ids, addresses and option codes in order.
#[test]
fn decoding_of_real_captures_matches_tshark() {
    if !have_tshark() {
        return;
    }
    let fields = [
        "frame.number",
        "dhcp.option.dhcp",
        "dhcp.id",
        "dhcp.ip.client",
        "dhcp.ip.your",
        "dhcp.option.type",
    ];
    for name in [
        "dhclient.pcapng",
        "udhcpc.pcapng",
        "udhcpc-cooked.pcap",
        "dhcpcd.pcapng",
        "dhcpcd-reboot.pcapng",
    ] {
        let ours = decode(name);
        let theirs = tshark_fields(&testdata().join("captures").join(name), &fields);
        assert_eq!(ours.len(), theirs.len(), "{name}: number of DHCP frames");
        for (o, t) in ours.iter().zip(&theirs) {
            assert_eq!(o["frame"].to_string(), t[0], "{name}");
            let code = o["options"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["code"] == 53)
                .unwrap();
            assert_eq!(code["value"].to_string(), t[1], "{name} frame {}", t[0]);
            assert_eq!(o["xid"].as_str().unwrap(), t[2], "{name} frame {}", t[0]);
            assert_eq!(o["ciaddr"].as_str().unwrap(), t[3]);
            assert_eq!(o["yiaddr"].as_str().unwrap(), t[4]);
            let our_codes: Vec<String> = o["options"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["code"].to_string())
                .collect();
            let their_codes: Vec<&str> = t[5]
                .split(',')
                .filter(|c| !matches!(*c, "0" | "255" | "52"))
                .collect();
            assert_eq!(our_codes, their_codes, "{name} frame {}", t[0]);
        }
    }
}

/// The UDP payload of the first frame of a pcapng capture.
fn first_payload(name: &str) -> Vec<u8> {
    use charrua_wire::frame::{Frame, UdpChecksum};
    let file = std::fs::File::open(testdata().join("captures").join(name)).unwrap();
    let mut reader = pcap_file::pcapng::PcapNgReader::new(file).unwrap();
    while let Some(block) = reader.next_block() {
        if let pcap_file::pcapng::Block::EnhancedPacket(epb) = block.unwrap() {
            return Frame::parse_with(&epb.data, UdpChecksum::Ignore)
                .unwrap()
                .ip
                .payload
                .to_vec();
        }
    }
    panic!("no packet in {name}");
}

#[test]
fn raw_payload_on_stdin_and_hex_argument_decode_like_the_capture() {
    let capture = decode("udhcpc.pcapng");
    let payload = first_payload("udhcpc.pcapng");
    let hex: String = payload.iter().map(|b| format!("{b:02x} ")).collect();
    let (ok, lines, _) = charrua_decode(&["--hex", &hex], None);
    assert!(ok);
    assert_eq!(lines[0]["message_type"], "DHCPDISCOVER");
    assert_eq!(lines[0]["options"], capture[0]["options"]);
    let (ok, from_stdin, _) = charrua_decode(&["-"], Some(&payload));
    assert!(ok);
    assert_eq!(from_stdin, lines);
}

#[test]
fn invalid_payloads_give_an_error_object_and_exit_zero() {
    let (ok, lines, _) = charrua_decode(&["--hex", "0102"], None);
    assert!(ok, "the input was read, so the exit status is 0");
    assert_eq!(lines[0]["frame"], 1);
    assert!(lines[0]["error"].as_str().unwrap().contains("truncated"));
}

#[test]
fn unreadable_inputs_exit_one_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.pcap");
    std::fs::write(&junk, b"this is not a capture").unwrap();
    let truncated = dir.path().join("truncated.pcapng");
    let full = std::fs::read(testdata().join("captures/dhcpcd.pcapng")).unwrap();
    std::fs::write(&truncated, &full[..full.len() - 40]).unwrap();
    for (path, expect) in [
        (dir.path().join("missing.pcap"), "No such file"),
        (junk, "not a pcap"),
        (truncated, "capture"),
    ] {
        let (ok, _, stderr) = charrua_decode(&[path.to_str().unwrap()], None);
        assert!(!ok, "{}", path.display());
        assert!(stderr.contains(expect), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let (ok, _, stderr) = charrua_decode(&["--hex", "zz"], None);
    assert!(!ok);
    assert!(stderr.contains("hex digit"), "{stderr}");
}
