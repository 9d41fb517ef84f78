//! The rows of the table-valued functions `json_each(json[, path])` (the children of the
//! value at the path) and `json_tree(json[, path])` (that value and everything under it,
//! depth first), with SQLite's columns. `id` is what SQLite gives: the byte offset of the
//! element (of the key, for an object member) in SQLite's JSONB encoding of the document,
//! computed here from the sizes that encoding would have.

use std::collections::HashMap;
use std::fmt;

use ember_storage::Value;

use crate::error::Result;

use super::path::{append_key, parse_path_spans, position, Step};
use super::scalar::document;
use super::value::{unescape, Json};

/// A table-valued JSON function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFunction {
    Each,
    Tree,
}

/// The columns of both functions; the last two (`json`, `root`: the arguments) are hidden.
pub const TABLE_FUNCTION_COLUMNS: [&str; 10] = [
    "key", "value", "type", "atom", "id", "parent", "fullkey", "path", "json", "root",
];

/// How many leading columns `SELECT *` shows.
pub const TABLE_FUNCTION_VISIBLE_COLUMNS: usize = 8;

impl TableFunction {
    pub fn from_name(name: &str) -> Option<TableFunction> {
        match name.to_ascii_lowercase().as_str() {
            "json_each" => Some(TableFunction::Each),
            "json_tree" => Some(TableFunction::Tree),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TableFunction::Each => "json_each",
            TableFunction::Tree => "json_tree",
        }
    }

    /// The rows for arguments `json` and `path` (`None`: `$`). NULL arguments give none.
    pub fn rows(self, json: &Value, path: Option<&Value>) -> Result<Vec<Vec<Value>>> {
        let root_path = match path {
            None => "$".to_string(),
            Some(Value::Null) => return Ok(Vec::new()),
            Some(path) => path.to_string(),
        };
        let spans = parse_path_spans(&root_path)?;
        let Some(document) = document(json)? else {
            return Ok(Vec::new());
        };
        let sizes = Sizes::of(&document);
        let Some(target) = locate(&document, &spans, &root_path, &sizes) else {
            return Ok(Vec::new());
        };
        let mut emit = Emitter {
            json,
            root: &root_path,
            sizes: &sizes,
            rows: Vec::new(),
        };
        let mut stack = Vec::new();
        match self {
            TableFunction::Each if target.node.is_container() => {
                emit.push_children(&mut stack, &target_item(&target, &root_path), false)
            }
            TableFunction::Each => emit.row(&Item {
                key: Value::Null,
                parent: Value::Null,
                path: root_path.clone(),
                ..target_item(&target, &root_path)
            })?,
            TableFunction::Tree => stack.push(target_item(&target, &root_path)),
        }
        // Depth first, without recursion: a row, then its descendants.
        let recurse = self == TableFunction::Tree;
        while let Some(item) = stack.pop() {
            emit.row(&item)?;
            if recurse && item.node.is_container() {
                emit.push_children(&mut stack, &item, true);
            }
        }
        Ok(emit.rows)
    }
}

impl fmt::Display for TableFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The value a path leads to, with what its json_tree row shows.
struct Target<'a> {
    node: &'a Json,
    /// Its row id (its key's offset when it is an object member).
    id: usize,
    /// Where its value is encoded.
    value_offset: usize,
    key: Value,
    parent_path: String,
}

/// Follows `spans` from `root`, tracking JSONB offsets.
fn locate<'a>(
    root: &'a Json,
    spans: &[(Step, usize)],
    path: &str,
    sizes: &Sizes,
) -> Option<Target<'a>> {
    let mut target = Target {
        node: root,
        id: 0,
        value_offset: 0,
        key: Value::Null,
        parent_path: "$".to_string(),
    };
    for (step, start) in spans {
        let mut offset = target.value_offset + header_size(sizes.payload(target.node));
        match (target.node, step) {
            (Json::Object(members), Step::Key(key, written)) => {
                let mut found = None;
                for (raw, value) in members {
                    let label = header_size(raw.len()) + raw.len();
                    if super::path::key_matches(raw, key) {
                        found = Some((raw, value, offset));
                        break;
                    }
                    offset += label + sizes.encoded(value);
                }
                let (raw, value, label_offset) = found?;
                target = Target {
                    node: value,
                    id: label_offset,
                    value_offset: label_offset + header_size(raw.len()) + raw.len(),
                    // SQLite's json_tree reads the root row's key from the path text (a
                    // quoted key's escapes kept).
                    key: Value::Text(written.as_deref().unwrap_or(key).to_string()),
                    parent_path: path[..*start].to_string(),
                };
            }
            (Json::Array(items), step) => {
                let at = position(step, items.len()).filter(|&at| at < items.len())?;
                offset += items[..at]
                    .iter()
                    .map(|item| sizes.encoded(item))
                    .sum::<usize>();
                target = Target {
                    node: &items[at],
                    id: offset,
                    value_offset: offset,
                    // SQLite's json_tree reads the root row's key from the path text's
                    // digits after `[`, so `[#-N]` gives 0.
                    key: Value::Integer(match step {
                        Step::FromEnd(_) => 0,
                        _ => at as i64,
                    }),
                    parent_path: path[..*start].to_string(),
                };
            }
            _ => return None,
        }
    }
    Some(target)
}

/// Bytes of a JSONB header for a payload of `payload` bytes.
fn header_size(payload: usize) -> usize {
    match payload {
        0..=11 => 1,
        12..=0xff => 2,
        0x100..=0xffff => 3,
        0x1_0000..=0xffff_ffff => 5,
        _ => 9,
    }
}

/// The JSONB payload size of every array and object of a document, computed once (by
/// node address) so that offsets cost no more than one pass over the document.
struct Sizes {
    containers: HashMap<*const Json, usize>,
}

impl Sizes {
    fn of(root: &Json) -> Sizes {
        let mut sizes = Sizes {
            containers: HashMap::new(),
        };
        sizes.measure(root);
        sizes
    }

    /// Records the payload of `node` and everything in it; returns its encoded size. The
    /// recursion is bounded by the parser's depth limit and its frame is small.
    fn measure(&mut self, node: &Json) -> usize {
        let payload = match node {
            Json::Array(items) => items.iter().map(|item| self.measure(item)).sum(),
            Json::Object(members) => members
                .iter()
                .map(|(raw, value)| header_size(raw.len()) + raw.len() + self.measure(value))
                .sum(),
            scalar => scalar_payload(scalar),
        };
        if node.is_container() {
            self.containers.insert(node as *const Json, payload);
        }
        header_size(payload) + payload
    }

    fn payload(&self, node: &Json) -> usize {
        match node {
            Json::Array(_) | Json::Object(_) => self
                .containers
                .get(&(node as *const Json))
                .copied()
                .unwrap_or(0),
            scalar => scalar_payload(scalar),
        }
    }

    fn encoded(&self, node: &Json) -> usize {
        let payload = self.payload(node);
        header_size(payload) + payload
    }
}

fn scalar_payload(node: &Json) -> usize {
    match node {
        Json::Number(text) | Json::String(text) | Json::Raw(text) => text.len(),
        _ => 0,
    }
}

/// One row to emit: a node with what its row shows.
struct Item<'a> {
    node: &'a Json,
    key: Value,
    /// Its row id (its key's offset for an object member).
    row_id: usize,
    /// Where its value is encoded.
    value_offset: usize,
    parent: Value,
    fullkey: String,
    path: String,
}

fn target_item<'a>(target: &Target<'a>, root_path: &str) -> Item<'a> {
    Item {
        node: target.node,
        key: target.key.clone(),
        row_id: target.id,
        value_offset: target.value_offset,
        parent: Value::Null,
        fullkey: root_path.to_string(),
        path: target.parent_path.clone(),
    }
}

struct Emitter<'a> {
    json: &'a Value,
    root: &'a str,
    sizes: &'a Sizes,
    rows: Vec<Vec<Value>>,
}

impl<'a> Emitter<'a> {
    fn row(&mut self, item: &Item<'_>) -> Result<()> {
        let node = item.node;
        let atom = if node.is_container() {
            Value::Null
        } else {
            node.to_sql()?
        };
        self.rows.push(vec![
            item.key.clone(),
            node.to_sql()?,
            Value::Text(node.type_name().to_string()),
            atom,
            Value::Integer(item.row_id as i64),
            item.parent.clone(),
            Value::Text(item.fullkey.clone()),
            Value::Text(item.path.clone()),
            self.json.clone(),
            Value::Text(self.root.to_string()),
        ]);
        Ok(())
    }

    /// Pushes the children of `item`'s node onto `stack`, last first (so they pop in
    /// order); with `with_parent` their `parent` column is the item's row id (json_tree).
    fn push_children<'n>(&self, stack: &mut Vec<Item<'n>>, item: &Item<'n>, with_parent: bool) {
        let parent = if with_parent {
            Value::Integer(item.row_id as i64)
        } else {
            Value::Null
        };
        let mut offset = item.value_offset + header_size(self.sizes.payload(item.node));
        let mut children = Vec::new();
        match item.node {
            Json::Array(items) => {
                for (index, child) in items.iter().enumerate() {
                    children.push(Item {
                        node: child,
                        key: Value::Integer(index as i64),
                        row_id: offset,
                        value_offset: offset,
                        parent: parent.clone(),
                        fullkey: format!("{}[{index}]", item.fullkey),
                        path: item.fullkey.clone(),
                    });
                    offset += self.sizes.encoded(child);
                }
            }
            Json::Object(members) => {
                for (raw, child) in members {
                    let mut fullkey = item.fullkey.clone();
                    append_key(&mut fullkey, raw);
                    let label = header_size(raw.len()) + raw.len();
                    children.push(Item {
                        node: child,
                        key: Value::Text(unescape(raw)),
                        row_id: offset,
                        value_offset: offset + label,
                        parent: parent.clone(),
                        fullkey,
                        path: item.fullkey.clone(),
                    });
                    offset += label + self.sizes.encoded(child);
                }
            }
            _ => {}
        }
        stack.extend(children.into_iter().rev());
    }
}
