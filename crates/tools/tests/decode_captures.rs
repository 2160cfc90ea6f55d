//! `charrua decode` on captures of real clients (dhclient, udhcpc, dhcpcd against dnsmasq,
//! recorded by testdata/captures/record.sh), checked against what tshark reads in the same files.

mod common;

use common::{agrees_with_tshark, charrua_decode, have_tshark, testdata};
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

/// The captures recorded here (testdata/captures/record.sh) agree with tshark.
#[test]
fn decoding_of_real_captures_matches_tshark() {
    if !have_tshark() {
        return;
    }
    for name in [
        "dhclient.pcapng",
        "udhcpc.pcapng",
        "udhcpc-cooked.pcap",
        "dhcpcd.pcapng",
        "dhcpcd-reboot.pcapng",
    ] {
        agrees_with_tshark(&testdata().join("captures").join(name));
    }
}

/// The UDP payload of the first frame of a pcapng capture.
fn first_payload(name: &str) -> Vec<u8> {
    use charrua_wire::frame::{Checksums, Frame};
    let frame = first_frame(name);
    Frame::parse_with(&frame, Checksums::IgnoreUdp)
        .unwrap()
        .ip
        .payload
        .to_vec()
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

/// The first frame of a pcapng capture (Ethernet).
fn first_frame(name: &str) -> Vec<u8> {
    let file = std::fs::File::open(testdata().join("captures").join(name)).unwrap();
    let mut reader = pcap_file::pcapng::PcapNgReader::new(file).unwrap();
    while let Some(block) = reader.next_block() {
        if let pcap_file::pcapng::Block::EnhancedPacket(epb) = block.unwrap() {
            return epb.data.into_owned();
        }
    }
    panic!("no packet in {name}");
}

/// A classic pcap (Ethernet, microseconds) with `snaplen` in its header, whatever the records'
/// lengths, written by hand: writers that leave such files exist, and pcap-file refuses to
/// write them.
fn pcap_with_snaplen(snaplen: u32, frames: &[Vec<u8>]) -> Vec<u8> {
    let mut out = 0xa1b2_c3d4u32.to_le_bytes().to_vec();
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    for word in [0u32, 0, snaplen, 1] {
        out.extend_from_slice(&word.to_le_bytes());
    }
    for (i, frame) in frames.iter().enumerate() {
        let len = frame.len() as u32;
        for word in [i as u32, 0, len, len] {
            out.extend_from_slice(&word.to_le_bytes());
        }
        out.extend_from_slice(frame);
    }
    out
}

/// What tshark reads, decode reads: a frame whose IPv4 header checksum does not verify is
/// decoded with a warning (tshark does not check it by default), and a record longer than the
/// file's snapshot length is read, flagged, and the frames after it too.
#[test]
fn bad_ip_checksums_and_records_past_the_snapshot_length_decode_as_tshark_reads_them() {
    if !have_tshark() {
        return;
    }
    let good = first_frame("dhclient.pcapng");
    let mut bad_checksum = good.clone();
    bad_checksum[14 + 10] ^= 0x55; // the IPv4 header checksum
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("odd.pcap");
    // Snapshot length 300: every DHCP frame is longer.
    std::fs::write(&path, pcap_with_snaplen(300, &[good, bad_checksum])).unwrap();
    assert_eq!(agrees_with_tshark(&path), 2);
    let (_, lines, _) = charrua_decode(&[path.to_str().unwrap()], None);
    let warnings: Vec<&str> = lines
        .iter()
        .map(|l| l["warning"].as_str().unwrap_or(""))
        .collect();
    assert!(warnings[0].contains("snapshot length"), "{warnings:?}");
    assert!(
        warnings[1].contains("snapshot length") && warnings[1].contains("IPv4 header checksum"),
        "{warnings:?}"
    );
}

/// Captures from the test suites of public projects (testdata/captures/public/ORIGIN.md: tcpdump,
/// Zeek, Suricata, nDPI, gopacket, PcapPlusPlus, Net-DHCP, mirage/charrua...): Ethernet, Linux
/// cooked, raw IP and 802.11 radiotap links, pcap and pcapng in both byte orders, relayed and
/// overloaded messages, fuzzed frames, wrong checksums and cookies, records past the snapshot
/// length, an unknown pcapng version: every frame as tshark reads it.
#[test]
fn every_public_capture_agrees_with_tshark() {
    if !have_tshark() {
        return;
    }
    let dir = testdata().join("captures/public");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e != "md"))
        .collect();
    files.sort();
    assert!(files.len() >= 30, "{} captures", files.len());
    let frames: usize = files.iter().map(|f| agrees_with_tshark(f)).sum();
    eprintln!(
        "{} public captures, {frames} DHCP frames, all as tshark reads them",
        files.len()
    );
}
