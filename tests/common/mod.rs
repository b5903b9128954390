//! The end-to-end test rig: real instances on loopback, each with its own data directory and its own
//! database (a SQLite file, or a fresh PostgreSQL database when `MAILLAGE_TEST_DATABASE_URL` is set),
//! and HTTP clients that behave like an API client and like a browser.
//!
//! In the spirit of crates.io's `TestApp` and GoToSocial's `testrig`: every test starts its own
//! instance, so tests are independent and run in parallel.

#![allow(dead_code, reason = "each test file uses a different part of the rig")]
#![allow(clippy::expect_used, clippy::unwrap_used, reason = "a test rig fails loudly")]

pub mod collectives;
pub mod fed;
pub mod lives;
pub mod process;
pub mod python_peer;
pub mod smtp;

use std::path::{Path, PathBuf};

use maillage_server::app::{RunningServer, start_on};
use maillage_server::config::Config;
use maillage_server::domain::member::{Member, Role};
use maillage_server::services::accounts::{self, Origin, Registration};
use maillage_server::storage::Db;
use maillage_server::storage::sessions::SessionKind;
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// The password every fixture member has.
pub const PASSWORD: &str = "correct horse battery";

/// The environment variable that points the tests at a PostgreSQL server.
pub const TEST_DATABASE_VAR: &str = "MAILLAGE_TEST_DATABASE_URL";

/// A fresh PostgreSQL database on the server named by `MAILLAGE_TEST_DATABASE_URL`, dropped when the
/// test is done.
#[derive(Debug)]
pub struct PgDatabase {
    /// The URL given in the environment (used to create and drop the test database).
    admin_url: String,
    pub name: String,
    /// The URL of the fresh database.
    pub url: String,
    dropped: bool,
}

impl PgDatabase {
    /// Creates `maillage_test_<random hex>` when the environment asks for PostgreSQL.
    pub async fn from_env() -> Option<Self> {
        let admin_url = std::env::var(TEST_DATABASE_VAR).ok().filter(|u| !u.trim().is_empty())?;
        let name = format!("maillage_test_{}", maillage_server::domain::ids::new_id());
        let admin = Db::connect(&admin_url).await.expect("connecting to MAILLAGE_TEST_DATABASE_URL");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&admin.pool)
            .await
            .expect("creating the test database");
        admin.close().await;
        let mut url = url::Url::parse(&admin_url).expect("MAILLAGE_TEST_DATABASE_URL is a URL");
        url.set_path(&format!("/{name}"));
        Some(Self { admin_url, name, url: url.to_string(), dropped: false })
    }

    pub async fn drop_database(&mut self) {
        if self.dropped {
            return;
        }
        self.dropped = true;
        drop_database(&self.admin_url, &self.name).await;
    }
}

async fn drop_database(admin_url: &str, name: &str) {
    match Db::connect(admin_url).await {
        Ok(admin) => {
            let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&admin.pool).await {
                eprintln!("test rig: could not drop {name}: {e}");
            }
            admin.close().await;
        }
        Err(e) => eprintln!("test rig: could not connect to drop {name}: {e:#}"),
    }
}

impl Drop for PgDatabase {
    /// A test that panicked never called `stop()`: drop its database all the same, from a thread of
    /// its own (the test's runtime may be the one being torn down).
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        self.dropped = true;
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let cleanup = std::thread::spawn(move || {
            if let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                runtime.block_on(drop_database(&admin_url, &name));
            }
        });
        let _ = cleanup.join();
    }
}

/// A fresh, unique temporary directory, removed on drop.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(prefix: &str) -> Self {
        let path = std::env::temp_dir().join(format!("{prefix}-{}", maillage_server::domain::ids::new_id()));
        std::fs::create_dir_all(&path).expect("creating a temporary directory");
        Self(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

type Configure = Box<dyn Fn(&mut Config) + Send + Sync>;

/// One running instance with its own data directory and database.
pub struct TestInstance {
    pub server: RunningServer,
    pub config: Config,
    configure: Configure,
    // Fields drop in order: the server's pool closes before the database and directory go.
    pg: Option<PgDatabase>,
    data_dir: TempDir,
}

impl TestInstance {
    /// An instance with the default configuration.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// An instance whose configuration `configure` adjusts (it runs again on `restart()`).
    pub async fn start_with(configure: impl Fn(&mut Config) + Send + Sync + 'static) -> Self {
        let data_dir = TempDir::new("maillage-test");
        let pg = PgDatabase::from_env().await;
        let configure: Configure = Box::new(configure);
        let (server, config) = launch(data_dir.path(), pg.as_ref(), &configure, 0).await;
        Self { server, config, configure, pg, data_dir }
    }

    /// Stops the server and starts a new one on the same data directory and database (a new port).
    pub async fn restart(self) -> Self {
        let Self { server, config: _, configure, pg, data_dir } = self;
        server.stop().await.expect("stopping the instance");
        let (server, config) = launch(data_dir.path(), pg.as_ref(), &configure, 0).await;
        Self { server, config, configure, pg, data_dir }
    }

    /// Stops the server; `resume` starts it again on the same port, data and database (for
    /// federation, where the port is part of the instance's name).
    pub async fn pause(self) -> Paused {
        let Self { server, config, configure, pg, data_dir } = self;
        let port = server.addr.port();
        server.stop().await.expect("stopping the instance");
        Paused { port, config, configure, pg, data_dir }
    }

    /// Stops the server, drops the test database and removes the data directory.
    pub async fn stop(self) {
        let Self { server, mut pg, data_dir, .. } = self;
        server.stop().await.expect("stopping the instance");
        if let Some(pg) = pg.as_mut() {
            pg.drop_database().await;
        }
        drop(data_dir);
    }

    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    pub fn db(&self) -> &Db {
        self.server.state.db()
    }

    /// How many listings are stored, whatever their status or visibility (to check that a rejected
    /// request stored nothing).
    pub async fn count_listings(&self) -> i64 {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM listings")
            .fetch_one(&self.db().pool)
            .await
            .expect("counting listings")
    }

    /// Whether this instance runs on PostgreSQL.
    pub fn on_postgres(&self) -> bool {
        self.pg.is_some()
    }

    /// The absolute URL of `path` (which starts with `/`) on this instance.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.server.addr)
    }

    /// The public base URL the instance puts in the links it gives (`http://localhost:PORT/`).
    pub fn public_url(&self) -> String {
        self.config.public_url().to_string()
    }

    /// The ActivityPub document this instance serves at `path` (which starts with `/`), as another
    /// server asks for it; it must be there.
    pub async fn activity_json(&self, path: &str) -> Value {
        let response =
            plain_client().get(self.url(path)).header("accept", "application/activity+json").send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.json().await.unwrap()
    }

    /// A JSON API client without a token.
    pub fn api(&self) -> Api {
        Api { client: plain_client(), base: self.url(""), token: None, lang: None }
    }

    /// A browser: cookie store, redirects not followed.
    pub fn browser(&self) -> Browser {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("building the browser client");
        Browser { client, base: self.url(""), csrf: None }
    }

    /// An active member created as an admin would (password [`PASSWORD`]).
    pub async fn create_member(&self, username: &str, role: Role) -> Member {
        let registration = Registration {
            username: username.to_owned(),
            password: PASSWORD.to_owned(),
            display_name: format!("{username} (test)"),
            kind: "person".to_owned(),
            description: String::new(),
        };
        accounts::register(self.db(), &registration, Origin::ByAdmin { role })
            .await
            .unwrap_or_else(|e| panic!("creating member {username}: {e:?}"))
    }

    /// An API token for an existing member, opened directly in storage.
    pub async fn api_token(&self, username: &str) -> String {
        let member = accounts::find(self.db(), username).await.expect("looking up the member").expect("member exists");
        accounts::open_session(self.db(), &member, SessionKind::Api).await.expect("opening an API session")
    }

    /// A member and an API token for them.
    pub async fn member_with_token(&self, username: &str, role: Role) -> String {
        self.create_member(username, role).await;
        self.api_token(username).await
    }

    /// Creates a listing through the API (asserting 201) and returns its JSON.
    pub async fn listing(&self, token: &str, body: Value) -> Value {
        let reply = self.api().token(token).post("/api/v1/listings", &body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "creating listing {body}: {reply:?}");
        reply.json()
    }
}

/// A stopped instance that keeps its port, data and database.
pub struct Paused {
    pub port: u16,
    pub config: Config,
    configure: Configure,
    pg: Option<PgDatabase>,
    data_dir: TempDir,
}

impl Paused {
    pub async fn resume(self) -> TestInstance {
        let Self { port, config: _, configure, pg, data_dir } = self;
        let (server, config) = launch(data_dir.path(), pg.as_ref(), &configure, port).await;
        TestInstance { server, config, configure, pg, data_dir }
    }
}

/// Sends the servers' logs to the test harness, which shows a test's output only when it fails: a
/// failing test then tells what the server did (warnings and errors; `MAILLAGE_TEST_LOG` takes a
/// `RUST_LOG`-style filter for more).
fn capture_server_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let filter = tracing_subscriber::EnvFilter::try_from_env("MAILLAGE_TEST_LOG")
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
        // Another subscriber set by the test binary itself wins; that is fine.
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
    });
}

async fn launch(data_dir: &Path, pg: Option<&PgDatabase>, configure: &Configure, port: u16) -> (RunningServer, Config) {
    capture_server_logs();
    let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("binding a port");
    let addr = listener.local_addr().expect("listener address");
    let mut config = Config {
        bind: addr,
        domain: format!("localhost:{}", addr.port()),
        data_dir: data_dir.to_path_buf(),
        database_url: pg.map(|pg| pg.url.clone()).unwrap_or_default(),
        log: "warn".to_owned(),
        ..Config::default()
    };
    configure(&mut config);
    let server = start_on(config.clone(), listener).await.expect("starting the instance");
    (server, config)
}

fn plain_client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("building the HTTP client")
}

/// A valid listing body for the API, with `title`; `overrides` replace or add top-level fields.
pub fn listing_body(title: &str, overrides: Value) -> Value {
    let mut body = json!({
        "purpose": "offer",
        "mode": "lend",
        "category": "objects-tools",
        "title": title,
        "description": "",
        "quantity": 1,
        "unit": "piece",
        "price_cents": null,
        "location": {"name": "Lille", "latitude": 50.63, "longitude": 3.06},
        "available_from": "2026-12-01",
        "available_until": null,
    });
    if let (Some(body), Some(overrides)) = (body.as_object_mut(), overrides.as_object()) {
        for (key, value) in overrides {
            body.insert(key.clone(), value.clone());
        }
    }
    body
}

/// What came back from a request: status, headers and body, printed whole when an assertion fails.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text: String = self.text.chars().take(3000).collect();
        write!(f, "{} {:?}\n{}", self.status, self.headers, text)
    }
}

impl Reply {
    pub async fn read(response: reqwest::Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("reading the response body");
        Self { status, headers, text }
    }

    /// The body as JSON; panics with the body when it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("response is not JSON ({e}): {self:?}"))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or_default()
    }

    /// The `error` code of a JSON error body.
    pub fn error_code(&self) -> String {
        self.json()["error"].as_str().unwrap_or_else(|| panic!("no error code: {self:?}")).to_owned()
    }

    /// The keys of the `fields` object of a JSON error body.
    pub fn error_fields(&self) -> Vec<String> {
        self.json()["fields"].as_object().map(|f| f.keys().cloned().collect()).unwrap_or_default()
    }

    /// Asserts a JSON error: status, `error` code, and a non-empty `message`.
    #[track_caller]
    pub fn assert_error(&self, status: StatusCode, code: &str) {
        assert_eq!(self.status, status, "status: {self:?}");
        assert!(self.content_type().starts_with("application/json"), "error body is not JSON: {self:?}");
        let body = self.json();
        assert_eq!(body["error"], code, "error code: {self:?}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "no message: {self:?}");
    }

    /// Asserts a 422 validation error with `field` among its fields (a key equal to `field` or
    /// ending with `.field`, as nested fields such as `location.latitude` are named).
    #[track_caller]
    pub fn assert_field_error(&self, field: &str) {
        assert_eq!(self.status, StatusCode::UNPROCESSABLE_ENTITY, "status: {self:?}");
        let fields = self.error_fields();
        assert!(
            fields.iter().any(|f| f == field || f.ends_with(&format!(".{field}"))),
            "field {field} not in {fields:?}: {self:?}"
        );
    }

    /// The `Location` header of a redirect.
    pub fn location(&self) -> String {
        self.header("location").unwrap_or_else(|| panic!("no Location header: {self:?}")).to_owned()
    }
}

/// A JSON API client, optionally with a bearer token and a language.
#[derive(Clone)]
pub struct Api {
    client: reqwest::Client,
    base: String,
    token: Option<String>,
    lang: Option<String>,
}

impl Api {
    pub fn token(mut self, token: &str) -> Self {
        self.token = Some(token.to_owned());
        self
    }

    /// Sends `Accept-Language: lang`.
    pub fn lang(mut self, lang: &str) -> Self {
        self.lang = Some(lang.to_owned());
        self
    }

    /// `path` may be absolute (`/api/v1/...`) or a full URL (as `next` links are).
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let url = if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        };
        let mut builder = self.client.request(method, url);
        if let Some(token) = &self.token {
            builder = builder.bearer_auth(token);
        }
        if let Some(lang) = &self.lang {
            builder = builder.header("accept-language", lang);
        }
        builder
    }

    pub async fn send(&self, builder: reqwest::RequestBuilder) -> Reply {
        Reply::read(builder.send().await.expect("sending the request")).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.request(Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send(self.request(Method::POST, path).json(body)).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Reply {
        self.send(self.request(Method::PATCH, path).json(body)).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Reply {
        self.send(self.request(Method::PUT, path).json(body)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send(self.request(Method::DELETE, path)).await
    }

    /// Sends `body` as is, with the given content type (or none).
    pub async fn raw(&self, method: Method, path: &str, content_type: Option<&str>, body: Vec<u8>) -> Reply {
        let mut builder = self.request(method, path).body(body);
        if let Some(content_type) = content_type {
            builder = builder.header("content-type", content_type);
        }
        self.send(builder).await
    }

    /// Searches the catalogue: `GET /api/v1/listings?<query>` where `query` pairs are encoded here.
    pub async fn search(&self, query: &[(&str, &str)]) -> Reply {
        self.get(&format!("/api/v1/listings?{}", encode(query))).await
    }

    /// The titles a search finds (asserting 200).
    pub async fn titles(&self, query: &[(&str, &str)]) -> Vec<String> {
        let reply = self.search(query).await;
        assert_eq!(reply.status, StatusCode::OK, "search {query:?}: {reply:?}");
        titles(&reply.json())
    }
}

/// The titles of a `{items: [...]}` page.
pub fn titles(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {page}"))
        .iter()
        .map(|item| item["title"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// `application/x-www-form-urlencoded` encoding of pairs.
pub fn encode(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

/// A browser: keeps cookies, reads the CSRF token from the forms it is shown, does not follow
/// redirects by itself (so that tests see the 303s).
#[derive(Clone)]
pub struct Browser {
    pub client: reqwest::Client,
    base: String,
    /// The `csrf` hidden field of the last page that had one.
    csrf: Option<String>,
}

impl Browser {
    /// The instance's address (`http://127.0.0.1:PORT`).
    pub fn base(&self) -> &str {
        &self.base
    }

    fn absolute(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    /// GETs a page and remembers its CSRF token, if it shows a form.
    pub async fn get(&mut self, path: &str) -> Reply {
        self.get_with(path, HeaderMap::new()).await
    }

    pub async fn get_with(&mut self, path: &str, headers: HeaderMap) -> Reply {
        let response = self.client.get(self.absolute(path)).headers(headers).send().await.expect("GET");
        let reply = Reply::read(response).await;
        if let Some(token) = csrf_field(&reply.text) {
            self.csrf = Some(token);
        }
        reply
    }

    /// GETs a page with an `Accept-Language` header.
    pub async fn get_in(&mut self, path: &str, accept_language: &str) -> Reply {
        let mut headers = HeaderMap::new();
        headers.insert("accept-language", HeaderValue::from_str(accept_language).expect("header value"));
        self.get_with(path, headers).await
    }

    /// POSTs a form with the CSRF token of the last page seen (which must have had a form).
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let csrf = self.csrf.clone().expect("no page with a csrf field was seen before this POST");
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf", &csrf));
        self.post_raw(path, &all).await
    }

    /// POSTs exactly these fields (no CSRF token added).
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let response = self
            .client
            .post(self.absolute(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode(fields))
            .send()
            .await
            .expect("POST");
        let reply = Reply::read(response).await;
        if let Some(token) = csrf_field(&reply.text) {
            self.csrf = Some(token);
        }
        reply
    }

    /// Shows the form at `form_path` (asserting 200), then submits `fields` to `action` with its token.
    pub async fn submit(&mut self, form_path: &str, action: &str, fields: &[(&str, &str)]) -> Reply {
        let form = self.get(form_path).await;
        assert_eq!(form.status, StatusCode::OK, "form page {form_path}: {form:?}");
        assert!(csrf_field(&form.text).is_some(), "no csrf field in {form_path}: {form:?}");
        self.post(action, fields).await
    }

    /// Follows a redirect (asserting 303 or 302/307 with a Location) and returns the page it leads to.
    pub async fn follow(&mut self, reply: &Reply) -> Reply {
        assert!(reply.status.is_redirection(), "expected a redirect: {reply:?}");
        let location = reply.location();
        self.get(&location).await
    }

    /// Registers through the web form and checks the answer is a redirect.
    pub async fn register(&mut self, username: &str, password: &str) -> Reply {
        self.submit(
            "/register",
            "/register",
            &[
                ("username", username),
                ("display_name", &format!("{username} display")),
                ("kind", "person"),
                ("password", password),
                ("password_confirm", password),
            ],
        )
        .await
    }

    /// Logs in through the web form.
    pub async fn login(&mut self, username: &str, password: &str) -> Reply {
        self.submit("/login", "/login", &[("username", username), ("password", password), ("next", "/")]).await
    }

    /// Logs in, asserts the 303 and, as a browser does, loads the page it leads to, whose forms
    /// carry the token bound to the new session.
    pub async fn login_ok(&mut self, username: &str) {
        let reply = self.login(username, PASSWORD).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "login of {username}: {reply:?}");
        let page = self.follow(&reply).await;
        assert_eq!(page.status, StatusCode::OK, "the page after the login of {username}: {page:?}");
    }
}

/// The value of the hidden `csrf` input of an HTML page, if any.
pub fn csrf_field(html: &str) -> Option<String> {
    let mut rest = html;
    while let Some(start) = rest.find("<input") {
        let tail = &rest[start..];
        let end = tail.find('>').unwrap_or(tail.len());
        let tag = &tail[..end];
        if tag.contains("name=\"csrf\"") {
            let value = tag.split("value=\"").nth(1)?;
            return value.split('"').next().map(str::to_owned);
        }
        rest = &tail[end..];
    }
    None
}

/// The id at the end of a listing URL or path (`.../listings/{id}`).
pub fn listing_id(url_or_path: &str) -> String {
    let path = url_or_path.split(['?', '#']).next().unwrap_or_default();
    let after = path.split("/listings/").nth(1).unwrap_or_else(|| panic!("not a listing URL: {url_or_path}"));
    after.split('/').next().unwrap_or_default().to_owned()
}

/// Unescapes the few HTML entities askama produces, so that assertions can look for plain text.
pub fn html_text(html: &str) -> String {
    // Named entities first except &amp;, then numeric ones (askama writes `&#38;`, `&#39;`, `&#60;`...),
    // then &amp; last so that an escaped entity is not decoded twice.
    let named = html.replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">");
    let mut out = String::with_capacity(named.len());
    let mut rest = named.as_str();
    while let Some(start) = rest.find("&#") {
        out.push_str(&rest[..start]);
        let tail = &rest[start + 2..];
        let decoded = tail.find(';').and_then(|end| {
            let code = &tail[..end];
            let value = match code.strip_prefix('x').or_else(|| code.strip_prefix('X')) {
                Some(hex) => u32::from_str_radix(hex, 16).ok(),
                None => code.parse::<u32>().ok(),
            };
            value.and_then(char::from_u32).map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &tail[end + 1..];
            }
            None => {
                out.push_str("&#");
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out.replace("&amp;", "&")
}

/// The date `days` from today as a test instance counts days (in its time zone, the default one),
/// written as a date field takes it (`YYYY-MM-DD`). Not the UTC date: from 22:00 or 23:00 UTC
/// Paris is already on the next day, and "due tomorrow" would be due today.
pub fn day(days: i64) -> String {
    let zone = maillage_server::i18n::Zone::named(maillage_server::i18n::DEFAULT_ZONE).expect("the default zone");
    let today = zone.date(maillage_server::domain::ids::now_ms()).expect("a date today");
    let date = today + time::Duration::days(days);
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}
