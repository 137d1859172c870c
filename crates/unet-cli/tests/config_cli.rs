//! `unet config diff | remediate | slice` run as a real process: exit codes like diff(1),
//! output formats, stdin, and errors that name the file and line.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn corpus(case: &str, file: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../unet-config/tests/corpus")
        .join(case)
        .join(file)
        .display()
        .to_string()
}

fn unet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_unet"))
        .args(args)
        .output()
        .expect("run unet")
}

fn unet_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_unet"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run unet");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write stdin");
    child.wait_with_output().expect("unet output")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

const CASE: &str = "iosxe_edge_router";

#[test]
fn diff_exit_codes_follow_diff() {
    let running = corpus(CASE, "running.cfg");
    let intended = corpus(CASE, "intended.cfg");
    let same = unet(&[
        "config",
        "diff",
        "--platform",
        "cisco_ios",
        &running,
        &running,
    ]);
    assert_eq!(same.status.code(), Some(0), "{}", stderr(&same));
    assert_eq!(stdout(&same), "");
    let different = unet(&[
        "config",
        "diff",
        "--platform",
        "cisco_ios",
        &running,
        &intended,
    ]);
    assert_eq!(different.status.code(), Some(1), "{}", stderr(&different));
    let expected = std::fs::read_to_string(corpus(CASE, "diff.txt")).expect("expected diff");
    assert_eq!(stdout(&different), expected);
    let trouble = unet(&[
        "config",
        "diff",
        "--platform",
        "cisco_ios",
        &running,
        "/nonexistent/intended.cfg",
    ]);
    assert_eq!(trouble.status.code(), Some(2));
    assert!(
        stderr(&trouble).contains("/nonexistent/intended.cfg"),
        "{}",
        stderr(&trouble)
    );
}

#[test]
fn diff_formats_json_unified_and_refused_ones() {
    let running = corpus(CASE, "running.cfg");
    let intended = corpus(CASE, "intended.cfg");
    let json = unet(&[
        "config",
        "diff",
        "--platform",
        "cisco_ios",
        "-o",
        "json",
        &running,
        &intended,
    ]);
    assert_eq!(json.status.code(), Some(1));
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON diff");
    assert_eq!(value["equal"], false);
    let changes = value["changes"].as_array().expect("changes");
    assert!(changes.iter().any(|c| {
        c["kind"] == "replaced"
            && c["previous"]
                .as_str()
                .is_some_and(|p| p.contains("$9$oldhash"))
    }));
    let unified = unet(&[
        "config",
        "diff",
        "--platform",
        "cisco_ios",
        "-o",
        "unified",
        &running,
        &intended,
    ]);
    assert_eq!(unified.status.code(), Some(1));
    let text = stdout(&unified);
    assert!(
        text.contains("@@") && text.contains("+ set local-preference 200"),
        "{text}"
    );
    // Abbreviated interface names in intended are not a change: no hunk removes the interface.
    assert!(!text.contains("-interface GigabitEthernet0/0/0"), "{text}");
    let yaml = unet(&[
        "config",
        "diff",
        "--platform",
        "cisco_ios",
        "-o",
        "yaml",
        &running,
        &intended,
    ]);
    assert_eq!(yaml.status.code(), Some(2));
    assert!(
        stderr(&yaml).contains("text, json or unified"),
        "{}",
        stderr(&yaml)
    );
}

#[test]
fn diff_restricted_to_a_slice() {
    let running = corpus(CASE, "running.cfg");
    let intended = corpus(CASE, "intended.cfg");
    let equal = unet(&[
        "config",
        "diff",
        "--platform",
        "cisco_ios",
        "--slice",
        "router ospf||*",
        &running,
        &intended,
    ]);
    assert_eq!(
        equal.status.code(),
        Some(0),
        "{}{}",
        stdout(&equal),
        stderr(&equal)
    );
    let changed = unet(&[
        "config",
        "diff",
        "--platform",
        "cisco_ios",
        "--slice",
        "route-map",
        &running,
        &intended,
    ]);
    assert_eq!(changed.status.code(), Some(1));
    assert!(
        !stdout(&changed).contains("interface"),
        "{}",
        stdout(&changed)
    );
    let bad = unet(&[
        "config",
        "diff",
        "--platform",
        "cisco_ios",
        "--slice",
        "router||(",
        &running,
        &intended,
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("level 2"), "{}", stderr(&bad));
}

#[test]
fn remediate_and_rollback_print_the_corpus_commands() {
    for (case, platform) in [(CASE, "cisco_ios"), ("junos_mx_edge", "juniper_junos")] {
        let running = corpus(case, "running.cfg");
        let intended = corpus(case, "intended.cfg");
        let fix = unet(&[
            "config",
            "remediate",
            "--platform",
            platform,
            &running,
            &intended,
        ]);
        assert_eq!(fix.status.code(), Some(0), "{}", stderr(&fix));
        assert_eq!(
            stdout(&fix),
            std::fs::read_to_string(corpus(case, "remediation.cfg")).expect("expected")
        );
        let back = unet(&[
            "config",
            "remediate",
            "--rollback",
            "--platform",
            platform,
            &running,
            &intended,
        ]);
        assert_eq!(
            stdout(&back),
            std::fs::read_to_string(corpus(case, "rollback.cfg")).expect("expected")
        );
    }
    let json = unet(&[
        "config",
        "remediate",
        "--platform",
        "cisco_ios",
        "-o",
        "json",
        &corpus(CASE, "running.cfg"),
        &corpus(CASE, "intended.cfg"),
    ]);
    let commands: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON commands");
    let bgp = commands
        .as_array()
        .expect("list")
        .iter()
        .find(|c| c["text"] == "router bgp 65010")
        .expect("bgp section");
    assert_eq!(bgp["children"][3]["exit"], "exit-address-family");
}

#[test]
fn stdin_is_read_for_a_dash() {
    let intended = corpus(CASE, "intended.cfg");
    let running = std::fs::read(corpus(CASE, "running.cfg")).expect("running");
    let fix = unet_stdin(
        &[
            "config",
            "remediate",
            "--platform",
            "cisco_xe",
            "-",
            &intended,
        ],
        &running,
    );
    assert_eq!(fix.status.code(), Some(0), "{}", stderr(&fix));
    assert!(stdout(&fix).contains("username automation privilege 15 secret 9 $9$newhash"));
    let both = unet(&["config", "diff", "--platform", "cisco_ios", "-", "-"]);
    assert_eq!(both.status.code(), Some(2));
}

#[test]
fn slice_prints_matching_sections() {
    let running = corpus(CASE, "running.cfg");
    let sliced = unet(&[
        "config",
        "slice",
        "--platform",
        "cisco_ios",
        &running,
        "interface||ip address",
    ]);
    assert_eq!(sliced.status.code(), Some(0), "{}", stderr(&sliced));
    let text = stdout(&sliced);
    assert!(
        text.starts_with("interface Loopback0\n ip address 192.0.2.1 255.255.255.255\n"),
        "{text}"
    );
    assert!(!text.contains("description"), "{text}");
    let prefix = unet(&[
        "config",
        "slice",
        "--platform",
        "cisco_ios",
        "--prefix",
        &running,
        "ip prefix-list BOGONS",
    ]);
    assert_eq!(stdout(&prefix).lines().count(), 4);
    let json = unet(&[
        "config",
        "slice",
        "--platform",
        "cisco_ios",
        "-o",
        "json",
        &running,
        "router bgp||address-family",
    ]);
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON slice");
    assert_eq!(value[0]["children"][0]["text"], "address-family ipv4");
    assert!(value[0]["line"].as_u64().is_some_and(|l| l > 1));
}

#[test]
fn bad_input_is_trouble_with_file_and_line() {
    let unknown = unet(&["config", "slice", "--platform", "cisco_ios9", "-", "x"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("unknown platform `cisco_ios9`"),
        "{}",
        stderr(&unknown)
    );
    let binary = unet_stdin(
        &["config", "slice", "--platform", "cisco_ios", "-", "*"],
        b"hostname r1\nab\xff\xfe\n",
    );
    assert_eq!(binary.status.code(), Some(2));
    assert!(
        stderr(&binary).contains("<stdin>: line 2, column 3: not UTF-8"),
        "{}",
        stderr(&binary)
    );
    let braces = unet_stdin(
        &["config", "slice", "--platform", "juniper_junos", "-", "*"],
        b"system {\n host-name r1;\n}\n}\n",
    );
    assert_eq!(braces.status.code(), Some(2));
    assert!(
        stderr(&braces).contains("<stdin>: line 4, column 1: unbalanced"),
        "{}",
        stderr(&braces)
    );
}
