//! What another instance's activity about a collective does here (`maillage_federation::collective`).
//!
//! To a collective hosted here: a person's `Join` (a request, an invitation accepted, a new charter
//! accepted) is checked as a member's form would be — the charter's current version, the answers,
//! the admission — and answered by the Group; a `Leave` ends their membership. From another
//! instance's Group: its answer to our member's `Join`, its `Invite`, its `Add` and `Remove` of
//! members — believed only from that Group itself, about our copy of it.

use maillage_federation::RemoteActor;
use maillage_federation::collective::GroupActivity;
use url::Url;

use super::{refused, tell};
use crate::domain::collective::{
    Admission, Collective, JoinInput, JoinRequest, Membership, MembershipError, MembershipRecord, MembershipState,
};
use crate::domain::ids::{MemberId, MembershipId, now_ms};
use crate::error::{AppError, AppResult};
use crate::services::Services;
use crate::services::federation::collectives as wire;
use crate::storage::collectives as storage;

pub async fn received(services: &Services, activity: &GroupActivity, sender: &RemoteActor) -> AppResult<()> {
    match activity {
        GroupActivity::Join { id, actor, group, charter_version, answers, message, .. } => {
            let input =
                JoinInput { charter_version: *charter_version, answers: answers.clone(), message: message.clone() };
            joined(services, id, actor, group, &input, sender).await
        }
        GroupActivity::Leave { actor, group } => left(services, actor, group).await,
        GroupActivity::Answered { group, person, join, accepted, charter_version, reason } => {
            answered(services, group, person, join, *accepted, *charter_version, reason).await
        }
        GroupActivity::Invited { group, person } => invited(services, group, person).await,
        GroupActivity::Membership { group, person, added, charter_version, reason } => {
            membership(services, group, person, *added, *charter_version, reason).await
        }
        GroupActivity::Announced { group, author, kind, activity } => {
            announced(services, group, author, kind, activity).await
        }
    }
}

/// Whether `person` is a member of `collective`, as we know it (for a copy: as its Group said).
async fn is_member(services: &Services, collective: &Collective, person: &Url) -> AppResult<bool> {
    let record = storage::membership(&mut *services.conn().await?, &collective.id, person.as_str()).await?;
    Ok(record.is_some_and(|r| r.membership.is_member()))
}

/// A member of another instance publishes a listing to one of our collectives (its `Create` or
/// `Update` addressed to the Group): kept for the collective's members here, and announced by the
/// Group to the servers of its other members. Someone who is not a member is refused (403).
pub(crate) async fn published_to_ours(
    services: &Services,
    group: &Url,
    author: &RemoteActor,
    proposal: &maillage_federation::proposal::Proposal,
) -> AppResult<()> {
    let collective = ours(services, group).await?;
    if !is_member(services, &collective, &author.id).await? {
        return Err(AppError::forbidden_because("the author is not a member of the collective"));
    }
    crate::services::remote_listings::store(services, author, proposal, Some(&collective.id)).await?;
    let document = serde_json::to_value(proposal).map_err(AppError::internal)?;
    let activity = maillage_federation::collective::listing_activity(&document, &author.id, true);
    let mut tx = services.write().await?;
    wire::publish_announce(services, &mut tx, &collective, &activity, Some(&author.domain)).await?;
    tx.commit().await?;
    Ok(())
}

/// Another instance's Group announces an activity of one of its members about a listing published
/// to it: kept (or removed) here for the collective's members, on the Group's word that its author
/// is a member — and only then: a Group announcing the listing of someone it does not count among
/// its members is refused (403). Announces of groups we know nothing of (a relay's, a community
/// followed from elsewhere) are none of ours.
async fn announced(
    services: &Services,
    group: &Url,
    author: &Url,
    kind: &str,
    activity: &serde_json::Value,
) -> AppResult<()> {
    let Some(collective) = theirs(services, group).await? else { return Ok(()) };
    if services.urls().is_local(author) {
        // Our own member's listing: the Group taking it out of the collective (its `Delete`) puts
        // it back among our members; anything else of it, coming back, we have.
        if kind == "Delete" {
            let object = activity.get("object").and_then(maillage_federation::vocab::value_id);
            let ours = object
                .as_ref()
                .and_then(|url| url.path().strip_prefix("/listings/").and_then(crate::domain::ids::ListingId::parse));
            if let Some(id) = ours {
                let listing = crate::storage::listings::by_id(&mut *services.conn().await?, &id).await?;
                if let Some(listing) = listing.filter(|l| l.content.collective.as_ref() == Some(&collective.id)) {
                    crate::services::listings::change(services, &listing, async |conn| {
                        crate::storage::listings::take_out_of_collective(conn, &listing.id, now_ms()).await
                    })
                    .await?;
                }
            }
        }
        return Ok(());
    }
    if !is_member(services, &collective, author).await? {
        return Err(AppError::forbidden_because("announces the listing of someone who is not a member"));
    }
    let object = activity.get("object").cloned().unwrap_or_default();
    if kind == "Delete" {
        let Some(listing) = maillage_federation::vocab::value_id(&object) else { return Ok(()) };
        return crate::services::remote_listings::deleted(services, author, &listing).await;
    }
    let insecure = services.config().federation.insecure_local_federation;
    let proposal: maillage_federation::proposal::Proposal = serde_json::from_value(object)
        .map_err(|e| AppError::refused(format!("the announced listing is not a proposal: {e}")))?;
    let proposal = proposal.received(insecure);
    if proposal.attributed_to != *author
        || maillage_federation::urls::domain_of(&proposal.id) != maillage_federation::urls::domain_of(author)
    {
        return Err(AppError::forbidden_because("the announced listing is not its author's"));
    }
    let federation = services.running()?;
    let actor = federation.actor(author).await.map_err(crate::services::federation::unavailable)?;
    crate::services::remote_listings::store(services, &actor, &proposal, Some(&collective.id)).await
}

/// Our collective a URL names.
async fn ours(services: &Services, group: &Url) -> AppResult<Collective> {
    let name =
        services.urls().local_collective(group).ok_or_else(|| AppError::refused("not one of our collectives"))?;
    let name = crate::domain::collective::CollectiveName::parse(name).map_err(|_| AppError::not_found())?;
    storage::local_by_name(&mut *services.conn().await?, &name).await?.ok_or_else(AppError::not_found)
}

/// Our copy of the collective whose `Group` sent this; none when we keep none.
async fn theirs(services: &Services, group: &Url) -> AppResult<Option<Collective>> {
    Ok(storage::by_ap_id(&mut *services.conn().await?, group.as_str()).await?)
}

/// A person of another instance asks to join one of our collectives, accepts our invitation, or
/// accepts the charter's new version.
async fn joined(
    services: &Services,
    join_id: &Url,
    person: &Url,
    group: &Url,
    input: &JoinInput,
    sender: &RemoteActor,
) -> AppResult<()> {
    let collective = ours(services, group).await?;
    let previous = storage::membership(&mut *services.conn().await?, &collective.id, person.as_str()).await?;
    let state = previous.as_ref().map(|p| p.membership.state);
    // A private collective is not there for someone who was not invited.
    if collective.is_private() && !matches!(state, Some(MembershipState::Member | MembershipState::Invited)) {
        return Err(AppError::forbidden_because("a private collective: invitation only"));
    }
    let now = now_ms();
    let invited = state == Some(MembershipState::Invited);
    // A Join that says no charter version is another software's (Mobilizon's): a request for the
    // moderators, whatever the admission, from someone who has accepted no charter.
    let foreign = input.charter_version.is_none() && input.answers.is_empty();
    let (request, admission) = if foreign {
        let request = JoinRequest::without_charter(&input.message)
            .map_err(|_| AppError::refused("the Join's message is too long"))?;
        let admission = match collective.admission {
            Admission::Open => Admission::Approval,
            other => other,
        };
        (request, admission)
    } else {
        let answered = invited || state == Some(MembershipState::Member);
        let request = JoinRequest::parse(input, collective.charter_version, &collective.questions, answered).map_err(
            |errors| {
                let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
                AppError::refused(format!("the Join does not hold: {}", fields.join(", ")))
            },
        )?;
        (request, collective.admission)
    };
    let mut record = match previous.clone() {
        // A member accepting the charter's new version.
        Some(mut member) if member.membership.is_member() => {
            let version = request.charter_version.ok_or_else(|| refused(MembershipError::AlreadyMember))?;
            member.membership.accept_charter(version, collective.charter_version).map_err(refused)?;
            member
        }
        _ => {
            let membership = Membership::ask(previous.as_ref().map(|p| &p.membership), admission, request, now)
                .map_err(|e| match e {
                    MembershipError::NotInvited => {
                        AppError::forbidden_because("this collective admits on invitation only")
                    }
                    other => refused(other),
                })?;
            MembershipRecord {
                id: previous.as_ref().map_or_else(MembershipId::new, |p| p.id.clone()),
                collective: collective.id.clone(),
                actor: person.to_string(),
                member: None,
                membership,
                decided_by: previous.as_ref().and_then(|p| p.decided_by.clone()),
                activity_id: None,
                created_at: previous.as_ref().map_or(now, |p| p.created_at),
                updated_at: now,
            }
        }
    };
    record.activity_id = Some(join_id.to_string());
    record.updated_at = now;
    let mut tx = services.write().await?;
    crate::storage::remote_actors::save_remote_actor(&mut tx, sender).await?;
    storage::save_membership(&mut tx, &record).await?;
    if record.membership.is_member() {
        wire::publish_answer(services, &mut tx, &collective, &record, true, "").await?;
        wire::publish_membership(services, &mut tx, &collective, &record, "").await?;
    } else {
        let who = sender.name.clone();
        for moderator in storage::memberships(&mut tx, &collective.id, &[MembershipState::Member]).await? {
            if let Some(id) = moderator.record.member.as_ref().filter(|_| moderator.record.membership.role.moderates())
            {
                tell(services, &mut tx, id, &collective, "request", Some(&who), None).await?;
            }
        }
    }
    tx.commit().await?;
    tracing::info!(collective.id = %collective.id, person = %person, state = %record.membership.state, "a Join received");
    Ok(())
}

/// A person of another instance leaves one of our collectives (or declines its invitation).
async fn left(services: &Services, person: &Url, group: &Url) -> AppResult<()> {
    let collective = ours(services, group).await?;
    let Some(mut record) = storage::membership(&mut *services.conn().await?, &collective.id, person.as_str()).await?
    else {
        return Ok(());
    };
    let was_member = record.membership.is_member();
    if record.membership.leave().is_err() {
        // Already gone: a Leave that came twice changes nothing.
        return Ok(());
    }
    record.updated_at = now_ms();
    let mut tx = services.write().await?;
    storage::save_membership(&mut tx, &record).await?;
    if was_member {
        wire::publish_membership(services, &mut tx, &collective, &record, "").await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The member of ours a URL names.
async fn our_member(services: &Services, person: &Url) -> AppResult<Option<MemberId>> {
    let Some(username) = services.urls().local_username(person) else { return Ok(None) };
    let Ok(username) = crate::domain::member::Username::parse(username) else { return Ok(None) };
    Ok(crate::storage::members::by_username(&mut *services.conn().await?, &username).await?.map(|m| m.id))
}

/// Another instance's Group answered our member's `Join`.
async fn answered(
    services: &Services,
    group: &Url,
    person: &Url,
    join: &Url,
    accepted: bool,
    charter_version: Option<i64>,
    reason: &str,
) -> AppResult<()> {
    let Some(collective) = theirs(services, group).await? else {
        return Err(AppError::forbidden_because("answers for a collective we do not know"));
    };
    let mut conn = services.conn().await?;
    let Some(mut record) = storage::membership_by_activity(&mut conn, &collective.id, join.as_str()).await? else {
        return Err(AppError::forbidden_because("answers a Join that was not sent to this group"));
    };
    drop(conn);
    if record.actor != person.as_str() {
        return Err(AppError::forbidden_because("answers for another person"));
    }
    let now = now_ms();
    let was_member = record.membership.is_member();
    let m = &mut record.membership;
    match (accepted, m.state) {
        (true, MembershipState::Member) => m.charter_version = charter_version.or(m.charter_version),
        (true, _) => {
            m.state = MembershipState::Member;
            m.since = Some(now);
            m.reason.clear();
            m.charter_version = charter_version.or(m.charter_version);
        }
        // A refusal of a new charter's acceptance leaves the member as they were.
        (false, MembershipState::Member) => {}
        (false, _) => {
            m.state = MembershipState::Refused;
            m.reason = reason.chars().take(2000).collect();
        }
    }
    record.decided_by = Some(group.to_string());
    record.updated_at = now;
    let mut tx = services.write().await?;
    storage::save_membership(&mut tx, &record).await?;
    // A member's new charter acknowledged is not news to them: only an admission or a refusal.
    if let (Some(member), false) = (&record.member, was_member) {
        let what = if accepted { "accepted" } else { "refused" };
        tell(services, &mut tx, member, &collective, what, None, Some(reason)).await?;
    }
    tx.commit().await?;
    tracing::info!(collective = %group, person = %person, accepted, "a Group answered our member's Join");
    Ok(())
}

/// Another instance's Group invites one of our members: its copy is fetched and kept.
async fn invited(services: &Services, group: &Url, person: &Url) -> AppResult<()> {
    let Some(member) = our_member(services, person).await? else {
        return Err(AppError::refused("invites someone who is not a member here"));
    };
    let collective = wire::refresh(services, group).await?;
    let previous = storage::membership(&mut *services.conn().await?, &collective.id, person.as_str()).await?;
    if previous
        .as_ref()
        .is_some_and(|p| matches!(p.membership.state, MembershipState::Member | MembershipState::Invited))
    {
        return Ok(());
    }
    let now = now_ms();
    let record = MembershipRecord {
        id: previous.as_ref().map_or_else(MembershipId::new, |p| p.id.clone()),
        collective: collective.id.clone(),
        actor: person.to_string(),
        member: Some(member.clone()),
        membership: Membership::invite(previous.as_ref().map(|p| &p.membership), now).map_err(refused)?,
        decided_by: Some(group.to_string()),
        activity_id: previous.as_ref().and_then(|p| p.activity_id.clone()),
        created_at: previous.as_ref().map_or(now, |p| p.created_at),
        updated_at: now,
    };
    let mut tx = services.write().await?;
    storage::save_membership(&mut tx, &record).await?;
    tell(services, &mut tx, &member, &collective, "invited", Some(&collective.display_name), None).await?;
    tx.commit().await?;
    Ok(())
}

/// Another instance's Group says who belongs to it: the confirmation a badge needs, for one of our
/// members (their admission, their exclusion) or for anyone of a third instance.
async fn membership(
    services: &Services,
    group: &Url,
    person: &Url,
    added: bool,
    charter_version: Option<i64>,
    reason: &str,
) -> AppResult<()> {
    let Some(collective) = theirs(services, group).await? else {
        // A collective nobody here belongs to: nothing to keep.
        return Ok(());
    };
    let member = our_member(services, person).await?;
    let previous = storage::membership(&mut *services.conn().await?, &collective.id, person.as_str()).await?;
    if previous.is_none() && !added {
        // Someone we never knew of leaves: nothing to keep.
        return Ok(());
    }
    if previous.is_none() && member.is_none() {
        // Someone of a third instance: their actor read once, to name them (their server may be
        // down: then they are named by their address until it is read).
        if let Some(federation) = services.federation()
            && let Err(error) = federation.actor(person).await
        {
            tracing::debug!(%person, %error, "a collective's new member could not be read");
        }
    }
    let now = now_ms();
    let mut record = previous.unwrap_or_else(|| MembershipRecord {
        id: MembershipId::new(),
        collective: collective.id.clone(),
        actor: person.to_string(),
        member: member.clone(),
        membership: Membership {
            state: MembershipState::Requested,
            role: crate::domain::collective::Role::Member,
            charter_version: None,
            since: None,
            message: String::new(),
            answers: Vec::new(),
            reason: String::new(),
        },
        decided_by: None,
        activity_id: None,
        created_at: now,
        updated_at: now,
    });
    let m = &mut record.membership;
    if added {
        if !m.is_member() {
            m.since = Some(now);
        }
        m.state = MembershipState::Member;
        m.charter_version = charter_version.or(m.charter_version);
        m.reason.clear();
    } else {
        // An exclusion says why; a Remove without a reason follows a departure.
        m.state = if reason.is_empty() { MembershipState::Left } else { MembershipState::Removed };
        m.since = None;
        m.reason = reason.chars().take(2000).collect();
    }
    record.decided_by = Some(group.to_string());
    record.updated_at = now;
    let removed = record.membership.state == MembershipState::Removed;
    let mut tx = services.write().await?;
    storage::save_membership(&mut tx, &record).await?;
    if let (Some(member), true) = (&member, removed) {
        tell(services, &mut tx, member, &collective, "removed", None, Some(reason)).await?;
    }
    tx.commit().await?;
    Ok(())
}
