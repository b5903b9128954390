//! Federation pages: peering with other cooperatives (admins), and following accounts of other
//! instances (members).

use askama::Template;

use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::confirm::ConfirmPage;
use super::forms::NoFields;
use super::render;
use super::views::date;
use super::{FormAdmin, FormAuthor, PageCtx, done};
use crate::domain::follow::FollowState;
use crate::domain::link::WebLink;
use crate::error::{AppError, AppResult};
use crate::http::auth::{SignedIn, SignedInAdmin};
use crate::http::csrf::CsrfForm;
use crate::services::federation::PeerState;
use crate::services::follows;
use crate::services::peering::{self, PeerView};
use crate::state::AppState;

/// A peer as the admin page shows it, with the actions that apply.
struct PeerRow {
    domain: String,
    name: String,
    state: &'static str,
    listings: i64,
    queued: i64,
    last_success: String,
    last_error: String,
    next_attempt: String,
    dead: bool,
    actions: Vec<(&'static str, &'static str)>,
}

/// The actions that make sense in a peer's state: no "end" for what has ended, a way to ask again.
fn actions_for(view: &PeerView) -> Vec<(&'static str, &'static str)> {
    let mut actions = Vec::new();
    match view.state {
        PeerState::PendingApproval => actions.extend([("accept", "peers.accept"), ("reject", "peers.reject")]),
        PeerState::Blocked => actions.push(("unblock", "peers.unblock")),
        PeerState::Refused | PeerState::None => actions.push(("request", "peers.request_again")),
        PeerState::Requested | PeerState::Peered => {}
    }
    if view.delivery.queued > 0 && view.state != PeerState::Blocked {
        actions.push(("retry", "peers.retry"));
    }
    match view.state {
        PeerState::Peered => actions.push(("unpeer", "peers.unpeer")),
        PeerState::Requested => actions.push(("unpeer", "peers.withdraw")),
        _ => {}
    }
    if view.state != PeerState::Blocked {
        actions.push(("block", "peers.block"));
    }
    actions
}

/// Delivery to a server that is not a peer (a follower on another fediverse server).
struct OtherRow {
    domain: String,
    queued: i64,
    last_success: String,
    last_error: String,
}

#[derive(Template)]
#[template(path = "admin/peers.html")]
struct PeersPage {
    ctx: PageCtx,
    rows: Vec<PeerRow>,
    others: Vec<OtherRow>,
    domain: String,
    error: String,
    policy: &'static str,
}

async fn peers_page(state: &AppState, ctx: PageCtx, domain: String, error: String) -> AppResult<PeersPage> {
    let t = ctx.t;
    let peers = peering::peers(&state.services).await?;
    let when = |ms: Option<i64>| {
        ms.map(|ms| t.t1("peers.at", "date", &date(t, ms)).replace("{time}", &t.zone.time_of_day(ms)))
            .unwrap_or_default()
    };
    let rows = peers
        .iter()
        .map(|view| PeerRow {
            domain: view.peer.domain.clone(),
            name: view.name.clone().unwrap_or_default(),
            state: t.t(&format!("peer_state.{}", view.state.as_str())),
            listings: view.listings,
            queued: view.delivery.queued,
            last_success: when(view.delivery.last_success_at),
            last_error: match (&view.delivery.last_error, view.delivery.last_error_at) {
                (Some(error), Some(at)) => format!("{} — {error}", when(Some(at))),
                (Some(error), None) => error.clone(),
                _ => String::new(),
            },
            next_attempt: when(view.delivery.next_attempt_at),
            dead: view.delivery.dead,
            actions: actions_for(view).into_iter().map(|(a, key)| (a, t.t(key))).collect(),
        })
        .collect();
    let policy = t.t(&format!(
        "peers.policy_{}",
        match state.config().federation.policy {
            crate::config::PeeringPolicy::Open => "open",
            crate::config::PeeringPolicy::Approval => "approval",
            crate::config::PeeringPolicy::Allowlist => "allowlist",
        }
    ));
    let others = peering::other_domains(&state.services)
        .await?
        .into_iter()
        .map(|(domain, d)| OtherRow {
            domain,
            queued: d.queued,
            last_success: when(d.last_success_at),
            last_error: match (d.last_error, d.last_error_at) {
                (Some(error), at) => format!("{} — {error}", when(at)),
                _ => String::new(),
            },
        })
        .collect();
    Ok(PeersPage { ctx, rows, others, domain, error, policy })
}

pub async fn peers(
    State(state): State<AppState>,
    SignedInAdmin(_): SignedInAdmin,
    ctx: PageCtx,
) -> AppResult<Html<String>> {
    render(peers_page(&state, ctx, String::new(), String::new()).await?)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PeerForm {
    domain: String,
}

/// Shows the page again with the error, keeping what was typed.
async fn with_error(state: &AppState, ctx: PageCtx, domain: String, error: AppError) -> AppResult<Response> {
    let message = match error.fields.first() {
        Some(field) => ctx.t.msg(&field.message),
        None => ctx.t.msg(&error.message),
    };
    let status = error.status;
    let page = peers_page(state, ctx, domain, message).await?;
    Ok((status, render(page)?).into_response())
}

pub async fn request(
    State(state): State<AppState>,
    FormAdmin(_admin): FormAdmin,
    ctx: PageCtx,
    CsrfForm(form): CsrfForm<PeerForm>,
) -> AppResult<Response> {
    match peering::request(&state.services, &form.domain).await {
        Ok(_) => Ok(done("/admin/peers", "peering_requested").into_response()),
        // What the admin can act on (a bad domain, an unreachable instance...) shows on the page.
        Err(error) if error.code != "internal_error" => with_error(&state, ctx, form.domain, error).await,
        Err(error) => Err(error),
    }
}

/// Asks before ending or blocking a peering; the other actions need no second thought.
pub async fn confirm(
    State(state): State<AppState>,
    SignedInAdmin(_admin): SignedInAdmin,
    ctx: PageCtx,
    Path((domain, action)): Path<(String, String)>,
) -> AppResult<Response> {
    if action != "unpeer" && action != "block" {
        return Ok(Redirect::to("/admin/peers").into_response());
    }
    // Only a domain we know of: the page names it.
    let peer = peering::peer(&state.services, &domain).await?;
    let (heading, message, button) = match (action.as_str(), peer.state) {
        ("unpeer", PeerState::Requested) => ("confirm.withdraw", "confirm.withdraw_message", "peers.withdraw"),
        ("unpeer", _) => ("confirm.unpeer", "confirm.unpeer_message", "peers.unpeer"),
        _ => ("confirm.block", "confirm.block_message", "peers.block"),
    };
    let domain = peer.peer.domain;
    let named = match peer.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) => format!("{name} ({domain})"),
        None => domain.clone(),
    };
    let t = ctx.t;
    let page = ConfirmPage {
        heading: t.t1(heading, "domain", &named),
        message: t.t1(message, "count", &peer.listings),
        action: format!("/admin/peers/{domain}/{action}"),
        button: t.t(button),
        cancel: "/admin/peers".to_owned(),
        ctx,
    };
    Ok(render(page)?.into_response())
}

pub async fn act(
    State(state): State<AppState>,
    FormAdmin(_admin): FormAdmin,
    ctx: PageCtx,
    Path((domain, action)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> AppResult<Response> {
    let services = &state.services;
    let (result, notice) = match action.as_str() {
        "accept" => (peering::accept(services, &domain).await.map(|_| ()), "peering_accepted"),
        "reject" => (peering::reject(services, &domain).await.map(|_| ()), "peering_refused"),
        "block" => (peering::block(services, &domain).await.map(|_| ()), "peer_blocked"),
        "unblock" => (peering::unblock(services, &domain).await.map(|_| ()), "peer_unblocked"),
        "retry" => (peering::retry(services, &domain).await.map(|_| ()), "peer_retry"),
        "unpeer" => (peering::unpeer(services, &domain).await, "peering_ended"),
        _ => return Err(AppError::not_found()),
    };
    match result {
        Ok(()) => Ok(done("/admin/peers", notice).into_response()),
        Err(error) if error.code != "internal_error" && error.code != "not_found" => {
            with_error(&state, ctx, String::new(), error).await
        }
        Err(error) => Err(error),
    }
}

// ---- members' follows -------------------------------------------------------------------------

struct FollowRow {
    account: String,
    name: String,
    /// The account's profile page on its server, when it is a web page.
    page: Option<WebLink>,
    state: &'static str,
}

#[derive(Template)]
#[template(path = "follows.html")]
struct FollowsPage {
    ctx: PageCtx,
    rows: Vec<FollowRow>,
    account: String,
    error: String,
}

async fn follows_page(state: &AppState, ctx: PageCtx, account: String, error: String) -> AppResult<FollowsPage> {
    let t = ctx.t;
    let Some(member) = ctx.viewer.clone() else { return Err(AppError::unauthorized()) };
    let rows = follows::of_member(&state.services, &member)
        .await?
        .into_iter()
        .map(|f| FollowRow {
            account: f.actor.as_ref().map_or_else(|| f.follow.target.clone(), |a| a.handle()),
            name: f.actor.as_ref().map(|a| a.name.clone()).unwrap_or_default(),
            page: f.actor.as_ref().and_then(|a| a.page.clone()).and_then(WebLink::from_url),
            state: t.t(&format!("follow_state.{}", f.follow.state)),
        })
        .collect();
    Ok(FollowsPage { ctx, rows, account, error })
}

pub async fn follows(State(state): State<AppState>, SignedIn(_): SignedIn, ctx: PageCtx) -> AppResult<Html<String>> {
    render(follows_page(&state, ctx, String::new(), String::new()).await?)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FollowForm {
    account: String,
}

pub async fn follow(
    State(state): State<AppState>,
    FormAuthor(member): FormAuthor,
    ctx: PageCtx,
    CsrfForm(form): CsrfForm<FollowForm>,
) -> AppResult<Response> {
    match follows::follow(&state.services, &member, &form.account).await {
        Ok(view) if view.follow.state == FollowState::Accepted => {
            Ok(done("/follows", "already_following").into_response())
        }
        Ok(_) => Ok(done("/follows", "followed").into_response()),
        Err(error) if error.code != "internal_error" => {
            let message = match error.fields.first() {
                Some(field) => ctx.t.msg(&field.message),
                None => ctx.t.msg(&error.message),
            };
            let status = error.status;
            let page = follows_page(&state, ctx, form.account, message).await?;
            Ok((status, render(page)?).into_response())
        }
        Err(error) => Err(error),
    }
}

pub async fn unfollow(
    State(state): State<AppState>,
    FormAuthor(member): FormAuthor,
    CsrfForm(form): CsrfForm<FollowForm>,
) -> AppResult<Redirect> {
    follows::unfollow(&state.services, &member, &form.account).await?;
    Ok(done("/follows", "unfollowed"))
}
