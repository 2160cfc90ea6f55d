//! The RFC 2136 UPDATE messages ISC dhcpd sends, one function per message (docs/ddns.md
//! section 5, `common/dns.c:build_fwd_add1` and its siblings).
//!
//! RR notation below is RFC 2136's: `NAME CLASS TYPE [RDATA]`, class `NONE` and `ANY` being
//! the meta-classes of its sections 2.4 (prerequisites) and 2.5 (updates).

use std::net::Ipv4Addr;

use hickory_proto::op::{Message, MessageType, OpCode, Query, UpdateMessage};
use hickory_proto::rr::rdata::{A, PTR};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};

use crate::guard::Guard;
use crate::name::DomainName;
use crate::tsig::RequestError;

/// `update-conflict-detection` and `ddns-guard-id-must-match` (`server/ddns.c:get_conflict_mask`):
/// what the server asks of a name before it changes it (RFC 4703 section 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Conflict {
    /// `update-conflict-detection off`: the server takes over any name, static ones included.
    Off,
    /// Detection on, `ddns-guard-id-must-match off`: a guard must exist, any client's.
    GuardExists,
    /// Detection on, guard must match (both defaults): the name must hold this client's guard
    /// (RFC 4703 section 5.3.1).
    #[default]
    GuardMatches,
}

impl Conflict {
    /// The policy the two dhcpd.conf flags give; guard-id-must-match is forced off when
    /// detection is off (`server/ddns.c:get_conflict_mask`).
    pub fn from_isc(update_conflict_detection: bool, ddns_guard_id_must_match: bool) -> Self {
        match (update_conflict_detection, ddns_guard_id_must_match) {
            (false, _) => Self::Off,
            (true, false) => Self::GuardExists,
            (true, true) => Self::GuardMatches,
        }
    }
}

/// `ddns-dual-stack-mixed-mode` and `ddns-other-guard-is-dynamic` (`server/ddns.c:get_conflict_mask`):
/// whether a name may hold address records of both protocols, each guarded by its own
/// server's guard type (`docs/ddns.md` sections 5.3 and 5.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MixedMode {
    /// The default: a name in use without this style's guard is another's.
    #[default]
    Off,
    /// Dual-stack mixed mode: a name guarded by the other type only may take this address
    /// (add 3), and the guard goes once no A record is left, AAAA or not.
    On,
    /// Mixed mode with `ddns-other-guard-is-dynamic`: a guard of the other type makes the
    /// whole name dynamic, an unguarded A record included.
    OtherGuardIsDynamic,
}

/// What the server asks of a name before it changes it: the two conflict settings and the
/// mixed mode. Conflict detection off turns the others off (`server/ddns.c:get_conflict_mask`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rules {
    /// The guard policy.
    pub conflict: Conflict,
    /// The dual-stack mode.
    pub mixed: MixedMode,
}

impl Rules {
    /// The rules the four dhcpd.conf flags give: `update-conflict-detection`,
    /// `ddns-guard-id-must-match`, `ddns-dual-stack-mixed-mode` and
    /// `ddns-other-guard-is-dynamic` (which counts under mixed mode only).
    pub fn from_isc(
        update_conflict_detection: bool,
        ddns_guard_id_must_match: bool,
        ddns_dual_stack_mixed_mode: bool,
        ddns_other_guard_is_dynamic: bool,
    ) -> Self {
        let conflict = Conflict::from_isc(update_conflict_detection, ddns_guard_id_must_match);
        let mixed = match (
            update_conflict_detection && ddns_dual_stack_mixed_mode,
            ddns_other_guard_is_dynamic,
        ) {
            (false, _) => MixedMode::Off,
            (true, false) => MixedMode::On,
            (true, true) => MixedMode::OtherGuardIsDynamic,
        };
        Self { conflict, mixed }
    }
}

impl From<Conflict> for Rules {
    fn from(conflict: Conflict) -> Self {
        Self {
            conflict,
            mixed: MixedMode::Off,
        }
    }
}

/// An UPDATE message without its id, which is chosen at each sending.
#[derive(Debug, Clone)]
pub struct Update(Message);

impl Update {
    /// An empty update of `zone`: the zone section is `ZONE IN SOA` (RFC 2136 section 2.3).
    fn new(zone: &DomainName) -> Self {
        let mut message = Message::new(0, MessageType::Query, OpCode::Update);
        let mut query = Query::new();
        query
            .set_name(zone.name().clone())
            .set_query_type(RecordType::SOA)
            .set_query_class(DNSClass::IN);
        message.add_zone(query);
        Self(message)
    }

    fn prerequisite(mut self, record: Record) -> Self {
        self.0.add_pre_requisite(record);
        self
    }

    fn update(mut self, record: Record) -> Self {
        self.0.add_update(record);
        self
    }

    /// The message with id `id`, names compressed (RFC 1035 section 4.1.4).
    pub fn to_wire(&self, id: u16) -> Result<Vec<u8>, RequestError> {
        let mut message = self.0.clone();
        message.metadata.id = id;
        message.to_vec().map_err(|_| RequestError::Encode)
    }

    /// The prerequisite section (RFC 2136 section 2.4).
    pub fn prerequisites(&self) -> &[Record] {
        self.0.prerequisites()
    }

    /// The update section (RFC 2136 section 2.5).
    pub fn updates(&self) -> &[Record] {
        self.0.updates()
    }
}

/// `NAME CLASS TYPE` with TTL 0 and no RDATA: the meta-records of RFC 2136 sections 2.4.1,
/// 2.4.3, 2.4.4, 2.4.5 and 2.5.2.
fn meta(name: &DomainName, class: DNSClass, rtype: RecordType) -> Record {
    let mut record = Record::update0(name.name().clone(), 0, rtype);
    record.dns_class = class;
    record
}

/// `NAME IN TYPE RDATA` with `ttl`: an RR to add (RFC 2136 section 2.5.1), or with TTL 0 a
/// value-dependent prerequisite (section 2.4.2).
fn rr(name: &DomainName, ttl: u32, rdata: RData) -> Record {
    Record::from_rdata(name.name().clone(), ttl, rdata)
}

/// `NAME NONE TYPE RDATA`: delete one RR (RFC 2136 section 2.5.4).
fn delete_rr(name: &DomainName, rdata: RData) -> Record {
    let mut record = rr(name, 0, rdata);
    record.dns_class = DNSClass::NONE;
    record
}

fn a(address: Ipv4Addr) -> RData {
    RData::A(A(address))
}

/// The guard prerequisite of `conflict`: `FQDN IN GUARD ID` (RRset exists, value dependent,
/// RFC 2136 section 2.4.2) or `FQDN ANY GUARD` (exists, section 2.4.1).
fn guard_prerequisite(fqdn: &DomainName, guard: &Guard, conflict: Conflict) -> Option<Record> {
    match conflict {
        Conflict::Off => None,
        Conflict::GuardExists => Some(meta(fqdn, DNSClass::ANY, guard.record_type())),
        Conflict::GuardMatches => Some(rr(fqdn, 0, guard.rdata())),
    }
}

/// Add 1 (`common/dns.c:build_fwd_add1`, RFC 4703 section 5.3.1): prerequisite
/// `FQDN NONE ANY` (the name is not in use, RFC 2136 section 2.4.5; fails with YXDOMAIN),
/// updates `FQDN IN A ADDRESS ttl` and `FQDN IN GUARD ID ttl`.
pub fn add1(
    zone: &DomainName,
    fqdn: &DomainName,
    address: Ipv4Addr,
    guard: &Guard,
    ttl: u32,
) -> Update {
    Update::new(zone)
        .prerequisite(meta(fqdn, DNSClass::NONE, RecordType::ANY))
        .update(rr(fqdn, ttl, a(address)))
        .update(rr(fqdn, ttl, guard.rdata()))
}

/// Add 2, after add 1 found the name in use (`common/dns.c:build_fwd_add2`, RFC 4703 section
/// 5.3.2): with conflict detection, the guard prerequisite and updates `FQDN ANY A` (delete the
/// A RRset), `FQDN IN A ADDRESS ttl`; the guard is not rewritten. Without it, no prerequisite
/// and updates `FQDN ANY GUARD`, `FQDN IN GUARD ID ttl`, `FQDN ANY A`, `FQDN IN A ADDRESS ttl`.
pub fn add2(
    zone: &DomainName,
    fqdn: &DomainName,
    address: Ipv4Addr,
    guard: &Guard,
    ttl: u32,
    conflict: Conflict,
) -> Update {
    let update = match guard_prerequisite(fqdn, guard, conflict) {
        Some(prerequisite) => Update::new(zone).prerequisite(prerequisite),
        None => Update::new(zone)
            .update(meta(fqdn, DNSClass::ANY, guard.record_type()))
            .update(rr(fqdn, ttl, guard.rdata())),
    };
    update
        .update(meta(fqdn, DNSClass::ANY, RecordType::A))
        .update(rr(fqdn, ttl, a(address)))
}

/// Add 3, under dual-stack mixed mode after add 2 found no guard of ours
/// (`common/dns.c:build_dsmm_fwd_add3`): prerequisites `FQDN NONE A`, `FQDN NONE GUARD` and
/// `FQDN ANY OTHER` (the name belongs to the other protocol's server), updates
/// `FQDN IN A ADDRESS ttl`, `FQDN IN GUARD ID ttl`. With `ddns-other-guard-is-dynamic`
/// (`build_dsmm_fwd_add3_other`): `FQDN NONE GUARD` only when the guard must match, then
/// `FQDN ANY OTHER`; updates `FQDN ANY A` first, so an unguarded A record is replaced.
pub fn add3(
    zone: &DomainName,
    fqdn: &DomainName,
    address: Ipv4Addr,
    guard: &Guard,
    ttl: u32,
    rules: Rules,
) -> Update {
    let no_guard = meta(fqdn, DNSClass::NONE, guard.record_type());
    let other_guard = meta(fqdn, DNSClass::ANY, guard.other_record_type());
    let update = if rules.mixed == MixedMode::OtherGuardIsDynamic {
        let update = match rules.conflict {
            Conflict::GuardMatches => Update::new(zone).prerequisite(no_guard),
            Conflict::GuardExists | Conflict::Off => Update::new(zone),
        };
        update
            .prerequisite(other_guard)
            .update(meta(fqdn, DNSClass::ANY, RecordType::A))
    } else {
        Update::new(zone)
            .prerequisite(meta(fqdn, DNSClass::NONE, RecordType::A))
            .prerequisite(no_guard)
            .prerequisite(other_guard)
    };
    update
        .update(rr(fqdn, ttl, a(address)))
        .update(rr(fqdn, ttl, guard.rdata()))
}

/// Removal 1 (`common/dns.c:build_fwd_rem1`, RFC 4703 section 5.5): the guard prerequisite
/// (none without conflict detection) and update `FQDN NONE A ADDRESS` (delete this address
/// only).
pub fn rem1(
    zone: &DomainName,
    fqdn: &DomainName,
    address: Ipv4Addr,
    guard: &Guard,
    conflict: Conflict,
) -> Update {
    let update = match guard_prerequisite(fqdn, guard, conflict) {
        Some(prerequisite) => Update::new(zone).prerequisite(prerequisite),
        None => Update::new(zone),
    };
    update.update(delete_rr(fqdn, a(address)))
}

/// Removal 2, once the address is gone (`common/dns.c:build_fwd_rem2`): prerequisites
/// `FQDN NONE A` and `FQDN NONE AAAA` (no address left, RFC 2136 section 2.4.3), update
/// `FQDN NONE GUARD ID` (guard must match) or `FQDN ANY GUARD` (otherwise).
pub fn rem2(zone: &DomainName, fqdn: &DomainName, guard: &Guard, conflict: Conflict) -> Update {
    Update::new(zone)
        .prerequisite(meta(fqdn, DNSClass::NONE, RecordType::A))
        .prerequisite(meta(fqdn, DNSClass::NONE, RecordType::AAAA))
        .update(delete_guard(fqdn, guard, conflict))
}

/// Removal 2 under dual-stack mixed mode (`common/dns.c:build_fwd_rem2_dsmm`): only
/// `FQDN NONE A` is asked (the other protocol's AAAA records may stay), then the guard goes as
/// in [`rem2`].
pub fn rem2_mixed(
    zone: &DomainName,
    fqdn: &DomainName,
    guard: &Guard,
    conflict: Conflict,
) -> Update {
    Update::new(zone)
        .prerequisite(meta(fqdn, DNSClass::NONE, RecordType::A))
        .update(delete_guard(fqdn, guard, conflict))
}

/// The removal after removal 1 found no guard of ours, under mixed mode with
/// `ddns-other-guard-is-dynamic` (`common/dns.c:build_fwd_rem2_dsmm_other`): prerequisites
/// `FQDN NONE GUARD` and `FQDN ANY OTHER`, update `FQDN NONE A ADDRESS`.
pub fn rem_other(zone: &DomainName, fqdn: &DomainName, address: Ipv4Addr, guard: &Guard) -> Update {
    Update::new(zone)
        .prerequisite(meta(fqdn, DNSClass::NONE, guard.record_type()))
        .prerequisite(meta(fqdn, DNSClass::ANY, guard.other_record_type()))
        .update(delete_rr(fqdn, a(address)))
}

/// `FQDN NONE GUARD ID` when the guard must match, `FQDN ANY GUARD` otherwise.
fn delete_guard(fqdn: &DomainName, guard: &Guard, conflict: Conflict) -> Record {
    match conflict {
        Conflict::GuardMatches => delete_rr(fqdn, guard.rdata()),
        Conflict::GuardExists | Conflict::Off => meta(fqdn, DNSClass::ANY, guard.record_type()),
    }
}

/// The PTR update (`common/dns.c:ddns_modify_ptr`, state `ADD_PTR`): no prerequisite,
/// updates `REV ANY PTR` and `REV IN PTR FQDN ttl`. No guard on the reverse name.
pub fn ptr_add(zone: &DomainName, reverse: &DomainName, fqdn: &DomainName, ttl: u32) -> Update {
    let target = RData::PTR(PTR(Name::clone(fqdn.name())));
    Update::new(zone)
        .update(meta(reverse, DNSClass::ANY, RecordType::PTR))
        .update(rr(reverse, ttl, target))
}

/// The PTR removal (`common/dns.c:ddns_modify_ptr`, state `REM_PTR`): no prerequisite,
/// update `REV ANY PTR`.
pub fn ptr_remove(zone: &DomainName, reverse: &DomainName) -> Update {
    Update::new(zone).update(meta(reverse, DNSClass::ANY, RecordType::PTR))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::RecordData;

    use crate::guard::Style;

    fn name(text: &str) -> DomainName {
        DomainName::other(text).unwrap()
    }

    /// Each record as `NAME CLASS TYPE TTL RDLENGTH`, for comparison with docs/ddns.md.
    fn show(records: &[Record]) -> Vec<String> {
        records
            .iter()
            .map(|r| {
                let rdata = if r.data.is_update() {
                    "-".to_owned()
                } else {
                    r.data.to_string()
                };
                format!(
                    "{} {} {} {} {}",
                    r.name,
                    r.dns_class,
                    r.record_type(),
                    r.ttl,
                    rdata
                )
            })
            .collect()
    }

    const ADDR: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 100);

    fn txt() -> Guard {
        Guard::stored(Style::Interim, b"00c4ca78f9cf3717b36cf11b2bb4fc190c").unwrap()
    }

    #[test]
    fn add1_requires_the_name_unused() {
        let u = add1(&name("test."), &name("a.test"), ADDR, &txt(), 300);
        assert_eq!(show(u.prerequisites()), ["a.test. NONE ANY 0 -"]);
        assert_eq!(
            show(u.updates()),
            [
                "a.test. IN A 300 198.18.0.100",
                "a.test. IN TXT 300 00c4ca78f9cf3717b36cf11b2bb4fc190c",
            ]
        );
    }

    #[test]
    fn add2_follows_the_conflict_policy() {
        let (z, n) = (name("test."), name("a.test"));
        let u = add2(&z, &n, ADDR, &txt(), 300, Conflict::GuardMatches);
        assert_eq!(
            show(u.prerequisites()),
            ["a.test. IN TXT 0 00c4ca78f9cf3717b36cf11b2bb4fc190c"]
        );
        assert_eq!(
            show(u.updates()),
            ["a.test. ANY A 0 -", "a.test. IN A 300 198.18.0.100"]
        );
        let u = add2(&z, &n, ADDR, &txt(), 300, Conflict::GuardExists);
        assert_eq!(show(u.prerequisites()), ["a.test. ANY TXT 0 -"]);
        let u = add2(&z, &n, ADDR, &txt(), 300, Conflict::Off);
        assert!(u.prerequisites().is_empty());
        assert_eq!(
            show(u.updates()),
            [
                "a.test. ANY TXT 0 -",
                "a.test. IN TXT 300 00c4ca78f9cf3717b36cf11b2bb4fc190c",
                "a.test. ANY A 0 -",
                "a.test. IN A 300 198.18.0.100",
            ]
        );
    }

    #[test]
    fn removals_delete_only_what_is_ours() {
        let (z, n) = (name("test."), name("a.test"));
        let u = rem1(&z, &n, ADDR, &txt(), Conflict::GuardMatches);
        assert_eq!(
            show(u.prerequisites()),
            ["a.test. IN TXT 0 00c4ca78f9cf3717b36cf11b2bb4fc190c"]
        );
        assert_eq!(show(u.updates()), ["a.test. NONE A 0 198.18.0.100"]);
        assert!(rem1(&z, &n, ADDR, &txt(), Conflict::Off)
            .prerequisites()
            .is_empty());
        let u = rem2(&z, &n, &txt(), Conflict::GuardMatches);
        assert_eq!(
            show(u.prerequisites()),
            ["a.test. NONE A 0 -", "a.test. NONE AAAA 0 -"]
        );
        assert_eq!(
            show(u.updates()),
            ["a.test. NONE TXT 0 00c4ca78f9cf3717b36cf11b2bb4fc190c"]
        );
        let u = rem2(&z, &n, &txt(), Conflict::GuardExists);
        assert_eq!(show(u.updates()), ["a.test. ANY TXT 0 -"]);
    }

    #[test]
    fn mixed_mode_messages_look_for_the_other_guard() {
        let (z, n) = (name("test."), name("a.test"));
        let mixed = Rules::from_isc(true, true, true, false);
        let u = add3(&z, &n, ADDR, &txt(), 300, mixed);
        assert_eq!(
            show(u.prerequisites()),
            [
                "a.test. NONE A 0 -",
                "a.test. NONE TXT 0 -",
                "a.test. ANY Unknown 0 -"
            ]
        );
        assert_eq!(
            show(u.updates()),
            [
                "a.test. IN A 300 198.18.0.100",
                "a.test. IN TXT 300 00c4ca78f9cf3717b36cf11b2bb4fc190c",
            ]
        );
        let dynamic = Rules::from_isc(true, true, true, true);
        let u = add3(&z, &n, ADDR, &txt(), 300, dynamic);
        assert_eq!(
            show(u.prerequisites()),
            ["a.test. NONE TXT 0 -", "a.test. ANY Unknown 0 -"]
        );
        assert_eq!(show(u.updates())[0], "a.test. ANY A 0 -");
        let any_guard = Rules::from_isc(true, false, true, true);
        let u = add3(&z, &n, ADDR, &txt(), 300, any_guard);
        assert_eq!(show(u.prerequisites()), ["a.test. ANY Unknown 0 -"]);
        let u = rem2_mixed(&z, &n, &txt(), Conflict::GuardMatches);
        assert_eq!(show(u.prerequisites()), ["a.test. NONE A 0 -"]);
        assert_eq!(
            show(u.updates()),
            ["a.test. NONE TXT 0 00c4ca78f9cf3717b36cf11b2bb4fc190c"]
        );
        let u = rem_other(&z, &n, ADDR, &txt());
        assert_eq!(
            show(u.prerequisites()),
            ["a.test. NONE TXT 0 -", "a.test. ANY Unknown 0 -"]
        );
        assert_eq!(show(u.updates()), ["a.test. NONE A 0 198.18.0.100"]);
        // Conflict detection off turns mixed mode off.
        assert_eq!(
            Rules::from_isc(false, true, true, true),
            Rules::from(Conflict::Off)
        );
    }

    #[test]
    fn ptr_updates_replace_the_rrset() {
        let (z, r) = (
            name("18.198.in-addr.arpa."),
            name("100.0.18.198.in-addr.arpa."),
        );
        let u = ptr_add(&z, &r, &name("a.test"), 300);
        assert!(u.prerequisites().is_empty());
        assert_eq!(
            show(u.updates()),
            [
                "100.0.18.198.in-addr.arpa. ANY PTR 0 -",
                "100.0.18.198.in-addr.arpa. IN PTR 300 a.test.",
            ]
        );
        let u = ptr_remove(&z, &r);
        assert_eq!(
            show(u.updates()),
            ["100.0.18.198.in-addr.arpa. ANY PTR 0 -"]
        );
    }

    #[test]
    fn encodes_a_dhcid_guard_as_type_49() {
        let g = Guard::stored(Style::Standard, &[0, 1, 1, 0xaa]).unwrap();
        let wire = add1(&name("test."), &name("a.test"), ADDR, &g, 300)
            .to_wire(0x1234)
            .unwrap();
        // ID, opcode UPDATE (5 << 3), one zone, one prerequisite, two updates.
        assert_eq!(&wire[..12], &[0x12, 0x34, 0x28, 0, 0, 1, 0, 1, 0, 2, 0, 0]);
        // The last record: its owner a pointer to `a.test.` at offset 22 (after the header and
        // the zone section), type 49, class IN, TTL 300, 4 bytes of RDATA.
        assert_eq!(
            &wire[wire.len() - 16..],
            &[0xc0, 22, 0, 49, 0, 1, 0, 0, 1, 44, 0, 4, 0, 1, 1, 0xaa]
        );
    }
}
