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
//! the types needs no code here.

use prost_reflect::{DynamicMessage, EnumDescriptor, FieldDescriptor, Kind, MessageDescriptor, OneofDescriptor, ReflectMessage, Value};
use serde_json::{Map, Number, Value as Json};

fn json_name(proto_name: &str) -> String {
    proto_name.replace('_', "-")
}

/// `SurfaceKind` → `SURFACE_KIND_`.
fn enum_prefix(descriptor: &EnumDescriptor) -> String {
    let mut prefix = String::new();
    for (i, c) in descriptor.name().chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            prefix.push('_');
        }
        prefix.push(c.to_ascii_uppercase());
    }
    prefix.push('_');
    prefix
}

/// The `oneof kind` that makes `descriptor` a tagged union, if it is one.
fn tagged_union(descriptor: &MessageDescriptor) -> Option<OneofDescriptor> {
    let oneof = descriptor.oneofs().find(|o| o.name() == "kind")?;
    descriptor.fields().all(|f| f.containing_oneof().is_some_and(|o| o.name() == "kind")).then_some(oneof)
}

/// The message as the host's JSON.
pub fn to_json(message: &DynamicMessage) -> Json {
    let descriptor = message.descriptor();
    if let Some(oneof) = tagged_union(&descriptor) {
        let mut object = Map::new();
        if let Some(case) = oneof.fields().find(|f| message.has_field(f)) {
            if let Json::Object(payload) = value_to_json(&message.get_field(&case), &case.kind()) {
                object = payload;
            }
            object.insert("kind".into(), Json::String(json_name(case.name())));
        }
        return Json::Object(object);
    }
    let mut object = Map::new();
    for field in descriptor.fields() {
        if field.supports_presence() && !message.has_field(&field) {
            continue;
        }
        let value = message.get_field(&field);
        if let (Value::EnumNumber(0), false) = (&*value, field.is_list()) {
            continue;
        }
        object.insert(json_name(field.name()), value_to_json(&value, &field.kind()));
    }
    Json::Object(object)
}

fn value_to_json(value: &Value, kind: &Kind) -> Json {
    match value {
        Value::Bool(b) => Json::Bool(*b),
        Value::I32(n) => Json::from(*n),
        Value::I64(n) => Json::from(*n),
        Value::U32(n) => Json::from(*n),
        Value::U64(n) => Json::from(*n),
        Value::F32(x) => Number::from_f64(f64::from(*x)).map_or(Json::Null, Json::Number),
        Value::F64(x) => Number::from_f64(*x).map_or(Json::Null, Json::Number),
        Value::String(s) => Json::String(s.clone()),
        Value::Bytes(b) => Json::Array(b.iter().map(|&byte| Json::from(byte)).collect()),
        Value::EnumNumber(number) => match kind.as_enum().and_then(|e| e.get_value(*number).map(|v| (e.clone(), v))) {
            Some((descriptor, value)) => {
                let name = value.name().strip_prefix(&enum_prefix(&descriptor)).unwrap_or(value.name());
                Json::String(name.to_ascii_lowercase().replace('_', "-"))
            }
            None => Json::from(*number),
        },
        Value::Message(message) => to_json(message),
        Value::List(items) => Json::Array(items.iter().map(|item| value_to_json(item, kind)).collect()),
        Value::Map(_) => Json::Null,
    }
}

/// The host's JSON as a message of `descriptor`; errs naming the JSON path
/// of what does not fit.
pub fn from_json(json: &Json, descriptor: &MessageDescriptor) -> Result<DynamicMessage, String> {
    from_json_at(json, descriptor, "")
}

fn from_json_at(json: &Json, descriptor: &MessageDescriptor, path: &str) -> Result<DynamicMessage, String> {
    let Json::Object(object) = json else {
        return Err(format!("{}: expected an object for {}", shown(path), descriptor.name()));
    };
    let mut message = DynamicMessage::new(descriptor.clone());
    if let Some(oneof) = tagged_union(descriptor) {
        let tag = object.get("kind").and_then(Json::as_str).ok_or_else(|| format!("{}: no \"kind\"", shown(path)))?;
        let case = oneof
            .fields()
            .find(|f| json_name(f.name()) == tag)
            .ok_or_else(|| format!("{}: no kind {tag:?} in {}", shown(path), descriptor.name()))?;
        let mut payload = object.clone();
        payload.remove("kind");
        let value = json_to_value(&Json::Object(payload), &case, path)?;
        message.set_field(&case, value);
        return Ok(message);
    }
    for (key, value) in object {
        if value.is_null() {
            continue;
        }
        let at = format!("{path}/{key}");
        let field = descriptor
            .get_field_by_name(&key.replace('-', "_"))
            .ok_or_else(|| format!("{}: no field {key:?} in {}", shown(&at), descriptor.name()))?;
        let value = if field.is_list() {
            let Json::Array(items) = value else { return Err(format!("{}: expected a list", shown(&at))) };
            let items = items.iter().enumerate().map(|(i, item)| json_to_value(item, &field, &format!("{at}/{i}")));
            Value::List(items.collect::<Result<_, _>>()?)
        } else {
            json_to_value(value, &field, &at)?
        };
        message.set_field(&field, value);
    }
    Ok(message)
}

fn shown(path: &str) -> &str {
    if path.is_empty() {
        "/"
    } else {
        path
    }
}

/// One value (not a list) of `field`.
fn json_to_value(json: &Json, field: &FieldDescriptor, path: &str) -> Result<Value, String> {
    let wrong = || format!("{}: {json} does not fit {:?}", shown(path), field.kind());
    let integer = || json.as_i64().map(i128::from).or_else(|| json.as_u64().map(i128::from)).ok_or_else(wrong);
    Ok(match field.kind() {
        Kind::Bool => Value::Bool(json.as_bool().ok_or_else(wrong)?),
        Kind::String => Value::String(json.as_str().ok_or_else(wrong)?.to_string()),
        Kind::Double => Value::F64(json.as_f64().ok_or_else(wrong)?),
        Kind::Float => Value::F32(json.as_f64().ok_or_else(wrong)? as f32),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => Value::I32(i32::try_from(integer()?).map_err(|_| wrong())?),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => Value::I64(i64::try_from(integer()?).map_err(|_| wrong())?),
        Kind::Uint32 | Kind::Fixed32 => Value::U32(u32::try_from(integer()?).map_err(|_| wrong())?),
        Kind::Uint64 | Kind::Fixed64 => Value::U64(u64::try_from(integer()?).map_err(|_| wrong())?),
        Kind::Bytes => return Err(wrong()),
        Kind::Enum(descriptor) => {
            let name = json.as_str().ok_or_else(wrong)?;
            let full = format!("{}{}", enum_prefix(&descriptor), name.to_ascii_uppercase().replace('-', "_"));
            Value::EnumNumber(descriptor.get_value_by_name(&full).ok_or_else(wrong)?.number())
        }
        Kind::Message(descriptor) => Value::Message(from_json_at(json, &descriptor, path)?),
    })
}
