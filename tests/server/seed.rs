//! `MockRedis::seed` makes every random pick reproducible: two servers given
//! the same seed and the same commands answer alike, RANDOMKEY included.

use mock_redis::MockRedis;

/// The random picks of a fixed script on a fresh server seeded with `seed`.
fn picks(seed: u64) -> redis::RedisResult<Vec<String>> {
    let server = MockRedis::start_blocking();
    server.seed(seed);
    let mut conn = redis::Client::open(server.url())?.get_connection()?;
    let _: () = redis::cmd("MSET")
        .arg(&["a", "1", "b", "2", "c", "3", "d", "4", "e", "5", "f", "6"])
        .query(&mut conn)?;
    let _: i64 = redis::cmd("SADD")
        .arg("s")
        .arg(&["a", "b", "c", "d", "e", "f", "g", "h"])
        .query(&mut conn)?;
    let _: i64 = redis::cmd("HSET")
        .arg("h")
        .arg(&["f1", "1", "f2", "2", "f3", "3", "f4", "4"])
        .query(&mut conn)?;
    let mut out = Vec::new();
    for _ in 0..12 {
        out.push(redis::cmd("RANDOMKEY").query(&mut conn)?);
    }
    let members: Vec<String> = redis::cmd("SRANDMEMBER").arg("s").arg(3).query(&mut conn)?;
    out.extend(members);
    let fields: Vec<String> = redis::cmd("HRANDFIELD").arg("h").arg(-3).query(&mut conn)?;
    out.extend(fields);
    Ok(out)
}

#[test]
fn seeded_servers_pick_alike() -> redis::RedisResult<()> {
    let first = picks(7)?;
    for _ in 0..3 {
        assert_eq!(picks(7)?, first);
    }
    // Twelve RANDOMKEY picks among eight keys: other seeds (almost surely)
    // pick differently.
    let mut others = Vec::new();
    for seed in 0..4 {
        others.push(picks(seed)?);
    }
    assert!(others.iter().any(|o| o[..12] != first[..12]), "{others:?}");
    Ok(())
}
