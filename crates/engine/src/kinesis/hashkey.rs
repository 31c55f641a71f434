//! Hash keys: MD5 of a partition key read as an unsigned 128-bit big-endian integer, and the even
//! split of [0, 2^128-1] that CreateStream and UpdateShardCount use.

use md5::{Digest, Md5};

/// The highest hash key, 2^128 - 1.
pub const MAX_HASH_KEY: u128 = u128::MAX;

/// MD5 of the UTF-8 bytes of `partition_key`, as AWS maps keys to hash keys.
#[inline]
pub fn hash_key(partition_key: &str) -> u128 {
    let digest: [u8; 16] = Md5::digest(partition_key.as_bytes()).into();
    u128::from_be_bytes(digest)
}

/// floor(2^128 / n) for n >= 2 (2^128 itself does not fit in u128).
fn step(n: u32) -> u128 {
    let n = u128::from(n);
    let (q, r) = (MAX_HASH_KEY / n, MAX_HASH_KEY % n);
    if r == n - 1 { q + 1 } else { q }
}

/// The start of the even split's shard `i` of `n`: i * floor(2^128 / n).
pub fn even_start(i: u32, n: u32) -> u128 {
    if i == 0 || n <= 1 {
        0
    } else {
        u128::from(i) * step(n)
    }
}

/// The ranges `[start, end]` of an even split into `n` shards (n >= 1): shard i starts at
/// i * floor(2^128 / n); each ends one before the next starts; the last ends at 2^128 - 1.
pub fn even_ranges(n: u32) -> Vec<(u128, u128)> {
    (0..n)
        .map(|i| {
            let start = even_start(i, n);
            let end = if i + 1 == n {
                MAX_HASH_KEY
            } else {
                even_start(i + 1, n) - 1
            };
            (start, end)
        })
        .collect()
}

/// Parses a decimal hash key in [0, 2^128-1].
pub fn parse_hash_key(text: &str) -> Result<u128, String> {
    let t = text.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{text}' is not a decimal hash key"));
    }
    t.parse::<u128>()
        .map_err(|_| format!("hash key {text} is outside [0, 2^128-1]"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_matches_known_digest() {
        // md5("") = d41d8cd98f00b204e9800998ecf8427e
        assert_eq!(hash_key(""), 0xd41d_8cd9_8f00_b204_e980_0998_ecf8_427e);
    }

    #[test]
    fn even_split_like_aws() {
        let two = even_ranges(2);
        assert_eq!(
            two[1].0,
            170_141_183_460_469_231_731_687_303_715_884_105_728
        );
        assert_eq!(two[0].1 + 1, two[1].0);
        let three = even_ranges(3);
        // floor(2^128 / 3) = 113427455640312821154458202477256070485
        assert_eq!(
            three[1].0,
            113_427_455_640_312_821_154_458_202_477_256_070_485
        );
        assert_eq!(
            three[2].0,
            2 * 113_427_455_640_312_821_154_458_202_477_256_070_485
        );
        assert_eq!(three[2].1, MAX_HASH_KEY);
        assert_eq!(even_ranges(1), vec![(0, MAX_HASH_KEY)]);
        for n in [4u32, 7, 1000] {
            let r = even_ranges(n);
            assert_eq!(r[0].0, 0);
            assert_eq!(r.last().unwrap().1, MAX_HASH_KEY);
            assert!(r.windows(2).all(|w| w[0].1 + 1 == w[1].0));
        }
    }
}
