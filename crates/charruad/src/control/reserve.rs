//! `reservation-add`, `-get`, `-get-all` and `-del` (Kea's host_cmds hook), carried out on
//! the API thread: the serving loop takes the new host declarations (and refuses them if an
//! address is outside its subnet), then the file is written durably before the answer; if it
//! cannot be, the loop goes back to the old ones. Disk writes run on tokio's blocking pool, so
//! neither the loop nor the other API clients wait for the disk.

use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use super::message::{Code, Request, Response};
use super::reservations::{Reservation, Reservations};
use super::{Answer, Ask, Gate};
use crate::args::Args;

/// The file reservations are kept in: `--reservations`, else `charruad-reservations.json`
/// beside a lease file (none for a database: the flag names one).
fn path(args: &Args, leases: &Path, format: charrua_store::LeaseFormat) -> Option<PathBuf> {
    if let Some(path) = &args.reservations {
        return Some(path.clone());
    }
    if format == charrua_store::LeaseFormat::Postgresql {
        return None;
    }
    let dir = leases.parent().filter(|d| !d.as_os_str().is_empty());
    Some(
        dir.unwrap_or(Path::new("."))
            .join("charruad-reservations.json"),
    )
}

/// The reservations charruad serves and keeps, read at start.
pub(crate) fn open_reservations(
    args: &Args,
    leases: &Path,
    format: charrua_store::LeaseFormat,
) -> Result<Option<Reservations>, String> {
    path(args, leases, format)
        .map(|p| Reservations::open(&p))
        .transpose()
}

impl Gate {
    pub(super) async fn reservation(&self, request: &Request) -> Response {
        let Some(reservations) = &self.reservations else {
            return Response::error(
                "no reservations file: with a database lease store, give --reservations FILE",
            );
        };
        let mut reservations = reservations.lock().await;
        let a = &request.arguments;
        match request.command.as_str() {
            "reservation-get-all" => {
                let id = a.get("subnet-id").and_then(Value::as_u64);
                let hosts: Vec<Value> = reservations
                    .list
                    .iter()
                    .filter(|r| id.is_none_or(|id| r.subnet_id == Some(id)))
                    .map(Reservation::to_json)
                    .collect();
                Response::success(format!("{} IPv4 host(s) found.", hosts.len()))
                    .with(json!({ "hosts": hosts }))
            }
            "reservation-get" => match find(&reservations, a) {
                Ok(Some(i)) => Response::success("Host found.").with(
                    reservations
                        .list
                        .get(i)
                        .map_or(Value::Null, Reservation::to_json),
                ),
                Ok(None) => Response::empty("Host not found."),
                Err(e) => Response::error(e),
            },
            "reservation-add" => {
                let Some(Value::Object(r)) = a.get("reservation") else {
                    return Response::error("missing 'reservation' map");
                };
                let new = match Reservation::from_json(r) {
                    Ok(new) => new,
                    Err(e) => return Response::error(e),
                };
                if reservations.list.iter().any(|r| r.collides(&new)) {
                    return Response::new(
                        Code::Conflict,
                        "Host already exists (same address or same client).",
                    );
                }
                let mut next = reservations.clone();
                next.list.push(new);
                self.replace(&mut reservations, next, "Host added.").await
            }
            "reservation-del" => match find(&reservations, a) {
                Ok(Some(i)) => {
                    let mut next = reservations.clone();
                    next.list.remove(i);
                    self.replace(&mut reservations, next, "Host deleted.").await
                }
                Ok(None) => Response::empty("Host not deleted (not found)."),
                Err(e) => Response::error(e),
            },
            other => Response::unsupported(other),
        }
    }

    /// Serves `next`, keeps it durably, and makes it the current list.
    async fn replace(
        &self,
        current: &mut Reservations,
        next: Reservations,
        done: &str,
    ) -> Response {
        let served = self.serve_hosts(&next).await;
        if served.code != Code::Success {
            return served;
        }
        let saving = next.clone();
        let saved = tokio::task::spawn_blocking(move || saving.save())
            .await
            .unwrap_or_else(|e| Err(e.to_string()));
        if let Err(e) = saved {
            // Not kept: serve what is kept again.
            let _ = self.serve_hosts(current).await;
            return Response::error(format!("reservations not saved: {e}"));
        }
        *current = next;
        Response::success(done)
    }

    async fn serve_hosts(&self, reservations: &Reservations) -> Response {
        let ask = Ask::Hosts {
            declarations: reservations.declarations(),
            addresses: reservations
                .list
                .iter()
                .map(|r| (r.ip_address, r.subnet_id))
                .collect(),
        };
        match self.ask(ask).await {
            Ok(Answer::Response(r)) => r,
            Ok(Answer::Scrape(_)) => Response::error("internal: unexpected answer"),
            Err(r) => r,
        }
    }
}

/// The position of the reservation `selector` names.
fn find(
    reservations: &Reservations,
    selector: &Map<String, Value>,
) -> Result<Option<usize>, String> {
    for (i, r) in reservations.list.iter().enumerate() {
        if r.matches(selector)? {
            return Ok(Some(i));
        }
    }
    Ok(None)
}
