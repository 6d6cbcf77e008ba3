//! Redis's request parser on arbitrary bytes: it must never panic or loop,
//! and feeding the same bytes in arbitrary pieces (as TCP may deliver them)
//! must yield the same requests and the same protocol error as feeding them
//! at once.
//!
//! Input: byte 0 picks `auth_required` (bit 0) and the piece size
//! (bits 1..8, plus 1); the rest is the client's byte stream.
#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use mock_redis::__private::parser::{INLINE_MAX_SIZE, ProtocolError, RequestParser};

/// What the parser made of a stream: the requests, then how it ended.
#[derive(Debug, PartialEq)]
struct Parsed {
    requests: Vec<Vec<Bytes>>,
    error: Option<ProtocolError>,
    /// Bytes left unconsumed at the end (a partial request).
    pending: bool,
}

fn parse_pieces(stream: &[u8], piece: usize, auth_required: bool) -> Parsed {
    let mut parser = RequestParser::new();
    let mut buf = BytesMut::new();
    let mut requests = Vec::new();
    for chunk in stream.chunks(piece) {
        buf.extend_from_slice(chunk);
        loop {
            match parser.parse(&mut buf, auth_required) {
                Ok(Some(args)) => requests.push(args),
                Ok(None) => break,
                Err(error) => {
                    return Parsed {
                        requests,
                        error: Some(error),
                        pending: false,
                    };
                }
            }
        }
    }
    Parsed {
        requests,
        error: None,
        pending: !buf.is_empty(),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&setup, stream)) = data.split_first() else {
        return;
    };
    let auth_required = setup & 1 == 1;
    let piece = (setup >> 1) as usize + 1;
    let whole = parse_pieces(stream, stream.len().max(1), auth_required);
    let split = parse_pieces(stream, piece, auth_required);
    let bytewise = parse_pieces(stream, 1, auth_required);
    // Redis's limits on unterminated lines depend on how much has arrived,
    // so the equivalence holds for streams below them.
    if stream.len() <= INLINE_MAX_SIZE {
        assert_eq!(whole, split, "pieces of {piece} bytes");
        assert_eq!(whole, bytewise, "pieces of 1 byte");
    }
});
