//! The values of dhcpd-pools' options, read as dhcpd-pools 2.29 reads them (src/dhcpd-pools.c
//! `main`, src/other.c `return_limit`, src/sort.c `field_selector`; the man page).

use super::error::PoolsError;

/// What to print (`-f`; dhcpd-pools looks at the first character only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    /// `t`, the default: three tables.
    Text,
    /// `c`: the same tables as quoted comma-separated values.
    Csv,
    /// `j`, and `J` with the active leases and their hardware addresses.
    Json {
        /// `J`.
        leases: bool,
    },
    /// `x` (the dhcpstatus Perl module's shape), and `X` with the active leases.
    Xml {
        /// `X`.
        leases: bool,
    },
}

impl Format {
    /// Reads `-f VALUE`.
    pub(super) fn parse(value: &str) -> Result<Self, PoolsError> {
        match value.chars().next() {
            Some('t') => Ok(Self::Text),
            Some('c') => Ok(Self::Csv),
            Some('j') => Ok(Self::Json { leases: false }),
            Some('J') => Ok(Self::Json { leases: true }),
            Some('x') => Ok(Self::Xml { leases: false }),
            Some('X') => Ok(Self::Xml { leases: true }),
            Some('h') => Err(PoolsError::HtmlDeprecated),
            Some('H') => Err(PoolsError::HtmlPage),
            _ => Err(PoolsError::UnknownFormat(value.to_string())),
        }
    }
}

/// A key ranges are sorted by (`-s`, one letter each, weighed left to right).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SortKey {
    /// `n`: the shared network's name.
    Name,
    /// `i`: the first address.
    Ip,
    /// `m`: the number of addresses.
    Max,
    /// `c`: addresses in use.
    Current,
    /// `p`: the share in use.
    Percent,
    /// `t`: touched addresses.
    Touched,
    /// `T`: touched and in use.
    TouchedCurrent,
    /// `e`: the share touched or in use.
    TouchedCurrentPercent,
}

impl SortKey {
    /// Reads every `-s VALUE` given, in order, one key per letter (dhcpd-pools appends each
    /// `-s` to the keys before it).
    pub(super) fn parse_all(values: &[String]) -> Result<Vec<Self>, PoolsError> {
        values
            .iter()
            .flat_map(|v| v.chars())
            .map(|c| match c {
                'n' => Ok(Self::Name),
                'i' => Ok(Self::Ip),
                'm' => Ok(Self::Max),
                'c' => Ok(Self::Current),
                'p' => Ok(Self::Percent),
                't' => Ok(Self::Touched),
                'T' => Ok(Self::TouchedCurrent),
                'e' => Ok(Self::TouchedCurrentPercent),
                other => Err(PoolsError::UnknownSort(other)),
            })
            .collect()
    }
}

/// A part of the report: the bits of either digit of `-L`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Part {
    /// 1: ranges.
    Ranges = 1,
    /// 2: shared networks.
    Networks = 2,
    /// 4: the sum of all ranges.
    All = 4,
}

/// `-L`: which headers (first digit) and which tables of numbers (second digit) to print, each
/// digit the parts OR'd together; `77` (all of it) by default. In alarm mode the digits choose
/// what is judged and said instead (see `alarm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Limit {
    headers: u8,
    numbers: u8,
}

impl Limit {
    /// Reads `-L VALUE`: two octal digits; characters after them are ignored, as dhcpd-pools
    /// ignores them.
    pub(super) fn parse(value: &str) -> Result<Self, PoolsError> {
        let digit = |b: Option<&u8>| match b {
            Some(d @ b'0'..=b'7') => Ok(d - b'0'),
            _ => Err(PoolsError::IllegalLimit(value.to_string())),
        };
        let bytes = value.as_bytes();
        Ok(Self {
            headers: digit(bytes.first())?,
            numbers: digit(bytes.get(1))?,
        })
    }

    /// Whether the header of `part` is printed.
    pub(super) fn header(self, part: Part) -> bool {
        self.headers & part as u8 != 0
    }

    /// Whether the numbers of `part` are printed.
    pub(super) fn numbers(self, part: Part) -> bool {
        self.numbers & part as u8 != 0
    }
}

/// A number as dhcpd-pools' `strtod_or_err` takes one (`80`, `88.8`, `1e3`): the whole
/// argument must be a number, or it is an illegal argument.
pub(super) fn number(value: &str) -> Result<f64, PoolsError> {
    value
        .parse()
        .map_err(|_| PoolsError::IllegalArgument(value.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_formats_by_their_first_letter() {
        assert_eq!(Format::parse("t").unwrap(), Format::Text);
        assert_eq!(Format::parse("tj").unwrap(), Format::Text);
        assert_eq!(Format::parse("J").unwrap(), Format::Json { leases: true });
        assert!(matches!(
            Format::parse("q"),
            Err(PoolsError::UnknownFormat(_))
        ));
        assert!(matches!(
            Format::parse(""),
            Err(PoolsError::UnknownFormat(_))
        ));
        assert!(matches!(
            Format::parse("h"),
            Err(PoolsError::HtmlDeprecated)
        ));
    }

    #[test]
    fn reads_sort_keys_from_every_option_in_order() {
        let keys = SortKey::parse_all(&["mi".into(), "T".into()]).unwrap();
        assert_eq!(keys, [SortKey::Max, SortKey::Ip, SortKey::TouchedCurrent]);
        assert!(SortKey::parse_all(&[String::new()]).unwrap().is_empty());
        assert!(matches!(
            SortKey::parse_all(&["z".into()]),
            Err(PoolsError::UnknownSort('z'))
        ));
    }

    #[test]
    fn reads_limits_as_two_octal_digits() {
        let l = Limit::parse("12").unwrap();
        assert!(l.header(Part::Ranges) && !l.header(Part::Networks));
        assert!(l.numbers(Part::Networks) && !l.numbers(Part::All));
        // A third digit is ignored, as dhcpd-pools ignores it.
        assert_eq!(Limit::parse("123").unwrap(), l);
        for bad in ["1", "9", "7a", "", "08"] {
            assert!(
                matches!(Limit::parse(bad), Err(PoolsError::IllegalLimit(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn numbers_must_be_whole_arguments() {
        assert_eq!(number("88.8").unwrap(), 88.8);
        assert_eq!(number("-5").unwrap(), -5.0);
        for bad in ["abc", "80.5abc", ""] {
            assert!(matches!(number(bad), Err(PoolsError::IllegalArgument(_))));
        }
    }
}
