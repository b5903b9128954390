//! Collectives in the API: the collectives hosted here, creating and changing one, its charter's
//! versions, joining, leaving, accepting a new charter, and what its moderators and administrators
//! do — deciding requests, inviting, excluding, giving roles.
//!
//! A collective is named in paths by its address: its name for one hosted here
//! (`/collectives/reparateurs_mel`), `name@host` for our copy of another instance's; a membership by
//! its id. A private collective does not exist (404) for anyone but its members and invitees.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::json::{ApiJson, ApiJsonOrNothing, ApiQuery, page_number};
use super::views::{Links, rfc3339};
use crate::domain::FieldError;
use crate::domain::collective::{Collective, CollectiveInput, JoinInput, MembershipRecord};
use crate::domain::ids::MembershipId;
use crate::domain::link::WebLink;
use crate::error::{AppError, AppResult};
use crate::http::auth::{ApiCaller, ApiMember};
use crate::services::collectives::{self, CollectiveView};
use crate::state::AppState;
use crate::storage::collectives::{CollectiveSummary, NamedMembership};

/// `POST /collectives`. Absent and `null` are the same: what is missing is reported by the
/// validation, every field at once.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NewCollective {
    name: Option<String>,
    display_name: Option<String>,
    purpose: Option<String>,
    activities: Option<Vec<String>>,
    territory: Option<String>,
    charter: Option<String>,
    entry_criteria: Option<String>,
    questions: Option<Vec<String>>,
    admission: Option<String>,
    visibility: Option<String>,
}

impl NewCollective {
    fn into_input(self) -> (String, CollectiveInput) {
        let input = CollectiveInput {
            display_name: self.display_name.unwrap_or_default(),
            purpose: self.purpose.unwrap_or_default(),
            activities: self.activities.unwrap_or_default(),
            territory: self.territory.unwrap_or_default(),
            charter: self.charter.unwrap_or_default(),
            entry_criteria: self.entry_criteria.unwrap_or_default(),
            questions: self.questions.unwrap_or_default(),
            admission: self.admission.unwrap_or_default(),
            visibility: self.visibility.unwrap_or_default(),
        };
        (self.name.unwrap_or_default(), input)
    }
}

/// `PUT /collectives/{id}`: the whole description again (its name does not change), with the
/// charter version it was read at.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CollectiveChange {
    display_name: Option<String>,
    purpose: Option<String>,
    activities: Option<Vec<String>>,
    territory: Option<String>,
    charter: Option<String>,
    entry_criteria: Option<String>,
    questions: Option<Vec<String>>,
    admission: Option<String>,
    visibility: Option<String>,
    /// The charter version the client read: a change made since by another administrator is not
    /// overwritten.
    charter_version: Option<i64>,
}

impl CollectiveChange {
    fn into_input(self) -> (Option<i64>, CollectiveInput) {
        let input = CollectiveInput {
            display_name: self.display_name.unwrap_or_default(),
            purpose: self.purpose.unwrap_or_default(),
            activities: self.activities.unwrap_or_default(),
            territory: self.territory.unwrap_or_default(),
            charter: self.charter.unwrap_or_default(),
            entry_criteria: self.entry_criteria.unwrap_or_default(),
            questions: self.questions.unwrap_or_default(),
            admission: self.admission.unwrap_or_default(),
            visibility: self.visibility.unwrap_or_default(),
        };
        (self.charter_version, input)
    }
}

/// `POST /collectives/{id}/join`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JoinBody {
    /// The charter version accepted; absent when it is not.
    charter_version: Option<i64>,
    /// In the order of the collective's questions.
    answers: Vec<String>,
    message: String,
}

/// `POST /collectives/{id}/charter/accept`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AcceptBody {
    /// The version read, which must be the current one.
    version: Option<i64>,
}

/// `POST /collectives/{id}/requests/{membership}`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DecisionBody {
    /// `approve` or `refuse`.
    decision: String,
    /// Read by the applicant.
    reason: String,
}

/// `POST /collectives/{id}/invitations`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InvitationBody {
    /// A member of ours (`camille`, `@camille`) or of another instance (`malik@atelier.example`).
    address: String,
}

/// `PUT /collectives/{id}/members/{membership}/role`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoleBody {
    role: String,
}

/// `DELETE /collectives/{id}/members/{membership}`. The reason is required, but a body left out
/// is answered as one without it: a 422 naming `reason`, rather than a 415.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RemovalBody {
    /// Read by the person excluded.
    reason: String,
}

/// Where one person stands with a collective.
#[derive(Debug, Serialize)]
pub struct MembershipJson {
    pub id: MembershipId,
    /// The person's ActivityPub id.
    pub actor: String,
    /// `requested`, `invited`, `member`, `refused`, `left` or `removed`.
    pub state: &'static str,
    /// `administrator`, `moderator` or `member`.
    pub role: &'static str,
    /// The charter version they accepted last.
    pub charter_version: Option<i64>,
    /// A member who has not accepted the charter's current version yet.
    pub owes_charter: bool,
    /// Since when they are a member, while they are one.
    pub since: Option<String>,
    /// Why they were refused or excluded.
    pub reason: String,
}

impl MembershipJson {
    /// `record` of a collective whose charter is at version `current`.
    fn new(record: &MembershipRecord, current: i64) -> Self {
        let m = &record.membership;
        Self {
            id: record.id.clone(),
            actor: record.actor.clone(),
            state: m.state.as_str(),
            role: m.role.as_str(),
            charter_version: m.charter_version,
            owes_charter: m.owes_charter(current),
            since: m.since.map(rfc3339),
            reason: m.reason.clone(),
        }
    }
}

/// A collective as one caller sees it.
#[derive(Debug, Serialize)]
pub struct CollectiveJson {
    /// What a listing published to it names it by (`collective`).
    pub id: String,
    pub name: String,
    /// `!name@domain`.
    pub address: String,
    /// Its page.
    pub url: String,
    pub display_name: String,
    pub purpose: String,
    /// Category ids.
    pub activities: Vec<&'static str>,
    pub territory: String,
    pub entry_criteria: String,
    /// Asked of whoever asks to join.
    pub questions: Vec<String>,
    pub admission: &'static str,
    pub visibility: &'static str,
    /// The charter's current version, and its text.
    pub charter_version: i64,
    pub charter: String,
    /// The charter's text made into safe HTML.
    pub charter_html: String,
    /// How many members it has.
    pub members: i64,
    /// Where the caller stands, if anywhere.
    pub membership: Option<MembershipJson>,
    pub created_at: String,
    pub updated_at: String,
}

impl CollectiveJson {
    fn new(state: &AppState, links: &Links, view: &CollectiveView) -> Self {
        let c = &view.collective;
        let current = c.charter_version;
        Self {
            id: c.id.to_string(),
            name: c.name.to_string(),
            address: address(state, c),
            url: page(links, c),
            display_name: c.display_name.clone(),
            purpose: c.purpose.clone(),
            activities: c.activities.clone(),
            territory: c.territory.clone(),
            entry_criteria: c.entry_criteria.clone(),
            questions: c.questions.clone(),
            admission: c.admission.as_str(),
            visibility: c.visibility.as_str(),
            charter_version: current,
            charter: view.charter.as_str().to_owned(),
            charter_html: view.charter.to_html(),
            members: view.members,
            membership: view.mine.as_ref().map(|m| MembershipJson::new(m, current)),
            created_at: rfc3339(c.created_at),
            updated_at: rfc3339(c.updated_at),
        }
    }
}

/// A collective in a list.
#[derive(Debug, Serialize)]
pub struct CollectiveSummaryJson {
    pub name: String,
    pub address: String,
    pub url: String,
    pub display_name: String,
    pub purpose: String,
    pub activities: Vec<&'static str>,
    pub territory: String,
    pub admission: &'static str,
    pub visibility: &'static str,
    pub members: i64,
}

impl CollectiveSummaryJson {
    fn new(state: &AppState, links: &Links, summary: &CollectiveSummary) -> Self {
        let c = &summary.collective;
        Self {
            name: c.name.to_string(),
            address: address(state, c),
            url: page(links, c),
            display_name: c.display_name.clone(),
            purpose: c.purpose.clone(),
            activities: c.activities.clone(),
            territory: c.territory.clone(),
            admission: c.admission.as_str(),
            visibility: c.visibility.as_str(),
            members: summary.members,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct CollectiveList {
    pub items: Vec<CollectiveSummaryJson>,
}

#[derive(Debug, Serialize)]
pub struct CharterVersionJson {
    pub version: i64,
    pub created_at: String,
    /// The version's text in the API.
    pub url: String,
}

#[derive(Debug, Serialize)]
pub struct CharterList {
    /// Newest first.
    pub items: Vec<CharterVersionJson>,
}

#[derive(Debug, Serialize)]
pub struct CharterJson {
    pub version: i64,
    pub text: String,
    pub html: String,
    pub created_at: String,
}

/// Who a membership is: a member of ours by their username, another instance's by their handle.
#[derive(Debug, Serialize)]
pub struct PersonJson {
    /// The membership's id.
    pub id: MembershipId,
    pub actor: String,
    /// A member of this instance.
    pub username: Option<String>,
    /// A member of another instance: `user@host`.
    pub remote_handle: Option<String>,
    /// `null` when not known.
    pub display_name: Option<String>,
    /// Their profile page, when known.
    pub url: Option<String>,
}

impl PersonJson {
    fn new(links: &Links, named: &NamedMembership) -> Self {
        let url = match &named.username {
            Some(username) => Some(links.member(username)),
            None => named.remote_page.as_deref().and_then(WebLink::parse).map(|link| link.to_string()),
        };
        Self {
            id: named.record.id.clone(),
            actor: named.record.actor.clone(),
            username: named.username.clone(),
            remote_handle: named.remote_handle.clone(),
            display_name: named.display_name.clone(),
            url,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct CollectiveMemberJson {
    #[serde(flatten)]
    pub person: PersonJson,
    pub role: &'static str,
    pub since: Option<String>,
    pub charter_version: Option<i64>,
    pub owes_charter: bool,
}

#[derive(Debug, Serialize)]
pub struct CollectiveMemberList {
    /// Administrators first, then moderators, then by date; 100 a page.
    pub items: Vec<CollectiveMemberJson>,
    /// The next page, when there is one.
    pub next: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MembersQuery {
    /// 1 and up: 100 members a page.
    page: Option<String>,
    /// Read by the language middleware; accepted here so that it is not refused as unknown.
    lang: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct AnswerJson {
    /// The collective's question at this place now.
    pub question: String,
    pub answer: String,
}

#[derive(Debug, Serialize)]
pub struct RequestJson {
    #[serde(flatten)]
    pub person: PersonJson,
    pub message: String,
    pub answers: Vec<AnswerJson>,
    pub asked_at: String,
}

#[derive(Debug, Serialize)]
pub struct InvitationJson {
    #[serde(flatten)]
    pub person: PersonJson,
    /// The actor of the moderator who invited them.
    pub invited_by: Option<String>,
    pub invited_at: String,
}

#[derive(Debug, Serialize)]
pub struct RequestList {
    pub requests: Vec<RequestJson>,
    /// Invitations not answered yet.
    pub invitations: Vec<InvitationJson>,
}

/// A collective's address for people: `!name@host`, the host being ours for one hosted here.
fn address(state: &AppState, collective: &Collective) -> String {
    match &collective.origin {
        None => format!("!{}@{}", collective.name, state.config().domain),
        Some(origin) => format!("!{}@{}", collective.name, origin.host),
    }
}

/// Its page here (`collectives/name`, `collectives/name@host` for another instance's).
fn page(links: &Links, collective: &Collective) -> String {
    links.page(&format!("collectives/{}", collective.handle()))
}

/// The collectives the caller may see: the public ones, and the private ones they belong to or
/// are invited to.
pub async fn list(State(state): State<AppState>, ApiCaller(caller): ApiCaller) -> AppResult<Json<CollectiveList>> {
    let summaries = collectives::list(&state.services, caller.as_ref()).await?;
    let links = Links::new(state.config());
    Ok(Json(CollectiveList {
        items: summaries.iter().map(|s| CollectiveSummaryJson::new(&state, &links, s)).collect(),
    }))
}

pub async fn create(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    ApiJson(body): ApiJson<NewCollective>,
) -> AppResult<Response> {
    let (name, input) = body.into_input();
    let collective = collectives::create(&state.services, &member, &name, &input).await?;
    let view = collectives::view(&state.services, collective.name.as_str(), Some(&member)).await?;
    let links = Links::new(state.config());
    let location = links.api(&format!("collectives/{}", collective.name));
    Ok((StatusCode::CREATED, [(LOCATION, location)], Json(CollectiveJson::new(&state, &links, &view))).into_response())
}

pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> AppResult<Json<CollectiveJson>> {
    let view = collectives::view(&state.services, &id, caller.as_ref()).await?;
    Ok(Json(CollectiveJson::new(&state, &Links::new(state.config()), &view)))
}

/// An administrator changes the collective; a changed charter is a new version.
pub async fn update(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CollectiveChange>,
) -> AppResult<Json<CollectiveJson>> {
    let (read_version, input) = body.into_input();
    let read_version =
        read_version.ok_or_else(|| AppError::field(FieldError::new("charter_version", "error.required")))?;
    collectives::update(&state.services, &member, &id, &input, read_version).await?;
    let view = collectives::view(&state.services, &id, Some(&member)).await?;
    Ok(Json(CollectiveJson::new(&state, &Links::new(state.config()), &view)))
}

pub async fn charters(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> AppResult<Json<CharterList>> {
    let view = collectives::view(&state.services, &id, caller.as_ref()).await?;
    let versions = collectives::charter_versions(&state.services, &view).await?;
    let links = Links::new(state.config());
    let items = versions
        .into_iter()
        .map(|(version, created_at)| CharterVersionJson {
            version,
            created_at: rfc3339(created_at),
            url: links.api(&format!("collectives/{}/charters/{version}", view.collective.handle())),
        })
        .collect();
    Ok(Json(CharterList { items }))
}

pub async fn charter(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((id, version)): Path<(String, String)>,
) -> AppResult<Json<CharterJson>> {
    let version = version.parse::<i64>().map_err(|_| AppError::not_found())?;
    let view = collectives::view(&state.services, &id, caller.as_ref()).await?;
    let (charter, created_at) = collectives::charter(&state.services, &view, version).await?;
    Ok(Json(CharterJson {
        version,
        text: charter.as_str().to_owned(),
        html: charter.to_html(),
        created_at: rfc3339(created_at),
    }))
}

/// Where the caller stands with the collective `id` now.
async fn mine(state: &AppState, member: &crate::domain::member::Member, id: &str) -> AppResult<Json<MembershipJson>> {
    let view = collectives::view(&state.services, id, Some(member)).await?;
    let record = view.mine.as_ref().ok_or_else(AppError::not_found)?;
    Ok(Json(MembershipJson::new(record, view.collective.charter_version)))
}

/// Asks to join (or accepts an invitation): a member at once, or a request waiting.
pub async fn join(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<JoinBody>,
) -> AppResult<Json<MembershipJson>> {
    let input = JoinInput { charter_version: body.charter_version, answers: body.answers, message: body.message };
    collectives::join(&state.services, &member, &id, &input).await?;
    mine(&state, &member, &id).await
}

/// Leaves, withdraws a request or declines an invitation.
pub async fn leave(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    collectives::leave(&state.services, &member, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn accept_charter(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AcceptBody>,
) -> AppResult<Json<MembershipJson>> {
    let version = body.version.ok_or_else(|| AppError::field(FieldError::new("version", "error.required")))?;
    collectives::accept_charter(&state.services, &member, &id, version).await?;
    mine(&state, &member, &id).await
}

pub async fn members(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<MembersQuery>,
) -> AppResult<Json<CollectiveMemberList>> {
    let _ = &query.lang;
    let page = page_number(query.page.as_deref())?;
    let view = collectives::view(&state.services, &id, caller.as_ref()).await?;
    let page_of = collectives::member_page(&state.services, &view, page).await?;
    let links = Links::new(state.config());
    let current = view.collective.charter_version;
    let items = page_of
        .members
        .iter()
        .map(|named| {
            let m = &named.record.membership;
            CollectiveMemberJson {
                person: PersonJson::new(&links, named),
                role: m.role.as_str(),
                since: m.since.map(rfc3339),
                charter_version: m.charter_version,
                owes_charter: m.owes_charter(current),
            }
        })
        .collect();
    let next = page_of.has_more.then(|| {
        // The address as the caller wrote it (`name@host` too), encoded for the path.
        let address: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
        links.api(&format!("collectives/{address}/members?page={}", page + 1))
    });
    Ok(Json(CollectiveMemberList { items, next }))
}

/// The requests and invitations waiting: the collective's moderators only.
pub async fn requests(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path(id): Path<String>,
) -> AppResult<Json<RequestList>> {
    let view = collectives::view(&state.services, &id, Some(&member)).await?;
    if !view.moderates() {
        return Err(AppError::new(StatusCode::FORBIDDEN, "moderators_only", "error.collective_moderators_only"));
    }
    let waiting = collectives::waiting(&state.services, &view).await?;
    let links = Links::new(state.config());
    let questions = &view.collective.questions;
    let requests = waiting
        .requests
        .iter()
        .map(|named| {
            let m = &named.record.membership;
            let answers = m
                .answers
                .iter()
                .enumerate()
                .map(|(i, answer)| AnswerJson {
                    question: questions.get(i).cloned().unwrap_or_default(),
                    answer: answer.clone(),
                })
                .collect();
            RequestJson {
                person: PersonJson::new(&links, named),
                message: m.message.clone(),
                answers,
                asked_at: rfc3339(named.record.updated_at),
            }
        })
        .collect();
    let invitations = waiting
        .invited
        .iter()
        .map(|named| InvitationJson {
            person: PersonJson::new(&links, named),
            invited_by: named.record.decided_by.clone(),
            invited_at: rfc3339(named.record.updated_at),
        })
        .collect();
    Ok(Json(RequestList { requests, invitations }))
}

/// The charter's current version of the collective `id`, as `member` sees it (for `owes_charter`
/// in the answers of moderators' actions, whose services return the membership alone).
async fn current_charter(state: &AppState, member: &crate::domain::member::Member, id: &str) -> AppResult<i64> {
    Ok(collectives::view(&state.services, id, Some(member)).await?.collective.charter_version)
}

/// A moderator approves or refuses a request.
pub async fn decide(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path((id, membership)): Path<(String, String)>,
    ApiJson(body): ApiJson<DecisionBody>,
) -> AppResult<Json<MembershipJson>> {
    let approve = match body.decision.trim() {
        "approve" => true,
        "refuse" => false,
        "" => return Err(AppError::field(FieldError::new("decision", "error.required"))),
        _ => {
            return Err(AppError::field(
                FieldError::new("decision", "error.invalid_choice").with("allowed", "approve, refuse"),
            ));
        }
    };
    let current = current_charter(&state, &member, &id).await?;
    let record = collectives::decide(&state.services, &member, &id, &membership, approve, &body.reason).await?;
    Ok(Json(MembershipJson::new(&record, current)))
}

/// A moderator invites a member of this instance or of another.
pub async fn invite(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<InvitationBody>,
) -> AppResult<Response> {
    let current = current_charter(&state, &member, &id).await?;
    let record = collectives::invite(&state.services, &member, &id, &body.address).await?;
    Ok((StatusCode::CREATED, Json(MembershipJson::new(&record, current))).into_response())
}

/// An administrator gives a member another role.
pub async fn set_role(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path((id, membership)): Path<(String, String)>,
    ApiJson(body): ApiJson<RoleBody>,
) -> AppResult<Json<MembershipJson>> {
    let current = current_charter(&state, &member, &id).await?;
    let record = collectives::set_role(&state.services, &member, &id, &membership, &body.role).await?;
    Ok(Json(MembershipJson::new(&record, current)))
}

/// A moderator excludes a member, with a reason they read.
pub async fn remove(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path((id, membership)): Path<(String, String)>,
    ApiJsonOrNothing(body): ApiJsonOrNothing<RemovalBody>,
) -> AppResult<Json<MembershipJson>> {
    let current = current_charter(&state, &member, &id).await?;
    let record = collectives::remove(&state.services, &member, &id, &membership, &body.reason).await?;
    Ok(Json(MembershipJson::new(&record, current)))
}
