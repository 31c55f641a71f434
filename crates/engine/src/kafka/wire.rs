//! The Kafka protocol's primitive types, read with bounds: every length a frame declares is
//! checked against the bytes that are actually there before anything is allocated, so a
//! hostile frame (an array "of two billion elements" in ten bytes) is an error, not an
//! allocation the process dies of.

use std::fmt;

/// A frame that does not parse: what was wrong and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError(pub String);

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub type Result<T> = std::result::Result<T, WireError>;

fn short(what: &str, at: usize) -> WireError {
    WireError(format!("the frame ends inside {what} at byte {at}"))
}

pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(short(what, self.pos));
        }
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N]> {
        let bytes = self.take(N, what)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    pub fn i8(&mut self) -> Result<i8> {
        Ok(i8::from_be_bytes(self.array("an int8")?))
    }
    pub fn i16(&mut self) -> Result<i16> {
        Ok(i16::from_be_bytes(self.array("an int16")?))
    }
    pub fn i32(&mut self) -> Result<i32> {
        Ok(i32::from_be_bytes(self.array("an int32")?))
    }
    pub fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_be_bytes(self.array("an int64")?))
    }
    pub fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_be_bytes(self.array("a uint32")?))
    }

    /// An unsigned varint (at most 5 bytes).
    pub fn uvarint(&mut self) -> Result<u32> {
        let mut value: u32 = 0;
        for i in 0..5 {
            let b = self.take(1, "a varint")?[0];
            value |= u32::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(WireError(format!(
            "a varint longer than 5 bytes at byte {}",
            self.pos
        )))
    }

    /// A zigzag varint.
    pub fn varint(&mut self) -> Result<i32> {
        let v = self.uvarint()?;
        Ok(((v >> 1) as i32) ^ -((v & 1) as i32))
    }

    /// A zigzag varlong (at most 10 bytes).
    pub fn varlong(&mut self) -> Result<i64> {
        let mut value: u64 = 0;
        for i in 0..10 {
            let b = self.take(1, "a varlong")?[0];
            value |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(((value >> 1) as i64) ^ -((value & 1) as i64));
            }
        }
        Err(WireError(format!(
            "a varlong longer than 10 bytes at byte {}",
            self.pos
        )))
    }

    /// A length that must fit in what is left.
    fn length(&mut self, len: i64, what: &str) -> Result<usize> {
        let len = usize::try_from(len).map_err(|_| WireError(format!("{what} of length {len}")))?;
        if len > self.remaining() {
            return Err(WireError(format!(
                "{what} of {len} bytes where {} are left (byte {})",
                self.remaining(),
                self.pos
            )));
        }
        Ok(len)
    }

    pub fn nullable_string(&mut self) -> Result<Option<String>> {
        let len = self.i16()?;
        if len < 0 {
            return Ok(None);
        }
        let len = self.length(i64::from(len), "a string")?;
        let bytes = self.take(len, "a string")?;
        String::from_utf8(bytes.to_vec())
            .map(Some)
            .map_err(|_| WireError(format!("a string that is not UTF-8 at byte {}", self.pos)))
    }

    pub fn string(&mut self) -> Result<String> {
        self.nullable_string()?
            .ok_or_else(|| WireError(format!("a null string at byte {}", self.pos)))
    }

    pub fn compact_nullable_string(&mut self) -> Result<Option<String>> {
        let n = self.uvarint()?;
        if n == 0 {
            return Ok(None);
        }
        let len = self.length(i64::from(n) - 1, "a compact string")?;
        let bytes = self.take(len, "a compact string")?;
        String::from_utf8(bytes.to_vec())
            .map(Some)
            .map_err(|_| WireError(format!("a string that is not UTF-8 at byte {}", self.pos)))
    }

    pub fn nullable_bytes(&mut self) -> Result<Option<&'a [u8]>> {
        let len = self.i32()?;
        if len < 0 {
            return Ok(None);
        }
        let len = self.length(i64::from(len), "bytes")?;
        self.take(len, "bytes").map(Some)
    }

    /// An array's element count (`None` for a null array). Every element takes at least
    /// `element_min` bytes, so a count the remaining bytes cannot hold is refused up front.
    pub fn array_len(&mut self, element_min: usize) -> Result<Option<usize>> {
        let n = self.i32()?;
        if n < 0 {
            return Ok(None);
        }
        let n = n as usize;
        if n.saturating_mul(element_min.max(1)) > self.remaining() {
            return Err(WireError(format!(
                "an array of {n} elements where {} bytes are left (byte {})",
                self.remaining(),
                self.pos
            )));
        }
        Ok(Some(n))
    }

    /// Skips a flexible version's tagged fields.
    pub fn tagged_fields(&mut self) -> Result<()> {
        let n = self.uvarint()?;
        for _ in 0..n {
            self.uvarint()?;
            let size = self.uvarint()?;
            let len = self.length(i64::from(size), "a tagged field")?;
            self.take(len, "a tagged field")?;
        }
        Ok(())
    }
}

/// Builds a frame body.
#[derive(Default)]
pub struct Writer {
    pub buf: Vec<u8>,
}

impl Writer {
    pub fn i8(&mut self, v: i8) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub fn i16(&mut self, v: i16) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub fn i32(&mut self, v: i32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub fn i64(&mut self, v: i64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub fn bool(&mut self, v: bool) -> &mut Self {
        self.i8(i8::from(v))
    }
    pub fn uvarint(&mut self, mut v: u32) -> &mut Self {
        while v >= 0x80 {
            self.buf.push((v as u8 & 0x7f) | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
        self
    }
    pub fn varint(&mut self, v: i32) -> &mut Self {
        self.uvarint(((v << 1) ^ (v >> 31)) as u32)
    }
    pub fn varlong(&mut self, v: i64) -> &mut Self {
        let mut z = ((v << 1) ^ (v >> 63)) as u64;
        while z >= 0x80 {
            self.buf.push((z as u8 & 0x7f) | 0x80);
            z >>= 7;
        }
        self.buf.push(z as u8);
        self
    }
    pub fn string(&mut self, s: &str) -> &mut Self {
        let len = i16::try_from(s.len()).unwrap_or(i16::MAX);
        self.i16(len);
        self.buf.extend_from_slice(&s.as_bytes()[..len as usize]);
        self
    }
    pub fn nullable_string(&mut self, s: Option<&str>) -> &mut Self {
        match s {
            Some(s) => self.string(s),
            None => self.i16(-1),
        }
    }
    pub fn nullable_bytes(&mut self, b: Option<&[u8]>) -> &mut Self {
        match b {
            Some(b) => {
                self.i32(i32::try_from(b.len()).unwrap_or(i32::MAX));
                self.buf.extend_from_slice(b);
                self
            }
            None => self.i32(-1),
        }
    }
    pub fn array_len(&mut self, n: usize) -> &mut Self {
        self.i32(i32::try_from(n).unwrap_or(i32::MAX))
    }
    pub fn compact_array_len(&mut self, n: usize) -> &mut Self {
        self.uvarint(u32::try_from(n + 1).unwrap_or(u32::MAX))
    }
    pub fn no_tagged_fields(&mut self) -> &mut Self {
        self.uvarint(0)
    }
}

/// CRC-32C (Castagnoli), which a record batch carries over its attributes and records.
pub fn crc32c(data: &[u8]) -> u32 {
    ::crc32c::crc32c(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_matches_the_standard_check_value() {
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
        assert_eq!(crc32c(b""), 0);
    }

    #[test]
    fn varints_round_trip_as_kafka_writes_them() {
        let mut w = Writer::default();
        for v in [0, 1, -1, 63, -64, 300, i32::MAX, i32::MIN] {
            w.varint(v);
        }
        w.varlong(i64::MIN).varlong(1_700_000_000_000);
        // Kafka's zigzag: 1 -> 2, -1 -> 1.
        assert_eq!(&w.buf[..3], &[0, 2, 1]);
        let mut r = Reader::new(&w.buf);
        for v in [0, 1, -1, 63, -64, 300, i32::MAX, i32::MIN] {
            assert_eq!(r.varint().unwrap(), v);
        }
        assert_eq!(r.varlong().unwrap(), i64::MIN);
        assert_eq!(r.varlong().unwrap(), 1_700_000_000_000);
        assert_eq!(r.remaining(), 0);
    }

    #[test]
    fn declared_lengths_past_the_frame_are_errors_not_allocations() {
        // An array of 2^31-1 elements in a frame of 4 bytes.
        let mut r = Reader::new(&[0x7f, 0xff, 0xff, 0xff]);
        assert!(r.array_len(1).is_err());
        let mut r = Reader::new(&[0x7f, 0xff, 0xff, 0xff, 1, 2]);
        assert!(r.nullable_bytes().is_err());
        let mut r = Reader::new(&[0x7f, 0xff, b'a']);
        assert!(r.nullable_string().is_err());
        let mut r = Reader::new(&[0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
        assert!(r.uvarint().is_err());
        let mut r = Reader::new(&[0xff, 0xff]);
        assert_eq!(r.nullable_string().unwrap(), None);
        let mut r = Reader::new(&[0, 2, 0xff, 0xfe]);
        assert!(r.string().is_err(), "not UTF-8");
    }
}
