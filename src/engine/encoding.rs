//! The encoding thresholds the write commands check on every call
//! (`hash-max-listpack-*`, `zset-max-listpack-*`, `list-max-listpack-size`,
//! `set-max-intset-entries`, `stream-node-max-*`), read from the configuration once per change
//! instead of once per command: a lookup by name in the configuration costs
//! more than many a command itself.

use std::cell::Cell;

use super::Engine;
use super::config::RuntimeConfig;
use super::types::hash::{self, DEFAULT_MAX_LISTPACK_ENTRIES, DEFAULT_MAX_LISTPACK_VALUE};
use super::types::list::ListLimits;
use super::types::set::SET_MAX_INTSET_ENTRIES;
use super::types::stream::NodeLimits;
use super::types::zset::ListpackLimits;

/// The thresholds, as the configuration had them at some generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct EncodingLimits {
    pub hash: hash::Limits,
    pub zset: ListpackLimits,
    pub list: ListLimits,
    pub intset_entries: usize,
    pub stream_node: NodeLimits,
}

impl EncodingLimits {
    /// Reads them from the configuration (Redis's defaults for a parameter
    /// that does not parse, negative sizes as 0).
    pub fn from_config(config: &RuntimeConfig) -> EncodingLimits {
        let size = |name: &str, default: usize| {
            config.get_int(name).map_or(default, |n| n.max(0) as usize)
        };
        EncodingLimits {
            hash: hash::Limits {
                entries: size("hash-max-listpack-entries", DEFAULT_MAX_LISTPACK_ENTRIES),
                value: size("hash-max-listpack-value", DEFAULT_MAX_LISTPACK_VALUE),
            },
            zset: ListpackLimits {
                max_entries: size(
                    "zset-max-listpack-entries",
                    ListpackLimits::DEFAULT.max_entries,
                ),
                max_value: size("zset-max-listpack-value", ListpackLimits::DEFAULT.max_value),
            },
            list: ListLimits::from_fill(config.get_int("list-max-listpack-size").unwrap_or(-2)),
            intset_entries: size("set-max-intset-entries", SET_MAX_INTSET_ENTRIES),
            stream_node: NodeLimits {
                max_bytes: size("stream-node-max-bytes", 4096) as u64,
                max_entries: size("stream-node-max-entries", 100) as u64,
            },
        }
    }
}

/// The engine's copy of the thresholds with the configuration generation
/// it was read at.
#[derive(Debug, Default)]
pub(crate) struct EncodingCache(Cell<Option<(u64, EncodingLimits)>>);

impl Engine {
    /// The encoding thresholds of the current configuration (read again
    /// only after the configuration changed).
    pub(crate) fn encoding_limits(&self) -> EncodingLimits {
        let generation = self.runtime.generation();
        match self.encoding_cache.0.get() {
            Some((at, limits)) if at == generation => limits,
            _ => {
                let limits = EncodingLimits::from_config(&self.runtime);
                self.encoding_cache.0.set(Some((generation, limits)));
                limits
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configuration_change_is_seen_at_once() {
        let mut engine = Engine::new(Default::default());
        assert_eq!(engine.encoding_limits().hash.entries, 512);
        engine
            .runtime
            .set("hash-max-listpack-entries", "3")
            .unwrap();
        assert_eq!(engine.encoding_limits().hash.entries, 3);
        // A configuration replaced whole (CONFIG SET of several parameters)
        // is a new generation too.
        let mut next = engine.runtime.clone();
        next.set("zset-max-listpack-value", "7").unwrap();
        engine.runtime = next;
        assert_eq!(engine.encoding_limits().zset.max_value, 7);
        assert_eq!(engine.encoding_limits().hash.entries, 3);
        engine.runtime = RuntimeConfig::default();
        assert_eq!(engine.encoding_limits().hash.entries, 512);
    }
}
