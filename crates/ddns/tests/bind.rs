//! Interoperation with a real BIND 9 (Debian's `named`): updates as ISC dhcpd sends them, signed
//! with hmac-md5 and hmac-sha256 keys, applied to a forward and a reverse zone, checked with
//! `dig`. Each test runs its own `named` on 127.0.0.1 at a free port, in a temporary directory,
//! and kills it at the end. Skipped (with a message) when not root or when `named` or `dig` is
//! missing; under `CI` a missing tool is a failure.

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use charrua_ddns::exchange::{self, Retransmit};
use charrua_ddns::{
    forward_name, reverse_name, update, Algorithm, ClientIdentity, Conflict, DomainName, Event,
    Forward, Guard, Key, Level, Path, Rcode, Registered, Registration, Request, ResponseError,
    Rules, Style, Transaction, Zone, Zones, DEFAULT_REV_DOMAIN,
};

const FORWARD: &str = "test.example.";
const REVERSE: &str = "18.198.in-addr.arpa.";
const KEY_NAME: &str = "ddns-key";
const SECRET: &[u8] = b"charrua ddns interop test secret";

fn have(tool: &str) -> bool {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(std::env::var_os("CI").is_none(), "CI must install {tool}");
        eprintln!("SKIP: {tool} is not installed");
    }
    found
}

fn is_root() -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout == b"0\n");
    if !root {
        eprintln!("SKIP: the BIND interop test runs as root");
    }
    root
}

/// The wall clock, which `named` checks TSIG times against.
fn now() -> u64 {
    #[allow(clippy::disallowed_methods)]
    let now = SystemTime::now();
    now.duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// A `named` serving the two zones, killed when dropped.
struct Named {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Named {
    fn start(algorithm: Algorithm) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let d = dir.path().display();
        let secret = base64::engine::general_purpose::STANDARD.encode(SECRET);
        let soa =
            "$TTL 3600\n@ IN SOA ns.test.example. hostmaster.test.example. 1 3600 600 86400 60\n\
                   @ IN NS ns.test.example.\n";
        std::fs::write(
            dir.path().join("db.forward"),
            format!("{soa}ns IN A 127.0.0.1\nstatic IN A 198.18.0.200\n"),
        )
        .unwrap();
        std::fs::write(dir.path().join("db.reverse"), soa).unwrap();
        std::fs::write(
            dir.path().join("named.conf"),
            format!(
                r#"options {{
  directory "{d}";
  pid-file "{d}/named.pid";
  session-keyfile "{d}/session.key";
  managed-keys-directory "{d}";
  listen-on port {port} {{ 127.0.0.1; }};
  listen-on-v6 {{ none; }};
  recursion no;
  notify no;
  dnssec-validation no;
}};
controls {{ }};
key "{KEY_NAME}" {{ algorithm {algorithm}; secret "{secret}"; }};
zone "{FORWARD}" {{ type primary; file "db.forward"; allow-update {{ key "{KEY_NAME}"; }}; }};
zone "{REVERSE}" {{ type primary; file "db.reverse"; allow-update {{ key "{KEY_NAME}"; }}; }};
"#
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.path().join("named.log")).unwrap();
        let child = Command::new("named")
            .args(["-g", "-n", "1", "-c"])
            .arg(dir.path().join("named.conf"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let named = Self { child, port, dir };
        for _ in 0..100 {
            if !named.dig(FORWARD, "SOA").is_empty() {
                return named;
            }
            // The crate's clippy.toml bans sleeping in the core; this test waits for named.
            #[allow(clippy::disallowed_methods)]
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("named did not start:\n{}", named.log());
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("named.log")).unwrap_or_default()
    }

    fn server(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// `dig +short NAME TYPE`, one answer per line.
    fn dig(&self, name: &str, rtype: &str) -> Vec<String> {
        let out = Command::new("dig")
            .args([
                "@127.0.0.1",
                "-p",
                &self.port.to_string(),
                "+short",
                "+time=1",
                "+tries=1",
            ])
            .args([name, rtype])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.starts_with(';'))
            .map(str::to_owned)
            .collect()
    }

    fn zones(&self, key: &Key) -> Zones {
        let zone = |name: &str| Zone {
            name: DomainName::other(name).unwrap(),
            servers: vec![self.server()],
            key: Some(key.clone()),
        };
        Zones::new(vec![zone(FORWARD), zone(REVERSE)])
    }
}

impl Drop for Named {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `tx` against the server and returns its events.
fn run(mut tx: Transaction) -> Vec<Event> {
    let mut id = 0x2000u16;
    let policy = Retransmit {
        interval: Duration::from_secs(1),
        sends: 3,
    };
    exchange::run(&mut tx, "127.0.0.1:0".parse().unwrap(), policy, now, || {
        id = id.wrapping_add(1);
        id
    })
}

fn errors(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Log(line) if line.level == Level::Error => Some(line.text.clone()),
            _ => None,
        })
        .collect()
}

fn finished(events: &[Event]) -> bool {
    events.contains(&Event::Finished { success: true })
}

/// A client: its hardware address and, for the standard style, a client identifier.
struct Client {
    mac: [u8; 6],
    client_id: Option<Vec<u8>>,
}

impl Client {
    fn identity(&self) -> ClientIdentity<'_> {
        ClientIdentity {
            client_id: self.client_id.as_deref(),
            htype: 1,
            chaddr: &self.mac,
        }
    }

    fn register(&self, style: Style, host: &str, address: Ipv4Addr) -> (Registration, Guard) {
        let fqdn = forward_name(host, "test.example").unwrap();
        let guard = Guard::new(style, &self.identity(), &fqdn).unwrap();
        let registration = Registration {
            fqdn,
            address,
            ttl: 300,
            reverse: Some(reverse_name(address, DEFAULT_REV_DOMAIN).unwrap()),
            path: Path::Server {
                guard: guard.clone(),
            },
        };
        (registration, guard)
    }
}

fn removal(registration: &Registration, guard: &Guard) -> Registered {
    Registered {
        address: registration.address,
        forward: Some(Forward {
            fqdn: registration.fqdn.clone(),
            guard: guard.clone(),
        }),
        reverse: registration.reverse.clone(),
    }
}

fn interop(algorithm: Algorithm) {
    if !is_root() || !have("named") || !have("dig") {
        return;
    }
    let named = Named::start(algorithm);
    let key = Key::new(KEY_NAME, algorithm, SECRET.to_vec()).unwrap();
    let zones = named.zones(&key);
    let rules = Rules::default();
    let one = Client {
        mac: [2, 0, 0, 0, 0, 1],
        client_id: None,
    };
    let two = Client {
        mac: [2, 0, 0, 0, 0, 2],
        client_id: Some(vec![1, 2, 0, 0, 0, 0, 2]),
    };

    // Interim: A, TXT and PTR.
    let (alpha, alpha_txt) = one.register(Style::Interim, "alpha", Ipv4Addr::new(198, 18, 0, 100));
    let events = run(Transaction::add(alpha.clone(), &zones, rules));
    assert!(finished(&events), "{events:?}\n{}", named.log());
    assert_eq!(named.dig("alpha.test.example.", "A"), ["198.18.0.100"]);
    assert_eq!(
        named.dig("alpha.test.example.", "TXT"),
        ["\"00c4ca78f9cf3717b36cf11b2bb4fc190c\""]
    );
    assert_eq!(
        named.dig("100.0.18.198.in-addr.arpa.", "PTR"),
        ["alpha.test.example."]
    );
    assert!(events.contains(&Event::ForwardAdded(Forward {
        fqdn: alpha.fqdn.clone(),
        guard: alpha_txt.clone()
    })));

    // A second client claiming the name is refused, as ISC refuses it (docs/ddns.md 5.3).
    let (theft, _) = two.register(Style::Interim, "alpha", Ipv4Addr::new(198, 18, 0, 101));
    let events = run(Transaction::add(theft, &zones, rules));
    assert_eq!(
        errors(&events),
        ["Forward map from alpha.test.example to 198.18.0.101 FAILED: Has an address record but no DHCID, not mine."]
    );
    assert_eq!(named.dig("alpha.test.example.", "A"), ["198.18.0.100"]);

    // The owner moving to another address takes its name over (add 2).
    let (moved, moved_txt) = one.register(Style::Interim, "alpha", Ipv4Addr::new(198, 18, 0, 102));
    let events = run(Transaction::add(moved.clone(), &zones, rules));
    assert!(finished(&events), "{events:?}");
    assert_eq!(named.dig("alpha.test.example.", "A"), ["198.18.0.102"]);

    // A name without a guard is static: refused.
    let (fixed, _) = one.register(Style::Interim, "static", Ipv4Addr::new(198, 18, 0, 103));
    let events = run(Transaction::add(fixed.clone(), &zones, rules));
    assert_eq!(errors(&events).len(), 1, "{events:?}");
    assert_eq!(named.dig("static.test.example.", "A"), ["198.18.0.200"]);
    // Without conflict detection the server takes any name over (add 2, no prerequisite).
    let events = run(Transaction::add(fixed, &zones, Rules::from(Conflict::Off)));
    assert!(finished(&events), "{events:?}");
    assert_eq!(named.dig("static.test.example.", "A"), ["198.18.0.103"]);

    // Standard: A, DHCID and PTR.
    let (bravo, bravo_dhcid) =
        two.register(Style::Standard, "Bravo", Ipv4Addr::new(198, 18, 0, 104));
    let events = run(Transaction::add(bravo.clone(), &zones, rules));
    assert!(finished(&events), "{events:?}\n{}", named.log());
    assert_eq!(named.dig("bravo.test.example.", "A"), ["198.18.0.104"]);
    let dhcid = base64::engine::general_purpose::STANDARD.encode(bravo_dhcid.value());
    assert_eq!(
        named
            .dig("bravo.test.example.", "DHCID")
            .concat()
            .replace(' ', ""),
        dhcid
    );
    assert_eq!(
        named.dig("104.0.18.198.in-addr.arpa.", "PTR"),
        ["Bravo.test.example."]
    );
    // The interim client cannot take it either (its TXT is no DHCID).
    let (theft, _) = one.register(Style::Standard, "bravo", Ipv4Addr::new(198, 18, 0, 105));
    let events = run(Transaction::add(theft, &zones, rules));
    assert_eq!(errors(&events).len(), 1, "{events:?}");

    // Removal deletes exactly what was added.
    for (registration, guard) in [(&moved, &moved_txt), (&bravo, &bravo_dhcid)] {
        let events = run(Transaction::remove(
            removal(registration, guard),
            &zones,
            rules,
        ));
        assert!(finished(&events), "{events:?}");
        assert!(events.contains(&Event::ForwardRemoved) && events.contains(&Event::ReverseRemoved));
    }
    for (name, rtype) in [
        ("alpha.test.example.", "A"),
        ("alpha.test.example.", "TXT"),
        ("bravo.test.example.", "A"),
        ("bravo.test.example.", "DHCID"),
        ("102.0.18.198.in-addr.arpa.", "PTR"),
        ("104.0.18.198.in-addr.arpa.", "PTR"),
    ] {
        assert!(named.dig(name, rtype).is_empty(), "{name} {rtype} left");
    }
    // The PTR of the first address was replaced by nothing: the move left it, as ISC does.
    assert_eq!(
        named.dig("100.0.18.198.in-addr.arpa.", "PTR"),
        ["alpha.test.example."]
    );
    // Removing again finds nothing to remove, which is success.
    let events = run(Transaction::remove(
        removal(&alpha, &alpha_txt),
        &zones,
        rules,
    ));
    assert!(finished(&events), "{events:?}");
    assert!(named.dig("100.0.18.198.in-addr.arpa.", "PTR").is_empty());

    // A wrong secret: BADSIG, logged with BIND's text, the zone unchanged.
    let wrong = Key::new(KEY_NAME, algorithm, b"not the secret".to_vec()).unwrap();
    let (charlie, charlie_txt) =
        one.register(Style::Interim, "charlie", Ipv4Addr::new(198, 18, 0, 106));
    let events = run(Transaction::add(
        charlie.clone(),
        &named.zones(&wrong),
        rules,
    ));
    assert_eq!(
        errors(&events),
        ["Unable to add forward map from charlie.test.example to 198.18.0.106: tsig indicates error"]
    );
    assert!(named.dig("charlie.test.example.", "A").is_empty());
    let answer = |key: &Key, at: u64| -> Result<Rcode, ResponseError> {
        let zone = DomainName::other(FORWARD).unwrap();
        let wire = update::add1(&zone, &charlie.fqdn, charlie.address, &charlie_txt, 300)
            .to_wire(0x3333)
            .unwrap();
        let request = Request::signed(wire, key, at).unwrap();
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        socket.send_to(request.wire(), named.server()).unwrap();
        let mut buf = [0; 4096];
        let (len, _) = socket.recv_from(&mut buf).unwrap();
        request.check_response(&buf[..len], now())
    };
    assert_eq!(answer(&wrong, now()), Err(ResponseError::BadSig));
    let unknown = Key::new("unknown-key", algorithm, SECRET.to_vec()).unwrap();
    assert_eq!(answer(&unknown, now()), Err(ResponseError::BadKey));
    // A clock 1000 s behind: BADTIME, signed, with the server's time.
    match answer(&key, now() - 1000) {
        Err(ResponseError::BadTime {
            server_time: Some(t),
        }) => assert!(t.abs_diff(now()) < 10, "server time {t}"),
        other => panic!("expected BADTIME, got {other:?}"),
    }
    // And the right key still works.
    assert_eq!(answer(&key, now()), Ok(Rcode::NOERROR));
    assert_eq!(named.dig("charlie.test.example.", "A"), ["198.18.0.106"]);
}

#[test]
fn interoperates_with_bind_hmac_md5() {
    interop(Algorithm::HmacMd5);
}

#[test]
fn interoperates_with_bind_hmac_sha256() {
    interop(Algorithm::HmacSha256);
}
