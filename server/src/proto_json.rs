//! Between the gRPC messages (`proto/recguard/v1/sidecar.proto`) and the
//! JSON the host reads and writes, by the rules the .proto states:
//! - a field's JSON name is its name with `-` for `_` (`now_ms`: `now-ms`);
//! - an enum value's JSON name is its name after the enum's prefix, in lower
//!   case with `-` for `_` (`SURFACE_HOT_LIST`: `hot-list`); the zero value
//!   (`…_UNSPECIFIED`) is no value;
//! - a message whose fields all belong to a `oneof kind` is a union tagged
//!   with `"kind"`: the chosen case's name is the tag and its message's
//!   fields sit beside it (`{"kind": "block", "reason": …}`);
//! - a field with presence (a message, an `optional` scalar) is left out
//!   when not set; other scalars and lists are always written.
//!
//! Working from the descriptors, so that a field added to the .proto and to
//! the types needs no code here. A message is written as JSON text straight
//! from the message (no intermediate JSON value), and read without building
//! a name or a path unless something does not fit: these run on every gRPC
//! request.

use std::fmt::{self, Display};

use prost_reflect::{DynamicMessage, EnumDescriptor, FieldDescriptor, Kind, MessageDescriptor, OneofDescriptor, ReflectMessage, Value};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value as Json};

/// The message as the host's JSON.
pub fn to_json(message: &DynamicMessage) -> Json {
    // Cannot fail: every key is a string, and floats that JSON cannot hold are written as null.
    serde_json::to_value(HostJson(message)).unwrap_or(Json::Null)
}

/// The message as the host's JSON text, what the HTTP API takes.
pub fn to_json_text(message: &DynamicMessage) -> Result<String, serde_json::Error> {
    serde_json::to_string(&HostJson(message))
}

/// A message as serde sees it under the mapping's rules.
struct HostJson<'a>(&'a DynamicMessage);

impl Serialize for HostJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let message = self.0;
        let mut map = serializer.serialize_map(None)?;
        match tagged_union(&message.descriptor()) {
            Some(oneof) => {
                if let Some(case) = oneof.fields().find(|f| message.has_field(f)) {
                    if let Value::Message(payload) = &*message.get_field(&case) {
                        write_fields(&mut map, payload)?;
                    }
                    map.serialize_entry("kind", &JsonName(case.name()))?;
                }
            }
            None => write_fields(&mut map, message)?,
        }
        map.end()
    }
}

fn write_fields<M: SerializeMap>(map: &mut M, message: &DynamicMessage) -> Result<(), M::Error> {
    for field in message.descriptor().fields() {
        if field.supports_presence() && !message.has_field(&field) {
            continue;
        }
        let value = message.get_field(&field);
        if let (Value::EnumNumber(0), false) = (&*value, field.is_list()) {
            continue;
        }
        map.serialize_entry(&JsonName(field.name()), &HostValue { value: &value, kind: &field.kind() })?;
    }
    Ok(())
}

/// One value (or a list of them) of a field of `kind`.
struct HostValue<'a> {
    value: &'a Value,
    kind: &'a Kind,
}

impl Serialize for HostValue<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.value {
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::I32(n) => serializer.serialize_i32(*n),
            Value::I64(n) => serializer.serialize_i64(*n),
            Value::U32(n) => serializer.serialize_u32(*n),
            Value::U64(n) => serializer.serialize_u64(*n),
            Value::F32(x) => serialize_float(serializer, f64::from(*x)),
            Value::F64(x) => serialize_float(serializer, *x),
            Value::String(s) => serializer.serialize_str(s),
            Value::Bytes(bytes) => serializer.collect_seq(bytes.iter()),
            Value::EnumNumber(number) => match self.kind.as_enum().and_then(|e| Some((e, e.get_value(*number)?))) {
                Some((descriptor, value)) => {
                    let name = value.name();
                    serializer.collect_str(&EnumJsonName(strip_enum_prefix(descriptor.name(), name).unwrap_or(name)))
                }
                None => serializer.serialize_i32(*number),
            },
            Value::Message(message) => HostJson(message).serialize(serializer),
            Value::List(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&HostValue { value: item, kind: self.kind })?;
                }
                seq.end()
            }
            Value::Map(_) => serializer.serialize_none(),
        }
    }
}

/// A number, or null for what JSON cannot hold (NaN, infinities).
fn serialize_float<S: Serializer>(serializer: S, x: f64) -> Result<S::Ok, S::Error> {
    if x.is_finite() {
        serializer.serialize_f64(x)
    } else {
        serializer.serialize_none()
    }
}

/// A field's JSON name: its name with `-` for `_`.
struct JsonName<'a>(&'a str);

impl Display for JsonName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_words(f, self.0, false)
    }
}

impl Serialize for JsonName<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// An enum value's JSON name, from its name after the prefix: lower case, `-` for `_`.
struct EnumJsonName<'a>(&'a str);

impl Display for EnumJsonName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_words(f, self.0, true)
    }
}

/// Writes the words of `name` (split at `_`) joined by `-`, in lower case
/// if `lower`: a word at a time, since each write to a JSON serialiser is
/// escaped on its own.
fn write_words(f: &mut fmt::Formatter<'_>, name: &str, lower: bool) -> fmt::Result {
    for (i, word) in name.split('_').enumerate() {
        if i > 0 {
            f.write_str("-")?;
        }
        if lower && word.bytes().any(|b| b.is_ascii_uppercase()) {
            f.write_str(&word.to_ascii_lowercase())?;
        } else {
            f.write_str(word)?;
        }
    }
    Ok(())
}

/// The characters of the prefix of the values of the enum named `enum_name`:
/// `SurfaceKind` gives `SURFACE_KIND_`.
fn enum_prefix(enum_name: &str) -> impl Iterator<Item = char> + '_ {
    enum_name
        .char_indices()
        .flat_map(|(i, c)| {
            let separator = (c.is_ascii_uppercase() && i > 0).then_some('_');
            separator.into_iter().chain(std::iter::once(c.to_ascii_uppercase()))
        })
        .chain(std::iter::once('_'))
}

/// `value_name` without the prefix of the enum named `enum_name`, if it has it.
fn strip_enum_prefix<'a>(enum_name: &str, value_name: &'a str) -> Option<&'a str> {
    let mut rest = value_name.chars();
    for expected in enum_prefix(enum_name) {
        if rest.next() != Some(expected) {
            return None;
        }
    }
    Some(rest.as_str())
}

/// True if `proto_name` (`now_ms`) is written `json_name` (`now-ms`).
fn is_json_name(proto_name: &str, json_name: &str) -> bool {
    proto_name.len() == json_name.len()
        && proto_name.bytes().zip(json_name.bytes()).all(|(p, j)| p == j || (p == b'_' && j == b'-'))
}

/// True if enum value `short` (after the prefix: `HOT_LIST`) is written
/// `json_name` (`hot-list`; case and `-` or `_` do not matter).
fn is_enum_json_name(short: &str, json_name: &str) -> bool {
    short.len() == json_name.len()
        && short.bytes().zip(json_name.bytes()).all(|(s, j)| s == if j == b'-' { b'_' } else { j.to_ascii_uppercase() })
}

/// The `oneof kind` that makes `descriptor` a tagged union, if it is one.
fn tagged_union(descriptor: &MessageDescriptor) -> Option<OneofDescriptor> {
    let oneof = descriptor.oneofs().find(|o| o.name() == "kind")?;
    descriptor.fields().all(|f| f.containing_oneof().is_some_and(|o| o.name() == "kind")).then_some(oneof)
}

/// Where in the JSON a value is, written only when an error names it.
#[derive(Clone, Copy)]
enum At<'a> {
    Root,
    Key(&'a At<'a>, &'a str),
    Index(&'a At<'a>, usize),
}

impl Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            At::Root => f.write_str("/"),
            At::Key(parent, key) => write_parent(f, parent).and_then(|()| write!(f, "/{key}")),
            At::Index(parent, index) => write_parent(f, parent).and_then(|()| write!(f, "/{index}")),
        }
    }
}

fn write_parent(f: &mut fmt::Formatter<'_>, parent: &At<'_>) -> fmt::Result {
    match parent {
        At::Root => Ok(()),
        other => other.fmt(f),
    }
}

/// The host's JSON as a message of `descriptor`; errs naming the JSON path
/// of what does not fit.
pub fn from_json(json: &Json, descriptor: &MessageDescriptor) -> Result<DynamicMessage, String> {
    message_from_json(json, descriptor, At::Root)
}

fn message_from_json(json: &Json, descriptor: &MessageDescriptor, at: At<'_>) -> Result<DynamicMessage, String> {
    let Json::Object(object) = json else {
        return Err(format!("{at}: expected an object for {}", descriptor.name()));
    };
    let Some(oneof) = tagged_union(descriptor) else {
        return message_from_object(object, descriptor, at, None);
    };
    let tag = object.get("kind").and_then(Json::as_str).ok_or_else(|| format!("{at}: no \"kind\""))?;
    let case = oneof
        .fields()
        .find(|f| is_json_name(f.name(), tag))
        .ok_or_else(|| format!("{at}: no kind {tag:?} in {}", descriptor.name()))?;
    let Kind::Message(payload) = case.kind() else {
        return Err(format!("{at}: kind {tag:?} of {} carries no message", descriptor.name()));
    };
    let mut message = DynamicMessage::new(descriptor.clone());
    message.set_field(&case, Value::Message(message_from_object(object, &payload, at, Some("kind"))?));
    Ok(message)
}

/// A message from the keys of `object`, except `skip` (a union's tag).
fn message_from_object(
    object: &Map<String, Json>,
    descriptor: &MessageDescriptor,
    at: At<'_>,
    skip: Option<&str>,
) -> Result<DynamicMessage, String> {
    let mut message = DynamicMessage::new(descriptor.clone());
    for (key, value) in object {
        if value.is_null() || skip == Some(key.as_str()) {
            continue;
        }
        let at = At::Key(&at, key);
        let field = descriptor
            .fields()
            .find(|f| is_json_name(f.name(), key))
            .ok_or_else(|| format!("{at}: no field {key:?} in {}", descriptor.name()))?;
        let value = if field.is_list() {
            let Json::Array(items) = value else { return Err(format!("{at}: expected a list")) };
            let kind = field.kind();
            let items = items.iter().enumerate().map(|(i, item)| value_from_json(item, &field, &kind, At::Index(&at, i)));
            Value::List(items.collect::<Result<_, _>>()?)
        } else {
            value_from_json(value, &field, &field.kind(), at)?
        };
        message.set_field(&field, value);
    }
    Ok(message)
}

/// One value (not a list) of `field`, whose kind is `kind`.
fn value_from_json(json: &Json, field: &FieldDescriptor, kind: &Kind, at: At<'_>) -> Result<Value, String> {
    let wrong = || format!("{at}: {json} does not fit {:?}", field.kind());
    let integer = || json.as_i64().map(i128::from).or_else(|| json.as_u64().map(i128::from)).ok_or_else(wrong);
    Ok(match kind {
        Kind::Bool => Value::Bool(json.as_bool().ok_or_else(wrong)?),
        Kind::String => Value::String(json.as_str().ok_or_else(wrong)?.to_string()),
        Kind::Double => Value::F64(json.as_f64().ok_or_else(wrong)?),
        Kind::Float => Value::F32(json.as_f64().ok_or_else(wrong)? as f32),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => Value::I32(i32::try_from(integer()?).map_err(|_| wrong())?),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => Value::I64(i64::try_from(integer()?).map_err(|_| wrong())?),
        Kind::Uint32 | Kind::Fixed32 => Value::U32(u32::try_from(integer()?).map_err(|_| wrong())?),
        Kind::Uint64 | Kind::Fixed64 => Value::U64(u64::try_from(integer()?).map_err(|_| wrong())?),
        Kind::Bytes => return Err(wrong()),
        Kind::Enum(descriptor) => Value::EnumNumber(enum_number(descriptor, json.as_str().ok_or_else(wrong)?).ok_or_else(wrong)?),
        Kind::Message(descriptor) => Value::Message(message_from_json(json, descriptor, at)?),
    })
}

/// The number of the value of enum `descriptor` whose JSON name is `name`.
fn enum_number(descriptor: &EnumDescriptor, name: &str) -> Option<i32> {
    descriptor.values().find_map(|value| {
        let short = strip_enum_prefix(descriptor.name(), value.name())?;
        is_enum_json_name(short, name).then(|| value.number())
    })
}
