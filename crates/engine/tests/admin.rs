//! Control API changes take the DHCP path: in memory at once, answered only once their commit
//! is durable, undone when it fails, refused where the store refuses them.

mod common;

use std::net::Ipv4Addr;

use charrua_engine::{EngineOptions, LogLevel};
use charrua_server::{ClientKey, Lease, LeaseChange, LeaseState};
use charrua_store::{Committed, StoreError};
use common::Lab;

fn lab() -> Lab {
    Lab::new(
        0,
        EngineOptions {
            log: LogLevel::Off,
            ..EngineOptions::default()
        },
    )
}

fn lease(last: u8) -> Lease {
    Lease {
        address: Ipv4Addr::new(198, 18, 0, last),
        state: LeaseState::Bound,
        client: ClientKey::Hardware {
            htype: 1,
            addr: vec![2, 0, 0, 0, 0, last].into(),
        },
        starts: common::EPOCH,
        ends: common::EPOCH + 3600,
        hostname: None,
        hardware: None,
        variables: Vec::new(),
        billing: None,
        agent_options: None,
    }
}

#[test]
fn a_change_is_answered_once_durable() {
    let mut lab = lab();
    lab.engine.handle_admin(&[LeaseChange::Set(lease(100))], 7);
    assert_eq!(lab.engine.poll_admin(), None, "not before its commit");
    assert!(lab
        .engine
        .db()
        .get(Ipv4Addr::new(198, 18, 0, 100))
        .is_some());
    let changes = lab.start_commit().expect("a commit");
    assert_eq!(changes, [LeaseChange::Set(lease(100))]);
    assert_eq!(lab.engine.poll_admin(), None, "not while it runs");
    lab.land(Ok(Committed::default()));
    assert_eq!(lab.engine.poll_admin(), Some((7, Ok(()))));
    assert_eq!(lab.engine.statistics().subnets[0].assigned, 1);
}

#[test]
fn a_failed_or_refused_change_is_undone_and_reported() {
    let mut lab = lab();
    lab.engine.handle_admin(&[LeaseChange::Set(lease(101))], 1);
    lab.start_commit().expect("a commit");
    lab.land(Err(StoreError::Stopped));
    assert!(matches!(lab.engine.poll_admin(), Some((1, Err(_)))));
    assert!(lab
        .engine
        .db()
        .get(Ipv4Addr::new(198, 18, 0, 101))
        .is_none());
    lab.advance(10);
    lab.engine.handle_admin(&[LeaseChange::Set(lease(102))], 2);
    lab.start_commit().expect("a commit");
    lab.land(Ok(Committed {
        rejected: vec![0],
        ..Committed::default()
    }));
    let (token, result) = lab.engine.poll_admin().expect("an answer");
    assert_eq!(token, 2);
    assert!(result.unwrap_err().contains("refused"));
    assert!(lab
        .engine
        .db()
        .get(Ipv4Addr::new(198, 18, 0, 102))
        .is_none());
}

#[test]
fn nothing_to_write_is_answered_at_once() {
    let mut lab = lab();
    lab.engine.handle_admin(&[], 3);
    assert_eq!(lab.engine.poll_admin(), Some((3, Ok(()))));
    assert_eq!(lab.engine.handle_reclaim(common::now(0), 4), 0);
    assert_eq!(lab.engine.poll_admin(), Some((4, Ok(()))));
}
