//! One logical database: keys, typed values and expiry deadlines, plus the
//! hooks every write goes through (WATCH, keyspace events, blocked-client
//! wakeups). The values themselves are in `types/`; a new value type gets
//! its typed getters here (the `typed_access!` list in `impl Db`).
//!
//! # Rules for command modules
//!
//! * Read lookups go through [`Db::get`] or the typed `get_<type>` getters;
//!   write lookups through [`Db::get_mut`], `get_<type>_mut` or
//!   `<type>_or_insert`. All of them expire the key first when its deadline
//!   has passed (lazy expiry against the engine clock), as Redis's
//!   `lookupKey` does.
//! * A typed getter on a key of another type returns `Err(wrongtype())`,
//!   the exact `WRONGTYPE ...` reply, so handlers can use `?`.
//! * [`Db::insert`], [`Db::insert_keep_ttl`], [`Db::remove`],
//!   [`Db::set_expire`], [`Db::persist`], [`Db::flush`] and
//!   [`Db::remove_if_empty`] signal the modification themselves. A handler
//!   that changes a value in place (through `get_mut`, `get_list_mut`,
//!   `list_or_insert`, ...) must call [`Db::touched`] once it has really
//!   changed something, as Redis calls `signalModifiedKey`, and must call
//!   [`Db::remove_if_empty`] when it may have emptied an aggregate (Redis
//!   never stores an empty list, hash, set or sorted set).
//! * Keyspace notifications are queued with [`Db::notify`]; the engine
//!   drains the queue after every command (see `Engine::after_command`).
//!   The `expired` and `new` events are queued by this module itself.

use std::collections::{BTreeSet, HashMap};

use rustc_hash::FxHashMap;

use indexmap::IndexMap;

use bytes::Bytes;

use super::random::Rng;
use super::types::hash::Hash;
use super::types::list::List;
use super::types::set::Members;
use super::types::stream::Stream;
use super::types::string::Inline;
use super::types::zset::ZSet;
use super::types::{Kind, Str, StrEncoding, Value, scan_span};
use super::util::errors::wrongtype;
use crate::protocol::Reply;

/// A key's value with its metadata, as [`Db::remove`] hands it out.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Entry {
    pub value: Value,
    /// Deadline in Unix milliseconds: the key expires once the clock is past it.
    pub expires_at: Option<i64>,
    /// Last access in Unix milliseconds (engine clock), for `OBJECT IDLETIME`.
    pub accessed_ms: i64,
    /// The string encoding `OBJECT ENCODING` reports (strings only).
    pub str_encoding: StrEncoding,
    /// The logarithmic access counter `OBJECT FREQ` reports under an LFU
    /// maxmemory policy (Redis's `LFU_INIT_VAL` is 5).
    pub lfu_counter: u8,
}

/// A stored key's value and metadata, borrowed ([`Db::entry`], [`Db::peek`],
/// [`Db::iter`]): the same fields as [`Entry`], the value by reference.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct EntryRef<'a> {
    pub value: &'a Value,
    /// Deadline in Unix milliseconds.
    pub expires_at: Option<i64>,
    /// Last access in Unix milliseconds (engine clock).
    pub accessed_ms: i64,
    /// The string encoding `OBJECT ENCODING` reports (strings only).
    pub str_encoding: StrEncoding,
    /// The LFU counter `OBJECT FREQ` reports.
    pub lfu_counter: u8,
}

impl EntryRef<'_> {
    /// An owned copy (the value cloned).
    pub fn cloned(&self) -> Entry {
        Entry {
            value: self.value.clone(),
            expires_at: self.expires_at,
            accessed_ms: self.accessed_ms,
            str_encoding: self.str_encoding,
            lfu_counter: self.lfu_counter,
        }
    }
}

/// What the table holds per key: the value and its access time. The rest
/// of a key's metadata lives in side tables holding only the keys that
/// need it (a deadline, a non-default string encoding or LFU counter), so
/// the common key pays 48 bytes here instead of 72 (`docs/BENCHMARKS.md`).
#[derive(Clone, Debug)]
struct Slot {
    value: Value,
    accessed_ms: i64,
}

/// Redis's `LFU_INIT_VAL`.
pub(crate) const LFU_INIT_VAL: u8 = 5;

/// Keyspace notification classes, as in `notify-keyspace-events`.
pub(crate) mod events {
    /// `K`: publish on `__keyspace@<db>__:<key>` channels.
    pub const KEYSPACE: u32 = 1 << 0;
    /// `E`: publish on `__keyevent@<db>__:<event>` channels.
    pub const KEYEVENT: u32 = 1 << 1;
    /// `d`: module key types.
    pub const MODULE: u32 = 1 << 12;
    /// `A`: every class but `m` and `n`.
    pub const ALL: u32 =
        GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;
    /// `g`: generic commands (DEL, EXPIRE, RENAME, ...).
    pub const GENERIC: u32 = 1 << 2;
    /// `$`: string commands.
    pub const STRING: u32 = 1 << 3;
    /// `l`: list commands.
    pub const LIST: u32 = 1 << 4;
    /// `s`: set commands.
    pub const SET: u32 = 1 << 5;
    /// `h`: hash commands.
    pub const HASH: u32 = 1 << 6;
    /// `z`: sorted-set commands.
    pub const ZSET: u32 = 1 << 7;
    /// `x`: expired events.
    pub const EXPIRED: u32 = 1 << 8;
    /// `e`: evicted events.
    pub const EVICTED: u32 = 1 << 9;
    /// `t`: stream commands.
    pub const STREAM: u32 = 1 << 10;
    /// `m`: key-miss events.
    pub const KEY_MISS: u32 = 1 << 11;
    /// `n`: new-key events.
    pub const NEW: u32 = 1 << 13;
}

/// A queued keyspace notification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct KeyEvent {
    /// One of the [`events`] classes.
    pub class: u32,
    /// The event name (`set`, `del`, `expired`, `lpush`, ...).
    pub event: &'static str,
    pub key: Bytes,
}

/// Counters `INFO stats` reports, per database.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct DbStats {
    pub hits: u64,
    pub misses: u64,
    pub expired: u64,
}

/// Per-key WATCH bookkeeping: `stamp` changes whenever the key is touched;
/// `live_stamp` too, except when the touch is the deletion of a key that
/// was already past its deadline (which Redis does not count as a change
/// for a client that watched the key after it had expired).
#[derive(Clone, Copy, Debug)]
struct Watched {
    stamp: u64,
    live_stamp: u64,
    watchers: usize,
}

/// What a client remembers about one watched key (see [`Db::watch`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct WatchMark {
    stamp: u64,
    live_stamp: u64,
    /// The key was past its deadline (not yet deleted) when WATCH ran.
    expired: bool,
}

/// One database.
#[derive(Debug)]
pub(crate) struct Db {
    /// The database number (for keyspace events and INFO).
    pub id: usize,
    /// The keys in a table whose positions SCAN cursors and RANDOMKEY use
    /// (see [`Db::scan`]): removals are `swap_remove`s.
    entries: IndexMap<Key, Slot, rustc_hash::FxBuildHasher>,
    /// The deadline of every key that has one.
    expires: FxHashMap<Key, i64>,
    /// Every deadline, ordered, for active expiry.
    deadlines: BTreeSet<(i64, Key)>,
    /// String encodings other than [`StrEncoding::Auto`].
    encodings: FxHashMap<Key, StrEncoding>,
    /// LFU counters other than [`LFU_INIT_VAL`].
    lfu_counters: FxHashMap<Key, u8>,
    /// The engine clock's reading for the current command (Unix ms).
    now_ms: i64,
    /// Bumped on every modification.
    version: u64,
    watched: HashMap<Bytes, Watched>,
    /// Keys modified since the engine last drained them (blocked-client
    /// wakeups); recorded only while `track_touched` is on.
    touched: Vec<Bytes>,
    track_touched: bool,
    /// Keys written since the engine last drained them, for client-side
    /// caching invalidation (`None`: the database was flushed); recorded
    /// only while some client tracks (`tracking.rs`).
    written: Vec<Option<Bytes>>,
    track_writes: bool,
    /// Keyspace notifications since the engine last drained them; only the
    /// classes in `notify_mask` are queued.
    events: Vec<KeyEvent>,
    notify_mask: u32,
    /// Keys deleted for being past their deadline, while a replica is
    /// attached (their `DEL` goes down the replication stream).
    expired_log: Option<Vec<Bytes>>,
    /// `lfu-log-factor` while an LFU maxmemory policy is selected, with the
    /// engine's generator for the counter's probabilistic increment.
    lfu: Option<(u32, Rng)>,
    pub stats: DbStats,
}

impl Default for Db {
    fn default() -> Db {
        Db::new(0)
    }
}

/// The typed getters of one value type: `get_<type>`, `get_<type>_mut` and,
/// for aggregates, `<type>_or_insert` (strings are always written whole).
macro_rules! typed_access {
    ($variant:ident, $ty:ty, $get:ident, $get_mut:ident, $or_insert:ident, $new:expr, $what:literal) => {
        typed_access!($variant, $ty, $get, $get_mut, $what);

        #[doc = concat!("Write lookup of ", $what, ", created empty (with a `new` event) when missing. Fill it, then call [`Db::touched`] (and [`Db::remove_if_empty`] if it may stay empty).")]
        pub fn $or_insert(&mut self, key: &Bytes) -> Result<&mut $ty, Reply> {
            if self.get_mut(key).is_none() {
                self.add_new(key, Value::$variant($new.into()));
            }
            match self.entries.get_mut(&key[..]).map(|e| &mut e.value) {
                Some(Value::$variant(v)) => Ok(v),
                _ => Err(wrongtype()),
            }
        }
    };
    ($variant:ident, $ty:ty, $get:ident, $get_mut:ident, $what:literal) => {
        #[doc = concat!("Read lookup of ", $what, "; `Err(WRONGTYPE)` for another type.")]
        pub fn $get(&mut self, key: &[u8]) -> Result<Option<&$ty>, Reply> {
            match self.get(key) {
                None => Ok(None),
                Some(Value::$variant(v)) => Ok(Some(v)),
                Some(_) => Err(wrongtype()),
            }
        }

        #[doc = concat!("Write lookup of ", $what, "; `Err(WRONGTYPE)` for another type. Call [`Db::touched`] after changing it.")]
        pub fn $get_mut(&mut self, key: &[u8]) -> Result<Option<&mut $ty>, Reply> {
            match self.get_mut(key) {
                None => Ok(None),
                Some(Value::$variant(v)) => Ok(Some(v)),
                Some(_) => Err(wrongtype()),
            }
        }
    };
}

/// A key as the table stores it: up to [`Key::INLINE`] bytes in place (no
/// allocation, which most keys need), a boxed slice beyond. 24 bytes where a
/// `Bytes` handle is 32 plus a heap block (see `docs/BENCHMARKS.md`).
#[derive(Clone)]
pub(crate) enum Key {
    /// Up to [`Key::INLINE`] bytes in place.
    Inline(Inline<{ Key::INLINE }>),
    /// A longer key.
    Heap(Box<[u8]>),
}

impl Key {
    /// The longest key stored without an allocation.
    pub const INLINE: usize = 22;

    /// A copy of `bytes`.
    pub fn new(bytes: &[u8]) -> Key {
        match Inline::new(bytes) {
            Some(inline) => Key::Inline(inline),
            None => Key::Heap(bytes.into()),
        }
    }

    /// The key's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Key::Inline(inline) => inline.as_bytes(),
            Key::Heap(b) => b,
        }
    }

    /// The key as a `Bytes` (a copy), for replies and events.
    pub fn to_bytes(&self) -> Bytes {
        Bytes::copy_from_slice(self.as_bytes())
    }
}

impl std::ops::Deref for Key {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl std::borrow::Borrow<[u8]> for Key {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

// Hash, Eq and Ord are the byte slice's, as `Borrow<[u8]>` requires.
impl std::hash::Hash for Key {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state)
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Key {}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Key) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Key) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", Bytes::copy_from_slice(self.as_bytes()))
    }
}

impl Db {
    /// An empty database numbered `id`.
    pub fn new(id: usize) -> Db {
        Db::at(id, super::clock::Clock::new().now_ms())
    }

    /// An empty database whose clock reads `now_ms` (the engine creates its
    /// sixteen with one clock reading).
    pub fn at(id: usize, now_ms: i64) -> Db {
        Db {
            id,
            entries: IndexMap::default(),
            expires: FxHashMap::default(),
            deadlines: BTreeSet::new(),
            encodings: FxHashMap::default(),
            lfu_counters: FxHashMap::default(),
            now_ms,
            version: 0,
            watched: HashMap::new(),
            touched: Vec::new(),
            track_touched: false,
            written: Vec::new(),
            track_writes: false,
            events: Vec::new(),
            notify_mask: 0,
            expired_log: None,
            lfu: None,
            stats: DbStats::default(),
        }
    }

    /// Sets the clock reading lookups compare deadlines with. The engine
    /// calls this before every command (`Engine::refresh_time`).
    pub fn set_now(&mut self, now_ms: i64) {
        self.now_ms = now_ms;
    }

    /// The clock reading for the current command, in Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        self.now_ms
    }

    /// Number of keys, including keys past their deadline that no lookup
    /// or expiry cycle has removed yet (as Redis's `DBSIZE`).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the database holds no key at all.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The average remaining time to live of keys with a deadline, in ms
    /// (0 when none), as `INFO keyspace` reports it.
    pub fn avg_ttl(&self) -> i64 {
        let live: Vec<i64> = self
            .deadlines
            .iter()
            .map(|(t, _)| t - self.now_ms)
            .filter(|ttl| *ttl > 0)
            .collect();
        if live.is_empty() {
            0
        } else {
            live.iter().sum::<i64>() / live.len() as i64
        }
    }

    /// A rough count of the bytes the keyspace holds (keys and values).
    pub fn approximate_memory(&self) -> usize {
        self.entries
            .iter()
            .map(|(k, e)| {
                k.len()
                    + 64
                    + match &e.value {
                        Value::String(s) => s.len(),
                        Value::List(l) => l.iter().map(|x| x.len() + 16).sum(),
                        Value::Hash(h) => h.iter().map(|(a, b)| a.len() + b.len() + 32).sum(),
                        Value::Set(s) => s.iter().map(|x| x.len() + 16).sum(),
                        Value::ZSet(z) => z.iter().map(|(m, _)| m.len() + 40).sum(),
                        Value::Stream(s) => s.memory(),
                    }
            })
            .sum()
    }

    /// Number of keys with a deadline.
    pub fn expires(&self) -> usize {
        self.deadlines.len()
    }

    /// The deadline of `key`, whatever the clock says (no expiry).
    fn deadline(&self, key: &[u8]) -> Option<i64> {
        if self.expires.is_empty() {
            None
        } else {
            self.expires.get(key).copied()
        }
    }

    /// The borrowed view of a stored key.
    fn view<'a>(&'a self, key: &[u8], slot: &'a Slot) -> EntryRef<'a> {
        EntryRef {
            value: &slot.value,
            expires_at: self.deadline(key),
            accessed_ms: slot.accessed_ms,
            str_encoding: if self.encodings.is_empty() {
                StrEncoding::Auto
            } else {
                self.encodings.get(key).copied().unwrap_or_default()
            },
            lfu_counter: self.lfu_counter(key),
        }
    }

    fn lfu_counter(&self, key: &[u8]) -> u8 {
        if self.lfu_counters.is_empty() {
            LFU_INIT_VAL
        } else {
            self.lfu_counters.get(key).copied().unwrap_or(LFU_INIT_VAL)
        }
    }

    /// Takes a key out of the table and every side table: its key and
    /// whole entry.
    fn take(&mut self, key: &[u8]) -> Option<(Key, Entry)> {
        let (k, slot) = self.entries.swap_remove_entry(key)?;
        let expires_at = self.expires.remove(key);
        if let Some(t) = expires_at {
            self.deadlines.remove(&(t, k.clone()));
        }
        let str_encoding = self.encodings.remove(key).unwrap_or_default();
        let lfu_counter = self.lfu_counters.remove(key).unwrap_or(LFU_INIT_VAL);
        Some((
            k,
            Entry {
                value: slot.value,
                expires_at,
                accessed_ms: slot.accessed_ms,
                str_encoding,
                lfu_counter,
            },
        ))
    }

    fn is_expired_at(&self, key: &[u8], now_ms: i64) -> bool {
        self.deadline(key).is_some_and(|t| now_ms > t)
    }

    /// Whether `key` exists but is past its deadline (without removing it).
    pub fn is_logically_expired(&self, key: &[u8]) -> bool {
        self.is_expired_at(key, self.now_ms)
    }

    /// Deletes `key` if its deadline has passed, with Redis's side effects
    /// (an `expired` event, WATCH invalidation, the expired-keys counter).
    /// True when it was deleted.
    pub fn expire_if_needed(&mut self, key: &[u8]) -> bool {
        if !self.is_logically_expired(key) {
            return false;
        }
        self.delete_expired(key);
        true
    }

    fn delete_expired(&mut self, key: &[u8]) {
        if let Some((k, _)) = self.take(key) {
            self.stats.expired += 1;
            if let Some(log) = &mut self.expired_log {
                log.push(Bytes::copy_from_slice(&k));
            }
            self.notify(events::EXPIRED, "expired", &k);
            self.touched_expired(&k);
        }
    }

    /// Removes every key whose deadline has passed (the active expiry
    /// cycle, and what `fast_forward` runs). Returns how many expired.
    pub fn expire_due(&mut self) -> usize {
        let mut due = Vec::new();
        for (t, k) in &self.deadlines {
            if *t >= self.now_ms {
                break;
            }
            due.push(k.clone());
        }
        for k in &due {
            self.delete_expired(k);
        }
        due.len()
    }

    /// Read lookup (Redis's `lookupKeyRead`): expires the key if due,
    /// counts a keyspace hit or miss and updates the access time.
    pub fn get(&mut self, key: &[u8]) -> Option<&Value> {
        self.expire_if_needed(key);
        self.bump_lfu(key);
        let now = self.now_ms;
        match self.entries.get_mut(key) {
            Some(e) => {
                self.stats.hits += 1;
                e.accessed_ms = now;
                Some(&e.value)
            }
            None => {
                self.stats.misses += 1;
                None
            }
        }
    }

    /// The value at `key`, with no side effect (no expiry, no hit or miss,
    /// no access time): a second look at keys the command has already
    /// looked up with [`Db::get`], so it can borrow several values at once
    /// (SINTER, ZUNIONSTORE) instead of copying them.
    pub fn value(&self, key: &[u8]) -> Option<&Value> {
        if self.is_logically_expired(key) {
            return None;
        }
        self.entries.get(key).map(|e| &e.value)
    }

    /// Write lookup (Redis's `lookupKeyWrite`): expires the key if due and
    /// updates the access time. Call [`Db::touched`] after a change.
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut Value> {
        self.expire_if_needed(key);
        self.bump_lfu(key);
        let now = self.now_ms;
        self.entries.get_mut(key).map(|e| {
            e.accessed_ms = now;
            &mut e.value
        })
    }

    /// Read lookup without touching the key (Redis's `LOOKUP_NOTOUCH`, as
    /// TYPE, EXISTS and TTL use): counts a hit or miss, leaves the access
    /// time and LFU counter alone.
    pub fn peek(&mut self, key: &[u8]) -> Option<EntryRef<'_>> {
        self.expire_if_needed(key);
        let slot = self.entries.get(key);
        if slot.is_some() {
            self.stats.hits += 1;
        } else {
            self.stats.misses += 1;
        }
        slot.map(|slot| self.view(key, slot))
    }

    /// Redis's `LFULogIncr` on an access, under an LFU policy.
    fn bump_lfu(&mut self, key: &[u8]) {
        let Some((factor, random)) = &self.lfu else {
            return;
        };
        let Some((k, _)) = self.entries.get_key_value(key) else {
            return;
        };
        let counter = self.lfu_counter(key);
        if counter == 255 {
            return;
        }
        let base = counter.saturating_sub(LFU_INIT_VAL) as f64;
        let p = 1.0 / (base * *factor as f64 + 1.0);
        if random.unit_f64() < p {
            let k = k.clone();
            self.set_counter(k, counter + 1);
        }
    }

    /// Records the LFU counter of the stored key `k`.
    fn set_counter(&mut self, k: Key, counter: u8) {
        if counter == LFU_INIT_VAL {
            self.lfu_counters.remove(&k[..]);
        } else {
            self.lfu_counters.insert(k, counter);
        }
    }

    /// Turns LFU counting on (with `lfu-log-factor`, drawing from the
    /// engine's generator `random`) or off.
    pub fn set_lfu(&mut self, log_factor: Option<u32>, random: &Rng) {
        self.lfu = log_factor.map(|f| (f, random.clone()));
    }

    /// Sets a key's LFU counter (RESTORE ... FREQ).
    pub fn set_lfu_counter(&mut self, key: &[u8], counter: u8) {
        if let Some((k, _)) = self.entries.get_key_value(key) {
            let k = k.clone();
            self.set_counter(k, counter);
        }
    }

    /// The whole entry (value, deadline, access time) without counting a
    /// hit or touching the access time (`OBJECT`, `DUMP`).
    pub fn entry(&mut self, key: &[u8]) -> Option<EntryRef<'_>> {
        self.expire_if_needed(key);
        self.entries.get(key).map(|slot| self.view(key, slot))
    }

    /// The stored entry at `key` as it is: no expiry, no hit or miss, no
    /// access time (a second look after [`Db::entry`], through a shared
    /// borrow).
    pub fn stored(&self, key: &[u8]) -> Option<EntryRef<'_>> {
        self.entries.get(key).map(|slot| self.view(key, slot))
    }

    /// Whether `key` exists (expiring it first if due).
    pub fn contains(&mut self, key: &[u8]) -> bool {
        self.expire_if_needed(key);
        self.entries.contains_key(key)
    }

    /// The key's type, if it exists.
    pub fn kind(&mut self, key: &[u8]) -> Option<Kind> {
        self.expire_if_needed(key);
        self.entries.get(key).map(|e| e.value.kind())
    }

    typed_access!(String, Str, get_string, get_string_mut, "a string");
    typed_access!(
        List,
        List,
        get_list,
        get_list_mut,
        list_or_insert,
        List::new(),
        "a list"
    );
    typed_access!(
        Hash,
        Hash,
        get_hash,
        get_hash_mut,
        hash_or_insert,
        Hash::new(),
        "a hash"
    );
    typed_access!(
        Set,
        Members,
        get_set,
        get_set_mut,
        set_or_insert,
        Members::default(),
        "a set"
    );
    typed_access!(
        ZSet,
        ZSet,
        get_zset,
        get_zset_mut,
        zset_or_insert,
        ZSet::new(),
        "a sorted set"
    );
    typed_access!(
        Stream,
        Stream,
        get_stream,
        get_stream_mut,
        stream_or_insert,
        Stream::new(),
        "a stream"
    );

    /// Adds a key that is not in the table (nor in any side table).
    fn add_new(&mut self, key: &[u8], value: Value) {
        self.notify(events::NEW, "new", key);
        self.entries.insert(
            Key::new(key),
            Slot {
                value,
                accessed_ms: self.now_ms,
            },
        );
    }

    /// Stores `value` under `key`, dropping any deadline (Redis's `setKey`
    /// without KEEPTTL). Signals the modification; queues `new` for a new key.
    pub fn insert(&mut self, key: &[u8], value: Value) {
        self.store(key, value, false);
    }

    /// Stores `value` under `key`, keeping an existing deadline (KEEPTTL).
    pub fn insert_keep_ttl(&mut self, key: &[u8], value: Value) {
        self.store(key, value, true);
    }

    fn store(&mut self, key: &[u8], value: Value, keep_ttl: bool) {
        self.expire_if_needed(key);
        self.touched(key);
        let now = self.now_ms;
        match self.entries.get_full_mut(key) {
            Some((_, k, e)) => {
                e.value = value;
                e.accessed_ms = now;
                if !self.encodings.is_empty() {
                    self.encodings.remove(key);
                }
                if !keep_ttl && !self.expires.is_empty() {
                    if let Some(t) = self.expires.remove(key) {
                        self.deadlines.remove(&(t, k.clone()));
                    }
                }
            }
            None => self.add_new(key, value),
        }
    }

    /// Stores a whole entry (value and deadline) as RESTORE, COPY, MOVE and
    /// RENAME do. Signals the modification.
    pub fn insert_entry(&mut self, key: &[u8], value: Value, expires_at: Option<i64>) {
        self.insert(key, value);
        if let Some(t) = expires_at {
            self.set_expire(key, t);
        }
    }

    /// Deletes `key`; returns its entry. Signals the modification. Does not
    /// queue a `del` event (the caller knows which event applies).
    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        self.expire_if_needed(key);
        let (k, e) = self.take(key)?;
        self.touched(&k);
        Some(e)
    }

    /// Deletes `key` if it holds an empty aggregate, queueing the `del`
    /// event Redis sends then. True when it was removed.
    pub fn remove_if_empty(&mut self, key: &[u8]) -> bool {
        let empty = self
            .entries
            .get(key)
            .is_some_and(|e| e.value.is_empty_aggregate());
        if empty {
            if let Some((k, _)) = self.take(key) {
                self.touched(&k);
                self.notify(events::GENERIC, "del", &k);
            }
        }
        empty
    }

    /// Sets the deadline of an existing key (Unix ms). Does not check
    /// whether the deadline is already past: callers delete instead, as
    /// Redis's `expireGenericCommand` does. Signals the modification.
    pub fn set_expire(&mut self, key: &[u8], at_ms: i64) -> bool {
        let Some((k, _)) = self.entries.get_key_value(key) else {
            return false;
        };
        let k = k.clone();
        if let Some(old) = self.expires.insert(k.clone(), at_ms) {
            self.deadlines.remove(&(old, k.clone()));
        }
        self.deadlines.insert((at_ms, k.clone()));
        self.touched(&k);
        true
    }

    /// Drops the deadline of `key`; true when it had one. Signals the
    /// modification when it did.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        self.expire_if_needed(key);
        let Some(t) = self.deadline(key) else {
            return false;
        };
        let Some((k, _)) = self.expires.remove_entry(key) else {
            return false;
        };
        self.deadlines.remove(&(t, k.clone()));
        self.touched(&k);
        true
    }

    /// Sets the access time of `key` (RESTORE ... IDLETIME).
    pub fn set_accessed(&mut self, key: &[u8], at_ms: i64) {
        if let Some(e) = self.entries.get_mut(key) {
            e.accessed_ms = at_ms;
        }
    }

    /// Records how a string value was built, for `OBJECT ENCODING`.
    pub fn set_str_encoding(&mut self, key: &[u8], enc: StrEncoding) {
        let Some((k, _)) = self.entries.get_key_value(key) else {
            return;
        };
        if enc == StrEncoding::Auto {
            self.encodings.remove(key);
        } else {
            let k = k.clone();
            self.encodings.insert(k, enc);
        }
    }

    /// The deadline of `key` (Unix ms), expiring it first if due.
    pub fn expire_at(&mut self, key: &[u8]) -> Option<i64> {
        self.expire_if_needed(key);
        self.deadline(key)
    }

    /// Every key and entry, including those past their deadline not yet removed.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], EntryRef<'_>)> + '_ {
        self.entries
            .iter()
            .map(|(k, slot)| (k.as_bytes(), self.view(k, slot)))
    }

    /// Every key that is not past its deadline (no removal).
    pub fn live_keys(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let now = self.now_ms;
        self.entries
            .keys()
            .filter(move |k| !self.is_expired_at(k, now))
            .map(|k| k.as_bytes())
    }

    /// The key at position `n` of the table (O(1); RANDOMKEY draws `n`).
    pub fn nth_key(&self, n: usize) -> Option<Bytes> {
        self.entries.get_index(n).map(|(k, _)| k.to_bytes())
    }

    /// One page of SCAN: the keys at the positions the page visits (see
    /// [`scan_span`] for the cursor and its guarantee), keys past their
    /// deadline included (SCAN filters them as Redis does), and the cursor
    /// to answer. O(count).
    pub fn scan(&self, cursor: u64, count: usize) -> (u64, Vec<Bytes>) {
        let (next, span) = scan_span(self.entries.len(), cursor, count);
        let page = span
            .rev()
            .filter_map(|i| self.entries.get_index(i).map(|(k, _)| k.to_bytes()))
            .collect();
        (next, page)
    }

    /// Empties the database, signalling WATCH the way Redis's FLUSHDB does
    /// (every watched key that existed is touched). Returns how many keys
    /// were removed.
    pub fn flush(&mut self) -> usize {
        let removed = self.entries.len();
        let watched: Vec<(Bytes, bool)> = self
            .watched
            .keys()
            .filter(|k| self.entries.contains_key(&k[..]))
            .map(|k| (k.clone(), self.is_logically_expired(k)))
            .collect();
        if self.track_touched {
            // Clients blocked on a key learn it is gone (XREADGROUP errors).
            let keys: Vec<Bytes> = self.entries.keys().map(Key::to_bytes).collect();
            self.touched.extend(keys);
        }
        self.entries = IndexMap::default();
        self.expires = FxHashMap::default();
        self.deadlines.clear();
        self.encodings = FxHashMap::default();
        self.lfu_counters = FxHashMap::default();
        let track_writes = std::mem::replace(&mut self.track_writes, false);
        if track_writes {
            self.written.push(None);
        }
        for (k, expired) in watched {
            if expired {
                self.touched_expired(&k);
            } else {
                self.touched(&k);
            }
        }
        self.track_writes = track_writes;
        self.version += 1;
        removed
    }

    /// Exchanges the keyspaces of two databases (SWAPDB). Ids, WATCH
    /// registrations and counters stay; every watched key that exists in
    /// either keyspace is touched in both.
    pub fn swap_contents(a: &mut Db, b: &mut Db) {
        std::mem::swap(&mut a.entries, &mut b.entries);
        std::mem::swap(&mut a.expires, &mut b.expires);
        std::mem::swap(&mut a.deadlines, &mut b.deadlines);
        std::mem::swap(&mut a.encodings, &mut b.encodings);
        std::mem::swap(&mut a.lfu_counters, &mut b.lfu_counters);
        let existing = |db: &Db, other: &Db| -> Vec<Bytes> {
            db.watched
                .keys()
                .filter(|k| db.entries.contains_key(&k[..]) || other.entries.contains_key(&k[..]))
                .cloned()
                .collect()
        };
        let (in_a, in_b) = (existing(a, b), existing(b, a));
        // Clients blocked on either database may find their key ready now,
        // or gone (Redis's SWAPDB scans for ready and deleted keys).
        let swapped = |db: &Db, other: &Db| -> Vec<Bytes> {
            if !db.track_touched {
                return Vec::new();
            }
            db.entries
                .keys()
                .chain(other.entries.keys())
                .map(Key::to_bytes)
                .collect()
        };
        let (ready_a, ready_b) = (swapped(a, b), swapped(b, a));
        for (db, keys, ready) in [(a, in_a, ready_a), (b, in_b, ready_b)] {
            db.version += 1;
            for k in keys {
                db.touched(&k);
            }
            db.touched.extend(ready);
        }
    }

    // --- hooks ---------------------------------------------------------

    /// The hook every modification of `key` goes through (Redis's
    /// `signalModifiedKey`): invalidates WATCH on the key, bumps the
    /// database version and records the key for blocked-client wakeups
    /// (drained by the engine after each command with
    /// [`Db::take_touched`]).
    pub fn touched(&mut self, key: &[u8]) {
        self.version += 1;
        if let Some(w) = self.watched.get_mut(key) {
            w.stamp = self.version;
            w.live_stamp = self.version;
        }
        if self.track_touched {
            self.touched.push(Bytes::copy_from_slice(key));
        }
        if self.track_writes {
            self.written.push(Some(Bytes::copy_from_slice(key)));
        }
    }

    /// Records `key` for blocked-client wakeups only, without counting a
    /// modification (Redis's `signalKeyAsReady` without
    /// `signalModifiedKey`: XGROUP DESTROY).
    pub fn signal_ready(&mut self, key: &[u8]) {
        if self.track_touched {
            self.touched.push(Bytes::copy_from_slice(key));
        }
    }

    /// [`Db::touched`] for the deletion of a key already past its deadline.
    fn touched_expired(&mut self, key: &[u8]) {
        self.version += 1;
        if let Some(w) = self.watched.get_mut(key) {
            w.stamp = self.version;
        }
        if self.track_touched {
            self.touched.push(Bytes::copy_from_slice(key));
        }
        if self.track_writes {
            self.written.push(Some(Bytes::copy_from_slice(key)));
        }
    }

    /// Queues a keyspace notification (Redis's `notifyKeyspaceEvent`) when
    /// `notify-keyspace-events` enables its class.
    pub fn notify(&mut self, class: u32, event: &'static str, key: &[u8]) {
        if self.notify_mask & class == 0 {
            return;
        }
        self.events.push(KeyEvent {
            class,
            event,
            key: Bytes::copy_from_slice(key),
        });
    }

    /// Which event classes [`Db::notify`] queues: the engine sets it from
    /// `notify-keyspace-events` (0 unless `K` or `E` is present, as Redis
    /// publishes nothing then).
    pub fn set_notify_mask(&mut self, mask: u32) {
        self.notify_mask = mask;
    }

    /// Whether [`Db::touched`] records keys for [`Db::take_touched`]. Off by
    /// default (no cost per write); turn it on while clients are blocked.
    pub fn set_track_touched(&mut self, on: bool) {
        self.track_touched = on;
        if !on {
            self.touched.clear();
        }
    }

    /// Whether writes are recorded for client-side caching invalidation
    /// ([`Db::take_written`]): on while any client has `CLIENT TRACKING` on.
    pub fn set_track_writes(&mut self, on: bool) {
        self.track_writes = on;
        if !on {
            self.written.clear();
        }
    }

    /// The keys written since the last call, in order (`None`: a flush),
    /// while [`Db::set_track_writes`] is on.
    pub fn take_written(&mut self) -> Vec<Option<Bytes>> {
        std::mem::take(&mut self.written)
    }

    /// Whether keys deleted on expiry are logged for [`Db::take_expired`]
    /// (on while a replica is attached).
    pub fn set_log_expired(&mut self, on: bool) {
        self.expired_log = on.then(Vec::new);
    }

    /// The keys deleted on expiry since the last call.
    pub fn take_expired(&mut self) -> Vec<Bytes> {
        self.expired_log
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// How many keys [`Db::take_touched`] would return now.
    pub fn touched_len(&self) -> usize {
        self.touched.len()
    }

    /// The keys touched after the first `n` (see [`Db::touched_len`]),
    /// each once, left in place.
    pub fn touched_from(&self, n: usize) -> Vec<Bytes> {
        let mut out: Vec<Bytes> = Vec::new();
        for k in self.touched.iter().skip(n) {
            if !out.contains(k) {
                out.push(k.clone());
            }
        }
        out
    }

    /// The keys modified since the last call (while tracking is on).
    pub fn take_touched(&mut self) -> Vec<Bytes> {
        std::mem::take(&mut self.touched)
    }

    /// Whether [`Db::take_touched`] has anything (the engine checks this
    /// after every command before taking).
    pub fn has_touched(&self) -> bool {
        !self.touched.is_empty()
    }

    /// Whether [`Db::take_events`] has anything.
    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// The keyspace notifications queued since the last call.
    pub fn take_events(&mut self) -> Vec<KeyEvent> {
        std::mem::take(&mut self.events)
    }

    /// Bumped on every modification: a cheap "has anything changed" check.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Registers a WATCH on `key`; keep the mark for [`Db::watch_broken`].
    pub fn watch(&mut self, key: &Bytes) -> WatchMark {
        let expired = self.is_logically_expired(key);
        let w = self.watched.entry(key.clone()).or_insert(Watched {
            stamp: 0,
            live_stamp: 0,
            watchers: 0,
        });
        w.watchers += 1;
        WatchMark {
            stamp: w.stamp,
            live_stamp: w.live_stamp,
            expired,
        }
    }

    /// Whether a WATCH registered with `mark` is broken, as Redis decides at
    /// EXEC: the key was modified (deleting a key that had already expired
    /// when WATCH ran does not count), or it has expired since.
    pub fn watch_broken(&self, key: &[u8], mark: &WatchMark) -> bool {
        let Some(w) = self.watched.get(key) else {
            return true;
        };
        if mark.expired {
            w.live_stamp != mark.live_stamp
        } else {
            w.stamp != mark.stamp || self.is_logically_expired(key)
        }
    }

    /// Drops one WATCH registration of `key`.
    pub fn unwatch(&mut self, key: &[u8]) {
        if let Some(w) = self.watched.get_mut(key) {
            w.watchers -= 1;
            if w.watchers == 0 {
                self.watched.remove(key);
            }
        }
    }

    /// Whether anyone watches `key` (tests check WATCH bookkeeping with it).
    #[cfg(test)]
    pub fn is_watched(&self, key: &[u8]) -> bool {
        self.watched.contains_key(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    #[test]
    fn lazy_expiry_follows_the_clock() {
        let mut db = Db::new(0);
        db.set_notify_mask(events::ALL | events::KEYEVENT);
        db.set_now(1000);
        db.insert(&b("k"), Value::String(b("v").into()));
        db.set_expire(b"k", 1500);
        db.set_now(1500);
        assert!(
            db.get(b"k").is_some(),
            "expires only once the clock is past"
        );
        db.set_now(1501);
        assert!(db.get(b"k").is_none());
        assert_eq!(db.stats.expired, 1);
        assert_eq!(db.expires(), 0);
        let events = db.take_events();
        assert!(events.iter().any(|e| e.event == "expired"));
    }

    #[test]
    fn typed_access_reports_wrongtype() {
        let mut db = Db::new(0);
        db.insert(&b("s"), Value::String(b("v").into()));
        assert_eq!(db.get_list(b"s"), Err(wrongtype()));
        assert_eq!(db.list_or_insert(&b("s")).err(), Some(wrongtype()));
        db.list_or_insert(&b("l"))
            .unwrap()
            .push_back(b("x"), Default::default());
        assert_eq!(db.get_list(b"l").unwrap().map(|l| l.len()), Some(1));
        db.get_list_mut(b"l").unwrap().unwrap().clear();
        assert!(db.remove_if_empty(b"l"));
        assert!(!db.contains(b"l"));
    }

    #[test]
    fn watch_stamps_change_on_touch_and_flush() {
        let mut db = Db::new(0);
        let k = b("w");
        let m = db.watch(&k);
        assert!(!db.watch_broken(b"w", &m));
        db.insert(&k, Value::String(b("1").into()));
        assert!(db.watch_broken(b"w", &m));
        let m2 = db.watch(&k);
        db.flush();
        assert!(db.watch_broken(b"w", &m2));
        let m3 = db.watch(&k);
        db.flush(); // the key no longer exists: nothing to invalidate
        assert!(!db.watch_broken(b"w", &m3));
        db.unwatch(b"w");
        db.unwatch(b"w");
        db.unwatch(b"w");
        assert!(!db.is_watched(b"w"));
    }

    #[test]
    fn metadata_lives_beside_the_entry_and_follows_the_key() {
        let mut db = Db::new(0);
        db.set_now(1000);
        db.insert(&b("k"), Value::String(b("v").into()));
        let fresh = db.entry(b"k").unwrap();
        assert_eq!(
            (
                fresh.expires_at,
                fresh.accessed_ms,
                fresh.str_encoding,
                fresh.lfu_counter
            ),
            (None, 1000, StrEncoding::Auto, LFU_INIT_VAL)
        );
        db.set_expire(b"k", 5000);
        db.set_str_encoding(b"k", StrEncoding::Raw);
        db.set_lfu_counter(b"k", 9);
        db.set_accessed(b"k", 700);
        let e = db.entry(b"k").unwrap().cloned();
        assert_eq!(
            (e.expires_at, e.accessed_ms, e.str_encoding, e.lfu_counter),
            (Some(5000), 700, StrEncoding::Raw, 9)
        );
        // KEEPTTL keeps the deadline; any overwrite resets the encoding
        // and keeps the LFU counter, as Redis's setKey does.
        db.insert_keep_ttl(&b("k"), Value::String(b("w").into()));
        let e = db.entry(b"k").unwrap();
        assert_eq!(
            (e.expires_at, e.str_encoding, e.lfu_counter),
            (Some(5000), StrEncoding::Auto, 9)
        );
        db.insert(&b("k"), Value::String(b("x").into()));
        assert_eq!(db.expire_at(b"k"), None);
        assert_eq!(db.expires(), 0);
        // A removed key takes its metadata along; a new key under the same
        // name starts afresh.
        db.set_expire(b"k", 6000);
        db.set_str_encoding(b"k", StrEncoding::NoInt);
        let gone = db.remove(b"k").unwrap();
        assert_eq!(
            (gone.expires_at, gone.str_encoding, gone.lfu_counter),
            (Some(6000), StrEncoding::NoInt, 9)
        );
        db.insert(&b("k"), Value::String(b("y").into()));
        let e = db.entry(b"k").unwrap();
        assert_eq!(
            (e.expires_at, e.str_encoding, e.lfu_counter),
            (None, StrEncoding::Auto, LFU_INIT_VAL)
        );
        assert!(db.expires.is_empty() && db.encodings.is_empty() && db.lfu_counters.is_empty());
        // SWAPDB moves the side tables with the keys; FLUSHDB empties them.
        db.set_expire(b"k", 7000);
        let mut other = Db::new(1);
        other.set_now(1000);
        Db::swap_contents(&mut db, &mut other);
        assert_eq!(db.len(), 0);
        assert_eq!(other.expire_at(b"k"), Some(7000));
        other.flush();
        assert_eq!(other.expires(), 0);
        assert!(other.expires.is_empty());
    }

    #[test]
    fn keys_inline_and_boxed_look_up_alike() {
        let mut db = Db::new(0);
        for len in [0, 1, Key::INLINE - 1, Key::INLINE, Key::INLINE + 1, 300] {
            let name = "k".repeat(len);
            db.insert(&b(&name), Value::String(b(&len.to_string()).into()));
        }
        for len in [0, 1, Key::INLINE - 1, Key::INLINE, Key::INLINE + 1, 300] {
            let name = "k".repeat(len);
            assert_eq!(
                db.get_string(name.as_bytes())
                    .unwrap()
                    .map(|s| s.as_bytes()),
                Some(len.to_string().as_bytes())
            );
            assert!(matches!(Key::new(name.as_bytes()), Key::Inline(_)) == (len <= Key::INLINE));
            assert_eq!(Key::new(name.as_bytes()).as_bytes(), name.as_bytes());
        }
        let mut keys: Vec<&[u8]> = db.live_keys().collect();
        keys.sort();
        assert_eq!(keys.len(), 6);
        assert_eq!(keys[0], b"");
        assert!(Key::new(b"aa") < Key::new(&[b'a'; 30]));
        assert!(Key::new(b"ab") > Key::new(&[b'a'; 30]));
    }

    #[test]
    fn active_expiry_removes_due_keys() {
        let mut db = Db::new(0);
        db.set_now(0);
        for i in 0..10 {
            let k = b(&format!("k{i}"));
            db.insert(&k, Value::String(b("v").into()));
            db.set_expire(&k, i * 10);
        }
        db.set_now(45);
        assert_eq!(db.expire_due(), 5);
        assert_eq!(db.len(), 5);
        assert_eq!(db.expires(), 5);
    }
}
#[cfg(test)]
mod size {
    /// Every key pays for an entry in the table (and ~1/0.875 of one in
    /// slack), so a growing entry shows up directly in bytes per key
    /// (`scripts/memory.py`): keep the aggregates boxed.
    #[test]
    fn entries_stay_small() {
        assert!(std::mem::size_of::<crate::engine::types::Value>() <= 40);
        assert!(std::mem::size_of::<super::Slot>() <= 48);
        assert_eq!(std::mem::size_of::<super::Key>(), 24);
    }
}
