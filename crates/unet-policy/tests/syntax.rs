//! Surface syntax: keywords, layout, comments, rule names, and where errors are reported.

mod common;

use common::{load, outcomes, switch};
use unet_policy::{Diagnostic, Outcome, PolicySet, Severity, parse};

fn diagnostics(text: &str) -> Vec<Diagnostic> {
    PolicySet::compile([("net.rules", text)]).diagnostics.0
}

/// `(line, column, message)` of each error.
fn errors(text: &str) -> Vec<(u32, u32, String)> {
    diagnostics(text)
        .into_iter()
        .filter(Diagnostic::is_error)
        .map(|d| (d.line, d.column, d.message))
        .collect()
}

#[test]
fn keywords_are_case_insensitive() {
    let node = switch();
    let upper = r#"WHEN node.vendor == "cisco" AND NOT node.asset_tag IS NOT NULL THEN ASSERT node.role IS "access""#;
    let lower = r#"when node.vendor == "cisco" and not node.asset_tag is not null then assert node.role is "access""#;
    let mixed = r#"When node.vendor == "cisco" And Not node.asset_tag Is Not Null Then Assert node.role Is "access""#;
    for text in [upper, lower, mixed] {
        assert_eq!(outcomes(text, &node, None), [Outcome::Pass], "{text}");
    }
    let (lower_ast, _) = parse("a", lower);
    let (upper_ast, _) = parse("b", upper);
    assert_eq!(lower_ast, upper_ast);
    assert_eq!(
        outcomes(
            r#"rule "x": when true then set custom_data.a to TRUE"#,
            &node,
            None
        ),
        [Outcome::Pass]
    );
}

#[test]
fn rules_span_lines_and_comments_are_ignored() {
    let text = r#"
# Compliance for the campus access layer.
// Each rule may span lines.
WHEN node.vendor == "cisco"       # trailing hash comment
  AND node.role == "access"       // trailing slash comment
  /* a block
     comment */
THEN
  ASSERT custom_data.snmp_version
    IS "v3"
WHEN node.vendor == "juniper" THEN APPLY "junos-base" WHEN true THEN APPLY "base"
"#;
    let set = load(text);
    let ids: Vec<&str> = set.rules().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["test.rules:4", "test.rules:11", "test.rules:11:55"]);
    assert_eq!(
        outcomes(text, &switch(), None),
        [Outcome::Pass, Outcome::NotApplicable, Outcome::Pass]
    );
}

#[test]
fn named_rules_use_their_name_as_id_and_names_are_unique() {
    let text = "RULE \"ntp-servers\": WHEN true THEN ASSERT custom_data.ntp_servers IS NOT NULL\n\
                RULE \"ntp-servers\": WHEN true THEN APPLY \"x\"\n";
    let errs = errors(text);
    assert_eq!(
        errs,
        [(
            2,
            1,
            "rule name `ntp-servers` is already used at net.rules:1:1".to_owned()
        )]
    );
    let set = PolicySet::compile([("net.rules", text)]).set;
    assert_eq!(
        set.rules().next().map(|r| r.id.as_str()),
        Some("ntp-servers")
    );
}

#[test]
fn strings_support_escapes_and_both_quotes() {
    let node = serde_json::json!({"custom_data": {"banner": "say \"hi\"\n\tüñ ✓ 😀", "q": "it's"}});
    let set = load(
        r#"WHEN custom_data.banner == "say \"hi\"\n\t\u00fc\u00f1 ✓ \ud83d\ude00" THEN APPLY "a"
           WHEN custom_data.q == 'it\'s' THEN APPLY "b"
           WHEN custom_data.q == "it's" THEN APPLY "c""#,
    );
    let evaluation = set.evaluate(&unet_policy::NodeFacts::new(&node));
    assert_eq!(evaluation.templates, ["a", "b", "c"]);
}

#[test]
fn syntax_errors_report_line_column_and_what_was_expected() {
    let cases: &[(&str, (u32, u32, &str))] = &[
        (
            "WHEN node.vendor == \"cisco\" ASSERT node.role IS \"core\"",
            (
                1,
                29,
                "expected `AND`, `OR` or `THEN`, found keyword `ASSERT`",
            ),
        ),
        (
            "WHEN node.vendor = \"cisco\" THEN APPLY \"x\"",
            (1, 18, "expected `==` (a single `=` is not an operator)"),
        ),
        (
            "\n\n   WHEN node.vendor \"cisco\" THEN APPLY \"x\"",
            (
                3,
                21,
                "expected an operator (==, !=, <, <=, >, >=, CONTAINS, MATCHES, IS NULL, IS NOT NULL), found a string",
            ),
        ),
        (
            "WHEN node.vendor == THEN APPLY \"x\"",
            (1, 21, "expected a field or a value, found keyword `THEN`"),
        ),
        (
            "WHEN (node.vendor == \"a\" THEN APPLY \"x\"",
            (1, 26, "expected `AND`, `OR` or `)`, found keyword `THEN`"),
        ),
        (
            "WHEN node.vendor == \"a\" THEN APPLY x",
            (
                1,
                36,
                "expected a quoted template name after APPLY, found `x`",
            ),
        ),
        (
            "WHEN node.vendor == \"a\" THEN SET node.vendor TO \"b\"",
            (
                1,
                34,
                "SET can only change `custom_data.<path>`, not `node.vendor`",
            ),
        ),
        (
            "WHEN node.vendor == \"a\" THEN SET custom_data.x \"b\"",
            (1, 48, "expected `TO`, found a string"),
        ),
        (
            "WHEN node.vendor == \"a\" THEN DELETE custom_data.x",
            (
                1,
                30,
                "expected an action (`ASSERT`, `SET` or `APPLY`), found `DELETE`",
            ),
        ),
        (
            "WHEN node.vendor IS \"a\" THEN APPLY \"x\"",
            (1, 21, "expected `NULL` or `NOT NULL`, found a string"),
        ),
        (
            "WHEN node.name MATCHES \"x\" THEN APPLY \"x\" extra",
            (
                1,
                43,
                "expected `WHEN`, `RULE` or end of file after the action, found `extra`",
            ),
        ),
        (
            "WHEN node.name MATCHES node.x THEN APPLY \"x\"",
            (
                1,
                24,
                "expected a `/regex/flags` or a quoted pattern after MATCHES, found `node`",
            ),
        ),
        (
            "WHEN node.name MATCHES /a(/ THEN APPLY \"x\"",
            (1, 24, "invalid regex: unclosed group"),
        ),
        (
            "WHEN node.name MATCHES /a/q THEN APPLY \"x\"",
            (1, 27, "unknown regex flag `q`: expected i, m, s or x"),
        ),
        (
            "WHEN node.name == \"abc\nTHEN APPLY \"x\"",
            (
                1,
                19,
                "unterminated string: expected a closing `\"` before the end of the line",
            ),
        ),
        (
            "WHEN node.name == \"a\\qb\" THEN APPLY \"x\"",
            (
                1,
                21,
                "invalid escape: expected one of \\\" \\' \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX",
            ),
        ),
        (
            "WHEN node.mtu > 99999999999999999999 THEN APPLY \"x\"",
            (
                1,
                17,
                "integer `99999999999999999999` does not fit in 64 bits; write it as a string",
            ),
        ),
        (
            "WHEN node. == 1 THEN APPLY \"x\"",
            (1, 12, "expected a field name after `.`, found `==`"),
        ),
        (
            "RULE ntp: WHEN true THEN APPLY \"x\"",
            (
                1,
                6,
                "expected a quoted rule name after `RULE`, found `ntp`",
            ),
        ),
        (
            "THEN APPLY \"x\"",
            (1, 1, "expected `WHEN` or `RULE`, found keyword `THEN`"),
        ),
        (
            "WHEN true THEN APPLY \"x\" /* open",
            (1, 26, "unterminated `/*` comment: expected `*/`"),
        ),
    ];
    for (text, (line, column, message)) in cases {
        let errs = errors(text);
        assert_eq!(
            errs.first(),
            Some(&(*line, *column, (*message).to_owned())),
            "for {text:?} all errors were {errs:?}"
        );
    }
}

#[test]
fn every_broken_rule_in_a_file_is_reported_and_good_rules_still_compile() {
    let text = "WHEN node.vendor == THEN APPLY \"a\"\n\
                WHEN node.role == \"core\" THEN APPLY \"b\"\n\
                WHEN node.role = \"x\" THEN APPLY \"c\"\n\
                WHEN node.role == \"edge\" THEN APPLY \"d\" APPLY\n";
    let errs = errors(text);
    let positions: Vec<(u32, u32)> = errs.iter().map(|e| (e.0, e.1)).collect();
    assert_eq!(positions, [(1, 21), (3, 16), (4, 41)], "{errs:?}");
    let compiled = PolicySet::compile([("net.rules", text)]);
    assert_eq!(compiled.set.len(), 1);
    assert!(PolicySet::load([("net.rules", text)]).is_err());
}

#[test]
fn diagnostics_render_the_line_with_a_caret() {
    let diags =
        diagnostics("WHEN node.vendor == \"cisco\"\n\tAND node.role = \"core\" THEN APPLY \"x\"");
    let [d] = diags.as_slice() else {
        panic!("one error expected, got {diags:?}");
    };
    assert_eq!(
        d.one_line(),
        "net.rules:2:16: error: expected `==` (a single `=` is not an operator)"
    );
    assert_eq!(
        d.to_string(),
        "net.rules:2:16: error: expected `==` (a single `=` is not an operator)\n  |\n2 | \tAND node.role = \"core\" THEN APPLY \"x\"\n  | \t              ^"
    );
}

#[test]
fn columns_count_characters_not_bytes() {
    let errs = errors("WHEN node.name == \"Zürich-π\" THEN APPLY \"x\" ?");
    assert_eq!(errs, [(1, 45, "unexpected character `?`".to_owned())]);
}

#[test]
fn unknown_fields_are_warnings_with_the_nearest_name() {
    let diags = diagnostics(
        "WHEN node.vender == \"cisco\" AND nod.role == \"core\" AND vendor == \"x\" AND node.custom_data.anything == 1 THEN ASSERT locaton.path IS \"x\"",
    );
    let warnings: Vec<(u32, String)> = diags
        .iter()
        .map(|d| {
            assert_eq!(d.severity, Severity::Warning, "{d}");
            (d.column, d.message.clone())
        })
        .collect();
    assert_eq!(
        warnings,
        [
            (6, "unknown field `node.vender`; did you mean `node.vendor`? (it is read anyway and is null when absent)".to_owned()),
            (33, "unknown field `nod.role`; did you mean `node.role`? (it is always null)".to_owned()),
            (56, "unknown field `vendor`; did you mean `node.vendor`? (it is always null)".to_owned()),
            (117, "unknown field `locaton.path`; did you mean `location.path`? (it is always null)".to_owned()),
        ]
    );
    // Warnings do not stop a load.
    assert!(PolicySet::load([("w.rules", "WHEN node.vender == \"x\" THEN APPLY \"t\"")]).is_ok());
}

#[test]
fn nesting_is_capped_so_hostile_input_cannot_overflow_the_stack() {
    let deep = format!(
        "WHEN {}TRUE{} THEN APPLY \"x\"",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    let errs = errors(&deep);
    assert_eq!(errs.len(), 1);
    assert_eq!(
        errs[0].2,
        "condition nests deeper than 64 levels of parentheses or NOT"
    );
    let nots = format!("WHEN {}TRUE THEN APPLY \"x\"", "NOT ".repeat(100_000));
    assert_eq!(errors(&nots).len(), 1);
    let ok = format!(
        "WHEN {}TRUE{} THEN APPLY \"x\"",
        "(".repeat(64),
        ")".repeat(64)
    );
    assert!(errors(&ok).is_empty());
    // Long flat chains are n-ary, not nested, so they are fine at any length.
    let chain = format!("WHEN TRUE{} THEN APPLY \"x\"", " AND TRUE".repeat(100_000));
    assert_eq!(outcomes(&chain, &switch(), None), [Outcome::Pass]);
}

#[test]
fn field_paths_are_capped() {
    let long = format!("WHEN node{} == 1 THEN APPLY \"x\"", ".a".repeat(40));
    assert_eq!(
        errors(&long),
        [(1, 6, "field has more than 32 dotted parts".to_owned())]
    );
    let ok = format!("WHEN node{} == 1 THEN APPLY \"x\"", ".a".repeat(31));
    assert_eq!(errors(&ok), []);
}

#[test]
fn oversized_regexes_are_rejected_at_load() {
    let text = "WHEN node.name MATCHES /(\\w{100}){100}/ THEN APPLY \"x\"";
    let errs = errors(text);
    assert_eq!(errs.len(), 1);
    assert!(errs[0].2.starts_with("invalid regex: "), "{errs:?}");
}

#[test]
fn diagnostics_serialize_for_the_api() {
    let compiled = PolicySet::compile([(
        "api.rules",
        "WHEN node.vender == 1 THEN APPLY \"t\"\nWHEN TRUE THEN APPLY x",
    )]);
    let json = serde_json::to_value(&compiled.diagnostics).expect("diagnostics serialize");
    assert_eq!(
        json,
        serde_json::json!([
            {
                "file": "api.rules", "line": 1, "column": 6, "severity": "warning",
                "message": "unknown field `node.vender`; did you mean `node.vendor`? (it is read anyway and is null when absent)",
                "source_line": "WHEN node.vender == 1 THEN APPLY \"t\""
            },
            {
                "file": "api.rules", "line": 2, "column": 22, "severity": "error",
                "message": "expected a quoted template name after APPLY, found `x`",
                "source_line": "WHEN TRUE THEN APPLY x"
            }
        ])
    );
}

#[test]
fn diagnostics_follow_load_order_of_files() {
    let compiled = PolicySet::compile([
        ("z.rules", "WHEN node.vender == 1 THEN APPLY \"a\""),
        (
            "a.rules",
            "WHEN node.role = 1 THEN APPLY \"b\"\nWHEN nod.x == 1 THEN APPLY \"c\"",
        ),
    ]);
    let order: Vec<(String, u32)> = compiled
        .diagnostics
        .iter()
        .map(|d| (d.file.clone(), d.line))
        .collect();
    assert_eq!(
        order,
        [
            ("z.rules".to_owned(), 1),
            ("a.rules".to_owned(), 1),
            ("a.rules".to_owned(), 2)
        ]
    );
}

#[test]
fn upstream_style_rules_keep_working() {
    // The upstream engine's syntax: `//` and `/* */` comments, single or double quotes,
    // SET on custom_data and ASSERT … IS NOT NULL.
    let text = r#"
        /* Compliance for Cisco devices */
        WHEN node.vendor == "cisco" THEN ASSERT node.custom_data.ios_version IS '17.9'
        // Mark routers as managed
        WHEN node.role == "router" THEN SET custom_data.managed TO true
        WHEN node.role == 'switch' THEN ASSERT node.custom_data.vlans IS NOT NULL
        WHEN node.role == "router" AND node.custom_data.location_type == "edge"
            THEN APPLY "templates/edge-router.j2"
    "#;
    let (set, warnings) =
        PolicySet::load([("upstream.policy", text)]).unwrap_or_else(|e| panic!("{e}"));
    assert!(warnings.is_empty(), "{warnings}");
    let router = serde_json::json!({
        "vendor": "cisco", "role": "router",
        "custom_data": {"ios_version": "17.9", "location_type": "edge"}
    });
    let evaluation = set.evaluate(&unet_policy::NodeFacts::new(&router));
    let outcomes: Vec<Outcome> = evaluation.results.iter().map(|r| r.outcome).collect();
    assert_eq!(
        outcomes,
        [
            Outcome::Pass,
            Outcome::Pass,
            Outcome::NotApplicable,
            Outcome::Pass
        ]
    );
    assert_eq!(evaluation.templates, ["templates/edge-router.j2"]);
    assert_eq!(evaluation.changes.len(), 1);
}
