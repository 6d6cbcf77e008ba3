//! Hostile clients: requests meant to crash, hang or exhaust the server
//! (issue 10), answered as redis-server 7.0.15 answers them, with memory
//! proportional to what Redis uses. `engine` holds the engine-side rows
//! (commands, payloads, configuration); each test compares with a real
//! redis-server wherever the reply is deterministic.

#[path = "../support/mod.rs"]
mod support;

mod engine;
