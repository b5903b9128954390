//! Collectives hosted here: creating one (who may is `instance.collective_creation`), its page as
//! each visitor may see it (a private collective is seen by its members and invitees alone; to
//! anyone else it does not exist), its charter's versions, and memberships — asking to join with
//! the charter's current version accepted and the entry questions answered, moderators' decisions,
//! invitations, leaving, exclusions, roles, accepting a new charter. Each change is one
//! transaction with the emails it causes (`services::notifications`).
//!
//! People are named by their ActivityPub id (`actor`), ours as theirs, so that a member of another
//! instance stands in the same table as a member of ours. A collective of another instance is known
//! here by its address (`name@host`) through the copy we keep of its `Group`: our members ask to
//! join it, leave it and accept its charters by activities to its instance, which decides and
//! answers; where they stand is what the `Group` said last (`received.rs`).

use axum::http::StatusCode;

use crate::config::CollectiveCreation;
use crate::domain::FieldError;
use crate::domain::collective::{
    Charter, Collective, CollectiveDraft, CollectiveInput, CollectiveName, JoinInput, JoinRequest, Membership,
    MembershipError, MembershipRecord, MembershipState, Role, parse_message,
};
use crate::domain::ids::{CollectiveId, MemberId, MembershipId, now_ms};
use crate::domain::member::{Member, Username};
use crate::error::{AppError, AppResult};
use crate::services::Services;
use crate::services::federation::collectives as wire;
use crate::services::notifications;

pub mod received;
use crate::storage::collectives::{
    self as storage, Belonging, CollectiveSummary, InsertCollectiveError, NamedMembership,
};
use crate::storage::members;

/// A collective's page as one visitor sees it.
#[derive(Debug, Clone)]
pub struct CollectiveView {
    pub collective: Collective,
    /// The charter's current version, and when it was written.
    pub charter: Charter,
    pub charter_written: i64,
    pub members: i64,
    /// Where the visitor stands, if anywhere.
    pub mine: Option<MembershipRecord>,
}

impl CollectiveView {
    pub fn is_member(&self) -> bool {
        self.mine.as_ref().is_some_and(|m| m.membership.is_member())
    }

    /// The visitor's role here; moderation happens on the instance that hosts the collective.
    fn role(&self) -> Option<Role> {
        if !self.collective.is_ours() {
            return None;
        }
        self.mine.as_ref().filter(|m| m.membership.is_member()).map(|m| m.membership.role)
    }

    /// Whether the visitor admits, invites and excludes here.
    pub fn moderates(&self) -> bool {
        self.role().is_some_and(Role::moderates)
    }

    /// Whether the visitor changes the collective, its charter and roles.
    pub fn administers(&self) -> bool {
        self.role().is_some_and(Role::administers)
    }

    /// The visitor is a member who has not accepted the current charter yet.
    pub fn owes_charter(&self) -> bool {
        self.mine.as_ref().is_some_and(|m| m.membership.owes_charter(self.collective.charter_version))
    }
}

/// Whether `member` may create collectives here.
pub fn may_create(services: &Services, member: &Member) -> bool {
    match services.config().instance.collective_creation {
        CollectiveCreation::Members => true,
        CollectiveCreation::Administrators => member.is_admin(),
    }
}

/// A member's ActivityPub id: what memberships are kept under.
fn actor_of(services: &Services, member: &Member) -> String {
    services.urls().member(member.username.as_str()).to_string()
}

fn refused(error: MembershipError) -> AppError {
    AppError::new(StatusCode::CONFLICT, "membership_not_allowed", error.key())
}

fn moderators_only() -> AppError {
    AppError::new(StatusCode::FORBIDDEN, "moderators_only", "error.collective_moderators_only")
}

fn administrators_only() -> AppError {
    AppError::new(StatusCode::FORBIDDEN, "administrators_only", "error.collective_administrators_only")
}

/// Creates a collective; its creator is its first administrator, bound by its charter.
pub async fn create(
    services: &Services,
    member: &Member,
    name: &str,
    input: &CollectiveInput,
) -> AppResult<Collective> {
    if !may_create(services, member) {
        return Err(AppError::new(StatusCode::FORBIDDEN, "creation_not_allowed", "error.collective_creation_admins"));
    }
    let name = CollectiveName::parse(name);
    let draft = CollectiveDraft::parse(input);
    let (name, draft) = match (name, draft) {
        (Ok(name), Ok(draft)) => (name, draft),
        (name, draft) => {
            let mut errors: Vec<FieldError> = name.err().into_iter().collect();
            errors.extend(draft.err().unwrap_or_default());
            return Err(AppError::validation(errors));
        }
    };
    let id = CollectiveId::new();
    let now = now_ms();
    let mut tx = services.write().await?;
    match storage::insert(&mut tx, &id, &name, &draft, now).await {
        Ok(()) => {}
        Err(InsertCollectiveError::NameTaken) => {
            return Err(AppError::validation(vec![FieldError::new("name", "error.collective_name_taken")])
                .with_status(StatusCode::CONFLICT, "name_taken"));
        }
        Err(InsertCollectiveError::Database(e)) => return Err(e.into()),
    }
    let founder = MembershipRecord {
        id: MembershipId::new(),
        collective: id.clone(),
        actor: actor_of(services, member),
        member: Some(member.id.clone()),
        membership: Membership::founder(1, now),
        decided_by: None,
        activity_id: None,
        created_at: now,
        updated_at: now,
    };
    storage::save_membership(&mut tx, &founder).await?;
    tx.commit().await?;
    tracing::info!(collective.id = %id, collective.name = %name, member.id = %member.id, "collective created");
    storage::by_id(&mut *services.conn().await?, &id).await?.ok_or_else(AppError::not_found)
}

/// A collective with what `viewer` may see of it: one hosted here by its name, another instance's
/// by its address (`name@host`). A private one is not found by anyone but its members and invitees.
pub async fn view(services: &Services, address: &str, viewer: Option<&Member>) -> AppResult<CollectiveView> {
    let mut conn = services.conn().await?;
    let collective = find(&mut conn, services, address).await?.ok_or_else(AppError::not_found)?;
    let mine = match viewer {
        Some(viewer) => storage::membership(&mut conn, &collective.id, &actor_of(services, viewer)).await?,
        None => None,
    };
    let may_see = !collective.is_private()
        || mine
            .as_ref()
            .is_some_and(|m| matches!(m.membership.state, MembershipState::Member | MembershipState::Invited));
    if !may_see {
        return Err(AppError::not_found());
    }
    let (charter, charter_written) = storage::charter(&mut conn, &collective.id, collective.charter_version)
        .await?
        .ok_or_else(AppError::not_found)?;
    let members = storage::count_members(&mut conn, &collective.id).await?;
    Ok(CollectiveView { collective, charter, charter_written, members, mine })
}

/// The collective an address names: `name` (or `name@our-domain`) hosted here, `name@host` our copy
/// of another instance's.
async fn find(conn: &mut sqlx::AnyConnection, services: &Services, address: &str) -> AppResult<Option<Collective>> {
    let address = address.trim().trim_start_matches('!');
    let (name, host) = match address.split_once('@') {
        Some((name, host)) if !host.eq_ignore_ascii_case(&services.urls().domain()) => (name, Some(host)),
        Some((name, _)) => (name, None),
        None => (address, None),
    };
    let Ok(name) = CollectiveName::parse(name) else { return Ok(None) };
    Ok(match host {
        None => storage::local_by_name(conn, &name).await?,
        Some(host) => storage::remote_by_address(conn, &name, &host.to_ascii_lowercase()).await?,
    })
}

/// Finds another instance's collective by its address (`name@host`), keeps a copy, and gives the
/// address of its page here.
pub async fn look_up(services: &Services, address: &str) -> AppResult<String> {
    let collective = wire::lookup(services, address).await?;
    Ok(collective.handle())
}

/// The collectives hosted here that `viewer` may see.
pub async fn list(services: &Services, viewer: Option<&Member>) -> AppResult<Vec<CollectiveSummary>> {
    let actor = viewer.map(|viewer| actor_of(services, viewer));
    Ok(storage::visible(&mut *services.conn().await?, actor.as_deref()).await?)
}

/// An administrator changes the collective; a changed charter is a new version, which every
/// member is asked to accept. `read_version` is the charter version the form was read at: a
/// change made meanwhile by another administrator is not overwritten (409).
pub async fn update(
    services: &Services,
    member: &Member,
    name: &str,
    input: &CollectiveInput,
    read_version: i64,
) -> AppResult<Collective> {
    let view = view(services, name, Some(member)).await?;
    if !view.administers() {
        return Err(administrators_only());
    }
    let draft = CollectiveDraft::parse(input).map_err(AppError::validation)?;
    let mut collective = view.collective.clone();
    if read_version != collective.charter_version {
        return Err(AppError::conflict("error.collective_changed_meanwhile"));
    }
    let charter_changed = draft.charter != view.charter;
    collective.display_name = draft.display_name;
    collective.purpose = draft.purpose;
    collective.activities = draft.activities;
    collective.territory = draft.territory;
    collective.entry_criteria = draft.entry_criteria;
    collective.questions = draft.questions;
    collective.admission = draft.admission;
    collective.visibility = draft.visibility;
    let now = now_ms();
    if charter_changed {
        collective.charter_version += 1;
    }
    let group = crate::services::federation::actors::group_actor(services, &collective).await?;
    let mut tx = services.write().await?;
    if charter_changed {
        storage::add_charter(&mut tx, &collective.id, collective.charter_version, &draft.charter, now).await?;
    }
    if !storage::update(&mut tx, &collective, read_version, now).await? {
        return Err(AppError::conflict("error.collective_changed_meanwhile"));
    }
    if charter_changed {
        wire::publish_update(services, &mut tx, &collective, &group).await?;
        // The one who wrote it accepts it by writing it; every other member is told.
        if let Some(mut mine) = view.mine.clone() {
            mine.membership.charter_version = Some(collective.charter_version);
            mine.updated_at = now;
            storage::save_membership(&mut tx, &mine).await?;
        }
        let version = collective.charter_version.to_string();
        for other in storage::memberships(&mut tx, &collective.id, &[MembershipState::Member]).await? {
            if let Some(id) = other.record.member.as_ref().filter(|id| **id != member.id) {
                tell(services, &mut tx, id, &collective, "charter", None, Some(&version)).await?;
            }
        }
    }
    tx.commit().await?;
    Ok(collective)
}

/// The versions of a collective's charter (newest first: `(version, written at)`).
pub async fn charter_versions(services: &Services, view: &CollectiveView) -> AppResult<Vec<(i64, i64)>> {
    Ok(storage::charter_versions(&mut *services.conn().await?, &view.collective.id).await?)
}

/// One version of a collective's charter, and when it was written.
pub async fn charter(services: &Services, view: &CollectiveView, version: i64) -> AppResult<(Charter, i64)> {
    storage::charter(&mut *services.conn().await?, &view.collective.id, version).await?.ok_or_else(AppError::not_found)
}

/// A member asks to join (or accepts an invitation): the charter's current version accepted, the
/// questions answered. Returns where they stand now: a member, or a request waiting.
pub async fn join(services: &Services, member: &Member, name: &str, input: &JoinInput) -> AppResult<MembershipRecord> {
    let view = view(services, name, Some(member)).await?;
    if !view.collective.is_ours() {
        return join_elsewhere(services, member, view, input).await;
    }
    let collective = &view.collective;
    let invited = view.mine.as_ref().is_some_and(|m| m.membership.state == MembershipState::Invited);
    let request = JoinRequest::parse(input, collective.charter_version, &collective.questions, invited)
        .map_err(AppError::validation)?;
    let previous = view.mine.as_ref().map(|m| &m.membership);
    let now = now_ms();
    let membership = Membership::ask(previous, collective.admission, request, now).map_err(|e| match e {
        MembershipError::NotInvited => {
            AppError::new(StatusCode::FORBIDDEN, "invitation_only", MembershipError::NotInvited.key())
        }
        other => refused(other),
    })?;
    let record = MembershipRecord {
        id: view.mine.as_ref().map_or_else(MembershipId::new, |m| m.id.clone()),
        collective: collective.id.clone(),
        actor: actor_of(services, member),
        member: Some(member.id.clone()),
        membership,
        decided_by: view.mine.as_ref().and_then(|m| m.decided_by.clone()),
        activity_id: None,
        created_at: view.mine.as_ref().map_or(now, |m| m.created_at),
        updated_at: now,
    };
    let mut tx = services.write().await?;
    storage::save_membership(&mut tx, &record).await?;
    if record.membership.is_member() {
        wire::publish_membership(services, &mut tx, collective, &record, "").await?;
    }
    if record.membership.state == MembershipState::Requested {
        let who = member.display_name.clone();
        for moderator in storage::memberships(&mut tx, &collective.id, &[MembershipState::Member]).await? {
            if let Some(id) = moderator.record.member.as_ref().filter(|_| moderator.record.membership.role.moderates())
            {
                tell(services, &mut tx, id, collective, "request", Some(&who), None).await?;
            }
        }
    }
    tx.commit().await?;
    tracing::info!(collective.id = %collective.id, member.id = %member.id, state = %record.membership.state, "joining a collective");
    Ok(record)
}

/// A member leaves, withdraws their request or declines an invitation. The last administrator
/// stays until they have named another.
pub async fn leave(services: &Services, member: &Member, name: &str) -> AppResult<()> {
    let view = view(services, name, Some(member)).await?;
    let mut record = view.mine.clone().ok_or_else(|| refused(MembershipError::NotMember))?;
    let mut tx = services.write().await?;
    keeps_an_administrator(&mut tx, &record).await?;
    let was_member = record.membership.is_member();
    record.membership.leave().map_err(refused)?;
    record.updated_at = now_ms();
    storage::save_membership(&mut tx, &record).await?;
    if !view.collective.is_ours() {
        wire::publish_leave(services, &mut tx, member, &view.collective).await?;
    } else if was_member {
        wire::publish_membership(services, &mut tx, &view.collective, &record, "").await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Refuses a change that would leave the collective without an administrator (`record` is one, and
/// the only one).
async fn keeps_an_administrator(conn: &mut sqlx::AnyConnection, record: &MembershipRecord) -> AppResult<()> {
    let m = &record.membership;
    if m.is_member()
        && m.role == Role::Administrator
        && storage::count_with_role(conn, &record.collective, Role::Administrator).await? <= 1
    {
        return Err(AppError::conflict("error.collective_last_administrator")
            .with_status(StatusCode::CONFLICT, "last_administrator"));
    }
    Ok(())
}

/// A member accepts the charter's current version (`version`: the one they read).
pub async fn accept_charter(services: &Services, member: &Member, name: &str, version: i64) -> AppResult<()> {
    let view = view(services, name, Some(member)).await?;
    let mut record = view.mine.clone().ok_or_else(|| refused(MembershipError::NotMember))?;
    let current = view.collective.charter_version;
    record.membership.accept_charter(version, current).map_err(|e| refused(e).with_arg("version", current))?;
    record.updated_at = now_ms();
    if view.collective.is_ours() {
        storage::save_membership(&mut *services.conn().await?, &record).await?;
        return Ok(());
    }
    // Another instance's: its Group records the acceptance, and says so (then it shows here).
    let mut tx = services.write().await?;
    let join_id = wire::publish_join(services, &mut tx, member, &view.collective, &record).await?;
    let mut asked = view.mine.clone().unwrap_or(record);
    asked.activity_id = Some(join_id);
    storage::save_membership(&mut tx, &asked).await?;
    tx.commit().await?;
    Ok(())
}

/// Our member asks to join another instance's collective: the copy we keep is fetched again
/// first, so that the charter accepted and the questions answered are its current ones; their
/// request waits for the Group's answer (`received.rs`).
async fn join_elsewhere(
    services: &Services,
    member: &Member,
    view: CollectiveView,
    input: &JoinInput,
) -> AppResult<MembershipRecord> {
    let origin = view.collective.origin.clone().ok_or_else(AppError::not_found)?;
    let group = url::Url::parse(&origin.ap_id).map_err(AppError::internal)?;
    let collective = wire::refresh(services, &group).await?;
    let previous = view.mine.as_ref().map(|m| &m.membership);
    let invited = previous.is_some_and(|m| m.state == MembershipState::Invited);
    let request = JoinRequest::parse(input, collective.charter_version, &collective.questions, invited)
        .map_err(AppError::validation)?;
    match previous.map(|m| m.state) {
        Some(MembershipState::Member) => return Err(refused(MembershipError::AlreadyMember)),
        Some(MembershipState::Requested) => return Err(refused(MembershipError::AlreadyAsked)),
        Some(MembershipState::Invited) => {}
        _ if collective.admission == crate::domain::collective::Admission::Invitation => {
            return Err(AppError::new(StatusCode::FORBIDDEN, "invitation_only", MembershipError::NotInvited.key()));
        }
        _ => {}
    }
    let now = now_ms();
    let mut record = MembershipRecord {
        id: view.mine.as_ref().map_or_else(MembershipId::new, |m| m.id.clone()),
        collective: collective.id.clone(),
        actor: actor_of(services, member),
        member: Some(member.id.clone()),
        membership: Membership {
            state: MembershipState::Requested,
            role: Role::Member,
            charter_version: request.charter_version,
            since: None,
            message: request.message,
            answers: request.answers,
            reason: String::new(),
        },
        decided_by: None,
        activity_id: None,
        created_at: view.mine.as_ref().map_or(now, |m| m.created_at),
        updated_at: now,
    };
    let mut tx = services.write().await?;
    record.activity_id = Some(wire::publish_join(services, &mut tx, member, &collective, &record).await?);
    storage::save_membership(&mut tx, &record).await?;
    tx.commit().await?;
    tracing::info!(collective = %origin.ap_id, member.id = %member.id, "asked to join another instance's collective");
    Ok(record)
}

/// How many members a collective's own page shows (administrators and moderators first): the
/// members page lists them all, [`MEMBERS_PER_PAGE`] at a time. A collective of a thousand members
/// is one page of a hundred names, not a thousand.
pub const MEMBERS_PREVIEW: i64 = 24;
pub const MEMBERS_PER_PAGE: i64 = 100;

/// One page of a collective's members (the collective must be visible to the viewer).
#[derive(Debug, Clone, Default)]
pub struct MemberPage {
    pub members: Vec<NamedMembership>,
    /// Another page of members follows.
    pub has_more: bool,
}

/// Page `page` (from 1) of the collective's members, [`MEMBERS_PER_PAGE`] of them.
pub async fn member_page(services: &Services, view: &CollectiveView, page: i64) -> AppResult<MemberPage> {
    let offset = (page.max(1) - 1) * MEMBERS_PER_PAGE;
    // One more than a page: whether another follows, without counting them.
    let mut members = storage::members_window(services.db(), &view.collective.id, offset, MEMBERS_PER_PAGE + 1).await?;
    let has_more = members.len() > MEMBERS_PER_PAGE as usize;
    members.truncate(MEMBERS_PER_PAGE as usize);
    Ok(MemberPage { members, has_more })
}

/// What waits for a collective's moderators: the requests to decide and the invitations sent.
#[derive(Debug, Clone, Default)]
pub struct Waiting {
    pub requests: Vec<NamedMembership>,
    pub invited: Vec<NamedMembership>,
}

/// The requests and invitations of the collective, to its moderators; nothing to anyone else.
pub async fn waiting(services: &Services, view: &CollectiveView) -> AppResult<Waiting> {
    if !view.moderates() {
        return Ok(Waiting::default());
    }
    let mut conn = services.conn().await?;
    let requests = storage::memberships(&mut conn, &view.collective.id, &[MembershipState::Requested]).await?;
    let invited = storage::memberships(&mut conn, &view.collective.id, &[MembershipState::Invited]).await?;
    Ok(Waiting { requests, invited })
}

/// The first [`MEMBERS_PREVIEW`] members, for the collective's own page.
pub async fn first_members(services: &Services, view: &CollectiveView) -> AppResult<Vec<NamedMembership>> {
    Ok(storage::members_window(services.db(), &view.collective.id, 0, MEMBERS_PREVIEW).await?)
}

/// The membership `id` of the collective `name`, with the view of the moderator acting on it.
async fn moderated(
    services: &Services,
    moderator: &Member,
    name: &str,
    id: &str,
) -> AppResult<(CollectiveView, MembershipRecord)> {
    let view = view(services, name, Some(moderator)).await?;
    if !view.moderates() {
        return Err(moderators_only());
    }
    let id = MembershipId::parse(id).ok_or_else(AppError::not_found)?;
    let record = storage::membership_by_id(&mut *services.conn().await?, &view.collective.id, &id)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok((view, record))
}

/// A moderator admits (`approve`) or refuses a request, with a reason the applicant reads.
pub async fn decide(
    services: &Services,
    moderator: &Member,
    name: &str,
    id: &str,
    approve: bool,
    reason: &str,
) -> AppResult<MembershipRecord> {
    let (view, mut record) = moderated(services, moderator, name, id).await?;
    let reason = parse_message("reason", reason).map_err(AppError::field)?;
    let now = now_ms();
    if approve {
        record.membership.approve(now).map_err(refused)?;
    } else {
        record.membership.refuse(reason.clone()).map_err(refused)?;
    }
    record.decided_by = Some(actor_of(services, moderator));
    record.updated_at = now;
    let mut tx = services.write().await?;
    storage::save_membership(&mut tx, &record).await?;
    wire::publish_answer(services, &mut tx, &view.collective, &record, approve, &reason).await?;
    if approve {
        wire::publish_membership(services, &mut tx, &view.collective, &record, "").await?;
    }
    if let Some(id) = &record.member {
        let what = if approve { "accepted" } else { "refused" };
        tell(services, &mut tx, id, &view.collective, what, None, Some(&reason)).await?;
    }
    tx.commit().await?;
    Ok(record)
}

/// A moderator invites a member of this instance, by their username (`@name` works too).
pub async fn invite(services: &Services, moderator: &Member, name: &str, address: &str) -> AppResult<MembershipRecord> {
    let view = view(services, name, Some(moderator)).await?;
    if !view.moderates() {
        return Err(moderators_only());
    }
    let invitee = invitee(services, address).await?;
    let (actor, member) = match &invitee {
        Invitee::Ours(member) => (actor_of(services, member), Some(member.id.clone())),
        Invitee::Theirs(person) => (person.id.to_string(), None),
    };
    let previous = storage::membership(&mut *services.conn().await?, &view.collective.id, &actor).await?;
    let now = now_ms();
    let membership = Membership::invite(previous.as_ref().map(|p| &p.membership), now).map_err(refused)?;
    let admitted = membership.is_member();
    let record = MembershipRecord {
        id: previous.as_ref().map_or_else(MembershipId::new, |p| p.id.clone()),
        collective: view.collective.id.clone(),
        actor,
        member,
        membership,
        decided_by: Some(actor_of(services, moderator)),
        activity_id: previous.as_ref().and_then(|p| p.activity_id.clone()),
        created_at: previous.as_ref().map_or(now, |p| p.created_at),
        updated_at: now,
    };
    let mut tx = services.write().await?;
    storage::save_membership(&mut tx, &record).await?;
    match &invitee {
        Invitee::Ours(member) => {
            let what = if admitted { "accepted" } else { "invited" };
            tell(services, &mut tx, &member.id, &view.collective, what, Some(&moderator.display_name), None).await?;
            if admitted {
                wire::publish_membership(services, &mut tx, &view.collective, &record, "").await?;
            }
        }
        // Inviting someone who asked admits them: their Join is answered.
        Invitee::Theirs(_) if admitted => {
            wire::publish_answer(services, &mut tx, &view.collective, &record, true, "").await?;
            wire::publish_membership(services, &mut tx, &view.collective, &record, "").await?;
        }
        Invitee::Theirs(person) => wire::publish_invite(services, &mut tx, &view.collective, person).await?,
    }
    tx.commit().await?;
    Ok(record)
}

/// Who a moderator invites: a member of ours (`camille`, `@camille`, `camille@our-domain`) or a
/// person of another instance (`malik@atelier.example`), looked up.
enum Invitee {
    Ours(Member),
    Theirs(Box<maillage_federation::RemoteActor>),
}

async fn invitee(services: &Services, address: &str) -> AppResult<Invitee> {
    let address = address.trim().trim_start_matches('@');
    let local = match address.split_once('@') {
        None => Some(address),
        Some((user, host)) if host.eq_ignore_ascii_case(&services.urls().domain()) => Some(user),
        Some(_) => None,
    };
    let Some(username) = local else {
        let federation = services.running()?;
        let person = federation
            .resolve_handle(address)
            .await
            .map_err(|e| crate::services::federation::lookup_failed(e, "address", "error.collective_invite_unknown"))?;
        crate::storage::remote_actors::save_remote_actor(&mut *services.conn().await?, &person).await?;
        return Ok(Invitee::Theirs(Box::new(person)));
    };
    let username = Username::parse(username)
        .map_err(|_| AppError::field(FieldError::new("address", "error.collective_invite_address")))?;
    members::by_username(&mut *services.conn().await?, &username)
        .await?
        .filter(|m| m.status == crate::domain::member::MemberStatus::Active)
        .map(Invitee::Ours)
        .ok_or_else(|| AppError::field(FieldError::new("address", "error.collective_invite_unknown")))
}

/// A moderator excludes a member, with a reason they read. Moderators exclude members; only an
/// administrator excludes a moderator or an administrator, and never the last administrator.
pub async fn remove(
    services: &Services,
    moderator: &Member,
    name: &str,
    id: &str,
    reason: &str,
) -> AppResult<MembershipRecord> {
    let (view, mut record) = moderated(services, moderator, name, id).await?;
    if record.membership.role != Role::Member && !view.administers() {
        return Err(administrators_only());
    }
    let reason = parse_message("reason", reason).map_err(AppError::field)?;
    if reason.is_empty() {
        // The person excluded reads why, on every instance.
        return Err(AppError::field(FieldError::new("reason", "error.collective_removal_reason")));
    }
    let mut tx = services.write().await?;
    keeps_an_administrator(&mut tx, &record).await?;
    record.membership.remove(reason.clone()).map_err(refused)?;
    record.decided_by = Some(actor_of(services, moderator));
    record.updated_at = now_ms();
    storage::save_membership(&mut tx, &record).await?;
    wire::publish_membership(services, &mut tx, &view.collective, &record, &reason).await?;
    if let Some(id) = &record.member {
        tell(services, &mut tx, id, &view.collective, "removed", None, Some(&reason)).await?;
    }
    tx.commit().await?;
    Ok(record)
}

/// An administrator gives a member another role (never leaving the collective without an
/// administrator).
pub async fn set_role(
    services: &Services,
    administrator: &Member,
    name: &str,
    id: &str,
    role: &str,
) -> AppResult<MembershipRecord> {
    let role = Role::parse(role).map_err(AppError::field)?;
    let (view, mut record) = moderated(services, administrator, name, id).await?;
    if !view.administers() {
        return Err(administrators_only());
    }
    let mut tx = services.write().await?;
    if role != Role::Administrator {
        keeps_an_administrator(&mut tx, &record).await?;
    }
    record.membership.set_role(role).map_err(refused)?;
    record.updated_at = now_ms();
    storage::save_membership(&mut tx, &record).await?;
    tx.commit().await?;
    Ok(record)
}

/// The collective hosted here whose moderators `member` is among, that `listing` is published to.
pub async fn moderated_collective_of(
    services: &Services,
    member: &Member,
    listing: &crate::domain::listing::Listing,
) -> AppResult<Option<Collective>> {
    let Some(id) = listing.content.collective.as_ref() else { return Ok(None) };
    let Some(collective) = storage::by_id(&mut *services.conn().await?, id).await? else { return Ok(None) };
    if !collective.is_ours() {
        return Ok(None);
    }
    let view = view(services, collective.name.as_str(), Some(member)).await?;
    Ok(view.moderates().then_some(collective))
}

/// A moderator takes a listing out of the collective (one hosted here). A listing of a member of
/// ours goes back to this cooperative's members; another instance's is removed here; either way the
/// Group announces its `Delete` to the collective's members' servers — the author's too, whose
/// instance takes it out of the collective in turn (`received.rs`).
pub async fn take_out(
    services: &Services,
    moderator: &Member,
    listing_id: &crate::domain::ids::ListingId,
) -> AppResult<crate::domain::listing::Listing> {
    let listing = crate::storage::listings::by_id(&mut *services.conn().await?, listing_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let Some(collective) = moderated_collective_of(services, moderator, &listing).await? else {
        return Err(moderators_only());
    };
    let now = now_ms();
    if listing.origin.is_none() {
        // Ours: `listing_changed` has the Group announce its Delete to the members' servers.
        let taken = crate::services::listings::change(services, &listing, async |conn| {
            crate::storage::listings::take_out_of_collective(conn, &listing.id, now).await
        })
        .await?;
        tracing::info!(listing.id = %listing.id, collective.id = %collective.id, "listing taken out of a collective");
        return Ok(taken);
    }
    let ap_id = listing.origin.as_ref().map(|o| o.ap_id.clone()).unwrap_or_default();
    let delete = serde_json::json!({
        "type": "Delete", "id": format!("{ap_id}#delete"), "actor": listing.author.id, "object": ap_id,
    });
    let mut tx = services.write().await?;
    crate::storage::listings::delete(&mut tx, &listing.id).await?;
    wire::publish_announce(services, &mut tx, &collective, &delete, None).await?;
    tx.commit().await?;
    tracing::info!(listing.id = %listing.id, collective.id = %collective.id, "listing taken out of a collective");
    Ok(listing)
}

/// What waits for a member in collectives (the count in the menu): requests they may decide,
/// invitations, new charters to accept.
pub async fn awaiting(services: &Services, member: &Member) -> AppResult<i64> {
    Ok(storage::awaiting(&mut *services.conn().await?, &actor_of(services, member)).await?)
}

/// The collectives `member` belongs to, is invited to or has asked to join (their own page).
pub async fn belongings(services: &Services, member: &Member, states: &[MembershipState]) -> AppResult<Vec<Belonging>> {
    Ok(storage::belongings(&mut *services.conn().await?, &actor_of(services, member), states).await?)
}

/// The collectives a member of ours belongs to, as badges on their profile: a private collective
/// shows only to those who may see it (`viewer` a member of it too).
pub async fn badges(services: &Services, member: &Member, viewer: Option<&Member>) -> AppResult<Vec<Belonging>> {
    let mut all = belongings(services, member, &[MembershipState::Member]).await?;
    if all.iter().any(|b| b.collective.is_private()) {
        let theirs: Vec<CollectiveId> = match viewer {
            Some(viewer) => belongings(services, viewer, &[MembershipState::Member])
                .await?
                .into_iter()
                .map(|b| b.collective.id)
                .collect(),
            None => Vec::new(),
        };
        all.retain(|b| !b.collective.is_private() || theirs.contains(&b.collective.id));
    }
    Ok(all)
}

/// Queues the email `mail.collective.WHAT` to member `to` about `collective`.
async fn tell(
    services: &Services,
    conn: &mut sqlx::AnyConnection,
    to: &MemberId,
    collective: &Collective,
    what: &str,
    who: Option<&str>,
    detail: Option<&str>,
) -> AppResult<()> {
    let page = services.urls().base().join(&format!("collectives/{}", collective.handle())).map(|u| u.to_string());
    let page = page.unwrap_or_default();
    let fill = |template: &str| {
        template
            .replace("{collective}", &collective.display_name)
            .replace("{who}", who.unwrap_or_default())
            .replace("{reason}", detail.filter(|d| !d.is_empty()).unwrap_or("—"))
            .replace("{version}", detail.unwrap_or_default())
    };
    let key = format!("mail.collective.{what}");
    notifications::email(services, conn, to, &key, &fill, ("mail.collective.open", &page)).await
}
