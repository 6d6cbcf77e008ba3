//! Property tests of the request parser: no input panics it, and a valid
//! pipeline split at any byte boundaries yields the same requests, and over a
//! socket the same replies.

use bytes::{Bytes, BytesMut};
use mock_redis::__private::parser::RequestParser;
use proptest::prelude::*;

/// Feeds `chunks` one after another, collecting requests until the parser
/// needs more bytes or reports a protocol error.
fn feed(chunks: &[&[u8]], auth_required: bool) -> (Vec<Vec<Bytes>>, Option<String>) {
    let mut parser = RequestParser::new();
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        loop {
            match parser.parse(&mut buf, auth_required) {
                Ok(Some(args)) => out.push(args),
                Ok(None) => break,
                Err(e) => return (out, Some(e.to_string())),
            }
        }
    }
    (out, None)
}

/// Bytes biased towards the protocol's own characters.
fn protocol_bytes() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        4 => prop::sample::select(b"*$:+-\r\n0123456789 \"'\\x".to_vec()),
        1 => any::<u8>(),
    ];
    prop::collection::vec(byte, 0..400)
}

fn arg() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..40)
}

/// A request written as multibulk, or inline when its words allow it.
fn request() -> impl Strategy<Value = (Vec<Vec<u8>>, bool)> {
    (prop::collection::vec(arg(), 1..6), any::<bool>())
}

fn encode(args: &[Vec<u8>], inline: bool) -> Vec<u8> {
    let inline_ok = args
        .iter()
        .all(|a| !a.is_empty() && a.iter().all(|b| b.is_ascii_alphanumeric()));
    if inline && inline_ok {
        let mut line = args.join(&b' ');
        line.extend_from_slice(b"\r\n");
        return line;
    }
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn split_at_points(bytes: &[u8], mut points: Vec<usize>) -> Vec<&[u8]> {
    points.iter_mut().for_each(|p| *p %= bytes.len() + 1);
    points.sort_unstable();
    points.dedup();
    let mut chunks = Vec::new();
    let mut start = 0;
    for p in points {
        chunks.push(&bytes[start..p]);
        start = p;
    }
    chunks.push(&bytes[start..]);
    chunks
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn no_input_panics_the_parser(
        input in protocol_bytes(),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
        auth in any::<bool>(),
    ) {
        let chunks = split_at_points(&input, cuts);
        let _ = feed(&chunks, auth);
    }

    #[test]
    fn arbitrary_bytes_never_panic(input in prop::collection::vec(any::<u8>(), 0..2000)) {
        let _ = feed(&[&input], false);
    }

    #[test]
    fn any_split_yields_the_same_requests(
        requests in prop::collection::vec(request(), 1..12),
        cuts in prop::collection::vec(any::<usize>(), 0..16),
    ) {
        let mut wire = Vec::new();
        for (args, inline) in &requests {
            wire.extend(encode(args, *inline));
        }
        let (whole, err) = feed(&[&wire], false);
        prop_assert!(err.is_none());
        prop_assert_eq!(whole.len(), requests.len());
        for (got, (want, _)) in whole.iter().zip(&requests) {
            prop_assert_eq!(got, want);
        }
        let (split, err) = feed(&split_at_points(&wire, cuts), false);
        prop_assert!(err.is_none());
        prop_assert_eq!(split, whole);
    }

    #[test]
    fn one_byte_at_a_time_yields_the_same_requests(
        requests in prop::collection::vec(request(), 1..6),
    ) {
        let mut wire = Vec::new();
        for (args, inline) in &requests {
            wire.extend(encode(args, *inline));
        }
        let bytes: Vec<&[u8]> = wire.chunks(1).collect();
        let (got, err) = feed(&bytes, false);
        prop_assert!(err.is_none());
        prop_assert_eq!(got, feed(&[&wire], false).0);
    }
}

mod over_a_socket {
    use super::*;
    use std::io::{Read, Write};
    use std::time::Duration;

    /// Sends `chunks` with a pause between them so each tends to arrive in
    /// its own read (pacing: chunks that merge on a loaded machine make a
    /// coarser split, never a failure), then reads until `expected_len`
    /// bytes arrived.
    fn exchange(addr: std::net::SocketAddr, chunks: &[&[u8]], expected_len: usize) -> Vec<u8> {
        let mut conn = std::net::TcpStream::connect(addr).unwrap();
        conn.set_nodelay(true).unwrap();
        conn.set_read_timeout(Some(crate::support::PATIENCE))
            .unwrap();
        for chunk in chunks {
            conn.write_all(chunk).unwrap();
            std::thread::sleep(Duration::from_micros(200));
        }
        let mut out = vec![0u8; expected_len];
        conn.read_exact(&mut out).unwrap();
        out
    }

    fn echo_pipeline(words: &[Vec<u8>]) -> Vec<u8> {
        let mut wire = Vec::new();
        for w in words {
            wire.extend(encode(&[b"ECHO".to_vec(), w.clone()], false));
            wire.extend_from_slice(b"PING\r\n");
        }
        wire
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn any_split_yields_the_same_replies(
            words in prop::collection::vec(arg(), 1..8),
            cuts in prop::collection::vec(any::<usize>(), 0..10),
        ) {
            let server = mock_redis::MockRedis::start_blocking();
            let wire = echo_pipeline(&words);
            let mut expected = Vec::new();
            for w in &words {
                expected.extend(format!("${}\r\n", w.len()).into_bytes());
                expected.extend_from_slice(w);
                expected.extend_from_slice(b"\r\n+PONG\r\n");
            }
            let whole = exchange(server.addr(), &[&wire], expected.len());
            prop_assert_eq!(&whole, &expected);
            let split = exchange(server.addr(), &split_at_points(&wire, cuts), expected.len());
            prop_assert_eq!(split, expected);
        }
    }
}
