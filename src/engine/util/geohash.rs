//! Redis's geohash arithmetic (its `geohash.c` and `geohash_helper.c`):
//! the 52-bit interleaved hash a geo member's score holds, the 9 cells a
//! radius or box search scans, the haversine distance, and the inclusion
//! tests. Every step uses the same floating-point operations in the same
//! order as Redis, so coordinates, distances and the members a search
//! finds come out identical.
//!
//! Coordinates are (longitude, latitude) in degrees; latitudes are limited
//! to ±85.05112878 (the Web Mercator limits Redis uses).

use std::f64::consts::PI;

/// Bits per coordinate of a stored position (52 bits in all).
pub(crate) const STEP_MAX: u8 = 26;
/// The smallest longitude.
pub(crate) const LONG_MIN: f64 = -180.0;
/// The largest longitude.
pub(crate) const LONG_MAX: f64 = 180.0;
/// The smallest latitude.
pub(crate) const LAT_MIN: f64 = -85.051_128_78;
/// The largest latitude.
pub(crate) const LAT_MAX: f64 = 85.051_128_78;

/// Earth's quadratic mean radius for WGS-84, as Redis uses it.
const EARTH_RADIUS_IN_METERS: f64 = 6_372_797.560_856;
const MERCATOR_MAX: f64 = 20_037_726.37;
const D_R: f64 = PI / 180.0;

fn deg_rad(ang: f64) -> f64 {
    ang * D_R
}

fn rad_deg(ang: f64) -> f64 {
    ang / D_R
}

/// A geohash cell: `step` bits per coordinate, interleaved (longitude bits
/// in the odd positions). Step 0 with no bits is the "no cell" marker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Hash {
    pub bits: u64,
    pub step: u8,
}

impl Hash {
    const ZERO: Hash = Hash { bits: 0, step: 0 };

    fn is_zero(self) -> bool {
        self.bits == 0 && self.step == 0
    }
}

#[derive(Clone, Copy, Debug)]
struct Range {
    min: f64,
    max: f64,
}

const LONG_RANGE: Range = Range {
    min: LONG_MIN,
    max: LONG_MAX,
};
const LAT_RANGE: Range = Range {
    min: LAT_MIN,
    max: LAT_MAX,
};

/// The bounds of a cell.
#[derive(Clone, Copy, Debug)]
struct Area {
    lon: Range,
    lat: Range,
}

/// Spreads the 32 bits of `x` into the even positions and those of `y`
/// into the odd ones.
fn interleave64(x: u32, y: u32) -> u64 {
    fn spread(v: u32) -> u64 {
        let mut v = v as u64;
        v = (v | (v << 16)) & 0x0000_FFFF_0000_FFFF;
        v = (v | (v << 8)) & 0x00FF_00FF_00FF_00FF;
        v = (v | (v << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
        v = (v | (v << 2)) & 0x3333_3333_3333_3333;
        (v | (v << 1)) & 0x5555_5555_5555_5555
    }
    spread(x) | (spread(y) << 1)
}

/// The inverse of [`interleave64`]: even bits in the low half, odd bits in
/// the high half.
fn deinterleave64(v: u64) -> u64 {
    fn squash(v: u64) -> u64 {
        let mut v = v & 0x5555_5555_5555_5555;
        v = (v | (v >> 1)) & 0x3333_3333_3333_3333;
        v = (v | (v >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
        v = (v | (v >> 4)) & 0x00FF_00FF_00FF_00FF;
        v = (v | (v >> 8)) & 0x0000_FFFF_0000_FFFF;
        (v | (v >> 16)) & 0x0000_0000_FFFF_FFFF
    }
    squash(v) | (squash(v >> 1) << 32)
}

/// Redis's `geohashEncode` over the given ranges; `None` outside them (or
/// outside the Mercator limits).
fn encode_in(lon_range: Range, lat_range: Range, lon: f64, lat: f64, step: u8) -> Option<Hash> {
    if step > 32 || step == 0 {
        return None;
    }
    if !(LONG_MIN..=LONG_MAX).contains(&lon) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        return None;
    }
    if lat < lat_range.min || lat > lat_range.max || lon < lon_range.min || lon > lon_range.max {
        return None;
    }
    let mut lat_offset = (lat - lat_range.min) / (lat_range.max - lat_range.min);
    let mut long_offset = (lon - lon_range.min) / (lon_range.max - lon_range.min);
    let scale = (1u64 << step) as f64;
    lat_offset *= scale;
    long_offset *= scale;
    Some(Hash {
        bits: interleave64(lat_offset as u32, long_offset as u32),
        step,
    })
}

/// Encodes a position with the WGS-84 ranges Redis stores.
pub(crate) fn encode(lon: f64, lat: f64, step: u8) -> Option<Hash> {
    encode_in(LONG_RANGE, LAT_RANGE, lon, lat, step)
}

/// The bounds of a cell (`None` for the "no cell" marker).
fn decode_area(hash: Hash) -> Option<Area> {
    if hash.is_zero() {
        return None;
    }
    let sep = deinterleave64(hash.bits);
    let lat_scale = LAT_RANGE.max - LAT_RANGE.min;
    let long_scale = LONG_RANGE.max - LONG_RANGE.min;
    let ilato = sep as u32;
    let ilono = (sep >> 32) as u32;
    let div = (1u64 << hash.step) as f64;
    Some(Area {
        lat: Range {
            min: LAT_RANGE.min + (ilato as f64 / div) * lat_scale,
            max: LAT_RANGE.min + (ilato.wrapping_add(1) as f64 / div) * lat_scale,
        },
        lon: Range {
            min: LONG_RANGE.min + (ilono as f64 / div) * long_scale,
            max: LONG_RANGE.min + (ilono.wrapping_add(1) as f64 / div) * long_scale,
        },
    })
}

/// The centre of a cell, clamped to the valid ranges.
fn decode_center(hash: Hash) -> Option<(f64, f64)> {
    let area = decode_area(hash)?;
    let lon = ((area.lon.min + area.lon.max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let lat = ((area.lat.min + area.lat.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    Some((lon, lat))
}

/// C's `(uint64_t)` conversion of a double as x86-64 performs it (values
/// out of range give the "integer indefinite" pattern).
fn c_double_to_u64(d: f64) -> u64 {
    fn cvtt(d: f64) -> i64 {
        if d.is_nan() || !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&d) {
            i64::MIN
        } else {
            d as i64
        }
    }
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if d < TWO_63 {
        cvtt(d) as u64
    } else {
        (cvtt(d - TWO_63) as u64) ^ (1 << 63)
    }
}

/// The position a sorted-set score stands for (Redis's `decodeGeohash`):
/// the centre of its 52-bit cell.
pub(crate) fn decode_score(score: f64) -> Option<(f64, f64)> {
    decode_center(Hash {
        bits: c_double_to_u64(score),
        step: STEP_MAX,
    })
}

/// The score GEOADD stores for a position (its 52-bit hash).
pub(crate) fn score_of(lon: f64, lat: f64) -> Option<u64> {
    encode(lon, lat, STEP_MAX).map(align52)
}

/// The standard 11-character geohash of a position (GEOHASH): re-encoded
/// with the ±90° latitude range, the last character always `0`.
pub(crate) fn geohash_string(lon: f64, lat: f64) -> String {
    const ALPHABET: &[u8] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let bits = encode_in(
        LONG_RANGE,
        Range {
            min: -90.0,
            max: 90.0,
        },
        lon,
        lat,
        STEP_MAX,
    )
    .map_or(0, |h| h.bits);
    (0..11)
        .map(|i| {
            let idx = if i == 10 {
                0
            } else {
                (bits >> (52 - (i + 1) * 5)) & 0x1f
            };
            ALPHABET[idx as usize] as char
        })
        .collect()
}

/// A cell's hash shifted to 52 bits (the smallest score inside it).
fn align52(hash: Hash) -> u64 {
    hash.bits << (52 - hash.step as u32 * 2)
}

/// The range of scores `[min, max)` of the members inside a cell.
pub(crate) fn score_range(hash: Hash) -> (f64, f64) {
    let min = align52(hash);
    let max = align52(Hash {
        bits: hash.bits + 1,
        step: hash.step,
    });
    (min as f64, max as f64)
}

fn move_x(hash: &mut Hash, d: i8) {
    if d == 0 {
        return;
    }
    let shift = 64 - hash.step as u32 * 2;
    let mut x = hash.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let y = hash.bits & 0x5555_5555_5555_5555;
    let zz = 0x5555_5555_5555_5555u64.checked_shr(shift).unwrap_or(0);
    if d > 0 {
        x = x.wrapping_add(zz + 1);
    } else {
        x |= zz;
        x = x.wrapping_sub(zz + 1);
    }
    x &= 0xaaaa_aaaa_aaaa_aaaau64.checked_shr(shift).unwrap_or(0);
    hash.bits = x | y;
}

fn move_y(hash: &mut Hash, d: i8) {
    if d == 0 {
        return;
    }
    let shift = 64 - hash.step as u32 * 2;
    let x = hash.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let mut y = hash.bits & 0x5555_5555_5555_5555;
    let zz = 0xaaaa_aaaa_aaaa_aaaau64.checked_shr(shift).unwrap_or(0);
    if d > 0 {
        y = y.wrapping_add(zz + 1);
    } else {
        y |= zz;
        y = y.wrapping_sub(zz + 1);
    }
    y &= 0x5555_5555_5555_5555u64.checked_shr(shift).unwrap_or(0);
    hash.bits = x | y;
}

fn moved(hash: Hash, dx: i8, dy: i8) -> Hash {
    let mut h = hash;
    move_x(&mut h, dx);
    move_y(&mut h, dy);
    h
}

/// Redis's `geohashEstimateStepsByRadius`: the cell size for a search of
/// `range_meters` around latitude `lat`.
fn estimate_steps(range_meters: f64, lat: f64) -> u8 {
    if range_meters == 0.0 {
        return 26;
    }
    let mut range = range_meters;
    let mut step: i32 = 1;
    while range < MERCATOR_MAX {
        range *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

/// What a search covers, around a centre.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Extent {
    /// BYRADIUS / GEORADIUS: a circle of this radius.
    Radius(f64),
    /// BYBOX: a box this wide and high.
    Box { width: f64, height: f64 },
}

/// A search area: a centre, an extent in the request's unit, and the
/// unit's size in meters.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Shape {
    pub lon: f64,
    pub lat: f64,
    pub extent: Extent,
    pub conversion: f64,
}

impl Shape {
    /// Redis's `geohashBoundingBox`: `[min lon, min lat, max lon, max lat]`.
    fn bounding_box(&self) -> [f64; 4] {
        let (height, width) = match self.extent {
            Extent::Radius(r) => (self.conversion * r, self.conversion * r),
            Extent::Box { width, height } => (
                self.conversion * (height / 2.0),
                self.conversion * (width / 2.0),
            ),
        };
        let lat_delta = rad_deg(height / EARTH_RADIUS_IN_METERS);
        let long_delta_top =
            rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(self.lat + lat_delta).cos());
        let long_delta_bottom =
            rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(self.lat - lat_delta).cos());
        let southern = self.lat < 0.0;
        let delta = if southern {
            long_delta_bottom
        } else {
            long_delta_top
        };
        [
            self.lon - delta,
            self.lat - lat_delta,
            self.lon + delta,
            self.lat + lat_delta,
        ]
    }

    /// Redis's `geohashCalculateAreasByShapeWGS84`: the cells to scan, in
    /// the order Redis scans them (centre, N, S, E, W, NE, NW, SE, SW);
    /// `None` for a neighbour the search cannot reach.
    pub(crate) fn cells(&self) -> [Option<Hash>; 9] {
        let [min_lon, min_lat, max_lon, max_lat] = self.bounding_box();
        let radius_meters = match self.extent {
            Extent::Radius(r) => r,
            Extent::Box { width, height } => {
                ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt()
            }
        } * self.conversion;
        let mut steps = estimate_steps(radius_meters, self.lat);
        let center = |steps| {
            encode(self.lon, self.lat, steps).unwrap_or(Hash {
                bits: 0,
                step: steps,
            })
        };
        let mut hash = center(steps);
        let decode = |h: Hash| decode_area(h).expect("a cell with a step");
        let north = decode(moved(hash, 0, 1));
        let south = decode(moved(hash, 0, -1));
        let east = decode(moved(hash, 1, 0));
        let west = decode(moved(hash, -1, 0));
        let decrease = north.lat.max < max_lat
            || south.lat.min > min_lat
            || east.lon.max < max_lon
            || west.lon.min > min_lon;
        if steps > 1 && decrease {
            steps -= 1;
            hash = center(steps);
        }
        let area = decode(hash);
        let mut n = [
            hash,
            moved(hash, 0, 1),   // north
            moved(hash, 0, -1),  // south
            moved(hash, 1, 0),   // east
            moved(hash, -1, 0),  // west
            moved(hash, 1, 1),   // north-east
            moved(hash, -1, 1),  // north-west
            moved(hash, 1, -1),  // south-east
            moved(hash, -1, -1), // south-west
        ];
        if steps >= 2 {
            let mut drop = |idx: &[usize]| {
                for i in idx {
                    n[*i] = Hash::ZERO;
                }
            };
            if area.lat.min < min_lat {
                drop(&[2, 8, 7]);
            }
            if area.lat.max > max_lat {
                drop(&[1, 5, 6]);
            }
            if area.lon.min < min_lon {
                drop(&[4, 8, 6]);
            }
            if area.lon.max > max_lon {
                drop(&[3, 7, 5]);
            }
        }
        n.map(|h| (!h.is_zero()).then_some(h))
    }

    /// Whether the position of `score` is inside the shape (Redis's
    /// `geoWithinShape`): its decoded position and the distance from the
    /// centre, in meters.
    pub(crate) fn contains(&self, score: f64) -> Option<((f64, f64), f64)> {
        let (lon, lat) = decode_score(score)?;
        match self.extent {
            Extent::Radius(r) => {
                let d = distance(self.lon, self.lat, lon, lat);
                // As C compares: a NaN distance is not "greater".
                let outside =
                    d.partial_cmp(&(r * self.conversion)) == Some(std::cmp::Ordering::Greater);
                (!outside).then_some(((lon, lat), d))
            }
            Extent::Box { width, height } => {
                let (w, h) = (width * self.conversion, height * self.conversion);
                let lon_distance = distance(lon, lat, self.lon, lat);
                let lat_distance = distance(lon, lat, lon, self.lat);
                if lon_distance > w / 2.0 || lat_distance > h / 2.0 {
                    return None;
                }
                Some(((lon, lat), distance(self.lon, self.lat, lon, lat)))
            }
        }
    }
}

/// The haversine great-circle distance in meters (Redis's
/// `geohashGetDistance`).
pub(crate) fn distance(lon1d: f64, lat1d: f64, lon2d: f64, lat2d: f64) -> f64 {
    let lat1r = deg_rad(lat1d);
    let lon1r = deg_rad(lon1d);
    let lat2r = deg_rad(lat2d);
    let lon2r = deg_rad(lon2d);
    let u = ((lat2r - lat1r) / 2.0).sin();
    let v = ((lon2r - lon1r) / 2.0).sin();
    2.0 * EARTH_RADIUS_IN_METERS * (u * u + lat1r.cos() * lat2r.cos() * v * v).sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleaving_round_trips() {
        for (x, y) in [
            (0u32, 0u32),
            (1, 0),
            (0, 1),
            (0x3ff_ffff, 0x155_5555),
            (u32::MAX, 7),
        ] {
            let v = interleave64(x, y);
            assert_eq!(deinterleave64(v), (x as u64) | ((y as u64) << 32));
        }
    }

    #[test]
    fn palermo_encodes_as_redis_does() {
        // GEOADD Sicily 13.361389 38.115556 "Palermo": ZSCORE 3479099956230698.
        assert_eq!(score_of(13.361389, 38.115556), Some(3_479_099_956_230_698));
        let (lon, lat) = decode_score(3_479_099_956_230_698.0).unwrap();
        assert!((lon - 13.361389).abs() < 1e-5 && (lat - 38.115556).abs() < 1e-5);
        assert_eq!(geohash_string(lon, lat), "sqc8b49rny0");
        // GEODIST Sicily Palermo Catania: 166274.1516 m.
        let (clon, clat) = decode_score(3_479_447_370_796_909.0).unwrap();
        assert_eq!(
            format!("{:.4}", distance(lon, lat, clon, clat)),
            "166274.1516"
        );
    }

    #[test]
    fn neighbours_wrap_within_the_step() {
        let h = encode(0.0, 0.0, 1).unwrap();
        let east = moved(h, 1, 0);
        let back = moved(east, -1, 0);
        assert_eq!(back, h);
        assert_eq!(estimate_steps(0.0, 0.0), 26);
        assert_eq!(estimate_steps(1000.0, 0.0), 14);
        assert_eq!(estimate_steps(1000.0, 81.0), 12);
    }
}
