//! Follows between our actors and remote ones: a member following a remote account (and leaving
//! it), and a remote actor following one of ours (accepted, then undone). A follow of the instance
//! actor by another instance's is a peering request, handed to `services::peering`.

use maillage_federation::{RemoteActor, activities};
use url::Url;

use crate::domain::actor::{ActorKey, OurActor};
use crate::domain::address::RemoteAccount;
use crate::domain::follow::FollowState;
use crate::domain::ids::{new_id, now_ms};
use crate::domain::member::Member;
use crate::error::{AppError, AppResult};
use crate::services::Services;
use crate::services::federation::{actors, blocked, look_up, outbound};
use crate::storage::follows::FollowRow;
use crate::storage::{followers, follows, peers};

/// One of a member's follows.
#[derive(Debug, Clone)]
pub struct FollowView {
    pub follow: FollowRow,
    pub actor: Option<RemoteActor>,
}

// ---- members following remote actors -------------------------------------------------------

/// `member` follows the remote account `handle` (`user@host`).
pub async fn follow(services: &Services, member: &Member, handle: &str) -> AppResult<FollowView> {
    // Host names have no case: `Coop.fr` is `coop.fr` (for the block list too).
    let account = RemoteAccount::parse(handle, "account").map_err(AppError::field)?;
    let (user, host) = (account.user.as_str(), account.domain.as_str());
    if host == services.urls().domain() {
        return Err(AppError::field(crate::domain::FieldError::new("account", "error.local_account")));
    }
    if peers::is_blocked(&mut *services.db().conn().await?, host).await? {
        return Err(blocked());
    }
    let actor = look_up(services, &format!("{user}@{host}"), "account", "error.unknown_account").await?;
    // Already followed: nothing to ask again.
    if let Some(existing) =
        follows::follow(&mut *services.db().conn().await?, ActorKey::Member(&member.id), actor.id.as_str()).await?
        && existing.state == FollowState::Accepted
    {
        return Ok(FollowView { follow: existing, actor: Some(actor) });
    }
    let mut tx = services.write().await?;
    outbound::follow(services, &mut tx, &OurActor::of(member), &actor).await?;
    tx.commit().await?;
    let follow = follows::follow(&mut *services.db().conn().await?, ActorKey::Member(&member.id), actor.id.as_str())
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok(FollowView { follow, actor: Some(actor) })
}

/// Whether `member` follows (or asked to follow) the remote actor `actor_id`.
pub async fn follows_actor(services: &Services, member: &Member, actor_id: &str) -> AppResult<bool> {
    Ok(follows::follow(&mut *services.db().conn().await?, ActorKey::Member(&member.id), actor_id).await?.is_some())
}

/// Whether `domain`'s listings reach us through peering (it accepted our instance's follow):
/// following one of its members then adds nothing.
pub async fn receives_from(services: &Services, domain: &str) -> AppResult<bool> {
    Ok(peers::peer(&mut *services.db().conn().await?, domain).await?.is_some_and(|p| p.we_receive()))
}

pub async fn of_member(services: &Services, member: &Member) -> AppResult<Vec<FollowView>> {
    Ok(follows::follows_of(&mut *services.db().conn().await?, ActorKey::Member(&member.id))
        .await?
        .into_iter()
        .map(|(follow, actor)| FollowView { follow, actor })
        .collect())
}

/// Stops following `handle` (`user@host`, or the actor's id).
pub async fn unfollow(services: &Services, member: &Member, handle: &str) -> AppResult<()> {
    let follows = of_member(services, member).await?;
    let handle = handle.trim().trim_start_matches('@');
    let found = follows.into_iter().find(|f| {
        f.follow.target == handle || f.actor.as_ref().is_some_and(|a| a.handle().eq_ignore_ascii_case(handle))
    });
    let Some(FollowView { follow, actor }) = found else {
        return Err(AppError::not_found());
    };
    let mut tx = services.write().await?;
    if let Some(actor) = actor {
        let me = services.urls().member(member.username.as_str());
        let follow_id = url::Url::parse(&follow.follow_id).unwrap_or_else(|_| services.urls().activity(&new_id()));
        let id = new_id();
        let undo = activities::undo_follow(services.urls(), &id, &me, &follow_id, &actor.id);
        tx.publish_to(&id, member.username.as_str(), &undo, actor.delivery_inbox()).await?;
    }
    follows::remove_follow(&mut tx, ActorKey::Member(&member.id), &follow.target).await?;
    tx.commit().await?;
    if let Ok(target) = url::Url::parse(&follow.target) {
        crate::services::remote_listings::drop_unfollowed(services, &target).await?;
    }
    Ok(())
}

/// The followers collection's size of one of our actors.
pub async fn follower_count(services: &Services, local_actor: ActorKey<'_>) -> AppResult<i64> {
    Ok(followers::count_followers(&mut *services.db().conn().await?, local_actor).await?)
}

pub(crate) async fn requested(
    services: &Services,
    follow_id: &Url,
    follower: &RemoteActor,
    target: &Url,
) -> AppResult<()> {
    if *target == services.urls().instance_actor() {
        // Anyone may follow the instance to see its new listings (another instance's actor asks
        // to peer: `services::peering`).
        return accept_follower(services, &OurActor::Instance, follow_id, follower).await;
    }
    // A public collective may be followed, for what it announces (a private one is not there):
    // following is not belonging, which is asked with a `Join` (`services::collectives`).
    if let Some(name) = services.urls().local_collective(target) {
        let collective = match crate::domain::collective::CollectiveName::parse(name) {
            Ok(name) => crate::storage::collectives::local_by_name(&mut *services.conn().await?, &name).await?,
            Err(_) => None,
        };
        return match collective.filter(|c| !c.is_private()) {
            Some(c) => {
                let ours = OurActor::Collective { id: c.id, name: c.name };
                accept_follower(services, &ours, follow_id, follower).await
            }
            None => Err(AppError::refused("no such collective here")),
        };
    }
    // Only an active member has an actor to follow.
    let member = match services.urls().local_username(target) {
        Some(username) => crate::services::federation::documents::active_member(services, username).await?,
        None => None,
    };
    let Some(member) = member else {
        return Err(AppError::refused("no such member here"));
    };
    accept_follower(services, &OurActor::of(&member), follow_id, follower).await
}

/// Records an accepted follower and queues the `Accept`.
async fn accept_follower(
    services: &Services,
    ours: &OurActor,
    follow_id: &Url,
    follower: &RemoteActor,
) -> AppResult<()> {
    let urls = services.urls();
    let id = new_id();
    let accept = activities::answer_follow(urls, &id, &actors::url_of(urls, ours), follow_id, &follower.id, true);
    let mut tx = services.write().await?;
    followers::add_accepted_follower(&mut tx, ours.key(), follower, follow_id.as_str(), now_ms()).await?;
    tx.publish_to(&id, &actors::signer_of(urls, ours), &accept, follower.delivery_inbox()).await?;
    tx.commit().await?;
    tracing::info!(follower = %follower.id, local_actor = ours.key().as_str(), "follower accepted");
    Ok(())
}

pub(crate) async fn unfollowed(services: &Services, follower: &Url, target: &Url) -> AppResult<()> {
    // An undo of a follow of no actor of ours: nothing to apply it to.
    let Some(local) = crate::services::federation::actors::our_actor_at(services, target).await? else { return Ok(()) };
    followers::remove_follower(&mut *services.conn().await?, local.key(), follower.as_str()).await?;
    Ok(())
}

pub(crate) async fn answered(
    services: &Services,
    actor: &Url,
    follower: Option<&Url>,
    accepted: bool,
) -> AppResult<()> {
    let local_actor = match follower {
        None => None,
        Some(url) => match crate::services::federation::actors::our_actor_at(services, url).await? {
            Some(ours) => Some(ours),
            // An answer to a follow by no actor of ours: nothing to apply it to.
            None => return Ok(()),
        },
    };
    let local_actor = local_actor.as_ref().map(OurActor::key);
    follows::answer_follows(&mut *services.conn().await?, actor.as_str(), local_actor, accepted).await?;
    if !accepted {
        crate::services::remote_listings::drop_unfollowed(services, actor).await?;
    }
    Ok(())
}
