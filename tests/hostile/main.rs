//! Hostile clients: each test makes a client try to crash, hang or exhaust
//! the server, and checks that Redis's protection limits hold, on
//! mock-redis and, where the outcome is deterministic, on a real
//! redis-server too. `server.rs` holds the connection-side limits
//! (buffers, `maxclients`, `timeout`, protected mode, the published log).

#[path = "../support/mod.rs"]
mod support;

mod server;
