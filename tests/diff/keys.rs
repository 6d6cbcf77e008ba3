//! Differential tests: generic key commands, byte for byte against a real
//! redis-server, in RESP2 and RESP3 (see tests/diff/script.rs).

const SCRIPT: &str = r#"
## del unlink exists type touch
SET a 1
SET b 2
DEL a b c
DEL a
EXISTS a b
SET a 1
EXISTS a a b
UNLINK a nokey
UNLINK a
TYPE a
SET a 1
TYPE a
TOUCH a b a
TOUCH nokey
DEL
EXISTS
UNLINK
TYPE
TYPE a b
TOUCH

## expire ttl
SET e v
EXPIRE e 100
TTL e
[masked] PTTL e
EXPIRE e 100 NX
EXPIRE e 100 XX
EXPIRE e 200 GT
TTL e
EXPIRE e 300 LT
EXPIRE e 50 LT
TTL e
EXPIRE e 10 NX XX
EXPIRE e 10 NX GT
EXPIRE e 10 NX LT
EXPIRE e 10 GT LT
EXPIRE e 10 bogus
EXPIRE e x
EXPIRE e x bogus
EXPIRE e 1.5
EXPIRE e 9223372036854775807
EXPIRE e 9223372036854775
EXPIRE e -9223372036854775807
PEXPIRE e 9223372036854775807
PEXPIREAT e 9223372036854775807
EXPIREAT e 9223372036854775807
EXPIRE nokey 10
EXPIRE nokey 10 bogus
EXPIRE e
EXPIRE

## expire on a key without ttl
SET p v
EXPIRE p 10 GT
EXPIRE p 10 XX
TTL p
EXPIRE p 10 LT
TTL p
EXPIRE p 20 NX
TTL p

## persist
SET p v EX 100
PERSIST p
PERSIST p
PERSIST nokey
TTL p
TTL nokey
PTTL nokey
PTTL p
PERSIST

## expiretime
SET p v
EXPIRETIME p
PEXPIRETIME p
EXPIRETIME nokey
PEXPIRETIME nokey
EXPIREAT p 4000000000
EXPIRETIME p
PEXPIRETIME p
PEXPIREAT p 4000000000123
PEXPIRETIME p
EXPIRETIME p
PEXPIREAT p 4000000000499
EXPIRETIME p
PEXPIREAT p 4000000000500
EXPIRETIME p

## expire in the past deletes
SET p v
EXPIREAT p 1
EXISTS p
SET p v
EXPIRE p 0
EXISTS p
SET p v
EXPIRE p -5
EXISTS p
SET p v
PEXPIRE p -1
EXISTS p
SET p v
PEXPIREAT p 0
EXISTS p
SET p v
EXPIREAT p -10
EXISTS p
EXPIRE nokey -1
DBSIZE

## rename
SET r1 v
EXPIRE r1 100
RENAME r1 r2
TTL r2
EXISTS r1
RENAME r2 r2
RENAME nokey x
RENAME nokey nokey
SET r3 x
RENAME r2 r3
GET r3
TTL r3
RENAME r3
RENAME

## renamenx
SET r2 v
SET r3 x
RENAMENX r2 r3
RENAMENX r2 r4
RENAMENX r4 r4
RENAMENX nokey x
RENAMENX nokey nokey
GET r4
EXISTS r2

## copy
SET c1 v EX 100
COPY c1 c2
COPY c1 c2
TTL c2
SET c1 w
COPY c1 c2 REPLACE
GET c2
TTL c2
COPY c1 c2 DB 1
COPY c1 c1
COPY c1 c1 DB 1
COPY c1 c1 DB 1
COPY c1 c1 DB 1 REPLACE
COPY nokey c9
COPY c1 c2 DB
COPY c1 c2 DB x
COPY c1 c2 DB 16
COPY c1 c2 DB -1
COPY c1 c2 DB 1 DB
COPY c1 c2 bogus
COPY c1 c2 replace replace
SELECT 1
GET c1
GET c2
SELECT 0
COPY c1

## move
SET m v EX 100
MOVE m 1
MOVE m 1
MOVE nokey 1
SET m v
MOVE m 1
MOVE m 0
MOVE m x
MOVE m 16
MOVE m -1
MOVE m 99999999999
SELECT 1
TTL m
GET m
MOVE m 0
GET m
SELECT 0
GET m
MOVE m

## keys
MSET k1 1 k2 2 k3 3 other 4 "k\x005" 5 "[x]" 6
[sorted] KEYS k*
[sorted] KEYS *
[sorted] KEYS k[12]
[sorted] KEYS k[^1]
[sorted] KEYS k[1-2]
[sorted] KEYS k[2-1]
[sorted] KEYS ?2
KEYS nomatch
[sorted] KEYS K*
[sorted] KEYS "k\\1"
[sorted] KEYS "\\[x]"
[sorted] KEYS "[[]x]"
[sorted] KEYS k?
[sorted] KEYS *[
[sorted] KEYS "k\x00*"
[sorted] KEYS ****
[sorted] KEYS *e*
KEYS
KEYS a b

## scan
MSET k1 1 k2 2 k3 3 other 4
SCAN 0 MATCH k1 COUNT 100
SCAN 0 MATCH oth* COUNT 100
SCAN 0 MATCH *her TYPE string COUNT 100
SCAN 0 MATCH k2 TYPE STRING COUNT 100
SCAN 0 TYPE list
SCAN 0 TYPE bogus
SCAN 0 MATCH nomatch
SCAN x
SCAN -x
SCAN 0 COUNT 0
SCAN 0 COUNT -1
SCAN 0 COUNT x
SCAN 0 MATCH
SCAN 0 bogus 1
SCAN 18446744073709551616
SCAN 0 TYPE
SCAN

## scan an empty database
SCAN 0
SCAN 0 MATCH * COUNT 1000 TYPE hash

## randomkey
RANDOMKEY
SET only v
RANDOMKEY
RANDOMKEY x

## object
SET k1 1
OBJECT ENCODING k1
SET emb hello
OBJECT ENCODING emb
SET raw aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
OBJECT ENCODING raw
SET e44 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
OBJECT ENCODING e44
SET e45 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
OBJECT ENCODING e45
SET big 12345678901234567890
OBJECT ENCODING big
SET neg -123
OBJECT ENCODING neg
SET lz 0123
OBJECT ENCODING lz
APPEND emb x
OBJECT ENCODING emb
APPEND new 12
OBJECT ENCODING new
SETRANGE sr 0 5
OBJECT ENCODING sr
INCR ctr
OBJECT ENCODING ctr
INCRBYFLOAT fl 3
OBJECT ENCODING fl
SETBIT bits 1 1
OBJECT ENCODING bits
MSET m1 7 m2 x
OBJECT ENCODING m1
OBJECT ENCODING m2
GETSET m1 8
OBJECT ENCODING m1
OBJECT ENCODING nokey
OBJECT REFCOUNT k1
OBJECT REFCOUNT emb
SET bigint 123456
OBJECT REFCOUNT bigint
SET n9999 9999
OBJECT REFCOUNT n9999
SET n10000 10000
OBJECT REFCOUNT n10000
OBJECT REFCOUNT nokey
[masked] OBJECT IDLETIME k1
OBJECT IDLETIME nokey
OBJECT FREQ k1
OBJECT FREQ nokey
OBJECT bogus k1
OBJECT
OBJECT ENCODING
OBJECT ENCODING a b
OBJECT HELP
OBJECT HELP x

## object under an lfu policy
CONFIG SET maxmemory-policy allkeys-lfu
SET k v
OBJECT FREQ k
GET k
OBJECT FREQ k
TYPE k
EXISTS k
TTL k
OBJECT FREQ k
OBJECT IDLETIME k
OBJECT REFCOUNT k
SET n 5
OBJECT REFCOUNT n
OBJECT FREQ nokey
CONFIG SET maxmemory-policy noeviction

## object refcount with a maxmemory limit
CONFIG SET maxmemory-policy allkeys-lru
CONFIG SET maxmemory 1gb
SET n 5
OBJECT REFCOUNT n
OBJECT ENCODING n
CONFIG SET maxmemory 0
SET n 6
OBJECT REFCOUNT n
CONFIG SET maxmemory-policy noeviction

## dump strings in redis's rdb encoding
SET a hello
DUMP a
SET b 123
DUMP b
SET c -5
DUMP c
SET d 70000
DUMP d
SET e 12345678901
DUMP e
SET f 0123
DUMP f
SET g ""
DUMP g
SET i abcdefghijklmnopqrstuvwxyz0123
DUMP i
INCR j
DUMP j
SET k 4294967296
DUMP k
SET l 2147483647
DUMP l
SET m -2147483648
DUMP m
SET n 32768
DUMP n
SET o -128
DUMP o
SET p -129
DUMP p

## restore redis payloads
RESTORE h 0 "\x00\xc3\x09\x29\x01\x61\x61\xe0\x1c\x00\x01\x61\x61\x0a\x00\x47\xd8\xa5\x69\xbe\xdb\x46\x0b"
GET h
RESTORE a 0 "\x00\x05hello\x0a\x00\x63\x72\xdf\x76\x65\x34\x20\x0a"
GET a
RESTORE a 0 "\x00\x05hello\x0a\x00\x63\x72\xdf\x76\x65\x34\x20\x0a" REPLACE
RESTORE b 100000 "\x00\xc0\x7b\x0a\x00\x48\xe2\x53\xe1\x00\x7a\x67\xb9"
GET b
[masked] PTTL b
RESTORE c 1 "\x00\xc0\x7b\x0a\x00\x48\xe2\x53\xe1\x00\x7a\x67\xb9" ABSTTL
EXISTS c
RESTORE d 0 "\x00\xc0\x7b\x0a\x00\x48\xe2\x53\xe1\x00\x7a\x67\xb8"
RESTORE d 0 "\x00\xc0\x7b\x0b\x00\x48\xe2\x53\xe1\x00\x7a\x67\xb9"
RESTORE e 0 "\x00\xc0\x7b\x0a\x00\x48\xe2\x53\xe1\x00\x7a\x67\xb9" IDLETIME 100
[masked] OBJECT IDLETIME e
RESTORE f 0 "\x00\xc0\x7b\x0a\x00\x48\xe2\x53\xe1\x00\x7a\x67\xb9" FREQ 100
GET f

## dump restore errors
DUMP nokey
DUMP
SET k1 v
RESTORE nk 0 bogus
RESTORE k1 0 bogus
RESTORE nk -1 bogus
RESTORE nk x bogus
RESTORE nk 0 bogus REPLACE
RESTORE nk 0 bogus ABSTTL
RESTORE nk 0 bogus IDLETIME -1
RESTORE nk 0 bogus IDLETIME x
RESTORE nk 0 bogus FREQ 300
RESTORE nk 0 bogus FREQ -1
RESTORE nk 0 bogus IDLETIME 1 FREQ 1
RESTORE nk 0 bogus FREQ 1 IDLETIME 1
RESTORE nk 0 bogus IDLETIME
RESTORE nk 0 bogus bogus
RESTORE k1 0 bogus bogus
RESTORE nk 0

## sort errors and empty sources
SET s 5
SORT s
SORT nokey
SORT nokey DESC ALPHA LIMIT 0 10
SORT nokey BY x GET # GET y
SORT nokey LIMIT x 1
SORT nokey LIMIT 0
SORT nokey bogus
SORT nokey STORE
SORT nokey STORE dst
SET dst v
SORT nokey STORE dst
EXISTS dst
SORT_RO nokey
SORT_RO nokey STORE dst
SORT_RO s
SORT
SORT_RO

## sort lists [needs RPUSH LRANGE]
RPUSH sl 3 1 2 10
SET w_1 3
SET w_2 2
SET w_3 1
SORT sl
SORT sl DESC
SORT sl LIMIT 0 2
SORT sl LIMIT 1 -1
SORT sl LIMIT 10 2
SORT sl LIMIT -1 2
SORT sl ALPHA
SORT sl ALPHA DESC
SORT sl BY nosort
SORT sl BY nosort DESC
SORT sl BY nosort LIMIT 1 2
SORT sl BY w_*
SORT sl BY w_* ALPHA
SORT sl GET #
SORT sl GET w_*
SORT sl GET w_* GET #
SORT sl BY w_* GET w_*
SORT sl STORE dst
LRANGE dst 0 -1
SORT sl GET w_* STORE dst
LRANGE dst 0 -1
SORT_RO sl DESC
RPUSH bad 1 x 2
SORT bad
SORT bad ALPHA

## keys wrong type [needs RPUSH]
RPUSH l a
TYPE l
EXISTS l
[masked] OBJECT ENCODING l
RENAME l l2
TYPE l2
COPY l2 l3
TYPE l3
MOVE l3 1
"#;

#[tokio::test]
async fn keys() {
    crate::script::run(SCRIPT).await;
}

const GETKEYS: &str = r#"
## command getkeys for key commands
COMMAND GETKEYS SORT a STORE b
COMMAND GETKEYS SORT a LIMIT 0 1 GET x BY y STORE b STORE c
COMMAND GETKEYS SORT a GET store
COMMAND GETKEYS SORT_RO a BY b
COMMAND GETKEYS COPY a b DB 1
COMMAND GETKEYS MSET a 1 b 2
COMMAND GETKEYS RENAME a b
COMMAND GETKEYS BITOP AND d a b
COMMAND GETKEYS LCS a b
COMMAND GETKEYS WATCH a b
COMMAND GETKEYS RANDOMKEY
COMMAND GETKEYS MGET
COMMAND INFO get set info append bgsave bitcount bitfield bitfield_ro bitop bitpos copy dbsize debug decr decrby del discard dump exec exists expire expireat expiretime flushall flushdb getbit getdel getex getrange getset incr incrby incrbyfloat keys lastsave lcs mget move mset msetnx multi persist pexpire pexpireat pexpiretime psetex pttl randomkey rename renamenx restore save scan setbit setex setnx setrange sort sort_ro strlen substr swapdb time touch ttl type unlink unwatch wait watch
COMMAND INFO object|encoding object|freq object|idletime object|refcount object|help config|get config|set config|resetstat config|help
"#;

#[tokio::test]
async fn key_extraction_and_command_info() {
    crate::script::run(GETKEYS).await;
}

mod interop {
    use crate::support::{self, RawConn};

    /// The payload of a bulk reply.
    fn bulk(reply: &[u8]) -> Vec<u8> {
        assert_eq!(reply[0], b'$', "{}", String::from_utf8_lossy(reply));
        let end = reply.iter().position(|&b| b == b'\r').unwrap();
        let n: usize = std::str::from_utf8(&reply[1..end])
            .unwrap()
            .parse()
            .unwrap();
        reply[end + 2..end + 2 + n].to_vec()
    }

    fn sorted_lines(reply: &[u8]) -> Vec<Vec<u8>> {
        let mut lines: Vec<Vec<u8>> = reply.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
        lines.sort();
        lines
    }

    /// Values of every type go from redis-server to mock-redis and back
    /// through DUMP/RESTORE unchanged, and report the same encoding.
    #[tokio::test]
    async fn dump_payloads_move_between_redis_and_mock() {
        let Some(differ) = support::Differ::start().await else {
            return;
        };
        let mock = mock_redis::MockRedis::start().await;
        let mut real = RawConn::open(differ.real_port()).await;
        let mut ours = RawConn::open(mock.port()).await;
        real.cmd(&[b"FLUSHALL"]).await;
        let long: Vec<String> = (0..300).map(|i| i.to_string().repeat(i % 7 + 1)).collect();
        let many: Vec<String> = (0..600).map(|i| i.to_string()).collect();
        let mut setups: Vec<Vec<String>> = vec![
            [
                "RPUSH",
                "l1",
                "a",
                "b",
                "1",
                "-5",
                "300",
                "70000",
                "1234567890123",
            ]
            .map(String::from)
            .to_vec(),
            ["SADD", "s1", "1", "2", "-3", "100000", "9999999999"]
                .map(String::from)
                .to_vec(),
            ["SADD", "s2", "a", "b", "c"].map(String::from).to_vec(),
            ["HSET", "h1", "f", "v", "n", "1", "neg", "-70000"]
                .map(String::from)
                .to_vec(),
            ["ZADD", "z1", "1", "a", "2.5", "b", "-inf", "c", "1e10", "d"]
                .map(String::from)
                .to_vec(),
            ["SET", "str", &"x".repeat(50)].map(String::from).to_vec(),
        ];
        setups.push([vec!["RPUSH".into(), "l2".into()], long].concat());
        setups.push([vec!["SADD".into(), "s3".into()], many].concat());
        let mut h2 = vec!["HSET".to_string(), "h2".to_string()];
        let mut z2 = vec!["ZADD".to_string(), "z2".to_string()];
        for i in 0..200 {
            h2.push(format!("f{i}"));
            h2.push("v".repeat(70));
            z2.push((i as f64 * 0.5).to_string());
            z2.push(format!("{}{i}", "m".repeat(i % 80)));
        }
        setups.push(h2);
        setups.push(z2);
        for s in &setups {
            let args: Vec<&[u8]> = s.iter().map(|a| a.as_bytes()).collect();
            real.cmd(&args).await;
        }
        let reads: &[(&str, &[&str])] = &[
            ("l1", &["LRANGE", "l1", "0", "-1"]),
            ("l2", &["LRANGE", "l2", "0", "-1"]),
            ("s1", &["SMEMBERS", "s1"]),
            ("s2", &["SMEMBERS", "s2"]),
            ("s3", &["SMEMBERS", "s3"]),
            ("h1", &["HGETALL", "h1"]),
            ("h2", &["HGETALL", "h2"]),
            ("z1", &["ZRANGE", "z1", "0", "-1", "WITHSCORES"]),
            ("z2", &["ZRANGE", "z2", "0", "-1", "WITHSCORES"]),
            ("str", &["GET", "str"]),
        ];
        for (key, read) in reads {
            let k = key.as_bytes();
            let read: Vec<&[u8]> = read.iter().map(|a| a.as_bytes()).collect();
            let before = real.cmd(&read).await;
            let encoding = real.cmd([b"OBJECT".as_slice(), b"ENCODING", k]).await;
            let payload = bulk(&real.cmd(&[b"DUMP", k]).await);
            assert_eq!(
                ours.cmd(&[b"RESTORE", k, b"0", &payload]).await,
                b"+OK\r\n",
                "{key}"
            );
            assert_eq!(
                ours.cmd([b"OBJECT".as_slice(), b"ENCODING", k]).await,
                encoding,
                "{key}"
            );
            // Lists, sorted sets and listpack hashes have an order: a
            // restored list or listpack hash reads back as in Redis.
            let ordered = read[0] != b"SMEMBERS" && encoding != b"$9\r\nhashtable\r\n";
            if ordered && (read[0] == b"HGETALL" || read[0] == b"LRANGE") {
                assert_eq!(ours.cmd(&read).await, before, "{key}: order in mock-redis");
            }
            let back = bulk(&ours.cmd(&[b"DUMP", k]).await);
            real.cmd(&[b"DEL", k]).await;
            assert_eq!(
                real.cmd(&[b"RESTORE", k, b"0", &back]).await,
                b"+OK\r\n",
                "{key}"
            );
            let after = real.cmd(&read).await;
            assert_eq!(sorted_lines(&before), sorted_lines(&after), "{key}");
            if ordered {
                assert_eq!(before, after, "{key}: order");
            }
        }
    }
}
