//! Geo commands: GEOADD, GEODIST, GEOHASH, GEOPOS, GEORADIUS,
//! GEORADIUSBYMEMBER (and their `_RO` forms), GEOSEARCH, GEOSEARCHSTORE.
//!
//! A geo index is a sorted set whose scores are 52-bit geohashes (the
//! arithmetic is in `util/geohash.rs`); GEOADD is a ZADD of those scores,
//! run through the ZADD handler as Redis does. Searches scan the cells
//! Redis scans in the same order, so unsorted results, `COUNT ... ANY`
//! cut-offs and STORE destinations match redis-server. Sorting is Redis's
//! too: a stable sort by distance for the whole result (glibc's `qsort`),
//! Redis's partial quicksort when COUNT keeps fewer, so equal distances
//! come out in redis-server's order either way.
//!
//! Coordinates are replied as Redis's `addReplyHumanLongDouble` writes them
//! (`%.17Lf` without trailing zeros: [`Reply::DoubleText`]) and distances
//! with four decimals.

use std::cmp::Ordering;

use bytes::Bytes;

use crate::engine::Ctx;
use crate::engine::command::{
    BeginSearch, CmdResult, CommandSpec, CommandTable, FindKeys, KeySpecDef, acl, flags::*,
};
use crate::engine::keyspace::{Db, events};
use crate::engine::types::Value;
use crate::engine::types::zset::ZSet;
use crate::engine::util::args::{self, is};
use crate::engine::util::errors::{err, one_line_error, syntax_error};
use crate::engine::util::geohash::{self, Extent, LAT_MAX, LAT_MIN, LONG_MAX, LONG_MIN, Shape};
use crate::protocol::Reply;

const RADIUS_DOC: &str = "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.";
const SEARCH_DOC: &str = "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape";

/// GEORADIUS's key specs: the source, then a STORE or STOREDIST
/// destination found by keyword from `startfrom`.
macro_rules! radius_store_specs {
    ($startfrom:expr) => {
        &[
            KeySpecDef {
                notes: "",
                flags: &["RO", "access"],
                begin: BeginSearch::Index(1),
                find: FindKeys::Range {
                    lastkey: 0,
                    keystep: 1,
                    limit: 0,
                },
            },
            KeySpecDef {
                notes: "",
                flags: &["OW", "update"],
                begin: BeginSearch::Keyword {
                    keyword: "STORE",
                    startfrom: $startfrom,
                },
                find: FindKeys::Range {
                    lastkey: 0,
                    keystep: 1,
                    limit: 0,
                },
            },
            KeySpecDef {
                notes: "",
                flags: &["OW", "update"],
                begin: BeginSearch::Keyword {
                    keyword: "STOREDIST",
                    startfrom: $startfrom,
                },
                find: FindKeys::Range {
                    lastkey: 0,
                    keystep: 1,
                    limit: 0,
                },
            },
        ]
    };
}

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("geoadd", -5, geoadd)
        .flags(WRITE | DENYOOM)
        .acl(acl::GEO)
        .keys(1, 1, 1, &["RW", "update"])
        .doc("geo", "3.2.0", "O(log(N)) for each item added, where N is the number of elements in the sorted set.", "Add one or more geospatial items in the geospatial index represented using a sorted set"),
    CommandSpec::new("geodist", -4, geodist)
        .flags(READONLY)
        .acl(acl::GEO)
        .keys(1, 1, 1, &["RO", "access"])
        .doc("geo", "3.2.0", "O(log(N))", "Returns the distance between two members of a geospatial index"),
    CommandSpec::new("geohash", -2, geohash_cmd)
        .flags(READONLY)
        .acl(acl::GEO)
        .keys(1, 1, 1, &["RO", "access"])
        .doc("geo", "3.2.0", "O(log(N)) for each member requested, where N is the number of elements in the sorted set.", "Returns members of a geospatial index as standard geohash strings"),
    CommandSpec::new("geopos", -2, geopos)
        .flags(READONLY)
        .acl(acl::GEO)
        .keys(1, 1, 1, &["RO", "access"])
        .doc("geo", "3.2.0", "O(N) where N is the number of members requested.", "Returns longitude and latitude of members of a geospatial index"),
    CommandSpec::new("georadius", -6, georadius)
        .flags(WRITE | DENYOOM | MOVABLEKEYS)
        .acl(acl::GEO)
        .keys(1, 1, 1, &["RO", "access"])
        .key_specs(radius_store_specs!(6))
        .getkeys(georadius_keys)
        .doc("geo", "3.2.0", RADIUS_DOC, "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point"),
    CommandSpec::new("georadius_ro", -6, georadius_ro)
        .flags(READONLY)
        .acl(acl::GEO)
        .keys(1, 1, 1, &["RO", "access"])
        .doc("geo", "3.2.10", RADIUS_DOC, "A read-only variant for GEORADIUS"),
    CommandSpec::new("georadiusbymember", -5, georadiusbymember)
        .flags(WRITE | DENYOOM | MOVABLEKEYS)
        .acl(acl::GEO)
        .keys(1, 1, 1, &["RO", "access"])
        .key_specs(radius_store_specs!(5))
        .getkeys(georadiusbymember_keys)
        .doc("geo", "3.2.0", RADIUS_DOC, "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member"),
    CommandSpec::new("georadiusbymember_ro", -5, georadiusbymember_ro)
        .flags(READONLY)
        .acl(acl::GEO)
        .keys(1, 1, 1, &["RO", "access"])
        .doc("geo", "3.2.10", RADIUS_DOC, "A read-only variant for GEORADIUSBYMEMBER"),
    CommandSpec::new("geosearch", -7, geosearch)
        .flags(READONLY)
        .acl(acl::GEO)
        .keys(1, 1, 1, &["RO", "access"])
        .doc("geo", "6.2.0", SEARCH_DOC, "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle."),
    CommandSpec::new("geosearchstore", -8, geosearchstore)
        .flags(WRITE | DENYOOM)
        .acl(acl::GEO)
        .keys(1, 2, 1, &["OW", "update"])
        .key_specs(&[
            KeySpecDef { notes: "", flags: &["OW", "update"], begin: BeginSearch::Index(1), find: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpecDef { notes: "", flags: &["RO", "access"], begin: BeginSearch::Index(2), find: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ])
        .doc("geo", "6.2.0", SEARCH_DOC, "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key."),
];

/// The keys Redis 7.0 finds with GEORADIUS's key specs: the source, then
/// the argument after the first `STORE` and after the first `STOREDIST`
/// at or after `startfrom` (the last argument is never a keyword).
fn store_keys(args: &[Bytes], startfrom: usize) -> Vec<usize> {
    let mut keys = vec![1];
    for keyword in ["store", "storedist"] {
        let end = args.len().saturating_sub(1);
        if let Some(i) = (startfrom..end).find(|&i| is(&args[i], keyword)) {
            keys.push(i + 1);
        }
    }
    keys
}

/// `getkeys` of GEORADIUS.
fn georadius_keys(args: &[Bytes]) -> Vec<usize> {
    store_keys(args, 6)
}

/// `getkeys` of GEORADIUSBYMEMBER.
fn georadiusbymember_keys(args: &[Bytes]) -> Vec<usize> {
    store_keys(args, 5)
}

// --- replies and argument helpers --------------------------------------------

/// A coordinate as Redis's `addReplyHumanLongDouble` writes it: `%.17Lf`
/// with the trailing zeros (and a bare `.`) removed, `-0` as `0`.
fn human(d: f64) -> Reply {
    let text = if d.is_infinite() {
        if d > 0.0 { "inf" } else { "-inf" }.to_string()
    } else if d.is_nan() {
        "nan".to_string()
    } else {
        let s = format!("{d:.17}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "-0" {
            "0".to_string()
        } else {
            s.to_string()
        }
    };
    Reply::DoubleText(Bytes::from(text))
}

/// A distance as Redis writes it: a bulk string with four decimals.
fn distance_reply(d: f64) -> Reply {
    let text = if d.is_nan() {
        "nan".to_string()
    } else if d.is_infinite() {
        if d > 0.0 { "inf" } else { "-inf" }.to_string()
    } else {
        format!("{d:.4}")
    };
    Reply::Bulk(Bytes::from(text))
}

/// Two arguments as a longitude and a latitude (Redis's
/// `extractLongLatOrReply`).
fn lon_lat(lon: &[u8], lat: &[u8]) -> Result<(f64, f64), Reply> {
    let lon = args::float(lon)?;
    let lat = args::float(lat)?;
    if !(LONG_MIN..=LONG_MAX).contains(&lon) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        return Err(Reply::Error(Bytes::from(format!(
            "ERR invalid longitude,latitude pair {lon:.6},{lat:.6}"
        ))));
    }
    Ok((lon, lat))
}

/// A unit's size in meters (Redis's `extractUnitOrReply`).
fn unit(arg: &[u8]) -> Result<f64, Reply> {
    if is(arg, "m") {
        Ok(1.0)
    } else if is(arg, "km") {
        Ok(1000.0)
    } else if is(arg, "ft") {
        Ok(0.3048)
    } else if is(arg, "mi") {
        Ok(1609.34)
    } else {
        Err(err(
            "ERR unsupported unit provided. please use M, KM, FT, MI",
        ))
    }
}

/// `<radius> <unit>`: the radius and the unit's size in meters.
fn radius_arg(radius: &[u8], u: &[u8]) -> Result<(f64, f64), Reply> {
    let r = args::float_or(radius, "ERR need numeric radius")?;
    if r < 0.0 {
        return Err(err("ERR radius cannot be negative"));
    }
    Ok((r, unit(u)?))
}

/// `<width> <height> <unit>`.
fn box_arg(width: &[u8], height: &[u8], u: &[u8]) -> Result<(f64, f64, f64), Reply> {
    let w = args::float_or(width, "ERR need numeric width")?;
    let h = args::float_or(height, "ERR need numeric height")?;
    if h < 0.0 || w < 0.0 {
        return Err(err("ERR height or width cannot be negative"));
    }
    Ok((w, h, unit(u)?))
}

/// The position of a member of `z` (`None` when it is not there).
fn member_pos(z: &ZSet, member: &[u8]) -> Option<(f64, f64)> {
    z.score(member).and_then(geohash::decode_score)
}

const NO_MEMBER: &str = "ERR could not decode requested zset member";

// --- GEOADD, GEODIST, GEOHASH, GEOPOS ----------------------------------------

fn geoadd(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = ctx.args;
    let (mut nx, mut xx) = (false, false);
    let mut longidx = 2;
    while longidx < args.len() {
        let a = &args[longidx];
        if is(a, "nx") {
            nx = true;
        } else if is(a, "xx") {
            xx = true;
        } else if !is(a, "ch") {
            break;
        }
        longidx += 1;
    }
    if (args.len() - longidx) % 3 != 0 || (xx && nx) {
        return Err(syntax_error());
    }
    // Rewrite as ZADD key [options] score member ..., as Redis does.
    let mut argv: Vec<Bytes> = Vec::with_capacity(longidx + (args.len() - longidx) / 3 * 2);
    argv.push(Bytes::from_static(b"zadd"));
    argv.extend(args[1..longidx].iter().cloned());
    for triple in args[longidx..].chunks_exact(3) {
        let (lon, lat) = lon_lat(&triple[0], &triple[1])?;
        let score = geohash::score_of(lon, lat).unwrap_or(0);
        argv.push(Bytes::from(score.to_string()));
        argv.push(triple[2].clone());
    }
    let zadd = CommandTable::get()
        .lookup(b"zadd")
        .and_then(|spec| spec.handler)
        .expect("ZADD is in the command table");
    let mut sub = Ctx {
        engine: &mut *ctx.engine,
        client: &mut *ctx.client,
        args: &argv,
    };
    zadd(&mut sub)
}

fn geodist(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = ctx.args;
    let to_meter = match args.len() {
        5 => unit(&args[4])?,
        n if n > 5 => return Err(syntax_error()),
        _ => 1.0,
    };
    let Some(z) = ctx.db().get_zset(&args[1])? else {
        return Ok(Reply::Nil);
    };
    let (Some(s1), Some(s2)) = (z.score(&args[2]), z.score(&args[3])) else {
        return Ok(Reply::Nil);
    };
    match (geohash::decode_score(s1), geohash::decode_score(s2)) {
        (Some((lon1, lat1)), Some((lon2, lat2))) => Ok(distance_reply(
            geohash::distance(lon1, lat1, lon2, lat2) / to_meter,
        )),
        _ => Ok(Reply::Nil),
    }
}

fn geohash_cmd(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = ctx.args;
    let z = ctx.db().get_zset(&args[1])?;
    Ok(Reply::Array(
        args[2..]
            .iter()
            .map(|m| match z.and_then(|z| member_pos(z, m)) {
                Some((lon, lat)) => Reply::Bulk(Bytes::from(geohash::geohash_string(lon, lat))),
                None => Reply::Nil,
            })
            .collect(),
    ))
}

fn geopos(ctx: &mut Ctx<'_>) -> CmdResult {
    let args = ctx.args;
    let z = ctx.db().get_zset(&args[1])?;
    Ok(Reply::Array(
        args[2..]
            .iter()
            .map(|m| match z.and_then(|z| member_pos(z, m)) {
                Some((lon, lat)) => Reply::Array(vec![human(lon), human(lat)]),
                None => Reply::NilArray,
            })
            .collect(),
    ))
}

// --- the searches ---------------------------------------------------------------

/// Which command runs the search (Redis's `georadiusGeneric` flags).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// GEORADIUS / GEORADIUS_RO: a centre given as coordinates.
    Coords { store: bool },
    /// GEORADIUSBYMEMBER / _RO: a centre given as a member.
    Member { store: bool },
    /// GEOSEARCH / GEOSEARCHSTORE.
    Search { store: bool },
}

fn georadius(ctx: &mut Ctx<'_>) -> CmdResult {
    search(ctx, Kind::Coords { store: true })
}

fn georadius_ro(ctx: &mut Ctx<'_>) -> CmdResult {
    search(ctx, Kind::Coords { store: false })
}

fn georadiusbymember(ctx: &mut Ctx<'_>) -> CmdResult {
    search(ctx, Kind::Member { store: true })
}

fn georadiusbymember_ro(ctx: &mut Ctx<'_>) -> CmdResult {
    search(ctx, Kind::Member { store: false })
}

fn geosearch(ctx: &mut Ctx<'_>) -> CmdResult {
    search(ctx, Kind::Search { store: false })
}

fn geosearchstore(ctx: &mut Ctx<'_>) -> CmdResult {
    search(ctx, Kind::Search { store: true })
}

/// One point a search found.
struct Found {
    member: Bytes,
    score: f64,
    lon: f64,
    lat: f64,
    dist: f64,
}

/// The members of `z` inside `shape`, cell by cell in Redis's order,
/// stopping once `limit` (when non-zero) are found.
fn points_in(z: &ZSet, shape: &Shape, limit: usize) -> Vec<Found> {
    let mut out: Vec<Found> = Vec::new();
    let cells = shape.cells();
    // Huge radii can make neighbours coincide: a cell equal to the one
    // processed just before is skipped (Redis does not compare with the
    // centre cell, index 0).
    let mut last_processed = 0;
    for (i, cell) in cells.iter().enumerate() {
        let Some(cell) = *cell else {
            continue;
        };
        if last_processed != 0 && cells[last_processed] == Some(cell) {
            continue;
        }
        if limit > 0 && out.len() >= limit {
            break;
        }
        let (min, max) = geohash::score_range(cell);
        let start = z.count_while(|s, _| s < min);
        for (member, score) in z.range(start, z.len()) {
            if score >= max {
                break;
            }
            if let Some(((lon, lat), dist)) = shape.contains(score) {
                out.push(Found {
                    member: Bytes::copy_from_slice(member),
                    score,
                    lon,
                    lat,
                    dist,
                });
            }
            if limit > 0 && out.len() >= limit {
                break;
            }
        }
        last_processed = i;
    }
    out
}

/// The sorted set at `key` without counting a keyspace hit (the search
/// already looked it up once, as Redis does).
fn zset_at<'a>(db: &'a mut Db, key: &[u8]) -> Option<&'a ZSet> {
    match db.entry(key).map(|e| e.value) {
        Some(Value::ZSet(z)) => Some(z),
        _ => None,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sort {
    None,
    Asc,
    Desc,
}

/// Redis's `georadiusGeneric`.
fn search(ctx: &mut Ctx<'_>, kind: Kind) -> CmdResult {
    let args = ctx.args;
    let src_idx = if matches!(kind, Kind::Search { store: true }) {
        2
    } else {
        1
    };
    let limits = super::sorted_sets::limits(ctx);
    let db = ctx.db();
    // The source is looked up (and its type checked) first.
    let src = &args[src_idx];
    let exists = db.get_zset(src)?.is_some();
    let mut store_key: Option<Bytes> = None;
    let mut storedist = false;
    let mut center: Option<(f64, f64)> = None;
    let mut extent: Option<(Extent, f64)> = None;
    let base = match kind {
        Kind::Coords { .. } => {
            center = Some(lon_lat(&args[2], &args[3])?);
            let (r, conv) = radius_arg(&args[4], &args[5])?;
            extent = Some((Extent::Radius(r), conv));
            6
        }
        Kind::Member { .. } => {
            if let Some(z) = zset_at(db, src) {
                center = Some(member_pos(z, &args[2]).ok_or_else(|| err(NO_MEMBER))?);
                let (r, conv) = radius_arg(&args[3], &args[4])?;
                extent = Some((Extent::Radius(r), conv));
            }
            5
        }
        Kind::Search { store } => {
            if store {
                store_key = Some(args[1].clone());
                3
            } else {
                2
            }
        }
    };
    let search = matches!(kind, Kind::Search { .. });
    let search_store = matches!(kind, Kind::Search { store: true });
    let nostore = matches!(
        kind,
        Kind::Coords { store: false } | Kind::Member { store: false }
    );
    let (mut withdist, mut withhash, mut withcoord, mut any) = (false, false, false, false);
    let (mut frommember, mut fromloc, mut byradius, mut bybox) = (false, false, false, false);
    let mut sort = Sort::None;
    let mut count: i64 = 0;
    let opts = &args[base.min(args.len())..];
    let remaining = opts.len();
    let mut i = 0;
    while i < remaining {
        let a = &opts[i];
        if is(a, "withdist") {
            withdist = true;
        } else if is(a, "withhash") {
            withhash = true;
        } else if is(a, "withcoord") {
            withcoord = true;
        } else if is(a, "any") {
            any = true;
        } else if is(a, "asc") {
            sort = Sort::Asc;
        } else if is(a, "desc") {
            sort = Sort::Desc;
        } else if is(a, "count") && i + 1 < remaining {
            count = args::int(&opts[i + 1])?;
            if count <= 0 {
                return Err(err("ERR COUNT must be > 0"));
            }
            i += 1;
        } else if (is(a, "store") || is(a, "storedist")) && i + 1 < remaining && !nostore && !search
        {
            store_key = Some(opts[i + 1].clone());
            storedist = is(a, "storedist");
            i += 1;
        } else if is(a, "storedist") && search_store {
            storedist = true;
        } else if is(a, "frommember") && i + 1 < remaining && search && !fromloc {
            if let Some(z) = zset_at(db, src) {
                center = Some(member_pos(z, &opts[i + 1]).ok_or_else(|| err(NO_MEMBER))?);
            }
            frommember = true;
            i += 1;
        } else if is(a, "fromlonlat") && i + 2 < remaining && search && !frommember {
            center = Some(lon_lat(&opts[i + 1], &opts[i + 2])?);
            fromloc = true;
            i += 2;
        } else if is(a, "byradius") && i + 2 < remaining && search && !bybox {
            let (r, conv) = radius_arg(&opts[i + 1], &opts[i + 2])?;
            extent = Some((Extent::Radius(r), conv));
            byradius = true;
            i += 2;
        } else if is(a, "bybox") && i + 3 < remaining && search && !byradius {
            let (w, h, conv) = box_arg(&opts[i + 1], &opts[i + 2], &opts[i + 3])?;
            extent = Some((
                Extent::Box {
                    width: w,
                    height: h,
                },
                conv,
            ));
            bybox = true;
            i += 3;
        } else {
            return Err(syntax_error());
        }
        i += 1;
    }
    if store_key.is_some() && (withdist || withhash || withcoord) {
        return Err(err(if search_store {
            "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        } else {
            "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        }));
    }
    let name = || args[0].split(|b| *b == 0).next().unwrap_or(&[]).to_vec();
    if search && !(frommember || fromloc) {
        let mut text =
            b"ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ".to_vec();
        text.extend(name());
        return Err(one_line_error(text));
    }
    if search && !(byradius || bybox) {
        let mut text = b"ERR exactly one of BYRADIUS and BYBOX can be specified for ".to_vec();
        text.extend(name());
        return Err(one_line_error(text));
    }
    if any && count == 0 {
        return Err(err("ERR the ANY argument requires COUNT argument"));
    }
    if !exists {
        return Ok(match store_key {
            Some(dst) => {
                if db.remove(&dst).is_some() {
                    db.notify(events::GENERIC, "del", &dst);
                }
                Reply::Integer(0)
            }
            None => Reply::Array(Vec::new()),
        });
    };
    if count != 0 && sort == Sort::None && !any {
        sort = Sort::Asc;
    }
    let (Some((lon, lat)), Some((extent, conversion))) = (center, extent) else {
        // Every path that reaches here with a source has set both.
        return Err(syntax_error());
    };
    let shape = Shape {
        lon,
        lat,
        extent,
        conversion,
    };
    let limit = if any { count as usize } else { 0 };
    let mut found = zset_at(db, src).map_or_else(Vec::new, |z| points_in(z, &shape, limit));
    if found.is_empty() && store_key.is_none() {
        return Ok(Reply::Array(Vec::new()));
    }
    let returned = if count == 0 || (found.len() as i64) < count {
        found.len()
    } else {
        count as usize
    };
    if sort != Sort::None {
        // Redis's comparator: by distance, "equal" unless one is greater
        // (so a NaN sorts first), reversed for DESC.
        let asc = |a: &Found, b: &Found| {
            if a.dist > b.dist {
                Ordering::Greater
            } else if a.dist == b.dist {
                Ordering::Equal
            } else {
                Ordering::Less
            }
        };
        let cmp = |a: &Found, b: &Found| match sort {
            Sort::Desc => asc(a, b).reverse(),
            _ => asc(a, b),
        };
        if returned == found.len() {
            // glibc's qsort: a merge sort, stable.
            found.sort_by(cmp);
        } else {
            pqsort(&mut found, &cmp, 0, returned - 1);
        }
    }
    found.truncate(returned);
    let Some(dst) = store_key else {
        let options = withdist as usize + withhash as usize + withcoord as usize;
        return Ok(Reply::Array(
            found
                .into_iter()
                .map(|p| {
                    if options == 0 {
                        return Reply::Bulk(p.member);
                    }
                    let mut item = vec![Reply::Bulk(p.member)];
                    if withdist {
                        item.push(distance_reply(p.dist / conversion));
                    }
                    if withhash {
                        item.push(Reply::Integer(p.score as i64));
                    }
                    if withcoord {
                        item.push(Reply::Array(vec![human(p.lon), human(p.lat)]));
                    }
                    Reply::Array(item)
                })
                .collect(),
        ));
    };
    if returned == 0 {
        if db.remove(&dst).is_some() {
            db.notify(events::GENERIC, "del", &dst);
        }
        return Ok(Reply::Integer(0));
    }
    let mut result = ZSet::new();
    result.set_skiplist();
    for p in found {
        let score = if storedist {
            p.dist / conversion
        } else {
            p.score
        };
        result.insert_with(&p.member, score, limits);
    }
    result.settle_encoding(limits);
    db.insert(&dst, Value::ZSet(Box::new(result)));
    db.notify(
        events::ZSET,
        if search {
            "geosearchstore"
        } else {
            "georadiusstore"
        },
        &dst,
    );
    Ok(Reply::Integer(returned as i64))
}

// --- Redis's partial quicksort -------------------------------------------------

/// Redis's `pqsort` (Bentley & McIlroy's quicksort that only recurses into
/// partitions overlapping `lrange..=rrange`; Redis 7.0's has no switch to
/// insertion sort after a swap-free pass): what GEORADIUS & co. sort with
/// when COUNT keeps fewer results than were found. Equal elements end up in
/// the order its swaps leave them, which is what this reproduces.
fn pqsort<T>(v: &mut [T], cmp: &impl Fn(&T, &T) -> Ordering, lrange: usize, rrange: usize) {
    let n = v.len();
    partial_sort(v, 0, n, cmp, lrange, rrange);
}

fn insertion_sort<T>(v: &mut [T], a: usize, n: usize, cmp: &impl Fn(&T, &T) -> Ordering) {
    for pm in a + 1..a + n {
        let mut pl = pm;
        while pl > a && cmp(&v[pl - 1], &v[pl]) == Ordering::Greater {
            v.swap(pl, pl - 1);
            pl -= 1;
        }
    }
}

fn med3<T>(v: &[T], a: usize, b: usize, c: usize, cmp: &impl Fn(&T, &T) -> Ordering) -> usize {
    let lt = |x: usize, y: usize| cmp(&v[x], &v[y]) == Ordering::Less;
    let gt = |x: usize, y: usize| cmp(&v[x], &v[y]) == Ordering::Greater;
    if lt(a, b) {
        if lt(b, c) {
            b
        } else if lt(a, c) {
            c
        } else {
            a
        }
    } else if gt(b, c) {
        b
    } else if lt(a, c) {
        a
    } else {
        c
    }
}

fn block_swap<T>(v: &mut [T], a: usize, b: usize, n: usize) {
    for i in 0..n {
        v.swap(a + i, b + i);
    }
}

fn partial_sort<T>(
    v: &mut [T],
    mut a: usize,
    mut n: usize,
    cmp: &impl Fn(&T, &T) -> Ordering,
    lrange: usize,
    rrange: usize,
) {
    // Whether elements a..a+n hold part of lrange..=rrange.
    let overlaps =
        |a: usize, n: usize| !((lrange < a && rrange < a) || (lrange >= a + n && rrange >= a + n));
    loop {
        if n < 7 {
            insertion_sort(v, a, n, cmp);
            return;
        }
        let mut pm = a + n / 2;
        if n > 7 {
            let mut pl = a;
            let mut pn = a + n - 1;
            if n > 40 {
                let d = n / 8;
                pl = med3(v, pl, pl + d, pl + 2 * d, cmp);
                pm = med3(v, pm - d, pm, pm + d, cmp);
                pn = med3(v, pn - 2 * d, pn - d, pn, cmp);
            }
            pm = med3(v, pl, pm, pn, cmp);
        }
        v.swap(a, pm);
        let (mut pa, mut pb) = (a + 1, a + 1);
        let (mut pc, mut pd) = (a + n - 1, a + n - 1);
        loop {
            while pb <= pc {
                let c = cmp(&v[pb], &v[a]);
                if c == Ordering::Greater {
                    break;
                }
                if c == Ordering::Equal {
                    v.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb <= pc {
                let c = cmp(&v[pc], &v[a]);
                if c == Ordering::Less {
                    break;
                }
                if c == Ordering::Equal {
                    v.swap(pc, pd);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb > pc {
                break;
            }
            v.swap(pb, pc);
            pb += 1;
            pc -= 1;
        }
        let pn = a + n;
        let r = (pa - a).min(pb - pa);
        block_swap(v, a, pb - r, r);
        let r = (pd - pc).min(pn - pd - 1);
        block_swap(v, pb, pn - r, r);
        let r = pb - pa;
        if r > 1 && overlaps(a, r) {
            partial_sort(v, a, r, cmp, lrange, rrange);
        }
        let r = pd - pc;
        if r > 1 && overlaps(pn - r, r) {
            a = pn - r;
            n = r;
            continue;
        }
        return;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_print_as_redis_does() {
        let text = |r: Reply| match r {
            Reply::DoubleText(t) => String::from_utf8(t.to_vec()).unwrap(),
            other => panic!("{other:?}"),
        };
        assert_eq!(text(human(13.361389338970184)), "13.36138933897018433");
        assert_eq!(text(human(-0.0)), "0");
        assert_eq!(text(human(2.5)), "2.5");
        assert_eq!(text(human(180.0)), "180");
    }

    #[test]
    fn partial_sort_orders_the_requested_prefix() {
        let mut x: u64 = 99;
        for len in [1usize, 5, 7, 8, 30, 41, 200] {
            let mut v: Vec<u64> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x % 17
                })
                .collect();
            let mut sorted = v.clone();
            sorted.sort();
            let k = len.div_ceil(3);
            pqsort(&mut v, &|a: &u64, b: &u64| a.cmp(b), 0, k - 1);
            assert_eq!(v[..k], sorted[..k], "len {len}");
        }
    }

    #[test]
    fn store_keys_follow_the_key_specs() {
        let args: Vec<Bytes> = "GEORADIUS k 1 2 3 m STORE a STOREDIST b"
            .split(' ')
            .map(|s| Bytes::from(s.to_string()))
            .collect();
        assert_eq!(georadius_keys(&args), vec![1, 7, 9]);
        assert_eq!(georadius_keys(&args[..7]), vec![1]);
        assert_eq!(georadiusbymember_keys(&args[..8]), vec![1, 7]);
    }
}
