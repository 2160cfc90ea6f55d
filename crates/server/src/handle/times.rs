//! Lease, renewal and rebinding times (RFC 2131 sections 3.3, 4.3.1 and 4.4.5).

use charrua_wire::OptionCode;

use crate::config::Params;

/// ISC dhcpd's defaults when nothing is configured (includes/dhcpd.h).
const DEFAULT_LEASE: u32 = 43_200;
const DEFAULT_MAX_LEASE: u32 = 86_400;
const DEFAULT_MIN_LEASE: u32 = 300;
/// RFC 2131 section 3.3: 0xffffffff is infinity.
pub(crate) const INFINITE: u32 = u32::MAX;

/// The lease time to grant (item 38): what the client asked for (option 51), else what is left
/// of its current binding, else the default; cut to the maximum, then raised to the minimum,
/// in dhcpd's order (server/dhcp.c `ack_lease`): the minimum is 300 seconds unless configured
/// (never above the maximum then), and a configured minimum above the maximum wins.
pub(crate) fn lease_time(params: &Params, requested: Option<u32>, remaining: Option<u32>) -> u32 {
    let max = params.max_lease_time.unwrap_or(DEFAULT_MAX_LEASE);
    let min = params.min_lease_time.unwrap_or(DEFAULT_MIN_LEASE.min(max));
    let default = params.default_lease_time.unwrap_or(DEFAULT_LEASE);
    let time = requested.or(remaining).unwrap_or(default).min(max);
    if time >= min {
        time
    } else if min > 0 {
        min
    } else {
        default
    }
}

/// When a state of `seconds` starting at `now` ends; infinite never ends (class B22).
pub(crate) fn ends(now: u64, seconds: u32) -> u64 {
    if seconds == INFINITE {
        u64::MAX
    } else {
        now.saturating_add(u64::from(seconds))
    }
}

/// Seconds left until `ends` at `now`, as a lease time.
pub(crate) fn remaining(ends: u64, now: u64) -> u32 {
    if ends == u64::MAX {
        INFINITE
    } else {
        u32::try_from(ends.saturating_sub(now)).unwrap_or(INFINITE - 1)
    }
}

/// T1 and T2 (options 58, 59) as dhcpd sends them (server/dhcp.c `ack_lease`): only where
/// configured (the builder's `renewal_time` and `rebinding_time`, or `option dhcp-renewal-time`
/// and `option dhcp-rebinding-time`); T2 is dropped unless below the lease time, T1 unless below
/// T2 (the lease time when no T2 is sent). A client without them takes RFC 2131 section 4.4.5's
/// defaults, 0.5 and 0.875 of the lease (items 54-56).
pub(crate) fn renew_rebind(params: &Params, lease: u32) -> (Option<u32>, Option<u32>) {
    let configured = |field: Option<u32>, code: OptionCode| {
        field.or_else(|| {
            params
                .options
                .get(code)
                .and_then(|v| <[u8; 4]>::try_from(v).ok())
                .map(u32::from_be_bytes)
        })
    };
    let t2 = configured(params.rebinding_time, OptionCode::REBINDING_TIME).filter(|t| *t < lease);
    let t1 = configured(params.renewal_time, OptionCode::RENEWAL_TIME)
        .filter(|t| *t < t2.unwrap_or(lease));
    (t1, t2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_unless_configured_as_dhcpd() {
        assert_eq!(renew_rebind(&Params::default(), 3600), (None, None));
        assert_eq!(renew_rebind(&Params::default(), INFINITE), (None, None));
    }

    #[test]
    fn configured_times_are_sent_while_below_the_lease_and_t1_below_t2() {
        let both = |t1, t2| Params {
            renewal_time: Some(t1),
            rebinding_time: Some(t2),
            ..Params::default()
        };
        assert_eq!(renew_rebind(&both(100, 200), 1000), (Some(100), Some(200)));
        assert_eq!(renew_rebind(&both(300, 200), 1000), (None, Some(200)));
        assert_eq!(renew_rebind(&both(100, 1000), 1000), (Some(100), None));
        assert_eq!(renew_rebind(&both(1000, 2000), 1000), (None, None));
    }

    #[test]
    fn the_options_count_as_configured() {
        let mut params = Params::default();
        params.set_option(OptionCode::RENEWAL_TIME, &charrua_wire::Value::U32(900));
        assert_eq!(renew_rebind(&params, 3600), (Some(900), None));
    }

    #[test]
    fn requested_time_is_clamped_and_infinity_saturates() {
        let params = Params {
            min_lease_time: Some(60),
            max_lease_time: Some(600),
            ..Params::default()
        };
        assert_eq!(lease_time(&params, Some(5), None), 60);
        assert_eq!(lease_time(&params, Some(99_999), None), 600);
        assert_eq!(lease_time(&params, None, Some(300)), 300);
        // dhcpd's minimum of 300 seconds, and a minimum above the maximum winning.
        let short = Params {
            default_lease_time: Some(60),
            ..Params::default()
        };
        assert_eq!(lease_time(&short, None, None), 300);
        let crossed = Params {
            min_lease_time: Some(900),
            max_lease_time: Some(600),
            ..Params::default()
        };
        assert_eq!(lease_time(&crossed, Some(100), None), 900);
        assert_eq!(ends(u64::MAX - 1, 10), u64::MAX);
        assert_eq!(ends(5, INFINITE), u64::MAX);
        assert_eq!(remaining(u64::MAX, 5), INFINITE);
    }
}
