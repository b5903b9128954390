//! Collectives across three instances, over real HTTP: the collective is hosted on A, its members
//! are on A, B and C. A member of another instance finds it by its address, reads its charter and
//! asks to join from their own instance; the moderator on A admits them (while their instance is
//! down: it hears when it is back); their badge shows once the Group has confirmed it, on their
//! instance and on the third; a new charter is accepted across instances; leaving and exclusion
//! reach everyone; a private group invites a member of another instance and stays out of sight of
//! the rest; forged answers, replays and joins that do not hold change nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use common::collectives::{form, membership_after, until};
use common::fed::{Signing, domain, eventually, open_instance};
use common::{Browser, TestInstance, html_text};
use maillage_server::domain::member::Role;
use reqwest::StatusCode;
use serde_json::json;

/// `path` at `instance`'s public address (what its actors' ids and signatures name).
fn at(instance: &TestInstance, path: &str) -> String {
    format!("{}{}", instance.public_url(), path.trim_start_matches('/'))
}

async fn logged_in(instance: &TestInstance, username: &str) -> Browser {
    instance.create_member(username, Role::Member).await;
    let mut browser = instance.browser();
    browser.login_ok(username).await;
    browser
}

/// Finds A's collective from another instance by its address; returns its page's path there.
async fn look_up(browser: &mut Browser, address: &str) -> String {
    browser.get("/collectives").await;
    let found = browser.post("/collectives/lookup", &[("address", address)]).await;
    assert_eq!(found.status, StatusCode::SEE_OTHER, "{found:?}");
    found.location()
}

#[tokio::test]
async fn members_of_three_instances_join_a_collective_and_their_belonging_travels() {
    let a = open_instance().await;
    let mut b = open_instance().await;
    let c = open_instance().await;
    let (da, db) = (domain(&a), domain(&b));
    let mut lea = logged_in(&a, "lea").await;
    let mut malik = logged_in(&b, "malik").await;
    let mut nora = logged_in(&c, "nora").await;

    let created = lea
        .submit(
            "/collectives/new",
            "/collectives",
            &form("reparateurs_mel", "Réparateurs vélo de la MEL", "approval", "public"),
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{created:?}");
    let address = format!("!reparateurs_mel@{da}");

    // A wrong address says so; the right one leads to the collective's page on one's own instance.
    nora.get("/collectives").await;
    let unknown = nora.post("/collectives/lookup", &[("address", &format!("personne@{da}"))]).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY, "{unknown:?}");
    let page_c = look_up(&mut nora, &address).await;
    assert_eq!(page_c, format!("/collectives/reparateurs_mel@{da}"));
    let page = nora.get(&page_c).await;
    assert!(page.text.contains("<strong>sans jugement</strong>"), "the charter, read on C: {page:?}");
    assert!(html_text(&page.text).contains(&format!("lea@{da}")), "its members, as its collection lists them");

    // Nora asks from C: a request on A, told to its moderator; admitted, she is a member on C.
    let join = format!("{page_c}/join");
    let asked = nora
        .submit(
            &join,
            &join,
            &[("charter_version", "1"), ("accept", "on"), ("answer1", "Moulins"), ("message", "Bonjour !")],
        )
        .await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER, "{asked:?}");
    assert!(html_text(&nora.get(&page_c).await.text).contains("attend la réponse des modérateurs"));
    until("Nora's request reaches A", &mut lea, "/collectives/reparateurs_mel/members", |t| t.contains("Moulins"))
        .await;
    let members = lea.get("/collectives/reparateurs_mel/members").await;
    assert!(html_text(&members.text).contains("Bonjour !"), "her message, with her answers");
    let nora_id = membership_after(&members.text, "nora@");
    let admitted = lea.post(&format!("/collectives/reparateurs_mel/members/{nora_id}/approve"), &[]).await;
    assert_eq!(admitted.status, StatusCode::SEE_OTHER, "{admitted:?}");
    until("the Group's Accept reaches C", &mut nora, &page_c, |t| t.contains("Vous êtes membre de ce collectif")).await;
    assert!(html_text(&c.browser().get("/members/nora").await.text).contains("charte v1 acceptée"), "her badge on C");

    // Malik asks from B; no badge before the Group has said yes.
    let page_b = look_up(&mut malik, &address).await;
    let join_b = format!("{page_b}/join");
    let asked =
        malik.submit(&join_b, &join_b, &[("charter_version", "1"), ("accept", "on"), ("answer1", "Fives")]).await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER, "{asked:?}");
    assert!(!html_text(&b.browser().get("/members/malik").await.text).contains("Réparateurs vélo"), "no badge yet");
    until("Malik's request reaches A", &mut lea, "/collectives/reparateurs_mel/members", |t| t.contains("Fives")).await;

    // B is down while A admits him: B hears it when it is back.
    let malik_id = membership_after(&lea.get("/collectives/reparateurs_mel/members").await.text, "malik@");
    let paused = b.pause().await;
    let admitted = lea.post(&format!("/collectives/reparateurs_mel/members/{malik_id}/approve"), &[]).await;
    assert_eq!(admitted.status, StatusCode::SEE_OTHER, "{admitted:?}");
    b = paused.resume().await;
    let mut malik = b.browser();
    malik.login_ok("malik").await;
    eventually("B hears of Malik's admission once back", || async {
        html_text(&b.browser().get("/members/malik").await.text).contains("Réparateurs vélo de la MEL")
    })
    .await;
    // C, which has a member there, hears it too: Malik shows among the members on C.
    // (Named by his handle once C has read his actor, by his address until then.)
    let malik_named = [format!("malik@{db}"), format!("{db}/members/malik")];
    until("C hears that Malik is a member", &mut nora, &page_c, |t| malik_named.iter().any(|n| t.contains(n))).await;

    // A forged answer (signed by Nora, not by the Group) is refused and changes nothing.
    let forged = Signing::as_member(&c, "nora")
        .await
        .post(
            &at(&b, "/inbox"),
            &json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "type": "Reject",
                "id": at(&c, "/activities/forged-reject"),
                "actor": at(&c, "/members/nora"),
                "object": {"type": "Join", "id": at(&b, "/activities/join-0123"), "actor": at(&b, "/members/malik"),
                           "object": at(&c, "/members/nora")},
            }),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{forged:?}");
    assert!(html_text(&b.browser().get("/members/malik").await.text).contains("Réparateurs vélo de la MEL"));

    // A new charter: B and C are told, Malik accepts it from B, A records it, his badge says so.
    let mut changed = form("", "Réparateurs vélo de la MEL", "approval", "public");
    changed.remove(0);
    changed[4] = ("charter", "# Charte\n\nNous réparons sans jugement. **Nouveau** : une permanence par mois.");
    changed.push(("charter_version", "1"));
    lea.get("/collectives/reparateurs_mel/edit").await;
    let saved = lea.post("/collectives/reparateurs_mel/edit", &changed).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{saved:?}");
    until("B hears of the new charter", &mut malik, &page_b, |t| t.contains("La charte a changé (version 2)")).await;
    let accepted = malik.post(&format!("{page_b}/accept-charter"), &[("version", "2")]).await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{accepted:?}");
    eventually("A records Malik's acceptance, and B shows it", || async {
        html_text(&b.browser().get("/members/malik").await.text).contains("charte v2 acceptée")
    })
    .await;
    let members = lea.get("/collectives/reparateurs_mel/members").await.text;
    let row = members.split(&format!("malik@{db}")).nth(1).unwrap().split("</tr>").next().unwrap();
    assert!(row.contains("version 2") && !row.contains("charte à accepter"), "A shows who has accepted: {row}");

    // Malik leaves from B: his badge goes at once; A and C hear of it.
    let left = malik.post(&format!("{page_b}/leave"), &[]).await;
    assert_eq!(left.status, StatusCode::SEE_OTHER, "{left:?}");
    assert!(!html_text(&b.browser().get("/members/malik").await.text).contains("Réparateurs vélo"));
    let malik_at_b = format!("malik@{db}");
    until("A hears that Malik left", &mut lea, "/collectives/reparateurs_mel/members", |t| !t.contains(&malik_at_b))
        .await;
    until("C hears that Malik left", &mut nora, &page_c, |t| !t.contains(&malik_at_b)).await;

    // Nora is excluded, with a reason she reads on C.
    let members = lea.get("/collectives/reparateurs_mel/members").await;
    let nora_id = membership_after(&members.text, "nora@");
    let removed = lea
        .post(&format!("/collectives/reparateurs_mel/members/{nora_id}/remove"), &[("reason", "Absente depuis un an")])
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{removed:?}");
    until("C hears of Nora's exclusion", &mut nora, &page_c, |t| {
        t.contains("exclu·e") && t.contains("Absente depuis un an")
    })
    .await;
    assert!(!html_text(&c.browser().get("/members/nora").await.text).contains("Réparateurs vélo"));
}

#[tokio::test]
async fn joins_that_do_not_hold_are_refused_and_replays_change_nothing() {
    let a = open_instance().await;
    let b = open_instance().await;
    let da = domain(&a);
    let mut lea = logged_in(&a, "lea").await;
    let mut malik = logged_in(&b, "malik").await;
    lea.submit("/collectives/new", "/collectives", &form("atelier", "Atelier", "approval", "public")).await;
    // Malik's instance learns of him (his key) by looking the collective up.
    look_up(&mut malik, &format!("atelier@{da}")).await;
    eventually("Malik has a key pair", || async {
        let member = maillage_server::services::accounts::find(b.db(), "malik").await.unwrap().unwrap();
        maillage_server::storage::keys::keys(
            &mut b.db().conn().await.unwrap(),
            maillage_server::domain::actor::ActorKey::Member(&member.id),
        )
        .await
        .unwrap()
        .is_some()
    })
    .await;
    let signing = Signing::as_member(&b, "malik").await;
    let inbox = format!("{}collectives/atelier/inbox", a.public_url());
    let join = |id: &str, version: i64, answers: serde_json::Value| {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "type": "Join",
            "id": at(&b, &format!("/activities/join-{id}")),
            "actor": at(&b, "/members/malik"),
            "object": at(&a, "/collectives/atelier"),
            "maillage:charterVersion": version,
            "maillage:answers": answers,
            "content": "Bonjour",
        })
    };
    // For an old charter version, without the answers, without the charter at all: refused.
    let old = signing.post(&inbox, &join("old", 0, json!(["Fives"]))).await;
    assert!(old.status.is_client_error(), "{old:?}");
    let stale = signing.post(&inbox, &join("stale", 2, json!(["Fives"]))).await;
    assert_eq!(stale.status, StatusCode::BAD_REQUEST, "{stale:?}");
    let unanswered = signing.post(&inbox, &join("unanswered", 1, json!([]))).await;
    assert_eq!(unanswered.status, StatusCode::BAD_REQUEST, "{unanswered:?}");
    let page = html_text(&lea.get("/collectives/atelier/members").await.text);
    assert!(!page.contains("malik@"), "nothing stored: {page}");

    // A good one: a request. The same again (a replay) changes nothing; another while waiting is refused.
    let good = join("good", 1, json!(["Fives"]));
    assert_eq!(signing.post(&inbox, &good).await.status, StatusCode::ACCEPTED);
    assert_eq!(signing.post(&inbox, &good).await.status, StatusCode::ACCEPTED);
    let again = signing.post(&inbox, &join("again", 1, json!(["Fives"]))).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "{again:?}");
    let members = html_text(&lea.get("/collectives/atelier/members").await.text);
    assert!(members.contains("Demandes d'adhésion (1)"), "{members}");

    // A Join as other software sends it (Mobilizon's: a message, no charter): even where admission
    // is open, a request for the moderators, from someone who has accepted no charter.
    lea.submit("/collectives/new", "/collectives", &form("libre", "Libre", "open", "public")).await;
    let foreign = json!({
        "@context": "https://www.w3.org/ns/activitystreams", "type": "Join",
        "id": at(&b, "/activities/join-foreign"), "actor": at(&b, "/members/malik"),
        "object": at(&a, "/collectives/libre"), "participationMessage": "Je voudrais participer.",
    });
    let asked = signing.post(&format!("{}collectives/libre/inbox", a.public_url()), &foreign).await;
    assert_eq!(asked.status, StatusCode::ACCEPTED, "{asked:?}");
    let members = html_text(&lea.get("/collectives/libre/members").await.text);
    assert!(members.contains("Demandes d'adhésion (1)") && members.contains("Je voudrais participer."), "{members}");

    // A Join of a private collective by someone not invited: refused, and it stays unseen.
    lea.submit("/collectives/new", "/collectives", &form("prive", "Privé", "invitation", "private")).await;
    let private = json!({
        "@context": "https://www.w3.org/ns/activitystreams", "type": "Join",
        "id": at(&b, "/activities/join-private"), "actor": at(&b, "/members/malik"),
        "object": at(&a, "/collectives/prive"), "maillage:charterVersion": 1,
    });
    let refused = signing.post(&format!("{}collectives/prive/inbox", a.public_url()), &private).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{refused:?}");
    let unsigned = reqwest::Client::new()
        .get(at(&a, "/collectives/prive"))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), StatusCode::NOT_FOUND);
    assert_eq!(signing.get(&format!("{}collectives/prive", a.public_url())).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        signing.get(&format!("{}collectives/prive/members", a.public_url())).await.status,
        StatusCode::NOT_FOUND
    );
    let webfinger = a.api().get(&format!("/.well-known/webfinger?resource=acct:prive@{da}")).await;
    assert_eq!(webfinger.status, StatusCode::NOT_FOUND);
    let public = a.api().get(&format!("/.well-known/webfinger?resource=acct:atelier@{da}")).await;
    assert_eq!(public.status, StatusCode::OK, "{public:?}");
    // Following a public collective (as Lemmy's users follow a community) is accepted: it is for
    // what the collective announces, not a membership. A private one is not there to follow.
    let follow = |object: &str, id: &str| {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams", "type": "Follow",
            "id": at(&b, &format!("/activities/follow-{id}")), "actor": at(&b, "/members/malik"),
            "object": at(&a, object),
        })
    };
    let followed = signing.post(&inbox, &follow("/collectives/atelier", "public")).await;
    assert_eq!(followed.status, StatusCode::ACCEPTED, "{followed:?}");
    let followers = signing.get(&format!("{}collectives/atelier/followers", a.public_url())).await;
    assert_eq!(followers.json()["totalItems"], 1, "{followers:?}");
    let private_follow = signing.post(&inbox, &follow("/collectives/prive", "private")).await;
    assert_eq!(private_follow.status, StatusCode::BAD_REQUEST, "{private_follow:?}");

    let group = signing.get(&format!("{}collectives/atelier", a.public_url())).await;
    assert_eq!(group.json()["type"], "Group", "{group:?}");
    assert_eq!(group.json()["maillage:charterVersion"], 1);
}

#[tokio::test]
async fn a_private_group_invites_a_member_of_another_instance() {
    let a = open_instance().await;
    let b = open_instance().await;
    let c = open_instance().await;
    let (da, db) = (domain(&a), domain(&b));
    let mut mairie = logged_in(&a, "mairie").await;
    let mut voirie = logged_in(&b, "voirie").await;
    let mut curieux = logged_in(&c, "curieux").await;
    let created = mairie
        .submit(
            "/collectives/new",
            "/collectives",
            &form("pret_services", "Prêt entre services", "invitation", "private"),
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{created:?}");

    // Nobody finds it from outside.
    curieux.get("/collectives").await;
    let hidden = curieux.post("/collectives/lookup", &[("address", &format!("pret_services@{da}"))]).await;
    assert!(hidden.status.is_client_error(), "{hidden:?}");

    // Invited from A, Voirie sees the invitation on B, accepts the charter there, and belongs.
    mairie.get("/collectives/pret_services/members").await;
    let invited = mairie.post("/collectives/pret_services/invitations", &[("address", &format!("voirie@{db}"))]).await;
    assert_eq!(invited.status, StatusCode::SEE_OTHER, "{invited:?}");
    let page_b = format!("/collectives/pret_services@{da}");
    until("B hears of the invitation", &mut voirie, &page_b, |t| t.contains("Vous êtes invité·e")).await;
    let join = format!("{page_b}/join");
    let form = voirie.get(&join).await;
    assert!(!form.text.contains("name=\"answer1\""), "an invited person is not asked the entry questions");
    let accepted = voirie.post(&join, &[("charter_version", "1"), ("accept", "on")]).await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{accepted:?}");
    until("Voirie is a member", &mut voirie, &page_b, |t| t.contains("Vous êtes membre de ce collectif")).await;
    // Its badge shows to Voirie's fellow members only, not to a visitor.
    assert!(!html_text(&b.browser().get("/members/voirie").await.text).contains("Prêt entre services"));
    assert!(html_text(&voirie.get("/members/voirie").await.text).contains("Prêt entre services"));
    // C still sees nothing of it.
    let still_hidden = curieux.post("/collectives/lookup", &[("address", &format!("pret_services@{da}"))]).await;
    assert!(still_hidden.status.is_client_error(), "{still_hidden:?}");

    // Voirie lends a trailer inside the group, from B: the town's services on A have it; nobody
    // else — not another member of B, not C, not a visitor, not by its address.
    let voirie_token = b.api_token("voirie").await;
    let on_b = b.api().token(&voirie_token);
    let group = on_b.get(&format!("/api/v1/collectives/pret_services@{da}")).await.json();
    let inside = json!({"visibility": "collective", "collective": group["id"], "mode": "lend"});
    let trailer = b.listing(&voirie_token, common::listing_body("Remorque plateau de la voirie", inside)).await;
    let mairie_token = a.api_token("mairie").await;
    eventually("the town hall has the trailer", || async {
        let found = a.api().token(&mairie_token).search(&[("scope", "collectives")]).await.json();
        common::titles(&found).contains(&"Remorque plateau de la voirie".to_owned())
    })
    .await;
    let someone_on_b = b.member_with_token("voisin", Role::Member).await;
    let curieux_token = c.api_token("curieux").await;
    for (instance, token) in [(&b, Some(&someone_on_b)), (&c, Some(&curieux_token)), (&a, None), (&b, None)] {
        let api = match token {
            Some(token) => instance.api().token(token),
            None => instance.api(),
        };
        let titles = common::titles(&api.search(&[("q", "remorque")]).await.json());
        assert!(!titles.contains(&"Remorque plateau de la voirie".to_owned()), "{titles:?}");
    }
    let by_id =
        b.api().token(&someone_on_b).get(&format!("/api/v1/listings/{}", trailer["id"].as_str().unwrap())).await;
    assert_eq!(by_id.status, StatusCode::NOT_FOUND, "{by_id:?}");
    let outbox = b.activity_json("/members/voirie/outbox?page=true").await;
    assert!(!outbox.to_string().contains("Remorque"), "{outbox}");
}

#[tokio::test]
async fn a_listing_published_to_a_collective_reaches_its_members_on_every_instance_and_no_one_else() {
    use common::listing_body;
    let a = open_instance().await;
    let b = open_instance().await;
    let c = open_instance().await;
    let da = domain(&a);
    let mut lea = logged_in(&a, "lea").await;
    let mut malik = logged_in(&b, "malik").await;
    let mut nora = logged_in(&c, "nora").await;
    let lea_token = a.api_token("lea").await;
    let malik_token = b.api_token("malik").await;
    let nora_token = c.api_token("nora").await;
    let carole_token = c.member_with_token("carole", Role::Member).await;
    let mut open = form("atelier", "Atelier partagé", "open", "public");
    open.retain(|(k, _)| *k != "question1");
    let created = lea.submit("/collectives/new", "/collectives", &open).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{created:?}");
    let address = format!("atelier@{da}");
    for (browser, name) in [(&mut malik, "malik"), (&mut nora, "nora")] {
        let page = look_up(browser, &address).await;
        let join = format!("{page}/join");
        let joined = browser.submit(&join, &join, &[("charter_version", "1"), ("accept", "on")]).await;
        assert_eq!(joined.status, StatusCode::SEE_OTHER, "{name}: {joined:?}");
        until(&format!("{name} is a member"), browser, &page, |t| t.contains("Vous êtes membre de ce collectif")).await;
    }
    // C knows Malik is a member (the Group's Add) before he publishes.
    let page_c = format!("/collectives/{address}");
    let malik_named = [format!("malik@{}", domain(&b)), format!("{}/members/malik", domain(&b))];
    until("C hears of Malik", &mut nora, &page_c, |t| malik_named.iter().any(|n| t.contains(n))).await;

    // Malik publishes on B to A's collective: A keeps it and its Group announces it to C.
    let on_b = b.api().token(&malik_token);
    let copy = on_b.get(&format!("/api/v1/collectives/{address}")).await.json();
    let to_collective = json!({"visibility": "collective", "collective": copy["id"]});
    let pump = b.listing(&malik_token, listing_body("Pompe à pied d'atelier", to_collective)).await;
    let has = |instance: &TestInstance, token: &str| {
        let api = instance.api().token(token);
        async move { common::titles(&api.search(&[("scope", "collectives")]).await.json()) }
    };
    eventually("A keeps Malik's listing for the collective", || async {
        has(&a, &lea_token).await.contains(&"Pompe à pied d'atelier".to_owned())
    })
    .await;
    eventually("C has it through the Group's Announce", || async {
        has(&c, &nora_token).await.contains(&"Pompe à pied d'atelier".to_owned())
    })
    .await;
    // Nobody else: Carole on C, a visitor on A.
    assert!(
        !common::titles(&c.api().token(&carole_token).search(&[]).await.json())
            .contains(&"Pompe à pied d'atelier".to_owned())
    );
    assert!(!common::titles(&a.api().search(&[]).await.json()).contains(&"Pompe à pied d'atelier".to_owned()));

    // Lea publishes on A: B and C have it.
    let a_copy = a.api().token(&lea_token).get("/api/v1/collectives/atelier").await.json();
    let stand = json!({"visibility": "collective", "collective": a_copy["id"]});
    a.listing(&lea_token, listing_body("Pied d'atelier à partager", stand)).await;
    eventually("B and C have Lea's listing", || async {
        has(&b, &malik_token).await.contains(&"Pied d'atelier à partager".to_owned())
            && has(&c, &nora_token).await.contains(&"Pied d'atelier à partager".to_owned())
    })
    .await;

    // Malik proposes an exchange on Lea's listing from B: it reaches Lea on A, as on any listing.
    let lea_listing = common::titles(&on_b.search(&[("scope", "collectives")]).await.json());
    assert!(lea_listing.contains(&"Pied d'atelier à partager".to_owned()));
    let found = on_b.search(&[("scope", "collectives"), ("q", "pied")]).await.json();
    let on_b_id = found["items"][0]["id"].as_str().unwrap().to_owned();
    let proposed = on_b
        .post("/api/v1/exchanges", &json!({"listing_id": on_b_id, "message": "Je peux l'emprunter samedi ?"}))
        .await;
    assert_eq!(proposed.status, StatusCode::CREATED, "{proposed:?}");
    eventually("Lea receives Malik's question", || async {
        let items = a.api().token(&lea_token).get("/api/v1/exchanges").await.json();
        items["items"].as_array().is_some_and(|i| !i.is_empty())
    })
    .await;

    // Only the collective's moderators, where it is hosted, take a listing out of it: not Malik on B.
    let on_a = a.api().token(&lea_token);
    let found = on_a.search(&[("scope", "collectives"), ("q", "pompe")]).await.json();
    let pump_on_a = found["items"][0]["id"].as_str().unwrap().to_owned();
    malik.get(&format!("/listings/{on_b_id}")).await;
    let refused = malik.post(&format!("/listings/{on_b_id}/take-out"), &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{refused:?}");
    // Lea takes Malik's listing out: gone from A and C; on B it stays, for B's members alone.
    let page = lea.get(&format!("/listings/{pump_on_a}")).await;
    assert!(html_text(&page.text).contains("Retirer du collectif"), "{}", html_text(&page.text));
    let taken = lea.post(&format!("/listings/{pump_on_a}/take-out"), &[]).await;
    assert_eq!(taken.status, StatusCode::SEE_OTHER, "{taken:?}");
    eventually("the pump leaves the collective everywhere", || async {
        let on_b = b.api().token(&malik_token).get(&format!("/api/v1/listings/{}", pump["id"].as_str().unwrap())).await;
        !has(&a, &lea_token).await.contains(&"Pompe à pied d'atelier".to_owned())
            && !has(&c, &nora_token).await.contains(&"Pompe à pied d'atelier".to_owned())
            && on_b.json()["visibility"] == "instance"
    })
    .await;

    // Malik deletes his: gone on A and on C.
    let deleted = on_b.delete(&format!("/api/v1/listings/{}", pump["id"].as_str().unwrap())).await;
    assert!(deleted.status.is_success(), "{deleted:?}");
    eventually("A and C drop Malik's listing", || async {
        !has(&a, &lea_token).await.contains(&"Pompe à pied d'atelier".to_owned())
            && !has(&c, &nora_token).await.contains(&"Pompe à pied d'atelier".to_owned())
    })
    .await;

    // The Group announcing the listing of someone who is not a member: refused on C.
    let collective = maillage_server::storage::collectives::local_by_name(
        &mut a.db().conn().await.unwrap(),
        &maillage_server::domain::collective::CollectiveName::parse("atelier").unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let (_, key) = maillage_server::storage::keys::keys(
        &mut a.db().conn().await.unwrap(),
        maillage_server::domain::actor::ActorKey::Collective(&collective.id),
    )
    .await
    .unwrap()
    .unwrap();
    let group = at(&a, "/collectives/atelier");
    // (A person of B's who is no member of it.)
    let carole = at(&b, "/members/bruno");
    let forged = Signing::new(&format!("{group}#main-key"), &key)
        .post(&at(&c, "/inbox"), &json!({
            "@context": "https://www.w3.org/ns/activitystreams", "type": "Announce",
            "id": at(&a, "/activities/forged-announce"), "actor": group,
            "object": {"type": "Create", "id": at(&b, "/listings/x#create"), "actor": carole,
                       "object": {"type": "Note", "id": at(&b, "/listings/x"), "attributedTo": carole, "content": "…"}},
        }))
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{forged:?}");
}
