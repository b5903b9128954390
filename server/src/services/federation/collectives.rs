//! Collectives on the wire (`maillage_federation::collective`): our collectives' `Group` actors and
//! documents, who may read a private one's, the activities their changes send — queued in the
//! change's `Write` —, and the copies we keep of other instances' collectives, read from their
//! `Group` document (never from what a member says of it).

use maillage_federation::collective::{self as wire, GroupData};
use maillage_federation::vocab::ActorKind;
use maillage_federation::{LocalActor, RemoteActor};
use serde_json::Value;
use url::Url;

use super::{actors, lookup_failed, rfc3339, unavailable};
use crate::domain::collective::{
    Admission, Charter, Collective, CollectiveName, CollectiveOrigin, CollectiveVisibility, MembershipRecord,
};
use crate::domain::ids::{CollectiveId, new_id, now_ms};
use crate::domain::member::Member;
use crate::error::{AppError, AppResult};
use crate::services::{Services, Write};
use crate::storage::{collectives as storage, remote_actors};

/// The signer of what a collective sends (its name: names are unique among members' and
/// collectives', so that `actors::local_actor` finds it).
fn signer(collective: &Collective) -> String {
    collective.name.to_string()
}

/// Our collective's `Group` document: its actor with the charter, entry criteria and questions.
pub async fn group_document(services: &Services, collective: &Collective) -> AppResult<Value> {
    let actor = actors::group_actor(services, collective).await?;
    let data = group_data(&mut *services.conn().await?, collective).await?;
    Ok(maillage_federation::activities::group_json(&actor, services.urls(), &data))
}

/// What our collective's `Group` document says beyond its actor's fields (read on `conn`: a change's
/// transaction sees its new charter).
async fn group_data(conn: &mut sqlx::AnyConnection, collective: &Collective) -> AppResult<GroupData> {
    let (charter, _) =
        storage::charter(conn, &collective.id, collective.charter_version).await?.ok_or_else(AppError::not_found)?;
    Ok(GroupData {
        charter: charter.as_str().to_owned(),
        charter_version: collective.charter_version,
        entry_criteria: collective.entry_criteria.clone(),
        questions: collective.questions.clone(),
        admission: collective.admission.to_string(),
        visibility: collective.visibility.to_string(),
        territory: collective.territory.clone(),
        activities: collective.activities.iter().map(|a| (*a).to_owned()).collect(),
        members: None,
    })
}

/// A collective hosted here by name, as other servers may read it: a private one only by a server
/// where one of its members or invitees is (`reader`: the signer of the request).
pub async fn served(services: &Services, name: &str, reader: Option<&RemoteActor>) -> AppResult<Option<Collective>> {
    let Ok(name) = CollectiveName::parse(name) else { return Ok(None) };
    let mut conn = services.conn().await?;
    let Some(collective) = storage::local_by_name(&mut conn, &name).await? else { return Ok(None) };
    if collective.is_private() {
        let Some(reader) = reader else { return Ok(None) };
        if !storage::has_people_on(&mut conn, &collective.id, &reader.domain).await? {
            return Ok(None);
        }
    }
    Ok(Some(collective))
}

/// The members collection of our collective: its members' ActivityPub ids.
pub async fn members_document(services: &Services, collective: &Collective) -> AppResult<Value> {
    let members = storage::member_actors(&mut *services.conn().await?, &collective.id).await?;
    Ok(wire::members_collection(&services.urls().collective(collective.name.as_str()), &members))
}

/// Another instance's `Group` and what its document says, fetched (signed) and checked: its id is
/// the URL asked, it is a Maillage collective (it has a charter), every size bounded.
pub async fn fetch_group(services: &Services, url: &Url) -> AppResult<(RemoteActor, GroupData, Value)> {
    let federation = services.running()?;
    let document = federation.fetch_json(url).await.map_err(unavailable)?;
    let actor: maillage_federation::vocab::ActorDocument =
        serde_json::from_value(document.clone()).map_err(|_| AppError::bad_request("error.collective_not_a_group"))?;
    if actor.id != *url || actor.kind != ActorKind::Group {
        return Err(AppError::bad_request("error.collective_not_a_group"));
    }
    let data = wire::read_group(&document, url).map_err(|why| {
        tracing::info!(group = %url, why, "a group's document refused");
        AppError::bad_request("error.collective_not_a_group")
    })?;
    if data.charter_version < 1 {
        return Err(AppError::bad_request("error.collective_not_maillage"));
    }
    let insecure = services.config().federation.insecure_local_federation;
    let remote = RemoteActor::from_document(&actor, now_ms(), insecure)
        .ok_or_else(|| AppError::bad_request("error.collective_not_a_group"))?;
    Ok((remote, data, document))
}

/// Keeps our copy of another instance's collective from its fetched `Group` (and the actor, for
/// its inbox and key); returns the copy.
pub async fn keep_copy(
    services: &Services,
    actor: &RemoteActor,
    data: &GroupData,
    document: &Value,
) -> AppResult<Collective> {
    let refused = || AppError::bad_request("error.collective_not_a_group");
    let name = CollectiveName::parse(&actor.username).map_err(|_| refused())?;
    let charter = Charter::parse(&data.charter).map_err(|_| refused())?;
    let summary = document.get("summary").and_then(Value::as_str).unwrap_or_default();
    let purpose: String = maillage_federation::proposal::html_to_text(summary).chars().take(2000).collect();
    let now = now_ms();
    let collective = Collective {
        id: CollectiveId::for_remote(actor.id.as_str()),
        name,
        origin: Some(CollectiveOrigin { host: actor.domain.clone(), ap_id: actor.id.to_string() }),
        display_name: actor.name.chars().take(100).collect(),
        purpose,
        activities: data.activities.iter().filter_map(|id| crate::domain::category::find(id)).map(|c| c.id).collect(),
        territory: data.territory.clone(),
        entry_criteria: data.entry_criteria.clone(),
        questions: data.questions.clone(),
        admission: Admission::parse(&data.admission).map_err(|_| refused())?,
        visibility: CollectiveVisibility::parse(&data.visibility).map_err(|_| refused())?,
        charter_version: data.charter_version,
        created_at: now,
        updated_at: now,
    };
    let mut tx = services.write().await?;
    remote_actors::save_remote_actor(&mut tx, actor).await?;
    storage::keep_remote(&mut tx, &collective, &charter).await?;
    tx.commit().await?;
    Ok(collective)
}

/// A collective of another instance by its address (`name@host`, `!name@host`): looked up with
/// WebFinger, fetched, and kept.
pub async fn lookup(services: &Services, address: &str) -> AppResult<Collective> {
    let federation = services.running()?;
    let handle = address.trim().trim_start_matches(['!', '@']);
    let not_found = "error.collective_address_unknown";
    if !handle.contains('@') {
        return Err(AppError::field(crate::domain::FieldError::new("address", not_found)));
    }
    let actor = federation.resolve_handle(handle).await.map_err(|e| lookup_failed(e, "address", not_found))?;
    if actor.kind != ActorKind::Group {
        return Err(AppError::field(crate::domain::FieldError::new("address", "error.collective_not_a_group")));
    }
    refresh(services, &actor.id).await
}

/// Fetches another instance's collective again and keeps what it says now, with its members
/// collection (when it publishes one to us): who belongs, on the Group's word.
pub async fn refresh(services: &Services, group: &Url) -> AppResult<Collective> {
    let (actor, data, document) = fetch_group(services, group).await?;
    let collective = keep_copy(services, &actor, &data, &document).await?;
    if let Some(members) = &data.members
        && let Err(error) = read_members(services, &collective, members).await
    {
        // The copy is kept all the same; its members are what the Group's `Add`s said.
        tracing::info!(collective = %group, %error, "a collective's members collection could not be read");
    }
    Ok(collective)
}

/// The most members of another instance's collective read from its collection, and the most of
/// them whose actor is read at once to name them (the others are named by their address).
const MEMBERS_READ: usize = 5_000;
const ACTORS_READ: usize = 20;

/// Keeps who belongs to another instance's collective as its members collection says: those listed
/// are members, those we held for members and it no longer lists are not.
async fn read_members(services: &Services, collective: &Collective, members: &Url) -> AppResult<()> {
    let federation = services.running()?;
    let document = federation.fetch_json(members).await.map_err(unavailable)?;
    let items = document
        .get("orderedItems")
        .or_else(|| document.get("items"))
        .and_then(Value::as_array)
        .ok_or_else(|| AppError::bad_request("error.collective_not_a_group"))?;
    let listed: Vec<Url> = items
        .iter()
        .take(MEMBERS_READ)
        .filter_map(maillage_federation::vocab::value_id)
        .filter(|url| matches!(url.scheme(), "https" | "http"))
        .collect();
    let mut unknown = 0;
    for person in &listed {
        if services.urls().is_local(person) {
            continue;
        }
        let known = remote_actors::remote_actor(&mut *services.conn().await?, person.as_str()).await?.is_some();
        if !known && unknown < ACTORS_READ {
            unknown += 1;
            if let Err(error) = federation.actor(person).await {
                tracing::debug!(%person, %error, "a collective's member could not be read");
            }
        }
    }
    let listed: Vec<String> = listed.iter().map(Url::to_string).collect();
    let mut tx = services.write().await?;
    storage::confirm_members(&mut tx, collective, &listed, services.urls(), now_ms()).await?;
    tx.commit().await?;
    Ok(())
}

/// The `Group` a copy of ours stands for, with its inbox.
async fn group_of(services: &Services, collective: &Collective) -> AppResult<RemoteActor> {
    let origin = collective.origin.as_ref().ok_or_else(AppError::not_found)?;
    let url = Url::parse(&origin.ap_id).map_err(AppError::internal)?;
    match remote_actors::remote_actor(&mut *services.conn().await?, url.as_str()).await? {
        Some(actor) => Ok(actor),
        None => services.running()?.actor(&url).await.map_err(unavailable),
    }
}

/// Our member's `Join` of another instance's collective (also accepting an invitation, or a new
/// charter version), queued in `tx`; returns its id, which the Group's answer names.
pub async fn publish_join(
    services: &Services,
    tx: &mut Write,
    member: &Member,
    collective: &Collective,
    record: &MembershipRecord,
) -> AppResult<String> {
    let group = group_of(services, collective).await?;
    let urls = services.urls();
    let id = wire::join_id(urls, &new_id());
    let m = &record.membership;
    let activity = wire::join(
        &id,
        &urls.member(member.username.as_str()),
        &group.id,
        Some(m.charter_version.unwrap_or(collective.charter_version)),
        &m.answers,
        &m.message,
    );
    tx.publish_to(id.as_str(), member.username.as_str(), &activity, group.delivery_inbox()).await?;
    Ok(id.to_string())
}

/// Our member's `Leave` of another instance's collective (or declining its invitation).
pub async fn publish_leave(
    services: &Services,
    tx: &mut Write,
    member: &Member,
    collective: &Collective,
) -> AppResult<()> {
    let group = group_of(services, collective).await?;
    let urls = services.urls();
    let id = new_id();
    let activity = wire::leave(urls, &id, &urls.member(member.username.as_str()), &group.id);
    tx.publish_to(&id, member.username.as_str(), &activity, group.delivery_inbox()).await?;
    Ok(())
}

/// The person of another instance behind a membership of our collective.
async fn person(services: &Services, record: &MembershipRecord) -> AppResult<Option<RemoteActor>> {
    if record.member.is_some() {
        return Ok(None);
    }
    Ok(remote_actors::remote_actor(&mut *services.conn().await?, &record.actor).await?)
}

/// Our collective answers the `Join` of a person of another instance: `Accept` or `Reject` (with
/// its reason), to them; nothing for a member of ours.
pub async fn publish_answer(
    services: &Services,
    tx: &mut Write,
    collective: &Collective,
    record: &MembershipRecord,
    accepted: bool,
    reason: &str,
) -> AppResult<()> {
    let (Some(person), Some(join_id)) = (person(services, record).await?, record.activity_id.as_deref()) else {
        return Ok(());
    };
    let urls = services.urls();
    let group = urls.collective(collective.name.as_str());
    let join_id = Url::parse(join_id).map_err(AppError::internal)?;
    let m = &record.membership;
    let join = wire::join(&join_id, &person.id, &group, m.charter_version, &m.answers, &m.message);
    let id = new_id();
    let activity = wire::answer(urls, &id, &group, &join, accepted, reason);
    tx.publish_to(&id, &signer(collective), &activity, person.delivery_inbox()).await?;
    Ok(())
}

/// Our collective invites a person of another instance.
pub async fn publish_invite(
    services: &Services,
    tx: &mut Write,
    collective: &Collective,
    person: &RemoteActor,
) -> AppResult<()> {
    let urls = services.urls();
    let id = new_id();
    let activity = wire::invite(urls, &id, &urls.collective(collective.name.as_str()), &person.id);
    tx.publish_to(&id, &signer(collective), &activity, person.delivery_inbox()).await?;
    Ok(())
}

/// Our collective tells the servers of its members from other instances — and the person's own,
/// when they are of another instance — that `record`'s person is one of its members now (`Add`),
/// or is no longer (`Remove`, with the reason of an exclusion).
pub async fn publish_membership(
    services: &Services,
    tx: &mut Write,
    collective: &Collective,
    record: &MembershipRecord,
    reason: &str,
) -> AppResult<()> {
    let urls = services.urls();
    let mut inboxes = storage::remote_member_inboxes(tx, &collective.id).await?;
    if let Some(person) = person(services, record).await? {
        let inbox = person.delivery_inbox().to_string();
        if !inboxes.iter().any(|(i, _)| *i == inbox) {
            inboxes.push((inbox, person.domain.clone()));
        }
    }
    if inboxes.is_empty() {
        return Ok(());
    }
    let group = urls.collective(collective.name.as_str());
    let person_url = Url::parse(&record.actor).map_err(AppError::internal)?;
    let m = &record.membership;
    let since = rfc3339(m.since.unwrap_or(record.updated_at));
    let added = m.is_member().then_some((m.charter_version, since.as_str()));
    let to: Vec<Url> = vec![person_url.clone()];
    let id = new_id();
    let activity = wire::membership(urls, &id, &group, &person_url, added, reason, &to);
    tx.publish(&id, &signer(collective), &activity, &inboxes).await?;
    Ok(())
}

/// Our collective changed (its charter, say): its new document to its members' servers. `actor` is
/// its `Group` as `actors::group_actor` made it before `tx` began (a first key pair is written on a
/// connection of its own, which a write transaction would keep waiting).
pub async fn publish_update(
    services: &Services,
    tx: &mut Write,
    collective: &Collective,
    actor: &LocalActor,
) -> AppResult<()> {
    let inboxes = storage::remote_member_inboxes(tx, &collective.id).await?;
    if inboxes.is_empty() {
        return Ok(());
    }
    let data = group_data(tx, collective).await?;
    let urls = services.urls();
    let id = new_id();
    let activity = maillage_federation::activities::update_group(urls, &id, actor, &data);
    tx.publish(&id, &signer(collective), &activity, &inboxes).await?;
    Ok(())
}

/// Our collective announces an activity about a listing published to it (FEP-1b12) to the servers
/// of its members from other instances — but `except` (the author's, which has it).
pub async fn publish_announce(
    services: &Services,
    tx: &mut Write,
    collective: &Collective,
    activity: &Value,
    except: Option<&str>,
) -> AppResult<()> {
    let mut inboxes = storage::remote_member_inboxes(tx, &collective.id).await?;
    inboxes.retain(|(_, domain)| Some(domain.as_str()) != except);
    if inboxes.is_empty() {
        return Ok(());
    }
    let urls = services.urls();
    let id = new_id();
    let announce = wire::announce(urls, &id, &urls.collective(collective.name.as_str()), activity);
    tx.publish(&id, &signer(collective), &announce, &inboxes).await?;
    Ok(())
}

/// Our member's activity about a listing published to another instance's collective, to its Group
/// (which announces it to its other members).
pub async fn publish_to_group(
    services: &Services,
    tx: &mut Write,
    collective: &Collective,
    signer: &str,
    activity_id: &str,
    activity: &Value,
) -> AppResult<()> {
    let group = group_of(services, collective).await?;
    tx.publish_to(activity_id, signer, activity, group.delivery_inbox()).await?;
    Ok(())
}
