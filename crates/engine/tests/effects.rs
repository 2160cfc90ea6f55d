//! What `on commit` asks is handed out only once the lease it is about is durable, and never
//! for a lease a failed commit undid; `on release` at once.

mod common;

use charrua_engine::{EngineOptions, LogLevel};
use charrua_server::config::{Action, Effect, Expr, LogPriority};
use charrua_server::{Config, LeaseDb};
use charrua_store::{Committed, StoreError};
use charrua_wire::MessageType;
use common::Lab;

fn options() -> EngineOptions {
    EngineOptions {
        interfaces: vec!["eth0".into()],
        log: LogLevel::Off,
        ..EngineOptions::default()
    }
}

/// The lab's subnet, logging the leased address on commit.
fn config() -> Config {
    let log = |event: &str| {
        vec![Action::Log(
            LogPriority::Info,
            Expr::Concat(
                Box::new(Expr::Const(event.as_bytes().to_vec())),
                Box::new(Expr::BinaryToAscii(
                    Box::new(Expr::Number(10)),
                    Box::new(Expr::Number(8)),
                    Box::new(Expr::Const(b".".to_vec())),
                    Box::new(Expr::LeasedAddress),
                )),
            ),
        )]
    };
    let mut config = Config::builder()
        .subnet("198.18.0.0/24".parse().unwrap(), |s| {
            s.range(
                std::net::Ipv4Addr::new(198, 18, 0, 100),
                std::net::Ipv4Addr::new(198, 18, 0, 120),
            )
        })
        .build()
        .unwrap();
    config.global.on_commit = Some(log("commit "));
    config.global.on_release = Some(log("release "));
    config
}

fn lab() -> Lab {
    let config = config();
    let db = LeaseDb::new(&config);
    Lab::with_config(1, options(), config, db)
}

fn effects(lab: &mut Lab) -> Vec<Effect> {
    std::iter::from_fn(|| lab.engine.poll_effect()).collect()
}

#[test]
fn on_commit_runs_once_the_lease_is_durable() {
    let mut lab = lab();
    assert_eq!(lab.send(0), [MessageType::DISCOVER]);
    assert_eq!(lab.replies(), [MessageType::OFFER]);
    assert_eq!(effects(&mut lab), [], "an offer commits nothing");
    assert_eq!(lab.send(0), [MessageType::REQUEST]);
    lab.start_commit().expect("the binding is committed");
    assert_eq!(effects(&mut lab), [], "not while the commit runs");
    lab.land(Ok(Committed::default()));
    assert_eq!(lab.replies(), [MessageType::ACK]);
    let Some(Effect::Log(LogPriority::Info, line)) = effects(&mut lab).pop() else {
        panic!("no log effect");
    };
    assert!(line.starts_with("commit 198.18.0."), "{line}");
}

#[test]
fn a_failed_commit_runs_nothing() {
    let mut lab = lab();
    lab.send(0);
    lab.replies();
    lab.send(0);
    lab.start_commit().unwrap();
    lab.land(Err(StoreError::Io {
        path: "leases".into(),
        message: "Input/output error (os error 5)".into(),
    }));
    assert_eq!(lab.replies(), []);
    assert_eq!(effects(&mut lab), []);
}
