//! Printing a syntax tree and parsing the text back gives the same tree.

use proptest::prelude::*;
use unet_policy::ast::{
    Action, CompareOp, Condition, FieldRef, Literal, Operand, Pattern, PolicyFile, RegexFlags, Rule,
};
use unet_policy::{Span, parse};

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z_][a-z0-9_-]{0,6}",
        "[0-9]{1,2}",
        // Keywords are fine after a dot.
        Just("to".to_owned()),
        Just("NULL".to_owned()),
    ]
}

fn field() -> impl Strategy<Value = FieldRef> {
    (
        prop::sample::select(vec![
            "node",
            "location",
            "status",
            "custom_data",
            "config",
            "vendor",
        ]),
        prop::collection::vec(segment(), 0..4),
    )
        .prop_map(|(root, rest)| {
            let mut segments = vec![root.to_owned()];
            segments.extend(rest);
            FieldRef {
                segments,
                span: Span::default(),
            }
        })
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof!["\\PC{0,12}", "[\"'\\\\\n\r\t\u{1}\u{7f} a-z]{0,8}"]
}

fn literal() -> impl Strategy<Value = Literal> {
    prop_oneof![
        Just(Literal::Null),
        any::<bool>().prop_map(Literal::Bool),
        any::<i64>().prop_map(Literal::Int),
        any::<f64>()
            .prop_filter("finite", |x| x.is_finite())
            .prop_map(Literal::Float),
        text().prop_map(Literal::Str),
    ]
}

fn operand() -> impl Strategy<Value = Operand> {
    prop_oneof![
        field().prop_map(Operand::Field),
        literal().prop_map(Operand::Literal)
    ]
}

fn pattern() -> impl Strategy<Value = Pattern> {
    let regex_piece = prop_oneof![
        "[a-z0-9 ./^$*+?()|#-]",
        Just("\\d".to_owned()),
        Just("\\.".to_owned()),
        Just("\\\\".to_owned()),
    ];
    let regex = (prop::collection::vec(regex_piece, 0..8), any::<[bool; 4]>()).prop_map(
        |(pieces, [i, m, s, x])| Pattern {
            source: pieces.concat(),
            flags: RegexFlags {
                case_insensitive: i,
                multi_line: m,
                dot_matches_new_line: s,
                ignore_whitespace: x,
            },
            quoted: false,
            span: Span::default(),
        },
    );
    let quoted = text().prop_map(|source| Pattern {
        source,
        flags: RegexFlags::default(),
        quoted: true,
        span: Span::default(),
    });
    prop_oneof![regex, quoted]
}

fn compare_op() -> impl Strategy<Value = CompareOp> {
    prop::sample::select(vec![
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Lt,
        CompareOp::Le,
        CompareOp::Gt,
        CompareOp::Ge,
    ])
}

fn condition() -> impl Strategy<Value = Condition> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(Condition::Constant),
        (operand(), compare_op(), operand()).prop_map(|(left, op, right)| Condition::Compare {
            left,
            op,
            right
        }),
        (operand(), operand())
            .prop_map(|(haystack, needle)| Condition::Contains { haystack, needle }),
        (operand(), pattern())
            .prop_map(|(subject, pattern)| Condition::Matches { subject, pattern }),
        (operand(), any::<bool>())
            .prop_map(|(operand, negated)| Condition::IsNull { operand, negated }),
    ];
    leaf.prop_recursive(5, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Condition::All),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Condition::Any),
            inner.prop_map(|c| Condition::Not(Box::new(c))),
        ]
    })
}

fn action() -> impl Strategy<Value = Action> {
    let set_target =
        (any::<bool>(), prop::collection::vec(segment(), 1..4)).prop_map(|(long, keys)| {
            let mut segments = if long {
                vec!["node".to_owned(), "custom_data".to_owned()]
            } else {
                vec!["custom_data".to_owned()]
            };
            segments.extend(keys);
            FieldRef {
                segments,
                span: Span::default(),
            }
        });
    // `ASSERT f IS NULL` reads as the condition `f IS NULL`, so expected is never NULL.
    let expected = operand().prop_filter("not NULL", |o| *o != Operand::Literal(Literal::Null));
    prop_oneof![
        (field(), expected).prop_map(|(field, expected)| Action::AssertIs { field, expected }),
        condition().prop_map(Action::Assert),
        (set_target, operand()).prop_map(|(target, value)| Action::Set { target, value }),
        text().prop_map(|template| Action::Apply { template }),
    ]
}

fn rule() -> impl Strategy<Value = Rule> {
    (prop::option::of(text()), condition(), action()).prop_map(|(name, condition, action)| Rule {
        name,
        condition,
        action,
        span: Span::default(),
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn printed_rules_parse_back_to_the_same_tree(rules in prop::collection::vec(rule(), 0..4)) {
        let file = PolicyFile { rules };
        let printed = file.to_string();
        let (parsed, diagnostics) = parse("roundtrip.rules", &printed);
        prop_assert!(diagnostics.is_empty(), "{printed}\n{diagnostics:?}");
        prop_assert_eq!(parsed, file, "{}", printed);
    }
}

#[test]
fn canonical_form_is_a_fixed_point() {
    let source = r#"
        rule 'x': when (node.vendor == 'cisco' or node.vendor == "arista") and not node.role is null
            then assert custom_data.snmp_version is "v3"
        WHEN config.running MATCHES /^ntp server \S+$/mi THEN APPLY "ntp.j2"
        WHEN NOT (TRUE AND FALSE) THEN SET node.custom_data.a.b TO -1.5e-7
    "#;
    let (first, diagnostics) = parse("a.rules", source);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let printed = first.to_string();
    assert_eq!(
        printed,
        "RULE \"x\": WHEN (node.vendor == \"cisco\" OR node.vendor == \"arista\") AND NOT node.role IS NULL THEN ASSERT custom_data.snmp_version IS \"v3\"\n\
         WHEN config.running MATCHES /^ntp server \\S+$/im THEN APPLY \"ntp.j2\"\n\
         WHEN NOT (TRUE AND FALSE) THEN SET node.custom_data.a.b TO -1.5e-7\n"
    );
    let (second, _) = parse("b.rules", &printed);
    assert_eq!(second, first);
    assert_eq!(second.to_string(), printed);
}
