//! A whole RDB file (version 10, Redis 7.0's), as a master sends it to a
//! replica on a full resynchronization: the `REDIS0010` header, the aux
//! fields, each database's `SELECTDB` and `RESIZEDB`, each key with its
//! `EXPIRETIME_MS` if it has one and its value in the encoding DUMP uses,
//! the function libraries (`FUNCTION2`), then `EOF` and the CRC-64 of
//! everything before it.

use bytes::{BufMut, Bytes, BytesMut};

use super::rdb::{crc64, put_len, put_rdb_string, serialize};
use crate::engine::types::Value;

const OPCODE_FUNCTION2: u8 = 245;
const OPCODE_AUX: u8 = 250;
const OPCODE_RESIZEDB: u8 = 251;
const OPCODE_EXPIRETIME_MS: u8 = 252;
const OPCODE_SELECTDB: u8 = 254;
const OPCODE_EOF: u8 = 255;

/// One key of a database, as the file stores it.
pub(crate) struct FileKey<'a> {
    pub key: &'a [u8],
    pub value: &'a Value,
    /// Unix milliseconds.
    pub expires_at: Option<i64>,
}

/// What the file holds.
pub(crate) struct FileContents<'a> {
    /// `(name, value)` aux fields, in order.
    pub aux: Vec<(&'static str, String)>,
    /// Function libraries' codes.
    pub functions: Vec<&'a [u8]>,
    /// `(database index, keys)` for each non-empty database.
    pub dbs: Vec<(usize, Vec<FileKey<'a>>)>,
}

/// The bytes of the RDB file.
pub(crate) fn write(contents: &FileContents<'_>) -> Bytes {
    let mut out = BytesMut::new();
    out.put_slice(b"REDIS0010");
    for (name, value) in &contents.aux {
        out.put_u8(OPCODE_AUX);
        put_rdb_string(&mut out, name.as_bytes());
        put_rdb_string(&mut out, value.as_bytes());
    }
    for code in &contents.functions {
        out.put_u8(OPCODE_FUNCTION2);
        put_rdb_string(&mut out, code);
    }
    for (index, keys) in &contents.dbs {
        out.put_u8(OPCODE_SELECTDB);
        put_len(&mut out, *index);
        out.put_u8(OPCODE_RESIZEDB);
        put_len(&mut out, keys.len());
        put_len(
            &mut out,
            keys.iter().filter(|k| k.expires_at.is_some()).count(),
        );
        for k in keys {
            if let Some(at) = k.expires_at {
                out.put_u8(OPCODE_EXPIRETIME_MS);
                out.put_i64_le(at);
            }
            // DUMP's payload: the type byte, the value, then the version
            // and the CRC (10 bytes) this file does not repeat per key.
            let payload = serialize(k.value);
            out.put_u8(payload[0]);
            put_rdb_string(&mut out, k.key);
            out.put_slice(&payload[1..payload.len() - 10]);
        }
    }
    out.put_u8(OPCODE_EOF);
    let sum = crc64(&out);
    out.put_u64_le(sum);
    out.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_has_header_keys_eof_and_checksum() {
        let v = Value::String(Bytes::from_static(b"v").into());
        let file = write(&FileContents {
            aux: vec![("redis-ver", "7.0.15".into())],
            functions: Vec::new(),
            dbs: vec![(
                3,
                vec![FileKey {
                    key: b"k",
                    value: &v,
                    expires_at: Some(0x0102),
                }],
            )],
        });
        let mut expected = b"REDIS0010\xfa\x09redis-ver\x067.0.15".to_vec();
        expected
            .extend_from_slice(b"\xfe\x03\xfb\x01\x01\xfc\x02\x01\0\0\0\0\0\0\x00\x01k\x01v\xff");
        assert_eq!(&file[..file.len() - 8], &expected[..]);
        let sum = crc64(&expected);
        assert_eq!(&file[file.len() - 8..], &sum.to_le_bytes());
    }
}
