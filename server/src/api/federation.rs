//! Federation in the API: peering with other instances (admins) and following remote accounts
//! (members).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::json::ApiJson;
use super::views::rfc3339;
use crate::error::{AppError, AppResult};
use crate::http::auth::{ApiAdmin, ApiMember};
use crate::services::follows::{self, FollowView};
use crate::services::peering::{self, PeerView};
use crate::state::AppState;

#[derive(Debug, Serialize)]
pub struct DeliveryJson {
    /// Activities waiting to be delivered to this instance.
    pub queued: i64,
    /// Consecutive failed attempts.
    pub failures: i64,
    pub last_success_at: Option<String>,
    pub last_error: Option<String>,
    pub last_error_at: Option<String>,
    pub next_attempt_at: Option<String>,
    /// Failing for days: tried once a day until it answers.
    pub dead: bool,
}

#[derive(Debug, Serialize)]
pub struct PeerJson {
    pub domain: String,
    /// The other cooperative's name, once known.
    pub name: Option<String>,
    /// `requested`, `pending_approval`, `peered`, `refused`, `blocked` or `none`.
    pub state: &'static str,
    /// How many of its listings our catalogue holds.
    pub listings: i64,
    pub delivery: DeliveryJson,
    pub created_at: String,
    pub updated_at: String,
}

impl PeerJson {
    pub fn new(view: &PeerView) -> Self {
        let d = &view.delivery;
        Self {
            domain: view.peer.domain.clone(),
            name: view.name.clone(),
            state: view.state.as_str(),
            listings: view.listings,
            delivery: DeliveryJson {
                queued: d.queued,
                failures: d.failures,
                last_success_at: d.last_success_at.map(rfc3339),
                last_error: d.last_error.clone(),
                last_error_at: d.last_error_at.map(rfc3339),
                next_attempt_at: d.next_attempt_at.map(rfc3339),
                dead: d.dead,
            },
            created_at: rfc3339(view.peer.created_at),
            updated_at: rfc3339(view.peer.updated_at),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct PeerList {
    pub items: Vec<PeerJson>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerRequest {
    domain: String,
}

pub async fn peers(State(state): State<AppState>, ApiAdmin(_admin): ApiAdmin) -> AppResult<Json<PeerList>> {
    let peers = peering::peers(&state.services).await?;
    Ok(Json(PeerList { items: peers.iter().map(PeerJson::new).collect() }))
}

/// Asks another instance to peer. 202: the answer comes later (the state turns `peered`).
pub async fn request(
    State(state): State<AppState>,
    ApiAdmin(admin): ApiAdmin,
    ApiJson(body): ApiJson<PeerRequest>,
) -> AppResult<Response> {
    let view = peering::request(&state.services, &body.domain).await?;
    tracing::info!(admin = %admin.username, domain = %view.peer.domain, "peering requested");
    Ok((StatusCode::ACCEPTED, Json(PeerJson::new(&view))).into_response())
}

pub async fn peer(
    State(state): State<AppState>,
    ApiAdmin(_admin): ApiAdmin,
    Path(domain): Path<String>,
) -> AppResult<Json<PeerJson>> {
    Ok(Json(PeerJson::new(&peering::peer(&state.services, &domain).await?)))
}

/// `accept` or `reject` a pending request, `block` or `unblock` a domain, `retry` deliveries now.
pub async fn act(
    State(state): State<AppState>,
    ApiAdmin(admin): ApiAdmin,
    Path((domain, action)): Path<(String, String)>,
) -> AppResult<Json<PeerJson>> {
    let services = &state.services;
    let view = match action.as_str() {
        "accept" => peering::accept(services, &domain).await?,
        "reject" => peering::reject(services, &domain).await?,
        "block" => peering::block(services, &domain).await?,
        "unblock" => peering::unblock(services, &domain).await?,
        "retry" => peering::retry(services, &domain).await?,
        _ => return Err(AppError::not_found()),
    };
    tracing::info!(admin = %admin.username, domain = %view.peer.domain, action, "peer action");
    Ok(Json(PeerJson::new(&view)))
}

/// Ends a peering; that instance's listings leave the catalogue.
pub async fn unpeer(
    State(state): State<AppState>,
    ApiAdmin(admin): ApiAdmin,
    Path(domain): Path<String>,
) -> AppResult<StatusCode> {
    peering::unpeer(&state.services, &domain).await?;
    tracing::info!(admin = %admin.username, %domain, "unpeered");
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize)]
pub struct FollowJson {
    /// `user@host`, or the actor's id when we could not learn more.
    pub account: String,
    /// The remote actor's id.
    pub actor: String,
    pub display_name: Option<String>,
    /// `requested`, `accepted` or `rejected`.
    pub state: &'static str,
}

impl FollowJson {
    fn new(view: &FollowView) -> Self {
        Self {
            account: view.actor.as_ref().map_or_else(|| view.follow.target.clone(), |a| a.handle()),
            actor: view.follow.target.clone(),
            display_name: view.actor.as_ref().map(|a| a.name.clone()),
            state: view.follow.state.as_str(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct FollowList {
    pub items: Vec<FollowJson>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowRequest {
    account: String,
}

/// Follows a remote account: its new listings reach this instance. 202: it answers later.
pub async fn follow(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    ApiJson(body): ApiJson<FollowRequest>,
) -> AppResult<Response> {
    let view = follows::follow(&state.services, &member, &body.account).await?;
    Ok((StatusCode::ACCEPTED, Json(FollowJson::new(&view))).into_response())
}

pub async fn follows(State(state): State<AppState>, ApiMember(member): ApiMember) -> AppResult<Json<FollowList>> {
    let follows = follows::of_member(&state.services, &member).await?;
    Ok(Json(FollowList { items: follows.iter().map(FollowJson::new).collect() }))
}

pub async fn unfollow(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path(account): Path<String>,
) -> AppResult<StatusCode> {
    follows::unfollow(&state.services, &member, &account).await?;
    Ok(StatusCode::NO_CONTENT)
}
