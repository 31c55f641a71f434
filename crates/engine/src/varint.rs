//! LEB128 varints: how packed record runs (Kafka's sealed runs, Kinesis's generated runs) store
//! their small per-record numbers in one to three bytes each.

/// Appends `v`, seven bits a byte, low bits first.
pub(crate) fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads the varint at `*at` and moves past it (a truncated one reads as what it holds).
pub(crate) fn take(data: &[u8], at: &mut usize) -> u64 {
    let mut v = 0u64;
    let mut shift = 0;
    while let Some(&b) = data.get(*at) {
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 || shift >= 63 {
            break;
        }
        shift += 7;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_in_as_few_bytes_as_they_need() {
        let values = [
            0,
            1,
            127,
            128,
            16_383,
            16_384,
            u64::from(u32::MAX),
            u64::MAX,
        ];
        let mut out = Vec::new();
        for v in values {
            put(&mut out, v);
        }
        assert_eq!(out.len(), 1 + 1 + 1 + 2 + 2 + 3 + 5 + 10);
        let mut at = 0;
        let back: Vec<u64> = values.iter().map(|_| take(&out, &mut at)).collect();
        assert_eq!(back, values);
        assert_eq!(at, out.len());
    }
}
