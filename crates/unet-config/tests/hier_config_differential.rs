//! Differential test against hier_config 3.7.1 on the corpus. Every command that only one side
//! emits must match a row of the table in `docs/config-engine.md` (section "Differences from
//! hier_config") that says why ours is right; every row must still match something.
//!
//! `UNET_HIER_CONFIG_PYTHON` names a Python with `hier_config==3.7.1` installed. Without it the
//! test is skipped with a notice, except under `CI=true`, where it fails.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};

use regex::Regex;
use serde_json::{Value, json};
use unet_config::{Command, parse, parse_platform, remediate, rollback};

const PYTHON_VAR: &str = "UNET_HIER_CONFIG_PYTHON";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Row {
    case: String,
    mode: String,
    side: String,
    pattern: Regex,
    matched: bool,
}

/// Rows of the table between the `hier_config differences` markers in the docs.
fn documented_rows() -> Vec<Row> {
    let doc = fs::read_to_string(repo_root().join("docs/config-engine.md"))
        .expect("docs/config-engine.md");
    let begin = doc
        .find("<!-- hier_config differences: begin -->")
        .expect("begin marker");
    let end = doc
        .find("<!-- hier_config differences: end -->")
        .expect("end marker");
    doc[begin..end]
        .lines()
        .filter(|l| l.starts_with('|') && !l.starts_with("| case") && !l.starts_with("|--"))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split(" | ").map(str::trim).collect();
            assert!(cells.len() == 5, "table row needs 5 cells: {l}");
            let pattern = cells[3].trim_matches('`').replace("\\|", "|");
            Row {
                case: cells[0].to_string(),
                mode: cells[1].to_string(),
                side: cells[2].to_string(),
                pattern: Regex::new(&format!("^(?:{pattern})$"))
                    .unwrap_or_else(|e| panic!("row {l}: {e}")),
                matched: false,
            }
        })
        .collect()
}

fn our_paths(commands: &[Command], prefix: &[String], out: &mut BTreeSet<String>) {
    for command in commands {
        let mut path = prefix.to_vec();
        path.push(collapse(&command.text));
        out.insert(path.join(" > "));
        our_paths(&command.children, &path, out);
    }
}

fn collapse(text: &str) -> String {
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

fn their_paths(value: &Value) -> BTreeSet<String> {
    value
        .as_array()
        .expect("list of paths")
        .iter()
        .map(|path| {
            path.as_array()
                .expect("path")
                .iter()
                .map(|p| collapse(p.as_str().expect("path element")))
                .collect::<Vec<_>>()
                .join(" > ")
        })
        .collect()
}

#[test]
fn differences_from_hier_config_are_documented() {
    let Some(python) = std::env::var_os(PYTHON_VAR) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{PYTHON_VAR} must name a Python with hier_config==3.7.1 under CI"
        );
        eprintln!(
            "skipping the hier_config differential test: set {PYTHON_VAR} to a Python with hier_config==3.7.1"
        );
        return;
    };
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut cases: Vec<PathBuf> = fs::read_dir(&corpus)
        .expect("corpus")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    let read = |dir: &Path, f: &str| fs::read_to_string(dir.join(f)).expect("corpus file");
    let jobs: Vec<Value> = cases
        .iter()
        .map(|dir| {
            json!({
                "platform": read(dir, "platform").trim(),
                "running": read(dir, "running.cfg"),
                "intended": read(dir, "intended.cfg"),
            })
        })
        .collect();
    let mut oracle = Process::new(python)
        .arg(repo_root().join("scripts/oracle/hier_config_remediate.py"))
        .arg("remediate")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the hier_config oracle");
    oracle
        .stdin
        .take()
        .expect("stdin")
        .write_all(json!(jobs).to_string().as_bytes())
        .expect("send jobs");
    let output = oracle.wait_with_output().expect("oracle output");
    assert!(output.status.success(), "oracle failed");
    let results: Vec<Value> = serde_json::from_slice(&output.stdout).expect("oracle JSON");

    let mut rows = documented_rows();
    let mut undocumented = Vec::new();
    for (dir, result) in cases.iter().zip(&results) {
        let case = dir
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let platform = parse_platform(&read(dir, "platform")).expect("platform");
        let running = parse(platform, &read(dir, "running.cfg")).expect("running");
        let intended = parse(platform, &read(dir, "intended.cfg")).expect("intended");
        for (mode, ours) in [
            ("remediation", remediate(&running, &intended)),
            ("rollback", rollback(&running, &intended)),
        ] {
            let mut mine = BTreeSet::new();
            our_paths(&ours.commands, &[], &mut mine);
            let theirs = their_paths(&result[mode]);
            let only = [
                ("unet", mine.difference(&theirs).collect::<Vec<_>>()),
                ("hier_config", theirs.difference(&mine).collect::<Vec<_>>()),
            ];
            for (side, lines) in only {
                for line in lines {
                    let row = rows.iter_mut().find(|r| {
                        (r.case == case || r.case == "*")
                            && (r.mode == mode || r.mode == "*")
                            && r.side == side
                            && r.pattern.is_match(line)
                    });
                    match row {
                        Some(row) => row.matched = true,
                        None => {
                            undocumented.push(format!("| {case} | {mode} | {side} | `{line}` |"))
                        }
                    }
                }
            }
        }
    }
    let stale: Vec<String> = rows
        .iter()
        .filter(|r| !r.matched)
        .map(|r| format!("{} {} {} {}", r.case, r.mode, r.side, r.pattern))
        .collect();
    assert!(
        undocumented.is_empty(),
        "differences from hier_config not documented in docs/config-engine.md:\n{}",
        undocumented.join("\n")
    );
    assert!(
        stale.is_empty(),
        "documented differences that no longer occur:\n{}",
        stale.join("\n")
    );
}
