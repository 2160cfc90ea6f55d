//! The schema and the statements of the PostgreSQL lease store.
//!
//! One row per address (`charrua_lease4`, primary key the address, as Kea's `lease4`), with
//! the lease's journal record (`record`, everything charrua keeps of it, see
//! [`crate::record`]) and, beside it, the columns the conditional write and operators need:
//! state, client, hardware address, times as Unix seconds, host name, the server that wrote it
//! last and a sequence number for every write.

/// The schema version this build writes; the database's is in `charrua_schema`.
pub(crate) const SCHEMA_VERSION: i32 = 1;

/// Migrations, the one at index `i` taking the schema from version `i` to `i + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[r"
CREATE SEQUENCE charrua_lease4_seq;
CREATE TABLE charrua_lease4 (
    address inet PRIMARY KEY,
    state text NOT NULL CHECK (state IN ('bound', 'released', 'expired', 'declined')),
    -- The client key: 0 then the client identifier (option 61), or 1, htype, the address.
    client bytea NOT NULL,
    hwaddr bytea,
    starts bigint NOT NULL,
    ends bigint NOT NULL,
    hostname text,
    record bytea NOT NULL,
    server text NOT NULL,
    seq bigint NOT NULL
);
CREATE INDEX charrua_lease4_client ON charrua_lease4 (client);
CREATE INDEX charrua_lease4_hwaddr ON charrua_lease4 (hwaddr);
CREATE INDEX charrua_lease4_ends ON charrua_lease4 (ends);
CREATE TABLE charrua_server (
    name text PRIMARY KEY,
    started timestamptz NOT NULL DEFAULT now()
);
"];

/// Serializes schema changes of servers starting together.
pub(crate) const LOCK: &str = "SELECT pg_advisory_xact_lock(7304518101)";

pub(crate) const CREATE_VERSION_TABLE: &str =
    "CREATE TABLE IF NOT EXISTS charrua_schema (version integer NOT NULL)";

pub(crate) const VERSION: &str = "SELECT max(version) FROM charrua_schema";

pub(crate) const SET_VERSION: &str = "INSERT INTO charrua_schema (version) VALUES ($1)";

pub(crate) const REGISTER: &str = "INSERT INTO charrua_server (name) VALUES ($1) \
     ON CONFLICT (name) DO UPDATE SET started = now()";

pub(crate) const SERVERS: &str = "SELECT name FROM charrua_server ORDER BY name";

/// A record is live while it is a binding or a decline that has not run out by the database's
/// clock (`shared::is_live`).
macro_rules! live {
    ($t:literal) => {
        concat!(
            "(",
            $t,
            ".state IN ('bound', 'declined') AND ",
            $t,
            ".ends > floor(extract(epoch FROM clock_timestamp()))::bigint)"
        )
    };
}

/// Writes the leases of `$1`..`$8` (arrays, one element per lease, no address twice), each
/// only where `shared::may_write` allows it; returns the addresses written. `$9`: this server.
pub(crate) const UPSERT: &str = concat!(
    "INSERT INTO charrua_lease4 AS l \
       (address, state, client, hwaddr, starts, ends, hostname, record, server, seq) \
     SELECT a, s, c, h, st, e, n, r, $9, nextval('charrua_lease4_seq') \
     FROM unnest($1::inet[], $2::text[], $3::bytea[], $4::bytea[], $5::int8[], $6::int8[], \
                 $7::text[], $8::bytea[]) AS t(a, s, c, h, st, e, n, r) \
     ON CONFLICT (address) DO UPDATE SET \
       state = EXCLUDED.state, client = EXCLUDED.client, hwaddr = EXCLUDED.hwaddr, \
       starts = EXCLUDED.starts, ends = EXCLUDED.ends, hostname = EXCLUDED.hostname, \
       record = EXCLUDED.record, server = EXCLUDED.server, seq = EXCLUDED.seq \
     WHERE NOT ",
    live!("l"),
    " OR (l.client = EXCLUDED.client AND \
          (EXCLUDED.state IN ('bound', 'released', 'declined') OR l.starts <= EXCLUDED.starts)) \
     RETURNING address"
);

/// Deletes the records of the addresses `$1` that are not live; returns those deleted.
pub(crate) const DELETE: &str = concat!(
    "DELETE FROM charrua_lease4 AS l WHERE l.address = ANY($1::inet[]) AND NOT ",
    live!("l"),
    " RETURNING address"
);

/// Which of the addresses `$1` have a record.
pub(crate) const EXISTING: &str =
    "SELECT address FROM charrua_lease4 WHERE address = ANY($1::inet[])";

/// The records of the addresses `$1`.
pub(crate) const RECORDS_OF: &str =
    "SELECT address, record FROM charrua_lease4 WHERE address = ANY($1::inet[]) ORDER BY seq";

/// Every record, in the order they were written.
pub(crate) const ALL_RECORDS: &str = "SELECT address, record FROM charrua_lease4 ORDER BY seq";

/// The channel the servers announce their writes on.
pub(crate) const CHANNEL: &str = "charrua_lease4";

pub(crate) const LISTEN: &str = "LISTEN charrua_lease4";

pub(crate) const NOTIFY: &str = "SELECT pg_notify('charrua_lease4', $1)";

/// The session's `synchronous_commit`: `off` or `local` would return from a commit before it
/// is durable (on the standbys, for `local`), so the session then sets it `on`; a stronger
/// setting of the site (`remote_write`, `remote_apply`) is kept.
pub(crate) const SHOW_SYNCHRONOUS: &str = "SHOW synchronous_commit";

pub(crate) const SET_SYNCHRONOUS: &str = "SET synchronous_commit = on";
