//! The answer of the control API: where it ends on a stream, and what its `result` says.
//!
//! Kea's answer is one object `{"result": N, "text": "...", "arguments": {...}}`; its control
//! agent answers over HTTP with a list of them, one per service (Kea ARM, "Management API").
//! Results: 0 success, 1 error, 2 unsupported command, 3 empty (nothing found), 4 conflict.

use serde_json::Value;

/// Where the first JSON object or array of a stream ends: brackets counted outside strings,
/// as Kea's own client of a control socket finds the end of an answer (`JSONFeed`,
/// src/lib/cc/json_feed.cc), so a server that keeps the connection open is read correctly.
#[derive(Debug, Default)]
pub(crate) struct JsonEnd {
    depth: usize,
    in_string: bool,
    escaped: bool,
    seen: usize,
}

impl JsonEnd {
    /// Reads the next bytes of the stream; once the value is complete, returns its length
    /// from the start of the stream.
    pub(crate) fn feed(&mut self, more: &[u8]) -> Option<usize> {
        for (i, &b) in more.iter().enumerate() {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        return Some(self.seen + i + 1);
                    }
                }
                _ => {}
            }
        }
        self.seen += more.len();
        None
    }
}

/// What the answer says, for the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Every result is 0.
    Success,
    /// Results are 0 or 3 (empty, not found), at least one 3.
    Empty,
    /// Some result is an error (1), an unsupported command (2), a conflict (4) or another.
    Failed,
}

/// Why an answer is not a control API response.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Malformed {
    /// Not JSON.
    #[error("{0}")]
    Json(#[from] serde_json::Error),
    /// JSON, but neither a response object nor a list of them.
    #[error("not a response object or a list of them")]
    NotResponse,
    /// An empty list.
    #[error("an empty list")]
    Empty,
    /// A response without an integer `result`.
    #[error("no integer \"result\"")]
    NoResult,
}

/// Reads an answer: one response object or a list of them (Kea's control agent).
pub(crate) fn parse(body: &[u8]) -> Result<(Value, Outcome), Malformed> {
    let value: Value = serde_json::from_slice(body)?;
    let outcome = match &value {
        Value::Object(_) => outcome(&value)?,
        Value::Array(list) if list.is_empty() => return Err(Malformed::Empty),
        Value::Array(list) => list.iter().try_fold(Outcome::Success, |worst, next| {
            outcome(next).map(|next| worse(worst, next))
        })?,
        _ => return Err(Malformed::NotResponse),
    };
    Ok((value, outcome))
}

/// The outcome of one response object.
fn outcome(response: &Value) -> Result<Outcome, Malformed> {
    let Value::Object(fields) = response else {
        return Err(Malformed::NotResponse);
    };
    match fields.get("result").and_then(Value::as_i64) {
        Some(0) => Ok(Outcome::Success),
        Some(3) => Ok(Outcome::Empty),
        Some(_) => Ok(Outcome::Failed),
        None => Err(Malformed::NoResult),
    }
}

/// The worse of two outcomes: a failure over an empty result over a success.
fn worse(a: Outcome, b: Outcome) -> Outcome {
    match (a, b) {
        (Outcome::Failed, _) | (_, Outcome::Failed) => Outcome::Failed,
        (Outcome::Empty, _) | (_, Outcome::Empty) => Outcome::Empty,
        _ => Outcome::Success,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_end_of_a_value_across_reads_and_strings() {
        let mut end = JsonEnd::default();
        assert_eq!(end.feed(b" {\"text\": \"a } \\\" ]"), None);
        assert_eq!(end.feed(b"\", \"arguments\": {\"x\": [1]}"), None);
        assert_eq!(end.feed(b"}\n trailing"), Some(46));
        let mut list = JsonEnd::default();
        assert_eq!(list.feed(b"[{\"result\": 0}]"), Some(15));
        assert_eq!(JsonEnd::default().feed(b"\"just a string\""), None);
    }

    #[test]
    fn results_give_the_outcome() {
        let of = |text: &str| parse(text.as_bytes()).map(|(_, o)| o);
        assert_eq!(
            of(r#"{"result": 0, "text": "ok"}"#).unwrap(),
            Outcome::Success
        );
        assert_eq!(of(r#"{"result": 3}"#).unwrap(), Outcome::Empty);
        for failed in [1, 2, 4, -1, 99] {
            assert_eq!(
                of(&format!(r#"{{"result": {failed}}}"#)).unwrap(),
                Outcome::Failed
            );
        }
        assert_eq!(of(r#"[{"result": 0}]"#).unwrap(), Outcome::Success);
        assert_eq!(
            of(r#"[{"result": 0}, {"result": 3}]"#).unwrap(),
            Outcome::Empty
        );
        assert_eq!(
            of(r#"[{"result": 3}, {"result": 1}]"#).unwrap(),
            Outcome::Failed
        );
        assert!(matches!(of("[]"), Err(Malformed::Empty)));
        assert!(matches!(of("{}"), Err(Malformed::NoResult)));
        assert!(matches!(of(r#"{"result": "0"}"#), Err(Malformed::NoResult)));
        assert!(matches!(of("[1]"), Err(Malformed::NotResponse)));
        assert!(matches!(of("7"), Err(Malformed::NotResponse)));
        assert!(matches!(of("{\"result\": 0"), Err(Malformed::Json(_))));
    }
}
