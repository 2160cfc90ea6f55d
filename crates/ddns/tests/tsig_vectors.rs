//! TSIG against golden vectors made by dnspython (`tests/vectors/tsig.py`, which says how to
//! regenerate `tests/vectors/tsig.txt`): our add 1 encodes as dnspython encodes it, our
//! signature is dnspython's byte for byte, and every kind of answer is judged as it should be.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use charrua_ddns::{
    update, Algorithm, DomainName, Guard, Key, Rcode, Request, ResponseError, Style,
};

const VECTORS: &str = include_str!("vectors/tsig.txt");

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// One `name value` map.
type Values = HashMap<String, String>;

/// The global values and one map per `case`.
fn cases() -> (Values, Vec<(String, Values)>) {
    let (mut global, mut cases) = (HashMap::new(), Vec::new());
    let mut current: Option<(String, Values)> = None;
    for line in VECTORS.lines().filter(|l| !l.starts_with('#')) {
        let (key, value) = line.split_once(' ').unwrap_or((line, ""));
        match (key, current.as_mut()) {
            ("case", _) => current = Some((value.to_owned(), HashMap::new())),
            ("end", _) => cases.push(current.take().unwrap()),
            (_, Some((_, map))) => drop(map.insert(key.to_owned(), value.to_owned())),
            (_, None) => drop(global.insert(key.to_owned(), value.to_owned())),
        }
    }
    (global, cases)
}

fn algorithm(name: &str) -> Algorithm {
    Algorithm::ALL
        .into_iter()
        .find(|a| a.to_string() == name)
        .unwrap()
}

#[test]
fn covers_all_six_algorithms() {
    let (_, cases) = cases();
    let names: Vec<_> = cases.iter().map(|(n, _)| algorithm(n)).collect();
    assert_eq!(names, Algorithm::ALL);
}

#[test]
fn encodes_add1_as_dnspython() {
    let (global, cases) = cases();
    let zone = DomainName::other(&global["zone"]).unwrap();
    let fqdn = DomainName::host("alpha.test.example.").unwrap();
    let guard = Guard::stored(Style::Interim, global["txt"].as_bytes()).unwrap();
    let message = update::add1(&zone, &fqdn, Ipv4Addr::new(198, 18, 0, 100), &guard, 300);
    for (name, case) in cases {
        let id: u16 = case["id"].parse().unwrap();
        assert_eq!(
            message.to_wire(id).unwrap(),
            hex(&case["request_unsigned"]),
            "{name}"
        );
    }
}

#[test]
fn signs_as_dnspython() {
    let (global, cases) = cases();
    let now: u64 = global["time"].parse().unwrap();
    for (name, case) in cases {
        let key = Key::new(&case["key_name"], algorithm(&name), hex(&case["secret"])).unwrap();
        let request = Request::signed(hex(&case["request_unsigned"]), &key, now).unwrap();
        assert_eq!(
            request.mac().unwrap(),
            hex(&case["request_mac"]),
            "{name} MAC"
        );
        assert_eq!(request.wire(), hex(&case["request_signed"]), "{name} wire");
    }
}

#[test]
fn judges_answers() {
    let (global, cases) = cases();
    let now: u64 = global["time"].parse().unwrap();
    for (name, case) in cases {
        let alg = algorithm(&name);
        let key = Key::new(&case["key_name"], alg, hex(&case["secret"])).unwrap();
        let request = Request::signed(hex(&case["request_unsigned"]), &key, now).unwrap();
        let check = |what: &str, at: u64| request.check_response(&hex(&case[what]), at);

        assert_eq!(check("response_noerror", now), Ok(Rcode::NOERROR), "{name}");
        assert_eq!(
            check("response_noerror", now + 300),
            Ok(Rcode::NOERROR),
            "{name}"
        );
        assert_eq!(check("response_refused", now), Ok(Rcode::REFUSED), "{name}");
        assert_eq!(
            check("response_badtime", now),
            Err(ResponseError::BadTime {
                server_time: Some(now + 1000)
            }),
            "{name}"
        );
        assert_eq!(
            check("response_late", now),
            Err(ResponseError::ClockSkew {
                signed: now + 301,
                now,
                fudge: 300
            }),
            "{name}"
        );
        assert_eq!(
            check("response_late", now + 301),
            Ok(Rcode::NOERROR),
            "{name}"
        );
        assert_eq!(
            check("response_noerror", now + 301),
            Err(ResponseError::ClockSkew {
                signed: now,
                now: now + 301,
                fudge: 300
            }),
            "{name}"
        );
        assert_eq!(
            check("response_other_secret", now),
            Err(ResponseError::BadMac),
            "{name}"
        );
        assert_eq!(
            check("response_tampered", now),
            Err(ResponseError::BadMac),
            "{name}"
        );
        assert_eq!(
            check("response_other_key", now),
            Err(ResponseError::WrongKey),
            "{name}"
        );
        assert_eq!(
            check("response_unsigned", now),
            Err(ResponseError::Unsigned {
                rcode: Rcode::NOTAUTH
            }),
            "{name}"
        );
        assert_eq!(
            check("response_badsig", now),
            Err(ResponseError::BadSig),
            "{name}"
        );
        assert_eq!(
            check("response_badkey", now),
            Err(ResponseError::BadKey),
            "{name}"
        );
        assert_eq!(
            check("response_truncated", now),
            Err(ResponseError::TruncatedMac {
                len: 10.max(alg.mac_len() / 2),
                full: alg.mac_len()
            }),
            "{name}"
        );
        // The same answers judged with another algorithm's key of the same name.
        let other = Algorithm::ALL.into_iter().find(|a| *a != alg).unwrap();
        let wrong = Key::new(&case["key_name"], other, hex(&case["secret"])).unwrap();
        let request = Request::signed(hex(&case["request_unsigned"]), &wrong, now).unwrap();
        assert_eq!(
            request.check_response(&hex(&case["response_noerror"]), now),
            Err(ResponseError::WrongKey),
            "{name}"
        );
    }
}

#[test]
fn ignores_datagrams_that_answer_something_else() {
    let (global, cases) = cases();
    let now: u64 = global["time"].parse().unwrap();
    let (name, case) = &cases[0];
    let key = Key::new(&case["key_name"], algorithm(name), hex(&case["secret"])).unwrap();
    let request = Request::signed(hex(&case["request_unsigned"]), &key, now).unwrap();
    let good = hex(&case["response_noerror"]);

    let mut other_id = good.clone();
    other_id[1] ^= 1;
    let error = request.check_response(&other_id, now).unwrap_err();
    assert!(matches!(error, ResponseError::WrongId { .. }) && error.is_stray());

    let echoed = request.check_response(request.wire(), now).unwrap_err();
    assert_eq!(echoed, ResponseError::NotAResponse);
    assert!(echoed.is_stray());

    let short = request.check_response(&good[..11], now).unwrap_err();
    assert_eq!(short, ResponseError::Short { len: 11 });

    let mut trailing = good.clone();
    trailing.push(0);
    assert_eq!(
        request.check_response(&trailing, now),
        Err(ResponseError::Malformed)
    );
    assert!(!ResponseError::Malformed.is_stray());
}

#[test]
fn gives_isc_result_texts() {
    assert_eq!(ResponseError::BadSig.to_string(), "tsig indicates error");
    assert_eq!(ResponseError::BadKey.to_string(), "tsig indicates error");
    assert_eq!(
        ResponseError::BadTime { server_time: None }.to_string(),
        "clocks are unsynchronized"
    );
    assert_eq!(ResponseError::BadMac.to_string(), "tsig verify failure");
    assert_eq!(
        ResponseError::Unsigned {
            rcode: Rcode::NOERROR
        }
        .to_string(),
        "expected a TSIG or SIG(0)"
    );
}
