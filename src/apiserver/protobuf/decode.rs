//! Walks a message's bytes with its schema and builds the JSON that Go's
//! `encoding/json` would write for the same Go struct.
//!
//! Go decodes protobuf into a struct and a JSON client marshals that struct, so the
//! rules follow Go: fields in the order they come (a singular field seen twice: the
//! last scalar wins, messages merge), unknown fields skipped (gogo
//! generated code does the same, which keeps newer clients working), strings with
//! invalid UTF-8 replaced by U+FFFD (as `encoding/json` does), `bytes` as standard
//! base64.

use base64::Engine as _;
use serde_json::{Map, Number, Value};

use super::ProtobufError;
use super::schema::{Field, Kind, MessageRef, Scalar, Special};
use super::wire::{Reader, WireType};

/// Deeper than any built-in kind nests; bounds the recursion on hostile input.
const MAX_DEPTH: u32 = 64;

/// Seconds from 1970 of Go's zero `time.Time` (0001-01-01T00:00:00Z), which
/// `metav1.Time` writes as `null`.
const GO_ZERO_TIME_SECONDS: i64 = -62_135_596_800;

/// The JSON of one message of kind `msg`.
pub(super) fn message(msg: MessageRef, bytes: &[u8], depth: u32) -> Result<Value, ProtobufError> {
    if depth > MAX_DEPTH {
        return Err(ProtobufError::TooDeep { limit: MAX_DEPTH });
    }
    match msg.special() {
        Special::None => {
            let mut out = Map::new();
            fill(msg, bytes, &mut out, depth)?;
            Ok(Value::Object(out))
        }
        special => special_value(msg, special, bytes),
    }
}

/// Decodes the fields of `msg` into `out` (which may hold the fields of an earlier
/// occurrence, or of the parent of an inline message).
fn fill(
    msg: MessageRef,
    bytes: &[u8],
    out: &mut Map<String, Value>,
    depth: u32,
) -> Result<(), ProtobufError> {
    let mut r = Reader::new(bytes, msg.name());
    while let Some((tag, wire_type)) = r.key()? {
        let Some(field) = msg.field(tag) else {
            r.skip(wire_type)?;
            continue;
        };
        let at = FieldAt { msg, field };
        if field.is_map() {
            let entry = at.len(&mut r, wire_type)?;
            let (key, value) = map_entry(at, entry, depth)?;
            object_at(out, field.json_name()).insert(key, value);
        } else if field.inline() {
            let Kind::Message(sub) = field.kind() else {
                unreachable!("the generator allows only messages inline")
            };
            let bytes = at.len(&mut r, wire_type)?;
            if depth >= MAX_DEPTH {
                return Err(ProtobufError::TooDeep { limit: MAX_DEPTH });
            }
            fill(sub, bytes, out, depth + 1)?;
        } else if field.repeated() {
            let values = array_at(out, field.json_name());
            repeated(at, &mut r, wire_type, values, depth)?;
        } else {
            singular(at, &mut r, wire_type, out, depth)?;
        }
    }
    Ok(())
}

/// A field of a message, for decoding and for naming in errors.
#[derive(Clone, Copy)]
struct FieldAt {
    msg: MessageRef,
    field: &'static Field,
}

impl FieldAt {
    fn wrong_wire_type(self, wire_type: WireType) -> ProtobufError {
        ProtobufError::WireType {
            message: self.msg.name(),
            tag: self.field.tag(),
            wire_type: wire_type.number(),
        }
    }

    fn len<'a>(self, r: &mut Reader<'a>, wire_type: WireType) -> Result<&'a [u8], ProtobufError> {
        match wire_type {
            WireType::Len => r.bytes(),
            other => Err(self.wrong_wire_type(other)),
        }
    }

    /// A value of this field's kind (one element, for a repeated field).
    fn value(
        self,
        r: &mut Reader<'_>,
        wire_type: WireType,
        depth: u32,
    ) -> Result<Value, ProtobufError> {
        match self.field.kind() {
            Kind::Scalar(s) => self.scalar(s, r, wire_type),
            Kind::Message(m) => message(m, self.len(r, wire_type)?, depth + 1),
        }
    }

    fn scalar(
        self,
        s: Scalar,
        r: &mut Reader<'_>,
        wire_type: WireType,
    ) -> Result<Value, ProtobufError> {
        match s {
            Scalar::String => Ok(string(self.len(r, wire_type)?)),
            Scalar::Bytes => Ok(base64(self.len(r, wire_type)?)),
            _ if wire_type != WireType::Varint => Err(self.wrong_wire_type(wire_type)),
            Scalar::Bool => Ok(Value::Bool(r.varint()? != 0)),
            // Go keeps the low 32 bits of an int32's varint.
            Scalar::Int32 => Ok(Value::from(r.varint()? as u32 as i32)),
            Scalar::Int64 => Ok(Value::from(r.varint()? as i64)),
        }
    }
}

fn string(bytes: &[u8]) -> Value {
    Value::String(String::from_utf8_lossy(bytes).into_owned())
}

fn base64(bytes: &[u8]) -> Value {
    Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// The zero value of a Go scalar, which `omitempty` leaves out.
fn is_zero(v: &Value) -> bool {
    match v {
        Value::String(s) => s.is_empty(),
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_i64() == Some(0),
        _ => false,
    }
}

fn singular(
    at: FieldAt,
    r: &mut Reader<'_>,
    wire_type: WireType,
    out: &mut Map<String, Value>,
    depth: u32,
) -> Result<(), ProtobufError> {
    let name = at.field.json_name();
    match at.field.kind() {
        Kind::Message(m) if m.special() == Special::None => {
            let bytes = at.len(r, wire_type)?;
            if depth >= MAX_DEPTH {
                return Err(ProtobufError::TooDeep { limit: MAX_DEPTH });
            }
            fill(m, bytes, object_at(out, name), depth + 1)
        }
        _ => {
            let value = at.value(r, wire_type, depth)?;
            if at.field.omit_zero() && is_zero(&value) {
                out.remove(name);
            } else {
                out.insert(name.to_owned(), value);
            }
            Ok(())
        }
    }
}

/// One occurrence of a repeated field: a value, or a packed run of varints.
fn repeated(
    at: FieldAt,
    r: &mut Reader<'_>,
    wire_type: WireType,
    values: &mut Vec<Value>,
    depth: u32,
) -> Result<(), ProtobufError> {
    let packable = matches!(
        at.field.kind(),
        Kind::Scalar(Scalar::Int32 | Scalar::Int64 | Scalar::Bool)
    );
    if packable && wire_type == WireType::Len {
        let mut packed = Reader::new(r.bytes()?, at.msg.name());
        while !packed.at_end() {
            values.push(at.value(&mut packed, WireType::Varint, depth)?);
        }
        return Ok(());
    }
    values.push(at.value(r, wire_type, depth)?);
    Ok(())
}

/// A map entry message `{key = 1; value = 2}`; a missing part is its zero value.
fn map_entry(at: FieldAt, entry: &[u8], depth: u32) -> Result<(String, Value), ProtobufError> {
    let mut r = Reader::new(entry, at.msg.name());
    let (mut key, mut value) = (String::new(), None);
    while let Some((tag, wire_type)) = r.key()? {
        match tag {
            1 => key = String::from_utf8_lossy(at.len(&mut r, wire_type)?).into_owned(),
            2 => value = Some(at.value(&mut r, wire_type, depth)?),
            _ => r.skip(wire_type)?,
        }
    }
    let value = match value {
        Some(v) => v,
        None => match at.field.kind() {
            Kind::Scalar(s) => zero_scalar(s),
            Kind::Message(m) => message(m, &[], depth + 1)?,
        },
    };
    Ok((key, value))
}

fn zero_scalar(s: Scalar) -> Value {
    match s {
        Scalar::String | Scalar::Bytes => Value::String(String::new()),
        Scalar::Bool => Value::Bool(false),
        Scalar::Int32 | Scalar::Int64 => Value::Number(Number::from(0)),
    }
}

/// The object at `out[name]`, made (or replacing a non-object) if need be.
fn object_at<'m>(out: &'m mut Map<String, Value>, name: &str) -> &'m mut Map<String, Value> {
    let slot = out.entry(name).or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    match slot {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

/// The array at `out[name]`, made (or replacing a non-array) if need be.
fn array_at<'m>(out: &'m mut Map<String, Value>, name: &str) -> &'m mut Vec<Value> {
    let slot = out.entry(name).or_insert_with(|| Value::Array(Vec::new()));
    if !slot.is_array() {
        *slot = Value::Array(Vec::new());
    }
    match slot {
        Value::Array(a) => a,
        _ => unreachable!(),
    }
}

/// Decodes the fields of a special message by number: `f(tag, wire type, reader)`.
fn each_field<'a>(
    msg: MessageRef,
    bytes: &'a [u8],
    mut f: impl FnMut(u32, WireType, &mut Reader<'a>) -> Result<bool, ProtobufError>,
) -> Result<(), ProtobufError> {
    let mut r = Reader::new(bytes, msg.name());
    while let Some((tag, wire_type)) = r.key()? {
        if !f(tag, wire_type, &mut r)? {
            r.skip(wire_type)?;
        }
    }
    Ok(())
}

fn special_value(msg: MessageRef, special: Special, bytes: &[u8]) -> Result<Value, ProtobufError> {
    let wrong = |tag, wire_type: WireType| ProtobufError::WireType {
        message: msg.name(),
        tag,
        wire_type: wire_type.number(),
    };
    let invalid = |tag, reason: String| ProtobufError::InvalidField {
        message: msg.name(),
        tag,
        reason,
    };
    match special {
        Special::Time | Special::MicroTime => {
            if bytes.is_empty() {
                return Ok(Value::Null);
            }
            let (mut seconds, mut nanos) = (0i64, 0i32);
            each_field(msg, bytes, |tag, wt, r| match (tag, wt) {
                (1, WireType::Varint) => Ok({
                    seconds = r.varint()? as i64;
                    true
                }),
                (2, WireType::Varint) => Ok({
                    nanos = r.varint()? as u32 as i32;
                    true
                }),
                (1 | 2, wt) => Err(wrong(tag, wt)),
                _ => Ok(false),
            })?;
            let (seconds, micros) = if special == Special::MicroTime {
                // Go truncates to microseconds, then normalizes nanos outside 0..1e9.
                let micros = i64::from(nanos / 1000);
                let seconds = seconds.saturating_add(micros.div_euclid(1_000_000));
                (seconds, Some(micros.rem_euclid(1_000_000) as u32))
            } else {
                (seconds, None)
            };
            rfc3339(seconds, micros).map_err(|reason| invalid(1, reason))
        }
        Special::Quantity => {
            let mut s = None;
            each_field(msg, bytes, |tag, wt, r| match (tag, wt) {
                (1, WireType::Len) => Ok({
                    s = Some(string(r.bytes()?));
                    true
                }),
                (1, wt) => Err(wrong(tag, wt)),
                _ => Ok(false),
            })?;
            Ok(s.unwrap_or_else(|| Value::String("0".into())))
        }
        Special::IntOrString => {
            let (mut ty, mut int_val, mut str_val) = (0u64, 0i32, String::new());
            each_field(msg, bytes, |tag, wt, r| match (tag, wt) {
                (1, WireType::Varint) => Ok({
                    ty = r.varint()?;
                    true
                }),
                (2, WireType::Varint) => Ok({
                    int_val = r.varint()? as u32 as i32;
                    true
                }),
                (3, WireType::Len) => Ok({
                    str_val = String::from_utf8_lossy(r.bytes()?).into_owned();
                    true
                }),
                (1..=3, wt) => Err(wrong(tag, wt)),
                _ => Ok(false),
            })?;
            match ty {
                0 => Ok(Value::from(int_val)),
                1 => Ok(Value::String(str_val)),
                other => Err(invalid(1, format!("impossible IntOrString.Type {other}"))),
            }
        }
        Special::RawJson => {
            let mut raw: Option<&[u8]> = None;
            each_field(msg, bytes, |tag, wt, r| match (tag, wt) {
                (1, WireType::Len) => Ok({
                    raw = Some(r.bytes()?);
                    true
                }),
                (1, wt) => Err(wrong(tag, wt)),
                _ => Ok(false),
            })?;
            match raw {
                None | Some([]) => Ok(Value::Null),
                Some(raw) => serde_json::from_slice(raw)
                    .map_err(|e| invalid(1, format!("raw is not JSON: {e}"))),
            }
        }
        Special::StringList => {
            let mut items = Vec::new();
            each_field(msg, bytes, |tag, wt, r| match (tag, wt) {
                (1, WireType::Len) => Ok({
                    items.push(string(r.bytes()?));
                    true
                }),
                (1, wt) => Err(wrong(tag, wt)),
                _ => Ok(false),
            })?;
            // Go's nil slice: an entry with no items marshals as `null`.
            Ok(if items.is_empty() {
                Value::Null
            } else {
                Value::Array(items)
            })
        }
        Special::None => unreachable!("ordinary messages are decoded by fill"),
    }
}

/// `seconds` from 1970 in UTC as Go's `time.RFC3339` (with `micros`: `RFC3339Micro`),
/// or `null` for Go's zero time.
fn rfc3339(seconds: i64, micros: Option<u32>) -> Result<Value, String> {
    if seconds == GO_ZERO_TIME_SECONDS && micros.unwrap_or(0) == 0 {
        return Ok(Value::Null);
    }
    let t = time::OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .filter(|t| t.year() >= 0)
        .ok_or_else(|| format!("time {seconds}s is outside years 0 to 9999"))?;
    let mut s = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    if let Some(us) = micros {
        s.push_str(&format!(".{us:06}"));
    }
    s.push('Z');
    Ok(Value::String(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_format_like_go() {
        let cases = [
            (1_767_323_045, None, json_str("2026-01-02T03:04:05Z")),
            (0, None, json_str("1970-01-01T00:00:00Z")),
            (
                1_767_323_045,
                Some(123_456),
                json_str("2026-01-02T03:04:05.123456Z"),
            ),
            (
                1_767_323_045,
                Some(0),
                json_str("2026-01-02T03:04:05.000000Z"),
            ),
            (-1, None, json_str("1969-12-31T23:59:59Z")),
            (GO_ZERO_TIME_SECONDS, None, Value::Null),
            (GO_ZERO_TIME_SECONDS, Some(0), Value::Null),
            (253_402_300_799, None, json_str("9999-12-31T23:59:59Z")),
        ];
        for (seconds, micros, want) in cases {
            assert_eq!(
                rfc3339(seconds, micros).unwrap(),
                want,
                "{seconds} {micros:?}"
            );
        }
        assert!(rfc3339(253_402_300_800, None).is_err());
        assert!(rfc3339(i64::MIN, None).is_err());
    }

    fn json_str(s: &str) -> Value {
        Value::String(s.into())
    }
}
