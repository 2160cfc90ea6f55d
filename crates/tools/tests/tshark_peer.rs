//! tshark as the judge of what we send: messages that together carry every option of the table
//! are written to a pcap; tshark must find nothing malformed and read the same values.

mod common;

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4};
use std::time::Duration;

use charrua_wire::frame::{Frame, Ipv4Udp};
use charrua_wire::options::{ClientFqdn, OptionDef, Route, SixRd, TABLE};
use charrua_wire::{Format, Message, Op, OptionCode, Value};
use common::{agrees_with_tshark, have_tshark, tshark_fields, tshark_problems};
use pcap_file::pcap::{PcapPacket, PcapWriter};

const SERVER: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);
const CLIENT: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 100);

/// A plausible value for each option, as a server would send it.
fn sample(def: &OptionDef) -> Option<Value> {
    let ip = |d| Ipv4Addr::new(198, 18, 0, d);
    let value = match def.code {
        OptionCode::OVERLOAD | OptionCode::MESSAGE_TYPE => return None,
        OptionCode::SUBNET_MASK => Value::Ip(Ipv4Addr::new(255, 255, 255, 0)),
        OptionCode::NETBIOS_NODE_TYPE => Value::U8(8),
        OptionCode::PARAMETER_REQUEST_LIST => Value::U8List(vec![1, 3, 6, 15, 119, 121]),
        OptionCode::MAX_MESSAGE_SIZE => Value::U16(1500),
        OptionCode::CLIENT_IDENTIFIER => Value::Bytes(vec![1, 2, 0, 0, 0xc0, 0xff, 0xee]),
        OptionCode::PXE_INTERFACE_ID => Value::U8List(vec![1, 2, 1]),
        OptionCode::PXE_SYSTEM_TYPE => Value::U16List(vec![7]),
        OptionCode::PXE_CLIENT_ID => Value::Tagged(0, (0..16).collect()),
        OptionCode::AUTO_CONFIG => Value::U8(1),
        OptionCode::NAME_SERVICE_SEARCH => Value::U16List(vec![6, 41]),
        OptionCode::FORCERENEW_NONCE_CAPABLE => Value::U8List(vec![1]),
        OptionCode::DHCP_STATE => Value::U8(2),
        OptionCode::DATA_SOURCE => Value::U8(1),
        OptionCode::VENDOR_ENCAPSULATED_OPTIONS => Value::Bytes(vec![1, 4, 198, 18, 0, 9, 255]),
        OptionCode::VIVCO => Value::Vendors(vec![(
            32473,
            vec![7, b'c', b'h', b'a', b'r', b'r', b'u', b'a'],
        )]),
        OptionCode::VIVSO => Value::Vendors(vec![(32473, vec![1, 2, 0xab, 0xcd])]),
        OptionCode::AUTHENTICATE => Value::Bytes(vec![0; 11]),
        OptionCode::GEOCONF_CIVIC => Value::Bytes(vec![2, 0, b'U', b'S']),
        OptionCode::NWIP_SUBOPTIONS => Value::Bytes(vec![5, 1, 1]),
        _ => match def.format {
            Format::Empty => Value::Empty,
            Format::Ip => Value::Ip(ip(1)),
            Format::IpList => Value::IpList(vec![ip(1), ip(2)]),
            Format::IpPairs => Value::IpPairs(vec![(Ipv4Addr::new(198, 19, 0, 0), ip(1))]),
            Format::U8 => Value::U8(64),
            Format::U16 => Value::U16(1400),
            Format::U32 => Value::U32(3600),
            Format::I32 => Value::I32(-18000),
            Format::Bool => Value::Bool(true),
            Format::U8List => Value::U8List(vec![1, 2]),
            Format::U16List => Value::U16List(vec![576, 1500]),
            Format::Text => Value::Text(format!("{}.example.test", def.name)),
            Format::Bytes => Value::Bytes(b"charrua".to_vec()),
            Format::DomainName => Value::DomainName("access.example.test".into()),
            Format::DomainList => {
                Value::DomainList(vec!["example.test".into(), "lab.example.test".into()])
            }
            Format::Routes => Value::Routes(vec![
                Route {
                    destination: Ipv4Addr::new(198, 19, 0, 0),
                    prefix_len: 16,
                    router: ip(1),
                },
                Route {
                    destination: Ipv4Addr::UNSPECIFIED,
                    prefix_len: 0,
                    router: ip(1),
                },
            ]),
            Format::Fqdn => Value::Fqdn(ClientFqdn {
                flags: 0x05,
                rcode1: 0,
                rcode2: 0,
                name: "host.example.test.".into(),
            }),
            Format::SubOptions => {
                Value::SubOptions(vec![(1, b"eth0".to_vec()), (2, vec![2, 0, 0, 0, 0, 1])])
            }
            Format::Vendors => Value::Vendors(vec![(32473, vec![1, 2, 3])]),
            Format::Blobs => Value::Blobs(vec![b"charrua".to_vec()]),
            Format::Tagged => Value::Tagged(0, vec![1, 2, 3]),
            Format::Status => Value::Status(0, "all good".into()),
            Format::SixRd => Value::SixRd(SixRd {
                ipv4_mask_len: 0,
                prefix_len: 32,
                prefix: Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0),
                border_relays: vec![ip(1)],
            }),
        },
    };
    Some(value)
}

fn ack(xid: u32) -> Message {
    let mut msg = Message {
        op: Op::BOOTREPLY,
        xid,
        yiaddr: CLIENT,
        siaddr: SERVER,
        ..Message::default()
    };
    msg.chaddr[..6].copy_from_slice(&[2, 0, 0, 0xc0, 0xff, 0xee]);
    msg.options.insert(OptionCode::MESSAGE_TYPE, &[5]);
    msg
}

/// Every option of the table across messages of at most 20 options, then one message with a
/// 600-octet option (RFC 3396) and one that needs overload to fit 548 octets.
fn messages() -> Vec<Vec<u8>> {
    let defs: Vec<&OptionDef> = TABLE.iter().filter(|d| sample(d).is_some()).collect();
    let mut out = Vec::new();
    for (i, chunk) in defs.chunks(20).enumerate() {
        let mut msg = ack(0x1000 + i as u32);
        for def in chunk {
            msg.options.insert_value(def.code, &sample(def).unwrap());
        }
        out.push(msg.encode());
    }
    let mut long = ack(0x2000);
    long.options.insert_value(
        OptionCode::DOMAIN_NAME_SERVERS,
        &Value::IpList((0..150).map(|i| Ipv4Addr::new(198, 18, 1, i)).collect()),
    );
    out.push(long.encode());
    let mut overloaded = ack(0x3000);
    for def in defs.iter().filter(|d| d.format == Format::IpList).take(12) {
        overloaded.options.insert_value(
            def.code,
            &Value::IpList((1..=6).map(|i| Ipv4Addr::new(198, 18, 2, i)).collect()),
        );
    }
    let bytes = overloaded.encode_within(548).unwrap();
    assert!(
        Message::overload(&bytes).unwrap().is_some(),
        "the last message must use overload"
    );
    out.push(bytes);
    out
}

fn write_pcap(path: &std::path::Path, payloads: &[Vec<u8>]) {
    let mut writer = PcapWriter::new(std::fs::File::create(path).unwrap()).unwrap();
    for (i, payload) in payloads.iter().enumerate() {
        let frame = Frame {
            dst_mac: [2, 0, 0, 0xc0, 0xff, 0xee],
            src_mac: [2, 0, 0, 0, 0, 1],
            ip: Ipv4Udp {
                src: SocketAddrV4::new(SERVER, 67),
                dst: SocketAddrV4::new(CLIENT, 68),
                ttl: 64,
                payload,
            },
        };
        let bytes = frame.emit().unwrap();
        writer
            .write_packet(&PcapPacket::new(
                Duration::from_secs(i as u64),
                bytes.len() as u32,
                &bytes,
            ))
            .unwrap();
    }
}

#[test]
fn tshark_reads_every_option_we_send_without_complaint() {
    if !have_tshark() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("every-option.pcap");
    let payloads = messages();
    write_pcap(&path, &payloads);

    // charrua decode lists what tshark lists, option 52 of the overloaded message included.
    assert_eq!(agrees_with_tshark(&path), payloads.len());
    let problems = tshark_problems(&path);
    assert!(
        problems.is_empty(),
        "tshark found malformed packets or expert errors: {problems:#?}"
    );

    let fields = [
        "dhcp.option.dhcp",
        "dhcp.id",
        "dhcp.ip.your",
        "dhcp.ip.server",
        "dhcp.hw.mac_addr",
        "dhcp.option.type",
        "dhcp.option.ip_address_lease_time",
        "dhcp.option.renewal_time_value",
        "dhcp.option.router",
        "dhcp.option.domain_name_server",
        "dhcp.option.hostname",
        "dhcp.option.domain_name",
        "dhcp.option.subnet_mask",
        "dhcp.option.dhcp_server_id",
        "dhcp.option.tftp_server_name",
        "dhcp.option.bootfile_name",
    ];
    let rows = tshark_fields(&path, &fields);
    assert_eq!(rows.len(), payloads.len());
    for (payload, row) in payloads.iter().zip(&rows) {
        let msg = Message::parse(payload).unwrap();
        assert_eq!(row[0], "5", "message type");
        assert_eq!(row[1], format!("{:#010x}", msg.xid));
        assert_eq!(row[2], msg.yiaddr.to_string());
        assert_eq!(row[3], msg.siaddr.to_string());
        // The first is chaddr; a client identifier of type 1 shows as a second MAC address.
        assert_eq!(row[4].split(',').next(), Some("02:00:00:c0:ff:ee"));
        // Every option we encoded, in order; tshark lists each RFC 3396 instance and the framing.
        let mut theirs: Vec<u8> = row[5].split(',').filter_map(|c| c.parse().ok()).collect();
        theirs.dedup();
        theirs.retain(|c| !matches!(c, 0 | 52 | 255));
        let ours: Vec<u8> = msg.options.iter().map(|(c, _)| c.0).collect();
        let mut theirs_sorted = theirs.clone();
        theirs_sorted.sort_unstable();
        let mut ours_sorted = ours.clone();
        ours_sorted.sort_unstable();
        assert_eq!(
            ours_sorted, theirs_sorted,
            "option codes of xid {:#x}",
            msg.xid
        );
        let text = |code: OptionCode| match msg.options.value(code) {
            Some(Ok(Value::U32(v))) => v.to_string(),
            Some(Ok(Value::Ip(ip))) => ip.to_string(),
            Some(Ok(Value::IpList(ips))) => ips
                .iter()
                .map(Ipv4Addr::to_string)
                .collect::<Vec<_>>()
                .join(","),
            Some(Ok(Value::Text(s))) => s,
            None => String::new(),
            other => panic!("unexpected {other:?}"),
        };
        let compared = [
            (6, OptionCode::LEASE_TIME),
            (7, OptionCode::RENEWAL_TIME),
            (8, OptionCode::ROUTERS),
            (9, OptionCode::DOMAIN_NAME_SERVERS),
            (10, OptionCode::HOST_NAME),
            (11, OptionCode::DOMAIN_NAME),
            (12, OptionCode::SUBNET_MASK),
            (13, OptionCode::SERVER_IDENTIFIER),
            (14, OptionCode::TFTP_SERVER_NAME),
            (15, OptionCode::BOOTFILE_NAME),
        ];
        for (column, code) in compared {
            // tshark shows a long option once per instance; compare when it was one instance.
            if msg.options.get(code).is_some_and(|v| v.len() > 255) {
                continue;
            }
            assert_eq!(row[column], text(code), "{code} in xid {:#x}", msg.xid);
        }
    }
}
