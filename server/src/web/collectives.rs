//! Collectives' pages: the list (`/collectives`), creating one, a collective's page with its
//! charter and what the visitor may do there (ask to join, accept an invitation or a new charter,
//! leave), the charter's versions, the join form, the members and — for moderators — the requests,
//! invitations, exclusions and roles; administrators edit the collective.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::forms::{Field, FieldMessages};
use super::render;
use super::views::date;
use super::{FormAuthor, PageCtx, PageParam, done};
use crate::domain::category::CATEGORIES;
use crate::domain::collective::{
    Admission, Collective, CollectiveInput, CollectiveVisibility, JoinInput, MAX_QUESTIONS, MembershipState, Role,
};
use crate::error::{AppError, AppResult};
use crate::http::csrf::CsrfForm;
use crate::i18n::Tr;
use crate::services::collectives::{self, CollectiveView};
use crate::state::AppState;
use crate::storage::collectives::{Belonging, NamedMembership};

/// The fields of the collective form, in the order it shows them.
const FIELDS: &[Field] = &[
    Field { name: "name", input: "name", label: "collective.name" },
    Field { name: "display_name", input: "display_name", label: "collective.display_name" },
    Field { name: "purpose", input: "purpose", label: "collective.purpose" },
    Field { name: "activities", input: "activities", label: "collective.activities" },
    Field { name: "territory", input: "territory", label: "collective.territory" },
    Field { name: "charter", input: "charter", label: "collective.charter" },
    Field { name: "entry_criteria", input: "entry_criteria", label: "collective.entry_criteria" },
    Field { name: "questions", input: "question1", label: "collective.questions" },
    Field { name: "admission", input: "admission-open", label: "collective.admission" },
    Field { name: "visibility", input: "visibility-public", label: "collective.visibility" },
];

const JOIN_FIELDS: &[Field] = &[
    Field { name: "charter_version", input: "accept", label: "collective.accept_charter" },
    Field { name: "answers", input: "answer1", label: "collective.answers" },
    Field { name: "message", input: "message", label: "collective.message" },
];

/// A collective in a list or a badge.
#[derive(Debug, Clone)]
pub struct CollectiveCard {
    pub url: String,
    pub display_name: String,
    pub address: String,
    pub purpose: String,
    pub territory: String,
    pub private: bool,
    pub admission: &'static str,
    pub members: Option<i64>,
    /// Where the viewer stands, when somewhere that matters (invited, asked, member, role).
    pub standing: Option<&'static str>,
}

/// `!name@host`: how people name a collective (`acct:name@host` on the wire).
fn address(state: &AppState, collective: &Collective) -> String {
    match &collective.origin {
        None => format!("!{}@{}", collective.name, state.config().domain),
        Some(origin) => format!("!{}@{}", collective.name, origin.host),
    }
}

fn card(
    state: &AppState,
    t: Tr,
    collective: &Collective,
    members: Option<i64>,
    standing: Option<&'static str>,
) -> CollectiveCard {
    CollectiveCard {
        url: format!("/collectives/{}", collective.handle()),
        display_name: collective.display_name.clone(),
        address: address(state, collective),
        purpose: collective.purpose.chars().take(240).collect(),
        territory: collective.territory.clone(),
        private: collective.is_private(),
        admission: t.t(&format!("collective.admission_{}", collective.admission)),
        members,
        standing,
    }
}

fn standing(t: Tr, belonging: &Belonging) -> &'static str {
    let m = &belonging.record.membership;
    match m.state {
        MembershipState::Member => t.t(&format!("collective.role_{}", m.role)),
        other => t.t(&format!("collective.state_{other}")),
    }
}

#[derive(Template)]
#[template(path = "collectives.html")]
struct ListPage {
    ctx: PageCtx,
    mine: Vec<CollectiveCard>,
    all: Vec<CollectiveCard>,
    may_create: bool,
    /// The address typed to find another instance's collective, and what was wrong with it.
    address: String,
    lookup_error: String,
}

pub async fn list(State(state): State<AppState>, ctx: PageCtx) -> AppResult<Html<String>> {
    render(list_page(&state, ctx, String::new(), String::new()).await?)
}

async fn list_page(state: &AppState, ctx: PageCtx, address: String, lookup_error: String) -> AppResult<ListPage> {
    let t = ctx.t;
    let viewer = ctx.viewer.as_ref();
    let all = collectives::list(&state.services, viewer).await?;
    let mine = match viewer {
        Some(viewer) => {
            let states = [MembershipState::Member, MembershipState::Invited, MembershipState::Requested];
            collectives::belongings(&state.services, viewer, &states).await?
        }
        None => Vec::new(),
    };
    Ok(ListPage {
        mine: mine.iter().map(|b| card(state, t, &b.collective, None, Some(standing(t, b)))).collect(),
        all: all.iter().map(|s| card(state, t, &s.collective, Some(s.members), None)).collect(),
        may_create: viewer.is_some_and(|v| collectives::may_create(&state.services, v)),
        address,
        lookup_error,
        ctx,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LookupForm {
    address: String,
}

/// A member finds another instance's collective by its address, and goes to its page here.
pub async fn look_up(
    State(state): State<AppState>,
    FormAuthor(_): FormAuthor,
    ctx: PageCtx,
    CsrfForm(form): CsrfForm<LookupForm>,
) -> AppResult<Response> {
    match collectives::look_up(&state.services, &form.address).await {
        Ok(handle) => Ok(axum::response::Redirect::to(&format!("/collectives/{handle}")).into_response()),
        Err(error) if error.status.is_client_error() || !error.fields.is_empty() => {
            let message = match error.fields.first() {
                Some(field) => ctx.t.msg(&field.message),
                None => ctx.t.msg(&error.message),
            };
            let status = error.status;
            let page = list_page(&state, ctx, form.address.clone(), message).await?;
            Ok((status, render(page)?).into_response())
        }
        Err(error) => Err(error),
    }
}

/// A choice of a radio group or a checkbox list.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: &'static str,
    pub label: String,
    pub selected: bool,
}

/// The collective form's values, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CollectiveForm {
    name: String,
    display_name: String,
    purpose: String,
    territory: String,
    charter: String,
    entry_criteria: String,
    admission: String,
    visibility: String,
    /// The charter version the edit form was read at.
    charter_version: String,
    /// `activity.ID` checkboxes and `question1`…`question5`.
    #[serde(flatten)]
    numbered: BTreeMap<String, String>,
}

impl CollectiveForm {
    fn questions(&self) -> Vec<String> {
        (1..=MAX_QUESTIONS + 1).filter_map(|n| self.numbered.get(&format!("question{n}")).cloned()).collect()
    }

    fn input(&self) -> CollectiveInput {
        CollectiveInput {
            display_name: self.display_name.clone(),
            purpose: self.purpose.clone(),
            activities: self.numbered.keys().filter_map(|k| k.strip_prefix("activity.")).map(str::to_owned).collect(),
            territory: self.territory.clone(),
            charter: self.charter.clone(),
            entry_criteria: self.entry_criteria.clone(),
            questions: self.questions(),
            admission: self.admission.clone(),
            visibility: self.visibility.clone(),
        }
    }

    fn of(collective: &Collective, charter: &str) -> Self {
        let mut numbered = BTreeMap::new();
        for id in &collective.activities {
            numbered.insert(format!("activity.{id}"), "on".to_owned());
        }
        for (n, question) in collective.questions.iter().enumerate() {
            numbered.insert(format!("question{}", n + 1), question.clone());
        }
        Self {
            name: collective.name.to_string(),
            display_name: collective.display_name.clone(),
            purpose: collective.purpose.clone(),
            territory: collective.territory.clone(),
            charter: charter.to_owned(),
            entry_criteria: collective.entry_criteria.clone(),
            admission: collective.admission.to_string(),
            visibility: collective.visibility.to_string(),
            charter_version: collective.charter_version.to_string(),
            numbered,
        }
    }
}

#[derive(Template)]
#[template(path = "collective_form.html")]
struct FormPage {
    ctx: PageCtx,
    /// `None` when creating; the collective's name when editing.
    editing: Option<String>,
    form: CollectiveForm,
    questions: Vec<(usize, String)>,
    activities: Vec<Choice>,
    admissions: Vec<Choice>,
    visibilities: Vec<Choice>,
    errors: FieldMessages,
}

fn form_page(ctx: PageCtx, editing: Option<String>, form: CollectiveForm, errors: FieldMessages) -> FormPage {
    let t = ctx.t;
    let lang = t.code();
    let questions = form.questions();
    let activities = CATEGORIES
        .iter()
        .filter(|c| c.parent.is_none())
        .map(|c| Choice {
            value: c.id,
            label: c.label(lang).to_owned(),
            selected: form.numbered.contains_key(&format!("activity.{}", c.id)),
        })
        .collect();
    let admission = if form.admission.is_empty() { "approval" } else { form.admission.as_str() };
    let visibility = if form.visibility.is_empty() { "public" } else { form.visibility.as_str() };
    FormPage {
        questions: (1..=MAX_QUESTIONS).map(|n| (n, questions.get(n - 1).cloned().unwrap_or_default())).collect(),
        activities,
        admissions: Admission::ALL
            .iter()
            .map(|a| Choice {
                value: a.as_str(),
                label: t.t(&format!("collective.admission_{a}_long")).to_owned(),
                selected: a.as_str() == admission,
            })
            .collect(),
        visibilities: CollectiveVisibility::ALL
            .iter()
            .map(|v| Choice {
                value: v.as_str(),
                label: t.t(&format!("collective.visibility_{v}_long")).to_owned(),
                selected: v.as_str() == visibility,
            })
            .collect(),
        ctx,
        editing,
        form,
        errors,
    }
}

pub async fn new_form(
    State(state): State<AppState>,
    FormAuthor(member): FormAuthor,
    ctx: PageCtx,
) -> AppResult<Response> {
    if !collectives::may_create(&state.services, &member) {
        return Err(AppError::new(StatusCode::FORBIDDEN, "creation_not_allowed", "error.collective_creation_admins"));
    }
    Ok(render(form_page(ctx, None, CollectiveForm::default(), FieldMessages::default()))?.into_response())
}

pub async fn create(
    State(state): State<AppState>,
    FormAuthor(member): FormAuthor,
    ctx: PageCtx,
    CsrfForm(form): CsrfForm<CollectiveForm>,
) -> AppResult<Response> {
    match collectives::create(&state.services, &member, &form.name, &form.input()).await {
        Ok(collective) => Ok(done(&format!("/collectives/{}", collective.name), "collective_created").into_response()),
        Err(error) if !error.fields.is_empty() => {
            let errors = FieldMessages::new(ctx.t, &error.fields, FIELDS);
            Ok((error.status, render(form_page(ctx, None, form, errors))?).into_response())
        }
        Err(error) => Err(error),
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    FormAuthor(member): FormAuthor,
    ctx: PageCtx,
    Path(name): Path<String>,
) -> AppResult<Response> {
    let view = collectives::view(&state.services, &name, Some(&member)).await?;
    if !view.administers() {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            "administrators_only",
            "error.collective_administrators_only",
        ));
    }
    let form = CollectiveForm::of(&view.collective, view.charter.as_str());
    Ok(render(form_page(ctx, Some(name), form, FieldMessages::default()))?.into_response())
}

pub async fn update(
    State(state): State<AppState>,
    FormAuthor(member): FormAuthor,
    ctx: PageCtx,
    Path(name): Path<String>,
    CsrfForm(form): CsrfForm<CollectiveForm>,
) -> AppResult<Response> {
    let read_version = form.charter_version.trim().parse::<i64>().unwrap_or(0);
    match collectives::update(&state.services, &member, &name, &form.input(), read_version).await {
        Ok(collective) => Ok(done(&format!("/collectives/{}", collective.name), "collective_saved").into_response()),
        Err(error) if !error.fields.is_empty() => {
            let errors = FieldMessages::new(ctx.t, &error.fields, FIELDS);
            Ok((error.status, render(form_page(ctx, Some(name), form, errors))?).into_response())
        }
        Err(error) => Err(error),
    }
}

/// A collective's page.
#[derive(Template)]
#[template(path = "collective.html")]
struct CollectivePage {
    ctx: PageCtx,
    c: CollectiveCard,
    view: CollectiveView,
    name: String,
    activities: Vec<&'static str>,
    charter_html: String,
    charter_date: String,
    since: Option<String>,
    role: Option<&'static str>,
    /// The visitor's standing when it is not membership: asked, invited, refused, removed.
    state: Option<MembershipState>,
    reason: String,
    /// The first members (`collectives::MEMBERS_PREVIEW`); the members page has them all.
    members: Vec<MemberLine>,
    /// The members list is shown (public, or the visitor is a member).
    shows_members: bool,
}

/// One person in a collective's lists.
#[derive(Debug, Clone)]
pub struct MemberLine {
    pub id: String,
    pub name: String,
    pub handle: String,
    /// Their profile: a page here, or their page on their own server.
    pub url: Option<String>,
    pub role: Role,
    pub role_label: &'static str,
    pub since: String,
    pub charter_version: Option<i64>,
    pub owes_charter: bool,
    pub message: String,
    /// A request's answers, with their questions.
    pub answers: Vec<(String, String)>,
    /// The viewer's own line (no exclusion or role form on it).
    pub is_viewer: bool,
}

fn member_line(state: &AppState, t: Tr, collective: &Collective, named: &NamedMembership) -> MemberLine {
    let record = &named.record;
    let m = &record.membership;
    let handle = match (&named.username, &named.remote_handle) {
        (Some(username), _) => format!("@{username}@{}", state.config().domain),
        (None, Some(remote)) => format!("@{remote}"),
        (None, None) => record.actor.clone(),
    };
    let url = match &named.username {
        Some(username) => Some(format!("/members/{username}")),
        None => {
            named.remote_page.as_deref().and_then(crate::domain::link::WebLink::parse).map(|l| l.as_str().to_owned())
        }
    };
    MemberLine {
        id: record.id.to_string(),
        name: named.display_name.clone().unwrap_or_else(|| handle.clone()),
        handle,
        url,
        role: m.role,
        role_label: t.t(&format!("collective.role_{}", m.role)),
        since: date(t, m.since.unwrap_or(record.created_at)),
        charter_version: m.charter_version,
        owes_charter: m.owes_charter(collective.charter_version),
        message: m.message.clone(),
        answers: collective.questions.iter().cloned().zip(m.answers.iter().cloned()).collect(),
        is_viewer: false,
    }
}

pub async fn show(State(state): State<AppState>, ctx: PageCtx, Path(name): Path<String>) -> AppResult<Html<String>> {
    let t = ctx.t;
    let view = collectives::view(&state.services, &name, ctx.viewer.as_ref()).await?;
    let shows_members = !view.collective.is_private() || view.is_member();
    let members = if shows_members {
        let first = collectives::first_members(&state.services, &view).await?;
        first.iter().map(|m| member_line(&state, t, &view.collective, m)).collect()
    } else {
        Vec::new()
    };
    let mine = view.mine.as_ref().map(|m| &m.membership);
    render(CollectivePage {
        c: card(&state, t, &view.collective, Some(view.members), None),
        activities: view
            .collective
            .activities
            .iter()
            .filter_map(|id| crate::domain::category::find(id))
            .map(|c| c.label(t.code()))
            .collect(),
        charter_html: view.charter.to_html(),
        charter_date: date(t, view.charter_written),
        since: mine.filter(|m| m.is_member()).and_then(|m| m.since).map(|s| date(t, s)),
        role: mine.filter(|m| m.is_member()).map(|m| t.t(&format!("collective.role_{}", m.role))),
        state: mine.map(|m| m.state).filter(|s| *s != MembershipState::Member),
        reason: mine.map(|m| m.reason.clone()).unwrap_or_default(),
        name,
        members,
        shows_members,
        view,
        ctx,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct VersionParam {
    version: Option<String>,
}

#[derive(Template)]
#[template(path = "collective_charter.html")]
struct CharterPage {
    ctx: PageCtx,
    c: CollectiveCard,
    version: i64,
    current: i64,
    html: String,
    written: String,
    versions: Vec<(i64, String)>,
}

pub async fn charter(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(name): Path<String>,
    Query(param): Query<VersionParam>,
) -> AppResult<Html<String>> {
    let t = ctx.t;
    let view = collectives::view(&state.services, &name, ctx.viewer.as_ref()).await?;
    let current = view.collective.charter_version;
    let version = match param.version.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        Some(text) => text.parse::<i64>().map_err(|_| AppError::not_found())?,
        None => current,
    };
    let (charter, written) = collectives::charter(&state.services, &view, version).await?;
    let versions = collectives::charter_versions(&state.services, &view).await?;
    render(CharterPage {
        c: card(&state, t, &view.collective, None, None),
        version,
        current,
        html: charter.to_html(),
        written: date(t, written),
        versions: versions.into_iter().map(|(v, at)| (v, date(t, at))).collect(),
        ctx,
    })
}

/// The join form's values.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct JoinForm {
    /// The charter version shown, sent when the box is ticked (`accept`).
    charter_version: String,
    accept: Option<String>,
    message: String,
    /// `answer1`…`answer5`.
    #[serde(flatten)]
    numbered: BTreeMap<String, String>,
}

impl JoinForm {
    fn input(&self) -> JoinInput {
        JoinInput {
            charter_version: self.accept.as_ref().and_then(|_| self.charter_version.trim().parse().ok()),
            answers: (1..=MAX_QUESTIONS).map_while(|n| self.numbered.get(&format!("answer{n}")).cloned()).collect(),
            message: self.message.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "collective_join.html")]
struct JoinPage {
    ctx: PageCtx,
    c: CollectiveCard,
    view: CollectiveView,
    invited: bool,
    charter_html: String,
    questions: Vec<(usize, String, String)>,
    accepted: bool,
    message: String,
    errors: FieldMessages,
}

fn join_page(state: &AppState, ctx: PageCtx, view: CollectiveView, form: &JoinForm, errors: FieldMessages) -> JoinPage {
    let t = ctx.t;
    let invited = view.mine.as_ref().is_some_and(|m| m.membership.state == MembershipState::Invited);
    let questions = if invited { &[][..] } else { &view.collective.questions[..] };
    JoinPage {
        c: card(state, t, &view.collective, None, None),
        invited,
        charter_html: view.charter.to_html(),
        questions: questions
            .iter()
            .enumerate()
            .map(|(i, q)| {
                (i + 1, q.clone(), form.numbered.get(&format!("answer{}", i + 1)).cloned().unwrap_or_default())
            })
            .collect(),
        // A box ticked for a version that has changed since is shown unticked.
        accepted: form.accept.is_some() && form.charter_version == view.collective.charter_version.to_string(),
        message: form.message.clone(),
        view,
        ctx,
        errors,
    }
}

pub async fn join_form(
    State(state): State<AppState>,
    FormAuthor(member): FormAuthor,
    ctx: PageCtx,
    Path(name): Path<String>,
) -> AppResult<Html<String>> {
    let view = collectives::view(&state.services, &name, Some(&member)).await?;
    render(join_page(&state, ctx, view, &JoinForm::default(), FieldMessages::default()))
}

pub async fn join(
    State(state): State<AppState>,
    FormAuthor(member): FormAuthor,
    ctx: PageCtx,
    Path(name): Path<String>,
    CsrfForm(form): CsrfForm<JoinForm>,
) -> AppResult<Response> {
    match collectives::join(&state.services, &member, &name, &form.input()).await {
        Ok(record) => {
            let notice = if record.membership.is_member() { "collective_joined" } else { "collective_join_requested" };
            Ok(done(&format!("/collectives/{name}"), notice).into_response())
        }
        Err(error) if !error.fields.is_empty() => {
            let view = collectives::view(&state.services, &name, Some(&member)).await?;
            let errors = FieldMessages::new(ctx.t, &error.fields, JOIN_FIELDS);
            Ok((error.status, render(join_page(&state, ctx, view, &form, errors))?).into_response())
        }
        Err(error) => Err(error),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MineForm {
    /// The charter version read (accepting a new charter).
    version: String,
}

/// The visitor's own moves: `leave` (or withdraw a request, decline an invitation) and
/// `accept-charter`.
pub async fn mine(
    State(state): State<AppState>,
    FormAuthor(member): FormAuthor,
    Path((name, action)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<MineForm>,
) -> AppResult<Response> {
    let notice = match action.as_str() {
        "leave" => {
            collectives::leave(&state.services, &member, &name).await?;
            "collective_left"
        }
        "accept-charter" => {
            let version = form.version.trim().parse::<i64>().map_err(|_| AppError::bad_request("error.bad_form"))?;
            collectives::accept_charter(&state.services, &member, &name, version).await?;
            "charter_accepted"
        }
        _ => return Err(AppError::not_found()),
    };
    Ok(done(&format!("/collectives/{name}"), notice).into_response())
}

#[derive(Template)]
#[template(path = "collective_members.html")]
struct MembersPage {
    ctx: PageCtx,
    c: CollectiveCard,
    view: CollectiveView,
    /// One page of members.
    members: Vec<MemberLine>,
    page: i64,
    previous_url: Option<String>,
    next_url: Option<String>,
    requests: Vec<MemberLine>,
    invited: Vec<MemberLine>,
    roles: Vec<Choice>,
    invite_error: String,
    address: String,
    /// What was wrong with a decision just made (an exclusion without its reason…).
    action_error: String,
}

async fn members_page(
    state: &AppState,
    ctx: PageCtx,
    name: &str,
    page: i64,
    invite_error: String,
    address: String,
) -> AppResult<MembersPage> {
    let t = ctx.t;
    let view = collectives::view(&state.services, name, ctx.viewer.as_ref()).await?;
    if view.collective.is_private() && !view.is_member() {
        return Err(AppError::not_found());
    }
    let members = collectives::member_page(&state.services, &view, page).await?;
    let waiting = collectives::waiting(&state.services, &view).await?;
    let viewer = ctx.viewer.as_ref().map(|v| state.services.urls().member(v.username.as_str()).to_string());
    let lines = |list: &[NamedMembership]| {
        list.iter()
            .map(|m| MemberLine {
                is_viewer: viewer.as_deref() == Some(m.record.actor.as_str()),
                ..member_line(state, t, &view.collective, m)
            })
            .collect()
    };
    let c = card(state, t, &view.collective, Some(view.members), None);
    // From the collective's own address (`c.url`), not from the path as it was typed.
    let page_url = |n: i64| format!("{}/members?page={n}", c.url);
    Ok(MembersPage {
        members: lines(&members.members),
        page,
        previous_url: (page > 1).then(|| page_url(page - 1)),
        next_url: members.has_more.then(|| page_url(page + 1)),
        requests: lines(&waiting.requests),
        invited: lines(&waiting.invited),
        c,
        roles: Role::ALL
            .iter()
            .map(|r| Choice {
                value: r.as_str(),
                label: t.t(&format!("collective.role_{r}")).to_owned(),
                selected: false,
            })
            .collect(),
        invite_error,
        address,
        action_error: String::new(),
        view,
        ctx,
    })
}

pub async fn members(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(name): Path<String>,
    Query(page): Query<PageParam>,
) -> AppResult<Html<String>> {
    render(members_page(&state, ctx, &name, page.number(), String::new(), String::new()).await?)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InviteForm {
    address: String,
}

pub async fn invite(
    State(state): State<AppState>,
    FormAuthor(member): FormAuthor,
    ctx: PageCtx,
    Path(name): Path<String>,
    CsrfForm(form): CsrfForm<InviteForm>,
) -> AppResult<Response> {
    match collectives::invite(&state.services, &member, &name, &form.address).await {
        Ok(_) => Ok(done(&format!("/collectives/{name}/members"), "member_invited").into_response()),
        Err(error) if !error.fields.is_empty() || error.status == StatusCode::CONFLICT => {
            let message = match error.fields.first() {
                Some(field) => ctx.t.msg(&field.message),
                None => ctx.t.msg(&error.message),
            };
            let page = members_page(&state, ctx, &name, 1, message, form.address.clone()).await?;
            Ok((error.status, render(page)?).into_response())
        }
        Err(error) => Err(error),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DecisionForm {
    reason: String,
    role: String,
}

/// A moderator's move on one person: `approve`, `refuse`, `remove`, `role`. One that cannot be made
/// (an exclusion without its reason, a decision already made) shows the members page again, saying
/// why.
pub async fn decide(
    State(state): State<AppState>,
    FormAuthor(member): FormAuthor,
    ctx: PageCtx,
    Path((name, id, action)): Path<(String, String, String)>,
    CsrfForm(form): CsrfForm<DecisionForm>,
) -> AppResult<Response> {
    match decision(&state, &member, &name, &id, &action, &form).await {
        Ok(notice) => Ok(done(&format!("/collectives/{name}/members"), notice).into_response()),
        Err(error) if !error.fields.is_empty() || error.status == StatusCode::CONFLICT => {
            let message = match error.fields.first() {
                Some(field) => ctx.t.msg(&field.message),
                None => ctx.t.msg(&error.message),
            };
            let mut page = members_page(&state, ctx, &name, 1, String::new(), String::new()).await?;
            page.action_error = message;
            Ok((error.status, render(page)?).into_response())
        }
        Err(error) => Err(error),
    }
}

async fn decision(
    state: &AppState,
    member: &crate::domain::member::Member,
    name: &str,
    id: &str,
    action: &str,
    form: &DecisionForm,
) -> AppResult<&'static str> {
    let services = &state.services;
    Ok(match action {
        "approve" => {
            collectives::decide(services, member, name, id, true, &form.reason).await?;
            "member_admitted"
        }
        "refuse" => {
            collectives::decide(services, member, name, id, false, &form.reason).await?;
            "member_refused"
        }
        "remove" => {
            collectives::remove(services, member, name, id, &form.reason).await?;
            "member_removed"
        }
        "role" => {
            collectives::set_role(services, member, name, id, &form.role).await?;
            "role_changed"
        }
        _ => return Err(AppError::not_found()),
    })
}

/// The collectives a member belongs to, as their profile shows them.
#[derive(Debug, Clone)]
pub struct Badge {
    pub url: String,
    pub display_name: String,
    pub since: String,
    pub charter_version: Option<i64>,
    pub role: Option<&'static str>,
}

pub fn badges(t: Tr, belongings: &[Belonging]) -> Vec<Badge> {
    belongings
        .iter()
        .map(|b| {
            let m = &b.record.membership;
            Badge {
                url: format!("/collectives/{}", b.collective.handle()),
                display_name: b.collective.display_name.clone(),
                since: date(t, m.since.unwrap_or(b.record.created_at)),
                charter_version: m.charter_version,
                role: (m.role != Role::Member).then(|| t.t(&format!("collective.role_{}", m.role))),
            }
        })
        .collect()
}
