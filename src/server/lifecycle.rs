//! What a test sees of `SHUTDOWN` from the handle: whether the server has
//! stopped, and a wait for it.

use super::handle::MockRedis;
use crate::engine::commands::shutdown::Phase;

impl MockRedis {
    /// Whether a client's `SHUTDOWN` has stopped the server: every
    /// connection closed and the listeners shut, so connecting is refused.
    /// [`restart`](MockRedis::restart) brings it back on the same address.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> redis::RedisResult<()> {
    /// let mut server = mock_redis::MockRedis::start().await;
    /// let mut conn = redis::Client::open(server.url())?.get_multiplexed_async_connection().await?;
    /// let _ = redis::cmd("SHUTDOWN").query_async::<()>(&mut conn).await; // no reply: the server exits
    /// server.wait_for_shutdown().await;
    /// assert!(server.is_shut_down());
    /// assert!(tokio::net::TcpStream::connect(server.addr()).await.is_err());
    /// server.restart().await.unwrap();
    /// assert!(!server.is_shut_down());
    /// # Ok(())
    /// # }
    /// ```
    pub fn is_shut_down(&self) -> bool {
        *self.shared().engine().shutdown.borrow() == Phase::Done
    }

    /// Waits until a client's `SHUTDOWN` has stopped the server (see
    /// [`is_shut_down`](MockRedis::is_shut_down)); returns at once if it has.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use tokio::io::AsyncWriteExt;
    ///
    /// let server = mock_redis::MockRedis::start().await;
    /// let mut conn = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    /// conn.write_all(b"SHUTDOWN NOSAVE\r\n").await.unwrap();
    /// server.wait_for_shutdown().await;
    /// assert!(server.is_shut_down());
    /// # }
    /// ```
    pub async fn wait_for_shutdown(&self) {
        let mut phase = self.shared().engine().shutdown.subscribe();
        // The sender lives as long as the engine, which the handle holds.
        let _ = phase.wait_for(|p| *p == Phase::Done).await;
    }
}
