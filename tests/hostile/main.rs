//! Hostile clients: each test makes a client try to crash, hang or exhaust
//! the server (issue 10), and checks that it is answered as redis-server
//! 7.0.15 answers it, with memory proportional to what Redis uses, on
//! mock-redis and, where the outcome is deterministic, on a real
//! redis-server too. `engine.rs` holds the engine-side rows (commands,
//! payloads, configuration); `server.rs` the connection-side limits
//! (buffers, `maxclients`, `timeout`, protected mode, the published log).

#[path = "../support/mod.rs"]
mod support;

mod engine;
mod server;
