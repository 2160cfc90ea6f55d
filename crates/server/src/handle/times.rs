//! Lease, renewal and rebinding times (RFC 2131 sections 3.3, 4.3.1 and 4.4.5).

use crate::config::Params;

/// ISC dhcpd's defaults when nothing is configured.
const DEFAULT_LEASE: u32 = 43_200;
const DEFAULT_MAX_LEASE: u32 = 86_400;
/// RFC 2131 section 3.3: 0xffffffff is infinity.
pub(crate) const INFINITE: u32 = u32::MAX;

/// The lease time to grant (item 38): what the client asked for (option 51), else what is left
/// of its current binding, else the default; clamped to the configured minimum and maximum.
pub(crate) fn lease_time(params: &Params, requested: Option<u32>, remaining: Option<u32>) -> u32 {
    let max = params.max_lease_time.unwrap_or(DEFAULT_MAX_LEASE);
    let min = params.min_lease_time.unwrap_or(0).min(max);
    let default = params.default_lease_time.unwrap_or(DEFAULT_LEASE);
    requested.or(remaining).unwrap_or(default).clamp(min, max)
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

/// T1 and T2 (options 58, 59) for a lease (items 54-56): configured values when they keep
/// T1 < T2 < lease, else 0.5 and 0.875 of the lease; none for an infinite lease or one under 3 s.
pub(crate) fn renew_rebind(params: &Params, lease: u32) -> Option<(u32, u32)> {
    if lease == INFINITE || lease < 3 {
        return None;
    }
    let t1_default = lease / 2;
    let t2_default = (u64::from(lease) * 7 / 8) as u32;
    let t1 = params
        .renewal_time
        .filter(|t| *t < lease)
        .unwrap_or(t1_default);
    let t2 = params
        .rebinding_time
        .filter(|t| *t < lease && *t > t1)
        .unwrap_or(t2_default.max(t1 + 1));
    (t1 < t2 && t2 < lease).then_some((t1, t2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_half_and_seven_eighths() {
        assert_eq!(renew_rebind(&Params::default(), 3600), Some((1800, 3150)));
    }

    #[test]
    fn infinite_and_tiny_leases_have_no_t1_t2() {
        assert_eq!(renew_rebind(&Params::default(), INFINITE), None);
        assert_eq!(renew_rebind(&Params::default(), 2), None);
        assert_eq!(renew_rebind(&Params::default(), 3), Some((1, 2)));
    }

    #[test]
    fn configured_times_that_break_the_order_fall_back() {
        let params = Params {
            renewal_time: Some(100),
            rebinding_time: Some(50),
            ..Params::default()
        };
        assert_eq!(renew_rebind(&params, 1000), Some((100, 875)));
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
        assert_eq!(ends(u64::MAX - 1, 10), u64::MAX);
        assert_eq!(ends(5, INFINITE), u64::MAX);
        assert_eq!(remaining(u64::MAX, 5), INFINITE);
    }
}
