//! Leases in Kea's JSON (Kea: src/lib/dhcpsrv/lease.cc `Lease4::toElement`, and the lease_cmds
//! hook's `lease4-add` arguments): `ip-address`, `hw-address`, `client-id`, `valid-lft`,
//! `cltt`, `subnet-id`, `hostname`, `state` (0 assigned, 1 declined, 2 expired-reclaimed,
//! 3 released), `fqdn-fwd`, `fqdn-rev`.

use std::net::Ipv4Addr;

use charrua_server::{ClientKey, Config, Hardware, Lease, LeaseState};
use serde_json::{json, Map, Value};

/// A record's state as Kea numbers it; `None` for an offer (Kea stores none).
fn kea_state(state: LeaseState) -> Option<u8> {
    match state {
        LeaseState::Bound => Some(0),
        LeaseState::Declined => Some(1),
        LeaseState::Expired => Some(2),
        LeaseState::Released => Some(3),
        LeaseState::Offered => None,
    }
}

pub(super) fn colon_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Octets written as `01:02:0a`, `01-02-0a` or `01020a`.
pub(super) fn parse_hex(text: &str) -> Option<Vec<u8>> {
    let digits: String = text
        .chars()
        .filter(|c| !matches!(c, ':' | '-' | ' '))
        .collect();
    if digits.is_empty() || !digits.len().is_multiple_of(2) || digits.len() > 2 * 255 {
        return None;
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(digits.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Kea's subnet ID of `address` in `config` (see `charrua_engine::SubnetStats::id`).
pub(super) fn subnet_id(config: &Config, address: Ipv4Addr) -> Option<u32> {
    config.subnet_of(address).map(|s| s.0 + 1)
}

/// `lease` as Kea writes a lease; `None` for an offer.
pub(super) fn to_json(lease: &Lease, config: &Config) -> Option<Value> {
    let state = kea_state(lease.state)?;
    let hardware = match (&lease.client, &lease.hardware) {
        (ClientKey::Hardware { addr, .. }, _) => Some(colon_hex(addr)),
        (ClientKey::ClientId(_), Some(h)) => Some(colon_hex(h.addr())),
        (ClientKey::ClientId(_), None) => None,
    };
    let mut out = json!({
        "ip-address": lease.address.to_string(),
        "hw-address": hardware.unwrap_or_default(),
        "valid-lft": lease.ends.saturating_sub(lease.starts),
        "cltt": lease.starts,
        "subnet-id": subnet_id(config, lease.address).unwrap_or(0),
        "hostname": lease.hostname.as_deref().unwrap_or(""),
        "fqdn-fwd": false,
        "fqdn-rev": false,
        "state": state,
    });
    if let (ClientKey::ClientId(id), Some(map)) = (&lease.client, out.as_object_mut()) {
        map.insert("client-id".into(), Value::String(colon_hex(id)));
    }
    Some(out)
}

/// The client a request's `identifier-type` and `identifier` name (`lease4-get` by
/// `hw-address` or `client-id`).
pub(super) fn identifier(arguments: &Map<String, Value>) -> Result<ClientKey, String> {
    let kind = arguments
        .get("identifier-type")
        .and_then(Value::as_str)
        .ok_or("missing 'identifier-type' (hw-address or client-id)")?;
    let text = arguments
        .get("identifier")
        .and_then(Value::as_str)
        .ok_or("missing 'identifier'")?;
    let octets = parse_hex(text).ok_or_else(|| format!("'{text}' is not hexadecimal octets"))?;
    match kind {
        "hw-address" if octets.len() <= 16 => Ok(ClientKey::Hardware {
            htype: 1,
            addr: octets.into(),
        }),
        "client-id" => Ok(ClientKey::ClientId(octets.into())),
        "hw-address" => Err("a hardware address has at most 16 octets".into()),
        other => Err(format!(
            "identifier-type '{other}' is not supported (hw-address or client-id)"
        )),
    }
}

/// The address a request names in `ip-address`.
pub(super) fn address(arguments: &Map<String, Value>) -> Result<Ipv4Addr, String> {
    let text = arguments
        .get("ip-address")
        .and_then(Value::as_str)
        .ok_or("missing 'ip-address'")?;
    text.parse()
        .map_err(|_| format!("'{text}' is not an IPv4 address"))
}

fn number(arguments: &Map<String, Value>, key: &str) -> Result<Option<u64>, String> {
    match arguments.get(key) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| format!("'{key}' is not a non-negative integer")),
    }
}

/// Default lease time of ISC dhcpd when the configuration sets none (includes/dhcpd.h
/// `DEFAULT_DEFAULT_LEASE_TIME`, 43200 s).
const DEFAULT_LEASE_TIME: u64 = 43_200;

/// The lease `lease4-add` or `lease4-update` describes, at `now` (Unix seconds): the address
/// must be in a subnet of `config`; `hw-address` is required, `client-id` identifies the
/// client when given; `valid-lft` defaults to the subnet's `default-lease-time`; `expire`
/// (absolute) gives the end instead of `cltt + valid-lft`.
pub(super) fn from_json(
    arguments: &Map<String, Value>,
    config: &Config,
    now: u64,
) -> Result<Lease, String> {
    let address = address(arguments)?;
    let subnet = config
        .subnet_of(address)
        .ok_or_else(|| format!("{address} is in no configured subnet"))?;
    if let Some(id) = number(arguments, "subnet-id")? {
        if u64::from(subnet.0) + 1 != id {
            return Err(format!("{address} is in subnet {}, not {id}", subnet.0 + 1));
        }
    }
    let hw_text = arguments
        .get("hw-address")
        .and_then(Value::as_str)
        .ok_or("missing 'hw-address'")?;
    let hw = parse_hex(hw_text)
        .filter(|o| o.len() <= 16)
        .ok_or_else(|| format!("'{hw_text}' is not a hardware address"))?;
    let client_id = match arguments.get("client-id") {
        None => None,
        Some(v) => {
            let text = v.as_str().ok_or("'client-id' is not a string")?;
            Some(parse_hex(text).ok_or_else(|| format!("'{text}' is not hexadecimal octets"))?)
        }
    };
    let default_time = config
        .subnet(subnet)
        .and_then(|s| s.params.default_lease_time)
        .or(config.global.default_lease_time)
        .map_or(DEFAULT_LEASE_TIME, u64::from);
    let valid = number(arguments, "valid-lft")?.unwrap_or(default_time);
    let (starts, ends) = match number(arguments, "expire")? {
        Some(expire) => (expire.saturating_sub(valid), expire),
        None => {
            let cltt = number(arguments, "cltt")?.unwrap_or(now);
            (cltt, cltt.saturating_add(valid))
        }
    };
    let state = match number(arguments, "state")?.unwrap_or(0) {
        0 => LeaseState::Bound,
        1 => LeaseState::Declined,
        2 => LeaseState::Expired,
        3 => LeaseState::Released,
        other => return Err(format!("'state' {other} is not 0 to 3")),
    };
    let hostname = match arguments.get("hostname").and_then(Value::as_str) {
        Some(h) if !h.is_empty() => Some(h.into()),
        _ => None,
    };
    let hardware = Hardware::new(1, &hw);
    let (client, hardware) = match client_id {
        Some(id) => (ClientKey::ClientId(id.into()), hardware),
        None => (
            ClientKey::Hardware {
                htype: 1,
                addr: hw.into(),
            },
            None,
        ),
    };
    Ok(Lease {
        address,
        state,
        client,
        starts,
        ends,
        hostname,
        hardware,
        variables: Vec::new(),
        billing: None,
        agent_options: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::builder()
            .subnet("198.18.0.0/24".parse().unwrap(), |s| {
                s.range(Ipv4Addr::new(198, 18, 0, 10), Ipv4Addr::new(198, 18, 0, 20))
            })
            .build()
            .unwrap()
    }

    fn args(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn a_lease_goes_to_kea_json_and_back() {
        let config = config();
        let lease = from_json(
            &args(
                json!({"ip-address": "198.18.0.12", "hw-address": "02:00:00:00:00:01",
                "valid-lft": 600, "hostname": "pc1"}),
            ),
            &config,
            1_000,
        )
        .unwrap();
        assert_eq!((lease.starts, lease.ends), (1_000, 1_600));
        let out = to_json(&lease, &config).unwrap();
        assert_eq!(out["hw-address"], "02:00:00:00:00:01");
        assert_eq!(out["subnet-id"], 1);
        assert_eq!(out["valid-lft"], 600);
        assert_eq!(out["state"], 0);
        let with_id = from_json(
            &args(
                json!({"ip-address": "198.18.0.13", "hw-address": "02:00:00:00:00:02",
                "client-id": "01:02:00:00:00:00:02", "expire": 100_000}),
            ),
            &config,
            1_000,
        )
        .unwrap();
        assert_eq!(with_id.ends, 100_000);
        assert_eq!(with_id.ends - with_id.starts, DEFAULT_LEASE_TIME);
        assert_eq!(
            to_json(&with_id, &config).unwrap()["client-id"],
            "01:02:00:00:00:00:02"
        );
    }

    proptest::proptest! {
        /// Whatever the arguments' values, a lease or a reason, never a panic.
        #[test]
        fn any_arguments_get_a_lease_or_a_reason(
            ip in ".{0,20}", hw in ".{0,40}", id in ".{0,40}", valid in proptest::num::i64::ANY,
            expire in proptest::num::u64::ANY, state in proptest::num::i64::ANY,
        ) {
            let a = args(json!({"ip-address": ip, "hw-address": hw, "client-id": id,
                "valid-lft": valid, "expire": expire, "state": state}));
            let _ = from_json(&a, &config(), u64::MAX - 1);
            let _ = identifier(&a);
        }
    }

    #[test]
    fn bad_arguments_are_refused_with_a_reason() {
        let config = config();
        for bad in [
            json!({"hw-address": "02:00:00:00:00:01"}),
            json!({"ip-address": "198.18.1.5", "hw-address": "02:00:00:00:00:01"}),
            json!({"ip-address": "300.1.1.1", "hw-address": "02:00:00:00:00:01"}),
            json!({"ip-address": "198.18.0.12"}),
            json!({"ip-address": "198.18.0.12", "hw-address": "zz"}),
            json!({"ip-address": "198.18.0.12", "hw-address": "02:00", "valid-lft": -1}),
            json!({"ip-address": "198.18.0.12", "hw-address": "02:00", "state": 9}),
            json!({"ip-address": "198.18.0.12", "hw-address": "02:00", "subnet-id": 2}),
        ] {
            assert!(from_json(&args(bad.clone()), &config, 0).is_err(), "{bad}");
        }
        assert!(identifier(&args(
            json!({"identifier-type": "duid", "identifier": "01"})
        ))
        .is_err());
        assert_eq!(
            identifier(&args(
                json!({"identifier-type": "hw-address", "identifier": "02-00-00-00-00-01"})
            ))
            .unwrap(),
            ClientKey::Hardware {
                htype: 1,
                addr: vec![2, 0, 0, 0, 0, 1].into()
            }
        );
    }
}
