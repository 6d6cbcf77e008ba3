//! Differential tests: geo commands, byte for byte against a real
//! redis-server, in RESP2 and RESP3: a city dataset and a few hundred
//! pseudo-random points (generated deterministically here), searched with
//! every query shape, near the poles and the antimeridian, with radius 0,
//! plus every error text and the STORE destinations.

use crate::support::{Case, Differ, case, script};

/// A few cities (longitude, latitude, name).
const CITIES: &[(&str, &str, &str)] = &[
    ("13.361389", "38.115556", "Palermo"),
    ("15.087269", "37.502669", "Catania"),
    ("12.496366", "41.902782", "Rome"),
    ("9.189982", "45.464204", "Milan"),
    ("2.352222", "48.856614", "Paris"),
    ("-0.127758", "51.507351", "London"),
    ("13.404954", "52.520008", "Berlin"),
    ("-3.703790", "40.416775", "Madrid"),
    ("-74.005941", "40.712784", "New York"),
    ("-118.243685", "34.052234", "Los Angeles"),
    ("139.691706", "35.689487", "Tokyo"),
    ("151.209296", "-33.868820", "Sydney"),
    ("174.763332", "-36.848460", "Auckland"),
    ("-179.9", "-16.5", "Fiji east"),
    ("178.4", "-18.1", "Suva"),
    ("-43.172896", "-22.906847", "Rio"),
    ("18.423300", "-33.918861", "Cape Town"),
    ("-21.942400", "64.146600", "Reykjavik"),
    ("-51.694138", "64.181410", "Nuuk"),
    ("15.6356", "78.2232", "Longyearbyen"),
    ("-62.3481", "82.5018", "Alert"),
    ("166.6667", "-77.85", "McMurdo"),
    ("0", "0", "Null Island"),
    ("180", "0", "Antimeridian"),
    ("-180", "85.05112878", "Corner"),
];

fn geoadd(c: Case, key: &str, points: &[(String, String, String)]) -> Case {
    let mut args = vec!["GEOADD".to_string(), key.to_string()];
    for (lon, lat, name) in points {
        args.extend([lon.clone(), lat.clone(), name.clone()]);
    }
    c.cmd(args)
}

fn cities() -> Vec<(String, String, String)> {
    CITIES
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect()
}

/// `n` pseudo-random points over the whole valid range (xorshift64).
fn random_points(n: usize, seed: u64) -> Vec<(String, String, String)> {
    let mut x = seed;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|i| {
            let lon = next() * 360.0 - 180.0;
            let lat = next() * 170.1 - 85.05;
            (format!("{lon:.6}"), format!("{lat:.6}"), format!("p{i}"))
        })
        .collect()
}

/// One command written as a line, arguments split on spaces.
trait Line {
    fn line(self, text: &str) -> Self;
}

impl Line for Case {
    fn line(self, text: &str) -> Case {
        self.cmd(text.split(' '))
    }
}

/// `command cities <every city>`.
fn all_cities(command: &str) -> Vec<&str> {
    [command, "cities"]
        .into_iter()
        .chain(CITIES.iter().map(|c| c.2))
        .collect()
}

fn with_cities(name: &str) -> Case {
    geoadd(case(name), "cities", &cities())
}

#[tokio::test]
async fn geoadd_geodist_geohash_geopos() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    differ
        .check(&[
            case("sicily")
                .line("GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania")
                .line("ZRANGE Sicily 0 -1 WITHSCORES")
                .line("GEODIST Sicily Palermo Catania")
                .line("GEODIST Sicily Palermo Catania km")
                .line("GEODIST Sicily Palermo Catania MI")
                .line("GEODIST Sicily Palermo Catania ft")
                .line("GEODIST Sicily Palermo Palermo")
                .line("GEODIST Sicily Palermo Nowhere")
                .line("GEODIST missing a b")
                .line("GEOHASH Sicily Palermo Catania Nowhere")
                .line("GEOHASH missing a")
                .line("GEOHASH Sicily")
                .line("GEOPOS Sicily Palermo Nowhere Catania")
                .line("GEOPOS missing a b")
                .line("GEOPOS Sicily"),
            case("geoadd options")
                .line("GEOADD g 1 1 a")
                .line("GEOADD g 1 1 a")
                .line("GEOADD g CH 1 2 a 3 3 b")
                .line("GEOADD g NX 5 5 a 6 6 c")
                .line("GEOADD g XX CH 7 7 a 8 8 d")
                .line("GEOADD g ch nx CH 9 9 e")
                .line("GEOADD g XX NX 1 1 a")
                .line("GEOADD g 1 1")
                .line("GEOADD g CH CH CH")
                .line("GEOADD g XX CH")
                .line("GEOADD g 1 1 x 200 100 y")
                .line("GEOADD g -180.0000001 0 y")
                .line("GEOADD g 0 85.05112879 y")
                .line("GEOADD g x 1 y")
                .line("GEOADD g 1 nan y")
                .line("ZRANGE g 0 -1 WITHSCORES")
                .line("OBJECT ENCODING g"),
            with_cities("positions and hashes of every city")
                .cmd(all_cities("GEOPOS"))
                .cmd(all_cities("GEOHASH"))
                .line("GEODIST cities London Paris km")
                .cmd(["GEODIST", "cities", "Fiji east", "Suva", "km"])
                .line("GEODIST cities Alert McMurdo mi")
                .cmd(["GEODIST", "cities", "Null Island", "Antimeridian"])
                .line("GEODIST cities Corner Antimeridian ft")
                .line("ZRANGE cities 0 -1 WITHSCORES"),
            case("scores that are not geohashes")
                .line("ZADD z -1 neg 1e300 huge 0 zero 4503599627370495 max52 4503599627370496 over -inf ninf inf pinf 1.5 frac")
                .line("GEOPOS z neg huge zero max52 over ninf pinf frac")
                .line("GEOHASH z neg huge zero max52 over ninf pinf frac")
                .line("GEODIST z neg max52")
                .line("GEODIST z huge zero km")
                .line("GEOSEARCH z FROMMEMBER ninf BYRADIUS 100 km WITHHASH")
                .line("GEOSEARCH z FROMLONLAT 0 0 BYRADIUS 30000 km WITHHASH WITHCOORD"),
            case("wrong types")
                .line("SET s v")
                .line("GEOADD s 1 1 a")
                .line("GEOADD s 1 100 a")
                .line("GEODIST s a b")
                .line("GEODIST s a b parsec")
                .line("GEOHASH s a")
                .line("GEOPOS s a")
                .line("GEORADIUS s 1 1 1 km")
                .line("GEORADIUSBYMEMBER s a 1 km")
                .line("GEOSEARCH s FROMLONLAT 1 1 BYRADIUS 1 km")
                .line("GEOSEARCHSTORE d s FROMLONLAT 1 1 BYRADIUS 1 km")
                .line("GET s"),
        ])
        .await;
}

/// Every query shape over the cities.
#[tokio::test]
async fn searches_over_cities() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let mut c = with_cities("georadius shapes");
    for (lon, lat) in [
        ("13", "38"),
        ("0", "51"),
        ("179.9", "-17"),
        ("-179.9", "-17"),
        ("0", "84"),
        ("-100", "-85"),
    ] {
        for radius in ["0", "100", "1000", "5000", "20000"] {
            c = c
                .line(&format!("GEORADIUS cities {lon} {lat} {radius} km"))
                .line(&format!(
                    "GEORADIUS cities {lon} {lat} {radius} km WITHDIST WITHCOORD WITHHASH ASC"
                ))
                .line(&format!(
                    "GEORADIUS_RO cities {lon} {lat} {radius} km DESC WITHDIST"
                ))
                .line(&format!("GEORADIUS cities {lon} {lat} {radius} km COUNT 3"))
                .line(&format!(
                    "GEORADIUS cities {lon} {lat} {radius} km COUNT 2 ANY WITHDIST"
                ));
        }
    }
    let mut m = with_cities("georadiusbymember and geosearch shapes");
    for member in [
        "Palermo",
        "London",
        "Suva",
        "Fiji east",
        "Alert",
        "McMurdo",
        "Corner",
        "Antimeridian",
    ] {
        m = m
            .line(&format!(
                "GEORADIUSBYMEMBER cities {member} 2000 km WITHDIST ASC"
            ))
            .line(&format!(
                "GEORADIUSBYMEMBER_RO cities {member} 0 m WITHCOORD"
            ))
            .line(&format!(
                "GEOSEARCH cities FROMMEMBER {member} BYRADIUS 3000 mi DESC WITHDIST WITHHASH"
            ))
            .line(&format!(
                "GEOSEARCH cities FROMMEMBER {member} BYBOX 4000 2000 km ASC WITHCOORD"
            ))
            .line(&format!(
                "GEOSEARCH cities FROMMEMBER {member} BYBOX 0 0 km"
            ))
            .line(&format!(
                "GEOSEARCH cities FROMMEMBER {member} BYBOX 20000 20000 km COUNT 4"
            ));
    }
    for (lon, lat) in [
        ("12", "42"),
        ("-70", "41"),
        ("180", "-20"),
        ("-180", "-20"),
        ("30", "80"),
    ] {
        m = m
            .line(&format!("GEOSEARCH cities FROMLONLAT {lon} {lat} BYRADIUS 1500 km WITHDIST"))
            .line(&format!("GEOSEARCH cities fromlonlat {lon} {lat} bybox 5000000 3000000 ft withcoord count 5 any"))
            .line(&format!("GEOSEARCH cities FROMLONLAT {lon} {lat} BYRADIUS 15000 km COUNT 3 DESC"));
    }
    let store = with_cities("store destinations")
        .line("GEORADIUS cities 13 38 1000 km STORE near")
        .line("ZRANGE near 0 -1 WITHSCORES")
        .line("OBJECT ENCODING near")
        .line("GEORADIUS cities 13 38 1000 km STOREDIST near COUNT 2")
        .line("ZRANGE near 0 -1 WITHSCORES")
        .line("GEORADIUSBYMEMBER cities London 500 km STORE a STOREDIST b")
        .line("EXISTS a b")
        .line("ZRANGE b 0 -1 WITHSCORES")
        .line("SET ttl x EX 100")
        .line("GEOSEARCHSTORE ttl cities FROMMEMBER Paris BYBOX 2000 2000 km ASC COUNT 3 STOREDIST")
        .line("TTL ttl")
        .line("ZRANGE ttl 0 -1 WITHSCORES")
        .line("GEOSEARCHSTORE ttl cities FROMLONLAT -30 -60 BYRADIUS 1 km")
        .line("EXISTS ttl")
        .line("GEORADIUS cities -30 -60 1 km STORE near")
        .line("EXISTS near")
        .line("GEORADIUS missing 1 1 1 km STORE a")
        .line("GEORADIUSBYMEMBER missing x bad unit STOREDIST b")
        .line("GEOSEARCHSTORE cities missing FROMLONLAT 1 1 BYRADIUS 1 km")
        .line("EXISTS a b cities")
        .line("CONFIG SET zset-max-listpack-entries 2")
        .line("GEORADIUS cities 13 38 1000 km STORE big")
        .line("OBJECT ENCODING big")
        .line("CONFIG SET zset-max-listpack-entries 128")
        .line("GEOSEARCH missing FROMMEMBER x BYRADIUS 1 km")
        .line("GEORADIUSBYMEMBER missing x 1 km");
    let ties = case("equal distances keep the scan order")
        .line("GEOADD t 10 10 e 10 10 a 10 10 c 10.001 10 d 10 10 b")
        .line("GEORADIUS t 10 10 10 km")
        .line("GEORADIUS t 10 10 10 km ASC WITHDIST")
        .line("GEORADIUS t 10 10 10 km DESC")
        .line("GEORADIUS t 10 10 10 km COUNT 2 ANY");
    // Many equal distances: a COUNT below the number found is Redis's
    // partial quicksort, which leaves ties in an order of its own.
    let spots = [
        "10 10",
        "10.001 10",
        "10.002 10",
        "10 10.001",
        "10.003 10.001",
        "10.01 10",
    ];
    let mut many = case("equal distances under a partial sort");
    for (n, key) in [(9, "t9"), (20, "t20"), (45, "t45"), (120, "t120")] {
        let mut line = format!("GEOADD {key}");
        for i in 0..n {
            let spot = spots[(i * 7 + i / 3) % spots.len()];
            line.push_str(&format!(" {spot} m{i:03}"));
        }
        many = many.line(&line);
        for count in [1, 2, 3, 5, 8, 19, 41, n - 1, n] {
            many = many
                .line(&format!("GEORADIUS {key} 10 10 10 km COUNT {count}"))
                .line(&format!(
                    "GEORADIUS {key} 10 10 10 km COUNT {count} DESC WITHDIST"
                ))
                .line(&format!(
                    "GEOSEARCH {key} FROMLONLAT 10.0015 10 BYBOX 10 10 km COUNT {count}"
                ));
        }
        many = many
            .line(&format!("GEORADIUS {key} 10 10 10 km COUNT 3 STORE dst"))
            .line("ZRANGE dst 0 -1 WITHSCORES");
    }
    differ.check(&[c, m, store, ties, many]).await;
}

/// A few hundred pseudo-random points, searched around random centres
/// and the awkward places (poles, antimeridian).
#[tokio::test]
async fn searches_over_random_points() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let points = random_points(400, 0x9E37_79B9_7F4A_7C15);
    let mut c = geoadd(case("random points, fixed centres"), "w", &points)
        .line("ZCARD w")
        .line("GEOPOS w p0 p1 p2 p399")
        .line("GEOHASH w p0 p1 p2 p399");
    let centres = [
        ("0", "0"),
        ("179.999", "0"),
        ("-179.999", "10"),
        ("180", "-45"),
        ("0", "85.05"),
        ("10", "-85.05"),
        ("100", "67"),
        ("-70", "-81"),
    ];
    for (lon, lat) in centres {
        for r in ["0", "50", "500", "3000", "10000"] {
            let h = (r.parse::<f64>().unwrap() * 1.7).to_string();
            c = c
                .line(&format!(
                    "GEORADIUS w {lon} {lat} {r} km WITHDIST WITHCOORD WITHHASH"
                ))
                .line(&format!("GEORADIUS w {lon} {lat} {r} km ASC COUNT 5"))
                .line(&format!(
                    "GEOSEARCH w FROMLONLAT {lon} {lat} BYBOX {r} {h} km DESC WITHDIST"
                ))
                .line(&format!(
                    "GEOSEARCH w FROMLONLAT {lon} {lat} BYRADIUS {r} mi COUNT 3 ANY"
                ));
        }
    }
    // Random centres, radii and boxes, from the same generator.
    let mut r = geoadd(case("random points, random centres"), "w", &points);
    let centres = random_points(120, 0x0123_4567_89AB_CDEF);
    let sizes = random_points(120, 0xDEAD_BEEF_CAFE_F00D);
    for ((lon, lat, _), (a, b, _)) in centres.iter().zip(&sizes) {
        let radius = format!("{:.3}", a.parse::<f64>().unwrap().abs() * 50.0);
        let width = format!("{:.3}", a.parse::<f64>().unwrap().abs() * 80.0);
        let height = format!("{:.3}", b.parse::<f64>().unwrap().abs() * 120.0);
        r = r
            .line(&format!(
                "GEOSEARCH w FROMLONLAT {lon} {lat} BYRADIUS {radius} km WITHDIST"
            ))
            .line(&format!(
                "GEOSEARCH w FROMLONLAT {lon} {lat} BYBOX {width} {height} km ASC WITHCOORD"
            ));
    }
    for member in ["p3", "p10", "p77", "p200"] {
        r = r
            .line(&format!(
                "GEORADIUSBYMEMBER w {member} 3000 km WITHDIST DESC"
            ))
            .line(&format!(
                "GEOSEARCHSTORE d w FROMMEMBER {member} BYBOX 5000 5000 km STOREDIST"
            ))
            .line("ZRANGE d 0 -1 WITHSCORES");
    }
    r = r.line("GEOSEARCH w FROMLONLAT 0 0 BYRADIUS inf m COUNT 5");
    differ.check(&[c, r]).await;
}

#[tokio::test]
async fn geo_errors_and_command_table() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    let e = with_cities("option errors")
        .line("GEORADIUS cities 15 37 -1 km")
        .line("GEORADIUS cities 15 37 x km")
        .line("GEORADIUS cities 15 37 1 yd")
        .line("GEORADIUS cities nan 37 1 km")
        .line("GEORADIUS cities 15 137 1 km")
        .line("GEORADIUS cities 15 37 1 km COUNT 0")
        .line("GEORADIUS cities 15 37 1 km COUNT x")
        .line("GEORADIUS cities 15 37 1 km COUNT")
        .line("GEORADIUS cities 15 37 1 km ANY")
        .line("GEORADIUS cities 15 37 1 km BOGUS")
        .line("GEORADIUS cities 15 37 1 km STORE x WITHDIST")
        .line("GEORADIUS cities 15 37 1 km STORE")
        .line("GEORADIUS_RO cities 15 37 1 km STORE x")
        .line("GEORADIUSBYMEMBER cities Nowhere 1 km")
        .line("GEORADIUSBYMEMBER cities Palermo 1 parsec")
        .line("GEORADIUSBYMEMBER_RO cities Palermo 1 km STOREDIST x")
        .line("GEOSEARCH cities BYRADIUS 1 km")
        .line("geosearch cities FROMLONLAT 1 1")
        .line("GeoSearch cities FROMLONLAT 1 1 WITHDIST")
        .line("GEOSEARCH cities FROMLONLAT 1 1 FROMMEMBER Palermo BYRADIUS 1 km")
        .line("GEOSEARCH cities FROMMEMBER Palermo FROMLONLAT 1 1 BYRADIUS 1 km")
        .line("GEOSEARCH cities FROMMEMBER Nowhere BYRADIUS 1 km")
        .line("GEOSEARCH cities FROMMEMBER Palermo BYRADIUS 1 km BYBOX 1 1 km")
        .line("GEOSEARCH cities FROMMEMBER Palermo BYBOX 1 -1 km")
        .line("GEOSEARCH cities FROMMEMBER Palermo BYBOX x 1 km")
        .line("GEOSEARCH cities FROMMEMBER Palermo BYBOX 1 y km")
        .line("GEOSEARCH cities FROMMEMBER Palermo BYBOX 1 1 au")
        .line("GEOSEARCH cities FROMMEMBER Palermo BYBOX 1 1")
        .line("GEOSEARCH cities FROMMEMBER Palermo BYRADIUS 1 km STOREDIST")
        .line("GEOSEARCH cities FROMMEMBER Palermo BYRADIUS 1 km STORE x")
        .line("GEOSEARCHSTORE d cities FROMMEMBER Palermo BYRADIUS 1 km WITHCOORD")
        .line("GEOSEARCHSTORE d cities FROMMEMBER Palermo BYRADIUS 1 km STORE x")
        .line("GEOSEARCH missing FROMLONLAT 1 1 BYRADIUS 1 km ANY")
        .line("GEOSEARCH missing FROMLONLAT 1 1 BYRADIUS -1 km")
        .line("GEOSEARCH missing FROMMEMBER x BYRADIUS 1 km")
        .line("GEODIST cities Palermo Catania parsec")
        .line("GEODIST cities Palermo Catania km extra")
        .line("GEODIST missing a b parsec");
    let arity = case("arity")
        .line("GEOADD g 1 1")
        .line("GEODIST g a")
        .line("GEOHASH")
        .line("GEOPOS")
        .line("GEORADIUS g 1 1 1")
        .line("GEORADIUS_RO g 1 1 1")
        .line("GEORADIUSBYMEMBER g a 1")
        .line("GEORADIUSBYMEMBER_RO g a 1")
        .line("GEOSEARCH g FROMLONLAT 1 1 BYRADIUS")
        .line("GEOSEARCHSTORE d g FROMLONLAT 1 1 BYRADIUS");
    let table = case("command table")
        .line("COMMAND INFO geoadd geodist geohash geopos georadius georadius_ro georadiusbymember georadiusbymember_ro geosearch geosearchstore")
        .line("COMMAND GETKEYS GEORADIUS k 1 2 3 m STORE a STOREDIST b")
        .line("COMMAND GETKEYS GEORADIUS k 1 2 3 m STORE a STORE b")
        .line("COMMAND GETKEYS GEORADIUS k 1 2 3 m STORE")
        .line("COMMAND GETKEYS GEORADIUS k 1 2 3 STORE a")
        .line("COMMAND GETKEYS GEORADIUSBYMEMBER k m 3 m storedist a")
        .line("COMMAND GETKEYS GEOSEARCHSTORE d s FROMLONLAT 1 1 BYRADIUS 1 m");
    differ.check(&[e, arity, table]).await;
}

#[tokio::test]
async fn keyspace_notifications() {
    let Some(differ) = Differ::start().await else {
        return;
    };
    differ
        .check_scripts(&[script("geo events", 2)
            .send(1, "CONFIG SET notify-keyspace-events KEA")
            .send(0, "PSUBSCRIBE __keyevent@0__:*")
            .send(1, "GEOADD g 1 1 a 2 2 b")
            .send(1, "GEOADD g 1 1 a")
            .send(1, "GEOADD g CH 1 2 a")
            .send(1, "GEORADIUS g 1 1 500 km STORE s")
            .send(1, "GEOSEARCHSTORE s2 g FROMLONLAT 1 1 BYRADIUS 500 km")
            .send(1, "GEOSEARCHSTORE s2 g FROMLONLAT 50 1 BYRADIUS 1 km")
            .send(1, "GEORADIUS missing 1 1 1 km STORE s")
            .send(1, "GEORADIUSBYMEMBER g a 1 km STOREDIST s")
            .send(1, "CONFIG SET notify-keyspace-events ")
            .read(1, 10)
            .drain(0)])
        .await;
}
