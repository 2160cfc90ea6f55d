//! The names already reported as in no configured zone, so that each is logged once (ISC says
//! nothing; Kea D2 drops such a request too: docs/ddns.md section 1.3), in bounded memory.

use std::collections::HashSet;

/// How many names are remembered; past that the memory starts over, and a name may be
/// reported again.
const REMEMBERED: usize = 1024;

/// Names reported, compared ignoring ASCII case and a trailing dot, as zones are matched.
#[derive(Debug, Default)]
pub(super) struct Reported(HashSet<String>);

impl Reported {
    /// Whether `name` is reported for the first time (and remembers it).
    pub(super) fn first(&mut self, name: &str) -> bool {
        let key = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
        if self.0.contains(&key) {
            return false;
        }
        if self.0.len() >= REMEMBERED {
            self.0.clear();
        }
        self.0.insert(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_each_name_once_in_bounded_memory() {
        let mut reported = Reported::default();
        assert!(reported.first("a.other.test"));
        assert!(!reported.first("A.Other.Test."));
        for i in 0..REMEMBERED * 2 {
            reported.first(&format!("n{i}.other.test"));
        }
        assert!(reported.0.len() <= REMEMBERED);
    }
}
