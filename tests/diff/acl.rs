//! Differential tests: ACL (SETUSER rules and their errors, GETUSER and
//! LIST, NOPERM texts for commands, keys and channels, in MULTI and from
//! scripts, AUTH and HELLO AUTH as users, DRYRUN, CAT, LOG), byte for byte
//! against a real redis-server in RESP2 and RESP3.
//!
//! ACL users live for the whole real server, so every case starts by
//! deleting the users the cases create and resetting the log. Single
//! command exceptions (`+@all -get -set`) are avoided in descriptions: Redis
//! lists them in its command table's hash order, which changes with each
//! start.

use crate::support::{Compare, Differ, RawConn, case, multibulk};

const SCRIPT: &str = r##"
## setuser, getuser, list and users
[masked] ACL DELUSER alice bob carol dave
ACL SETUSER alice on >pw ~cache:* +@read
ACL GETUSER alice
ACL LIST
ACL USERS
ACL SETUSER bob on nopass %R~r:* %W~w:* %RW~rw:* &ch -@all +get "(+del ~x)"
ACL GETUSER bob
ACL SETUSER bob (~y +get) (&z +publish %R~q)
ACL GETUSER bob
ACL LIST
ACL SETUSER bob clearselectors resetkeys allkeys resetchannels allchannels
ACL GETUSER bob
ACL SETUSER carol
ACL GETUSER carol
ACL SETUSER carol reset
ACL GETUSER carol
ACL SETUSER carol on >a >b >a #3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d <a
ACL GETUSER carol
ACL SETUSER carol !3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d nopass skip-sanitize-payload
ACL GETUSER carol
ACL SETUSER carol resetpass sanitize-payload off
ACL GETUSER carol
ACL SETUSER dave reset +@all -@dangerous
ACL GETUSER dave
ACL SETUSER dave reset +@read -@string +@hash
ACL SETUSER dave reset +@slow
ACL GETUSER dave
ACL SETUSER dave reset allcommands
ACL GETUSER dave
ACL SETUSER dave nocommands +select|0 +select|1 +select|1
ACL GETUSER dave
ACL SETUSER dave nocommands +config|get
ACL GETUSER dave
ACL SETUSER dave nocommands +client
ACL GETUSER dave
ACL SETUSER dave nocommands +client -client|setname
ACL DRYRUN dave client setname x
ACL DRYRUN dave client id
ACL SETUSER dave reset +@all -config|set
ACL GETUSER dave
ACL SETUSER dave reset ~a %R~a %W~b %W~b %r~c %wR~d
ACL GETUSER dave
ACL LIST
ACL DELUSER alice bob nobody
ACL USERS
ACL GETUSER alice
ACL DELUSER default
ACL DELUSER bob default

## setuser errors
[masked] ACL DELUSER alice bob carol dave
ACL SETUSER alice foo
ACL SETUSER alice on ~a ~* ~b
ACL SETUSER alice allkeys ~b
ACL SETUSER alice &* &b
ACL SETUSER alice allchannels &b
ACL SETUSER alice +nosuch
ACL SETUSER alice +@nosuch
ACL SETUSER alice -@nosuch
ACL SETUSER alice -nosuch
ACL SETUSER alice <nopw
ACL SETUSER alice #abc
ACL SETUSER alice !abc
ACL SETUSER alice #3E23E8160039594A33894F6564E1B1348BBD7A0088D42C4ACB73EEAED59C009D
ACL SETUSER alice +config|get|x
ACL SETUSER alice +get|
ACL SETUSER alice -select|0
ACL SETUSER alice +config|nosuch
ACL SETUSER alice (+get
ACL SETUSER alice on (+get ~x
ACL SETUSER alice "(+get ~x" "+set)" (foo)
ACL SETUSER alice %X~a
ACL SETUSER alice %RR~a
ACL SETUSER alice "~a b"
ACL SETUSER alice "&a b"
ACL SETUSER "a b"
ACL SETUSER "a\x00b" on
ACL USERS
ACL SETUSER
ACL GETUSER
ACL GETUSER a b
ACL NOSUCH
ACL WHOAMI extra
ACL CAT a b
ACL CAT nosuch
ACL GENPASS 0
ACL GENPASS 4097
ACL GENPASS abc
ACL GENPASS 1 2
ACL LOG abc
ACL LOG 1 2
ACL LOAD
ACL SAVE
ACL DRYRUN nobody get k
ACL DRYRUN default nosuch k
ACL DRYRUN default config nosuch
ACL DRYRUN default get
ACL DRYRUN default config get

## noperm for commands, keys and channels
[masked] ACL DELUSER alice bob carol dave
ACL SETUSER bob on nopass %R~r:* %W~w:* %RW~rw:* &ch -@all +get +set +publish +subscribe +psubscribe +acl|whoami +mget +mset +lmove "(+del ~x)"
AUTH bob anything
ACL WHOAMI
SET r:1 x
GET w:1
GET r:1
SET w:1 1
SET w:1 1 GET
SET rw:1 1 GET
MGET r:1 rw:2 w:3
MSET w:1 a w:2 b
MSET w:1 a r:2 b
LMOVE r:1 w:1 LEFT RIGHT
LMOVE w:1 r:1 LEFT RIGHT
DEL x
DEL y
DEL x x
INCR w:1
CONFIG GET maxmemory
PUBLISH ch x
PUBLISH other x
SUBSCRIBE ch other
PSUBSCRIBE c*
ACL WHOAMI

## channel patterns
[masked] ACL DELUSER alice bob carol dave
ACL SETUSER carol on nopass +@all ~* resetchannels &news.* &chat
AUTH carol x
PUBLISH news.1 m
PUBLISH other m
PUBLISH chat m
PSUBSCRIBE news.1
PSUBSCRIBE news*
SUBSCRIBE other
SUBSCRIBE chat news.x
PSUBSCRIBE news.*

## commands with first arguments and subcommands
[masked] ACL DELUSER alice bob carol dave
ACL SETUSER dave on nopass ~* -@all +select|0 +config|get +client|id +object
AUTH dave x
SELECT 0
SELECT 1
CONFIG GET maxmemory
CONFIG SET maxmemory 0
CLIENT ID extra
OBJECT ENCODING k
PING
AUTH default x
ACL DRYRUN dave select 0
ACL DRYRUN dave select 2
ACL DRYRUN dave config set a b
ACL DRYRUN dave object freq k
ACL DRYRUN dave client info

## auth and hello as users
[masked] ACL DELUSER alice bob carol dave
ACL SETUSER alice on >pw ~* +@all
ACL SETUSER bob off >pw ~* +@all
AUTH nobody x
AUTH alice wrong
AUTH bob pw
AUTH alice pw
ACL WHOAMI
AUTH a b c
AUTH x
HELLO 2 AUTH alice wrong
[masked] HELLO 2 AUTH alice pw SETNAME app
CLIENT GETNAME
ACL WHOAMI
RESET
ACL WHOAMI
ACL SETUSER default resetpass >dpw
AUTH default dpw
AUTH dpw
AUTH default wrong
ACL SETUSER default nopass

## dryrun
[masked] ACL DELUSER alice bob carol dave
ACL SETUSER alice on >pw ~cache:* &ch +@read +publish
ACL DRYRUN alice get cache:1
ACL DRYRUN alice get other
ACL DRYRUN alice set cache:1 x
ACL DRYRUN alice mget cache:1 other cache:2
ACL DRYRUN alice publish ch m
ACL DRYRUN alice publish other m
ACL DRYRUN alice config get x
ACL DRYRUN alice ping
ACL DRYRUN alice auth x y
ACL SETUSER alice (~other +set)
ACL DRYRUN alice get other
ACL DRYRUN alice set other x
ACL DRYRUN alice set cache:1 x
ACL DRYRUN alice mget cache:1 other
ACL DRYRUN alice sort cache:1 STORE other

## denials queued in multi
[masked] ACL DELUSER alice bob carol dave
ACL SETUSER carol on >pw ~k* &ch +@all -flushall
AUTH carol pw
MULTI
GET k1
SET zz 1
FLUSHALL
PUBLISH other x
EXEC
MULTI
GET k1
ACL SETUSER carol resetkeys
EXEC
GET k1
ACL SETUSER carol ~*
ACL WHOAMI

## pubsub default
[masked] ACL DELUSER alice bob carol dave
CONFIG SET acl-pubsub-default allchannels
ACL SETUSER alice
ACL SETUSER bob reset
ACL SETUSER carol (+get)
CONFIG SET acl-pubsub-default resetchannels
ACL SETUSER dave
ACL LIST
ACL GETUSER carol

## cat
[sorted] ACL CAT geo
[sorted] ACL CAT hyperloglog
[sorted] ACL CAT bitmap
[sorted] ACL CAT transaction
ACL CAT
[sorted] ACL CAT GEO
"##;

#[tokio::test]
async fn acl() {
    crate::script::run(SCRIPT).await;
}

const SCRIPTS: &str = r##"
## redis.call denied
[masked] ACL DELUSER alice bob carol dave
ACL SETUSER carol on >pw ~k* &ch +@all -flushall
AUTH carol pw
EVAL 'return redis.call("get", "zz")' 0
EVAL 'return redis.call("flushall")' 0
EVAL 'return redis.call("publish", "x", "y")' 0
EVAL 'return redis.call("publish", "ch", "y")' 0
EVAL 'return redis.pcall("get", "zz")' 0
EVAL 'return redis.call("get", "k1")' 0
ACL SETUSER carol ~*
"##;

#[cfg(feature = "scripting")]
#[tokio::test]
async fn acl_in_scripts() {
    crate::script::run(SCRIPTS).await;
}

/// Sends `cmds` on `conn`, then `ACL LOG`, and returns the log's reply with
/// `age-seconds` and `client-info` values masked (both differ by nature);
/// the client-info's `cmd=` and `user=` fields are kept.
async fn log_after(conn: &mut RawConn, cmds: &[&[&str]]) -> Vec<u8> {
    for c in cmds {
        conn.cmd(c.iter().copied()).await;
    }
    let log = conn.cmd(["ACL", "LOG"]).await;
    mask_log(&log)
}

fn mask_log(raw: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(raw).into_owned();
    let mut out = String::new();
    let mut lines = text.split("\r\n").peekable();
    while let Some(line) = lines.next() {
        out.push_str(line);
        out.push_str("\r\n");
        if line == "age-seconds" {
            let v = lines.next().unwrap_or_default();
            if v.starts_with('$') {
                lines.next();
            }
            out.push_str("<age>\r\n");
        } else if line == "client-info" {
            lines.next();
            let info = lines.next().unwrap_or_default();
            let keep: Vec<&str> = info
                .split(' ')
                .filter(|f| {
                    f.starts_with("cmd=") || f.starts_with("user=") || f.starts_with("name=")
                })
                .collect();
            out.push_str(&format!("<info {}>\r\n", keep.join(" ")));
        }
    }
    out.into_bytes()
}

/// ACL LOG entries: reasons, contexts, objects, usernames, counts and the
/// grouping of similar events, in RESP2 and RESP3.
#[tokio::test]
async fn acl_log_entries() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let cmds: &[&[&str]] = &[
        &["ACL", "DELUSER", "bob", "carol"],
        &["ACL", "LOG", "RESET"],
        &[
            "ACL", "SETUSER", "bob", "on", ">pw", "~k*", "&ch", "-@all", "+get", "+set",
            "+publish", "+multi", "+exec", "+eval",
        ],
        &["CLIENT", "SETNAME", "logger"],
        &["AUTH", "nobody", "x"],
        &["auth", "bob", "wrong"],
        &["HELLO", "2", "AUTH", "bob", "wrong"],
        &["AUTH", "bob", "pw"],
        &["GET", "other"],
        &["GET", "other"],
        &["GET", "k1"],
        &["set", "k1", "v"],
        &["DEL", "k1"],
        &["PUBLISH", "nope", "m"],
        &["MULTI"],
        &["GET", "other2"],
        &["CONFIG", "GET", "x"],
        &["EXEC"],
        &["EVAL", "return redis.call('get', 'other3')", "0"],
    ];
    for resp3 in [false, true] {
        let mut real = RawConn::open(differ.real_port()).await;
        let mock = mock_redis::MockRedis::start().await;
        let mut fake = RawConn::open(mock.port()).await;
        if resp3 {
            real.cmd(["HELLO", "3"]).await;
            fake.cmd(["HELLO", "3"]).await;
        }
        let expected = log_after(&mut real, cmds).await;
        let actual = log_after(&mut fake, cmds).await;
        assert_eq!(
            String::from_utf8_lossy(&actual),
            String::from_utf8_lossy(&expected),
            "ACL LOG (RESP3: {resp3})"
        );
        for c in [
            &["ACL", "LOG", "2"][..],
            &["ACL", "LOG", "-1"],
            &["ACL", "LOG", "RESET"],
            &["ACL", "LOG"],
        ] {
            let e = mask_log(&real.cmd(c.iter().copied()).await);
            let a = mask_log(&fake.cmd(c.iter().copied()).await);
            assert_eq!(
                String::from_utf8_lossy(&a),
                String::from_utf8_lossy(&e),
                "{c:?}"
            );
        }
        drop(fake);
        mock.shutdown().await;
    }
}

/// A queued command the rules stopped allowing before EXEC (changed from
/// another connection) fails at EXEC with Redis's text, and is logged.
#[tokio::test]
async fn rules_changed_before_exec() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let mock = mock_redis::MockRedis::start().await;
    let mut outputs = Vec::new();
    for port in [differ.real_port(), mock.port()] {
        let mut admin = RawConn::open(port).await;
        let mut user = RawConn::open(port).await;
        let mut out = Vec::new();
        for c in [
            &["ACL", "DELUSER", "eve"][..],
            &["ACL", "LOG", "RESET"],
            &["ACL", "SETUSER", "eve", "on", ">pw", "~*", "&*", "+@all"],
        ] {
            out.push(admin.cmd(c.iter().copied()).await);
        }
        for c in [
            &["AUTH", "eve", "pw"][..],
            &["MULTI"],
            &["GET", "k"],
            &["PUBLISH", "ch", "m"],
            &["SET", "k", "v"],
        ] {
            out.push(user.cmd(c.iter().copied()).await);
        }
        out.push(
            admin
                .cmd([
                    "ACL",
                    "SETUSER",
                    "eve",
                    "resetkeys",
                    "~j*",
                    "resetchannels",
                    "-set",
                ])
                .await,
        );
        out.push(user.cmd(["EXEC"]).await);
        out.push(mask_log(&admin.cmd(["ACL", "LOG"]).await));
        // Deleting the user closes its connections.
        out.push(admin.cmd(["ACL", "DELUSER", "eve"]).await);
        user.send(&multibulk(["PING"])).await;
        out.push(format!("{:?}", user.read_frame().await).into_bytes());
        outputs.push(out);
    }
    mock.shutdown().await;
    let show = |o: &Vec<Vec<u8>>| {
        o.iter()
            .map(|r| String::from_utf8_lossy(r).into_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(show(&outputs[1]), show(&outputs[0]));
}

/// `Compare` is part of the harness' vocabulary; the cases above use the
/// script format, this one the builder, for a `requirepass` round trip.
#[tokio::test]
async fn requirepass_is_the_default_users_password() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    differ
        .check(&[case("requirepass and the default user")
            .cmd(["CONFIG", "SET", "requirepass", "s3cret"])
            .cmd(["ACL", "GETUSER", "default"])
            .cmd(["ACL", "LIST"])
            .cmd(["AUTH", "wrong"])
            .cmd(["AUTH", "s3cret"])
            .cmd(["AUTH", "default", "s3cret"])
            .cmd(["ACL", "SETUSER", "default", ">other"])
            .cmd(["CONFIG", "GET", "requirepass"])
            .cmd_with(["ACL", "GETUSER", "default"], Compare::Exact)
            .cmd(["CONFIG", "SET", "requirepass", ""])
            .cmd(["ACL", "GETUSER", "default"])
            .cmd(["AUTH", "x"])])
        .await;
}
