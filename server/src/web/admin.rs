//! Administration pages: members (approval, roles, disabling) and listing removal.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::forms::NoFields;
use super::render;
use super::views::{ListingView, date};
use super::{FormAdmin, PageCtx, done};
use crate::domain::member::{Member, MemberStatus, Role};
use crate::error::{AppError, AppResult};
use crate::http::auth::SignedInAdmin;
use crate::http::csrf::CsrfForm;
use crate::http::ids::ListingPath;
use crate::services::{accounts, catalogue, listings};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "admin/overview.html")]
struct OverviewPage {
    ctx: PageCtx,
    members: i64,
    pending: usize,
    listings: i64,
}

pub async fn overview(
    State(state): State<AppState>,
    SignedInAdmin(_): SignedInAdmin,
    ctx: PageCtx,
) -> AppResult<Html<String>> {
    let accounts::Overview { members, pending, listings } = accounts::overview(state.db()).await?;
    render(OverviewPage { ctx, members, pending, listings })
}

/// A member row with the actions that apply to them.
struct MemberRow {
    member: Member,
    kind: &'static str,
    role: &'static str,
    status: &'static str,
    joined: String,
    is_self: bool,
    actions: Vec<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "admin/members.html")]
struct MembersPage {
    ctx: PageCtx,
    rows: Vec<MemberRow>,
    error: String,
}

/// The actions an admin may take on a member: none on themself, so that they cannot lock
/// themself out.
fn actions_for(member: &Member, admin: &Member) -> Vec<(&'static str, &'static str)> {
    let mut actions = Vec::new();
    if member.id == admin.id {
        return actions;
    }
    match member.status {
        MemberStatus::Pending => actions.extend([("approve", "admin.approve"), ("disable", "admin.refuse")]),
        MemberStatus::Active => actions.push(("disable", "admin.disable")),
        MemberStatus::Disabled => actions.push(("enable", "admin.enable")),
    }
    if member.status == MemberStatus::Active && member.role != Role::Admin {
        actions.push(("promote", "admin.promote"));
    }
    if member.role != Role::Member {
        actions.push(("demote", "admin.demote"));
    }
    actions
}

async fn members_page(state: &AppState, admin: &Member, ctx: PageCtx, error: String) -> AppResult<MembersPage> {
    let t = ctx.t;
    // Pending members first: they are the ones waiting for something.
    let mut all = accounts::pending(state.db()).await?;
    all.extend(accounts::all(state.db(), 1000).await?.into_iter().filter(|m| m.status != MemberStatus::Pending));
    let rows = all
        .into_iter()
        .map(|member| MemberRow {
            kind: t.t(&format!("kind.{}", member.kind)),
            role: t.t(&format!("role.{}", member.role)),
            status: t.t(&format!("member_status.{}", member.status)),
            joined: date(t, member.created_at),
            is_self: member.id == admin.id,
            actions: actions_for(&member, admin).into_iter().map(|(action, key)| (action, t.t(key))).collect(),
            member,
        })
        .collect();
    Ok(MembersPage { ctx, rows, error })
}

pub async fn members(
    State(state): State<AppState>,
    SignedInAdmin(admin): SignedInAdmin,
    ctx: PageCtx,
) -> AppResult<Html<String>> {
    render(members_page(&state, &admin, ctx, String::new()).await?)
}

pub async fn member_action(
    State(state): State<AppState>,
    FormAdmin(admin): FormAdmin,
    ctx: PageCtx,
    Path((username, action)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> AppResult<Response> {
    if admin.username.as_str() == username.trim().to_ascii_lowercase() {
        // Shown on the members page, where the admin clicked.
        let error = ctx.t.t("error.cannot_change_self").to_owned();
        let page = members_page(&state, &admin, ctx, error).await?;
        return Ok((StatusCode::CONFLICT, render(page)?).into_response());
    }
    match action.as_str() {
        "approve" => accounts::approve(state.db(), &username).await?,
        "disable" => accounts::disable(state.db(), &username).await?,
        "enable" => accounts::enable(state.db(), &username).await?,
        "promote" => accounts::set_role(state.db(), &username, Role::Admin).await?,
        "demote" => accounts::set_role(state.db(), &username, Role::Member).await?,
        _ => return Err(AppError::not_found()),
    };
    Ok(done("/admin/members", "member_updated").into_response())
}

#[derive(Template)]
#[template(path = "admin/listings.html")]
struct ListingsPage {
    ctx: PageCtx,
    items: Vec<ListingView>,
    limit: i64,
}

pub async fn listings_page(
    State(state): State<AppState>,
    SignedInAdmin(_): SignedInAdmin,
    ctx: PageCtx,
) -> AppResult<Html<String>> {
    let results = catalogue::recent_for_moderation(state.db(), 1).await?;
    let items = results.items.iter().map(|f| ListingView::new(ctx.t, &f.listing, None)).collect();
    render(ListingsPage { ctx, items, limit: results.per_page })
}

pub async fn remove_listing(
    State(state): State<AppState>,
    FormAdmin(admin): FormAdmin,
    ListingPath(id): ListingPath,
    CsrfForm(_): CsrfForm<NoFields>,
) -> AppResult<Redirect> {
    listings::delete(&state.services, &id, &admin).await?;
    Ok(done("/admin/listings", "listing_removed"))
}
