//! `POST /accounts` (registration) and `GET /me`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::json::ApiJson;
use super::views::{Links, MemberJson};
use crate::error::AppResult;
use crate::http::auth::ApiMember;
use crate::http::limits::ClientIp;
use crate::services::accounts::{self, Registration};
use crate::state::AppState;

/// Missing strings count as empty, so that the service reports every missing field at once.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RegistrationBody {
    username: Option<String>,
    password: Option<String>,
    display_name: Option<String>,
    kind: Option<String>,
    description: Option<String>,
}

/// Creates an account: active at once on an open instance, `pending` on one that asks for approval.
pub async fn create(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    ApiJson(body): ApiJson<RegistrationBody>,
) -> AppResult<Response> {
    let registration = Registration {
        username: body.username.unwrap_or_default(),
        password: body.password.unwrap_or_default(),
        display_name: body.display_name.unwrap_or_default(),
        kind: body.kind.unwrap_or_default(),
        description: body.description.unwrap_or_default(),
    };
    let mode = state.config().instance.registration;
    let member = accounts::register_from(state.db(), &state.limits, client, &registration, mode).await?;
    let json = MemberJson::new(&Links::new(state.config()), &member);
    Ok((StatusCode::CREATED, axum::Json(json)).into_response())
}

/// The member the bearer token belongs to.
pub async fn me(State(state): State<AppState>, ApiMember(member): ApiMember) -> axum::Json<MemberJson> {
    axum::Json(MemberJson::new(&Links::new(state.config()), &member))
}
