//! Platform knowledge as data. A [`Driver`] is a plain table of declarative rules; the engine
//! compiles it once into [`Rules`] (regex sets, prefix lists) and never branches on platform.

use regex::{Regex, RegexSet};

use crate::platform::Platform;

/// How the text of a config nests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// Children are indented deeper than their parent (IOS family, EOS, generic).
    Indented,
    /// Junos: brace blocks or `set` lines, both flattened to one `set` line per leaf.
    JunosSet,
}

/// A line the parser drops before building the tree (volatile or structural noise).
#[derive(Debug, Clone, Copy)]
pub enum Ignore {
    Prefix(&'static str),
    Exact(&'static str),
}

/// Negate a line with a fixed text instead of prefixing it (`no description` removes any
/// description). `with` may use `$1`… from `pattern`'s capture groups.
#[derive(Debug, Clone, Copy)]
pub struct NegateWith {
    pub pattern: &'static str,
    pub with: &'static str,
}

/// A section the device leaves with an explicit command (`exit-address-family`).
#[derive(Debug, Clone, Copy)]
pub struct SectionalExit {
    pub pattern: &'static str,
    pub exit: &'static str,
}

/// Remediation order among siblings: lower weights first, default [`DEFAULT_WEIGHT`].
/// Matched against the emitted command, so `^no route-map` can sort after its users.
#[derive(Debug, Clone, Copy)]
pub struct Weight {
    pub pattern: &'static str,
    pub weight: u16,
}

pub const DEFAULT_WEIGHT: u16 = 500;

/// Where a literal block (banner) ends.
#[derive(Debug, Clone, Copy)]
pub enum LiteralEnd {
    /// The first character(s) after the keyword are the delimiter (`banner motd ^C … ^C`).
    DelimiterAfter,
    /// A line equal to this text ends the block (EOS `EOF`).
    Line(&'static str),
}

#[derive(Debug, Clone, Copy)]
pub struct LiteralBlock {
    /// Cheap prefix check before `pattern` runs, so ordinary lines never reach the regex.
    pub keyword: &'static str,
    pub pattern: &'static str,
    pub end: LiteralEnd,
}

/// An interface type: its canonical spelling and the abbreviations the platform accepts.
/// Any prefix of `canonical` at least `min_prefix` long matches, as do the listed `aliases`.
#[derive(Debug, Clone, Copy)]
pub struct InterfaceType {
    pub canonical: &'static str,
    pub min_prefix: usize,
    pub aliases: &'static [&'static str],
}

/// The declarative rule set of one platform.
#[derive(Debug, Clone, Copy)]
pub struct Driver {
    pub platform: Platform,
    pub syntax: Syntax,
    /// Lines starting with one of these are comments.
    pub comments: &'static [&'static str],
    pub ignore: &'static [Ignore],
    /// Prefix that negates a command (`no `; Junos `delete `).
    pub negation: &'static str,
    /// Lines removed with a fixed command rather than `negation` + line.
    pub negate_with: &'static [NegateWith],
    /// Lines negated with `default …` instead of `no …` (physical interfaces cannot be deleted).
    pub default_when: &'static [&'static str],
    pub sectional_exits: &'static [SectionalExit],
    /// Commands whose new value replaces the old one: the identity is the pattern plus its
    /// capture groups, so `description A` → `description B` is one command, not two.
    pub idempotent: &'static [&'static str],
    pub weights: &'static [Weight],
    /// Sections whose children are compared in order (ACL entries, route policies).
    pub ordered: &'static [&'static str],
    /// Ordered sections the device replaces wholesale when re-entered (IOS-XR `route-policy`):
    /// remediation re-sends the whole body without negating the section first.
    pub replace_on_entry: &'static [&'static str],
    pub literal_blocks: &'static [LiteralBlock],
    /// Ordered sections printed without sequence numbers that the device can renumber
    /// (`ip access-list resequence NAME 10 10`), after which entries are addressed as 10, 20….
    pub resequence: &'static [NegateWith],
    pub interfaces: &'static [InterfaceType],
}

/// A driver compiled once: regex sets for the per-line checks, so the hot path is one scan.
#[derive(Debug)]
pub struct Rules {
    pub driver: &'static Driver,
    negate_with: Vec<Regex>,
    default_when: RegexSet,
    exits: RegexSet,
    idempotent_set: RegexSet,
    idempotent: Vec<Regex>,
    weights: RegexSet,
    ordered: RegexSet,
    replace_on_entry: RegexSet,
    literal_set: RegexSet,
    resequence: Vec<Regex>,
    /// First bytes of every ignored line: most lines are rejected by one table lookup.
    ignore_first: [bool; 256],
}

fn set(patterns: impl IntoIterator<Item = &'static str>) -> RegexSet {
    // Driver patterns are compile-time constants covered by the driver tests.
    RegexSet::new(patterns).unwrap_or_else(|e| panic!("invalid driver pattern: {e}"))
}

fn one(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("invalid driver pattern: {e}"))
}

impl Rules {
    pub fn compile(driver: &'static Driver) -> Rules {
        Rules {
            driver,
            negate_with: driver.negate_with.iter().map(|n| one(n.pattern)).collect(),
            default_when: set(driver.default_when.iter().copied()),
            exits: set(driver.sectional_exits.iter().map(|e| e.pattern)),
            idempotent_set: set(driver.idempotent.iter().copied()),
            idempotent: driver.idempotent.iter().map(|p| one(p)).collect(),
            weights: set(driver.weights.iter().map(|w| w.pattern)),
            ordered: set(driver.ordered.iter().copied()),
            replace_on_entry: set(driver.replace_on_entry.iter().copied()),
            literal_set: set(driver.literal_blocks.iter().map(|l| l.pattern)),
            resequence: driver.resequence.iter().map(|r| one(r.pattern)).collect(),
            ignore_first: first_bytes(driver),
        }
    }

    pub fn is_comment(&self, line: &str) -> bool {
        self.driver.comments.iter().any(|c| line.starts_with(c))
    }

    /// Volatile or structural lines (including sectional exits, which remediation re-creates).
    pub fn is_ignored(&self, line: &str) -> bool {
        let Some(&first) = line.as_bytes().first() else {
            return false;
        };
        if !self.ignore_first[usize::from(first)] {
            return false;
        }
        self.driver.ignore.iter().any(|rule| match rule {
            Ignore::Prefix(p) => line.starts_with(p),
            Ignore::Exact(e) => line == *e,
        }) || self.driver.sectional_exits.iter().any(|e| line == e.exit)
    }

    /// The command that removes `line` from the device.
    pub fn negate(&self, line: &str) -> String {
        let neg = self.driver.negation;
        if let Some(fixed) = substitute(self.driver.negate_with, &self.negate_with, line) {
            return fixed;
        }
        if self.driver.syntax == Syntax::JunosSet {
            let path = line.strip_prefix("set ").unwrap_or(line);
            return format!("{neg}{path}");
        }
        if let Some(positive) = line.strip_prefix(neg) {
            return positive.to_string();
        }
        if self.default_when.is_match(line) {
            return format!("default {line}");
        }
        format!("{neg}{line}")
    }

    /// The command that renumbers the ordered section `section` in steps of 10, if any.
    pub fn resequence(&self, section: &str) -> Option<String> {
        substitute(self.driver.resequence, &self.resequence, section)
    }

    /// `Some(identity)` when `line` is an idempotent command: same identity, same setting.
    pub fn idempotent_identity(&self, line: &str) -> Option<String> {
        let idx = self.idempotent_set.matches(line).into_iter().next()?;
        let caps = self.idempotent[idx].captures(line)?;
        let mut identity = idx.to_string();
        for group in caps.iter().skip(1).flatten() {
            identity.push('\u{1f}');
            identity.push_str(group.as_str());
        }
        Some(identity)
    }

    pub fn weight(&self, command: &str) -> u16 {
        self.weights
            .matches(command)
            .into_iter()
            .next()
            .map_or(DEFAULT_WEIGHT, |i| self.driver.weights[i].weight)
    }

    pub fn sectional_exit(&self, section: &str) -> Option<&'static str> {
        let idx = self.exits.matches(section).into_iter().next()?;
        Some(self.driver.sectional_exits[idx].exit)
    }

    pub fn is_ordered(&self, section: &str) -> bool {
        self.ordered.is_match(section)
    }

    pub fn replaces_on_entry(&self, section: &str) -> bool {
        self.replace_on_entry.is_match(section)
    }

    pub fn literal_block(&self, line: &str) -> Option<LiteralEnd> {
        if !self
            .driver
            .literal_blocks
            .iter()
            .any(|l| line.starts_with(l.keyword))
        {
            return None;
        }
        let idx = self.literal_set.matches(line).into_iter().next()?;
        Some(self.driver.literal_blocks[idx].end)
    }

    /// Canonical spelling of an interface type, given the letters of a name (`Gi` → `GigabitEthernet`).
    pub fn interface_type(&self, letters: &str) -> Option<&'static str> {
        self.driver
            .interfaces
            .iter()
            .find(|t| {
                t.aliases.iter().any(|a| a.eq_ignore_ascii_case(letters))
                    || (letters.len() >= t.min_prefix
                        && t.canonical
                            .get(..letters.len())
                            .is_some_and(|head| head.eq_ignore_ascii_case(letters)))
            })
            .map(|t| t.canonical)
    }

    pub fn has_interfaces(&self) -> bool {
        !self.driver.interfaces.is_empty()
    }
}

/// The first rule whose pattern matches `line`, its `with` expanded from the captures.
fn substitute(rules: &[NegateWith], compiled: &[Regex], line: &str) -> Option<String> {
    rules.iter().zip(compiled).find_map(|(rule, re)| {
        let caps = re.captures(line)?;
        let mut out = String::new();
        caps.expand(rule.with, &mut out);
        Some(out)
    })
}

fn first_bytes(driver: &Driver) -> [bool; 256] {
    let mut table = [false; 256];
    let ignored = driver.ignore.iter().map(|rule| match rule {
        Ignore::Prefix(p) | Ignore::Exact(p) => *p,
    });
    for text in ignored.chain(driver.sectional_exits.iter().map(|e| e.exit)) {
        if let Some(&b) = text.as_bytes().first() {
            table[usize::from(b)] = true;
        }
    }
    table
}
