//! The AWS event stream encoding (`application/vnd.amazon.eventstream`), in which
//! `SubscribeToShard` answers: a sequence of messages, each
//!
//! ```text
//! total length u32 | headers length u32 | prelude CRC32 | headers | payload | message CRC32
//! ```
//!
//! big-endian, the CRCs over everything before them; a header is a one-byte name length, the
//! name, a type byte (7: string), a two-byte value length and the value. Pure: bytes in, bytes
//! out.

use thiserror::Error;

/// The largest message the encoding allows (16 MiB) and the largest headers block (128 KiB).
pub const MESSAGE_BYTES_MAX: usize = 16 * 1_048_576;
pub const HEADERS_BYTES_MAX: usize = 128 * 1_024;
const STRING_TYPE: u8 = 7;
/// Prelude (two lengths and a CRC) and the trailing CRC.
const FRAMING_BYTES: usize = 16;

/// One message: its headers (string-valued) and payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub headers: Vec<(String, String)>,
    pub payload: Vec<u8>,
}

impl Message {
    /// An `event` message of `event_type` with a JSON payload.
    pub fn json_event(event_type: &str, payload: Vec<u8>) -> Message {
        Message {
            headers: vec![
                (":message-type".into(), "event".into()),
                (":event-type".into(), event_type.into()),
                (":content-type".into(), "application/x-amz-json-1.1".into()),
            ],
            payload,
        }
    }

    /// An `exception` message: how an error after the initial response reaches the client.
    pub fn exception(exception_type: &str, payload: Vec<u8>) -> Message {
        Message {
            headers: vec![
                (":message-type".into(), "exception".into()),
                (":exception-type".into(), exception_type.into()),
                (":content-type".into(), "application/x-amz-json-1.1".into()),
            ],
            payload,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The message's bytes on the wire.
    pub fn encode(&self) -> Result<Vec<u8>, EventStreamError> {
        let mut headers = Vec::new();
        for (name, value) in &self.headers {
            let name_len = u8::try_from(name.len()).map_err(|_| EventStreamError::HeaderTooLong)?;
            let value_len =
                u16::try_from(value.len()).map_err(|_| EventStreamError::HeaderTooLong)?;
            headers.push(name_len);
            headers.extend_from_slice(name.as_bytes());
            headers.push(STRING_TYPE);
            headers.extend_from_slice(&value_len.to_be_bytes());
            headers.extend_from_slice(value.as_bytes());
        }
        if headers.len() > HEADERS_BYTES_MAX {
            return Err(EventStreamError::HeaderTooLong);
        }
        let total = FRAMING_BYTES + headers.len() + self.payload.len();
        if total > MESSAGE_BYTES_MAX {
            return Err(EventStreamError::TooLarge(total));
        }
        let mut out = Vec::with_capacity(total);
        out.extend_from_slice(&(total as u32).to_be_bytes());
        out.extend_from_slice(&(headers.len() as u32).to_be_bytes());
        let prelude_crc = crc32fast::hash(&out);
        out.extend_from_slice(&prelude_crc.to_be_bytes());
        out.extend_from_slice(&headers);
        out.extend_from_slice(&self.payload);
        let message_crc = crc32fast::hash(&out);
        out.extend_from_slice(&message_crc.to_be_bytes());
        Ok(out)
    }
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum EventStreamError {
    #[error("event stream message of {0} bytes is over the 16 MiB the encoding allows")]
    TooLarge(usize),
    #[error("event stream header name or value too long")]
    HeaderTooLong,
    #[error("truncated event stream message")]
    Truncated,
    #[error("event stream message fails its CRC")]
    BadCrc,
    #[error("malformed event stream message: {0}")]
    Malformed(&'static str),
}

/// Reads the messages of a whole event stream body (tests and tools read what a door sent).
pub fn decode_all(mut bytes: &[u8]) -> Result<Vec<Message>, EventStreamError> {
    let mut messages = Vec::new();
    while !bytes.is_empty() {
        let (message, used) = decode(bytes)?;
        messages.push(message);
        bytes = &bytes[used..];
    }
    Ok(messages)
}

/// Reads one message from the start of `bytes`: the message and how many bytes it took.
pub fn decode(bytes: &[u8]) -> Result<(Message, usize), EventStreamError> {
    let word = |at: usize| -> Result<u32, EventStreamError> {
        bytes
            .get(at..at + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or(EventStreamError::Truncated)
    };
    let total = word(0)? as usize;
    let headers_len = word(4)? as usize;
    if crc32fast::hash(&bytes[..8]) != word(8)? {
        return Err(EventStreamError::BadCrc);
    }
    if total > MESSAGE_BYTES_MAX || total < FRAMING_BYTES + headers_len {
        return Err(EventStreamError::Malformed("lengths"));
    }
    if bytes.len() < total {
        return Err(EventStreamError::Truncated);
    }
    if crc32fast::hash(&bytes[..total - 4]) != word(total - 4)? {
        return Err(EventStreamError::BadCrc);
    }
    let mut headers = Vec::new();
    let mut h = &bytes[12..12 + headers_len];
    while !h.is_empty() {
        let name_len = h[0] as usize;
        let name = h
            .get(1..1 + name_len)
            .ok_or(EventStreamError::Malformed("header name"))?;
        let rest = &h[1 + name_len..];
        if rest.first() != Some(&STRING_TYPE) || rest.len() < 3 {
            return Err(EventStreamError::Malformed("only string headers are read"));
        }
        let value_len = u16::from_be_bytes([rest[1], rest[2]]) as usize;
        let value = rest
            .get(3..3 + value_len)
            .ok_or(EventStreamError::Malformed("header value"))?;
        headers.push((
            String::from_utf8_lossy(name).into_owned(),
            String::from_utf8_lossy(value).into_owned(),
        ));
        h = &rest[3 + value_len..];
    }
    let payload = bytes[12 + headers_len..total - 4].to_vec();
    Ok((Message { headers, payload }, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_reads_back_as_written() {
        let m = Message::json_event("SubscribeToShardEvent", br#"{"Records":[]}"#.to_vec());
        let bytes = m.encode().unwrap();
        assert_eq!(
            bytes.len(),
            u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize
        );
        let two = [
            bytes.clone(),
            Message::json_event("initial-response", b"{}".to_vec())
                .encode()
                .unwrap(),
        ]
        .concat();
        let read = decode_all(&two).unwrap();
        assert_eq!(read[0], m);
        assert_eq!(read[1].header(":event-type"), Some("initial-response"));
    }

    #[test]
    fn the_layout_is_prelude_headers_payload_crc() {
        let m = Message {
            headers: vec![("event-type".into(), "aa".into())],
            payload: b"{'foo':'bar'}".to_vec(),
        };
        let bytes = m.encode().unwrap();
        let headers_len = 1 + 10 + 1 + 2 + 2;
        assert_eq!(&bytes[4..8], &(headers_len as u32).to_be_bytes());
        assert_eq!(&bytes[8..12], &crc32fast::hash(&bytes[..8]).to_be_bytes());
        let n = bytes.len();
        assert_eq!(
            &bytes[n - 4..],
            &crc32fast::hash(&bytes[..n - 4]).to_be_bytes()
        );
        assert_eq!(&bytes[12 + headers_len..n - 4], b"{'foo':'bar'}");
    }

    #[test]
    fn damage_is_found_not_misread() {
        let mut bytes = Message::json_event("x", b"{}".to_vec()).encode().unwrap();
        assert_eq!(
            decode(&bytes[..bytes.len() - 1]).unwrap_err(),
            EventStreamError::Truncated
        );
        let last = bytes.len() - 6;
        bytes[last] ^= 1;
        assert_eq!(decode(&bytes).unwrap_err(), EventStreamError::BadCrc);
        assert_eq!(decode(&[0; 3]).unwrap_err(), EventStreamError::Truncated);
    }

    #[test]
    fn oversized_messages_are_refused() {
        let m = Message::json_event("x", vec![b' '; MESSAGE_BYTES_MAX]);
        assert!(matches!(m.encode(), Err(EventStreamError::TooLarge(_))));
    }
}
