//! ACL through real clients: redis-rs connecting as a user (the builder's
//! `.user(..)`, `url_for`), a key and a command denied with Redis's NOPERM
//! texts, a user deleted under a live connection, `requirepass` in
//! `url()`, and the ACL file (`aclfile`) loaded at start, saved and
//! reloaded.

use mock_redis::MockRedis;
use redis::RedisResult;

/// An ACL user denied a key: the interaction the closing note shows.
#[tokio::test]
async fn an_acl_user_is_denied_a_key() -> RedisResult<()> {
    let server = MockRedis::builder()
        .user("alice", "on >pw ~cache:* +@read +@write -flushall")
        .start()
        .await;
    let client = redis::Client::open(server.url_for("alice", "pw"))?;
    let mut conn = client.get_multiplexed_async_connection().await?;
    // ACL WHOAMI is in @slow only, not @read or @write: alice may not run it.
    let err = redis::cmd("ACL")
        .arg("WHOAMI")
        .query_async::<String>(&mut conn)
        .await
        .unwrap_err();
    assert_eq!(
        err.detail(),
        Some("this user has no permissions to run the 'acl|whoami' command")
    );
    let () = redis::cmd("SET")
        .arg("cache:1")
        .arg("v")
        .query_async(&mut conn)
        .await?;
    let v: String = redis::cmd("GET")
        .arg("cache:1")
        .query_async(&mut conn)
        .await?;
    assert_eq!(v, "v");
    let err = redis::cmd("GET")
        .arg("secret")
        .query_async::<Option<String>>(&mut conn)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NOPERM"));
    assert_eq!(
        err.detail(),
        Some("this user has no permissions to access one of the keys used as arguments")
    );
    let err = redis::cmd("FLUSHALL")
        .query_async::<()>(&mut conn)
        .await
        .unwrap_err();
    assert_eq!(
        err.detail(),
        Some("this user has no permissions to run the 'flushall' command")
    );

    // The default user sees both denials in the ACL log.
    let mut admin = redis::Client::open(server.url())?
        .get_multiplexed_async_connection()
        .await?;
    let log: Vec<redis::Value> = redis::cmd("ACL").arg("LOG").query_async(&mut admin).await?;
    let text = format!("{log:?}");
    assert!(
        text.contains("secret") && text.contains("flushall") && text.contains("alice"),
        "{text}"
    );
    let users: Vec<String> = redis::cmd("ACL")
        .arg("USERS")
        .query_async(&mut admin)
        .await?;
    assert_eq!(users, ["alice", "default"]);
    Ok(())
}

#[tokio::test]
async fn wrong_credentials_and_disabled_users_fail_to_connect() {
    let server = MockRedis::builder()
        .user("alice", "on >pw +@all ~*")
        .user("bob", "off >pw +@all ~*")
        .start()
        .await;
    for url in [
        server.url_for("alice", "nope"),
        server.url_for("bob", "pw"),
        server.url_for("carol", "pw"),
    ] {
        let err = redis::Client::open(url)
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap_err();
        // redis-rs reads Redis's WRONGPASS reply as a failed authentication.
        assert!(
            format!("{:?}", err.kind()).contains("AuthenticationFailed"),
            "{err}"
        );
    }
}

#[tokio::test]
async fn a_deleted_user_loses_its_connections() -> RedisResult<()> {
    let server = MockRedis::builder()
        .user("alice", "on >pw +@all ~*")
        .start()
        .await;
    let mut alice = redis::Client::open(server.url_for("alice", "pw"))?
        .get_connection_manager()
        .await?;
    let mut admin = redis::Client::open(server.url())?
        .get_multiplexed_async_connection()
        .await?;
    let deleted: i64 = redis::cmd("ACL")
        .arg("DELUSER")
        .arg("alice")
        .query_async(&mut admin)
        .await?;
    assert_eq!(deleted, 1);
    // The connection was closed; reconnecting as alice now fails.
    crate::support::eventually("alice's connection is refused", async || {
        redis::cmd("PING")
            .query_async::<String>(&mut alice)
            .await
            .is_err()
    })
    .await;
    Ok(())
}

#[tokio::test]
async fn url_carries_the_requirepass_and_default_user_rules_apply() -> RedisResult<()> {
    let server = MockRedis::builder()
        .requirepass("s3cret")
        .user("default", "on >s3cret ~* &* +@all -keys")
        .start()
        .await;
    let mut conn = redis::Client::open(server.url())?
        .get_multiplexed_async_connection()
        .await?;
    let err = redis::cmd("KEYS")
        .arg("*")
        .query_async::<Vec<String>>(&mut conn)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NOPERM"));
    let who: String = redis::cmd("ACL")
        .arg("WHOAMI")
        .query_async(&mut conn)
        .await?;
    assert_eq!(who, "default");
    Ok(())
}

#[test]
fn invalid_builder_rules_fail_the_start() {
    let err = MockRedis::builder()
        .user("alice", "on >pw +nosuch")
        .try_start_blocking()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Error loading ACL rule '+nosuch' for the user named 'alice': Unknown command or category name in ACL"
    );
}

#[tokio::test]
async fn the_acl_file_is_loaded_saved_and_reloaded() -> RedisResult<()> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users.acl");
    std::fs::write(
        &path,
        "user bob on >pw ~k:* +@all\n\nuser default on nopass ~* &* +@all\n",
    )
    .unwrap();
    let server = MockRedis::builder().aclfile(&path).start().await;
    let mut admin = redis::Client::open(server.url())?
        .get_multiplexed_async_connection()
        .await?;
    let mut bob = redis::Client::open(server.url_for("bob", "pw"))?
        .get_multiplexed_async_connection()
        .await?;
    let err = redis::cmd("GET")
        .arg("x")
        .query_async::<Option<String>>(&mut bob)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NOPERM"));

    let () = redis::cmd("ACL")
        .arg("SETUSER")
        .arg("carol")
        .arg("on")
        .arg(">c")
        .arg("~*")
        .arg("+get")
        .query_async(&mut admin)
        .await?;
    let () = redis::cmd("ACL")
        .arg("SAVE")
        .query_async(&mut admin)
        .await?;
    let saved = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        saved,
        "user bob on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~k:* resetchannels +@all\n\
         user carol on #2f2b6c5bd9dc4b1e1a9de8797bc9cc1d2a3e3c1b0b6d93ad4bc0a51fbb3f4b3b ~* resetchannels -@all +get\n\
         user default on nopass ~* &* +@all\n"
            .replace("2f2b6c5bd9dc4b1e1a9de8797bc9cc1d2a3e3c1b0b6d93ad4bc0a51fbb3f4b3b", &sha256_hex(b"c"))
    );

    // A file with an error changes nothing.
    std::fs::write(&path, "user bob on +nosuch\nnot a user line\n").unwrap();
    let err = redis::cmd("ACL")
        .arg("LOAD")
        .query_async::<()>(&mut admin)
        .await
        .unwrap_err();
    let path_text = path.display().to_string();
    assert_eq!(
        err.detail(),
        Some(
            format!(
                "{path_text}:1: Unknown command or category name in ACL. {path_text}:2 should start with user keyword followed by the username. WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
            )
            .as_str()
        ),
        "{err}"
    );
    let users: Vec<String> = redis::cmd("ACL")
        .arg("USERS")
        .query_async(&mut admin)
        .await?;
    assert_eq!(users, ["bob", "carol", "default"]);

    // A good file replaces every user.
    std::fs::write(&path, "user dave on nopass ~* +@all\n").unwrap();
    let () = redis::cmd("ACL")
        .arg("LOAD")
        .query_async(&mut admin)
        .await?;
    let users: Vec<String> = redis::cmd("ACL")
        .arg("USERS")
        .query_async(&mut admin)
        .await?;
    assert_eq!(users, ["dave", "default"]);
    Ok(())
}

fn sha256_hex(data: &[u8]) -> String {
    // The digest `ACL GETUSER` shows for a password, read from the server
    // itself would be circular: compute it with the system's sha256sum.
    let out = std::process::Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(data)?;
            child.wait_with_output()
        })
        .expect("sha256sum");
    String::from_utf8(out.stdout).unwrap()[..64].to_string()
}

#[test]
fn aclfile_and_users_cannot_be_combined() {
    let err = MockRedis::builder()
        .user("alice", "on")
        .aclfile("/nonexistent/users.acl")
        .try_start_blocking()
        .unwrap_err();
    assert!(err.to_string().contains("but not both"), "{err}");
    let err = MockRedis::builder()
        .aclfile("/nonexistent/users.acl")
        .try_start_blocking()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Aborting Redis startup because of ACL errors: Error loading ACLs, opening file '/nonexistent/users.acl': No such file or directory"
    );
}
