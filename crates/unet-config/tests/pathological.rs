//! Hostile input: every case ends in a clear error or a best-effort tree, never a panic, and
//! sizes are large enough that quadratic behaviour would not finish in the test's time.

use unet_config::{ConfigError, MAX_DEPTH, Platform, SliceExpr, diff, parse, remediate};

const MB: usize = 1 << 20;

#[test]
fn a_one_megabyte_line_parses_as_one_line() {
    let long = format!("description {}\n", "x".repeat(MB));
    for &platform in Platform::ALL {
        let text = format!("interface Gi1/0/1\n {long}hostname r1\n");
        let tree = parse(platform, &text).unwrap_or_else(|e| panic!("{platform}: {e}"));
        assert!(!tree.is_empty(), "{platform}");
    }
    let spaces = format!("{}hostname r1\n", " ".repeat(MB));
    assert_eq!(parse(Platform::CiscoIos, &spaces).map(|t| t.len()), Ok(1));
    let one_word = "a".repeat(MB);
    let tree = parse(Platform::CiscoIos, &one_word).expect("one long word");
    assert_eq!(
        tree.root().children().next().map(|l| l.text().len()),
        Some(MB)
    );
}

#[test]
fn ten_thousand_levels_of_nesting_are_refused_with_the_line() {
    let indented: String = (0..10_000)
        .map(|depth| format!("{}level {depth}\n", " ".repeat(depth)))
        .collect();
    let err = parse(Platform::CiscoIos, &indented).unwrap_err();
    assert_eq!(
        err,
        ConfigError::NestingTooDeep {
            line: MAX_DEPTH as u32 + 1,
            limit: MAX_DEPTH
        }
    );
    let braces = format!("{}{}", "a {\n".repeat(10_000), "}\n".repeat(10_000));
    let err = parse(Platform::JuniperJunos, &braces).unwrap_err();
    assert!(matches!(err, ConfigError::NestingTooDeep { .. }), "{err}");
    // Within the limit the tree is built.
    let ok: String = (0..MAX_DEPTH)
        .map(|depth| format!("{}level {depth}\n", " ".repeat(depth)))
        .collect();
    assert_eq!(
        parse(Platform::Generic, &ok).map(|t| t.len()),
        Ok(MAX_DEPTH)
    );
}

#[test]
fn binary_garbage_never_panics() {
    // A deterministic byte soup: every byte value, control characters, braces and quotes.
    let mut state: u32 = 0x1234_5678;
    let bytes: Vec<u8> = (0..128 * 1024)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state.to_le_bytes()[0]
        })
        .collect();
    let text = String::from_utf8_lossy(&bytes);
    for &platform in Platform::ALL {
        // Either outcome is acceptable; the point is a `Result`, not a panic.
        if let Ok(tree) = parse(platform, &text) {
            let fix = remediate(&tree, &parse(platform, "").expect("empty config"));
            assert_eq!(fix.is_empty(), tree.is_empty(), "{platform}");
        }
    }
}

#[test]
fn unbalanced_braces_and_quotes_are_reported() {
    let err = parse(Platform::JuniperJunos, "}}}}").unwrap_err();
    assert_eq!(
        err,
        ConfigError::UnexpectedCloseBrace { line: 1, column: 1 }
    );
    let err = parse(
        Platform::JuniperJunos,
        "system {\n host-name \"never closed;\n}\n",
    )
    .unwrap_err();
    assert!(
        matches!(err, ConfigError::UnterminatedLiteral { line: 2, .. }),
        "{err}"
    );
    // Found by the parse fuzz target: an open quote at the end of the input.
    let err = parse(Platform::JuniperJunos, "\"`\u{fffd}\n").unwrap_err();
    assert!(
        matches!(err, ConfigError::UnterminatedLiteral { line: 1, .. }),
        "{err}"
    );
    let err = parse(Platform::JuniperJunos, &"x {\n".repeat(3)).unwrap_err();
    assert_eq!(err, ConfigError::UnclosedBrace { line: 3 });
}

#[test]
fn flattening_cannot_multiply_a_long_path() {
    let block = format!(
        "{} {{\n{}}}\n",
        "w".repeat(64 * 1024),
        "leaf;\n".repeat(10_000)
    );
    let err = parse(Platform::JuniperJunos, &block).unwrap_err();
    assert!(
        matches!(err, ConfigError::PathTooLong { line: 1, .. }),
        "{err}"
    );
}

#[test]
fn unterminated_banner_is_reported_not_swallowed_silently() {
    let text = format!("hostname r1\nbanner motd #\n{}", "text\n".repeat(100_000));
    let err = parse(Platform::CiscoIos, &text).unwrap_err();
    assert!(
        matches!(err, ConfigError::UnterminatedLiteral { line: 2, .. }),
        "{err}"
    );
}

#[test]
fn large_configs_diff_in_linear_time() {
    // 20,000 top-level lines and a 5,000-entry ACL reversed: quadratic work would not finish.
    let running: String = (0..20_000)
        .map(|i| {
            format!(
                "ip route 10.{}.{}.0 255.255.255.0 Null0\n",
                i / 256,
                i % 256
            )
        })
        .collect();
    let intended: String = (10_000..30_000)
        .map(|i| {
            format!(
                "ip route 10.{}.{}.0 255.255.255.0 Null0\n",
                i / 256,
                i % 256
            )
        })
        .collect();
    let (r, i) = (
        parse(Platform::CiscoIos, &running).unwrap(),
        parse(Platform::CiscoIos, &intended).unwrap(),
    );
    assert_eq!(remediate(&r, &i).commands.len(), 20_000);
    let entries: Vec<String> = (0..5_000)
        .map(|n| format!(" permit ip host 10.0.{}.{} any\n", n / 256, n % 256))
        .collect();
    let forward = format!("ip access-list extended BIG\n{}", entries.concat());
    let backward = format!(
        "ip access-list extended BIG\n{}",
        entries.iter().rev().cloned().collect::<String>()
    );
    let (f, b) = (
        parse(Platform::CiscoIos, &forward).unwrap(),
        parse(Platform::CiscoIos, &backward).unwrap(),
    );
    assert!(!diff(&f, &b).is_empty());
    assert!(!remediate(&f, &b).is_empty());
}

#[test]
fn slicing_a_wide_config_and_bad_expressions() {
    let text: String = (0..10_000)
        .map(|i| {
            format!(
                "interface Vlan{i}\n{}",
                if i % 2 == 0 {
                    " description x\n"
                } else {
                    " shutdown\n"
                }
            )
        })
        .collect();
    let tree = parse(Platform::CiscoIos, &text).unwrap();
    let sliced = SliceExpr::parse("interface||description")
        .unwrap()
        .apply(&tree);
    assert_eq!(sliced.root().children().len(), 5_000);
    let huge = format!("({})", "a|".repeat(200_000));
    assert!(matches!(
        SliceExpr::parse(&huge),
        Err(ConfigError::InvalidSlice { .. })
    ));
}
