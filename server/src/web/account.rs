//! Registering, logging in and out.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::header::{RETRY_AFTER, SET_COOKIE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::PageCtx;
use super::forms::NoFields;
use super::forms::{Choice, Field, FieldMessages, enum_choices, safe_next};
use super::render;
use crate::config::RegistrationMode;
use crate::domain::FieldError;
use crate::domain::member::{MemberKind, MemberStatus, NewPassword, Username};
use crate::error::{AppError, AppResult};
use crate::http::cookies::{SESSION_COOKIE, clear_session_cookie, cookie_value, session_cookie};
use crate::http::csrf::CsrfForm;
use crate::http::limits::ClientIp;
use crate::services::accounts::{self, Registration};
use crate::state::AppState;
use crate::storage::sessions::SessionKind;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RegisterForm {
    username: String,
    display_name: String,
    kind: String,
    password: String,
    password_confirm: String,
}

/// The fields of the registration form, in the order it shows them.
const FIELDS: &[Field] = &[
    Field { name: "username", input: "username", label: "register.username" },
    Field { name: "display_name", input: "display_name", label: "register.display_name" },
    Field { name: "kind", input: "kind-person", label: "register.kind" },
    Field { name: "password", input: "password", label: "register.password" },
    Field { name: "password_confirm", input: "password_confirm", label: "register.password_confirm" },
];

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    ctx: PageCtx,
    form: RegisterForm,
    kinds: Vec<Choice>,
    errors: FieldMessages,
    /// Why the form was refused as a whole (too many registrations from this address), or empty.
    refusal: String,
    approval: bool,
    password_min: usize,
}

#[derive(Template)]
#[template(path = "register_pending.html")]
struct PendingPage {
    ctx: PageCtx,
}

fn register_page(ctx: PageCtx, state: &AppState, form: RegisterForm, errors: FieldMessages) -> RegisterPage {
    let kind = if form.kind.is_empty() { "person" } else { form.kind.as_str() };
    RegisterPage {
        kinds: enum_choices(ctx.t, "kind", MemberKind::ALL.iter().map(|k| k.as_str()), kind),
        approval: state.config().instance.registration == RegistrationMode::Approval,
        password_min: NewPassword::MIN,
        ctx,
        form: RegisterForm { password: String::new(), password_confirm: String::new(), ..form },
        errors,
        refusal: String::new(),
    }
}

pub async fn register_form(State(state): State<AppState>, ctx: PageCtx) -> AppResult<Html<String>> {
    render(register_page(ctx, &state, RegisterForm::default(), FieldMessages::default()))
}

pub async fn register(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    ctx: PageCtx,
    CsrfForm(form): CsrfForm<RegisterForm>,
) -> AppResult<Response> {
    let t = ctx.t;
    let registration = Registration {
        username: form.username.clone(),
        password: form.password.clone(),
        display_name: form.display_name.clone(),
        kind: form.kind.clone(),
        description: String::new(),
    };
    let mode = state.config().instance.registration;
    let outcome = if form.password == form.password_confirm {
        accounts::register_from(state.db(), &state.limits, client, &registration, mode).await
    } else {
        // Nothing is registered; the username and password are still checked, so that the form
        // reports every problem at once.
        let errors = [Username::parse(&form.username).err(), NewPassword::parse(&form.password).err()]
            .into_iter()
            .flatten()
            .chain([FieldError::new("password_confirm", "error.password_mismatch")])
            .collect();
        Err(AppError::validation(errors))
    };
    match outcome {
        Ok(member) if member.status == MemberStatus::Active => {
            let token = accounts::open_session(state.db(), &member, SessionKind::Web).await?;
            let cookie = HeaderValue::from_str(&session_cookie(&token, state.config().secure_cookies()))
                .map_err(AppError::internal)?;
            let mut response = Redirect::to("/").into_response();
            response.headers_mut().append(SET_COOKIE, cookie);
            Ok(response)
        }
        Ok(_) => Ok(render(PendingPage { ctx })?.into_response()),
        Err(error) if !error.fields.is_empty() => {
            // A taken username comes back from the service as a 409; the form is shown again with
            // 422 like every other field error.
            let errors = FieldMessages::new(t, &error.fields, FIELDS);
            let page = register_page(ctx, &state, form, errors);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)?).into_response())
        }
        Err(error) if error.status == StatusCode::TOO_MANY_REQUESTS => {
            // The form comes back as it was, with what to wait for.
            let refusal = t.msg(&error.message);
            let page = RegisterPage { refusal, ..register_page(ctx, &state, form, FieldMessages::default()) };
            Ok(with_retry_after(&error, (error.status, render(page)?).into_response()))
        }
        Err(error) => Err(error),
    }
}

/// `response` with the `Retry-After` header `error` asks for, if any.
fn with_retry_after(error: &AppError, mut response: Response) -> Response {
    if let Some(value) = error.retry_after_header() {
        response.headers_mut().insert(RETRY_AFTER, value);
    }
    response
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    username: String,
    password: String,
    next: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NextParam {
    next: String,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    ctx: PageCtx,
    username: String,
    next: String,
    error: String,
}

pub async fn login_form(ctx: PageCtx, Query(params): Query<NextParam>) -> AppResult<Html<String>> {
    let next = safe_next(&params.next).unwrap_or_default().to_owned();
    render(LoginPage { ctx, username: String::new(), next, error: String::new() })
}

pub async fn login(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    ctx: PageCtx,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> AppResult<Response> {
    match accounts::log_in(state.db(), &state.limits, client, &form.username, &form.password).await {
        Ok(member) => {
            let token = accounts::open_session(state.db(), &member, SessionKind::Web).await?;
            let cookie = HeaderValue::from_str(&session_cookie(&token, state.config().secure_cookies()))
                .map_err(AppError::internal)?;
            let mut response = Redirect::to(safe_next(&form.next).unwrap_or("/")).into_response();
            response.headers_mut().append(SET_COOKIE, cookie);
            Ok(response)
        }
        Err(error) if error.status.is_client_error() => {
            let message = ctx.t.msg(&error.message);
            let next = safe_next(&form.next).unwrap_or_default().to_owned();
            let page = LoginPage { ctx, username: form.username, next, error: message };
            Ok(with_retry_after(&error, (error.status, render(page)?).into_response()))
        }
        Err(error) => Err(error),
    }
}

pub async fn logout(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    CsrfForm(_): CsrfForm<NoFields>,
) -> AppResult<Response> {
    if let Some(token) = cookie_value(&headers, SESSION_COOKIE) {
        accounts::close_session(state.db(), &token).await?;
    }
    let mut response = Redirect::to("/").into_response();
    let cookie = HeaderValue::from_str(&clear_session_cookie()).map_err(AppError::internal)?;
    response.headers_mut().append(SET_COOKIE, cookie);
    Ok(response)
}
