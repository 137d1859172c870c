//! The corpus under `tests/corpus/<case>/`: realistic running/intended pairs per platform with
//! the expected remediation and rollback. Set `UNET_BLESS=1` to rewrite the expected files
//! after reviewing a deliberate change.

use std::fs;
use std::path::{Path, PathBuf};

use unet_config::{
    Command, CommandKind, ConfigTree, Platform, apply, diff, parse, parse_platform, remediate,
    rollback,
};

struct Case {
    name: String,
    platform: Platform,
    running: ConfigTree,
    intended: ConfigTree,
    dir: PathBuf,
}

fn cases() -> Vec<Case> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut dirs: Vec<PathBuf> = fs::read_dir(&root)
        .expect("corpus directory")
        .map(|e| e.expect("corpus entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|dir| {
            let read = |f: &str| {
                fs::read_to_string(dir.join(f))
                    .unwrap_or_else(|e| panic!("{}/{f}: {e}", dir.display()))
            };
            let platform = parse_platform(&read("platform")).expect("platform name");
            let running = parse(platform, &read("running.cfg")).expect("running parses");
            let intended = parse(platform, &read("intended.cfg")).expect("intended parses");
            Case {
                name: dir
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                platform,
                running,
                intended,
                dir,
            }
        })
        .collect()
}

fn check_expected(case: &Case, file: &str, actual: &str) {
    let path = case.dir.join(file);
    if std::env::var_os("UNET_BLESS").is_some() {
        fs::write(&path, actual).expect("write expected file");
        return;
    }
    let expected = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        actual, expected,
        "{}: {file} differs from the expected output",
        case.name
    );
}

/// Every platform family the engine knows; each needs corpus cases.
const PLATFORM_FAMILIES: [Platform; 5] = [
    Platform::CiscoIos,
    Platform::CiscoNxos,
    Platform::AristaEos,
    Platform::JuniperJunos,
    Platform::CiscoIosxr,
];

#[test]
fn corpus_covers_every_platform_family() {
    let platforms: Vec<Platform> = cases().iter().map(|c| c.platform).collect();
    for wanted in PLATFORM_FAMILIES {
        assert!(platforms.contains(&wanted), "no corpus case for {wanted}");
    }
}

#[test]
fn remediation_matches_the_expected_commands() {
    for case in cases() {
        check_expected(
            &case,
            "remediation.cfg",
            &remediate(&case.running, &case.intended).to_text(),
        );
        check_expected(
            &case,
            "rollback.cfg",
            &rollback(&case.running, &case.intended).to_text(),
        );
        check_expected(
            &case,
            "diff.txt",
            &diff(&case.running, &case.intended).to_text(),
        );
    }
}

#[test]
fn remediation_applied_to_running_yields_intended() {
    for case in cases() {
        let fix = remediate(&case.running, &case.intended);
        assert!(!fix.is_empty(), "{}: the pair should differ", case.name);
        let after = apply(&case.running, &fix);
        let left = diff(&after, &case.intended);
        assert!(
            left.is_empty(),
            "{}: after remediation still differs:\n{}",
            case.name,
            left.to_text()
        );
    }
}

#[test]
fn rollback_applied_to_intended_yields_running() {
    for case in cases() {
        let back = rollback(&case.running, &case.intended);
        let after = apply(&case.intended, &back);
        let left = diff(&after, &case.running);
        assert!(
            left.is_empty(),
            "{}: after rollback still differs:\n{}",
            case.name,
            left.to_text()
        );
    }
}

#[test]
fn a_config_equals_itself_and_its_render() {
    for case in cases() {
        assert!(
            diff(&case.running, &case.running).is_empty(),
            "{}",
            case.name
        );
        let reparsed = parse(case.platform, &case.running.render()).expect("render parses");
        assert!(
            diff(&case.running, &reparsed).is_empty(),
            "{}: render round trip",
            case.name
        );
    }
}

fn negations(commands: &[Command], out: &mut Vec<String>) {
    for command in commands {
        if command.kind == CommandKind::Negate {
            out.push(command.text.clone());
        }
        negations(&command.children, out);
    }
}

/// The `*_single_valued` cases change only settings that hold one value (a VLAN's name,
/// descriptions, the hostname, primary addresses, router ids, timers, source interfaces,
/// Junos leaves…): the new value replaces the old one, so neither their remediation nor their
/// rollback negates anything first.
#[test]
fn single_valued_settings_are_replaced_not_negated() {
    let mut platforms = Vec::new();
    for case in cases()
        .into_iter()
        .filter(|c| c.name.ends_with("_single_valued"))
    {
        for (mode, commands) in [
            ("remediation", remediate(&case.running, &case.intended)),
            ("rollback", rollback(&case.running, &case.intended)),
        ] {
            let mut negated = Vec::new();
            negations(&commands.commands, &mut negated);
            assert!(
                negated.is_empty(),
                "{}: the {mode} negates single-valued settings: {negated:?}",
                case.name
            );
        }
        platforms.push(case.platform);
    }
    for wanted in PLATFORM_FAMILIES {
        assert!(
            platforms.contains(&wanted),
            "no single-valued case for {wanted}"
        );
    }
}

/// Renaming a VLAN sends the new name alone; the rollback sends the old one alone.
#[test]
fn a_vlan_rename_is_one_name_command_each_way() {
    for platform in [Platform::CiscoIos, Platform::CiscoNxos, Platform::AristaEos] {
        let running = parse(platform, "vlan 20\n name voice\n").expect("running");
        let intended = parse(platform, "vlan 20\n name voice-phones\n").expect("intended");
        assert_eq!(
            remediate(&running, &intended).to_text(),
            "vlan 20\n name voice-phones\n",
            "{platform}"
        );
        assert_eq!(
            rollback(&running, &intended).to_text(),
            "vlan 20\n name voice\n",
            "{platform}"
        );
    }
}
