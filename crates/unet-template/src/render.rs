//! A set of templates compiled once and rendered per node. A missing variable is an error (never
//! an empty string in a device configuration), templates cannot reach files or the network, and
//! every render is bounded in work (fuel) and output size.

use std::collections::BTreeMap;
use std::io::Write;

use minijinja::syntax::SyntaxConfig;
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior, Value};
use unet_config::SliceExpr;

use crate::filters;

/// The header line that declares which slice of the configuration a template owns.
const MATCH_HEADER: &str = "template-match:";

/// Bounds on one render.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// MiniJinja instructions a render may run (a loop that never ends runs out of it).
    pub fuel: u64,
    /// Bytes of output a render may write.
    pub max_output_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            fuel: 5_000_000,
            max_output_bytes: 4 * 1024 * 1024,
        }
    }
}

/// What went wrong in one template, with where when MiniJinja knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{template}:{}:{}: {message}", line.unwrap_or(1), column.unwrap_or(1))]
pub struct TemplateError {
    pub template: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl TemplateError {
    fn from_minijinja(template: &str, e: &Error) -> TemplateError {
        let message = match (e.kind(), e.detail()) {
            (ErrorKind::UndefinedError, detail) => format!(
                "undefined variable{}",
                detail.map(|d| format!(": {d}")).unwrap_or_default()
            ),
            (_, Some(detail)) => detail.to_string(),
            (kind, None) => kind.to_string(),
        };
        TemplateError {
            template: template.to_string(),
            line: e.line(),
            column: column(e),
            message,
        }
    }
}

/// The column (1-based, in characters) where MiniJinja located the error, when it did.
fn column(e: &Error) -> Option<usize> {
    let source = e.template_source()?;
    let start = e.range()?.start;
    let before = source.get(..start)?;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Some(before.get(line_start..)?.chars().count() + 1)
}

/// One template's output for a node, and the slice of the configuration it owns.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Rendered {
    pub template: String,
    /// The `template-match` expression, when the template declares one; without it the
    /// template owns the top-level sections it renders.
    pub owns: Option<String>,
    pub text: String,
}

/// Compiled templates by name.
pub struct TemplateSet {
    env: Environment<'static>,
    owns: BTreeMap<String, Option<String>>,
    limits: Limits,
}

impl TemplateSet {
    /// Compiles every `(name, source)`; all problems at once, each with its template and line.
    pub fn compile(
        sources: impl IntoIterator<Item = (String, String)>,
        limits: Limits,
    ) -> Result<TemplateSet, Vec<TemplateError>> {
        let mut env = Environment::new();
        // Block tags leave no blank lines or stray indentation in a device config; the last
        // newline is kept so templates concatenate line by line.
        let syntax = SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .map_err(|e| vec![TemplateError::from_minijinja("(syntax)", &e)])?;
        env.set_syntax(syntax);
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_fuel(Some(limits.fuel));
        filters::register(&mut env);
        let mut owns = BTreeMap::new();
        let mut problems = Vec::new();
        for (name, source) in sources {
            match header(&source) {
                Ok(expr) => {
                    owns.insert(name.clone(), expr);
                }
                Err(message) => problems.push(TemplateError {
                    template: name.clone(),
                    line: Some(1),
                    column: Some(1),
                    message,
                }),
            }
            if let Err(e) = env.add_template_owned(name.clone(), source) {
                problems.push(TemplateError::from_minijinja(&name, &e));
            }
        }
        if problems.is_empty() {
            Ok(TemplateSet { env, owns, limits })
        } else {
            Err(problems)
        }
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.owns.keys().map(String::as_str)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.owns.contains_key(name)
    }

    /// The `template-match` expression `name` declares, if it is in the set and declares one.
    pub fn owns(&self, name: &str) -> Option<&str> {
        self.owns.get(name)?.as_deref()
    }

    /// Renders `name` with `context` (the node, its location, its links).
    pub fn render(&self, name: &str, context: &Value) -> Result<Rendered, TemplateError> {
        let unknown = || TemplateError {
            template: name.to_string(),
            line: None,
            column: None,
            message: "no such template".to_string(),
        };
        let owns = self.owns.get(name).ok_or_else(unknown)?;
        let template = self.env.get_template(name).map_err(|_| unknown())?;
        let mut out = Bounded {
            bytes: Vec::new(),
            limit: self.limits.max_output_bytes,
            exceeded: false,
        };
        template
            .render_captured_to(context.clone(), &mut out)
            .map_err(|e| {
                if out.exceeded {
                    TemplateError {
                        template: name.to_string(),
                        line: e.line(),
                        column: None,
                        message: format!(
                            "the output is larger than {} bytes",
                            self.limits.max_output_bytes
                        ),
                    }
                } else {
                    TemplateError::from_minijinja(name, &e)
                }
            })?;
        let text = String::from_utf8(out.bytes).map_err(|_| TemplateError {
            template: name.to_string(),
            line: None,
            column: None,
            message: "the output is not UTF-8".to_string(),
        })?;
        Ok(Rendered {
            template: name.to_string(),
            owns: owns.clone(),
            text,
        })
    }
}

/// The `template-match` expression of a template's first line, checked with the slice syntax
/// `unet config slice` uses; `None` without a header.
fn header(source: &str) -> Result<Option<String>, String> {
    let first = source.lines().next().unwrap_or_default().trim();
    let Some(comment) = first
        .strip_prefix("{#")
        .and_then(|rest| rest.strip_suffix("#}"))
        .map(str::trim)
    else {
        return Ok(None);
    };
    let Some(expr) = comment.strip_prefix(MATCH_HEADER).map(str::trim) else {
        return Ok(None);
    };
    SliceExpr::parse(expr)
        .map(|_| Some(expr.to_string()))
        .map_err(|e| format!("template-match {expr:?}: {e}"))
}

/// A writer that refuses to grow past `limit` bytes.
struct Bounded {
    bytes: Vec<u8>,
    limit: usize,
    exceeded: bool,
}

impl Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > self.limit {
            self.exceeded = true;
            return Err(std::io::Error::other("output limit"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(templates: &[(&str, &str)]) -> Result<TemplateSet, Vec<TemplateError>> {
        TemplateSet::compile(
            templates
                .iter()
                .map(|(n, s)| (n.to_string(), s.to_string())),
            Limits::default(),
        )
    }

    fn node() -> Value {
        minijinja::context! {
            node => minijinja::context! { name => "leaf-1", management_ip => "10.0.0.11/24" },
        }
    }

    #[test]
    fn renders_with_filters_and_header() {
        let set = set(&[(
            "mgmt.j2",
            "{# template-match: interface Management1 #}\ninterface Management1\n ip address {{ node.management_ip | ip }} {{ node.management_ip | netmask }}\n",
        )])
        .unwrap();
        let out = set.render("mgmt.j2", &node()).unwrap();
        assert_eq!(out.owns.as_deref(), Some("interface Management1"));
        assert!(
            out.text.contains(" ip address 10.0.0.11 255.255.255.0"),
            "{}",
            out.text
        );
    }

    #[test]
    fn a_missing_variable_fails_with_template_and_line() {
        let set = set(&[(
            "ntp.j2",
            "hostname {{ node.name }}\nntp server {{ node.ntp }}\n",
        )])
        .unwrap();
        let err = set.render("ntp.j2", &node()).unwrap_err();
        assert_eq!(err.template, "ntp.j2");
        assert_eq!(err.line, Some(2));
        assert!(err.message.contains("undefined"), "{err}");
    }

    #[test]
    fn syntax_errors_are_all_reported_at_compile() {
        let problems = set(&[
            ("a.j2", "ok {{ node.name }}\n"),
            ("b.j2", "line one\n{% if %}\n"),
            ("c.j2", "{# template-match: interface||[ #}\n"),
        ])
        .err()
        .unwrap();
        let names: Vec<_> = problems.iter().map(|p| p.template.as_str()).collect();
        assert_eq!(names, ["b.j2", "c.j2"], "{problems:?}");
        assert_eq!(problems[0].line, Some(2));
        assert!(problems[0].column.is_some(), "{problems:?}");
        assert!(
            problems[0].to_string().starts_with("b.j2:2:"),
            "{}",
            problems[0]
        );
    }

    #[test]
    fn runaway_templates_are_stopped() {
        let set = set(&[
            (
                "loop.j2",
                "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
            ),
            ("big.j2", "{{ 'x' * 5000000 }}"),
        ])
        .unwrap();
        let err = set.render("loop.j2", &node()).unwrap_err();
        assert!(
            err.message.contains("fuel") || err.message.contains("larger than"),
            "{err}"
        );
        let err = set.render("big.j2", &node()).unwrap_err();
        assert!(err.message.contains("larger than"), "{err}");
    }

    #[test]
    fn templates_cannot_include_what_is_not_in_the_set() {
        let set = set(&[("inc.j2", "{% include '/etc/passwd' %}")]).unwrap();
        let err = set.render("inc.j2", &node()).unwrap_err();
        assert!(
            err.message.contains("not found") || err.message.contains("template"),
            "{err}"
        );
    }

    #[test]
    fn block_tags_leave_no_blank_lines_and_the_last_newline_stays() {
        let set = set(&[(
            "vlans.j2",
            "{% for v in [10, 20] %}\n  {% if v > 10 %}\nvlan {{ v }}\n  {% endif %}\n{% endfor %}\ninterface Vlan20\n{{ 'description x\nshutdown' | indent(1, true) }}\n",
        )])
        .unwrap();
        let out = set.render("vlans.j2", &node()).unwrap();
        assert_eq!(
            out.text,
            "vlan 20\ninterface Vlan20\n description x\n shutdown\n"
        );
    }
}
