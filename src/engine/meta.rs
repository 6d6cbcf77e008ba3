//! The mock layer's window on the engine: what `src/mock` may know about
//! commands, and nothing else.
//!
//! Matchers, the journal and strict mode need a little command metadata
//! (is this a known command, does it take a subcommand, does Redis serve it
//! while loading, which arguments are keys) and the engine's rule for error
//! texts. They read it here rather than from the command table, so the
//! engine can reorganise its modules freely and `src/mock` imports nothing
//! from `crate::engine` but this module. The engine itself never imports
//! the mock layer.
//!
//! Add to this file only what the mock layer uses, as functions or small
//! read-only views; keep [`CommandSpec`] and the table's internals out of
//! its signatures.

use bytes::Bytes;

use super::command::{self, CommandSpec, CommandTable, Resolved, flags};
use crate::protocol::Reply;

/// What the mock layer may read about one command or subcommand.
#[derive(Clone, Copy)]
pub(crate) struct CommandInfo {
    spec: &'static CommandSpec,
}

impl CommandInfo {
    /// Whether the command is a container whose first argument names a
    /// subcommand (`CLIENT`, `CONFIG`, ...).
    pub fn has_subcommands(self) -> bool {
        !self.spec.subcommands.is_empty()
    }

    /// Whether the command is flagged `write` (it may change data).
    pub fn is_write(self) -> bool {
        self.spec.flags & flags::WRITE != 0
    }

    /// Whether Redis serves the command while it loads its dataset (the
    /// `loading` flag: `HELLO`, `AUTH`, `SELECT`, `CLIENT ...`, `INFO`,
    /// `COMMAND`, ...).
    pub fn served_while_loading(self) -> bool {
        self.spec.flags & flags::LOADING != 0
    }
}

/// The command named `name` (any case), without resolving a subcommand;
/// `None` for a command the engine does not know.
pub(crate) fn lookup(name: &[u8]) -> Option<CommandInfo> {
    CommandTable::get()
        .lookup(name)
        .map(|spec| CommandInfo { spec })
}

/// The command or subcommand Redis would run for `args` (`args[0]` is the
/// name; a container resolves to its subcommand); `None` for an unknown
/// command or subcommand.
pub(crate) fn resolve(args: &[Bytes]) -> Option<CommandInfo> {
    if args.is_empty() {
        return None;
    }
    match CommandTable::get().resolve(args) {
        Resolved::Found(spec, _) => Some(CommandInfo { spec }),
        Resolved::UnknownSubcommand(_) | Resolved::Unknown => None,
    }
}

/// The positions of the key arguments in a full command (`args[0]` is the
/// name), as the command table's key specs give them; empty for an unknown
/// command.
pub(crate) fn key_positions(args: &[Bytes]) -> Vec<usize> {
    command::key_positions(args)
}

/// An error reply from raw text, with `\r` and `\n` mapped to spaces as
/// Redis does for error texts built from user input.
pub(crate) fn one_line_error(text: Vec<u8>) -> Reply {
    super::util::errors::one_line_error(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<Bytes> {
        a.iter()
            .map(|s| Bytes::copy_from_slice(s.as_bytes()))
            .collect()
    }

    #[test]
    fn lookup_and_resolve() {
        assert!(lookup(b"get").is_some());
        assert!(lookup(b"NOSUCHCOMMAND").is_none());
        assert!(lookup(b"CLIENT").unwrap().has_subcommands());
        assert!(!lookup(b"GET").unwrap().has_subcommands());
        assert!(
            resolve(&args(&["select", "1"]))
                .unwrap()
                .served_while_loading()
        );
        assert!(
            !resolve(&args(&["GET", "k"]))
                .unwrap()
                .served_while_loading()
        );
        assert!(resolve(&args(&["CLIENT", "NOSUCH"])).is_none());
        assert!(resolve(&args(&["SET", "k", "v"])).unwrap().is_write());
        assert!(resolve(&args(&["FLUSHDB"])).unwrap().is_write());
        assert!(!resolve(&args(&["GET", "k"])).unwrap().is_write());
        assert!(
            !resolve(&args(&["CONFIG", "SET", "a", "b"]))
                .unwrap()
                .is_write()
        );
        assert!(resolve(&[]).is_none());
    }

    #[test]
    fn keys_and_errors() {
        assert_eq!(key_positions(&args(&["MSET", "a", "1", "b", "2"])), [1, 3]);
        assert!(key_positions(&args(&["NOSUCH", "k"])).is_empty());
        assert_eq!(
            one_line_error(b"ERR a\r\nb".to_vec()),
            Reply::Error(Bytes::from_static(b"ERR a  b"))
        );
    }
}
