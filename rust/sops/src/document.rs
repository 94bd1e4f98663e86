//! A sops YAML or JSON document as an ordered tree, the way sops' stores
//! load it (`stores/yaml`, `stores/json`: a `TreeBranch` is a list of
//! key/value items in file order).
//!
//! Order matters because the MAC hashes values in tree order. Maps are kept
//! as `Vec`s by our own `Deserialize` visitor, so neither serde_json's
//! `preserve_order` feature (unified across the workspace) nor a YAML
//! mapping type is needed. Comments are dropped: sops never hashes them.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::layout::Metadata;
use crate::{Error, Format};

/// One node of the document.
#[derive(Debug)]
pub(crate) enum Node {
    /// `null` / `~` / an empty YAML value: sops skips it (no MAC input).
    Null,
    Bool(bool),
    Int(i64),
    /// An integer above `i64::MAX`; Go's stores give it a type sops cannot walk.
    BigUInt,
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Keys in file order; duplicates are rejected while parsing.
    Map(Vec<(String, Node)>),
}

impl Node {
    /// A short type name for messages (never the value).
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::Bool(_) => "bool",
            Node::Int(_) | Node::BigUInt => "int",
            Node::Float(_) => "float",
            Node::Str(_) => "string",
            Node::Seq(_) => "list",
            Node::Map(_) => "map",
        }
    }
}

/// The document without its `sops` entry, and the parsed metadata.
pub(crate) struct Document {
    pub data: Vec<(String, Node)>,
    pub sops: Metadata,
}

/// Parses a YAML or JSON sops file.
pub(crate) fn parse(file: &[u8], format: Format) -> Result<Document, Error> {
    // Parser messages name positions and types, not values; the values in
    // an encrypted file are ciphertext anyway.
    let malformed = |e: &dyn fmt::Display| Error::Malformed(format!("{format:?}: {e}"));
    let root: Node = match format {
        Format::Yaml => serde_norway::from_slice(file).map_err(|e| malformed(&e))?,
        Format::Json => serde_json::from_slice(file).map_err(|e| malformed(&e))?,
        Format::Binary => unreachable!("the binary store is read by decrypt()"),
    };
    let Node::Map(items) = root else {
        return Err(Error::Malformed(format!(
            "{format:?}: the document is a {}, not a map with a `sops` entry",
            root.kind()
        )));
    };
    let mut data = Vec::with_capacity(items.len());
    let mut sops = None;
    for (key, node) in items {
        if key == "sops" {
            sops = Some(node);
        } else {
            data.push((key, node));
        }
    }
    let sops = sops.ok_or_else(|| {
        Error::Malformed("no `sops` metadata entry: the file is not encrypted with sops".into())
    })?;
    let sops = serde_json::from_value(to_json(sops)?)
        .map_err(|e| Error::Malformed(format!("sops metadata: {e}")))?;
    Ok(Document { data, sops })
}

/// The metadata subtree as JSON, to deserialise into [`Metadata`] (the
/// same struct the binary store uses).
fn to_json(node: Node) -> Result<serde_json::Value, Error> {
    use serde_json::Value;
    Ok(match node {
        Node::Null => Value::Null,
        Node::Bool(b) => Value::Bool(b),
        Node::Int(i) => Value::from(i),
        Node::Float(f) => Value::from(f),
        Node::BigUInt => return Err(Error::Malformed("sops metadata: integer too large".into())),
        Node::Str(s) => Value::String(s),
        Node::Seq(items) => Value::Array(items.into_iter().map(to_json).collect::<Result<_, _>>()?),
        Node::Map(items) => Value::Object(
            items
                .into_iter()
                .map(|(k, v)| Ok((k, to_json(v)?)))
                .collect::<Result<_, Error>>()?,
        ),
    })
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a sops document (maps, lists, strings, numbers, booleans, null)")
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(i64::try_from(v).map_or(Node::BigUInt, Node::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut items: Vec<(String, Node)> = Vec::new();
        while let Some(Key(key)) = map.next_key()? {
            // sops' YAML store refuses duplicates; its JSON store would hash
            // both while sops-nix keeps the last: refuse rather than pick.
            if items.iter().any(|(k, _)| *k == key) {
                return Err(de::Error::custom(format!("duplicate key {key:?}")));
            }
            let value = map.next_value()?;
            items.push((key, value));
        }
        Ok(Node::Map(items))
    }
}

/// A map key: sops walks only string keys ("Only string keys are supported").
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string key (sops supports only string keys)")
            }
            fn visit_str<E>(self, v: &str) -> Result<Key, E> {
                Ok(Key(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Key, E> {
                Ok(Key(v))
            }
        }
        // `deserialize_any`, not `deserialize_str`: the YAML parser would
        // hand a plain `1` or `true` to a string visitor as text, where Go's
        // YAML gives sops an int or bool key, which it refuses.
        d.deserialize_any(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(items: &[(String, Node)]) -> Vec<&str> {
        items.iter().map(|(k, _)| k.as_str()).collect()
    }

    const META: &str =
        "sops:\n  lastmodified: '2024-01-01T00:00:00Z'\n  mac: ''\n  version: 3.11.0\n";

    #[test]
    fn keeps_file_order_and_drops_sops() {
        let yaml = format!("zeta: a\nalpha: {{y: 1, b: 2}}\n{META}mid: [x, null]\n");
        let doc = parse(yaml.as_bytes(), Format::Yaml).unwrap();
        assert_eq!(keys(&doc.data), ["zeta", "alpha", "mid"]);
        let Node::Map(inner) = &doc.data[1].1 else {
            panic!()
        };
        assert_eq!(keys(inner), ["y", "b"]);
        assert_eq!(doc.sops.version, "3.11.0");

        let json = r#"{"z": "a", "a": {"y": 1, "b": [1.5, true]}, "sops": {"lastmodified": "x", "mac": "", "version": "3"}}"#;
        let doc = parse(json.as_bytes(), Format::Json).unwrap();
        assert_eq!(keys(&doc.data), ["z", "a"]);
    }

    #[test]
    fn refuses_duplicates_non_string_keys_and_missing_metadata() {
        for (bad, format) in [
            (format!("a: 1\na: 2\n{META}"), Format::Yaml),
            (format!("1: x\n{META}"), Format::Yaml),
            ("a: 1\n".to_string(), Format::Yaml),
            ("- a\n".to_string(), Format::Yaml),
            (r#"{"a": 1, "a": 2}"#.to_string(), Format::Json),
        ] {
            assert!(
                matches!(parse(bad.as_bytes(), format), Err(Error::Malformed(_))),
                "{bad}"
            );
        }
    }
}
