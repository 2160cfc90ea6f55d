//! Shared helpers for the tools' integration tests.
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository's `testdata/` folder.
pub fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

/// Whether `tshark` runs here. Without it the peer tests skip with a message, except under CI,
/// where its absence is a failure.
pub fn have_tshark() -> bool {
    let ok = Command::new("tshark")
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install tshark (apt-get install tshark)"
        );
        eprintln!("SKIP: tshark is not installed (apt-get install tshark)");
    }
    ok
}

/// Runs `tshark -n -r capture ARGS` and returns its standard output.
fn tshark(capture: &Path, args: &[&str]) -> String {
    let out = Command::new("tshark")
        .arg("-n")
        .arg("-r")
        .arg(capture)
        .args(args)
        .output()
        .expect("run tshark");
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs tshark on `capture` for its DHCP frames with `fields` in order, each field's occurrences
/// joined by commas: one row per frame, and whether tshark read the whole file.
pub fn tshark_rows(capture: &Path, fields: &[&str]) -> (Vec<Vec<String>>, bool) {
    let mut args = vec!["-n", "-r"];
    let path = capture.to_str().expect("a UTF-8 path");
    args.push(path);
    args.extend([
        "-Y",
        "dhcp",
        "-T",
        "fields",
        "-E",
        "separator=|",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=,",
    ]);
    for f in fields {
        args.extend(["-e", f]);
    }
    let out = Command::new("tshark")
        .args(&args)
        .output()
        .expect("run tshark");
    let rows = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split('|').map(str::to_string).collect())
        .collect();
    (rows, out.status.success())
}

/// [`tshark_rows`] of a capture tshark must read whole.
pub fn tshark_fields(capture: &Path, fields: &[&str]) -> Vec<Vec<String>> {
    let (rows, ok) = tshark_rows(capture, fields);
    assert!(ok, "tshark failed on {}", capture.display());
    rows
}

/// Frames tshark flags as malformed or with an expert-info error, as "frame: message" lines.
pub fn tshark_problems(capture: &Path) -> Vec<String> {
    let filter = "_ws.malformed || _ws.expert.severity == error";
    let args = [
        "-Y",
        filter,
        "-T",
        "fields",
        "-E",
        "occurrence=a",
        "-e",
        "frame.number",
        "-e",
        "_ws.expert.message",
    ];
    tshark(capture, &args).lines().map(str::to_string).collect()
}

/// Runs `charrua decode` with `args` and returns (exit success, parsed JSON lines, stderr).
pub fn charrua_decode(
    args: &[&str],
    stdin: Option<&[u8]>,
) -> (bool, Vec<serde_json::Value>, String) {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_charrua"))
        .arg("decode")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run charrua");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input).unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    let lines = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    (
        out.status.success(),
        lines,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Our decoding of `capture` agrees with tshark's, frame by frame: the same DHCP frames, message
/// types (none for BOOTP), transaction ids, addresses, and option codes in order (each code
/// once, where it first appears, as RFC 3396 concatenates them; pad and end aside). A frame we
/// report as an error is one tshark finds malformed or the capture cut short; a file tshark
/// stops reading, we stop reading too, after the same frames. Returns the frames compared.
pub fn agrees_with_tshark(capture: &Path) -> usize {
    let name = capture.display();
    let (ok, ours, stderr) = charrua_decode(&[capture.to_str().unwrap()], None);
    let fields = [
        "frame.number",
        "dhcp.option.dhcp",
        "dhcp.id",
        "dhcp.ip.client",
        "dhcp.ip.your",
        "dhcp.option.type",
        "_ws.malformed",
        "frame.cap_len",
        "frame.len",
    ];
    let (theirs, tshark_ok) = tshark_rows(capture, &fields);
    assert_eq!(
        ok, tshark_ok,
        "{name}: tshark read the whole file ({tshark_ok}) and we did ({ok}): {stderr}"
    );
    let frames = |rows: &mut dyn Iterator<Item = String>| rows.collect::<Vec<_>>().join(" ");
    assert_eq!(
        frames(&mut ours.iter().map(|o| o["frame"].to_string())),
        frames(&mut theirs.iter().map(|t| t[0].clone())),
        "{name}: the DHCP frames"
    );
    for (o, t) in ours.iter().zip(&theirs) {
        let frame = &t[0];
        let flagged = !t[6].is_empty() || t[7].parse::<u64>().ok() < t[8].parse::<u64>().ok();
        if o.get("error").is_some() {
            assert!(
                flagged,
                "{name} frame {frame}: our error {o}, tshark: {t:?}"
            );
            continue;
        }
        let options = o["options"].as_array().unwrap();
        let message_type = options
            .iter()
            .find(|x| x["code"] == 53)
            .map_or(String::new(), |x| x["value"].to_string());
        assert_eq!(message_type, t[1], "{name} frame {frame}: message type");
        assert_eq!(o["xid"].as_str().unwrap(), t[2], "{name} frame {frame}");
        assert_eq!(o["ciaddr"].as_str().unwrap(), t[3], "{name} frame {frame}");
        assert_eq!(o["yiaddr"].as_str().unwrap(), t[4], "{name} frame {frame}");
        let our_codes: Vec<String> = options.iter().map(|x| x["code"].to_string()).collect();
        let mut their_codes: Vec<String> = Vec::new();
        for code in t[5].split(',').filter(|c| !matches!(*c, "" | "0" | "255")) {
            if !their_codes.iter().any(|c| c == code) {
                their_codes.push(code.to_string());
            }
        }
        assert_eq!(our_codes, their_codes, "{name} frame {frame}: option codes");
    }
    ours.len()
}
