//! Administration of members: the approval queue, disabling, roles. Admins only.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::json::ApiQuery;
use super::views::{Links, MemberJson, MemberList};
use crate::domain::member::{MemberStatus, Role, Username};
use crate::error::{AppError, AppResult};
use crate::http::auth::ApiAdmin;
use crate::services::accounts;
use crate::state::AppState;

/// The most members one listing returns.
pub const MEMBERS_LIMIT: i64 = 1000;

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MembersQuery {
    status: Option<String>,
    /// Read by the language middleware; accepted here so that it is not refused as unknown.
    lang: Option<String>,
}

/// Members, oldest first; only those with `status` when given.
pub async fn members(
    State(state): State<AppState>,
    ApiAdmin(_admin): ApiAdmin,
    ApiQuery(query): ApiQuery<MembersQuery>,
) -> AppResult<Json<MemberList>> {
    let status = match query.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(status) => Some(MemberStatus::parse(status).map_err(AppError::field)?),
        None => None,
    };
    let members = accounts::with_status(state.db(), status, MEMBERS_LIMIT).await?;
    let links = Links::new(state.config());
    Ok(Json(MemberList { items: members.iter().map(|m| MemberJson::new(&links, m)).collect() }))
}

/// `approve`, `disable`, `enable`, `promote` (to admin) or `demote` (to member) a member. An admin
/// may not disable or demote themself: that would leave the instance without the admin who asked,
/// and possibly without any admin at all.
pub async fn act(
    State(state): State<AppState>,
    ApiAdmin(admin): ApiAdmin,
    Path((username, action)): Path<(String, String)>,
) -> AppResult<Json<MemberJson>> {
    let db = state.db();
    let is_self = Username::parse(&username).is_ok_and(|u| u == admin.username);
    if is_self && matches!(action.as_str(), "disable" | "demote") {
        return Err(AppError::new(StatusCode::CONFLICT, "cannot_change_self", "error.forbidden"));
    }
    let member = match action.as_str() {
        "approve" => accounts::approve(db, &username).await?,
        "disable" => accounts::disable(db, &username).await?,
        "enable" => accounts::enable(db, &username).await?,
        "promote" => accounts::set_role(db, &username, Role::Admin).await?,
        "demote" => accounts::set_role(db, &username, Role::Member).await?,
        _ => return Err(AppError::not_found()),
    };
    tracing::info!(admin = %admin.username, member.username = %member.username, action, "admin action");
    Ok(Json(MemberJson::new(&Links::new(state.config()), &member)))
}
