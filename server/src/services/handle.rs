//! The one handle every service is given: the database, the configuration, our URLs, the federation
//! client once started, and the publisher of activities — a write transaction ([`Write`]) in which a
//! change and the activities it causes are queued together, and whose commit wakes the delivery
//! worker.

use std::ops::{Deref, DerefMut};
use std::sync::{Arc, OnceLock, RwLock};

use maillage_federation::{Federation, Urls};
use sqlx::AnyConnection;
use tokio::sync::Notify;

use super::cooperative::Presented;
use super::geocoding::Geocoder;
use crate::config::Config;
use crate::domain::ids::now_ms;
use crate::error::AppResult;
use crate::storage::media::MediaFiles;
use crate::storage::{Db, PooledConn, outbox};

/// What services work with; cheap to clone.
#[derive(Clone)]
pub struct Services {
    inner: Arc<Shared>,
}

struct Shared {
    db: Db,
    config: Arc<Config>,
    urls: Urls,
    /// Where images are kept on disk.
    media: MediaFiles,
    /// The address server of `[geocoding]`, when one is set.
    geocoder: Option<Geocoder>,
    /// Notified after each commit that queued deliveries (the delivery worker waits on it).
    wake: Arc<Notify>,
    /// Set once federation has started (the client signs as the instance actor, whose key is in
    /// the database).
    federation: OnceLock<Federation>,
    /// The cooperative as every page shows it (`services::cooperative::presented`): empty until
    /// read from the database, emptied again by each change of it.
    cooperative: RwLock<Known>,
}

/// The cooperative as last read, and how many changes of it there have been, so that a reading
/// begun before a change does not keep what the change replaced.
#[derive(Default)]
struct Known {
    changes: u64,
    presented: Option<Arc<Presented>>,
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services").field("domain", &self.inner.urls.domain()).finish_non_exhaustive()
    }
}

impl Services {
    pub fn new(config: Arc<Config>, db: Db) -> Self {
        let urls = Urls::new(config.public_url());
        let media = MediaFiles::new(&config.data_dir);
        let user_agent = format!("Maillage/{} (+{})", env!("CARGO_PKG_VERSION"), urls.base());
        let geocoder = Geocoder::new(&config.geocoding, &user_agent);
        let inner = Shared {
            db,
            config,
            urls,
            media,
            geocoder,
            wake: Arc::new(Notify::new()),
            federation: OnceLock::new(),
            cooperative: RwLock::new(Known::default()),
        };
        Self { inner: Arc::new(inner) }
    }

    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    /// A connection of the pool, for storage calls outside a transaction.
    pub async fn conn(&self) -> AppResult<PooledConn> {
        Ok(self.inner.db.conn().await?)
    }

    /// Begins a write transaction; what it queues is delivered once it commits.
    pub async fn write(&self) -> AppResult<Write> {
        Ok(Write { tx: self.inner.db.begin_write().await?, queued: false, wake: self.inner.wake.clone() })
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    pub fn urls(&self) -> &Urls {
        &self.inner.urls
    }

    /// Where images are kept on disk.
    pub fn media(&self) -> &MediaFiles {
        &self.inner.media
    }

    /// The address server of `[geocoding]`, when one is set.
    pub fn geocoder(&self) -> Option<&Geocoder> {
        self.inner.geocoder.as_ref()
    }

    /// The cooperative as last read, if it was and has not changed since, and the count of its
    /// changes to give back to [`Self::cooperative_read`].
    pub(super) fn known_cooperative(&self) -> (u64, Option<Arc<Presented>>) {
        self.inner.cooperative.read().map(|known| (known.changes, known.presented.clone())).unwrap_or((0, None))
    }

    /// Keeps the cooperative read from the database, unless it changed since the reading began.
    pub(super) fn cooperative_read(&self, changes: u64, presented: Arc<Presented>) {
        if let Ok(mut known) = self.inner.cooperative.write()
            && known.changes == changes
        {
            known.presented = Some(presented);
        }
    }

    /// Forgets the cooperative as read: it changed, and the next page reads it again.
    pub(super) fn cooperative_changed(&self) {
        if let Ok(mut known) = self.inner.cooperative.write() {
            known.changes += 1;
            known.presented = None;
        }
    }

    /// Whether this instance federates at all (`federation.enabled`).
    pub fn federates(&self) -> bool {
        self.inner.config.federation.enabled
    }

    /// The running federation client, once started.
    pub fn federation(&self) -> Option<&Federation> {
        self.inner.federation.get()
    }

    /// The running federation client, or a 409 saying that federation is off.
    pub fn running(&self) -> AppResult<&Federation> {
        self.federation().ok_or_else(|| {
            crate::error::AppError::new(
                axum::http::StatusCode::CONFLICT,
                "federation_disabled",
                "error.federation_disabled",
            )
        })
    }

    /// Records the started federation client (once; a second call changes nothing).
    pub(crate) fn set_federation(&self, federation: Federation) {
        let _ = self.inner.federation.set(federation);
    }

    /// What the delivery worker waits on.
    pub(crate) fn wake_signal(&self) -> Arc<Notify> {
        self.inner.wake.clone()
    }

    /// Wakes the delivery worker: deliveries became due outside a [`Write`] (a peer answered again).
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }
}

/// A write transaction that may queue activities. Storage functions take it as a connection
/// (`&mut tx`); [`Write::commit`] commits and, when something was queued, wakes the delivery worker.
/// Dropped without a commit, it rolls back, and nothing queued in it is sent.
pub struct Write {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    queued: bool,
    wake: Arc<Notify>,
}

impl Write {
    /// Queues `activity`, signed by `signer` (a member's username, or the domain for the instance
    /// actor), to each `(inbox, domain)`; sent if and only if this transaction commits.
    pub(crate) async fn publish(
        &mut self,
        activity_id: &str,
        signer: &str,
        activity: &serde_json::Value,
        inboxes: &[(String, String)],
    ) -> Result<(), sqlx::Error> {
        if inboxes.is_empty() {
            return Ok(());
        }
        outbox::enqueue(&mut self.tx, activity_id, signer, &activity.to_string(), inboxes, now_ms()).await?;
        self.queued = true;
        Ok(())
    }

    /// Queues `activity` to one inbox (see [`Write::publish`]).
    pub(crate) async fn publish_to(
        &mut self,
        activity_id: &str,
        signer: &str,
        activity: &serde_json::Value,
        inbox: &url::Url,
    ) -> Result<(), sqlx::Error> {
        let domain = maillage_federation::urls::domain_of(inbox).unwrap_or_default();
        self.publish(activity_id, signer, activity, &[(inbox.to_string(), domain)]).await
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await?;
        if self.queued {
            self.wake.notify_one();
        }
        Ok(())
    }
}

impl Deref for Write {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl DerefMut for Write {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}
