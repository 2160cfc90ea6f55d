//! Host reservations made at run time (Kea's `reservation-add`, `reservation-get`,
//! `reservation-del`): kept in a file of charruad's own (JSON, written whole to a temporary
//! file, synced and renamed over the old one, so a crash leaves the old or the new, never a
//! torn one), and served as dhcpd serves the hosts OMAPI adds: host declarations read after
//! the configuration, at its top level (see `charrua_conf::parse_config_with_hosts`).

use std::io::Write;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use super::leases::{colon_hex, parse_hex as octets};

/// One reservation: a client (by hardware address or client identifier) and its address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reservation {
    pub(crate) subnet_id: Option<u64>,
    pub(crate) hw_address: Option<Vec<u8>>,
    pub(crate) client_id: Option<Vec<u8>>,
    pub(crate) ip_address: Ipv4Addr,
    pub(crate) hostname: Option<String>,
}

/// Whether `name` is a host name dhcpd.conf can carry in quotes as it is (RFC 1123 letters,
/// digits, hyphens and dots).
fn plain_hostname(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
}

impl Reservation {
    /// A reservation from Kea's JSON (`reservation-add`'s `reservation`).
    pub(crate) fn from_json(r: &Map<String, Value>) -> Result<Self, String> {
        let text = |key: &str| r.get(key).and_then(Value::as_str);
        let ip_address = text("ip-address")
            .ok_or("a reservation needs 'ip-address' (charruad reserves addresses)")?
            .parse()
            .map_err(|_| "'ip-address' is not an IPv4 address".to_string())?;
        let hw_address = match text("hw-address") {
            Some(t) => Some(
                octets(t)
                    .filter(|o| o.len() <= 16)
                    .ok_or_else(|| format!("'{t}' is not a hardware address"))?,
            ),
            None => None,
        };
        let client_id = match text("client-id") {
            Some(t) => Some(octets(t).ok_or_else(|| format!("'{t}' is not hexadecimal octets"))?),
            None => None,
        };
        if hw_address.is_none() == client_id.is_none() {
            return Err("a reservation needs one of 'hw-address' and 'client-id'".into());
        }
        let hostname = match text("hostname") {
            Some(h) if plain_hostname(h) => Some(h.to_string()),
            Some(h) => return Err(format!("'{h}' is not a host name")),
            None => None,
        };
        Ok(Self {
            subnet_id: r.get("subnet-id").and_then(Value::as_u64),
            hw_address,
            client_id,
            ip_address,
            hostname,
        })
    }

    pub(crate) fn to_json(&self) -> Value {
        let mut out = json!({ "ip-address": self.ip_address.to_string() });
        if let Some(map) = out.as_object_mut() {
            if let Some(id) = self.subnet_id {
                map.insert("subnet-id".into(), json!(id));
            }
            if let Some(hw) = &self.hw_address {
                map.insert("hw-address".into(), json!(colon_hex(hw)));
            }
            if let Some(id) = &self.client_id {
                map.insert("client-id".into(), json!(colon_hex(id)));
            }
            if let Some(h) = &self.hostname {
                map.insert("hostname".into(), json!(h));
            }
        }
        out
    }

    /// The reservation as a dhcpd.conf host declaration.
    fn declaration(&self) -> String {
        let mut out = format!("host charrua-reservation-{} {{", self.ip_address);
        if let Some(hw) = &self.hw_address {
            out.push_str(&format!(" hardware ethernet {};", colon_hex(hw)));
        }
        if let Some(id) = &self.client_id {
            out.push_str(&format!(
                " option dhcp-client-identifier {};",
                colon_hex(id)
            ));
        }
        out.push_str(&format!(" fixed-address {};", self.ip_address));
        if let Some(h) = &self.hostname {
            out.push_str(&format!(" option host-name \"{h}\";"));
        }
        out.push_str(" }\n");
        out
    }

    /// Whether a `reservation-get` or `-del` selector (`ip-address`, or `identifier-type` and
    /// `identifier`, with `subnet-id` when given) names this reservation.
    pub(crate) fn matches(&self, selector: &Map<String, Value>) -> Result<bool, String> {
        if let Some(id) = selector.get("subnet-id").and_then(Value::as_u64) {
            if self.subnet_id.is_some_and(|s| s != id) {
                return Ok(false);
            }
        }
        if let Some(ip) = selector.get("ip-address").and_then(Value::as_str) {
            let ip: Ipv4Addr = ip
                .parse()
                .map_err(|_| format!("'{ip}' is not an IPv4 address"))?;
            return Ok(ip == self.ip_address);
        }
        let kind = selector
            .get("identifier-type")
            .and_then(Value::as_str)
            .ok_or("give 'ip-address', or 'identifier-type' and 'identifier'")?;
        let value = selector
            .get("identifier")
            .and_then(Value::as_str)
            .and_then(octets)
            .ok_or("missing or malformed 'identifier'")?;
        match kind {
            "hw-address" => Ok(self.hw_address.as_ref() == Some(&value)),
            "client-id" => Ok(self.client_id.as_ref() == Some(&value)),
            other => Err(format!(
                "identifier-type '{other}' is not supported (hw-address or client-id)"
            )),
        }
    }

    /// Whether it reserves the same address or for the same client as `other`.
    pub(crate) fn collides(&self, other: &Self) -> bool {
        self.ip_address == other.ip_address
            || (self.hw_address.is_some() && self.hw_address == other.hw_address)
            || (self.client_id.is_some() && self.client_id == other.client_id)
    }
}

/// The reservations and the file they are kept in.
#[derive(Debug, Clone)]
pub(crate) struct Reservations {
    path: PathBuf,
    pub(crate) list: Vec<Reservation>,
}

impl Reservations {
    /// Reads the file at `path` (none yet: no reservations).
    pub(crate) fn open(path: &Path) -> Result<Self, String> {
        let list = match std::fs::read(path) {
            Ok(bytes) => {
                let value: Value = serde_json::from_slice(&bytes)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                value
                    .get("reservations")
                    .and_then(Value::as_array)
                    .ok_or_else(|| format!("{}: no \"reservations\" list", path.display()))?
                    .iter()
                    .map(|r| {
                        r.as_object()
                            .ok_or_else(|| "a reservation is not a map".to_string())
                            .and_then(Reservation::from_json)
                            .map_err(|e| format!("{}: {e}", path.display()))
                    })
                    .collect::<Result<_, _>>()?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        Ok(Self {
            path: path.to_path_buf(),
            list,
        })
    }

    /// Every reservation as dhcpd.conf host declarations.
    pub(crate) fn declarations(&self) -> String {
        self.list.iter().map(Reservation::declaration).collect()
    }

    /// Writes the list durably: a temporary file beside it, synced, renamed over it, and the
    /// directory synced (durability rule D2: the rename is durable only then).
    pub(crate) fn save(&self) -> Result<(), String> {
        let fail = |e: std::io::Error| format!("{}: {e}", self.path.display());
        let text = json!({
            "comment": "charruad's host reservations, written by its control API (reservation-add, reservation-del)",
            "reservations": self.list.iter().map(Reservation::to_json).collect::<Vec<_>>(),
        });
        let mut temporary = self.path.clone().into_os_string();
        temporary.push(".new");
        let temporary = PathBuf::from(temporary);
        let mut file = std::fs::File::create(&temporary).map_err(fail)?;
        file.write_all(format!("{text:#}\n").as_bytes())
            .map_err(fail)?;
        file.sync_all().map_err(fail)?;
        std::fs::rename(&temporary, &self.path).map_err(fail)?;
        let dir = self
            .path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(fail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reservation(v: Value) -> Result<Reservation, String> {
        Reservation::from_json(v.as_object().unwrap())
    }

    #[test]
    fn reservations_survive_a_save_and_become_host_declarations() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("reservations.json");
        let mut r = Reservations::open(&path).unwrap();
        assert!(r.list.is_empty());
        r.list.push(
            reservation(json!({"subnet-id": 1, "hw-address": "02:00:00:00:00:09",
                "ip-address": "198.18.0.9", "hostname": "printer"}))
            .unwrap(),
        );
        r.save().unwrap();
        let again = Reservations::open(&path).unwrap();
        assert_eq!(again.list, r.list);
        assert_eq!(
            again.declarations(),
            "host charrua-reservation-198.18.0.9 { hardware ethernet 02:00:00:00:00:09; fixed-address 198.18.0.9; option host-name \"printer\"; }\n"
        );
        let sel = json!({"identifier-type": "hw-address", "identifier": "02-00-00-00-00-09"});
        assert_eq!(again.list[0].matches(sel.as_object().unwrap()), Ok(true));
    }

    #[test]
    fn bad_reservations_and_files_are_refused() {
        for bad in [
            json!({"hw-address": "02:00:00:00:00:09"}),
            json!({"ip-address": "198.18.0.9"}),
            json!({"ip-address": "198.18.0.9", "hw-address": "02", "client-id": "01"}),
            json!({"ip-address": "198.18.0.9", "hw-address": "02", "hostname": "a\"; }"}),
        ] {
            assert!(reservation(bad.clone()).is_err(), "{bad}");
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        std::fs::write(&path, "garbage").unwrap();
        assert!(Reservations::open(&path).is_err());
    }
}
