//! DNS registration through the engine: the work is handed out once the binding is durable,
//! what the daemon reports is written into the lease by the next commit, and a release hands
//! out the removal of what the lease records.

mod common;

use charrua_engine::{EngineOptions, LogLevel};
use charrua_server::config::{Ddns, DdnsStyle, Effect, Expr};
use charrua_server::dns::{DnsNote, DnsRecorded, DnsWork, TXT};
use charrua_server::{Config, LeaseChange, LeaseDb};
use charrua_store::Committed;
use charrua_wire::MessageType;
use common::Lab;

fn lab() -> Lab {
    let mut config: Config = Config::builder()
        .ddns(Ddns {
            style: DdnsStyle::Interim,
            ..Ddns::default()
        })
        .subnet("198.18.0.0/24".parse().unwrap(), |s| {
            s.range(
                std::net::Ipv4Addr::new(198, 18, 0, 100),
                std::net::Ipv4Addr::new(198, 18, 0, 120),
            )
        })
        .build()
        .unwrap();
    config.global.ddns_hostname = Some(Expr::Const(b"pc".to_vec()));
    config.global.ddns_domainname = Some(Expr::Const(b"example.test".to_vec()));
    let db = LeaseDb::new(&config);
    let options = EngineOptions {
        interfaces: vec!["eth0".into()],
        log: LogLevel::Off,
        ..EngineOptions::default()
    };
    Lab::with_config(1, options, config, db)
}

fn dns_work(lab: &mut Lab) -> Vec<DnsWork> {
    std::iter::from_fn(|| lab.engine.poll_effect())
        .filter_map(|e| match e {
            Effect::Dns(work) => Some(*work),
            _ => None,
        })
        .collect()
}

#[test]
fn registration_is_handed_out_after_the_commit_and_its_result_committed() {
    let mut lab = lab();
    lab.send(0);
    assert_eq!(lab.replies(), [MessageType::OFFER]);
    lab.send(0);
    lab.start_commit().unwrap();
    assert!(
        dns_work(&mut lab).is_empty(),
        "not before the binding is durable"
    );
    lab.land(Ok(Committed::default()));
    assert_eq!(lab.replies(), [MessageType::ACK]);
    let [work] = dns_work(&mut lab).try_into().unwrap();
    let add = work.add.clone().unwrap();
    assert_eq!(add.fqdn, "pc.example.test");

    let notes = [DnsNote::ForwardAdded {
        fqdn: add.fqdn.clone(),
        guard_variable: TXT,
        guard: b"00c4ca78f9cf3717b36cf11b2bb4fc190c".to_vec(),
    }];
    let now = lab.now();
    lab.engine
        .handle_dns(work.address, &work.client, &notes, now);
    lab.advance(1000);
    let changes = lab.start_commit().expect("the lease is written again");
    let [LeaseChange::Set(lease)] = changes.as_slice() else {
        panic!("{changes:?}");
    };
    assert_eq!(
        DnsRecorded::of(&lease.variables).fwd_name.as_deref(),
        Some("pc.example.test")
    );
    lab.land(Ok(Committed::default()));

    // A release hands out the removal of what the lease records.
    let now = lab.ms;
    lab.clients[0].release(now);
    assert_eq!(lab.send(0), [MessageType::RELEASE]);
    let [removal] = dns_work(&mut lab).try_into().unwrap();
    assert_eq!(removal.add, None);
    assert_eq!(
        removal.remove.and_then(|r| r.fwd_name).as_deref(),
        Some("pc.example.test")
    );
}
