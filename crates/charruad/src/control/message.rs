//! Kea's command format: a request `{"command": NAME, "arguments": {...}}` (with `service`, which
//! Kea's control agent routes by and a daemon ignores), a response `{"result": N, "text": ...,
//! "arguments": ...}` (Kea: src/lib/cc/command_interpreter.cc `createAnswer`; result codes in
//! command_interpreter.h: 0 success, 1 error, 2 unsupported, 3 empty, 4 conflict).

use serde_json::{json, Map, Value};

/// A request as read: the command's name and its arguments (an empty map when none).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Request {
    pub(crate) command: String,
    pub(crate) arguments: Map<String, Value>,
}

/// Largest request taken (a `lease4-add` is a few hundred bytes; Kea's agent takes a few MB of
/// configuration, which charruad does not take this way).
pub(crate) const MAX_REQUEST: usize = 1 << 20;

/// A response's result code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Code {
    Success = 0,
    Error = 1,
    Unsupported = 2,
    Empty = 3,
    Conflict = 4,
}

/// A response.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Response {
    pub(crate) code: Code,
    pub(crate) text: String,
    pub(crate) arguments: Option<Value>,
}

impl Response {
    pub(crate) fn new(code: Code, text: impl Into<String>) -> Self {
        Self {
            code,
            text: text.into(),
            arguments: None,
        }
    }

    pub(crate) fn success(text: impl Into<String>) -> Self {
        Self::new(Code::Success, text)
    }

    pub(crate) fn error(text: impl Into<String>) -> Self {
        Self::new(Code::Error, text)
    }

    pub(crate) fn empty(text: impl Into<String>) -> Self {
        Self::new(Code::Empty, text)
    }

    /// The response with `arguments`.
    pub(crate) fn with(mut self, arguments: Value) -> Self {
        self.arguments = Some(arguments);
        self
    }

    /// Kea's answer to a command it does not know.
    pub(crate) fn unsupported(command: &str) -> Self {
        Self::new(
            Code::Unsupported,
            format!("'{command}' command not supported."),
        )
    }

    pub(crate) fn to_json(&self) -> Value {
        let mut out = json!({ "result": self.code as u8, "text": self.text });
        if let (Some(arguments), Some(map)) = (&self.arguments, out.as_object_mut()) {
            map.insert("arguments".into(), arguments.clone());
        }
        out
    }
}

/// Reads a request; a Kea-style error response for what is not one.
pub(crate) fn parse(body: &[u8]) -> Result<Request, Response> {
    if body.len() > MAX_REQUEST {
        return Err(Response::error(format!(
            "request of {} bytes: larger than the {MAX_REQUEST} taken",
            body.len()
        )));
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| Response::error(format!("invalid JSON: {e}")))?;
    let Value::Object(mut map) = value else {
        return Err(Response::error("a request is a JSON object (a map)"));
    };
    let command = match map.remove("command") {
        Some(Value::String(c)) => c,
        Some(_) => return Err(Response::error("'command' is not a string")),
        None => return Err(Response::error("missing 'command' in the request")),
    };
    let arguments = match map.remove("arguments") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(a)) => a,
        Some(_) => return Err(Response::error("'arguments' is not a map")),
    };
    // `service` is the control agent's routing; any other key is an error, as in Kea.
    map.remove("service");
    if let Some(key) = map.keys().next() {
        return Err(Response::error(format!(
            "unsupported parameter '{key}' in the request"
        )));
    }
    Ok(Request { command, arguments })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_kea_requests_and_refuses_the_rest() {
        let r = parse(br#"{"command":"lease4-get","service":["dhcp4"],"arguments":{"ip-address":"198.18.0.10"}}"#).unwrap();
        assert_eq!(r.command, "lease4-get");
        assert_eq!(r.arguments["ip-address"], "198.18.0.10");
        assert!(parse(br#"{"command":"list-commands"}"#)
            .unwrap()
            .arguments
            .is_empty());
        for bad in [
            &b"not json"[..],
            b"[1,2]",
            br#"{"arguments":{}}"#,
            br#"{"command":7}"#,
            br#"{"command":"x","arguments":[]}"#,
            br#"{"command":"x","extra":1}"#,
        ] {
            let e = parse(bad).unwrap_err();
            assert_eq!(e.code, Code::Error, "{}", String::from_utf8_lossy(bad));
        }
        assert!(parse(&vec![b' '; MAX_REQUEST + 1]).is_err());
    }

    proptest::proptest! {
        /// Any bytes: a request or a Kea-style error, never a panic.
        #[test]
        fn any_bytes_get_an_answer(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = parse(&bytes);
        }

        /// Any command and arguments made of JSON scalars: carried through as given.
        #[test]
        fn any_command_reads_back(command in ".{0,40}", key in "[a-z-]{1,20}", value in proptest::num::i64::ANY) {
            let request = json!({"command": command, "arguments": {key.clone(): value}});
            let read = parse(request.to_string().as_bytes()).unwrap();
            proptest::prop_assert_eq!(read.command, command);
            proptest::prop_assert_eq!(&read.arguments[&key], &json!(value));
        }
    }

    #[test]
    fn answers_in_kea_shape() {
        assert_eq!(
            Response::unsupported("foo").to_json(),
            json!({"result": 2, "text": "'foo' command not supported."})
        );
        assert_eq!(
            Response::success("ok").with(json!({"a": 1})).to_json(),
            json!({"result": 0, "text": "ok", "arguments": {"a": 1}})
        );
    }
}
