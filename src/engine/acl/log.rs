//! The ACL log (`ACL LOG`): denied commands, keys, channels and failed
//! authentications, newest first, similar events grouped (Redis's
//! `addACLLogEntry`).

use std::collections::VecDeque;

use bytes::Bytes;

use crate::protocol::Reply;

/// Why a command was denied, as `ACL LOG` names it (Redis's `ACL_DENIED_*`
/// order, which also ranks them when selectors disagree).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Reason {
    Command = 1,
    Key = 2,
    Auth = 3,
    Channel = 4,
}

impl Reason {
    fn name(self) -> &'static str {
        match self {
            Reason::Command => "command",
            Reason::Key => "key",
            Reason::Auth => "auth",
            Reason::Channel => "channel",
        }
    }
}

/// Where the denied command ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Context {
    Toplevel,
    Multi,
    #[cfg_attr(not(feature = "scripting"), allow(dead_code))]
    Lua,
}

impl Context {
    fn name(self) -> &'static str {
        match self {
            Context::Toplevel => "toplevel",
            Context::Multi => "multi",
            Context::Lua => "lua",
        }
    }
}

/// One entry.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub count: u64,
    pub reason: Reason,
    pub context: Context,
    pub object: Bytes,
    pub username: Bytes,
    /// Engine-clock Unix ms of the last event.
    pub ctime: i64,
    pub client_info: String,
}

/// Events closer than this (ms) are grouped.
const GROUPING_MAX_TIME_DELTA: i64 = 60_000;

/// The log, newest first.
#[derive(Debug, Default)]
pub(crate) struct Log {
    entries: VecDeque<Entry>,
}

impl Log {
    /// Adds an event, grouping it with a similar recent one (among the 10
    /// newest), and trims the log to `max_len` entries.
    pub fn add(&mut self, entry: Entry, max_len: usize) {
        let similar = self.entries.iter().take(10).position(|e| {
            e.reason == entry.reason
                && e.context == entry.context
                && (e.ctime - entry.ctime).abs() <= GROUPING_MAX_TIME_DELTA
                && e.object == entry.object
                && e.username == entry.username
        });
        if let Some(at) = similar {
            let mut e = self.entries.remove(at).expect("a matched entry");
            e.count += 1;
            e.ctime = entry.ctime;
            e.client_info = entry.client_info;
            self.entries.push_front(e);
        } else {
            self.entries.push_front(entry);
            self.entries.truncate(max_len);
        }
    }

    /// `ACL LOG RESET`.
    pub fn reset(&mut self) {
        self.entries.clear();
    }

    /// `ACL LOG [count]` at engine-clock `now_ms`.
    pub fn reply(&self, count: usize, now_ms: i64) -> Reply {
        Reply::Array(
            self.entries
                .iter()
                .take(count)
                .map(|e| {
                    let field = |k: &'static str, v: Reply| (Reply::bulk(k), v);
                    Reply::Map(vec![
                        field("count", Reply::int(e.count as i64)),
                        field("reason", Reply::bulk(e.reason.name())),
                        field("context", Reply::bulk(e.context.name())),
                        field("object", Reply::Bulk(e.object.clone())),
                        field("username", Reply::Bulk(e.username.clone())),
                        field(
                            "age-seconds",
                            Reply::Double((now_ms - e.ctime) as f64 / 1000.0),
                        ),
                        field("client-info", Reply::bulk(e.client_info.clone())),
                    ])
                })
                .collect(),
        )
    }
}
