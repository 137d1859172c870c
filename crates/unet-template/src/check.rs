//! A node's intended configuration against its running configuration, slice by slice. Each
//! template owns the part of the configuration its `template-match` header names (or, without
//! one, the top-level sections it renders); lines that no template owns are never compared, so
//! a crypto key or a banner that no template manages is never proposed for removal.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use serde::Serialize;
use unet_config::{
    ChangeKind, ConfigError, ConfigTree, Diff, Platform, Remediation, SliceExpr, diff, parse,
    remediate, rollback,
};

use crate::render::Rendered;

/// Why a node's configurations could not be compared.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    #[error("template {template} rendered a configuration that does not parse: {source}")]
    Intended {
        template: String,
        source: ConfigError,
    },
    #[error("the running configuration does not parse: {0}")]
    Running(ConfigError),
    #[error(
        "template {template} rendered `{line}`, outside the slice its template-match header owns ({owns}); widen the header or move the line to the template that owns it"
    )]
    OutsideSlice {
        template: String,
        owns: String,
        line: String,
    },
}

/// How one template's slice of the running configuration compares with its output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Compliant,
    /// Intended lines the running configuration lacks, nothing extra.
    Missing,
    /// Running lines in the slice that the template does not render, nothing missing.
    Extra,
    /// Both missing and extra lines.
    Different,
}

impl Verdict {
    fn of(missing: u32, extra: u32) -> Verdict {
        match (missing, extra) {
            (0, 0) => Verdict::Compliant,
            (_, 0) => Verdict::Missing,
            (0, _) => Verdict::Extra,
            _ => Verdict::Different,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Compliant => "compliant",
            Verdict::Missing => "missing",
            Verdict::Extra => "extra",
            Verdict::Different => "different",
        }
    }
}

/// One template's slice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SliceCheck {
    pub template: String,
    /// The `template-match` expression; `None` when the template owns the sections it renders.
    pub owns: Option<String>,
    pub verdict: Verdict,
    /// Changes that add intended configuration (a missing section counts once).
    pub missing: u32,
    /// Changes that remove running configuration the template does not render.
    pub extra: u32,
}

/// The whole comparison for one node.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigCheck {
    pub compliant: bool,
    pub slices: Vec<SliceCheck>,
    /// Differences between the owned part of the running configuration and the intended one.
    pub diff: Diff,
    /// Commands that make the running configuration compliant.
    pub remediation: Remediation,
    /// Commands that undo the remediation.
    pub rollback: Remediation,
    /// The part of the running configuration the templates own (for aligned and unified views).
    #[serde(skip)]
    pub owned_running: ConfigTree,
    /// The intended configuration as one tree.
    #[serde(skip)]
    pub intended: ConfigTree,
}

/// The node's intended configuration: its templates' output, in assignment order.
pub fn intended_text(rendered: &[Rendered]) -> String {
    let mut out = String::with_capacity(rendered.iter().map(|r| r.text.len() + 1).sum());
    for r in rendered {
        out.push_str(&r.text);
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// Compares `rendered` (one node's templates, in order) with its `running` configuration.
pub fn check(
    platform: Platform,
    rendered: &[Rendered],
    running: &str,
) -> Result<ConfigCheck, CheckError> {
    let Owned {
        slices,
        running: owned_running,
        intended,
    } = owned(platform, rendered, running)?;
    let whole = diff(&owned_running, &intended);
    Ok(ConfigCheck {
        compliant: whole.is_empty(),
        slices,
        remediation: remediate(&owned_running, &intended),
        rollback: rollback(&owned_running, &intended),
        diff: whole,
        owned_running,
        intended,
    })
}

/// What a fleet run records of a comparison: whether the node complies and each slice's
/// verdict, without the commands [`check`] also works out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdicts {
    pub compliant: bool,
    pub slices: Vec<SliceCheck>,
}

/// [`check`] without remediation and rollback.
pub fn verdicts(
    platform: Platform,
    rendered: &[Rendered],
    running: &str,
) -> Result<Verdicts, CheckError> {
    let owned = owned(platform, rendered, running)?;
    Ok(Verdicts {
        compliant: diff(&owned.running, &owned.intended).is_empty(),
        slices: owned.slices,
    })
}

/// The owned part of the running configuration and the intended one, with each slice's verdict.
struct Owned {
    slices: Vec<SliceCheck>,
    running: ConfigTree,
    intended: ConfigTree,
}

fn owned(platform: Platform, rendered: &[Rendered], running: &str) -> Result<Owned, CheckError> {
    let running = parse(platform, running).map_err(CheckError::Running)?;
    let mut owned_running = ConfigTree::new(platform);
    let mut intended = ConfigTree::new(platform);
    let mut slices = Vec::with_capacity(rendered.len());
    for r in rendered {
        let output = parse(platform, &r.text).map_err(|source| CheckError::Intended {
            template: r.template.clone(),
            source,
        })?;
        let running_slice = match &r.owns {
            Some(expr) => {
                let slice = compiled(expr).map_err(|source| CheckError::Intended {
                    template: r.template.clone(),
                    source,
                })?;
                outside_slice(&slice, &output, r, expr)?;
                slice.apply(&running)
            }
            None => SliceExpr::sections_of(&output).apply(&running),
        };
        let (missing, extra) = count(&diff(&running_slice, &output));
        slices.push(SliceCheck {
            template: r.template.clone(),
            owns: r.owns.clone(),
            verdict: Verdict::of(missing, extra),
            missing,
            extra,
        });
        owned_running.merge(&running_slice);
        intended.merge(&output);
    }
    Ok(Owned {
        slices,
        running: owned_running,
        intended,
    })
}

/// Compiled `template-match` expressions held per thread.
const COMPILED_SLICES: usize = 256;

thread_local! {
    static SLICES: RefCell<HashMap<String, Rc<SliceExpr>>> = RefCell::new(HashMap::new());
}

/// The compiled slice of a `template-match` expression. A fleet run compares every node with
/// the same few templates, and compiling their regexes again for each node was a fifth of its
/// work; the cache is bounded and starts over when full.
fn compiled(expr: &str) -> Result<Rc<SliceExpr>, ConfigError> {
    if let Some(slice) = SLICES.with(|cache| cache.borrow().get(expr).cloned()) {
        return Ok(slice);
    }
    // The header was checked when the template compiled; a rendering read back from JSON
    // was not, hence the error.
    let slice = Rc::new(SliceExpr::parse(expr)?);
    SLICES.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() >= COMPILED_SLICES {
            cache.clear();
        }
        cache.insert(expr.to_string(), Rc::clone(&slice));
    });
    Ok(slice)
}

/// Refuses output lines the template's own slice would not select: they would be compared
/// against nothing and proposed on every run.
fn outside_slice(
    slice: &SliceExpr,
    output: &ConfigTree,
    r: &Rendered,
    expr: &str,
) -> Result<(), CheckError> {
    let inside = slice.apply(output);
    if inside.len() == output.len() {
        return Ok(());
    }
    let first = diff(&inside, output)
        .changes
        .into_iter()
        .find(|c| c.kind != ChangeKind::Removed)
        .map(|c| first_added(&c))
        .unwrap_or_default();
    Err(CheckError::OutsideSlice {
        template: r.template.clone(),
        owns: expr.to_string(),
        line: first,
    })
}

fn first_added(change: &unet_config::Change) -> String {
    match change.kind {
        ChangeKind::Changed => change
            .children
            .iter()
            .find(|c| c.kind != ChangeKind::Removed)
            .map(first_added)
            .unwrap_or_else(|| change.text.clone()),
        _ => change.text.clone(),
    }
}

/// (missing, extra) changes of a diff; a replaced value counts as one of each.
fn count(d: &Diff) -> (u32, u32) {
    let mut missing = 0;
    let mut extra = 0;
    let mut stack: Vec<&unet_config::Change> = d.changes.iter().collect();
    while let Some(c) = stack.pop() {
        match c.kind {
            ChangeKind::Added => missing += 1,
            ChangeKind::Removed => extra += 1,
            ChangeKind::Replaced => {
                missing += 1;
                extra += 1;
            }
            ChangeKind::Changed if c.children.is_empty() => {
                // An ordered section whose entries only moved.
                missing += 1;
                extra += 1;
            }
            ChangeKind::Changed => stack.extend(&c.children),
        }
    }
    (missing, extra)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(template: &str, owns: Option<&str>, text: &str) -> Rendered {
        Rendered {
            template: template.to_string(),
            owns: owns.map(str::to_string),
            text: text.to_string(),
        }
    }

    const RUNNING: &str = "\
hostname leaf-1
crypto key generate rsa modulus 2048
interface GigabitEthernet1/0/1
 description uplink
 ip address 10.0.0.1 255.255.255.0
 shutdown
interface Vlan10
 description users
ntp server 10.9.9.9
banner motd ^C
 authorised use only
^C
";

    #[test]
    fn only_owned_lines_are_compared() {
        let parts = [
            rendered("base.j2", None, "hostname leaf-1\n"),
            rendered(
                "interfaces.j2",
                Some("interface||description"),
                "interface Gi1/0/1\n description uplink to spine-1\ninterface Vlan10\n description users\n",
            ),
            rendered("ntp.j2", Some("ntp server"), "ntp server 10.0.0.1\n"),
        ];
        let check = check(Platform::CiscoIos, &parts, RUNNING).unwrap();
        assert!(!check.compliant);
        let verdicts: Vec<_> = check
            .slices
            .iter()
            .map(|s| (s.template.as_str(), s.verdict, s.missing, s.extra))
            .collect();
        assert_eq!(
            verdicts,
            [
                ("base.j2", Verdict::Compliant, 0, 0),
                ("interfaces.j2", Verdict::Different, 1, 1),
                ("ntp.j2", Verdict::Different, 1, 1),
            ]
        );
        let commands = check.remediation.to_text();
        // Neither the crypto key, the banner, the address nor `shutdown` is owned by a template.
        for unowned in ["crypto", "banner", "ip address", "shutdown"] {
            assert!(!commands.contains(unowned), "{unowned}: {commands}");
        }
        assert!(commands.contains("ntp server 10.0.0.1"), "{commands}");
        assert!(commands.contains("no ntp server 10.9.9.9"), "{commands}");
        assert!(
            commands.contains(" description uplink to spine-1"),
            "{commands}"
        );
    }

    #[test]
    fn applying_the_remediation_makes_the_node_compliant() {
        let parts = [
            rendered(
                "base.j2",
                None,
                "hostname leaf-1\nip domain-name example.net\n",
            ),
            rendered("ntp.j2", Some("ntp server"), "ntp server 10.0.0.1\n"),
        ];
        let first = check(Platform::CiscoIos, &parts, RUNNING).unwrap();
        let running = parse(Platform::CiscoIos, RUNNING).unwrap();
        let after = unet_config::apply(&running, &first.remediation).render();
        let second = check(Platform::CiscoIos, &parts, &after).unwrap();
        assert!(second.compliant, "{}", second.diff.to_text());
        assert!(
            second
                .slices
                .iter()
                .all(|s| s.verdict == Verdict::Compliant)
        );
        assert!(after.contains("crypto key generate rsa"), "{after}");
    }

    #[test]
    fn a_section_missing_from_the_running_config_is_one_change() {
        let parts = [rendered(
            "ospf.j2",
            None,
            "router ospf 1\n router-id 10.0.0.1\n network 10.0.0.0 0.0.0.255 area 0\n",
        )];
        let check = check(Platform::CiscoIos, &parts, RUNNING).unwrap();
        assert_eq!(check.slices[0].verdict, Verdict::Missing);
        assert_eq!((check.slices[0].missing, check.slices[0].extra), (1, 0));
        assert!(check.rollback.to_text().contains("no router ospf 1"));
    }

    #[test]
    fn output_outside_the_declared_slice_is_refused() {
        let parts = [rendered(
            "ntp.j2",
            Some("ntp server"),
            "ntp server 10.0.0.1\nlogging host 10.0.0.2\n",
        )];
        let err = check(Platform::CiscoIos, &parts, RUNNING).unwrap_err();
        assert!(
            matches!(&err, CheckError::OutsideSlice { line, .. } if line == "logging host 10.0.0.2"),
            "{err}"
        );
    }

    #[test]
    fn unparsable_configs_name_their_side() {
        let parts = [rendered("bad.j2", None, "system {\n host-name a;\n")];
        let err = check(Platform::JuniperJunos, &parts, "system { host-name a; }\n").unwrap_err();
        assert!(
            matches!(&err, CheckError::Intended { template, .. } if template == "bad.j2"),
            "{err}"
        );
        let parts = [rendered("ok.j2", None, "system { host-name a; }\n")];
        let err = check(Platform::JuniperJunos, &parts, "}\n").unwrap_err();
        assert!(matches!(err, CheckError::Running(_)), "{err}");
    }

    #[test]
    fn intended_text_joins_outputs_line_by_line() {
        let parts = [
            rendered("a", None, "hostname a"),
            rendered("b", None, ""),
            rendered("c", None, "ntp server 1.1.1.1\n"),
        ];
        assert_eq!(intended_text(&parts), "hostname a\nntp server 1.1.1.1\n");
    }
}
