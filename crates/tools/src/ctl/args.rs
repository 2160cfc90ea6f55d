//! `KEY=VALUE` words to the `arguments` object of a control command.
//!
//! Each value is taken as JSON when it parses as JSON (`limit=10`, `force=true`,
//! `name="10"`, `ids=[1,2]`, `a={"b":1}`) and as a string otherwise
//! (`ip-address=198.18.0.10`, `hw-address=02:00:00:00:00:01`), so the arguments of Kea's
//! commands (`lease4-get`, `lease4-del`, `lease4-get-page`...) can be written without quoting.
//! A dotted key builds nested objects: `a.b=1 a.c=2` is `{"a": {"b": 1, "c": 2}}`.

use serde_json::{Map, Value};

/// Why `KEY=VALUE` words do not make an arguments object.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ArgError {
    /// A word without `=`.
    #[error("{0:?} is not KEY=VALUE")]
    NotPair(String),
    /// A key, or a part of a dotted key, that is empty (`=1`, `a..b=1`).
    #[error("{0:?}: a key (or a part of a dotted one) is empty")]
    EmptyKey(String),
    /// The same key given twice.
    #[error("{0} is given twice")]
    Twice(String),
    /// A key given a value and also used as an object (`a=1 a.b=2`).
    #[error("{0} is given a value and is also an object of dotted keys")]
    Clash(String),
}

/// The value of `text`: its JSON value where it is JSON, else the string itself.
pub(crate) fn value(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

/// The arguments object of `words`, each `KEY=VALUE` (split at the first `=`).
pub(crate) fn parse(words: &[String]) -> Result<Map<String, Value>, ArgError> {
    let mut arguments = Map::new();
    for word in words {
        let (key, text) = word
            .split_once('=')
            .ok_or_else(|| ArgError::NotPair(word.clone()))?;
        let path: Vec<&str> = key.split('.').collect();
        if path.iter().any(|part| part.is_empty()) {
            return Err(ArgError::EmptyKey(word.clone()));
        }
        insert(&mut arguments, &path, key, value(text))?;
    }
    Ok(arguments)
}

/// Puts `value` at `path` (the parts of `key`) in `object`, making the objects on the way.
fn insert(
    object: &mut Map<String, Value>,
    path: &[&str],
    key: &str,
    value: Value,
) -> Result<(), ArgError> {
    match path {
        [] => Ok(()),
        [last] => {
            if object.contains_key(*last) {
                let clash = matches!(object.get(*last), Some(Value::Object(_)));
                return Err(if clash {
                    ArgError::Clash(key.to_string())
                } else {
                    ArgError::Twice(key.to_string())
                });
            }
            object.insert((*last).to_string(), value);
            Ok(())
        }
        [first, rest @ ..] => {
            let inner = object
                .entry((*first).to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            match inner {
                Value::Object(inner) => insert(inner, rest, key, value),
                _ => Err(ArgError::Clash(key.to_string())),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parsed(words: &[&str]) -> Result<Value, ArgError> {
        let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        parse(&words).map(Value::Object)
    }

    #[test]
    fn values_are_json_where_they_parse_and_strings_otherwise() {
        assert_eq!(
            parsed(&[
                "ip-address=198.18.0.10",
                "limit=10",
                "force=true",
                "none=null",
                "name=\"10\"",
                "ids=[1, 2]",
                "filter={\"state\": 0}",
                "hw-address=02:00:00:00:00:01",
                "text=two words",
                "empty=",
                "equation=a=b",
            ])
            .unwrap(),
            json!({
                "ip-address": "198.18.0.10",
                "limit": 10,
                "force": true,
                "none": null,
                "name": "10",
                "ids": [1, 2],
                "filter": {"state": 0},
                "hw-address": "02:00:00:00:00:01",
                "text": "two words",
                "empty": "",
                "equation": "a=b",
            })
        );
    }

    #[test]
    fn numbers_that_json_refuses_stay_strings() {
        assert_eq!(value("010"), json!("010"));
        assert_eq!(value("0x10"), json!("0x10"));
        assert_eq!(value("-1"), json!(-1));
        assert_eq!(value("2.5"), json!(2.5));
    }

    #[test]
    fn dotted_keys_build_nested_objects_in_order() {
        assert_eq!(
            parsed(&["a.b=1", "a.c.d=x", "e=2"]).unwrap(),
            json!({"a": {"b": 1, "c": {"d": "x"}}, "e": 2})
        );
        let keys: Vec<String> = parse(&["z=1".into(), "a=2".into()])
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(keys, ["z", "a"]);
    }

    #[test]
    fn rejects_words_that_make_no_object() {
        assert_eq!(parsed(&["limit"]), Err(ArgError::NotPair("limit".into())));
        assert_eq!(parsed(&["=1"]), Err(ArgError::EmptyKey("=1".into())));
        assert_eq!(
            parsed(&["a..b=1"]),
            Err(ArgError::EmptyKey("a..b=1".into()))
        );
        assert_eq!(parsed(&["a=1", "a=2"]), Err(ArgError::Twice("a".into())));
        assert_eq!(
            parsed(&["a=1", "a.b=2"]),
            Err(ArgError::Clash("a.b".into()))
        );
        assert_eq!(parsed(&["a.b=1", "a=2"]), Err(ArgError::Clash("a".into())));
        assert_eq!(parsed(&[]).unwrap(), json!({}));
    }
}
