//! The config tree: an arena of lines, children in order, and one hash index from
//! (parent, normalised key) to child for wide sections, so matching a line is O(1).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::drivers::rules;
use crate::error::ConfigError;
use crate::platform::Platform;
use crate::rules::{Rules, Syntax};

pub type NodeId = u32;
pub const ROOT: NodeId = 0;

/// Sections with at least this many children get hash-index entries; smaller ones are scanned.
const WIDE: usize = 8;

/// Largest config the parsers accept (bytes): text and keys of the lines must fit the arena's
/// 32-bit offsets with room for what remediation and slicing add.
pub const MAX_INPUT: usize = 1 << 30;

/// Deepest nesting the parsers accept; real configs stay under ten.
pub const MAX_DEPTH: usize = 64;

/// A string stored in the tree's arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    start: u32,
    len: u32,
}

#[derive(Debug, Clone)]
pub(crate) struct Node {
    /// The line as written, whitespace collapsed (banners keep their inner lines).
    text: Span,
    /// Comparison key (canonical interface names); the same span as `text` when equal.
    key: Span,
    /// Hash of the key, computed once: the index and the diff both use it.
    pub hash: u64,
    /// 1-based line in the source; 0 for lines that were not parsed from a file.
    pub line: u32,
    pub parent: NodeId,
    pub children: Vec<NodeId>,
    /// Children are compared as a sequence (ACL entries).
    pub ordered: bool,
}

/// A parsed configuration of one platform.
#[derive(Debug, Clone)]
pub struct ConfigTree {
    platform: Platform,
    /// Every line's text and key, back to back: one allocation instead of one per line,
    /// and the lines of a section sit next to each other in memory.
    strings: String,
    pub(crate) nodes: Vec<Node>,
    index: HashMap<(NodeId, u64), NodeId, BuildHasherDefault<PairHasher>>,
}

/// Read-only view of one line of a [`ConfigTree`].
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    tree: &'a ConfigTree,
    id: NodeId,
}

impl<'a> Line<'a> {
    pub fn id(&self) -> NodeId {
        self.id
    }
    pub fn text(&self) -> &'a str {
        self.tree.text(self.id)
    }
    /// The normalised text lines are matched by.
    pub fn key(&self) -> &'a str {
        self.tree.key(self.id)
    }
    pub fn line_number(&self) -> u32 {
        self.tree.node(self.id).line
    }
    pub fn is_ordered(&self) -> bool {
        self.tree.node(self.id).ordered
    }
    pub fn children(&self) -> impl ExactSizeIterator<Item = Line<'a>> + 'a {
        let tree = self.tree;
        tree.node(self.id)
            .children
            .iter()
            .map(move |&id| Line { tree, id })
    }
    pub fn child(&self, key: &str) -> Option<Line<'a>> {
        self.tree.find_child(self.id, key).map(|id| Line {
            tree: self.tree,
            id,
        })
    }
}

impl ConfigTree {
    pub fn new(platform: Platform) -> ConfigTree {
        ConfigTree::with_capacity(platform, 0, 0)
    }

    /// An empty tree with room for `lines` lines of `bytes` bytes without reallocating.
    pub(crate) fn with_capacity(platform: Platform, lines: usize, bytes: usize) -> ConfigTree {
        let empty = Span { start: 0, len: 0 };
        let root = Node {
            text: empty,
            key: empty,
            hash: 0,
            line: 0,
            parent: ROOT,
            children: Vec::new(),
            ordered: false,
        };
        let mut nodes = Vec::with_capacity(lines + 1);
        nodes.push(root);
        ConfigTree {
            platform,
            strings: String::with_capacity(bytes),
            nodes,
            index: HashMap::with_capacity_and_hasher(lines / 4, BuildHasherDefault::default()),
        }
    }

    pub fn platform(&self) -> Platform {
        self.platform
    }

    pub(crate) fn rules(&self) -> &'static Rules {
        rules(self.platform)
    }

    pub fn root(&self) -> Line<'_> {
        Line {
            tree: self,
            id: ROOT,
        }
    }

    pub fn line(&self, id: NodeId) -> Line<'_> {
        Line { tree: self, id }
    }

    /// Number of lines (sections count once), excluding the root.
    pub fn len(&self) -> usize {
        self.count(ROOT)
    }

    pub fn is_empty(&self) -> bool {
        self.nodes[ROOT as usize].children.is_empty()
    }

    fn count(&self, id: NodeId) -> usize {
        let mut total = 0;
        let mut stack = vec![id];
        while let Some(current) = stack.pop() {
            let children = &self.node(current).children;
            total += children.len();
            stack.extend_from_slice(children);
        }
        total
    }

    pub(crate) fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }

    fn span(&self, span: Span) -> &str {
        let start = span.start as usize;
        self.strings
            .get(start..start + span.len as usize)
            .unwrap_or_default()
    }

    /// The text of line `id` as written (whitespace collapsed).
    pub(crate) fn text(&self, id: NodeId) -> &str {
        self.span(self.node(id).text)
    }

    /// The comparison key of line `id`.
    pub(crate) fn key(&self, id: NodeId) -> &str {
        self.span(self.node(id).key)
    }

    /// Store `text` in the arena. Offsets are 32-bit: the parsers refuse inputs that could
    /// overflow them (see [`MAX_INPUT`]).
    fn store(&mut self, text: &str) -> Span {
        let start = u32::try_from(self.strings.len()).unwrap_or(u32::MAX);
        self.strings.push_str(text);
        Span {
            start,
            len: u32::try_from(text.len()).unwrap_or(u32::MAX),
        }
    }

    pub(crate) fn find_child(&self, parent: NodeId, key: &str) -> Option<NodeId> {
        self.find_hashed(parent, hash_key(key), key)
    }

    /// [`find_child`](Self::find_child) with the key's hash already known.
    pub(crate) fn find_hashed(&self, parent: NodeId, hash: u64, key: &str) -> Option<NodeId> {
        let children = &self.node(parent).children;
        let scan = || {
            children
                .iter()
                .copied()
                .find(|&c| self.node(c).hash == hash && self.key(c) == key)
        };
        // Narrow sections are scanned: their nodes sit next to each other, cheaper than a probe.
        if children.len() < WIDE {
            return scan();
        }
        let id = *self.index.get(&(parent, hash))?;
        if self.key(id) == key && self.node(id).parent == parent {
            return Some(id);
        }
        // Hash collision or stale slot: fall back to a scan of this parent only.
        scan()
    }

    /// Append `text` under `parent`. In unordered sections a line equal to an existing one
    /// merges with it (its children join the existing section), as the device does.
    pub(crate) fn add_child(
        &mut self,
        parent: NodeId,
        text: &str,
        key: Option<&str>,
        line: u32,
    ) -> NodeId {
        if self.node(parent).children.is_empty() && parent != ROOT {
            let ordered = self.rules().is_ordered(self.text(parent));
            self.nodes[parent as usize].ordered = ordered;
        }
        let key_text = key.unwrap_or(text);
        let hash = hash_key(key_text);
        let slot = (parent, hash);
        if !self.node(parent).ordered
            && let Some(existing) = self.find_hashed(parent, hash, key_text)
        {
            return existing;
        }
        let text_span = self.store(text);
        let key_span = match key {
            Some(k) if k != text => self.store(k),
            _ => text_span,
        };
        let id = NodeId::try_from(self.nodes.len()).unwrap_or(NodeId::MAX);
        self.nodes.push(Node {
            text: text_span,
            key: key_span,
            hash,
            line,
            parent,
            children: Vec::new(),
            ordered: false,
        });
        self.nodes[parent as usize].children.push(id);
        let width = self.node(parent).children.len();
        if width == WIDE {
            for &c in &self.nodes[parent as usize].children {
                self.index
                    .entry((parent, self.nodes[c as usize].hash))
                    .or_insert(c);
            }
        } else if width > WIDE {
            self.index.entry(slot).or_insert(id);
        }
        id
    }

    /// Adds every line of `other` (same platform) to this tree; equal lines in unordered
    /// sections merge, as when a device reads both configs one after the other.
    pub fn merge(&mut self, other: &ConfigTree) {
        for &child in &other.node(ROOT).children {
            crate::slice::copy(other, child, self, ROOT);
        }
    }

    /// Add a line given as text under `parent` (whitespace collapsed, key computed).
    /// Fails when the new line would nest deeper than [`MAX_DEPTH`].
    pub fn push_line(
        &mut self,
        parent: NodeId,
        text: &str,
        line: u32,
    ) -> Result<NodeId, ConfigError> {
        if self.depth(parent) >= MAX_DEPTH {
            return Err(ConfigError::NestingTooDeep {
                line,
                limit: MAX_DEPTH,
            });
        }
        let text = crate::normalize::collapse_whitespace(text);
        let key = self.key_of(&text);
        Ok(self.add_child(parent, &text, key.as_deref(), line))
    }

    /// The comparison key of an already collapsed line, when it differs from the line.
    pub(crate) fn key_of(&self, text: &str) -> Option<String> {
        crate::normalize::interface_key(self.rules(), text)
    }

    fn depth(&self, mut id: NodeId) -> usize {
        let mut depth = 0;
        while id != ROOT && depth <= MAX_DEPTH {
            id = self.node(id).parent;
            depth += 1;
        }
        depth
    }

    /// Remove `id` (and its subtree) from its parent.
    pub(crate) fn detach(&mut self, id: NodeId) {
        let parent = self.node(id).parent;
        let children = &mut self.nodes[parent as usize].children;
        // The last child (slicing undoing a copy) is removed in O(1).
        if children.last() == Some(&id) {
            children.pop();
        } else {
            children.retain(|&c| c != id);
        }
        let slot = (parent, self.node(id).hash);
        if self.index.get(&slot) == Some(&id) {
            self.index.remove(&slot);
            // Only ordered sections keep equal lines twice; re-point the index at the survivor.
            if self.node(parent).ordered {
                let survivor = self.nodes[parent as usize]
                    .children
                    .iter()
                    .copied()
                    .find(|&c| self.key(c) == self.key(id));
                if let Some(other) = survivor {
                    self.index.insert(slot, other);
                }
            }
        }
    }

    /// Replace the text of a line in place (an idempotent command taking a new value).
    pub(crate) fn retext(&mut self, id: NodeId, text: &str, key: &str) {
        let parent = self.node(id).parent;
        let old_slot = (parent, self.node(id).hash);
        if self.index.get(&old_slot) == Some(&id) {
            self.index.remove(&old_slot);
        }
        let hash = hash_key(key);
        let text_span = self.store(text);
        let key_span = if key == text {
            text_span
        } else {
            self.store(key)
        };
        let node = &mut self.nodes[id as usize];
        node.text = text_span;
        node.key = key_span;
        node.hash = hash;
        if self.node(parent).children.len() >= WIDE {
            self.index.entry((parent, hash)).or_insert(id);
        }
    }

    pub(crate) fn insert_child_at(
        &mut self,
        parent: NodeId,
        position: usize,
        text: &str,
        key: &str,
    ) -> NodeId {
        let id = self.add_child(parent, text, Some(key), 0);
        let children = &mut self.nodes[parent as usize].children;
        if children.last() == Some(&id) {
            children.pop();
            let at = position.min(children.len());
            children.insert(at, id);
        }
        id
    }

    /// The config as text, one space of indentation per level (Junos: `set` lines).
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(ROOT, &mut out);
        out
    }

    pub(crate) fn render_into(&self, from: NodeId, out: &mut String) {
        let indent = self.rules().driver.syntax == Syntax::Indented;
        let mut stack: Vec<(NodeId, usize)> = self
            .node(from)
            .children
            .iter()
            .rev()
            .map(|&c| (c, 0))
            .collect();
        while let Some((id, depth)) = stack.pop() {
            if indent {
                out.extend(std::iter::repeat_n(' ', depth));
            }
            out.push_str(self.text(id));
            out.push('\n');
            stack.extend(self.node(id).children.iter().rev().map(|&c| (c, depth + 1)));
        }
    }
}

/// Hash of a line key, eight bytes at a time (FxHash-style multiply-rotate): config lines
/// are short, and the index needs no per-process seed since collisions only cost a scan.
pub(crate) fn hash_key(key: &str) -> u64 {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    let mut hash = key.len() as u64;
    let mut chunks = key.as_bytes().chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        hash = (hash.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(SEED);
    }
    let mut tail = [0u8; 8];
    let rest = chunks.remainder();
    tail[..rest.len()].copy_from_slice(rest);
    hash = (hash.rotate_left(5) ^ u64::from_le_bytes(tail)).wrapping_mul(SEED);
    // Final avalanche so the low bits the table uses depend on every byte.
    hash ^ (hash >> 29)
}

/// Hasher for the (parent, key hash) pairs, which are already well mixed.
#[derive(Default)]
pub(crate) struct PairHasher(u64);

impl Hasher for PairHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = (self.0 ^ u64::from(n)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(29) ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}
