//! Record batches (message format v2), as a producer sends them and a consumer reads them:
//! decoded with every length checked against the bytes present and the CRC verified, encoded
//! with the CRC a client checks.

use streamdrill_engine::api::kafka::FetchedRecord;
use streamdrill_engine::kafka::log::{ClientRecord, Header};

use super::wire::{Reader, WireError, Writer, crc32c};

/// Records one produced batch may hold.
pub const RECORDS_PER_BATCH_MAX: usize = 100_000;

/// What went wrong with a batch, as Kafka's error codes name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchError {
    /// CORRUPT_MESSAGE (2): a bad CRC, a length that does not add up.
    Corrupt(String),
    /// UNSUPPORTED_COMPRESSION_TYPE (76): attributes naming a codec past zstd.
    Compression(i16),
    /// UNSUPPORTED_FOR_MESSAGE_FORMAT (43): message format v0/v1.
    OldFormat(i8),
}

impl From<WireError> for BatchError {
    fn from(e: WireError) -> Self {
        BatchError::Corrupt(e.0)
    }
}

/// One batch a producer sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducedBatch {
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub transactional: bool,
    pub records: Vec<ClientRecord>,
}

/// The batches in a Produce request's `records` bytes.
pub fn decode_batches(bytes: &[u8]) -> Result<Vec<ProducedBatch>, BatchError> {
    let mut r = Reader::new(bytes);
    let mut batches = Vec::new();
    while r.remaining() > 0 {
        let _base_offset = r.i64()?;
        let length = r.i32()?;
        let length = usize::try_from(length)
            .ok()
            .filter(|&n| n <= r.remaining() && n >= 49)
            .ok_or_else(|| BatchError::Corrupt(format!("a batch length of {length}")))?;
        let body = r.take(length, "a record batch")?;
        batches.push(decode_batch(body)?);
    }
    Ok(batches)
}

/// A batch after its length: leader epoch, magic, CRC, then what the CRC covers.
fn decode_batch(body: &[u8]) -> Result<ProducedBatch, BatchError> {
    let mut r = Reader::new(body);
    let _leader_epoch = r.i32()?;
    let magic = r.i8()?;
    if magic != 2 {
        return Err(BatchError::OldFormat(magic));
    }
    let crc = r.u32()?;
    let covered = &body[9..];
    if crc32c(covered) != crc {
        return Err(BatchError::Corrupt("the batch's CRC does not match".into()));
    }
    let attributes = r.i16()?;
    let codec = attributes & 0x7;
    if codec != 0 && super::compression::codec_name(codec).is_none() {
        return Err(BatchError::Compression(codec));
    }
    let transactional = attributes & 0x10 != 0;
    if attributes & 0x20 != 0 {
        return Err(BatchError::Corrupt("a client sent a control batch".into()));
    }
    let _last_offset_delta = r.i32()?;
    let base_timestamp = r.i64()?;
    let _max_timestamp = r.i64()?;
    let producer_id = r.i64()?;
    let producer_epoch = r.i16()?;
    let base_sequence = r.i32()?;
    let count = r.i32()?;
    // A compressed batch's records follow the count, compressed together.
    let inflated;
    let mut r = if codec == 0 {
        r
    } else {
        let compressed = r.take(r.remaining(), "compressed records")?;
        inflated = super::compression::inflate(codec, compressed).map_err(BatchError::Corrupt)?;
        Reader::new(&inflated)
    };
    let count = usize::try_from(count)
        .ok()
        // Every record takes at least 7 bytes.
        .filter(|&n| n <= RECORDS_PER_BATCH_MAX && n.saturating_mul(7) <= r.remaining())
        .ok_or_else(|| BatchError::Corrupt(format!("a batch of {count} records")))?;
    let mut records = Vec::with_capacity(count);
    for _ in 0..count {
        records.push(decode_record(&mut r, base_timestamp)?);
    }
    if r.remaining() != 0 {
        return Err(BatchError::Corrupt(
            "bytes after the batch's last record".into(),
        ));
    }
    Ok(ProducedBatch {
        producer_id,
        producer_epoch,
        base_sequence,
        transactional,
        records,
    })
}

fn varbytes<'a>(r: &mut Reader<'a>, what: &str) -> Result<Option<&'a [u8]>, BatchError> {
    let len = r.varint()?;
    if len < 0 {
        return Ok(None);
    }
    Ok(Some(r.take(len as usize, what)?))
}

fn decode_record(r: &mut Reader<'_>, base_timestamp: i64) -> Result<ClientRecord, BatchError> {
    let length = r.varint()?;
    let length = usize::try_from(length)
        .ok()
        .filter(|&n| n <= r.remaining())
        .ok_or_else(|| BatchError::Corrupt(format!("a record length of {length}")))?;
    let mut r = Reader::new(r.take(length, "a record")?);
    let _attributes = r.i8()?;
    let timestamp_delta = r.varlong()?;
    let _offset_delta = r.varint()?;
    let key = varbytes(&mut r, "a record key")?;
    let value = varbytes(&mut r, "a record value")?;
    let headers = r.varint()?;
    let headers = usize::try_from(headers)
        .ok()
        .filter(|&n| n.saturating_mul(2) <= r.remaining())
        .ok_or_else(|| BatchError::Corrupt(format!("a record with {headers} headers")))?;
    let mut list: Vec<Header> = Vec::with_capacity(headers);
    for _ in 0..headers {
        let name = varbytes(&mut r, "a header key")?.unwrap_or_default();
        let value = varbytes(&mut r, "a header value")?;
        list.push((name.into(), value.map(Into::into)));
    }
    Ok(ClientRecord {
        key: key.map(Into::into),
        value: value.map(Into::into),
        headers: list.into_boxed_slice(),
        timestamp_ms: base_timestamp.saturating_add(timestamp_delta),
    })
}

/// A batch of fetched records (CreateTime, no producer: the engine has already left out what
/// a read_committed consumer must not see), appended to `out` as a Fetch response carries it.
pub fn encode_batch(records: &[FetchedRecord], out: &mut Vec<u8>) {
    let Some(first) = records.first() else {
        return;
    };
    let base_offset = first.offset;
    let base_timestamp = first.timestamp_ms;
    let mut body = Writer::default();
    for r in records {
        let mut rec = Writer::default();
        rec.i8(0);
        rec.varlong(r.timestamp_ms.saturating_sub(base_timestamp));
        rec.varint(i32::try_from(r.offset - base_offset).unwrap_or(i32::MAX));
        put_varbytes(&mut rec, r.key.as_deref());
        put_varbytes(&mut rec, r.value.as_deref());
        rec.varint(i32::try_from(r.headers.len()).unwrap_or(i32::MAX));
        for (k, v) in &r.headers {
            put_varbytes(&mut rec, Some(k));
            put_varbytes(&mut rec, v.as_deref());
        }
        body.varint(i32::try_from(rec.buf.len()).unwrap_or(i32::MAX));
        body.buf.extend_from_slice(&rec.buf);
    }
    let last = records.last().map_or(base_offset, |r| r.offset);
    let max_timestamp = records
        .iter()
        .map(|r| r.timestamp_ms)
        .max()
        .unwrap_or(base_timestamp);
    // What the CRC covers: attributes to the end.
    let mut covered = Writer::default();
    covered
        .i16(0)
        .i32(i32::try_from(last - base_offset).unwrap_or(i32::MAX))
        .i64(base_timestamp)
        .i64(max_timestamp)
        .i64(-1)
        .i16(-1)
        .i32(-1)
        .i32(i32::try_from(records.len()).unwrap_or(i32::MAX));
    covered.buf.extend_from_slice(&body.buf);
    let mut batch = Writer::default();
    batch
        .i64(i64::try_from(base_offset).unwrap_or(i64::MAX))
        .i32(i32::try_from(4 + 1 + 4 + covered.buf.len()).unwrap_or(i32::MAX))
        .i32(-1)
        .i8(2)
        .u32(crc32c(&covered.buf));
    out.extend_from_slice(&batch.buf);
    out.extend_from_slice(&covered.buf);
}

fn put_varbytes(w: &mut Writer, bytes: Option<&[u8]>) {
    match bytes {
        Some(b) => {
            w.varint(i32::try_from(b.len()).unwrap_or(i32::MAX));
            w.buf.extend_from_slice(b);
        }
        None => {
            w.varint(-1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fetched(offset: u64, key: Option<&[u8]>, value: &[u8]) -> FetchedRecord {
        FetchedRecord {
            offset,
            timestamp_ms: 1_700_000_000_000 + offset as i64,
            key: key.map(<[u8]>::to_vec),
            value: Some(value.to_vec()),
            headers: vec![(b"h".to_vec(), None)],
            producer_id: u64::MAX,
        }
    }

    #[test]
    fn an_encoded_batch_decodes_to_the_same_records() {
        let records = [
            fetched(5, Some(b"k1"), b"v1"),
            fetched(7, None, b""),
            fetched(8, Some(&[0, 255]), b"three"),
        ];
        let mut bytes = Vec::new();
        encode_batch(&records, &mut bytes);
        let batches = decode_batches(&bytes).expect("decodes");
        assert_eq!(batches.len(), 1);
        let got = &batches[0].records;
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].key.as_deref(), Some(&b"k1"[..]));
        assert_eq!(got[1].key, None);
        assert_eq!(got[2].value.as_deref(), Some(&b"three"[..]));
        assert_eq!(got[2].timestamp_ms, 1_700_000_000_008);
        assert_eq!(got[0].headers[0].0.as_ref(), b"h");
    }

    #[test]
    fn damaged_batches_are_refused_with_a_reason() {
        let mut bytes = Vec::new();
        encode_batch(&[fetched(0, Some(b"k"), b"v")], &mut bytes);
        let mut flipped = bytes.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(matches!(
            decode_batches(&flipped),
            Err(BatchError::Corrupt(_))
        ));
        assert!(matches!(
            decode_batches(&bytes[..bytes.len() - 3]),
            Err(BatchError::Corrupt(_))
        ));
        let mut old = bytes.clone();
        old[16] = 1;
        assert_eq!(decode_batches(&old), Err(BatchError::OldFormat(1)));
        // Every prefix of a good batch is an error, never a panic.
        for n in 0..bytes.len() {
            assert!(decode_batches(&bytes[..n]).is_err() || n == 0);
        }
    }
}
