//! Differential tests: string and bitmap commands, byte for byte against a
//! real redis-server, in RESP2 and RESP3 (see tests/diff/script.rs for the
//! script format).

const SCRIPT: &str = r#"
## get
GET k
SET k v
GET k
GET
GET k x
SET k ""
GET k

## set nx xx
SET k v NX
SET k v2 NX
SET k v3 XX
GET k
SET other v XX
GET other
SET k v NX XX
SET k v XX NX
SET k v nx nx
SET k v Nx

## set expiry options
SET n v EX 10
TTL n
SET n v PX 10000 KEEPTTL
SET n v KEEPTTL
TTL n
SET n v EX 10 EX 20
TTL n
SET n v EX 10 PX 20
SET n v EX 10 KEEPTTL
SET n v KEEPTTL EX 10
SET n v EX
SET n v bogus
SET n v PERSIST
[masked] SET n v PXAT 99999999999999
[masked] PTTL n
SET n v EXAT 4102444800
EXPIRETIME n

## set expiry errors
SET n v EX 0
SET n v EX -1
SET n v PX 0
SET n v PX -100
SET n v EX abc
SET n v EX 1.5
SET n v EX 9223372036854775807
SET n v EX 9223372036854
SET n v PX 9223372036854775807
SET n v EXAT 0
SET n v PXAT -1
SET n v EX 99999999999999999999
EXISTS n

## set with a past absolute deadline
// Redis 7.0 stores such a key and lets expiry remove it: DBSIZE right after
// the SET would race with the active expiry cycle (serverCron in Redis, a
// 100 ms timer in mock-redis), so it is asked after GET has expired the key.
SET n v EXAT 1
GET n
EXISTS n
SET n v PXAT 1
GET n
DBSIZE

## set get
SET n v GET
SET n v2 GET
GET n
SET n v3 NX GET
SET nn v XX GET
EXISTS nn
SET n v4 XX GET EX 100
TTL n

## set get on a wrong type [needs RPUSH]
RPUSH l a
SET l v GET
GET l
SET l v
GET l

## setnx setex psetex
SETNX sn 1
SETNX sn 2
GET sn
SETNX sn
SETEX se 100 v
TTL se
SETEX se 0 v
SETEX se -5 v
SETEX se x v
SETEX se 100
PSETEX pse 100000 v
[masked] PTTL pse
PSETEX pse 0 v
PSETEX pse -1 v
PSETEX pse 1.5 v
GET pse

## getset getdel
GETSET gs 1
GETSET gs 2
SET gs 3 EX 100
GETSET gs 4
TTL gs
GETDEL gs
GETDEL gs
EXISTS gs
GETSET gs
GETDEL

## getset getdel wrong type [needs RPUSH]
RPUSH l a
GETSET l 2
GETDEL l
TYPE l

## getex
SET ge v EX 100
GETEX ge
TTL ge
GETEX ge PERSIST
TTL ge
GETEX ge EX 50
TTL ge
[masked] GETEX ge PX 50000
GETEX ge EXAT 4102444800
EXPIRETIME ge
GETEX ge PXAT 4102444800000
GETEX ge EXAT 1
EXISTS ge
GETEX nokey EX 10
SET ge v
GETEX ge EX 0
GETEX ge EX -1
GETEX ge EX x
GETEX ge PERSIST EX 10
GETEX ge EX 10 PERSIST
GETEX ge bogus
GETEX ge KEEPTTL
GETEX ge NX
GETEX ge EX
GETEX

## getex wrong type [needs RPUSH]
RPUSH l a
GETEX l
GETEX l PERSIST

## mget mset msetnx
MSET a 1 b 2
MSET a 1 b
MSET
MGET a b nokey
MSETNX a 1 c 3
MSETNX c 3 d 4
MSETNX c 3 d
MGET a b c d
MSET a x a y
GET a
MGET

## mget with a wrong type [needs RPUSH]
SET s v
RPUSH l a
MGET s l nokey

## append strlen
APPEND ap hello
APPEND ap " world"
GET ap
STRLEN ap
STRLEN nokey
APPEND ap ""
APPEND empty ""
EXISTS empty
STRLEN empty
APPEND
STRLEN

## append strlen wrong type [needs RPUSH]
RPUSH l a
APPEND l x
STRLEN l

## incr decr
SET i 10
INCR i
DECR i
INCRBY i 5
DECRBY i 3
INCRBY i -20
DECRBY i -20
GET i
INCR newi
DECR newd
INCRBY newj 7
DECRBY newk 7
INCRBY i abc
INCRBY i 1.5
INCRBY i ""
DECRBY i 9223372036854775808
INCR

## incr overflow
SET i 9223372036854775807
INCR i
INCRBY i 1
DECRBY i -1
SET i -9223372036854775808
DECR i
DECRBY i 1
INCRBY i -1
SET i 0
DECRBY i -9223372036854775808
INCRBY i -9223372036854775808
GET i

## incr on non-integers
SET i abc
INCR i
SET i " 1"
INCR i
SET i 01
INCR i
SET i 1.0
INCR i
SET i 99999999999999999999
INCR i
SET i +1
INCR i
SET i 9223372036854775806
INCR i
INCR i

## incr keeps the ttl
SET i 1 EX 100
INCR i
TTL i
INCRBYFLOAT i 1.5
TTL i

## incr wrong type [needs RPUSH]
RPUSH l a
INCR l
DECRBY l 1
INCRBYFLOAT l 1

## incrbyfloat
INCRBYFLOAT f 10.5
INCRBYFLOAT f 2
INCRBYFLOAT f -5
INCRBYFLOAT f 1.0e3
INCRBYFLOAT f 5e-1
INCRBYFLOAT f -1e3
INCRBYFLOAT f abc
INCRBYFLOAT f inf
INCRBYFLOAT f -inf
INCRBYFLOAT f nan
INCRBYFLOAT f " 1"
INCRBYFLOAT f ""
INCRBYFLOAT f 1e400
INCRBYFLOAT f 0x10
SET f 3
INCRBYFLOAT f 1.5
SET f abc
INCRBYFLOAT f 1
SET f " 3"
INCRBYFLOAT f 1
SET f 3.0
INCRBYFLOAT f 0
INCRBYFLOAT

## incrbyfloat precision
INCRBYFLOAT f 0.1
INCRBYFLOAT f 0.2
INCRBYFLOAT f 10.5
INCRBYFLOAT f -10.8
INCRBYFLOAT g 1.1
INCRBYFLOAT g 1000000.1
INCRBYFLOAT g 3.0e-7
INCRBYFLOAT h 1.23456789012345678
INCRBYFLOAT h -1.23456789012345678

## getrange substr
SET gr "Hello World"
GETRANGE gr 0 4
GETRANGE gr -5 -1
GETRANGE gr 5 2
GETRANGE gr 0 100
GETRANGE gr -100 -50
GETRANGE gr -100 100
GETRANGE gr -1 -5
GETRANGE gr 11 11
GETRANGE gr 10 10
GETRANGE nokey 0 5
GETRANGE gr a 5
GETRANGE gr 0 b
GETRANGE gr 0 9223372036854775807
GETRANGE gr -9223372036854775808 0
SUBSTR gr 1 3
SUBSTR gr 1
SET empty ""
GETRANGE empty 0 -1

## getrange wrong type [needs RPUSH]
RPUSH l a
GETRANGE l 0 1
SUBSTR l 0 1

## setrange
SETRANGE sr 5 hi
GET sr
SETRANGE sr 0 ab
GET sr
SETRANGE sr 10 end
GET sr
SETRANGE sr -1 x
SETRANGE sr x x
SETRANGE sr 536870912 x
SETRANGE nokey2 10 ""
EXISTS nokey2
SETRANGE sr 2 ""
SETRANGE sr 100 ""
STRLEN sr
SET sr v EX 100
SETRANGE sr 0 w
TTL sr

## setrange wrong type [needs RPUSH]
RPUSH l a
SETRANGE l 0 x
SETRANGE l 0 ""

## setbit getbit
SETBIT sb 7 1
SETBIT sb 7 0
SETBIT sb 100 1
GET sb
GETBIT sb 100
GETBIT sb 101
GETBIT sb 1000
GETBIT nokey 5
SETBIT sb -1 1
SETBIT sb 1 2
SETBIT sb 1 -1
SETBIT sb 1 x
SETBIT sb x 1
SETBIT sb 4294967296 1
GETBIT sb -1
GETBIT sb x
GETBIT sb 4294967296
SETBIT sb 0
SET sb v EX 100
SETBIT sb 0 1
TTL sb
GET sb

## setbit getbit wrong type [needs RPUSH]
RPUSH l a
SETBIT l 0 1
GETBIT l 0

## bitcount
SET bc foobar
BITCOUNT bc
BITCOUNT bc 0 0
BITCOUNT bc 1 1
BITCOUNT bc 1 1 BYTE
BITCOUNT bc 1 1 byte
BITCOUNT bc 5 30 BIT
BITCOUNT bc -5 -1 BIT
BITCOUNT bc 0 -1
BITCOUNT bc -1 -2
BITCOUNT bc -100 100
BITCOUNT bc 100 200
BITCOUNT bc 0 -1 bogus
BITCOUNT bc 0
BITCOUNT bc 0 1 2 3
BITCOUNT bc x 1
BITCOUNT nokey 0 1
BITCOUNT nokey x y
BITCOUNT nokey 0
BITCOUNT

## bitpos
SET bp "\xff\xf0\x00"
BITPOS bp 0
BITPOS bp 1
BITPOS bp 0 1
BITPOS bp 0 0 0
BITPOS bp 1 2 -1
BITPOS bp 1 1 -1
BITPOS bp 0 2 -1 BIT
BITPOS bp 1 7 15 BIT
BITPOS bp 0 7 15 BIT
BITPOS bp 1 -8 -1 BIT
BITPOS bp 0 5 3
BITPOS bp 2
BITPOS bp -1
BITPOS bp x
BITPOS bp 1 0 1 bogus
BITPOS bp 1 x
BITPOS bp 1 0 x
BITPOS bp 1 0 1 BIT extra
BITPOS nokey 0
BITPOS nokey 1
BITPOS nokey 1 x
BITPOS nokey 3
SET allones "\xff\xff"
BITPOS allones 0
BITPOS allones 0 0 -1
BITPOS allones 0 0
BITPOS allones 0 1
BITPOS allones 0 0 15 BIT
BITPOS allones 0 3 BIT
SET zeros "\x00\x00"
BITPOS zeros 1
BITPOS zeros 0
BITPOS zeros 1 0 -1 BIT
SET empty ""
BITPOS empty 0
BITPOS empty 1

## bitcount bitpos wrong type [needs RPUSH]
RPUSH l a
BITCOUNT l
BITCOUNT l 0 1
BITPOS l 1
BITPOS l 2

## bitop
SET ba abc
SET bb ab
BITOP AND dest ba bb
GET dest
BITOP or dest ba bb
GET dest
BITOP XOR dest ba bb
GET dest
BITOP NOT dest ba
GET dest
BITOP NOT dest ba bb
BITOP bogus dest ba
BITOP andx dest ba
BITOP AND dest nokey nokey2
EXISTS dest
SET dest v
BITOP OR dest nokey
EXISTS dest
BITOP AND dest ba nokey
GET dest
SET ba v EX 100
BITOP AND ba ba
TTL ba
BITOP AND dest

## bitop wrong type [needs RPUSH]
RPUSH l a
SET s v
BITOP AND dest s l
BITOP NOT dest l
EXISTS dest

## bitfield
BITFIELD bf SET i8 0 100
BITFIELD bf GET i8 0
BITFIELD bf INCRBY i8 0 100
BITFIELD bf OVERFLOW SAT INCRBY i8 0 100
BITFIELD bf OVERFLOW SAT INCRBY i8 0 -300
BITFIELD bf OVERFLOW FAIL INCRBY i8 0 -100
BITFIELD bf OVERFLOW FAIL INCRBY i8 0 100
BITFIELD bf SET u8 #1 255 GET u8 #1
BITFIELD bf INCRBY u2 100 1 OVERFLOW SAT INCRBY u2 102 1
BITFIELD bf INCRBY u2 100 1 OVERFLOW SAT INCRBY u2 102 1
BITFIELD bf INCRBY u2 100 1 OVERFLOW SAT INCRBY u2 102 1
BITFIELD bf INCRBY u2 100 1 OVERFLOW SAT INCRBY u2 102 1
BITFIELD bf OVERFLOW WRAP SET u4 0 17 SET i4 4 9 OVERFLOW SAT SET u4 8 17 SET i4 12 9 SET i4 12 -9 OVERFLOW FAIL SET u4 16 16 GET u4 16
GET bf
BITFIELD bf GET u64 0
BITFIELD bf GET i65 0
BITFIELD bf GET i64 0
BITFIELD bf GET u63 0
BITFIELD bf GET i0 0
BITFIELD bf GET x8 0
BITFIELD bf GET 8 0
BITFIELD bf OVERFLOW bogus
BITFIELD bf GET i8
BITFIELD bf bogus
BITFIELD bf GET i8 -1
BITFIELD bf GET i8 #-1
BITFIELD bf GET i8 x
BITFIELD bf SET i8 0 abc
BITFIELD bf INCRBY i8 0 1.5
BITFIELD bf SET i64 0 -1 GET u63 0 GET i64 0
BITFIELD bf OVERFLOW WRAP INCRBY i64 0 -9223372036854775808
BITFIELD bf OVERFLOW SAT INCRBY i64 0 -9223372036854775808
BITFIELD bf OVERFLOW WRAP INCRBY u63 0 9223372036854775807
BITFIELD bf
BITFIELD nokey GET u4 0
EXISTS nokey
BITFIELD nokey2 OVERFLOW FAIL SET u2 0 7
EXISTS nokey2
BITFIELD_RO bf GET i8 0
BITFIELD_RO bf SET i8 0 1
BITFIELD_RO bf INCRBY i8 0 1
BITFIELD_RO bf OVERFLOW SAT GET i8 0
BITFIELD_RO bf
BITFIELD_RO nokey GET i8 0
BITFIELD
BITFIELD_RO

## bitfield wrong type [needs RPUSH]
RPUSH l a
BITFIELD l GET i8 0
BITFIELD_RO l GET i8 0

## lcs
SET l1 ohmytext
SET l2 mynewtext
LCS l1 l2
LCS l1 l2 LEN
LCS l1 l2 IDX
LCS l1 l2 IDX MINMATCHLEN 4
LCS l1 l2 IDX MINMATCHLEN -4
LCS l1 l2 IDX WITHMATCHLEN
LCS l1 l2 IDX MINMATCHLEN 2 WITHMATCHLEN
LCS l1 l2 IDX LEN
LCS l1 l2 LEN WITHMATCHLEN
LCS l1 l2 bogus
LCS l1 nokey
LCS nokey nokey2
LCS nokey nokey2 IDX
LCS l1 l2 MINMATCHLEN x
LCS l1 l2 MINMATCHLEN
LCS l1
SET a1 "aaaa"
SET a2 "aa"
LCS a1 a2 IDX
SET b1 "abcXdefYghi"
SET b2 "abcZdefWghi"
LCS b1 b2 IDX WITHMATCHLEN

## lcs wrong type [needs RPUSH]
RPUSH l a
SET s v
LCS s l
LCS l s
"#;

#[tokio::test]
async fn strings_and_bitmaps() {
    crate::script::run(SCRIPT).await;
}
