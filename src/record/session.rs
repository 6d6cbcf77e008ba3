//! A recording in memory: each connection's request/reply pairs, decoded
//! with `redis-protocol`, and how they become a fixture file.

use std::io;
use std::path::Path;

use bytes::Bytes;
use indexmap::IndexMap;
use redis_protocol::{resp2, resp3};

use crate::fixture::write::{self, Answer, Group, RecordedMock};
use crate::{Protocol, Reply};

/// One request and the reply frames it got.
#[derive(Debug)]
pub(crate) struct Exchange {
    pub db: usize,
    pub args: Vec<Bytes>,
    /// The decoded frames (one, but for `SUBSCRIBE a b` and the like).
    pub replies: Vec<Reply>,
    /// The frames' bytes as the upstream sent them.
    pub raw: Bytes,
    pub protocol: Protocol,
}

#[derive(Debug)]
struct Connection {
    id: u64,
    exchanges: Vec<Exchange>,
}

/// Every connection's exchanges, in the order connections opened.
#[derive(Debug)]
pub(crate) struct Session {
    upstream: String,
    connections: Vec<Connection>,
}

/// Commands replay leaves to the engine: they change the connection's
/// state (protocol, db, name, authentication), which a mock cannot.
pub(crate) fn left_to_engine(args: &[Bytes]) -> bool {
    let is = |i: usize, name: &str| {
        args.get(i)
            .is_some_and(|a| a.eq_ignore_ascii_case(name.as_bytes()))
    };
    ["HELLO", "AUTH", "SELECT", "QUIT", "RESET"]
        .iter()
        .any(|c| is(0, c))
        || (is(0, "CLIENT") && (is(1, "SETNAME") || is(1, "SETINFO")))
}

impl Session {
    pub fn new(upstream: String) -> Session {
        Session {
            upstream,
            connections: Vec::new(),
        }
    }

    pub fn open(&mut self, id: u64) {
        self.connections.push(Connection {
            id,
            exchanges: Vec::new(),
        });
    }

    pub fn add(&mut self, id: u64, exchange: Exchange) {
        if let Some(c) = self.connections.iter_mut().rev().find(|c| c.id == id) {
            c.exchanges.push(exchange);
        }
    }

    /// The fixture file's text: per connection, one mock per distinct
    /// request (and db) with its replies in order, a `sequence` where they
    /// changed; a request that a later connection sent too serves only
    /// the calls recorded here (`times`), so replay keeps the order.
    pub fn render(&self) -> String {
        let mut skipped = 0usize;
        let mut recorded = 0usize;
        let mut groups = Vec::new();
        // (db, args) -> (group, mock) of its latest mock.
        let mut latest: IndexMap<(usize, Vec<String>), (usize, usize)> = IndexMap::new();
        for conn in &self.connections {
            let mut mocks: IndexMap<(usize, Vec<String>), RecordedMock> = IndexMap::new();
            for ex in &conn.exchanges {
                if left_to_engine(&ex.args) {
                    continue;
                }
                let (Some(args), Some(answer)) = (text_args(&ex.args), answer(ex)) else {
                    skipped += 1;
                    continue;
                };
                recorded += 1;
                mocks
                    .entry((ex.db, args.clone()))
                    .or_insert_with(|| RecordedMock {
                        args,
                        db: ex.db,
                        answers: Vec::new(),
                        times: None,
                    })
                    .answers
                    .push(answer);
            }
            if mocks.is_empty() {
                continue;
            }
            let g = groups.len();
            let mut list = Vec::new();
            for (i, (key, mock)) in mocks.into_iter().enumerate() {
                if let Some((pg, pm)) = latest.insert(key, (g, i)) {
                    let earlier: &mut RecordedMock = &mut groups_mut(&mut groups, pg)[pm];
                    earlier.times = Some(earlier.answers.len() as u64);
                }
                list.push(mock);
            }
            groups.push(Group {
                comment: format!("connection {}", conn.id),
                mocks: list,
            });
        }
        let mut header = vec![
            format!(
                "Recorded by mock-redis {} from {}: {recorded} replies on {} connections.",
                env!("CARGO_PKG_VERSION"),
                self.upstream,
                groups.len()
            ),
            "Replay: mock-redis --replay FILE, or MockRedis::builder().replay(FILE).".to_string(),
        ];
        if skipped > 0 {
            header.push(format!(
                "{skipped} replies were left out: their request or reply is not UTF-8 text."
            ));
        }
        write::render(&header, &groups)
    }
}

fn groups_mut(groups: &mut [Group], i: usize) -> &mut Vec<RecordedMock> {
    &mut groups[i].mocks
}

fn text_args(args: &[Bytes]) -> Option<Vec<String>> {
    args.iter()
        .map(|a| std::str::from_utf8(a).ok().map(str::to_owned))
        .collect()
}

/// The reply in the notation when it writes back the very bytes received,
/// else the bytes themselves when they are text.
fn answer(ex: &Exchange) -> Option<Answer> {
    if let [reply] = ex.replies.as_slice() {
        if reply.to_bytes(ex.protocol) == ex.raw {
            if let Some(v) = write::reply_value(reply) {
                return Some(Answer::Reply(v));
            }
        }
    }
    std::str::from_utf8(&ex.raw)
        .ok()
        .map(|s| Answer::Raw(s.to_owned()))
}

/// Writes `text` to a temporary file beside `path`, then renames it over
/// `path`: a reader never sees half a file.
pub(crate) fn write_atomic(path: &Path, text: &str) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    io::Write::write_all(&mut tmp, text.as_bytes())?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Decodes the first reply in `buf` in `protocol` with `redis-protocol`:
/// the reply and the bytes it took, `None` when more bytes are needed.
pub(crate) fn decode(buf: &[u8], protocol: Protocol) -> Result<Option<(Reply, usize)>, String> {
    match protocol {
        Protocol::Resp2 => match resp2::decode::decode(buf).map_err(|e| e.to_string())? {
            None => Ok(None),
            Some((frame, n)) => {
                let reply = match frame {
                    // The decoder has one null: the first byte tells which.
                    resp2::types::OwnedFrame::Null if buf.first() == Some(&b'*') => Reply::NilArray,
                    f => from_resp2(f),
                };
                Ok(Some((reply, n)))
            }
        },
        _ => match resp3::decode::complete::decode(buf).map_err(|e| e.to_string())? {
            None => Ok(None),
            Some((frame, n)) => Ok(Some((from_resp3(frame)?, n))),
        },
    }
}

fn from_resp2(frame: resp2::types::OwnedFrame) -> Reply {
    use resp2::types::OwnedFrame as F;
    match frame {
        F::SimpleString(s) => Reply::Simple(s.into()),
        F::Error(e) => Reply::Error(e.into()),
        F::Integer(n) => Reply::Integer(n),
        F::BulkString(b) => Reply::Bulk(b.into()),
        F::Array(items) => Reply::Array(items.into_iter().map(from_resp2).collect()),
        F::Null => Reply::Nil,
    }
}

fn from_resp3(frame: resp3::types::OwnedFrame) -> Result<Reply, String> {
    use resp3::types::OwnedFrame as F;
    let list = |items: Vec<F>| {
        items
            .into_iter()
            .map(from_resp3)
            .collect::<Result<Vec<_>, _>>()
    };
    // redis-protocol 6 fills its (ordered) map from the last pair to the
    // first: reversed, the pairs are in the order Redis sent them (the
    // tests pin it, and a recording checks every reply re-encodes to the
    // bytes received).
    let pairs = |map: resp3::types::FrameMap<F, F>| {
        let mut pairs = map
            .into_iter()
            .map(|(k, v)| Ok((from_resp3(k)?, from_resp3(v)?)))
            .collect::<Result<Vec<_>, String>>()?;
        pairs.reverse();
        Ok::<_, String>(pairs)
    };
    let (reply, attributes) = match frame {
        F::BlobString { data, attributes } => (Reply::Bulk(data.into()), attributes),
        F::BlobError { data, attributes } => (Reply::Error(data.into()), attributes),
        F::SimpleString { data, attributes } => (Reply::Simple(data.into()), attributes),
        F::SimpleError { data, attributes } => (Reply::Error(data.into()), attributes),
        F::Boolean { data, attributes } => (Reply::Boolean(data), attributes),
        F::Null => (Reply::Nil, None),
        F::Number { data, attributes } => (Reply::Integer(data), attributes),
        F::Double { data, attributes } => (Reply::Double(data), attributes),
        F::BigNumber { data, attributes } => (Reply::BigNumber(data.into()), attributes),
        F::VerbatimString {
            data,
            format,
            attributes,
        } => {
            let format = match format {
                resp3::types::VerbatimStringFormat::Text => *b"txt",
                resp3::types::VerbatimStringFormat::Markdown => *b"mkd",
            };
            (
                Reply::Verbatim {
                    format,
                    text: data.into(),
                },
                attributes,
            )
        }
        F::Array { data, attributes } => (Reply::Array(list(data)?), attributes),
        F::Map { data, attributes } => (Reply::Map(pairs(data)?), attributes),
        F::Set { data, attributes } => (Reply::Set(list(data.into_iter().collect())?), attributes),
        F::Push { data, attributes } => (Reply::Push(list(data)?), attributes),
        F::Hello { .. } | F::ChunkedString(_) => {
            return Err("a HELLO or streamed frame is not a reply".into());
        }
    };
    Ok(match attributes {
        Some(a) => Reply::Attribute {
            attributes: pairs(a)?,
            reply: Box::new(reply),
        },
        None => reply,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(bytes: &[u8], protocol: Protocol) -> Reply {
        let (reply, n) = decode(bytes, protocol).unwrap().unwrap();
        assert_eq!(n, bytes.len());
        assert_eq!(reply.to_bytes(protocol), bytes, "{reply:?}");
        reply
    }

    #[test]
    fn replies_decode_to_the_same_bytes() {
        roundtrip(b"$-1\r\n", Protocol::Resp2);
        assert_eq!(roundtrip(b"*-1\r\n", Protocol::Resp2), Reply::NilArray);
        roundtrip(b"*3\r\n$1\r\na\r\n$-1\r\n:7\r\n", Protocol::Resp2);
        roundtrip(b"-WRONGTYPE x\r\n", Protocol::Resp2);
        roundtrip(b"%1\r\n$1\r\nk\r\n,1.5\r\n", Protocol::Resp3);
        roundtrip(
            b"%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n",
            Protocol::Resp3,
        );
        roundtrip(b"~2\r\n$1\r\nb\r\n$1\r\na\r\n", Protocol::Resp3);
        roundtrip(
            b">3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n",
            Protocol::Resp3,
        );
        roundtrip(b"_\r\n", Protocol::Resp3);
        roundtrip(b"#t\r\n", Protocol::Resp3);
        roundtrip(b"=8\r\ntxt:abcd\r\n", Protocol::Resp3);
        assert_eq!(decode(b"$3\r\nab", Protocol::Resp2), Ok(None));
        assert!(decode(b"?x\r\n", Protocol::Resp3).is_err());
    }

    #[test]
    fn repeated_requests_become_sequences_and_later_connections_follow() {
        let ex = |args: &[&str], reply: Reply| Exchange {
            db: 0,
            args: args
                .iter()
                .map(|a| Bytes::copy_from_slice(a.as_bytes()))
                .collect(),
            raw: reply.to_bytes(Protocol::Resp2),
            replies: vec![reply],
            protocol: Protocol::Resp2,
        };
        let mut s = Session::new("redis://127.0.0.1:6379".into());
        s.open(1);
        s.add(1, ex(&["SELECT", "0"], Reply::ok()));
        s.add(1, ex(&["GET", "k"], Reply::Nil));
        s.add(1, ex(&["GET", "k"], Reply::bulk("v")));
        s.open(2);
        s.add(2, ex(&["GET", "k"], Reply::bulk("w")));
        let text = s.render();
        assert!(!text.contains("SELECT"), "{text}");
        assert!(
            text.contains("sequence = [\n    { nil = true },\n    \"v\",\n]\ntimes = 2\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "# connection 2\n\n[[mock]]\nexact_args = [\"GET\", \"k\"]\nreply = \"w\"\n"
            ),
            "{text}"
        );
    }
}
