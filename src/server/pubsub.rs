//! Pub/sub from the test side: publish to the clients' subscriptions, and
//! see what the clients published.

use bytes::Bytes;

use super::MockRedis;
use crate::engine::pubsub;

impl MockRedis {
    /// Publishes `message` on `channel`, exactly as a client's `PUBLISH`
    /// would (channel subscribers, then matching pattern subscribers), and
    /// returns the number of clients that received it. Test-side publishes
    /// are not listed by [`published`](MockRedis::published).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> redis::RedisResult<()> {
    /// use futures_util::StreamExt;
    ///
    /// let server = mock_redis::MockRedis::start().await;
    /// let client = redis::Client::open(server.url())?;
    /// let mut pubsub = client.get_async_pubsub().await?;
    /// pubsub.subscribe("news").await?;
    ///
    /// assert_eq!(server.publish("news", "hello"), 1);
    /// assert_eq!(server.publish("elsewhere", "nobody"), 0);
    ///
    /// let msg = pubsub.on_message().next().await.unwrap();
    /// assert_eq!(msg.get_channel_name(), "news");
    /// assert_eq!(msg.get_payload::<String>()?, "hello");
    /// # Ok(())
    /// # }
    /// ```
    pub fn publish(&self, channel: impl AsRef<[u8]>, message: impl Into<Bytes>) -> usize {
        let mut engine = self.shared().engine();
        engine.refresh_time();
        let message = message.into();
        let n = pubsub::publish(&mut engine, None, channel.as_ref(), &message, false);
        engine.after_command();
        n
    }

    /// Every message clients sent with `PUBLISH` or `SPUBLISH`, oldest
    /// first, as `(channel, message)` pairs (whether anyone received them
    /// or not).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> redis::RedisResult<()> {
    /// let server = mock_redis::MockRedis::start().await;
    /// let client = redis::Client::open(server.url())?;
    /// let mut conn = client.get_multiplexed_async_connection().await?;
    /// let receivers: i64 = redis::cmd("PUBLISH").arg("jobs").arg("done").query_async(&mut conn).await?;
    /// assert_eq!(receivers, 0);
    /// assert_eq!(
    ///     server.published(),
    ///     vec![(bytes::Bytes::from("jobs"), bytes::Bytes::from("done"))]
    /// );
    /// # Ok(())
    /// # }
    /// ```
    pub fn published(&self) -> Vec<(Bytes, Bytes)> {
        self.shared().engine().pubsub.published.clone()
    }

    /// The messages clients published on `channel`, oldest first.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// let client = redis::Client::open(server.url()).unwrap();
    /// let mut conn = client.get_connection().unwrap();
    /// let _: i64 = redis::cmd("PUBLISH").arg("a").arg("1").query(&mut conn).unwrap();
    /// let _: i64 = redis::cmd("PUBLISH").arg("b").arg("2").query(&mut conn).unwrap();
    /// assert_eq!(server.published_on("a"), vec![bytes::Bytes::from("1")]);
    /// ```
    pub fn published_on(&self, channel: impl AsRef<[u8]>) -> Vec<Bytes> {
        let channel = channel.as_ref();
        self.shared()
            .engine()
            .pubsub
            .published
            .iter()
            .filter(|(c, _)| c.as_ref() == channel)
            .map(|(_, m)| m.clone())
            .collect()
    }
}
