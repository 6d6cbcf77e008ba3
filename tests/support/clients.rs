//! redis-rs connections for tests. redis-rs's async connections time a
//! request out after 500 ms and a connection attempt after 1 s by default,
//! which a loaded machine can exceed; tests use these generous limits
//! instead (failure detectors, see [`PATIENCE`]), and a test that wants a
//! timeout on purpose sets its own on the connection it made here.

use mock_redis::MockRedis;
use redis::AsyncConnectionConfig;
use redis::aio::{ConnectionManagerConfig, MultiplexedConnection};

use super::conn::PATIENCE;

/// An async connection configuration with [`PATIENCE`] as its response and
/// connection timeouts.
pub fn async_config() -> AsyncConnectionConfig {
    AsyncConnectionConfig::new()
        .set_response_timeout(Some(PATIENCE))
        .set_connection_timeout(Some(PATIENCE))
}

/// A `ConnectionManager` configuration with [`PATIENCE`] as its response
/// and connection timeouts.
pub fn manager_config() -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_response_timeout(Some(PATIENCE))
        .set_connection_timeout(Some(PATIENCE))
}

/// A multiplexed connection to `url` with [`async_config`].
pub async fn connect_url(url: &str) -> MultiplexedConnection {
    redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection_with_config(&async_config())
        .await
        .unwrap()
}

/// A multiplexed connection to `server` with [`async_config`].
pub async fn connect(server: &MockRedis) -> MultiplexedConnection {
    connect_url(&server.url()).await
}
