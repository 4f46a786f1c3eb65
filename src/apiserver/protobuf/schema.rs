//! The shape of the generated schema table ([`super::schema_table`]) and typed views
//! over it. Entries are small integers into shared arrays rather than `&str`s and
//! slices, so the table costs 8 bytes a field and needs no relocations.

use super::schema_table::{FIELDS, KINDS, MESSAGES, NAMES};

/// One field of a message: `f(tag, name offset, name length, kind, flags)`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Field {
    tag: u16,
    name_off: u16,
    name_len: u8,
    flags: u8,
    kind: u16,
}

pub(super) const fn f(tag: u16, name_off: u16, name_len: u8, kind: u16, flags: u8) -> Field {
    Field {
        tag,
        name_off,
        name_len,
        flags,
        kind,
    }
}

/// One message: `m(name offset, name length, special, first field, field count)`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Message {
    name_off: u16,
    name_len: u8,
    special: u8,
    first: u16,
    count: u16,
}

pub(super) const fn m(name_off: u16, name_len: u8, special: u8, first: u16, count: u16) -> Message {
    Message {
        name_off,
        name_len,
        special,
        first,
        count,
    }
}

/// `kind` values below this are [`Scalar`]s; from it on, message indices.
const MSG_BASE: u16 = 8;

const REPEATED: u8 = 1;
const MAP: u8 = 2;
const INLINE: u8 = 4;
const OMIT_ZERO: u8 = 8;

/// A proto scalar type (the only ones the built-in kinds use).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Scalar {
    String,
    Bool,
    Int32,
    Int64,
    Bytes,
}

/// What a field holds: a scalar or a message.
#[derive(Clone, Copy, Debug)]
pub(super) enum Kind {
    Scalar(Scalar),
    Message(MessageRef),
}

/// A message with a JSON form of its own (a custom `MarshalJSON` upstream).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Special {
    /// An ordinary message: a JSON object of its fields.
    None,
    /// `metav1.Time` `{seconds, nanos}`: RFC 3339 to the second, or `null`.
    Time,
    /// `metav1.MicroTime`: RFC 3339 with 6 fractional digits, or `null`.
    MicroTime,
    /// `resource.Quantity` `{string}`: the string.
    Quantity,
    /// `intstr.IntOrString` `{type, intVal, strVal}`: a number or a string.
    IntOrString,
    /// `runtime.RawExtension` / `metav1.FieldsV1` `{raw}`: the JSON held in `raw`.
    RawJson,
    /// A Go `[]string` type (`ExtraValue`) as `{repeated string items}`: the array.
    StringList,
}

fn name(off: u16, len: u8) -> &'static str {
    let off = usize::from(off);
    &NAMES[off..off + usize::from(len)]
}

impl Field {
    pub(super) fn tag(&self) -> u32 {
        u32::from(self.tag)
    }

    /// The JSON name (empty for an inline field).
    pub(super) fn json_name(&self) -> &'static str {
        name(self.name_off, self.name_len)
    }

    pub(super) fn kind(&self) -> Kind {
        match self.kind {
            0 => Kind::Scalar(Scalar::String),
            1 => Kind::Scalar(Scalar::Bool),
            2 => Kind::Scalar(Scalar::Int32),
            3 => Kind::Scalar(Scalar::Int64),
            4 => Kind::Scalar(Scalar::Bytes),
            k => Kind::Message(MessageRef(k - MSG_BASE)),
        }
    }

    /// `repeated`: a JSON array.
    pub(super) fn repeated(&self) -> bool {
        self.flags & REPEATED != 0
    }

    /// `map<string, kind>`: a JSON object.
    pub(super) fn is_map(&self) -> bool {
        self.flags & MAP != 0
    }

    /// Go `json:",inline"`: the message's fields go into the parent object.
    pub(super) fn inline(&self) -> bool {
        self.flags & INLINE != 0
    }

    /// A non-pointer Go scalar with `omitempty`: its zero value is left out of the JSON.
    pub(super) fn omit_zero(&self) -> bool {
        self.flags & OMIT_ZERO != 0
    }
}

/// A message of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct MessageRef(u16);

impl MessageRef {
    fn get(self) -> &'static Message {
        &MESSAGES[usize::from(self.0)]
    }

    /// Its proto name without the `k8s.io.api.` / `k8s.io.apimachinery.pkg.` prefix.
    pub(super) fn name(self) -> &'static str {
        let m = self.get();
        name(m.name_off, m.name_len)
    }

    pub(super) fn special(self) -> Special {
        match self.get().special {
            0 => Special::None,
            1 => Special::Time,
            2 => Special::MicroTime,
            3 => Special::Quantity,
            4 => Special::IntOrString,
            5 => Special::RawJson,
            _ => Special::StringList,
        }
    }

    /// Its fields, by tag (empty for a [`Special`] message).
    pub(super) fn fields(self) -> &'static [Field] {
        let m = self.get();
        let first = usize::from(m.first);
        &FIELDS[first..first + usize::from(m.count)]
    }

    pub(super) fn field(self, tag: u32) -> Option<&'static Field> {
        let fields = self.fields();
        fields
            .binary_search_by_key(&tag, Field::tag)
            .ok()
            .map(|i| &fields[i])
    }
}

/// The message of a root kind. `meta.k8s.io/v1` kinds (`DeleteOptions`) are
/// registered in every group version, so they are found under any `apiVersion`.
pub(super) fn root(api_version: &str, kind: &str) -> Option<MessageRef> {
    let find = |v: &str| {
        KINDS
            .iter()
            .find(|(av, k, _)| *av == v && *k == kind)
            .map(|&(_, _, i)| MessageRef(i))
    };
    find(api_version).or_else(|| find("meta.k8s.io/v1"))
}

/// Every `(apiVersion, kind)` the table can decode.
pub(super) fn kinds() -> impl Iterator<Item = (&'static str, &'static str)> {
    KINDS.iter().map(|&(av, k, _)| (av, k))
}

#[cfg(test)]
pub(super) fn all_messages() -> impl Iterator<Item = MessageRef> {
    (0..MESSAGES.len()).map(|i| MessageRef(u16::try_from(i).unwrap()))
}
