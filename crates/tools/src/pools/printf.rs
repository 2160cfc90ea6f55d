//! The few C `printf` conversions dhcpd-pools prints its numbers with (src/output.c): its
//! counters are `double`s printed with `%g`, its percentages `%.3f`, and a division by zero
//! prints `nan` or `-nan`. Rust's `{:.N}` and `{:.Ne}` round the exact binary value half to
//! even, as glibc does, so only the shape of `%g` and the spelling of NaN are written here.

/// A percentage as dhcpd-pools computes one: `(float)(100 * part) / whole`, the hundredfold
/// count rounded to single precision first (src/output.c), then divided in double precision.
/// `0 / 0` is the NaN an x86-64 division gives (sign bit set, printed `-nan`, as dhcpd-pools
/// prints it on amd64); dhcpd-pools writes `NAN` itself where it guards a zero (see [`NAN`]).
pub(super) fn percent(part: f64, whole: f64) -> f64 {
    // The narrowing to `f32` is dhcpd-pools' own `(float)` cast.
    #[allow(clippy::cast_possible_truncation)]
    let hundredfold = f64::from((100.0 * part) as f32);
    if whole == 0.0 && hundredfold == 0.0 {
        -f64::NAN
    } else {
        hundredfold / whole
    }
}

/// C's `NAN` macro (printed `nan`), which dhcpd-pools prints where a shared network has no
/// address.
pub(super) const NAN: f64 = f64::NAN;

/// C's name for a value that is not a number: `nan`, `-nan`, `inf`, `-inf`.
fn special(x: f64) -> Option<&'static str> {
    match (x.is_nan(), x.is_infinite(), x.is_sign_negative()) {
        (true, _, true) => Some("-nan"),
        (true, _, false) => Some("nan"),
        (_, true, true) => Some("-inf"),
        (_, true, false) => Some("inf"),
        _ => None,
    }
}

/// `%.3f`.
pub(super) fn fixed3(x: f64) -> String {
    special(x).map_or_else(|| format!("{x:.3}"), str::to_string)
}

/// `%g`: six significant digits, in fixed notation when the exponent is from -4 to 5 and in
/// scientific notation (`1.67772e+07`) otherwise, trailing zeros taken off (C11 7.21.6.1).
pub(super) fn g(x: f64) -> String {
    if let Some(name) = special(x) {
        return name.to_string();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    // The exponent of the value once rounded to six significant digits.
    let scientific = format!("{x:.5e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if (-4..6).contains(&exponent) {
        let decimals = usize::try_from(5 - exponent).unwrap_or(0);
        trim_zeros(&format!("{x:.decimals$}")).to_string()
    } else {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!(
            "{}e{sign}{:02}",
            trim_zeros(mantissa),
            exponent.unsigned_abs()
        )
    }
}

/// `1.50000` -> `1.5`, `2.000` -> `2`; a number without a point is left as it is.
fn trim_zeros(number: &str) -> &str {
    if number.contains('.') {
        number.trim_end_matches('0').trim_end_matches('.')
    } else {
        number
    }
}

/// `%-Ns`: left-aligned in `width` bytes, never cut.
pub(super) fn left(text: &str, width: usize) -> String {
    format!("{text}{}", " ".repeat(width.saturating_sub(text.len())))
}

/// `%Ns` (and `%Ng`, `%N.3f` once converted): right-aligned in `width` bytes, never cut.
pub(super) fn right(text: &str, width: usize) -> String {
    format!("{}{text}", " ".repeat(width.saturating_sub(text.len())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g_prints_as_glibc_does() {
        // Each value with what glibc 2.36's printf("%g") prints for it.
        for (x, want) in [
            (0.0, "0"),
            (1.0, "1"),
            (65.0, "65"),
            (999_999.0, "999999"),
            (1_000_000.0, "1e+06"),
            (1_234_565.0, "1.23456e+06"),
            (1_234_567.0, "1.23457e+06"),
            (16_777_216.0, "1.67772e+07"),
            (4_294_967_296.0, "4.29497e+09"),
            (0.02, "0.02"),
            (0.8, "0.8"),
            (1.8, "1.8"),
            (4.5, "4.5"),
            (123_456.5, "123456"),
            (0.000_012_34, "1.234e-05"),
            (0.0001, "0.0001"),
            (f64::NAN, "nan"),
            (-f64::NAN, "-nan"),
            (f64::INFINITY, "inf"),
        ] {
            assert_eq!(g(x), want, "{x}");
        }
    }

    #[test]
    fn fixed3_rounds_half_to_even_as_glibc_does() {
        for (x, want) in [
            (0.0625, "0.062"),
            (6.0625, "6.062"),
            (0.375, "0.375"),
            (100.0 / 3.0, "33.333"),
            (-f64::NAN, "-nan"),
            (NAN, "nan"),
        ] {
            assert_eq!(fixed3(x), want, "{x}");
        }
    }

    #[test]
    fn percent_rounds_the_hundredfold_count_to_single_precision() {
        assert_eq!(fixed3(percent(4.0, 65.0)), "6.154");
        assert_eq!(fixed3(percent(1.0, 3.0)), "33.333");
        // 100 * 671089 is not a single-precision number: dhcpd-pools rounds it (to even).
        assert_eq!(percent(671_089.0, 1.0), 67_108_896.0);
        assert_eq!(fixed3(percent(0.0, 0.0)), "-nan");
        assert_eq!(fixed3(percent(1.0, 0.0)), "inf");
    }

    #[test]
    fn pads_by_bytes_without_cutting() {
        assert_eq!(left("ab", 4), "ab  ");
        assert_eq!(right("ab", 4), "  ab");
        assert_eq!(left("abcdef", 4), "abcdef");
    }
}
