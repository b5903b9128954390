//! Collectives through the JSON API: creating one (and who may), what a private one shows to whom,
//! its charter's versions and their acceptance, joining on each kind of admission, moderators'
//! decisions with their reasons, exclusions, leaving, roles, and a large collective's members in pages.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use common::collectives::admit_remote_people;
use common::{Api, PASSWORD, TestInstance};
use maillage_server::config::CollectiveCreation;
use maillage_server::domain::member::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const CHARTER: &str = "# Charte\n\nNous réparons **ensemble**, sans jugement.";

/// A valid collective named `name`, admitting on `admission`; `overrides` replace or add fields.
fn collective(name: &str, admission: &str, overrides: Value) -> Value {
    let mut body = json!({
        "name": name,
        "display_name": "Réparateurs vélo de la MEL",
        "purpose": "Réparer ensemble les vélos de la métropole.",
        "activities": ["bikes-repair", "skills-services"],
        "territory": "Métropole européenne de Lille",
        "charter": CHARTER,
        "entry_criteria": "Tenir un atelier.",
        "questions": ["Quel atelier tenez-vous ?"],
        "admission": admission,
        "visibility": "public",
    });
    for (key, value) in overrides.as_object().unwrap() {
        body[key] = value.clone();
    }
    body
}

/// The body of `PUT /collectives/{name}` from what `GET` answered, with `charter` and the charter
/// version read.
fn change(current: &Value, charter: &str, read_version: i64) -> Value {
    let mut body = json!({"charter": charter, "charter_version": read_version});
    for key in
        ["display_name", "purpose", "activities", "territory", "entry_criteria", "questions", "admission", "visibility"]
    {
        body[key] = current[key].clone();
    }
    body
}

/// Members with tokens: an API client for each.
struct People {
    instance: TestInstance,
}

impl People {
    async fn start() -> Self {
        Self { instance: TestInstance::start().await }
    }

    /// A member of the instance (`role` on the instance) and their API client.
    async fn member(&self, username: &str, role: Role) -> Api {
        let token = self.instance.member_with_token(username, role).await;
        self.instance.api().token(&token)
    }

    /// A collective created by `by` (asserting 201), as answered.
    async fn create(&self, by: &Api, body: &Value) -> Value {
        let reply = by.post("/api/v1/collectives", body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "creating {body}: {reply:?}");
        reply.json()
    }

    /// The actor id of a member of ours.
    fn actor(&self, username: &str) -> String {
        format!("{}members/{username}", self.instance.public_url())
    }
}

fn path(name: &str, rest: &str) -> String {
    format!("/api/v1/collectives/{name}{rest}")
}

/// `GET /collectives/{name}` as `api` (asserting 200).
async fn get(api: &Api, name: &str) -> Value {
    let reply = api.get(&path(name, "")).await;
    assert_eq!(reply.status, StatusCode::OK, "GET {name}: {reply:?}");
    reply.json()
}

/// The names `GET /collectives` gives `api`.
async fn listed(api: &Api) -> Vec<String> {
    let reply = api.get("/api/v1/collectives").await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    reply.json()["items"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect()
}

/// `(username, role, owes_charter)` of each member in the list `api` sees.
async fn roster(api: &Api, name: &str) -> Vec<(String, String, bool)> {
    let reply = api.get(&path(name, "/members")).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    reply.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["username"].as_str().unwrap().to_owned(),
                m["role"].as_str().unwrap().to_owned(),
                m["owes_charter"].as_bool().unwrap(),
            )
        })
        .collect()
}

/// The membership id of `username`, from the members' list.
async fn membership_of(api: &Api, name: &str, username: &str) -> String {
    let members = api.get(&path(name, "/members")).await.json();
    let found = members["items"].as_array().unwrap().iter().find(|m| m["username"] == username);
    found.unwrap_or_else(|| panic!("{username} is not a member of {name}: {members}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Asks to join with the charter version `version` accepted (asserting 200); the membership.
async fn join(api: &Api, name: &str, version: i64, answers: &[&str]) -> Value {
    let reply = api.post(&path(name, "/join"), &json!({"charter_version": version, "answers": answers})).await;
    assert_eq!(reply.status, StatusCode::OK, "joining {name}: {reply:?}");
    reply.json()
}

/// `DELETE` with a JSON body.
async fn delete_with(api: &Api, path: &str, body: &Value) -> common::Reply {
    api.raw(Method::DELETE, path, Some("application/json"), serde_json::to_vec(body).unwrap()).await
}

/// A JSON error's message for `field`.
fn field_message(reply: &common::Reply, field: &str) -> String {
    reply.json()["fields"][field].as_str().unwrap_or_else(|| panic!("no {field} in {reply:?}")).to_owned()
}

#[tokio::test]
async fn a_member_creates_a_collective_and_becomes_its_administrator() {
    let people = People::start().await;
    let camille = people.member("camille", Role::Member).await;
    people.member("bertrand", Role::Member).await;

    let reply = camille.post("/api/v1/collectives", &collective(" Reparateurs_MEL ", "approval", json!({}))).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    let base = people.instance.public_url();
    assert_eq!(reply.location(), format!("{base}api/v1/collectives/reparateurs_mel"));
    let created = reply.json();
    assert_eq!(created["name"], "reparateurs_mel");
    assert_eq!(created["address"], format!("!reparateurs_mel@{}", people.instance.config.domain));
    assert_eq!(created["url"], format!("{base}collectives/reparateurs_mel"));
    assert_eq!(created["display_name"], "Réparateurs vélo de la MEL");
    assert_eq!(created["activities"], json!(["bikes-repair", "skills-services"]));
    assert_eq!(created["territory"], "Métropole européenne de Lille");
    assert_eq!(created["entry_criteria"], "Tenir un atelier.");
    assert_eq!(created["questions"], json!(["Quel atelier tenez-vous ?"]));
    assert_eq!(created["admission"], "approval");
    assert_eq!(created["visibility"], "public");
    assert_eq!(created["charter_version"], 1);
    assert_eq!(created["charter"], CHARTER);
    let html = created["charter_html"].as_str().unwrap();
    assert!(html.contains("<h2>Charte</h2>") && html.contains("<strong>ensemble</strong>"), "{html}");
    assert_eq!(created["members"], 1);
    let mine = &created["membership"];
    assert_eq!(mine["state"], "member");
    assert_eq!(mine["role"], "administrator");
    assert_eq!(mine["actor"], people.actor("camille"));
    assert_eq!(mine["charter_version"], 1);
    assert_eq!(mine["owes_charter"], false);
    assert_eq!(mine["reason"], "");
    assert!(mine["since"].as_str().is_some_and(|s| s.ends_with('Z')), "{mine}");
    assert_eq!(mine["id"].as_str().map(str::len), Some(32), "{mine}");
    // Anonymous visitors see a public collective, without a membership.
    let seen = get(&people.instance.api(), "reparateurs_mel").await;
    assert_eq!(seen["membership"], Value::Null);
    assert_eq!(seen["charter"], CHARTER);

    // The same name again (in another case), a member's username: taken. Nor may a member take a
    // collective's name.
    let again = camille.post("/api/v1/collectives", &collective("REPARATEURS_mel", "open", json!({}))).await;
    again.assert_error(StatusCode::CONFLICT, "name_taken");
    assert!(field_message(&again, "name").contains("déjà pris"), "{again:?}");
    let username = camille.post("/api/v1/collectives", &collective("bertrand", "open", json!({}))).await;
    username.assert_error(StatusCode::CONFLICT, "name_taken");
    assert_eq!(username.error_fields(), ["name"]);
    let account = json!({"username": "reparateurs_mel", "password": PASSWORD, "display_name": "X", "kind": "person"});
    people.instance.api().post("/api/v1/accounts", &account).await.assert_error(StatusCode::CONFLICT, "username_taken");

    // A charter that carries a script, one too long: refused, the charter named; a body of 1 MB
    // does not get read.
    let script = camille
        .post(
            "/api/v1/collectives",
            &collective("atelier", "open", json!({"charter": "Bonjour <script>alert(1)</script>"})),
        )
        .await;
    script.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(script.error_fields(), ["charter"]);
    assert!(field_message(&script, "charter").contains("scripts"), "{script:?}");
    let long = camille
        .post("/api/v1/collectives", &collective("atelier", "open", json!({"charter": "a".repeat(20_001)})))
        .await;
    long.assert_field_error("charter");
    let huge = camille
        .post("/api/v1/collectives", &collective("atelier", "open", json!({"charter": "a".repeat(1024 * 1024)})))
        .await;
    huge.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");

    // Every missing field at once; an unknown field; a private collective open to requests.
    let empty = camille.post("/api/v1/collectives", &json!({})).await;
    empty.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let mut fields = empty.error_fields();
    fields.sort();
    assert_eq!(fields, ["admission", "charter", "display_name", "name", "purpose", "visibility"]);
    let unknown = camille.post("/api/v1/collectives", &collective("atelier", "open", json!({"colour": "red"}))).await;
    unknown.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_json");
    let private =
        camille.post("/api/v1/collectives", &collective("atelier", "approval", json!({"visibility": "private"}))).await;
    private.assert_field_error("admission");
    let anonymous = people.instance.api().post("/api/v1/collectives", &collective("atelier", "open", json!({}))).await;
    anonymous.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");

    // Nothing refused was created.
    assert_eq!(listed(&people.instance.api()).await, ["reparateurs_mel"]);
    people.instance.stop().await;
}

#[tokio::test]
async fn only_administrators_create_collectives_when_the_instance_says_so() {
    let instance =
        TestInstance::start_with(|config| config.instance.collective_creation = CollectiveCreation::Administrators)
            .await;
    let member = instance.api().token(&instance.member_with_token("camille", Role::Member).await);
    let admin = instance.api().token(&instance.member_with_token("yasmine", Role::Admin).await);
    let refused = member.post("/api/v1/collectives", &collective("atelier", "open", json!({}))).await;
    refused.assert_error(StatusCode::FORBIDDEN, "creation_not_allowed");
    assert!(refused.json()["message"].as_str().unwrap().contains("administrateurs"), "{refused:?}");
    let created = admin.post("/api/v1/collectives", &collective("atelier", "open", json!({}))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    assert_eq!(created.json()["membership"]["role"], "administrator");
    assert_eq!(listed(&member).await, ["atelier"]);
    instance.stop().await;
}

#[tokio::test]
async fn a_private_collective_is_seen_by_its_members_and_invitees_alone() {
    let people = People::start().await;
    let camille = people.member("camille", Role::Member).await;
    let bertrand = people.member("bertrand", Role::Member).await;
    let dominique = people.member("dominique", Role::Member).await;
    let private = json!({"visibility": "private", "display_name": "Cercle des ateliers"});
    people.create(&camille, &collective("cercle", "invitation", private)).await;
    people.create(&camille, &collective("public_mel", "open", json!({"display_name": "Atelier public"}))).await;
    let anonymous = people.instance.api();

    // To anyone outside, it does not exist.
    for api in [&bertrand, &anonymous] {
        for rest in ["", "/members", "/charters", "/charters/1"] {
            api.get(&path("cercle", rest)).await.assert_error(StatusCode::NOT_FOUND, "not_found");
        }
        assert_eq!(listed(api).await, ["public_mel"]);
    }
    let ask = bertrand.post(&path("cercle", "/join"), &json!({"charter_version": 1})).await;
    ask.assert_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(listed(&camille).await, ["public_mel", "cercle"]);

    // Invited, bertrand sees it, reads its charter and joins; dominique still does not.
    let invited = camille.post(&path("cercle", "/invitations"), &json!({"address": "@bertrand"})).await;
    assert_eq!(invited.status, StatusCode::CREATED, "{invited:?}");
    assert_eq!(invited.json()["state"], "invited");
    assert_eq!(invited.json()["actor"], people.actor("bertrand"));
    let seen = get(&bertrand, "cercle").await;
    assert_eq!(seen["visibility"], "private");
    assert_eq!(seen["membership"]["state"], "invited");
    assert_eq!(seen["members"], 1);
    assert_eq!(listed(&bertrand).await, ["public_mel", "cercle"]);
    let charter = bertrand.get(&path("cercle", "/charters/1")).await.json();
    assert_eq!(charter["text"], CHARTER);
    let joined = join(&bertrand, "cercle", 1, &[]).await;
    assert_eq!(joined["state"], "member");
    assert_eq!(joined["role"], "member");
    assert_eq!(joined["charter_version"], 1);
    assert!(joined["since"].is_string(), "{joined}");
    assert_eq!(get(&bertrand, "cercle").await["members"], 2);
    let members: Vec<String> = roster(&bertrand, "cercle").await.into_iter().map(|m| m.0).collect();
    assert_eq!(members, ["camille", "bertrand"]);
    dominique.get(&path("cercle", "")).await.assert_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(listed(&dominique).await, ["public_mel"]);

    // Gone, bertrand no longer sees it.
    let left = bertrand.post(&path("cercle", "/leave"), &json!({})).await;
    assert_eq!(left.status, StatusCode::NO_CONTENT, "{left:?}");
    bertrand.get(&path("cercle", "")).await.assert_error(StatusCode::NOT_FOUND, "not_found");
    people.instance.stop().await;
}

#[tokio::test]
async fn a_new_charter_is_a_new_version_each_member_accepts() {
    let people = People::start().await;
    let camille = people.member("camille", Role::Member).await;
    let bertrand = people.member("bertrand", Role::Member).await;
    let dominique = people.member("dominique", Role::Member).await;
    people.create(&camille, &collective("atelier", "open", json!({}))).await;
    let joined = join(&bertrand, "atelier", 1, &["Fives"]).await;
    assert_eq!((joined["state"].as_str(), joined["owes_charter"].as_bool()), (Some("member"), Some(false)));

    // Only an administrator changes it.
    let current = get(&camille, "atelier").await;
    let second = "# Charte\n\nNous réparons ensemble et **rangeons l'atelier**.";
    let not_admin = bertrand.put(&path("atelier", ""), &change(&current, second, 1)).await;
    not_admin.assert_error(StatusCode::FORBIDDEN, "administrators_only");
    let mut without_version = change(&current, second, 1);
    without_version.as_object_mut().unwrap().remove("charter_version");
    let reply = camille.put(&path("atelier", ""), &without_version).await;
    reply.assert_field_error("charter_version");

    let reply = camille.put(&path("atelier", ""), &change(&current, second, 1)).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let updated = reply.json();
    assert_eq!(updated["charter_version"], 2);
    assert_eq!(updated["charter"], second);
    assert!(updated["charter_html"].as_str().unwrap().contains("<strong>rangeons l'atelier</strong>"), "{updated}");
    // Whoever writes it accepts it.
    assert_eq!(updated["membership"]["charter_version"], 2);
    assert_eq!(updated["membership"]["owes_charter"], false);

    // Both versions stay readable, newest first.
    let versions = camille.get(&path("atelier", "/charters")).await.json();
    let numbers: Vec<i64> =
        versions["items"].as_array().unwrap().iter().map(|v| v["version"].as_i64().unwrap()).collect();
    assert_eq!(numbers, [2, 1]);
    assert_eq!(
        versions["items"][1]["url"],
        format!("{}api/v1/collectives/atelier/charters/1", people.instance.public_url())
    );
    let first = bertrand.get(&path("atelier", "/charters/1")).await.json();
    assert_eq!((first["version"].as_i64(), first["text"].as_str()), (Some(1), Some(CHARTER)));
    assert!(first["html"].as_str().unwrap().contains("<strong>ensemble</strong>"), "{first}");
    assert_eq!(bertrand.get(&path("atelier", "/charters/2")).await.json()["text"], second);
    for missing in ["3", "0", "deux"] {
        bertrand
            .get(&path("atelier", &format!("/charters/{missing}")))
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
    }

    // Bertrand owes the new version until he accepts it, and accepts only the current one.
    let seen = get(&bertrand, "atelier").await;
    assert_eq!(seen["membership"]["charter_version"], 1);
    assert_eq!(seen["membership"]["owes_charter"], true);
    let owing = roster(&camille, "atelier").await;
    assert_eq!(owing, [("camille".into(), "administrator".into(), false), ("bertrand".into(), "member".into(), true)]);
    let old = bertrand.post(&path("atelier", "/charter/accept"), &json!({"version": 1})).await;
    old.assert_error(StatusCode::CONFLICT, "membership_not_allowed");
    bertrand.post(&path("atelier", "/charter/accept"), &json!({})).await.assert_field_error("version");
    let accepted = bertrand.post(&path("atelier", "/charter/accept"), &json!({"version": 2})).await;
    assert_eq!(accepted.status, StatusCode::OK, "{accepted:?}");
    assert_eq!(
        (accepted.json()["charter_version"].as_i64(), accepted.json()["owes_charter"].as_bool()),
        (Some(2), Some(false))
    );
    assert!(roster(&camille, "atelier").await.iter().all(|m| !m.2));
    // Someone who is not a member accepts nothing.
    let outsider = dominique.post(&path("atelier", "/charter/accept"), &json!({"version": 2})).await;
    outsider.assert_error(StatusCode::CONFLICT, "membership_not_allowed");

    // A change from a stale read is refused and changes nothing; the same charter is no new version.
    let mut stale = change(&current, "# Autre charte", 1);
    stale["display_name"] = json!("Renommé");
    camille.put(&path("atelier", ""), &stale).await.assert_error(StatusCode::CONFLICT, "conflict");
    let unchanged = get(&camille, "atelier").await;
    assert_eq!(
        (unchanged["display_name"].clone(), unchanged["charter_version"].clone()),
        (current["display_name"].clone(), json!(2))
    );
    let mut renamed = change(&unchanged, second, 2);
    renamed["display_name"] = json!("Atelier renommé");
    let reply = camille.put(&path("atelier", ""), &renamed).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(
        (reply.json()["display_name"].clone(), reply.json()["charter_version"].clone()),
        (json!("Atelier renommé"), json!(2))
    );

    // Joining needs the current version accepted: not none, not the old one.
    let none = dominique.post(&path("atelier", "/join"), &json!({"answers": ["Wazemmes"]})).await;
    none.assert_field_error("charter_version");
    assert!(field_message(&none, "charter_version").contains("acceptez la charte"), "{none:?}");
    let old = dominique.post(&path("atelier", "/join"), &json!({"charter_version": 1, "answers": ["Wazemmes"]})).await;
    old.assert_field_error("charter_version");
    assert!(field_message(&old, "charter_version").contains("version 2"), "{old:?}");
    assert_eq!(join(&dominique, "atelier", 2, &["Wazemmes"]).await["state"], "member");
    people.instance.stop().await;
}

#[tokio::test]
async fn requests_wait_for_a_moderator_on_approval() {
    let people = People::start().await;
    let camille = people.member("camille", Role::Member).await;
    let bertrand = people.member("bertrand", Role::Member).await;
    let dominique = people.member("dominique", Role::Member).await;
    people.create(&camille, &collective("atelier", "approval", json!({}))).await;

    // Every question needs its answer.
    let unanswered = bertrand.post(&path("atelier", "/join"), &json!({"charter_version": 1})).await;
    unanswered.assert_field_error("answers");
    let body = json!({"charter_version": 1, "answers": ["L'atelier de Fives"], "message": "Bonjour !"});
    let reply = bertrand.post(&path("atelier", "/join"), &body).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let asked = reply.json();
    assert_eq!(asked["state"], "requested");
    assert_eq!(asked["since"], Value::Null);
    assert_eq!(asked["owes_charter"], false);
    assert_eq!(get(&camille, "atelier").await["members"], 1);
    let twice = bertrand.post(&path("atelier", "/join"), &body).await;
    twice.assert_error(StatusCode::CONFLICT, "membership_not_allowed");
    assert!(twice.json()["message"].as_str().unwrap().contains("déjà envoyée"), "{twice:?}");

    // The moderator reads the request, its message and its answers beside their questions.
    let waiting = camille.get(&path("atelier", "/requests")).await;
    assert_eq!(waiting.status, StatusCode::OK, "{waiting:?}");
    let waiting = waiting.json();
    assert_eq!(waiting["invitations"], json!([]));
    let request = &waiting["requests"][0];
    assert_eq!(waiting["requests"].as_array().unwrap().len(), 1);
    assert_eq!(request["id"], asked["id"]);
    assert_eq!(request["username"], "bertrand");
    assert_eq!(request["display_name"], "bertrand (test)");
    assert_eq!(request["remote_handle"], Value::Null);
    assert_eq!(request["url"], people.actor("bertrand"));
    assert_eq!(request["message"], "Bonjour !");
    assert_eq!(request["answers"], json!([{"question": "Quel atelier tenez-vous ?", "answer": "L'atelier de Fives"}]));
    let bertrands = request["id"].as_str().unwrap().to_owned();

    // A decision must be one; the applicant does not decide; the moderator approves.
    let decide = path("atelier", &format!("/requests/{bertrands}"));
    bertrand
        .post(&decide, &json!({"decision": "approve"}))
        .await
        .assert_error(StatusCode::FORBIDDEN, "moderators_only");
    camille.post(&decide, &json!({"decision": "maybe"})).await.assert_field_error("decision");
    camille.post(&decide, &json!({})).await.assert_field_error("decision");
    let reply = camille.post(&decide, &json!({"decision": "approve"})).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let approved = reply.json();
    assert_eq!((approved["state"].as_str(), approved["role"].as_str()), (Some("member"), Some("member")));
    assert!(approved["since"].is_string(), "{approved}");
    assert_eq!(get(&bertrand, "atelier").await["membership"]["state"], "member");
    camille
        .post(&decide, &json!({"decision": "refuse"}))
        .await
        .assert_error(StatusCode::CONFLICT, "membership_not_allowed");
    let unknown = path("atelier", &format!("/requests/{}", "0".repeat(32)));
    camille.post(&unknown, &json!({"decision": "approve"})).await.assert_error(StatusCode::NOT_FOUND, "not_found");
    camille
        .post(&path("atelier", "/requests/nope"), &json!({"decision": "approve"}))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");

    // A member asking again: already one.
    let again = bertrand.post(&path("atelier", "/join"), &body).await;
    again.assert_error(StatusCode::CONFLICT, "membership_not_allowed");
    assert!(again.json()["message"].as_str().unwrap().contains("déjà membre"), "{again:?}");

    // A member who is not a moderator neither sees nor decides requests.
    let reply = dominique.post(&path("atelier", "/join"), &json!({"charter_version": 1, "answers": ["Moulins"]})).await;
    assert_eq!(reply.json()["state"], "requested");
    let dominiques = reply.json()["id"].as_str().unwrap().to_owned();
    bertrand.get(&path("atelier", "/requests")).await.assert_error(StatusCode::FORBIDDEN, "moderators_only");
    people
        .instance
        .api()
        .get(&path("atelier", "/requests"))
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    let by_member =
        bertrand.post(&path("atelier", &format!("/requests/{dominiques}")), &json!({"decision": "approve"})).await;
    by_member.assert_error(StatusCode::FORBIDDEN, "moderators_only");
    assert_eq!(camille.get(&path("atelier", "/requests")).await.json()["requests"][0]["username"], "dominique");
    let members: Vec<String> = roster(&camille, "atelier").await.into_iter().map(|m| m.0).collect();
    assert_eq!(members, ["camille", "bertrand"]);
    people.instance.stop().await;
}

#[tokio::test]
async fn refusals_and_exclusions_give_their_reason() {
    let people = People::start().await;
    let camille = people.member("camille", Role::Member).await;
    let bertrand = people.member("bertrand", Role::Member).await;
    let dominique = people.member("dominique", Role::Member).await;
    let elise = people.member("elise", Role::Member).await;
    people.create(&camille, &collective("atelier", "approval", json!({"questions": []}))).await;

    // Refused, bertrand reads why.
    let asked = join(&bertrand, "atelier", 1, &[]).await;
    let decide = path("atelier", &format!("/requests/{}", asked["id"].as_str().unwrap()));
    let reason = "Nous cherchons des ateliers de la métropole.";
    let reply = camille.post(&decide, &json!({"decision": "refuse", "reason": reason})).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!((reply.json()["state"].as_str(), reply.json()["reason"].as_str()), (Some("refused"), Some(reason)));
    let mine = get(&bertrand, "atelier").await["membership"].clone();
    assert_eq!((mine["state"].as_str(), mine["reason"].as_str()), (Some("refused"), Some(reason)));
    assert_eq!(camille.get(&path("atelier", "/requests")).await.json()["requests"], json!([]));
    let long = camille.post(&decide, &json!({"decision": "refuse", "reason": "x".repeat(2001)})).await;
    long.assert_field_error("reason");

    // Admitted, then excluded with a reason: dominique reads it and is no longer listed.
    let asked = join(&dominique, "atelier", 1, &[]).await;
    let decide = path("atelier", &format!("/requests/{}", asked["id"].as_str().unwrap()));
    assert_eq!(camille.post(&decide, &json!({"decision": "approve"})).await.json()["state"], "member");
    let dominiques = membership_of(&camille, "atelier", "dominique").await;
    let member_path = path("atelier", &format!("/members/{dominiques}"));
    let why = "Absences répétées sans prévenir.";
    let reply = delete_with(&camille, &member_path, &json!({"reason": why})).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let removed = reply.json();
    assert_eq!((removed["state"].as_str(), removed["reason"].as_str()), (Some("removed"), Some(why)));
    assert_eq!(removed["since"], Value::Null);
    let mine = get(&dominique, "atelier").await["membership"].clone();
    assert_eq!((mine["state"].as_str(), mine["reason"].as_str()), (Some("removed"), Some(why)));
    let members: Vec<String> = roster(&camille, "atelier").await.into_iter().map(|m| m.0).collect();
    assert_eq!(members, ["camille"]);
    let twice = delete_with(&camille, &member_path, &json!({"reason": why})).await;
    twice.assert_error(StatusCode::CONFLICT, "membership_not_allowed");
    // Asking again, dominique waits for a moderator.
    assert_eq!(join(&dominique, "atelier", 1, &[]).await["state"], "requested");

    // No exclusion without a reason, whether the body is left out or the reason empty.
    let asked = join(&elise, "atelier", 1, &[]).await;
    let decide = path("atelier", &format!("/requests/{}", asked["id"].as_str().unwrap()));
    camille.post(&decide, &json!({"decision": "approve"})).await;
    let elises = path("atelier", &format!("/members/{}", membership_of(&camille, "atelier", "elise").await));
    let bare = camille.delete(&elises).await;
    bare.assert_field_error("reason");
    assert!(field_message(&bare, "reason").contains("Dites pourquoi"), "{bare:?}");
    delete_with(&camille, &elises, &json!({"reason": " "})).await.assert_field_error("reason");
    let long = delete_with(&camille, &elises, &json!({"reason": "x".repeat(2001)})).await;
    long.assert_field_error("reason");
    let members: Vec<String> = roster(&camille, "atelier").await.into_iter().map(|m| m.0).collect();
    assert_eq!(members, ["camille", "elise"]);
    people.instance.stop().await;
}

#[tokio::test]
async fn members_leave_but_the_last_administrator_stays() {
    let people = People::start().await;
    let camille = people.member("camille", Role::Member).await;
    let bertrand = people.member("bertrand", Role::Member).await;
    people.create(&camille, &collective("atelier", "open", json!({}))).await;

    let last = camille.post(&path("atelier", "/leave"), &json!({})).await;
    last.assert_error(StatusCode::CONFLICT, "last_administrator");
    assert!(last.json()["message"].as_str().unwrap().contains("au moins un administrateur"), "{last:?}");
    assert_eq!(get(&camille, "atelier").await["membership"]["state"], "member");

    assert_eq!(join(&bertrand, "atelier", 1, &["Fives"]).await["state"], "member");
    let reply = bertrand.post(&path("atelier", "/leave"), &json!({})).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{reply:?}");
    let seen = get(&bertrand, "atelier").await;
    assert_eq!((seen["membership"]["state"].as_str(), seen["members"].as_i64()), (Some("left"), Some(1)));
    assert_eq!(seen["membership"]["since"], Value::Null);
    bertrand
        .post(&path("atelier", "/leave"), &json!({}))
        .await
        .assert_error(StatusCode::CONFLICT, "membership_not_allowed");
    people
        .instance
        .api()
        .post(&path("atelier", "/leave"), &json!({}))
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");

    // Back in, named administrator: now camille may go.
    assert_eq!(join(&bertrand, "atelier", 1, &["Fives"]).await["state"], "member");
    let bertrands = membership_of(&camille, "atelier", "bertrand").await;
    let role =
        camille.put(&path("atelier", &format!("/members/{bertrands}/role")), &json!({"role": "administrator"})).await;
    assert_eq!(role.json()["role"], "administrator", "{role:?}");
    let reply = camille.post(&path("atelier", "/leave"), &json!({})).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{reply:?}");
    let left: Vec<(String, String)> = roster(&bertrand, "atelier").await.into_iter().map(|m| (m.0, m.1)).collect();
    assert_eq!(left, [("bertrand".to_owned(), "administrator".to_owned())]);
    people.instance.stop().await;
}

#[tokio::test]
async fn administrators_give_roles_and_moderators_exclude_members_only() {
    let people = People::start().await;
    let camille = people.member("camille", Role::Member).await;
    let bertrand = people.member("bertrand", Role::Member).await;
    let dominique = people.member("dominique", Role::Member).await;
    let elise = people.member("elise", Role::Member).await;
    people.create(&camille, &collective("atelier", "open", json!({"questions": []}))).await;
    for api in [&bertrand, &dominique, &elise] {
        join(api, "atelier", 1, &[]).await;
    }
    let bertrands = membership_of(&camille, "atelier", "bertrand").await;
    let dominiques = membership_of(&camille, "atelier", "dominique").await;
    let elises = membership_of(&camille, "atelier", "elise").await;
    let camilles = membership_of(&camille, "atelier", "camille").await;
    let role_path = |membership: &str| path("atelier", &format!("/members/{membership}/role"));

    // A member gives no roles; an administrator does.
    let by_member = dominique.put(&role_path(&elises), &json!({"role": "moderator"})).await;
    by_member.assert_error(StatusCode::FORBIDDEN, "moderators_only");
    camille.put(&role_path(&bertrands), &json!({"role": "chief"})).await.assert_field_error("role");
    let reply = camille.put(&role_path(&bertrands), &json!({"role": "moderator"})).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!((reply.json()["role"].as_str(), reply.json()["state"].as_str()), (Some("moderator"), Some("member")));
    let roles: Vec<(String, String)> = roster(&elise, "atelier").await.into_iter().map(|m| (m.0, m.1)).collect();
    assert_eq!(roles[..2], [("camille".into(), "administrator".into()), ("bertrand".into(), "moderator".into())]);

    // A moderator gives no roles, sees requests, excludes a member but not an administrator.
    let by_moderator = bertrand.put(&role_path(&dominiques), &json!({"role": "moderator"})).await;
    by_moderator.assert_error(StatusCode::FORBIDDEN, "administrators_only");
    assert!(
        by_moderator.json()["message"].as_str().unwrap().contains("administrateurs du collectif"),
        "{by_moderator:?}"
    );
    assert_eq!(bertrand.get(&path("atelier", "/requests")).await.status, StatusCode::OK);
    let admin = bertrand.delete(&path("atelier", &format!("/members/{camilles}"))).await;
    admin.assert_error(StatusCode::FORBIDDEN, "administrators_only");
    let reply =
        delete_with(&bertrand, &path("atelier", &format!("/members/{elises}")), &json!({"reason": "Parti"})).await;
    assert_eq!((reply.json()["state"].as_str(), reply.json()["reason"].as_str()), (Some("removed"), Some("Parti")));
    // A member excludes nobody.
    let by_member = dominique.delete(&path("atelier", &format!("/members/{bertrands}"))).await;
    by_member.assert_error(StatusCode::FORBIDDEN, "moderators_only");

    // The only administrator does not step down; nor does anyone get a role outside the collective.
    let down = camille.put(&role_path(&camilles), &json!({"role": "member"})).await;
    down.assert_error(StatusCode::CONFLICT, "last_administrator");
    let gone = camille.put(&role_path(&elises), &json!({"role": "moderator"})).await;
    gone.assert_error(StatusCode::CONFLICT, "membership_not_allowed");
    camille
        .put(&role_path(&"0".repeat(32)), &json!({"role": "moderator"}))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    let roles: Vec<(String, String)> = roster(&camille, "atelier").await.into_iter().map(|m| (m.0, m.1)).collect();
    let expected = [("camille", "administrator"), ("bertrand", "moderator"), ("dominique", "member")];
    assert_eq!(roles, expected.map(|(n, r)| (n.to_owned(), r.to_owned())));
    people.instance.stop().await;
}

#[tokio::test]
async fn on_invitation_only_an_invitation_lets_one_in() {
    let people = People::start().await;
    let camille = people.member("camille", Role::Member).await;
    let bertrand = people.member("bertrand", Role::Member).await;
    let dominique = people.member("dominique", Role::Member).await;
    people.create(&camille, &collective("atelier", "invitation", json!({}))).await;

    let uninvited =
        bertrand.post(&path("atelier", "/join"), &json!({"charter_version": 1, "answers": ["Fives"]})).await;
    uninvited.assert_error(StatusCode::FORBIDDEN, "invitation_only");
    assert_eq!(get(&bertrand, "atelier").await["membership"], Value::Null);

    // Only moderators invite, and only members of this instance who exist.
    let by_outsider = dominique.post(&path("atelier", "/invitations"), &json!({"address": "bertrand"})).await;
    by_outsider.assert_error(StatusCode::FORBIDDEN, "moderators_only");
    let nobody = camille.post(&path("atelier", "/invitations"), &json!({"address": "personne"})).await;
    nobody.assert_field_error("address");
    camille.post(&path("atelier", "/invitations"), &json!({"address": "a b"})).await.assert_field_error("address");
    let invited = camille.post(&path("atelier", "/invitations"), &json!({"address": "bertrand"})).await;
    assert_eq!(invited.status, StatusCode::CREATED, "{invited:?}");
    assert_eq!((invited.json()["state"].as_str(), invited.json()["role"].as_str()), (Some("invited"), Some("member")));
    let twice = camille.post(&path("atelier", "/invitations"), &json!({"address": "bertrand"})).await;
    twice.assert_error(StatusCode::CONFLICT, "membership_not_allowed");
    let waiting = camille.get(&path("atelier", "/requests")).await.json();
    assert_eq!(waiting["requests"], json!([]));
    let invitation = &waiting["invitations"][0];
    assert_eq!(invitation["username"], "bertrand");
    assert_eq!(invitation["id"], invited.json()["id"]);
    assert_eq!(invitation["invited_by"], people.actor("camille"));
    assert_eq!(get(&bertrand, "atelier").await["membership"]["state"], "invited");

    // The invitee accepts the charter, without the entry questions, and is a member.
    let without_charter = bertrand.post(&path("atelier", "/join"), &json!({})).await;
    without_charter.assert_field_error("charter_version");
    let joined = join(&bertrand, "atelier", 1, &[]).await;
    assert_eq!((joined["state"].as_str(), joined["charter_version"].as_i64()), (Some("member"), Some(1)));
    assert_eq!(camille.get(&path("atelier", "/requests")).await.json()["invitations"], json!([]));
    let members: Vec<String> = roster(&dominique, "atelier").await.into_iter().map(|m| m.0).collect();
    assert_eq!(members, ["camille", "bertrand"]);
    camille
        .post(&path("atelier", "/invitations"), &json!({"address": "bertrand"}))
        .await
        .assert_error(StatusCode::CONFLICT, "membership_not_allowed");
    people.instance.stop().await;
}

#[tokio::test]
async fn a_large_collective_gives_its_members_a_hundred_at_a_time() {
    let people = People::start().await;
    let camille = people.member("camille", Role::Member).await;
    people.create(&camille, &collective("atelier", "open", json!({}))).await;
    admit_remote_people(&people.instance, "atelier", 149).await;
    let base = people.instance.public_url();

    let first = people.instance.api().get(&path("atelier", "/members")).await;
    assert_eq!(first.status, StatusCode::OK, "{first:?}");
    let first = first.json();
    let items = first["items"].as_array().unwrap();
    assert_eq!(items.len(), 100);
    assert_eq!(items[0]["username"], "camille");
    assert_eq!(items[99]["actor"], "https://voisins.example/members/p98");
    let next = first["next"].as_str().unwrap();
    assert_eq!(next, format!("{base}api/v1/collectives/atelier/members?page=2"));
    let second =
        people.instance.api().get(next.strip_prefix(base.as_str()).map(|p| format!("/{p}")).unwrap().as_str()).await;
    let second = second.json();
    let items = second["items"].as_array().unwrap();
    assert_eq!(items.len(), 50);
    assert_eq!(items[0]["actor"], "https://voisins.example/members/p99");
    assert_eq!(items[49]["actor"], "https://voisins.example/members/p148");
    assert_eq!(second["next"], Value::Null);
    // Past the end, an empty page; by another address of the same collective, the same pages.
    let after = people.instance.api().get(&path("atelier", "/members?page=3")).await.json();
    assert_eq!(after["items"], json!([]));
    let domain = &people.instance.config.domain;
    let by_address = camille.get(&path(&format!("atelier@{domain}"), "/members")).await.json();
    assert_eq!(by_address["items"].as_array().unwrap().len(), 100);
    let encoded_domain = domain.replace(':', "%3A");
    assert_eq!(by_address["next"], format!("{base}api/v1/collectives/atelier%40{encoded_domain}/members?page=2"));

    // A page that is not a number from 1 to 10,000, or a parameter it does not know: refused.
    for query in ["page=0", "page=10001", "page=deux", "page=-1"] {
        let reply = camille.get(&path("atelier", &format!("/members?{query}"))).await;
        reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    }
    let unknown = camille.get(&path("atelier", "/members?per_page=500")).await;
    unknown.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_query");
}
