//! What [`Hub`] offers on PostgreSQL: connecting through the application's
//! pool, and publishing inside the application's transaction.

use std::sync::Arc;

use sqlx::PgPool;
use sqlx::postgres::PgConnection;

use crate::event::SseEvent;
use crate::hub::backend::Backend;
use crate::hub::postgres::PostgresHub;
use crate::hub::{Hub, HubConfig, HubError};

impl Hub {
    /// A hub whose topics live in the PostgreSQL database of `pool` (sqlx's
    /// pool, the one the application already has), shared by every process
    /// connected to it.
    ///
    /// Connecting creates the hub's tables and function if they are missing
    /// (`sse_hub_topics`, `sse_hub_events`, `sse_hub_keys`,
    /// `sse_hub_publish`), so the first role to connect needs `CREATE` on
    /// the schema; once they are there (at this version), a role that may
    /// only read and write them connects as well. Each process holds one more connection of its own, on
    /// which it `LISTEN`s for every topic; publishes and replays take one
    /// from `pool` for a statement each. A topic's history is its last
    /// [`HubConfig::replay`] events (at least the newest), and none older
    /// than [`HubConfig::replay_for`] when set. Delivery, outages and gaps
    /// as on Redis ([`Hub::redis`], feature `redis`): a client resuming
    /// with `Last-Event-ID` gets every event after it the table still
    /// holds, exactly once; while the database is away publishes and
    /// subscribes fail within [`HubConfig::backend_timeout`], open
    /// subscriptions stay open and miss nothing the table kept. Needs
    /// PostgreSQL 12 or newer.
    ///
    /// ```no_run
    /// use sse_runtime::hub::{Hub, HubConfig};
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let pool = sqlx::PgPool::connect("postgres://app@localhost/app").await?;
    /// let hub = Hub::postgres(pool, HubConfig::default()).await?;
    /// # drop(hub);
    /// # Ok(())
    /// # }
    /// # let _ = run;
    /// ```
    ///
    /// # Errors
    /// [`HubError::Backend`] if the database cannot be reached or refuses
    /// to create the tables.
    #[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
    pub async fn postgres(pool: PgPool, config: HubConfig) -> Result<Self, HubError> {
        Ok(Self {
            backend: Backend::Postgres(Arc::new(PostgresHub::connect(pool, config).await?)),
        })
    }

    /// Publishes `event` to `topic` inside the application's transaction
    /// `connection` (`&mut *transaction`): it is stored and reaches
    /// subscribers exactly when the transaction commits, and never if it
    /// rolls back, so that what the application writes and what its
    /// clients are told cannot disagree (the outbox pattern, with nothing
    /// to drain). Returns the id it will have.
    ///
    /// Until the transaction ends, other publishes to `topic` wait for it
    /// (that is what keeps a topic's ids in commit order): publish last,
    /// just before committing. Under `REPEATABLE READ` or `SERIALIZABLE`
    /// (PostgreSQL's default is `READ COMMITTED`), a publish that waited
    /// for another transaction on the topic fails with a serialization
    /// error: retry the transaction, as those levels always ask.
    ///
    /// ```no_run
    /// use sse_runtime::Event;
    /// use sse_runtime::hub::Hub;
    ///
    /// # async fn run(pool: sqlx::PgPool, hub: Hub) -> Result<(), Box<dyn std::error::Error>> {
    /// let mut transaction = pool.begin().await?;
    /// sqlx::query("UPDATE orders SET state = 'paid' WHERE id = $1")
    ///     .bind(7_i64)
    ///     .execute(&mut *transaction)
    ///     .await?;
    /// hub.publish_in(&mut transaction, "orders", &Event::data("7 paid")).await?;
    /// transaction.commit().await?; // now, and only now, subscribers get it
    /// # Ok(())
    /// # }
    /// # let _ = run;
    /// ```
    ///
    /// # Errors
    /// As [`publish`](Hub::publish); [`HubError::Backend`] too if this hub
    /// is not on PostgreSQL (made by [`Hub::postgres`]): its events could
    /// not share the transaction.
    #[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
    pub async fn publish_in<E: SseEvent + ?Sized>(
        &self,
        connection: &mut PgConnection,
        topic: &str,
        event: &E,
    ) -> Result<u64, HubError> {
        let Backend::Postgres(hub) = &self.backend else {
            return Err(HubError::Backend(
                format!(
                    "`publish_in` needs a hub on PostgreSQL (`Hub::postgres`); this one is on \
                     {:?}: publish after the transaction commits instead",
                    self.backend
                )
                .into(),
            ));
        };
        let result = hub.publish_in(connection, topic, event).await;
        self.backend.count_publish(topic, result)
    }
}
