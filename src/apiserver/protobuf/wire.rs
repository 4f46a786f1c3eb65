//! The protobuf wire format: keys, varints, fixed-width and length-delimited values.
//! Kubernetes uses no zigzag (`sint*`) and no groups.

use super::ProtobufError;

/// The wire type in the low 3 bits of a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum WireType {
    Varint,
    Fixed64,
    Len,
    Fixed32,
}

impl WireType {
    pub(super) fn number(self) -> u8 {
        match self {
            WireType::Varint => 0,
            WireType::Fixed64 => 1,
            WireType::Len => 2,
            WireType::Fixed32 => 5,
        }
    }
}

/// Reads one message's bytes; `message` names it in errors.
pub(super) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    message: &'static str,
}

impl<'a> Reader<'a> {
    pub(super) fn new(buf: &'a [u8], message: &'static str) -> Self {
        Reader {
            buf,
            pos: 0,
            message,
        }
    }

    fn malformed(&self, reason: &'static str) -> ProtobufError {
        ProtobufError::Malformed {
            message: self.message,
            offset: self.pos,
            reason,
        }
    }

    pub(super) fn at_end(&self) -> bool {
        self.pos == self.buf.len()
    }

    /// The next field's number and wire type, or `None` at the end of the message.
    pub(super) fn key(&mut self) -> Result<Option<(u32, WireType)>, ProtobufError> {
        if self.at_end() {
            return Ok(None);
        }
        let key = self.varint()?;
        let wire_type = match key & 7 {
            0 => WireType::Varint,
            1 => WireType::Fixed64,
            2 => WireType::Len,
            5 => WireType::Fixed32,
            _ => return Err(self.malformed("unsupported wire type (groups are not used)")),
        };
        match u32::try_from(key >> 3) {
            Ok(0) | Err(_) => Err(self.malformed("illegal field number")),
            Ok(tag) => Ok(Some((tag, wire_type))),
        }
    }

    /// A base-128 varint of at most 10 bytes; bits past 64 are dropped, as Go does.
    pub(super) fn varint(&mut self) -> Result<u64, ProtobufError> {
        let mut value = 0u64;
        for i in 0..10 {
            let Some(&b) = self.buf.get(self.pos) else {
                return Err(self.malformed("truncated varint"));
            };
            self.pos += 1;
            value |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                return Ok(value);
            }
        }
        Err(self.malformed("varint longer than 10 bytes"))
    }

    /// A length-delimited value.
    pub(super) fn bytes(&mut self) -> Result<&'a [u8], ProtobufError> {
        let len = self.varint()?;
        let rest = self.buf.len() - self.pos;
        match usize::try_from(len) {
            Ok(len) if len <= rest => {
                let out = &self.buf[self.pos..self.pos + len];
                self.pos += len;
                Ok(out)
            }
            _ => Err(self.malformed("length past the end of the message")),
        }
    }

    fn advance(&mut self, n: usize) -> Result<(), ProtobufError> {
        if self.buf.len() - self.pos < n {
            return Err(self.malformed("truncated fixed-width value"));
        }
        self.pos += n;
        Ok(())
    }

    /// Skips a value of an unknown field.
    pub(super) fn skip(&mut self, wire_type: WireType) -> Result<(), ProtobufError> {
        match wire_type {
            WireType::Varint => self.varint().map(drop),
            WireType::Fixed64 => self.advance(8),
            WireType::Len => self.bytes().map(drop),
            WireType::Fixed32 => self.advance(4),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints() {
        let cases: &[(&[u8], u64)] = &[
            (&[0], 0),
            (&[1], 1),
            (&[0xac, 0x02], 300),
            (&[0xff, 0xff, 0xff, 0xff, 0x0f], u64::from(u32::MAX)),
            // -1 as an int32/int64: ten bytes, sign-extended.
            (
                &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
                u64::MAX,
            ),
        ];
        for (bytes, want) in cases {
            let mut r = Reader::new(bytes, "t");
            assert_eq!(r.varint().unwrap(), *want, "{bytes:?}");
            assert!(r.key().unwrap().is_none());
        }
    }

    #[test]
    fn malformed_input_is_an_error() {
        let cases: &[&[u8]] = &[
            &[0x80],             // truncated varint
            &[0x08],             // key without its value
            &[0x0a, 0x05, 1, 2], // length past the end
            &[0x00],             // field number 0
            &[0x0b],             // start group
            &[0x09, 1, 2, 3],    // truncated fixed64
            &[
                0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01,
            ],
        ];
        for bytes in cases {
            let mut r = Reader::new(bytes, "t");
            let res = (|| {
                while let Some((_, wt)) = r.key()? {
                    r.skip(wt)?;
                }
                Ok::<_, ProtobufError>(())
            })();
            assert!(
                matches!(res, Err(ProtobufError::Malformed { message: "t", .. })),
                "{bytes:?}: {res:?}"
            );
        }
    }

    #[test]
    fn skips_every_wire_type() {
        // 1: varint, 2: fixed64, 3: bytes, 4: fixed32, then 5: varint 7.
        let bytes = [
            0x08, 0x96, 0x01, 0x11, 1, 2, 3, 4, 5, 6, 7, 8, 0x1a, 2, b'h', b'i', 0x25, 1, 2, 3, 4,
            0x28, 7,
        ];
        let mut r = Reader::new(&bytes, "t");
        let mut seen = Vec::new();
        while let Some((tag, wt)) = r.key().unwrap() {
            seen.push((tag, wt.number()));
            if tag == 5 {
                assert_eq!(r.varint().unwrap(), 7);
            } else {
                r.skip(wt).unwrap();
            }
        }
        assert_eq!(seen, [(1, 0), (2, 1), (3, 2), (4, 5), (5, 0)]);
    }
}
