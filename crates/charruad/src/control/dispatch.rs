//! Carrying out commands against the server's state, in the serving loop. Each command costs
//! the loop one look-up, one page of leases, or a few changes; a change to leases is answered
//! once the commit holding it is durable ([`Handled::AfterCommit`]).

use std::net::Ipv4Addr;
use std::path::Path;
use std::time::Instant;

use charrua_engine::{Engine, Now};
use charrua_server::{LeaseChange, LeaseState};
use serde_json::{json, Map, Value};

use super::leases;
use super::message::{Code, Request, Response};
use crate::metrics::{kea_timestamp, StoreState};

/// The commands charruad takes, as Kea lists them.
pub(crate) const COMMANDS: [&str; 27] = [
    "build-report",
    "config-get",
    "config-reload",
    "config-test",
    "leases-reclaim",
    "lease4-add",
    "lease4-del",
    "lease4-get",
    "lease4-get-all",
    "lease4-get-by-client-id",
    "lease4-get-by-hw-address",
    "lease4-get-page",
    "lease4-update",
    "lease4-wipe",
    "list-commands",
    "reservation-add",
    "reservation-del",
    "reservation-get",
    "reservation-get-all",
    "shutdown",
    "statistic-get",
    "statistic-get-all",
    "statistic-reset",
    "statistic-reset-all",
    "status-get",
    "subnet4-list",
    "version-get",
];

/// Answers the commands that need no server state (on the API thread).
pub(super) fn stateless(request: &Request) -> Option<Response> {
    let version = concat!("charruad ", env!("CARGO_PKG_VERSION"));
    match request.command.as_str() {
        "list-commands" => Some(Response::success("").with(json!(COMMANDS))),
        "version-get" => {
            Some(Response::success(env!("CARGO_PKG_VERSION")).with(json!({ "extended": version })))
        }
        "build-report" => Some(Response::success(version)),
        c if !COMMANDS.contains(&c) => Some(Response::unsupported(c)),
        _ => None,
    }
}

/// What the serving loop does with a command.
#[derive(Debug)]
pub(crate) enum Handled {
    /// Answer at once.
    Now(Response),
    /// Answer `success` once the changes handed to the engine with `token` are durable (or
    /// an error if they are not).
    AfterCommit { token: u64, success: Response },
    /// Reload the configuration, then answer.
    Reload,
    /// Answer, then stop serving.
    Shutdown(Response),
}

/// A command whose answer waits for a commit.
#[derive(Debug)]
pub(crate) struct Pending {
    pub(crate) token: u64,
    pub(crate) success: Response,
    pub(crate) reply: tokio::sync::oneshot::Sender<super::Answer>,
}

/// What a command sees of the server.
pub(crate) struct Dispatch<'a> {
    pub(crate) engine: &'a mut Engine,
    pub(crate) now: Now,
    pub(crate) started: Instant,
    pub(crate) reloaded: Instant,
    pub(crate) config_path: &'a Path,
    pub(crate) store: &'a str,
    pub(crate) store_state: StoreState,
    /// The token for the next change.
    pub(crate) token: u64,
}

/// Most leases a page holds.
pub(super) const MAX_PAGE: usize = 10_000;

impl Dispatch<'_> {
    /// Carries out `request`.
    pub(crate) fn run(&mut self, request: &Request) -> Handled {
        let a = &request.arguments;
        let result = match request.command.as_str() {
            "status-get" => Ok(self.status()),
            "config-get" => Ok(self.config_get()),
            "config-reload" => return Handled::Reload,
            "shutdown" => return Handled::Shutdown(Response::success("Shutting down.")),
            "statistic-get" => self.statistic_get(a),
            "statistic-get-all" => Ok(self.statistics(None)),
            "statistic-reset" => self.statistic_reset(a),
            "statistic-reset-all" => {
                self.engine.reset_statistics();
                Ok(Response::success("All statistics reset to neutral values."))
            }
            "subnet4-list" => Ok(self.subnets()),
            "lease4-get" => self.lease_get(a),
            "lease4-get-by-hw-address" => self.lease_get_by(a, "hw-address"),
            "lease4-get-by-client-id" => self.lease_get_by(a, "client-id"),
            "lease4-get-page" | "lease4-get-all" => self.lease_page(a),
            "lease4-add" => return self.lease_add(a, false),
            "lease4-update" => return self.lease_add(a, true),
            "lease4-del" => return self.lease_del(a),
            "lease4-wipe" => return self.lease_wipe(a),
            "leases-reclaim" => {
                let token = self.token;
                let count = self.engine.handle_reclaim(self.now, token);
                return Handled::AfterCommit {
                    token,
                    success: Response::success(format!(
                        "Reclamation of expired leases is complete ({count} record(s) ended)."
                    )),
                };
            }
            other => Err(Response::unsupported(other)),
        };
        Handled::Now(result.unwrap_or_else(|e| e))
    }

    fn status(&self) -> Response {
        Response::success("").with(json!({
            "pid": std::process::id(),
            "uptime": self.started.elapsed().as_secs(),
            "reload": self.reloaded.elapsed().as_secs(),
            "multi-threading-enabled": false,
            "lease-store": { "location": self.store, "state": self.store_state.name() },
            "leases": self.engine.db().len(),
        }))
    }

    fn config_get(&self) -> Response {
        Response::success("").with(json!({ "Charrua": {
            "config-file": self.config_path.display().to_string(),
            "understood": crate::print::render(self.engine.config()),
        }}))
    }

    /// Kea's `statistic-get-all` (or `statistic-get` of `name`): `{NAME: [[VALUE, TIME]]}`.
    fn statistics(&self, name: Option<&str>) -> Response {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let stamp = kea_timestamp(now.as_secs(), now.subsec_micros());
        let map: Map<String, Value> = self
            .engine
            .statistics()
            .by_name()
            .into_iter()
            .filter(|(n, _)| name.is_none_or(|want| n == want))
            .map(|(n, v)| (n, json!([[v, stamp]])))
            .collect();
        Response::success(if name.is_some() {
            ""
        } else {
            "All statistics."
        })
        .with(Value::Object(map))
    }

    fn statistic_get(&self, a: &Map<String, Value>) -> Result<Response, Response> {
        let name = a
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| Response::error("missing 'name'"))?;
        Ok(self.statistics(Some(name)))
    }

    fn statistic_reset(&mut self, a: &Map<String, Value>) -> Result<Response, Response> {
        let name = a
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| Response::error("missing 'name'"))?;
        if self.engine.reset_statistic(name) {
            Ok(Response::success(format!("Statistic '{name}' reset.")))
        } else {
            Err(Response::error(format!(
                "No '{name}' statistic found (or it is a size, not a counter)."
            )))
        }
    }

    /// Kea's `subnet4-list`: what Stork reads to label subnets.
    fn subnets(&self) -> Response {
        let subnets: Vec<Value> = self
            .engine
            .statistics()
            .subnets
            .iter()
            .map(|s| json!({ "id": s.id, "subnet": s.prefix.to_string() }))
            .collect();
        Response::success(format!("{} IPv4 subnets found", subnets.len()))
            .with(json!({ "subnets": subnets }))
    }

    fn found(&self, lease: Option<&charrua_server::Lease>) -> Result<Response, Response> {
        lease
            .and_then(|l| leases::to_json(l, self.engine.config()))
            .map(|l| Response::success("IPv4 lease found.").with(l))
            .ok_or_else(|| Response::empty("Lease not found."))
    }

    fn lease_get(&self, a: &Map<String, Value>) -> Result<Response, Response> {
        if a.contains_key("ip-address") {
            let address = leases::address(a).map_err(Response::error)?;
            return self.found(self.engine.db().get(address));
        }
        let client = leases::identifier(a).map_err(Response::error)?;
        let subnet = a.get("subnet-id").and_then(Value::as_u64);
        let config = self.engine.config();
        let lease = self.engine.db().by_client(&client).find(|l| {
            l.state != LeaseState::Offered
                && subnet.is_none_or(|s| leases::subnet_id(config, l.address) == Some(s as u32))
        });
        self.found(lease)
    }

    /// `lease4-get-by-hw-address` / `-by-client-id`: every lease of the client.
    fn lease_get_by(&self, a: &Map<String, Value>, kind: &str) -> Result<Response, Response> {
        let text = a
            .get(kind)
            .and_then(Value::as_str)
            .ok_or_else(|| Response::error(format!("missing '{kind}'")))?;
        let mut ask = Map::new();
        ask.insert("identifier-type".into(), json!(kind));
        ask.insert("identifier".into(), json!(text));
        let client = leases::identifier(&ask).map_err(Response::error)?;
        let config = self.engine.config();
        let found: Vec<Value> = self
            .engine
            .db()
            .by_client(&client)
            .filter_map(|l| leases::to_json(l, config))
            .collect();
        leases_found(found)
    }

    /// `lease4-get-page` (`from` an address or `start`, `limit` leases, in address order) and
    /// `lease4-get-all` (optionally of `subnets`), a page of which the API thread asks one at
    /// a time.
    fn lease_page(&self, a: &Map<String, Value>) -> Result<Response, Response> {
        let from = match a.get("from").and_then(Value::as_str) {
            None | Some("start") => None,
            Some(text) => Some(text.parse::<Ipv4Addr>().map_err(|_| {
                Response::error(format!("'from' {text} is not an IPv4 address or start"))
            })?),
        };
        let limit = match a.get("limit") {
            None => MAX_PAGE,
            Some(v) => v
                .as_u64()
                .filter(|l| *l > 0)
                .ok_or_else(|| Response::error("'limit' is not a positive integer"))?
                .min(MAX_PAGE as u64) as usize,
        };
        let subnets: Option<Vec<u64>> = match a.get("subnets") {
            None => None,
            Some(v) => Some(
                v.as_array()
                    .map(|ids| ids.iter().filter_map(Value::as_u64).collect())
                    .ok_or_else(|| Response::error("'subnets' is not a list of subnet IDs"))?,
            ),
        };
        let config = self.engine.config();
        // The `limit` lowest addresses after `from`: one pass with a bounded heap.
        let mut page = std::collections::BinaryHeap::new();
        for lease in self.engine.db().iter() {
            if lease.state == LeaseState::Offered || from.is_some_and(|f| lease.address <= f) {
                continue;
            }
            if let Some(ids) = &subnets {
                let id = leases::subnet_id(config, lease.address).map(u64::from);
                if !id.is_some_and(|id| ids.contains(&id)) {
                    continue;
                }
            }
            page.push(lease.address);
            if page.len() > limit {
                page.pop();
            }
        }
        let db = self.engine.db();
        let found: Vec<Value> = page
            .into_sorted_vec()
            .into_iter()
            .filter_map(|address| db.get(address))
            .filter_map(|l| leases::to_json(l, config))
            .collect();
        let count = found.len();
        leases_found(found).map(|r| {
            let mut r = r;
            if let Some(Value::Object(map)) = r.arguments.as_mut() {
                map.insert("count".into(), json!(count));
            }
            r
        })
    }

    fn change(&mut self, changes: &[LeaseChange], success: Response) -> Handled {
        let token = self.token;
        self.engine.handle_admin(changes, token);
        Handled::AfterCommit { token, success }
    }

    /// `lease4-add` (`update` false: the address must hold no lease in use) and
    /// `lease4-update` (the address must hold a lease, unless `force-create`).
    fn lease_add(&mut self, a: &Map<String, Value>, update: bool) -> Handled {
        let lease = match leases::from_json(a, self.engine.config(), self.now.unix) {
            Ok(l) => l,
            Err(e) => return Handled::Now(Response::error(e)),
        };
        let existing = self.engine.db().get(lease.address);
        let force = a
            .get("force-create")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if update && existing.is_none_or(|l| l.state == LeaseState::Offered) && !force {
            return Handled::Now(Response::empty(format!(
                "failed to update the lease with address {}: no such lease",
                lease.address
            )));
        }
        if !update && existing.is_some_and(|l| l.occupies(self.now.unix)) {
            return Handled::Now(Response::new(
                Code::Conflict,
                format!("IPv4 lease already exists for {}.", lease.address),
            ));
        }
        if self.engine.is_uncommitted(lease.address) && update {
            return Handled::Now(Response::new(
                Code::Conflict,
                format!(
                    "{} is being changed by DHCP traffic right now; try again",
                    lease.address
                ),
            ));
        }
        let text = if update {
            "IPv4 lease updated.".to_string()
        } else {
            format!(
                "Lease for address {}, subnet-id {} added.",
                lease.address,
                leases::subnet_id(self.engine.config(), lease.address).unwrap_or(0)
            )
        };
        self.change(&[LeaseChange::Set(lease)], Response::success(text))
    }

    fn lease_del(&mut self, a: &Map<String, Value>) -> Handled {
        let found = match self.lease_get(a) {
            Ok(r) => r,
            Err(e) => return Handled::Now(e),
        };
        let address = found
            .arguments
            .as_ref()
            .and_then(|l| l.get("ip-address"))
            .and_then(Value::as_str)
            .and_then(|t| t.parse().ok());
        match address {
            Some(address) => self.change(
                &[LeaseChange::Remove(address)],
                Response::success("IPv4 lease deleted."),
            ),
            None => Handled::Now(Response::empty("IPv4 lease not found.")),
        }
    }

    /// `lease4-wipe`: every lease (of `subnet-id`, when given) deleted.
    fn lease_wipe(&mut self, a: &Map<String, Value>) -> Handled {
        let subnet = a.get("subnet-id").and_then(Value::as_u64);
        let config = self.engine.config();
        let changes: Vec<LeaseChange> = self
            .engine
            .db()
            .iter()
            .filter(|l| l.state != LeaseState::Offered)
            .filter(|l| {
                subnet.is_none_or(|s| leases::subnet_id(config, l.address) == Some(s as u32))
            })
            .map(|l| LeaseChange::Remove(l.address))
            .collect();
        if changes.is_empty() {
            return Handled::Now(Response::empty("Deleted 0 IPv4 lease(s)."));
        }
        let text = format!("Deleted {} IPv4 lease(s).", changes.len());
        self.change(&changes, Response::success(text))
    }
}

/// Kea's answer listing leases: `{"leases": [...]}`, result 3 when there are none.
fn leases_found(found: Vec<Value>) -> Result<Response, Response> {
    let text = format!("{} IPv4 lease(s) found.", found.len());
    if found.is_empty() {
        Err(Response::empty(text).with(json!({ "leases": [] })))
    } else {
        Ok(Response::success(text).with(json!({ "leases": found })))
    }
}

/// Checks a dhcpd.conf (`config-file`, else the one served) as `charruad -t` does.
pub(super) fn config_test(served: &Path, a: &Map<String, Value>) -> Response {
    let path = a
        .get("config-file")
        .and_then(Value::as_str)
        .map_or_else(|| served.to_path_buf(), Into::into);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => return Response::error(format!("can't open {}: {e}", path.display())),
    };
    let lowered = charrua_conf::parse_config(
        &path.display().to_string(),
        text,
        &mut crate::FileLoader { resolve: false },
    );
    let diagnostics: Vec<String> = lowered
        .summary()
        .into_iter()
        .map(|(d, count)| crate::log::diagnostic(d, count, &lowered.sources))
        .collect();
    if lowered.config.is_some() {
        Response::success(format!(
            "Configuration seems sane ({} warning(s)).",
            diagnostics.len()
        ))
        .with(json!({ "warnings": diagnostics }))
    } else {
        Response::error(diagnostics.join("\n"))
    }
}
