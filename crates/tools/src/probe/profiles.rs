//! The request profiles a probe plays: what real clients send (a plain client with dhclient's
//! parameter request list, PXE BIOS and UEFI firmware, iPXE, a Windows client), and the
//! exchanges after a lease (INIT-REBOOT, RELEASE then DISCOVER, DECLINE then DISCOVER), each
//! with its own hardware address and fixed transaction ids, so two servers get the very same
//! datagrams.

use charrua_wire::{Message, MessageType, OptionCode};

use crate::reach::Path;

/// dhclient's parameter request list (Debian's dhclient.conf).
const DHCLIENT_PRL: &[u8] = &[1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42];

/// What PXE firmware asks for (Intel's PXE 2.1 ROMs).
const PXE_PRL: &[u8] = &[
    1, 2, 3, 4, 5, 6, 11, 12, 13, 15, 16, 17, 18, 22, 23, 28, 40, 41, 42, 43, 50, 51, 54, 58, 59,
    60, 66, 67, 97, 128, 129, 130, 131, 132, 133, 134, 135,
];

/// What Windows asks for.
const WINDOWS_PRL: &[u8] = &[1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252];

/// A client of a profile: its hardware address and what its DISCOVER and REQUEST carry.
#[derive(Debug, Clone)]
pub(crate) struct Client {
    pub(crate) mac: [u8; 6],
    /// Options besides the message type, in order.
    pub(crate) options: Vec<(OptionCode, Vec<u8>)>,
    pub(crate) path: Path,
}

/// The first octet of a profile's transaction ids, so replies are told apart by xid.
pub(crate) fn xid(profile: u8, step: u8) -> u32 {
    0x5ca1_0000 | u32::from(profile) << 8 | u32::from(step)
}

impl Client {
    pub(crate) fn new(id: u8, path: Path) -> Self {
        Self::with_mac([0x02, 0x15, 0x16, 0x00, 0x00, id], path)
    }

    /// A plain client with hardware address `mac`.
    pub(crate) fn with_mac(mac: [u8; 6], path: Path) -> Self {
        Self {
            mac,
            options: vec![(OptionCode::PARAMETER_REQUEST_LIST, DHCLIENT_PRL.to_vec())],
            path,
        }
    }

    fn with(mut self, code: OptionCode, value: &[u8]) -> Self {
        self.options.retain(|(c, _)| *c != code);
        self.options.push((code, value.to_vec()));
        self
    }

    /// A message of this client.
    pub(crate) fn message(&self, kind: MessageType, xid: u32) -> Message {
        let mut msg = Message {
            xid,
            ..Message::default()
        };
        if let Some(chaddr) = msg.chaddr.get_mut(..6) {
            chaddr.copy_from_slice(&self.mac);
        }
        self.path.address(&mut msg);
        msg.options.insert(OptionCode::MESSAGE_TYPE, &[kind.0]);
        let mut id = vec![1];
        id.extend_from_slice(&self.mac);
        msg.options.insert(OptionCode::CLIENT_IDENTIFIER, &id);
        if matches!(kind, MessageType::DISCOVER | MessageType::REQUEST) {
            for (code, value) in &self.options {
                msg.options.insert(*code, value);
            }
        }
        msg
    }
}

/// A profile: its name, its client, and what it does.
#[derive(Debug, Clone)]
pub(crate) struct Profile {
    pub(crate) name: String,
    pub(crate) client: Client,
    pub(crate) script: Script,
}

/// What a profile does after (or instead of) getting a lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Script {
    /// DISCOVER, REQUEST.
    Lease,
    /// DISCOVER, REQUEST; then INIT-REBOOT: a REQUEST for the address, without server id.
    InitReboot,
    /// DISCOVER, REQUEST, RELEASE; then DISCOVER again.
    ReleaseThenDiscover,
    /// DISCOVER, REQUEST, DECLINE; then DISCOVER again.
    DeclineThenDiscover,
}

/// Every profile, for `path`, and a plain client for each of the `known` hardware addresses.
pub(crate) fn all(path: Path, known: &[[u8; 6]]) -> Vec<Profile> {
    let pxe = |id, arch: u16, class: &str| {
        Client::new(id, path)
            .with(OptionCode::PARAMETER_REQUEST_LIST, PXE_PRL)
            .with(OptionCode::MAX_MESSAGE_SIZE, &1260u16.to_be_bytes())
            .with(OptionCode(93), &arch.to_be_bytes())
            .with(OptionCode(94), &[1, 2, 1])
            .with(
                OptionCode(97),
                &[
                    0, 0x44, 0x45, 0x4c, 0x4c, 0, 0x10, 0x39, 0x80, 0x46, 0xb5, 0xc0, 0x4f, 0x4c,
                    0x44, 0x4a, 0x31,
                ],
            )
            .with(OptionCode::VENDOR_CLASS_IDENTIFIER, class.as_bytes())
    };
    let profile = |name: &str, client, script| Profile {
        name: name.to_string(),
        client,
        script,
    };
    let mut profiles = vec![
        profile("plain", Client::new(1, path), Script::Lease),
        profile(
            "pxe-bios",
            pxe(2, 0, "PXEClient:Arch:00000:UNDI:002001"),
            Script::Lease,
        ),
        profile(
            "pxe-uefi",
            pxe(3, 7, "PXEClient:Arch:00007:UNDI:003016"),
            Script::Lease,
        ),
        profile(
            "ipxe",
            pxe(4, 7, "PXEClient:Arch:00007:UNDI:003016").with(OptionCode::USER_CLASS, b"iPXE"),
            Script::Lease,
        ),
        profile(
            "windows",
            Client::new(5, path)
                .with(OptionCode::PARAMETER_REQUEST_LIST, WINDOWS_PRL)
                .with(OptionCode::VENDOR_CLASS_IDENTIFIER, b"MSFT 5.0")
                .with(OptionCode::HOST_NAME, b"desk-5"),
            Script::Lease,
        ),
        profile("init-reboot", Client::new(6, path), Script::InitReboot),
        profile(
            "release-then-discover",
            Client::new(7, path),
            Script::ReleaseThenDiscover,
        ),
        profile(
            "decline-then-discover",
            Client::new(8, path),
            Script::DeclineThenDiscover,
        ),
    ];
    if matches!(path, Path::Relay(_)) {
        // RFC 3046: circuit id and remote id, as a switch's relay agent adds them.
        let agent = [
            1, 6, b'e', b't', b'h', b'0', b'/', b'9', 2, 4, 0x0a, 0x0b, 0x0c, 0x0d,
        ];
        profiles.push(profile(
            "relay-agent-options",
            Client::new(9, path).with(OptionCode(82), &agent),
            Script::Lease,
        ));
    }
    for (n, mac) in known.iter().enumerate() {
        profiles.push(profile(
            &format!("host-{}", n + 1),
            Client::with_mac(*mac, path),
            Script::Lease,
        ));
    }
    profiles
}
