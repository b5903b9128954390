//! Federation as the instance sees it: our actors and their keys, the port the `federation` crate
//! calls for what it receives, the activities our changes cause (queued in the same transaction),
//! peering and follows, and the background tasks (delivery worker, backfill).

use std::sync::Arc;
use std::time::Duration;

use maillage_federation::vocab::ActorKind;
use maillage_federation::{Federation, LocalActor, Options, Urls};

use crate::config::Config;
use crate::domain::actor::OurActor;
use crate::domain::ids::now_ms;
use crate::domain::member::{Member, MemberKind, MemberStatus, Username};
use crate::services::Services;
use crate::storage::keys::INSTANCE;
use crate::storage::{Db, members, stats};
use crate::storage::{keys, receptions};

mod backfill;
mod documents;
mod inbound;
pub mod outbound;
pub mod peers;
mod queue;

pub use crate::domain::peering::PeerState;
pub use peers::{FollowView, PeerView};

/// The federation side of the instance: the port the `federation` crate calls for what it
/// receives, our actors and their keys, peering and follows; cheap to clone.
#[derive(Clone)]
pub struct Federator {
    inner: Arc<Inner>,
}

struct Inner {
    services: Services,
    /// NodeInfo's usage figures and when they were counted: anyone may ask for them, and counting
    /// costs milliseconds at 100,000 listings, so they are counted at most once a minute.
    usage: tokio::sync::Mutex<Option<(i64, stats::Usage)>>,
}

impl std::fmt::Debug for Federator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Federator").field("domain", &self.urls().domain()).finish_non_exhaustive()
    }
}

impl Federator {
    pub fn new(services: Services) -> Self {
        Self { inner: Arc::new(Inner { services, usage: tokio::sync::Mutex::new(None) }) }
    }

    pub fn services(&self) -> &Services {
        &self.inner.services
    }

    pub fn urls(&self) -> &Urls {
        self.services().urls()
    }

    pub fn enabled(&self) -> bool {
        self.services().federates()
    }

    fn db(&self) -> &Db {
        self.services().db()
    }

    /// A connection of the pool, for storage calls outside a transaction.
    pub(crate) async fn conn(&self) -> crate::error::AppResult<crate::storage::PooledConn> {
        self.services().conn().await
    }

    /// Which of our actors a URL names: the instance actor, a member (whatever their status), or
    /// none of ours.
    pub(crate) async fn our_actor_at(&self, url: &url::Url) -> crate::error::AppResult<Option<OurActor>> {
        if *url == self.urls().instance_actor() {
            return Ok(Some(OurActor::Instance));
        }
        let Some(username) = self.urls().local_username(url).and_then(|u| Username::parse(u).ok()) else {
            return Ok(None);
        };
        Ok(members::by_username(&mut *self.conn().await?, &username).await?.map(|m| OurActor::of(&m)))
    }

    /// A remote actor as we last stored it.
    pub(crate) async fn stored_actor(
        &self,
        id: &url::Url,
    ) -> crate::error::AppResult<Option<maillage_federation::RemoteActor>> {
        Ok(crate::storage::remote_actors::remote_actor(&mut *self.conn().await?, id.as_str()).await?)
    }

    pub(crate) fn config(&self) -> &Config {
        self.services().config()
    }

    /// The running federation, once started.
    pub(crate) fn federation(&self) -> Option<&Federation> {
        self.services().federation()
    }

    /// The usage figures NodeInfo publishes, counted at most once every [`USAGE_FOR_MS`]; concurrent
    /// readers wait for one count rather than each making their own.
    pub async fn usage(&self) -> Result<stats::Usage, sqlx::Error> {
        let mut cached = self.inner.usage.lock().await;
        let now = now_ms();
        if let Some((at, usage)) = cached.as_ref()
            && now - at < USAGE_FOR_MS
        {
            return Ok(usage.clone());
        }
        let usage = stats::usage(&mut *self.db().conn().await?, now).await?;
        *cached = Some((now, usage.clone()));
        Ok(usage)
    }

    /// Wakes the delivery worker (deliveries became due outside a transaction that queued them).
    pub fn wake(&self) {
        self.services().wake();
    }

    /// Creates the instance actor's key if needed, sets up the federation client, and spawns the
    /// delivery worker. Returns the background tasks (aborted on shutdown).
    pub async fn start(&self) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
        if !self.enabled() {
            return Ok(Vec::new());
        }
        let instance = self.instance_actor().await?;
        let federation = Federation::new(
            Arc::new(self.clone()),
            self.urls().clone(),
            &instance,
            Options {
                insecure_local: self.config().federation.insecure_local_federation,
                request_timeout: Duration::from_secs(10),
            },
        )
        .await?;
        self.services().set_federation(federation.clone());
        let store: Arc<dyn maillage_federation::queue::QueueStore> = Arc::new(queue::Store(self.clone()));
        let worker = tokio::spawn(maillage_federation::queue::run(
            federation,
            store,
            self.services().wake_signal(),
            maillage_federation::queue::QueueOptions {
                attempts_before_skipping: i64::from(self.config().federation.delivery_attempts),
                ..Default::default()
            },
        ));
        Ok(vec![worker])
    }

    /// Forgets received activity ids older than [`KEEP_RECEPTIONS_MS`] (periodic work, `upkeep`).
    pub(crate) async fn prune_receptions(&self) -> crate::error::AppResult<u64> {
        Ok(receptions::prune_receptions(&mut *self.conn().await?, now_ms() - KEEP_RECEPTIONS_MS).await?)
    }

    /// Gives every active member without one a key pair, off the request path (a key takes ~0.25 s
    /// of CPU); returns how many were made (periodic work, `upkeep`).
    pub(crate) async fn generate_missing_keys(&self) -> crate::error::AppResult<usize> {
        let mut made = 0;
        loop {
            let ids = keys::members_without_keys(&mut *self.conn().await?, 16).await?;
            if ids.is_empty() {
                return Ok(made);
            }
            for id in ids {
                self.keys_of(&id).await?;
                made += 1;
            }
        }
    }

    /// The key pair of `owner` (a member id, or `INSTANCE`), created on first use.
    async fn keys_of(&self, owner: &str) -> anyhow::Result<(String, String)> {
        if let Some(pair) = keys::keys(&mut *self.db().conn().await?, owner).await? {
            return Ok(pair);
        }
        let pair = maillage_federation::keys::generate().await?;
        Ok(keys::insert_keys(
            &mut *self.db().conn().await?,
            owner,
            &pair.public_key_pem,
            &pair.private_key_pem,
            now_ms(),
        )
        .await?)
    }

    /// The instance actor (`Application`), named after the domain (FEP-d556).
    pub async fn instance_actor(&self) -> anyhow::Result<LocalActor> {
        let (public_key_pem, private_key_pem) = self.keys_of(INSTANCE).await?;
        let config = self.config();
        Ok(LocalActor {
            id: self.urls().instance_actor(),
            kind: ActorKind::Application,
            username: self.urls().domain(),
            name: config.instance.name.clone(),
            summary: config.instance.description.clone(),
            page: self.urls().base().clone(),
            public_key_pem,
            private_key_pem,
            // Peering requests follow the policy; any other account may follow the instance's news.
            manually_approves_followers: false,
            published: rfc3339(self.instance_since().await),
        })
    }

    /// When the instance actor was created (its key pair's creation).
    async fn instance_since(&self) -> i64 {
        async { keys::key_created_at(&mut *self.db().conn().await?, INSTANCE).await }.await.ok().flatten().unwrap_or(0)
    }

    /// A member's actor; `None` unless the member exists and is active.
    pub async fn member_actor(&self, username: &str) -> anyhow::Result<Option<LocalActor>> {
        let Ok(username) = Username::parse(username) else {
            return Ok(None);
        };
        let Some(member) = members::by_username(&mut *self.db().conn().await?, &username).await? else {
            return Ok(None);
        };
        if member.status != MemberStatus::Active {
            return Ok(None);
        }
        Ok(Some(self.actor_of(&member).await?))
    }

    pub async fn actor_of(&self, member: &Member) -> anyhow::Result<LocalActor> {
        let (public_key_pem, private_key_pem) = self.keys_of(&member.id).await?;
        let id = self.urls().member(member.username.as_str());
        Ok(LocalActor {
            page: id.clone(),
            id,
            kind: match member.kind {
                MemberKind::Person => ActorKind::Person,
                MemberKind::Organisation => ActorKind::Organization,
            },
            username: member.username.as_str().to_owned(),
            name: member.display_name.clone(),
            summary: member.description.clone(),
            public_key_pem,
            private_key_pem,
            manually_approves_followers: false,
            published: rfc3339(member.created_at),
        })
    }

    /// Our actor by username: the instance's domain names the instance actor.
    pub async fn local_actor(&self, username: &str) -> anyhow::Result<Option<LocalActor>> {
        if username == self.urls().domain() {
            return Ok(Some(self.instance_actor().await?));
        }
        self.member_actor(username).await
    }
}

/// How long NodeInfo's usage figures are kept before they are counted again.
pub const USAGE_FOR_MS: i64 = 60 * 1000;

/// Received activity ids are kept this long to recognise duplicates and replays: well beyond the
/// hour a signature stays valid, and the retries of any sender.
const KEEP_RECEPTIONS_MS: i64 = 30 * 24 * 3600 * 1000;

/// Unix milliseconds as RFC 3339 (`2026-11-23T10:00:00Z`).
pub fn rfc3339(ms: i64) -> String {
    let time = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    time.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}
