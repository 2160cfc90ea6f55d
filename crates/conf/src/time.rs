//! Dates: the form of dhcpd.leases(5): `W YYYY/MM/DD HH:MM:SS` in UTC, `epoch N`, or `never`.
//! Civil-date conversion after Howard Hinnant's days-from-civil algorithm.

/// 9999-12-31 23:59:59, the last moment the date form can write.
pub(crate) const LAST_DATE: u64 = 253_402_300_799;

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// Parses `YYYY/MM/DD` and `HH:MM:SS` (UTC) to Unix seconds. Like dhcpd (common/parse.c
/// parse_date_core), a day, hour, minute or second out of its range, or a thirteenth month,
/// is not refused but counted on: `2026/01/32` is February 1st.
pub(crate) fn parse(date: &str, time: &str) -> Option<u64> {
    let mut d = date.split('/').map(|p| p.parse::<i64>().ok());
    let (y, m, dd) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.split(':').map(|p| p.parse::<i64>().ok());
    let (h, mi, s) = (t.next()??, t.next()??, t.next()??);
    if d.next().is_some()
        || t.next().is_some()
        || !(1..=13).contains(&m)
        || [dd, h, mi, s].iter().any(|v| !(0..=9999).contains(v))
        || !(1970..=9999).contains(&y)
    {
        return None;
    }
    // Days of the year before month m (the 13th month starts after December).
    let before = |m: i64| days_from_civil(y, m.min(12), 1) - days_from_civil(y, 1, 1);
    let month = if m == 13 { before(12) + 31 } else { before(m) };
    let days = days_from_civil(y, 1, 1) + month + dd - 1;
    u64::try_from(days * 86_400 + h * 3600 + mi * 60 + s).ok()
}

/// Appends Unix seconds as `W YYYY/MM/DD HH:MM:SS` (W is the weekday, 0 = Sunday) to `out`,
/// without a string of its own (lease files are written on the serving path).
pub(crate) fn write(out: &mut String, secs: u64) {
    let (weekday, y, m, d, hh, mm, ss) = civil(secs);
    let two = |out: &mut String, n: i64| {
        out.push(char::from(b'0' + (n / 10 % 10) as u8));
        out.push(char::from(b'0' + (n % 10) as u8));
    };
    out.push(char::from(b'0' + weekday as u8));
    out.push(' ');
    if (1000..=9999).contains(&y) {
        two(out, y / 100);
        two(out, y % 100);
    } else {
        out.push_str(&format!("{y:04}"));
    }
    out.push('/');
    two(out, m);
    out.push('/');
    two(out, d);
    out.push(' ');
    two(out, hh);
    out.push(':');
    two(out, mm);
    out.push(':');
    two(out, ss);
}

/// Formats Unix seconds as ISO 8601 in UTC, `YYYY-MM-DDTHH:MM:SSZ`.
pub fn iso8601(secs: u64) -> String {
    let (_, y, m, d, hh, mm, ss) = civil(secs);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
}

/// Weekday (0 = Sunday), year, month, day, hour, minute, second of Unix seconds in UTC.
fn civil(secs: u64) -> (i64, i64, i64, i64, i64, i64, i64) {
    let secs = i64::try_from(secs).unwrap_or(i64::MAX);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    let weekday = (days + 4).rem_euclid(7);
    (weekday, y, m, d, rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format(secs: u64) -> String {
        let mut out = String::new();
        write(&mut out, secs);
        out
    }

    #[test]
    fn round_trips_known_dates() {
        assert_eq!(parse("1970/01/01", "00:00:00"), Some(0));
        assert_eq!(parse("2026/11/25", "03:01:02"), Some(1_795_575_662));
        assert_eq!(format(1_795_575_662), "3 2026/11/25 03:01:02");
        assert_eq!(format(0), "4 1970/01/01 00:00:00");
        assert_eq!(iso8601(1_795_575_662), "2026-11-25T03:01:02Z");
        for secs in [951_782_400u64, 4_102_444_800, 1_709_164_800] {
            let text = format(secs);
            let mut parts = text.split(' ').skip(1);
            assert_eq!(
                parse(parts.next().unwrap(), parts.next().unwrap()),
                Some(secs)
            );
        }
    }

    /// dhcpd -T accepts `2026/13/45 25:61:00` (testdata/leases/corpus/ok-43-bad-date.leases)
    /// and counts on from the start of the year.
    #[test]
    fn counts_on_past_the_ranges_as_dhcpd_does() {
        assert_eq!(
            parse("2026/01/32", "00:00:00"),
            parse("2026/02/01", "00:00:00")
        );
        assert_eq!(
            parse("2026/01/01", "24:00:00"),
            parse("2026/01/02", "00:00:00")
        );
        assert_eq!(
            parse("2026/13/01", "00:00:00"),
            parse("2027/01/01", "00:00:00")
        );
        assert!(parse("2026/13/45", "25:61:00").is_some());
    }

    #[test]
    fn rejects_nonsense() {
        assert_eq!(parse("2026/14/01", "00:00:00"), None);
        assert_eq!(parse("2026/00/01", "00:00:00"), None);
        assert_eq!(parse("2026/01", "00:00:00"), None);
        assert_eq!(parse("x/y/z", "1:2:3"), None);
    }
}
