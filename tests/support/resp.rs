//! The RESP side of the tests: requests as multibulk bytes, where a reply
//! frame ends ([`frame_len`], RESP2 and RESP3), how replies are normalised
//! before comparison ([`Compare`], [`normalize`]), and escaping for reports.

/// How to compare one reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compare {
    /// Byte for byte.
    Exact,
    /// The top-level aggregate's elements in any order (Redis's order is a hash order).
    Sorted,
    /// Byte for byte after replacing every integer reply with `:N` (ids, timestamps).
    MaskIntegers,
    /// Only the reply's type byte (for output that is different by nature, like INFO).
    TypeOnly,
}

/// A command as a RESP multibulk request.
pub fn multibulk<I, S>(args: I) -> Vec<u8>
where
    I: IntoIterator<Item = S>,
    S: AsRef<[u8]>,
{
    let args: Vec<Vec<u8>> = args.into_iter().map(|a| a.as_ref().to_vec()).collect();
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in &args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Length of the first complete RESP2/RESP3 reply in `buf`, if there is one.
/// This only finds frame boundaries; it does not decode values.
pub fn frame_len(buf: &[u8]) -> Option<usize> {
    let line_end = |from: usize| -> Option<usize> {
        buf.get(from..)?
            .windows(2)
            .position(|w| w == b"\r\n")
            .map(|p| from + p)
    };
    let first = *buf.first()?;
    let end = line_end(1)?;
    let header = std::str::from_utf8(&buf[1..end]).ok()?;
    let after = end + 2;
    match first {
        b'+' | b'-' | b':' | b'_' | b',' | b'#' | b'(' => Some(after),
        b'$' | b'!' | b'=' => {
            let n: i64 = header.parse().ok()?;
            if n < 0 {
                return Some(after);
            }
            let total = after + n as usize + 2;
            (buf.len() >= total).then_some(total)
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let n: i64 = header.parse().ok()?;
            if n < 0 {
                return Some(after);
            }
            let items = if matches!(first, b'%' | b'|') {
                2 * n
            } else {
                n
            };
            let mut pos = after;
            for _ in 0..items {
                pos += frame_len(&buf[pos..])?;
            }
            if first == b'|' {
                // Attributes precede the reply they describe.
                pos += frame_len(&buf[pos..])?;
            }
            Some(pos)
        }
        _ => None,
    }
}

/// The elements of a top-level aggregate reply, as raw frames.
fn elements(reply: &[u8]) -> Option<(Vec<u8>, Vec<Vec<u8>>)> {
    let end = reply.windows(2).position(|w| w == b"\r\n")? + 2;
    let header = reply[..end].to_vec();
    let n: i64 = std::str::from_utf8(&reply[1..end - 2]).ok()?.parse().ok()?;
    let mut pos = end;
    let mut out = Vec::new();
    let per = if reply[0] == b'%' { 2 } else { 1 };
    for _ in 0..n.max(0) {
        let mut item = Vec::new();
        for _ in 0..per {
            let len = frame_len(&reply[pos..])?;
            item.extend_from_slice(&reply[pos..pos + len]);
            pos += len;
        }
        out.push(item);
    }
    Some((header, out))
}

/// Applies a comparison's normalisation to one reply.
pub fn normalize(reply: &[u8], compare: Compare) -> Vec<u8> {
    match compare {
        Compare::Exact => reply.to_vec(),
        Compare::TypeOnly => reply.iter().take(1).copied().collect(),
        Compare::Sorted => match reply.first() {
            Some(b'*' | b'~' | b'%' | b'>') => match elements(reply) {
                Some((header, mut items)) => {
                    items.sort();
                    let mut out = header;
                    items.iter().for_each(|i| out.extend_from_slice(i));
                    out
                }
                None => reply.to_vec(),
            },
            _ => reply.to_vec(),
        },
        Compare::MaskIntegers => {
            let mut out = Vec::with_capacity(reply.len());
            let mut i = 0;
            while i < reply.len() {
                let at_line_start = i == 0 || reply[i - 1] == b'\n';
                if at_line_start && reply[i] == b':' {
                    out.extend_from_slice(b":N");
                    while i < reply.len() && reply[i] != b'\r' {
                        i += 1;
                    }
                } else {
                    out.push(reply[i]);
                    i += 1;
                }
            }
            out
        }
    }
}

/// Bytes as a Rust-like escaped string.
pub fn escape(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

/// An argument as redis-cli would quote it.
pub fn quote(arg: &[u8]) -> String {
    if !arg.is_empty()
        && arg
            .iter()
            .all(|b| b.is_ascii_graphic() && *b != b'"' && *b != b'\'')
    {
        String::from_utf8_lossy(arg).into_owned()
    } else {
        format!("\"{}\"", escape(arg))
    }
}

/// The elements of a top-level aggregate frame as raw frames (a map's
/// key and value as two elements), or `None` for a scalar.
pub fn aggregate_items(frame: &[u8]) -> Option<Vec<&[u8]>> {
    if !matches!(frame.first(), Some(b'*' | b'~' | b'>' | b'%')) {
        return None;
    }
    let end = frame.windows(2).position(|w| w == b"\r\n")?;
    let n: i64 = std::str::from_utf8(&frame[1..end]).ok()?.parse().ok()?;
    let n = if frame[0] == b'%' { 2 * n } else { n };
    let mut pos = end + 2;
    let mut out = Vec::new();
    for _ in 0..n.max(0) {
        let len = frame_len(&frame[pos..])?;
        out.push(&frame[pos..pos + len]);
        pos += len;
    }
    Some(out)
}

/// The payload of a bulk-string frame (`$3\r\nabc\r\n` gives `abc`).
pub fn bulk_payload(frame: &[u8]) -> Option<&[u8]> {
    if frame.first() != Some(&b'$') {
        return None;
    }
    let end = frame.windows(2).position(|w| w == b"\r\n")?;
    frame.get(end + 2..frame.len().checked_sub(2)?)
}

/// Whether a frame is a pub/sub message (`message`, `pmessage`,
/// `smessage`, keyspace events included) rather than the reply to a
/// command: such frames arrive whenever another client publishes, so they
/// never count as a command's acknowledgement.
pub fn is_message(frame: &[u8]) -> bool {
    let Some(items) = aggregate_items(frame) else {
        return false;
    };
    let kind = items.first().and_then(|k| bulk_payload(k));
    matches!(kind, Some(b"message" | b"pmessage" | b"smessage")) && matches!(frame[0], b'*' | b'>')
}
