//! Federation helpers for the end-to-end tests: instances that federate over loopback, waiting for
//! asynchronous delivery, peering, signing requests the way another server would, a stand-in server
//! that plays a remote fediverse server, and a tripwire that counts connections.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use maillage_server::config::PeeringPolicy;
use maillage_server::domain::member::Role;
use reqwest::header::HeaderValue;
use rsa::pkcs1v15::Pkcs1v15Sign;
use rsa::pkcs8::DecodePrivateKey;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;

use super::{Reply, TestInstance};

/// An instance that federates over plain http on loopback, with the given peering policy.
pub async fn instance(policy: PeeringPolicy, allowlist: Vec<String>) -> TestInstance {
    TestInstance::start_with(move |config| {
        config.federation.insecure_local_federation = true;
        config.federation.policy = policy;
        config.federation.allowlist = allowlist.clone();
    })
    .await
}

pub async fn open_instance() -> TestInstance {
    instance(PeeringPolicy::Open, Vec::new()).await
}

pub fn domain(instance: &TestInstance) -> String {
    instance.config.domain.clone()
}

/// Waits until `check` holds (delivery is asynchronous); fails with `what` after 20 s.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if check().await {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn peer(instance: &TestInstance, admin: &str, other: &str) -> Value {
    let reply = instance.api().token(admin).get(&format!("/api/v1/admin/peers/{other}")).await;
    if reply.status == StatusCode::NOT_FOUND {
        return json!({"state": "unknown"});
    }
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    reply.json()
}

pub async fn peer_state(instance: &TestInstance, admin: &str, other: &str) -> String {
    peer(instance, admin, other).await["state"].as_str().unwrap_or_default().to_owned()
}

/// Titles of the listings from peered instances in `instance`'s catalogue (as a visitor sees it).
pub async fn peer_titles(instance: &TestInstance) -> Vec<String> {
    let mut found = instance.api().titles(&[("scope", "peers"), ("per_page", "100")]).await;
    found.sort();
    found
}

pub async fn request_peering(from: &TestInstance, admin: &str, to: &TestInstance) -> Value {
    let reply = from.api().token(admin).post("/api/v1/admin/peers", &json!({"domain": domain(to)})).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{reply:?}");
    reply.json()
}

/// Two instances with an admin each, peered (both open).
pub async fn peered_pair() -> (TestInstance, String, TestInstance, String) {
    let a = open_instance().await;
    let b = open_instance().await;
    let admin_a = a.member_with_token("admin_a", Role::Admin).await;
    let admin_b = b.member_with_token("admin_b", Role::Admin).await;
    request_peering(&a, &admin_a, &b).await;
    let (da, db) = (domain(&a), domain(&b));
    eventually("A and B peered", || async {
        peer_state(&a, &admin_a, &db).await == "peered" && peer_state(&b, &admin_b, &da).await == "peered"
    })
    .await;
    (a, admin_a, b, admin_b)
}

/// Deliveries still queued on `instance`.
pub async fn queued(instance: &TestInstance) -> i64 {
    maillage_server::storage::outbox::queued(&mut instance.db().conn().await.unwrap()).await.unwrap()
}

// ---- signing as another server would -----------------------------------------------------------

/// `Date` header value for `time`.
pub fn httpdate(time: std::time::SystemTime) -> String {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::OffsetDateTime::from(time).format(&format).unwrap()
}

pub fn sha256_base64(bytes: &[u8]) -> String {
    BASE64.encode(Sha256::digest(bytes))
}

/// How a test signs a POST: by default as Mastodon does, `(request-target) host date digest`, dated
/// now, for the host the request goes to. Each field can be spoilt on purpose.
#[derive(Clone)]
pub struct Signing {
    pub key_id: String,
    pub private_key_pem: String,
    /// The `Date` header (`None`: none sent).
    pub date: Option<String>,
    /// The `Host` header sent and signed (default: the inbox's).
    pub host: Option<String>,
    /// The `headers` parameter.
    pub headers: String,
    pub algorithm: String,
}

impl Signing {
    pub fn new(key_id: &str, private_key_pem: &str) -> Self {
        Self {
            key_id: key_id.to_owned(),
            private_key_pem: private_key_pem.to_owned(),
            date: Some(httpdate(std::time::SystemTime::now())),
            host: None,
            headers: "(request-target) host date digest".to_owned(),
            algorithm: "rsa-sha256".to_owned(),
        }
    }

    /// As one of `instance`'s members would sign (its key, read from storage).
    pub async fn as_member(instance: &TestInstance, username: &str) -> Self {
        let member = maillage_server::services::accounts::find(instance.db(), username).await.unwrap().unwrap();
        let (_, private) = maillage_server::storage::keys::keys(
            &mut instance.db().conn().await.unwrap(),
            maillage_server::domain::actor::ActorKey::Member(&member.id),
        )
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{username} has no key pair yet"));
        let key_id = format!("{}members/{username}#main-key", instance.public_url());
        Self::new(&key_id, &private)
    }

    /// Posts `body` to `url` (an inbox), signed as said.
    pub async fn post(&self, url: &str, body: &Value) -> Reply {
        let body = serde_json::to_vec(body).unwrap();
        let url = url::Url::parse(url).unwrap();
        let host = self.host.clone().unwrap_or_else(|| maillage_federation::urls::domain_of(&url).unwrap());
        let digest = format!("SHA-256={}", sha256_base64(&body));
        let mut values: HashMap<&str, String> = HashMap::new();
        values.insert("(request-target)", format!("post {}", url.path()));
        values.insert("host", host.clone());
        values.insert("digest", digest.clone());
        values.insert("content-type", "application/activity+json".to_owned());
        if let Some(date) = &self.date {
            values.insert("date", date.clone());
        }
        let signing_string: Vec<String> = self
            .headers
            .split_whitespace()
            .map(|h| format!("{h}: {}", values.get(h).cloned().unwrap_or_default()))
            .collect();
        let key = rsa::RsaPrivateKey::from_pkcs8_pem(&self.private_key_pem).unwrap();
        let signature =
            key.sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(signing_string.join("\n").as_bytes())).unwrap();
        let header = format!(
            "keyId=\"{}\",algorithm=\"{}\",headers=\"{}\",signature=\"{}\"",
            self.key_id,
            self.algorithm,
            self.headers,
            BASE64.encode(signature)
        );
        let mut request = reqwest::Client::new()
            .post(url)
            .header("host", host)
            .header("digest", digest)
            .header("content-type", "application/activity+json")
            .header("signature", header)
            .body(body);
        if let Some(date) = &self.date {
            request = request.header("date", date);
        }
        let response = request.send().await.expect("posting a signed activity");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        Reply { status, headers, text }
    }

    /// GETs `url` as ActivityPub JSON, signed over `(request-target) host date` ("authorized
    /// fetch"), dated now.
    pub async fn get(&self, url: &str) -> Reply {
        let url = url::Url::parse(url).unwrap();
        let host = self.host.clone().unwrap_or_else(|| maillage_federation::urls::domain_of(&url).unwrap());
        let date = httpdate(std::time::SystemTime::now());
        let signing_string = format!("(request-target): get {}\nhost: {host}\ndate: {date}", url.path());
        let key = rsa::RsaPrivateKey::from_pkcs8_pem(&self.private_key_pem).unwrap();
        let signature = key.sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(signing_string.as_bytes())).unwrap();
        let header = format!(
            "keyId=\"{}\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date\",signature=\"{}\"",
            self.key_id,
            BASE64.encode(signature)
        );
        let response = reqwest::Client::new()
            .get(url)
            .header("host", host)
            .header("date", date)
            .header("accept", "application/activity+json")
            .header("signature", header)
            .send()
            .await
            .expect("a signed GET");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        Reply { status, headers, text }
    }
}

// ---- a stand-in fediverse server -----------------------------------------------------------------

/// One request the stand-in server received.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: Method,
    pub path: String,
    /// The `Signature` header, if any.
    pub signature: String,
    pub body: String,
    pub status: StatusCode,
}

#[derive(Default)]
struct StandInState {
    /// Documents served at their paths (`/users/eve`).
    documents: HashMap<String, Value>,
    /// Inbox answers by activity id (default: 202).
    answers: HashMap<String, StatusCode>,
    /// Inbox answers to activities whose text contains a word.
    answers_containing: Vec<(String, StatusCode)>,
    /// GETs of these paths answer 503 so many more times.
    failing: HashMap<String, usize>,
    received: Vec<Received>,
}

/// A remote server played by the test: serves the actor documents it is given (with a key pair of
/// its own to sign with), answers inbox POSTs as told, and records what it receives. On loopback,
/// named `localhost:PORT`, for instances in insecure local mode.
#[derive(Clone)]
pub struct StandIn {
    pub domain: String,
    pub public_key_pem: String,
    pub private_key_pem: String,
    state: Arc<Mutex<StandInState>>,
    task: Arc<tokio::task::JoinHandle<()>>,
}

impl StandIn {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let domain = format!("localhost:{}", listener.local_addr().unwrap().port());
        let pair = maillage_federation::keys::generate().await.unwrap();
        let state = Arc::new(Mutex::new(StandInState::default()));
        let app = axum::Router::new().fallback(stand_in_answer).with_state(state.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            domain,
            public_key_pem: pair.public_key_pem,
            private_key_pem: pair.private_key_pem,
            state,
            task: Arc::new(task),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.domain)
    }

    /// A `Person` document for `/users/NAME` with our key, the usual inbox, outbox and shared inbox;
    /// `changes` replace or add top-level fields (`"endpoints"`, `"url"`...). Served from now on.
    pub fn person(&self, name: &str, changes: Value) -> String {
        let id = self.url(&format!("/users/{name}"));
        let mut doc = json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": id,
            "type": "Person",
            "preferredUsername": name,
            "name": name,
            "inbox": format!("{id}/inbox"),
            "outbox": format!("{id}/outbox"),
            "endpoints": {"sharedInbox": self.url("/inbox")},
            "url": self.url(&format!("/@{name}")),
            "publicKey": {"id": format!("{id}#main-key"), "owner": id, "publicKeyPem": self.public_key_pem},
        });
        if let (Some(doc), Some(changes)) = (doc.as_object_mut(), changes.as_object()) {
            for (key, value) in changes {
                doc.insert(key.clone(), value.clone());
            }
        }
        self.state.lock().unwrap().documents.insert(format!("/users/{name}"), doc);
        id
    }

    /// Signs as `/users/NAME` of this server.
    pub fn signing(&self, name: &str) -> Signing {
        Signing::new(&format!("{}#main-key", self.url(&format!("/users/{name}"))), &self.private_key_pem)
    }

    /// The inbox answers `status` to the activity with this id.
    pub fn answer(&self, activity_id: &str, status: StatusCode) {
        self.state.lock().unwrap().answers.insert(activity_id.to_owned(), status);
    }

    /// The inbox answers `status` to every activity whose JSON contains `text`.
    pub fn answer_containing(&self, text: &str, status: StatusCode) {
        self.state.lock().unwrap().answers_containing.push((text.to_owned(), status));
    }

    /// Serves `document` at `path` (an outbox, say).
    pub fn serve(&self, path: &str, document: Value) {
        self.state.lock().unwrap().documents.insert(path.to_owned(), document);
    }

    /// The next `times` GETs of `path` answer 503, as a busy server would.
    pub fn fail_next(&self, path: &str, times: usize) {
        self.state.lock().unwrap().failing.insert(path.to_owned(), times);
    }

    /// Answers WebFinger for `acct:NAME@DOMAIN` with the actor `/users/NAME` (one account per server).
    pub fn webfinger(&self, name: &str) {
        let jrd = json!({
            "subject": format!("acct:{name}@{}", self.domain),
            "links": [{"rel": "self", "type": "application/activity+json", "href": self.url(&format!("/users/{name}"))}],
        });
        self.state.lock().unwrap().documents.insert("/.well-known/webfinger".to_owned(), jrd);
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    /// The activities that reached an inbox and were taken (2xx), as JSON.
    pub fn delivered(&self) -> Vec<Value> {
        self.received()
            .into_iter()
            .filter(|r| r.method == Method::POST && r.status.is_success())
            .filter_map(|r| serde_json::from_str(&r.body).ok())
            .collect()
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        if Arc::strong_count(&self.task) == 1 {
            self.task.abort();
        }
    }
}

async fn stand_in_answer(
    State(state): State<Arc<Mutex<StandInState>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let signature = headers.get("signature").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let body = String::from_utf8_lossy(&body).into_owned();
    let mut state = state.lock().unwrap();
    let failing = state.failing.get_mut(uri.path()).filter(|n| **n > 0).map(|n| {
        *n -= 1;
    });
    let (status, document) = match method {
        Method::GET if failing.is_some() => (StatusCode::SERVICE_UNAVAILABLE, json!({"error": "busy"})),
        Method::GET => match state.documents.get(uri.path()) {
            Some(doc) => (StatusCode::OK, doc.clone()),
            None => (StatusCode::NOT_FOUND, json!({"error": "not found"})),
        },
        Method::POST => {
            let id = serde_json::from_str::<Value>(&body).ok().and_then(|v| v["id"].as_str().map(str::to_owned));
            let by_text =
                state.answers_containing.iter().find(|(text, _)| body.contains(text.as_str())).map(|(_, s)| *s);
            let by_id = id.and_then(|id| state.answers.get(&id).copied());
            let status = by_id.or(by_text).unwrap_or(StatusCode::ACCEPTED);
            (status, json!({}))
        }
        _ => (StatusCode::METHOD_NOT_ALLOWED, json!({})),
    };
    state.received.push(Received { method, path: uri.path().to_owned(), signature, body, status });
    let mut response = (status, document.to_string()).into_response();
    response.headers_mut().insert("content-type", HeaderValue::from_static("application/activity+json"));
    response
}

// ---- a tripwire ---------------------------------------------------------------------------------

/// A listener on loopback that counts the connections made to it, and closes each at once: the proof
/// that a request in production mode opened no connection.
pub struct Tripwire {
    pub port: u16,
    count: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Tripwire {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let count = Arc::new(AtomicUsize::new(0));
        let counter = count.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                drop(stream);
            }
        });
        Self { port, count, task }
    }

    pub fn connections(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }
}

impl Drop for Tripwire {
    fn drop(&mut self) {
        self.task.abort();
    }
}
