//! Our actors: the instance actor and the members', with their key pairs (made on first use, or
//! by the periodic job for members who have none), and which of them a URL names.

use maillage_federation::vocab::ActorKind;
use maillage_federation::{LocalActor, Urls};
use url::Url;

use super::rfc3339;
use crate::domain::actor::{ActorKey, OurActor};
use crate::domain::ids::now_ms;
use crate::domain::member::{Member, MemberKind, Username};
use crate::domain::photo::{AVATAR_WIDTHS, LOGO_WIDTHS, file_name};
use crate::error::{AppError, AppResult};
use crate::services::Services;
use crate::storage::keys;
use crate::storage::members;

/// Which of our actors a URL names: the instance actor, a member (whatever their status), a
/// collective's `Group`, or none of ours.
pub(crate) async fn our_actor_at(services: &Services, url: &url::Url) -> AppResult<Option<OurActor>> {
    if *url == services.urls().instance_actor() {
        return Ok(Some(OurActor::Instance));
    }
    if let Some(name) = services.urls().local_collective(url) {
        let Ok(name) = crate::domain::collective::CollectiveName::parse(name) else { return Ok(None) };
        let collective = crate::storage::collectives::local_by_name(&mut *services.conn().await?, &name).await?;
        return Ok(collective.map(|c| OurActor::Collective { id: c.id, name: c.name }));
    }
    let Some(username) = services.urls().local_username(url).and_then(|u| Username::parse(u).ok()) else {
        return Ok(None);
    };
    Ok(members::by_username(&mut *services.conn().await?, &username).await?.map(|m| OurActor::of(&m)))
}

/// A remote actor as we last stored it.
pub(crate) async fn stored_actor(
    services: &Services,
    id: &url::Url,
) -> AppResult<Option<maillage_federation::RemoteActor>> {
    Ok(crate::storage::remote_actors::remote_actor(&mut *services.conn().await?, id.as_str()).await?)
}

/// Gives every active member without one a key pair, off the request path (a key takes ~0.25 s
/// of CPU); returns how many were made (periodic work, `upkeep`).
pub(crate) async fn generate_missing_keys(services: &Services) -> AppResult<usize> {
    let mut made = 0;
    loop {
        let ids = keys::members_without_keys(&mut *services.conn().await?, 16).await?;
        if ids.is_empty() {
            return Ok(made);
        }
        for id in ids {
            keys_of(services, ActorKey::Member(&id)).await?;
            made += 1;
        }
    }
}

/// The key pair of one of our actors, created on first use.
pub(crate) async fn keys_of(services: &Services, owner: ActorKey<'_>) -> AppResult<(String, String)> {
    if let Some(pair) = keys::keys(&mut *services.db().conn().await?, owner).await? {
        return Ok(pair);
    }
    let pair = maillage_federation::keys::generate()
        .await
        .map_err(|e| AppError::internal(anyhow::Error::new(e).context("generating a key pair")))?;
    Ok(keys::insert_keys(
        &mut *services.db().conn().await?,
        owner,
        &pair.public_key_pem,
        &pair.private_key_pem,
        now_ms(),
    )
    .await?)
}

/// The URL of one of our actors.
pub fn url_of(urls: &Urls, actor: &OurActor) -> Url {
    match actor {
        OurActor::Instance => urls.instance_actor(),
        OurActor::Member { username, .. } => urls.member(username.as_str()),
        OurActor::Collective { name, .. } => urls.collective(name.as_str()),
    }
}

/// Who signs what one of our actors sends, as the outbox stores it: a member's username, or the
/// domain for the instance actor (see [`local_actor`]).
pub fn signer_of(urls: &Urls, actor: &OurActor) -> String {
    match actor {
        OurActor::Instance => urls.domain(),
        OurActor::Member { username, .. } => username.as_str().to_owned(),
        OurActor::Collective { name, .. } => name.as_str().to_owned(),
    }
}

/// The instance actor (`Application`), named after the domain (FEP-d556).
pub async fn instance_actor(services: &Services) -> AppResult<LocalActor> {
    let (public_key_pem, private_key_pem) = keys_of(services, ActorKey::Instance).await?;
    let config = services.config();
    Ok(LocalActor {
        id: services.urls().instance_actor(),
        kind: ActorKind::Application,
        username: services.urls().domain(),
        name: config.instance.name.clone(),
        summary: config.instance.description.clone(),
        page: services.urls().base().clone(),
        public_key_pem,
        private_key_pem,
        // Peering requests follow the policy; any other account may follow the instance's news.
        manually_approves_followers: false,
        published: rfc3339(instance_since(services).await),
        icon: crate::storage::cooperative::logo(&mut *services.conn().await?)
            .await?
            .map(|logo| services.urls().media(&file_name(&logo, LOGO_WIDTHS[LOGO_WIDTHS.len() - 1]))),
    })
}

/// When the instance actor was created (its key pair's creation).
async fn instance_since(services: &Services) -> i64 {
    async { keys::key_created_at(&mut *services.db().conn().await?, ActorKey::Instance).await }
        .await
        .ok()
        .flatten()
        .unwrap_or(0)
}

/// A member's actor; `None` unless the member exists and is active.
pub async fn member_actor(services: &Services, username: &str) -> AppResult<Option<LocalActor>> {
    match super::documents::active_member(services, username).await? {
        Some(member) => Ok(Some(actor_of(services, &member).await?)),
        None => Ok(None),
    }
}

pub async fn actor_of(services: &Services, member: &Member) -> AppResult<LocalActor> {
    let (public_key_pem, private_key_pem) = keys_of(services, ActorKey::Member(&member.id)).await?;
    let id = services.urls().member(member.username.as_str());
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
        icon: member
            .avatar
            .as_ref()
            .map(|avatar| services.urls().media(&file_name(avatar, AVATAR_WIDTHS[AVATAR_WIDTHS.len() - 1]))),
    })
}

/// Our actor by username: the instance's domain names the instance actor, a collective's name its
/// `Group` (names are unique among members' and collectives').
pub async fn local_actor(services: &Services, username: &str) -> AppResult<Option<LocalActor>> {
    if username == services.urls().domain() {
        return Ok(Some(instance_actor(services).await?));
    }
    if let Some(member) = member_actor(services, username).await? {
        return Ok(Some(member));
    }
    collective_actor(services, username, false).await
}

/// A collective's `Group` actor by name; with `public_only`, `None` for a private one.
/// Whom a WebFinger address names here: an active member, else a public collective, as the name
/// to answer with and the actor's URL (which is also its page). No key pair: a WebFinger answer
/// gives links only, and reading the keys was a second statement on every lookup.
pub async fn webfinger_target(services: &Services, name: &str) -> AppResult<Option<(String, Url)>> {
    if let Some(member) = super::documents::active_member(services, name).await? {
        return Ok(Some((member.username.as_str().to_owned(), services.urls().member(member.username.as_str()))));
    }
    let collective = local_collective(services, name, true).await?;
    Ok(collective.map(|c| (c.name.to_string(), services.urls().collective(c.name.as_str()))))
}

/// Our collective named `name`, unless it is private and `public_only`.
async fn local_collective(
    services: &Services,
    name: &str,
    public_only: bool,
) -> AppResult<Option<crate::domain::collective::Collective>> {
    let Ok(name) = crate::domain::collective::CollectiveName::parse(name) else { return Ok(None) };
    let collective = crate::storage::collectives::local_by_name(&mut *services.conn().await?, &name).await?;
    Ok(collective.filter(|c| !(public_only && c.is_private())))
}

pub async fn collective_actor(services: &Services, name: &str, public_only: bool) -> AppResult<Option<LocalActor>> {
    match local_collective(services, name, public_only).await? {
        Some(c) => Ok(Some(group_actor(services, &c).await?)),
        None => Ok(None),
    }
}

/// Our collective's `Group` actor, with its key pair (made on first use).
pub async fn group_actor(
    services: &Services,
    collective: &crate::domain::collective::Collective,
) -> AppResult<LocalActor> {
    let owner = OurActor::Collective { id: collective.id.clone(), name: collective.name.clone() };
    let (public_key_pem, private_key_pem) = keys_of(services, owner.key()).await?;
    let id = services.urls().collective(collective.name.as_str());
    Ok(LocalActor {
        page: id.clone(),
        id,
        kind: ActorKind::Group,
        username: collective.name.to_string(),
        name: collective.display_name.clone(),
        summary: collective.purpose.clone(),
        public_key_pem,
        private_key_pem,
        manually_approves_followers: collective.admission != crate::domain::collective::Admission::Open,
        published: rfc3339(collective.created_at),
        icon: None,
    })
}
