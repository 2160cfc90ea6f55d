//! The commit ordering, as ladder diagrams: an ACK never leaves before the commit that holds
//! its lease (RFC 2131 section 3.1 step 4, durability rule D1); an OFFER never waits for one.

mod common;

use charrua_client::StateKind;
use charrua_engine::{EngineOptions, LogLevel};
use charrua_server::{LeaseChange, LeaseState};
use charrua_store::{Committed, StoreError};
use charrua_wire::MessageType;
use common::Lab;

const DISCOVER: MessageType = MessageType::DISCOVER;
const OFFER: MessageType = MessageType::OFFER;
const REQUEST: MessageType = MessageType::REQUEST;
const ACK: MessageType = MessageType::ACK;

fn options() -> EngineOptions {
    EngineOptions {
        interfaces: vec!["eth0".into()],
        log: LogLevel::Off,
        ..EngineOptions::default()
    }
}

fn durable() -> Result<Committed, StoreError> {
    Ok(Committed::default())
}

fn eio() -> Result<Committed, StoreError> {
    Err(StoreError::Io {
        path: "leases".into(),
        message: "Input/output error (os error 5)".into(),
    })
}

/// Takes client 0 from INIT to a REQUEST the engine has handled.
fn discover_and_request(lab: &mut Lab, i: usize) {
    assert_eq!(lab.send(i), [DISCOVER]);
    assert_eq!(lab.replies(), [OFFER]);
    assert_eq!(lab.send(i), [REQUEST]);
}

#[test]
fn an_ack_leaves_only_once_the_commit_holding_its_lease_is_durable() {
    let mut lab = Lab::new(1, options());
    // client            engine                   store
    //   DISCOVER ------->
    //   <------- OFFER   (nothing to commit)
    assert_eq!(lab.send(0), [DISCOVER]);
    assert!(lab.start_commit().is_none());
    assert_eq!(lab.replies(), [OFFER]);
    //   REQUEST  ------->
    //     (no ACK)        -- commit [bound] -->
    assert_eq!(lab.send(0), [REQUEST]);
    assert_eq!(lab.replies(), []);
    let batch = lab.start_commit().unwrap();
    assert!(matches!(&batch[..], [LeaseChange::Set(l)] if l.state == LeaseState::Bound));
    assert_eq!(lab.replies(), [], "the ACK waits while the commit runs");
    //                     <-- durable --
    //   <------- ACK
    lab.land(durable());
    assert_eq!(lab.replies(), [ACK]);
    assert_eq!(lab.clients[0].state(), StateKind::Bound);
}

#[test]
fn offers_leave_while_a_commit_is_in_flight_and_acks_wait_for_the_next_commit() {
    let mut lab = Lab::new(2, options());
    // A                 engine                   store
    //   DISCOVER, REQUEST ->  -- commit 1 [A bound] -->   (in flight)
    discover_and_request(&mut lab, 0);
    let first = lab.start_commit().unwrap();
    assert_eq!(first.len(), 1);
    // B   DISCOVER --->
    //     <--- OFFER        (commit 1 still in flight: the OFFER does not wait)
    assert_eq!(lab.send(1), [DISCOVER]);
    assert_eq!(lab.replies(), [OFFER]);
    // B   REQUEST  --->     (joins the next commit, not the one in flight)
    assert_eq!(lab.send(1), [REQUEST]);
    lab.advance(5);
    assert!(lab.start_commit().is_none(), "one commit at a time");
    assert_eq!(lab.replies(), []);
    //                       <-- commit 1 durable --
    // A   <--- ACK          (B still waits)
    lab.land(durable());
    assert_eq!(lab.replies(), [ACK]);
    assert_eq!(lab.clients[0].state(), StateKind::Bound);
    assert_eq!(lab.clients[1].state(), StateKind::Requesting);
    //                       -- commit 2 [B bound] -->
    //                       <-- durable --
    // B   <--- ACK
    let second = lab.start_commit().unwrap();
    assert_eq!(second.len(), 1);
    assert_ne!(first, second);
    lab.land(durable());
    assert_eq!(lab.replies(), [ACK]);
    assert_eq!(lab.clients[1].state(), StateKind::Bound);
}

#[test]
fn a_failed_commit_sends_nothing_and_undoes_every_change_made_since_it_started() {
    let mut lab = Lab::new(2, options());
    // A   REQUEST -->  -- commit 1 [A bound] -->
    discover_and_request(&mut lab, 0);
    lab.start_commit().unwrap();
    // B   REQUEST -->  (waits for commit 2)
    discover_and_request(&mut lab, 1);
    assert_eq!(
        lab.engine
            .db()
            .iter()
            .filter(|l| l.state == LeaseState::Bound)
            .count(),
        2
    );
    //                  <-- commit 1 fails (EIO) --
    // neither ACK leaves; neither binding stays in memory
    lab.land(eio());
    assert_eq!(lab.replies(), []);
    assert!(!lab.engine.has_uncommitted());
    assert!(lab.engine.db().iter().all(|l| l.state != LeaseState::Bound));
    assert_eq!(lab.engine.counters().dropped("NotDurable"), 2);
    // The clients retransmit; a later commit that succeeds binds them.
    lab.advance(10_000);
    lab.send(0);
    lab.send(1);
    let batch = lab.start_commit().unwrap();
    assert_eq!(batch.len(), 2);
    lab.land(durable());
    assert_eq!(lab.replies(), [ACK, ACK]);
}

/// A retransmitted REQUEST while its binding's commit runs gets the binding back unchanged (ISC's
/// `dhcp-cache-threshold`): nothing to write, yet that ACK too waits for the binding to be
/// durable, and is not sent if the commit fails.
#[test]
fn an_ack_of_a_binding_given_back_unchanged_waits_for_that_binding() {
    for landed_ok in [true, false] {
        let mut lab = Lab::new(1, options());
        discover_and_request(&mut lab, 0);
        assert_eq!(lab.start_commit().unwrap().len(), 1);
        // The client retransmits its REQUEST while commit 1 runs.
        lab.advance(5_000);
        assert_eq!(lab.send(0), [REQUEST]);
        assert_eq!(lab.replies(), [], "the second ACK waits too");
        if landed_ok {
            lab.land(durable());
            assert_eq!(lab.replies(), [ACK]);
            // It leaves with the next commit, which has nothing to write.
            assert_eq!(lab.start_commit().unwrap(), []);
            lab.land(durable());
            assert_eq!(lab.replies(), [ACK]);
        } else {
            lab.land(eio());
            assert!(lab.start_commit().is_none_or(|batch| batch.is_empty()));
            lab.land(durable());
            assert_eq!(lab.replies(), [], "its binding was undone");
        }
        assert!(!lab.engine.has_uncommitted());
    }
}

#[test]
fn a_change_the_store_refuses_keeps_only_its_own_reply_back() {
    let mut lab = Lab::new(2, options());
    discover_and_request(&mut lab, 0);
    discover_and_request(&mut lab, 1);
    let batch = lab.start_commit().unwrap();
    assert_eq!(batch.len(), 2);
    // A shared store refuses the first change (another server took the address first).
    let refused = batch[0].address();
    lab.land(Ok(Committed {
        rejected: vec![0],
        unwritable: Vec::new(),
    }));
    assert_eq!(lab.replies(), [ACK]);
    assert!(lab
        .engine
        .db()
        .get(refused)
        .is_none_or(|l| l.state != LeaseState::Bound));
    let bound: Vec<_> = lab
        .clients
        .iter()
        .filter(|c| c.state() == StateKind::Bound)
        .collect();
    assert_eq!(bound.len(), 1);
    assert_ne!(bound[0].lease().unwrap().address, refused);
}

#[test]
fn a_full_commit_queue_drops_what_needs_a_write_and_still_offers() {
    let mut lab = Lab::new(
        2,
        EngineOptions {
            max_waiting: 1,
            ..options()
        },
    );
    discover_and_request(&mut lab, 0);
    lab.start_commit().unwrap();
    // The in-flight commit fills the queue: B is offered, but its REQUEST is dropped.
    assert_eq!(lab.send(1), [DISCOVER]);
    assert_eq!(lab.replies(), [OFFER]);
    assert_eq!(lab.send(1), [REQUEST]);
    assert_eq!(lab.engine.counters().dropped("CommitQueueFull"), 1);
    lab.land(durable());
    assert_eq!(lab.replies(), [ACK]);
    assert!(lab.start_commit().is_none(), "B's REQUEST was not kept");
}

#[test]
fn commits_start_at_least_the_commit_interval_apart_and_a_lone_request_commits_at_once() {
    let mut lab = Lab::new(2, options());
    lab.advance(1_000);
    discover_and_request(&mut lab, 0);
    assert!(lab.start_commit().is_some(), "after a quiet spell: at once");
    lab.land(durable());
    assert_eq!(lab.replies(), [ACK]);
    discover_and_request(&mut lab, 1);
    assert!(lab.start_commit().is_none(), "within the interval");
    let due = lab.engine.poll_timeout().unwrap();
    assert_eq!(
        due,
        lab.now().monotonic + std::time::Duration::from_millis(1)
    );
    lab.advance(1);
    assert!(lab.start_commit().is_some());
}
