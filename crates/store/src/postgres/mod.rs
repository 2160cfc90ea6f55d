//! A lease store in PostgreSQL, shared by any number of servers.
//!
//! - **Open**: connects, brings the schema to this build's version (under an advisory lock,
//!   so servers starting together do not race; `charrua leases db-init` does only that),
//!   registers the server by name and replays every record into the caller's database.
//! - **Commit**: the batch is one transaction: each lease written with one multi-row
//!   statement (an upsert of the batch's leases, a delete of its removals; an address changed
//!   twice in a batch takes a second statement), each write taken only where
//!   [`shared::may_write`](crate::shared::may_write) allows it against the row it finds, the
//!   others reported rejected. `synchronous_commit` is at least `on`: the commit returns once
//!   the batch is durable, and only then do the replies that depend on it leave.
//! - **Changes by others**: the transaction announces the addresses it wrote with
//!   `NOTIFY charrua_lease4`; every server listens, and reads those addresses' records when
//!   another server announced them. A server that lost its connection reads every record
//!   again once it has a new one (what it missed meanwhile was not announced to it).
//! - **Failures**: a lost connection fails the commit (no reply that depends on it leaves),
//!   and the next commit or poll connects again, with back-off (0.1 s doubling to 5 s). A
//!   connection string naming several hosts with `target_session_attrs=read-write` follows a
//!   primary that fails over to a standby. A commit whose outcome is unknown (the connection
//!   lost during `COMMIT`) is reported failed; if it did land, the records read after
//!   reconnecting bring it back.

mod row;
mod sql;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::str::FromStr;
use std::time::{Duration, Instant};

use charrua_server::LeaseChange;
use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, NoTls, Statement};

use crate::{record, Committed, LeaseStore, Recovery, StoreError};
use row::Columns;

/// How a server uses the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgOptions {
    /// This server's name, kept with every row it writes and in `charrua_server`.
    pub server: String,
}

/// Whether `location` names a PostgreSQL database rather than a file: a URL
/// `postgresql://...` or `postgres://...`.
pub fn is_database(location: &str) -> bool {
    location.starts_with("postgresql://") || location.starts_with("postgres://")
}

/// The first back-off after a failed connection attempt, and the longest.
const BACKOFF: (Duration, Duration) = (Duration::from_millis(100), Duration::from_secs(5));

/// How long a poll for changes by others without a commit since waits for the socket.
const IDLE_WAIT: Duration = Duration::from_millis(1);

/// Largest `NOTIFY` payload (PostgreSQL's limit is 8000 bytes).
const MAX_PAYLOAD: usize = 7900;

/// A connection and its prepared statements.
struct Connection {
    client: Client,
    upsert: Statement,
    delete: Statement,
    existing: Statement,
    records_of: Statement,
    notify: Statement,
    /// The backend's process id: its own announcements come back with it.
    pid: i32,
}

/// The PostgreSQL lease store. See the module documentation.
pub struct PgStore {
    config: postgres::Config,
    /// The location without its password, for messages.
    shown: String,
    options: PgOptions,
    connection: Option<Connection>,
    queued: Vec<LeaseChange>,
    /// The journal record of each queued lease (empty for a removal).
    records: Vec<Vec<u8>>,
    /// Changes by others read and not yet reported.
    by_others: Vec<LeaseChange>,
    /// When the next connection attempt may be made, and the back-off after it fails.
    retry: (Instant, Duration),
    /// Whether a commit read the socket since the last poll for changes by others.
    committed_since_poll: bool,
    /// Why the last connection attempt failed: what a commit fails with until the next one.
    refused: StoreError,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PgStore({})", self.shown)
    }
}

fn database(context: &str, e: &postgres::Error) -> StoreError {
    StoreError::Database(format!("{context}: {e}"))
}

/// `location` with any password replaced by `***`: the user information of a URL and any
/// `password=` parameter.
pub fn redacted(location: &str) -> String {
    let hidden = hide_password_parameters(location);
    let Some((scheme, rest)) = hidden.split_once("://") else {
        return hidden;
    };
    let (authority, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((userinfo, hosts)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            let secret = if userinfo.contains(':') { ":***" } else { "" };
            format!("{scheme}://{user}{secret}@{hosts}{tail}")
        }
        None => hidden.clone(),
    }
}

/// `text` with the value of every `password=` parameter (of a URL's query or a `key=value`
/// string) replaced by `***`.
fn hide_password_parameters(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("password=") {
        let (before, after) = rest.split_at(at + "password=".len());
        out.push_str(before);
        out.push_str("***");
        rest = after.trim_start_matches(|c: char| c != '&' && !c.is_whitespace());
    }
    out.push_str(rest);
    out
}

/// Parses `location` as a connection string, with charrua's defaults for what it leaves unset.
fn config(location: &str) -> Result<postgres::Config, StoreError> {
    let mut config = postgres::Config::from_str(location)
        .map_err(|e| StoreError::Database(format!("{}: {e}", redacted(location))))?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(5));
    }
    if config.get_tcp_user_timeout().is_none() {
        // A database that stops answering (a partition, a dead host) fails the commit after
        // this long rather than never.
        config.tcp_user_timeout(Duration::from_secs(10));
    }
    config.keepalives(true);
    if config.get_application_name().is_none() {
        config.application_name("charrua");
    }
    Ok(config)
}

/// Brings the schema to [`sql::SCHEMA_VERSION`], refusing a database a newer build made.
fn migrate(client: &mut Client, shown: &str) -> Result<(), StoreError> {
    let mut tx = client.transaction().map_err(|e| database("schema", &e))?;
    tx.batch_execute(sql::LOCK)
        .and_then(|()| tx.batch_execute(sql::CREATE_VERSION_TABLE))
        .map_err(|e| database("schema", &e))?;
    let version: Option<i32> = tx
        .query_one(sql::VERSION, &[])
        .and_then(|row| row.try_get(0))
        .map_err(|e| database("schema", &e))?;
    let version = version.unwrap_or(0);
    if version > sql::SCHEMA_VERSION {
        return Err(StoreError::Database(format!(
            "{shown}: lease schema version {version} is newer than this build's {}; upgrade charrua",
            sql::SCHEMA_VERSION
        )));
    }
    let from = usize::try_from(version).unwrap_or(0);
    for (step, migration) in (version + 1..).zip(sql::MIGRATIONS.iter().skip(from)) {
        tx.batch_execute(migration)
            .and_then(|()| tx.execute(sql::SET_VERSION, &[&step]).map(drop))
            .map_err(|e| database(&format!("schema version {step}"), &e))?;
    }
    tx.commit().map_err(|e| database("schema", &e))
}

/// Creates or upgrades the schema at `location` (`charrua leases db-init`); the version it is
/// at.
pub fn db_init(location: &str) -> Result<i32, StoreError> {
    let mut client = config(location)?
        .connect(NoTls)
        .map_err(|e| database(&redacted(location), &e))?;
    migrate(&mut client, &redacted(location))?;
    Ok(sql::SCHEMA_VERSION)
}

impl Connection {
    fn open(config: &postgres::Config, shown: &str, server: &str) -> Result<Self, StoreError> {
        let fail = |e: postgres::Error| database(shown, &e);
        let mut client = config.connect(NoTls).map_err(fail)?;
        migrate(&mut client, shown)?;
        let synchronous: String = client
            .query_one(sql::SHOW_SYNCHRONOUS, &[])
            .and_then(|row| row.try_get(0))
            .map_err(fail)?;
        if matches!(synchronous.as_str(), "off" | "local") {
            client.batch_execute(sql::SET_SYNCHRONOUS).map_err(fail)?;
        }
        client.batch_execute(sql::LISTEN).map_err(fail)?;
        client.execute(sql::REGISTER, &[&server]).map_err(fail)?;
        let pid: i32 = client
            .query_one("SELECT pg_backend_pid()", &[])
            .and_then(|row| row.try_get(0))
            .map_err(fail)?;
        Ok(Self {
            upsert: client.prepare(sql::UPSERT).map_err(fail)?,
            delete: client.prepare(sql::DELETE).map_err(fail)?,
            existing: client.prepare(sql::EXISTING).map_err(fail)?,
            records_of: client.prepare(sql::RECORDS_OF).map_err(fail)?,
            notify: client.prepare(sql::NOTIFY).map_err(fail)?,
            client,
            pid,
        })
    }

    /// Every record, oldest write first.
    fn all(&mut self, apply: &mut dyn FnMut(LeaseChange)) -> Result<Recovery, StoreError> {
        let rows = self
            .client
            .query(sql::ALL_RECORDS, &[])
            .map_err(|e| database("reading the leases", &e))?;
        Ok(leases(&rows, apply))
    }

    /// The addresses other servers announced since the last call. `wait`: how long to wait
    /// for the socket; the driver of the connection reads an idle socket only while it waits
    /// (after a statement, what arrived with its answer is read already).
    fn announced(&mut self, wait: Duration) -> Vec<IpAddr> {
        let own = self.pid;
        let mut addresses = Vec::new();
        let mut notifications = self.client.notifications();
        let mut pending: Box<dyn FallibleIterator<Item = _, Error = _>> = if wait.is_zero() {
            Box::new(notifications.iter())
        } else {
            Box::new(notifications.timeout_iter(wait))
        };
        while let Ok(Some(n)) = pending.next() {
            if n.process_id() == own || n.channel() != sql::CHANNEL {
                continue;
            }
            addresses.extend(
                n.payload()
                    .split(' ')
                    .filter_map(|a| a.parse::<Ipv4Addr>().ok())
                    .map(IpAddr::V4),
            );
        }
        addresses
    }

    /// The current records of `addresses` as changes: a record, or its removal.
    fn records_of(&mut self, addresses: &[IpAddr]) -> Result<Vec<LeaseChange>, StoreError> {
        let rows = self
            .client
            .query(&self.records_of, &[&addresses])
            .map_err(|e| database("reading changed leases", &e))?;
        let mut changes = Vec::new();
        leases(&rows, &mut |c| changes.push(c));
        let mut found: Vec<Ipv4Addr> = changes.iter().map(LeaseChange::address).collect();
        found.sort_unstable();
        let mut gone: Vec<Ipv4Addr> = addresses
            .iter()
            .filter_map(|a| row::v4(*a))
            .filter(|a| found.binary_search(a).is_err())
            .collect();
        gone.sort_unstable();
        gone.dedup();
        changes.extend(gone.into_iter().map(LeaseChange::Remove));
        Ok(changes)
    }

    /// Writes `changes` in one transaction; the positions rejected.
    /// `records` holds, at each position of a lease, its journal record (encoded at append).
    fn write(
        &mut self,
        changes: &[LeaseChange],
        records: &[Vec<u8>],
        server: &str,
    ) -> Result<Vec<usize>, StoreError> {
        let fail = |e: postgres::Error| database("commit", &e);
        let mut tx = self.client.transaction().map_err(fail)?;
        let mut rejected = Vec::new();
        let mut written: Vec<IpAddr> = Vec::new();
        for round in rounds(changes) {
            let mut columns = Columns::default();
            let mut upserted = Vec::new();
            let mut removed = Vec::new();
            for &position in &round {
                match changes.get(position) {
                    Some(LeaseChange::Set(lease)) => {
                        let record = records.get(position).cloned().unwrap_or_default();
                        columns.push(lease, record);
                        upserted.push(position);
                    }
                    Some(LeaseChange::Remove(address)) => removed.push((position, *address)),
                    None => {}
                }
            }
            let mut done: Vec<IpAddr> = Vec::new();
            if columns.len() > 0 {
                let rows = tx
                    .query(
                        &self.upsert,
                        &[
                            &columns.address,
                            &columns.state,
                            &columns.client,
                            &columns.hwaddr,
                            &columns.starts,
                            &columns.ends,
                            &columns.hostname,
                            &columns.record,
                            &server,
                        ],
                    )
                    .map_err(fail)?;
                done.extend(addresses(&rows));
            }
            if !removed.is_empty() {
                let wanted: Vec<IpAddr> = removed.iter().map(|(_, a)| IpAddr::V4(*a)).collect();
                let rows = tx.query(&self.delete, &[&wanted]).map_err(fail)?;
                let deleted: Vec<IpAddr> = addresses(&rows).collect();
                let left: Vec<IpAddr> = wanted
                    .iter()
                    .copied()
                    .filter(|a| !deleted.contains(a))
                    .collect();
                // A removal of an address without a record is done already; one whose record
                // is still there was refused.
                let rows = tx.query(&self.existing, &[&left]).map_err(fail)?;
                let existing: Vec<IpAddr> = addresses(&rows).collect();
                done.extend(wanted.into_iter().filter(|a| !existing.contains(a)));
            }
            done.sort_unstable();
            for &position in &round {
                let address = changes.get(position).map(|c| IpAddr::V4(c.address()));
                if address.is_some_and(|a| done.binary_search(&a).is_ok()) {
                    written.extend(address);
                } else {
                    rejected.push(position);
                }
            }
        }
        for payload in payloads(&written) {
            tx.execute(&self.notify, &[&payload]).map_err(fail)?;
        }
        tx.commit().map_err(fail)?;
        rejected.sort_unstable();
        Ok(rejected)
    }
}

/// The `address` column of `rows`.
fn addresses(rows: &[postgres::Row]) -> impl Iterator<Item = IpAddr> + '_ {
    rows.iter().filter_map(|r| r.try_get::<_, IpAddr>(0).ok())
}

/// The leases of rows of (address, record), each as a change to `apply`: how many, and how many
/// rows were skipped because their record does not read as a lease of their address (a row
/// changed by hand, say). A skipped row's address is left to the conditional write, which
/// reads its columns: a live binding there is never written over.
fn leases(rows: &[postgres::Row], apply: &mut dyn FnMut(LeaseChange)) -> Recovery {
    let mut recovery = Recovery::default();
    for r in rows {
        let lease = match (r.try_get::<_, IpAddr>(0), r.try_get::<_, &[u8]>(1)) {
            (Ok(address), Ok(bytes)) => row::lease(address, bytes).ok(),
            _ => None,
        };
        match lease {
            Some(lease) => {
                apply(LeaseChange::Set(lease));
                recovery.records += 1;
            }
            None => recovery.bad_records += 1,
        }
    }
    recovery
}

/// The positions of `changes` in rounds where no address appears twice, each address's
/// changes in order: one statement per round cannot change a row twice.
fn rounds(changes: &[LeaseChange]) -> Vec<Vec<usize>> {
    let mut seen: HashMap<Ipv4Addr, usize> = HashMap::new();
    let mut rounds: Vec<Vec<usize>> = Vec::new();
    for (position, change) in changes.iter().enumerate() {
        let round = seen.entry(change.address()).or_insert(0);
        if rounds.len() <= *round {
            rounds.push(Vec::new());
        }
        if let Some(r) = rounds.get_mut(*round) {
            r.push(position);
        }
        *round += 1;
    }
    rounds
}

/// `NOTIFY` payloads announcing `addresses`, space-separated, each within the size limit.
fn payloads(addresses: &[IpAddr]) -> Vec<String> {
    let mut payloads = vec![String::new()];
    for address in addresses {
        let text = address.to_string();
        if payloads
            .last()
            .is_some_and(|p| p.len() + text.len() + 1 > MAX_PAYLOAD)
        {
            payloads.push(String::new());
        }
        if let Some(p) = payloads.last_mut() {
            if !p.is_empty() {
                p.push(' ');
            }
            p.push_str(&text);
        }
    }
    payloads.retain(|p| !p.is_empty());
    payloads
}

impl PgStore {
    /// Connects to the database at `location` (a `postgresql://` URL or `key=value`
    /// connection string), brings its schema up to date, and replays every lease into `apply`.
    pub fn open(
        location: &str,
        options: PgOptions,
        apply: &mut dyn FnMut(LeaseChange),
    ) -> Result<(Self, Recovery), StoreError> {
        let config = config(location)?;
        let shown = redacted(location);
        let mut connection = Connection::open(&config, &shown, &options.server)?;
        let recovery = connection.all(apply)?;
        let store = Self {
            config,
            shown,
            options,
            connection: Some(connection),
            queued: Vec::new(),
            records: Vec::new(),
            by_others: Vec::new(),
            retry: (Instant::now(), BACKOFF.0),
            committed_since_poll: false,
            refused: StoreError::Database("not connected".into()),
        };
        Ok((store, recovery))
    }

    /// Replays every lease of the database at `location` into `apply`, changing nothing.
    pub fn read_only(
        location: &str,
        apply: &mut dyn FnMut(LeaseChange),
    ) -> Result<Recovery, StoreError> {
        let shown = redacted(location);
        let mut client = config(location)?
            .connect(NoTls)
            .map_err(|e| database(&shown, &e))?;
        let rows = client
            .query(sql::ALL_RECORDS, &[])
            .map_err(|e| database(&shown, &e))?;
        Ok(leases(&rows, apply))
    }

    /// The connection, made again if it was lost (no more often than the back-off allows);
    /// a new connection reads every record again, to report as changes by others.
    fn connected(&mut self) -> Result<&mut Connection, StoreError> {
        if self
            .connection
            .as_ref()
            .is_some_and(|c| c.client.is_closed())
        {
            self.connection = None;
        }
        if self.connection.is_none() {
            let (next, backoff) = self.retry;
            let now = Instant::now();
            if now < next {
                // The last attempt's error again: an outage is logged once, not once a commit.
                return Err(self.refused.clone());
            }
            match Connection::open(&self.config, &self.shown, &self.options.server) {
                Ok(mut connection) => {
                    let mut everything = Vec::new();
                    connection.all(&mut |c| everything.push(c))?;
                    self.by_others = everything;
                    self.retry = (now, BACKOFF.0);
                    self.connection = Some(connection);
                }
                Err(e) => {
                    self.retry = (now + backoff, (backoff * 2).min(BACKOFF.1));
                    self.refused = e.clone();
                    return Err(e);
                }
            }
        }
        self.connection
            .as_mut()
            .ok_or_else(|| StoreError::Database("not connected".into()))
    }

    /// Forgets a connection an error may have broken.
    fn check_connection(&mut self) {
        if self
            .connection
            .as_ref()
            .is_some_and(|c| c.client.is_closed())
        {
            self.connection = None;
        }
    }

    /// Reads what other servers announced into `by_others`. If that fails, the connection is
    /// given up, so that the next one reads every record: an announcement is never lost.
    fn read_announced(&mut self, wait: Duration) {
        let Some(connection) = self.connection.as_mut() else {
            return;
        };
        let addresses = connection.announced(wait);
        if addresses.is_empty() {
            return;
        }
        match connection.records_of(&addresses) {
            Ok(changes) => self.by_others.extend(changes),
            Err(_) => self.connection = None,
        }
    }
}

impl LeaseStore for PgStore {
    fn append(&mut self, change: &LeaseChange) -> Result<(), StoreError> {
        if change.is_durable() {
            // Encoded once, here: a change the reader would refuse is refused now.
            let mut record = Vec::new();
            if let LeaseChange::Set(_) = change {
                record::encode(change, &mut record).map_err(StoreError::Unwritable)?;
            }
            self.queued.push(change.clone());
            self.records.push(record);
        }
        Ok(())
    }

    fn commit(&mut self) -> Result<Committed, StoreError> {
        let changes = std::mem::take(&mut self.queued);
        let records = std::mem::take(&mut self.records);
        if changes.is_empty() {
            return Ok(Committed::default());
        }
        let server = self.options.server.clone();
        let result = self.connected()?.write(&changes, &records, &server);
        self.check_connection();
        let rejected = result?;
        self.read_announced(Duration::ZERO);
        self.committed_since_poll = true;
        Ok(Committed {
            rejected,
            unwritable: Vec::new(),
        })
    }

    fn servers(&mut self) -> Option<Vec<String>> {
        let connection = self.connected().ok()?;
        let rows = connection.client.query(sql::SERVERS, &[]);
        let Ok(rows) = rows else {
            self.check_connection();
            return None;
        };
        rows.iter().map(|r| r.try_get(0).ok()).collect()
    }

    fn poll_changes_by_others(&mut self) -> Vec<LeaseChange> {
        // An idle server reconnects too, so that it stays current.
        if self.connected().is_ok() {
            let wait = if std::mem::take(&mut self.committed_since_poll) {
                Duration::ZERO
            } else {
                IDLE_WAIT
            };
            self.read_announced(wait);
        }
        std::mem::take(&mut self.by_others)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(
            redacted("postgresql://dhcp:secret@db1,db2/leases?target_session_attrs=read-write"),
            "postgresql://dhcp:***@db1,db2/leases?target_session_attrs=read-write"
        );
        assert_eq!(
            redacted("postgresql://dhcp@db/leases"),
            "postgresql://dhcp@db/leases"
        );
        assert_eq!(redacted("postgresql:///leases"), "postgresql:///leases");
        assert_eq!(
            redacted("host=db user=dhcp password=secret dbname=leases"),
            "host=db user=dhcp password=*** dbname=leases"
        );
        assert_eq!(
            redacted("postgresql:///leases?password=secret&host=/run/pg"),
            "postgresql:///leases?password=***&host=/run/pg"
        );
    }

    #[test]
    fn an_address_changed_twice_takes_two_rounds() {
        let a = Ipv4Addr::new(198, 18, 0, 1);
        let b = Ipv4Addr::new(198, 18, 0, 2);
        let changes = [
            LeaseChange::Remove(a),
            LeaseChange::Remove(b),
            LeaseChange::Remove(a),
        ];
        assert_eq!(rounds(&changes), vec![vec![0, 1], vec![2]]);
    }

    #[test]
    fn announcements_fit_the_payload_limit() {
        let many: Vec<IpAddr> = (0..2000u32)
            .map(|i| IpAddr::V4(Ipv4Addr::from(0xc612_0000 + i)))
            .collect();
        let payloads = payloads(&many);
        assert!(payloads.len() > 1);
        assert!(payloads.iter().all(|p| p.len() <= MAX_PAYLOAD));
        let back: usize = payloads.iter().map(|p| p.split(' ').count()).sum();
        assert_eq!(back, many.len());
    }
}
