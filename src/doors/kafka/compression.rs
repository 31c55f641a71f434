//! The records of a compressed batch, inflated: gzip, snappy (raw, as librdkafka writes it, or
//! in the xerial framing the Java client's SnappyOutputStream writes), LZ4 frames and zstd,
//! the four codecs a v2 batch may name. A batch never inflates past
//! [`INFLATED_BYTES_MAX`]: a small frame that would expand to gigabytes is refused, not
//! allocated.
//!
//! Fetch responses are sent uncompressed (every client reads those whatever it produces
//! with), so only decoding lives here.

use std::io::Read;

/// Most bytes one batch's records may inflate to (the broker's `message.max.bytes` is about
/// 1 MiB by default; a client may raise it, the door allows up to this).
pub const INFLATED_BYTES_MAX: usize = 64 * 1_048_576;

/// The codec of a batch's attributes (bits 0-2), by the name `compression.type` takes.
pub fn codec_name(codec: i16) -> Option<&'static str> {
    match codec {
        1 => Some("gzip"),
        2 => Some("snappy"),
        3 => Some("lz4"),
        4 => Some("zstd"),
        _ => None,
    }
}

/// The records bytes of a batch compressed with `codec` (1-4).
pub fn inflate(codec: i16, data: &[u8]) -> Result<Vec<u8>, String> {
    let name = codec_name(codec).ok_or_else(|| format!("compression type {codec}"))?;
    let out = match codec {
        1 => bounded(flate2::read::MultiGzDecoder::new(data)),
        2 => snappy(data),
        3 => bounded(lz4_flex::frame::FrameDecoder::new(data)),
        _ => ruzstd::decoding::StreamingDecoder::new(data)
            .map_err(|e| e.to_string())
            .and_then(bounded),
    };
    out.map_err(|e| format!("the {name} records do not decompress: {e}"))
}

fn bounded(reader: impl Read) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let limit = u64::try_from(INFLATED_BYTES_MAX).unwrap_or(u64::MAX);
    reader
        .take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|e| e.to_string())?;
    if out.len() > INFLATED_BYTES_MAX {
        return Err(format!("they inflate past {INFLATED_BYTES_MAX} bytes"));
    }
    Ok(out)
}

/// The xerial snappy-java framing: a magic header, two version words, then blocks each
/// prefixed by its big-endian length.
const XERIAL_MAGIC: [u8; 8] = [0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0];

fn snappy(data: &[u8]) -> Result<Vec<u8>, String> {
    let Some(mut rest) = data.strip_prefix(&XERIAL_MAGIC) else {
        return snappy_block(data, 0);
    };
    rest = rest.get(8..).ok_or("a truncated xerial header")?;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let (len, tail) = rest.split_at_checked(4).ok_or("a truncated xerial block")?;
        let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
        let block = tail.get(..len).ok_or("a xerial block past the end")?;
        out.extend(snappy_block(block, out.len())?);
        rest = &tail[len..];
    }
    Ok(out)
}

fn snappy_block(block: &[u8], already: usize) -> Result<Vec<u8>, String> {
    let len = snap::raw::decompress_len(block).map_err(|e| e.to_string())?;
    if already.saturating_add(len) > INFLATED_BYTES_MAX {
        return Err(format!("they inflate past {INFLATED_BYTES_MAX} bytes"));
    }
    snap::raw::Decoder::new()
        .decompress_vec(block)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn sample() -> Vec<u8> {
        (0..10_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect()
    }

    #[test]
    fn every_codec_inflates_what_its_encoder_wrote() {
        let plain = sample();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&plain).unwrap();
        assert_eq!(inflate(1, &gz.finish().unwrap()).unwrap(), plain);

        let raw = snap::raw::Encoder::new().compress_vec(&plain).unwrap();
        assert_eq!(inflate(2, &raw).unwrap(), plain);
        // The Java client's framing: header, versions, then length-prefixed blocks.
        let mut xerial = XERIAL_MAGIC.to_vec();
        xerial.extend([0, 0, 0, 1, 0, 0, 0, 1]);
        for chunk in plain.chunks(16_000) {
            let block = snap::raw::Encoder::new().compress_vec(chunk).unwrap();
            xerial.extend(u32::try_from(block.len()).unwrap().to_be_bytes());
            xerial.extend(block);
        }
        assert_eq!(inflate(2, &xerial).unwrap(), plain);

        let mut lz4 = lz4_flex::frame::FrameEncoder::new(Vec::new());
        lz4.write_all(&plain).unwrap();
        assert_eq!(inflate(3, &lz4.finish().unwrap()).unwrap(), plain);

        let zstd = ruzstd::encoding::compress_to_vec(
            plain.as_slice(),
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        assert_eq!(inflate(4, &zstd).unwrap(), plain);
    }

    #[test]
    fn garbage_and_bombs_are_refused() {
        for codec in 1..=4 {
            assert!(inflate(codec, b"not compressed at all").is_err(), "{codec}");
        }
        // 100 MB of zeros gzip to about 100 KB: past the limit, refused.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..100 {
            gz.write_all(&zeros).unwrap();
        }
        let bomb = gz.finish().unwrap();
        let e = inflate(1, &bomb).unwrap_err();
        assert!(e.contains("inflate past"), "{e}");
        assert!(inflate(5, &[]).is_err());
    }
}
