//! Collectives hosted on one instance, through the pages as members click through them: a repairer
//! creates a collective with a charter, entry criteria and questions; another asks to join (the
//! charter accepted, the questions answered), is admitted by the moderator, who saw the request in
//! the menu; the badge shows on the member's profile; a new charter is asked of every member; an
//! exclusion and a refusal say why; a private group is seen by its members alone, and admits on
//! invitation only; a large collective shows its first members and pages the rest; bad input
//! changes nothing. Emails go through a real SMTP server.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use common::collectives::{admit_remote_people, form, membership_after};
use common::smtp::SmtpServer;
use common::{TestInstance, html_text};
use maillage_server::config::{CollectiveCreation, Config, EmailSecurity};
use maillage_server::domain::member::Role;
use reqwest::StatusCode;

fn with_smtp(config: &mut Config, port: u16) {
    config.email.host = "localhost".to_owned();
    config.email.port = port;
    config.email.security = EmailSecurity::None;
    config.email.from = "Atelier <ne-pas-repondre@atelier.example.org>".to_owned();
}

async fn give_address(instance: &TestInstance, username: &str, email: &str) {
    let mut browser = instance.browser();
    browser.login_ok(username).await;
    let page = format!("/members/{username}/notifications");
    let saved = browser.submit(&page, &page, &[("email", email), ("notify", "on")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{saved:?}");
}

/// The number in the menu beside « Collectifs » (0 when there is none).
fn menu_count(html: &str) -> i64 {
    let Some(start) = html.find("href=\"/collectives\">") else { return 0 };
    let link = &html[start..html[start..].find("</a>").map_or(html.len(), |end| start + end)];
    link.rsplit("</span>").nth(1).and_then(|s| s.rsplit('>').next()).and_then(|n| n.trim().parse().ok()).unwrap_or(0)
}

#[tokio::test]
async fn a_repairer_asks_to_join_is_admitted_and_wears_the_badge() {
    let smtp = SmtpServer::start();
    let port = smtp.port;
    let instance = TestInstance::start_with(move |config| with_smtp(config, port)).await;
    instance.create_member("lea", Role::Member).await;
    instance.create_member("malik", Role::Member).await;
    give_address(&instance, "lea", "lea@example.org").await;
    give_address(&instance, "malik", "malik@example.org").await;

    // Léa creates the collective: its page, its address, its charter as formatted text.
    let mut lea = instance.browser();
    lea.login_ok("lea").await;
    let fields = form("reparateurs_mel", "Collectif des réparateurs vélo de la MEL", "approval", "public");
    let created = lea.submit("/collectives/new", "/collectives", &fields).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{created:?}");
    assert!(created.location().starts_with("/collectives/reparateurs_mel?done=collective_created"));
    let page = lea.follow(&created).await;
    let text = html_text(&page.text);
    assert!(text.contains("!reparateurs_mel@"), "{text}");
    assert!(page.text.contains("<strong>sans jugement</strong>"), "the charter is formatted");
    assert!(text.contains("Vous êtes membre de ce collectif") && text.contains("administrateur·rice"), "{text}");

    // The same name again, or a member's username: refused on the form, what was typed kept.
    let taken = lea.submit("/collectives/new", "/collectives", &fields).await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{taken:?}");
    assert!(html_text(&taken.text).contains("Ce nom est déjà pris"));
    let as_member = form("malik", "Malik", "open", "public");
    let taken = lea.submit("/collectives/new", "/collectives", &as_member).await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{taken:?}");
    // A collective's name cannot be taken by a new member either.
    let mut newcomer = instance.browser();
    let registered = newcomer.register("reparateurs_mel", "un mot de passe assez long").await;
    assert_eq!(registered.status, StatusCode::UNPROCESSABLE_ENTITY, "{registered:?}");
    assert!(html_text(&registered.text).contains("Cet identifiant est déjà pris"));

    // A charter with a script: refused, nothing created.
    let mut scripted = form("scripts", "Scripts", "open", "public");
    scripted[5] = ("charter", "Bienvenue <script>alert(1)</script>");
    let refused = lea.submit("/collectives/new", "/collectives", &scripted).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{refused:?}");
    assert!(html_text(&refused.text).contains("scripts"), "{}", html_text(&refused.text));
    assert_eq!(instance.browser().get("/collectives/scripts").await.status, StatusCode::NOT_FOUND);

    // Malik asks to join: without ticking the charter, refused and nothing asked; then properly.
    let mut malik = instance.browser();
    malik.login_ok("malik").await;
    let join = "/collectives/reparateurs_mel/join";
    let unticked =
        malik.submit(join, join, &[("charter_version", "1"), ("answer1", "Fives"), ("message", "Bonjour")]).await;
    assert_eq!(unticked.status, StatusCode::UNPROCESSABLE_ENTITY, "{unticked:?}");
    assert!(html_text(&unticked.text).contains("Cochez que vous acceptez la charte"));
    assert!(html_text(&unticked.text).contains("Bonjour"), "what was typed is kept");
    let asked = malik
        .submit(
            join,
            join,
            &[
                ("charter_version", "1"),
                ("accept", "on"),
                ("answer1", "L'atelier de Fives"),
                ("message", "Bonjour, je répare depuis dix ans."),
            ],
        )
        .await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER, "{asked:?}");
    let page = malik.follow(&asked).await;
    assert!(html_text(&page.text).contains("attend la réponse des modérateurs"), "{}", html_text(&page.text));
    let twice = malik.submit(join, join, &[("charter_version", "1"), ("accept", "on"), ("answer1", "Fives")]).await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{twice:?}");

    // Léa sees it waiting in the menu and by email, reads the answers and admits Malik.
    let page = lea.get("/collectives").await;
    assert_eq!(menu_count(&page.text), 1, "{}", page.text);
    let mails = smtp.wait_for("lea@example.org", 1).await;
    assert_eq!(mails[0].subject(), "Demande d'adhésion à Collectif des réparateurs vélo de la MEL", "{mails:?}");
    assert!(mails[0].body().contains("malik (test) demande à rejoindre"), "{}", mails[0].body());
    let members = lea.get("/collectives/reparateurs_mel/members").await;
    let text = html_text(&members.text);
    assert!(text.contains("Dans quel atelier réparez-vous ?") && text.contains("L'atelier de Fives"), "{text}");
    let request_id = membership_after(&members.text, "href=\"/members/malik\"");
    // Malik cannot decide his own request.
    malik.get("/collectives/reparateurs_mel").await;
    let forged = malik.post(&format!("/collectives/reparateurs_mel/members/{request_id}/approve"), &[]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{forged:?}");
    let admitted = lea.post(&format!("/collectives/reparateurs_mel/members/{request_id}/approve"), &[]).await;
    assert_eq!(admitted.status, StatusCode::SEE_OTHER, "{admitted:?}");
    assert_eq!(menu_count(&lea.get("/collectives").await.text), 0);
    let mails = smtp.wait_for("malik@example.org", 1).await;
    assert_eq!(mails[0].subject(), "Bienvenue dans Collectif des réparateurs vélo de la MEL", "{mails:?}");

    // The badge on Malik's profile, for anyone: the collective, since when, the charter accepted.
    let profile = html_text(&instance.browser().get("/members/malik").await.text);
    assert!(profile.contains("Collectif des réparateurs vélo de la MEL"), "{profile}");
    assert!(profile.contains("charte v1 acceptée"), "{profile}");
    assert!(profile.contains("membre depuis le"), "the cooperative and since when: {profile}");

    // A new charter: a new version, the first still readable, Malik asked to accept it.
    let edit = lea.get("/collectives/reparateurs_mel/edit").await;
    assert_eq!(edit.status, StatusCode::OK);
    let mut changed = form("", "Collectif des réparateurs vélo de la MEL", "approval", "public");
    changed.remove(0);
    changed[4] = ("charter", "# Charte\n\nNous réparons sans jugement. **Nouveau** : une permanence par mois.");
    changed.push(("charter_version", "1"));
    let saved = lea.post("/collectives/reparateurs_mel/edit", &changed).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{saved:?}");
    // The same form read at version 1 again: refused, version 2 stays.
    let stale = lea.post("/collectives/reparateurs_mel/edit", &changed).await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{stale:?}");
    let old = html_text(&instance.browser().get("/collectives/reparateurs_mel/charter?version=1").await.text);
    assert!(old.contains("transmettons nos savoirs") && old.contains("ancienne version"), "{old}");
    let page = malik.get("/collectives/reparateurs_mel").await;
    assert!(html_text(&page.text).contains("La charte a changé (version 2)"));
    assert_eq!(menu_count(&page.text), 1);
    let mails = smtp.wait_for("malik@example.org", 2).await;
    assert!(mails.iter().any(|m| m.subject().starts_with("La charte de Collectif")), "{mails:?}");
    let lines = html_text(&lea.get("/collectives/reparateurs_mel/members").await.text);
    assert!(lines.contains("charte à accepter"), "the collective shows who has not: {lines}");
    let accepted = malik.post("/collectives/reparateurs_mel/accept-charter", &[("version", "2")]).await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{accepted:?}");
    assert!(html_text(&instance.browser().get("/members/malik").await.text).contains("charte v2 acceptée"));

    // Léa, the only administrator, cannot leave; Malik made administrator, she can.
    let stays = lea.post("/collectives/reparateurs_mel/leave", &[]).await;
    assert_eq!(stays.status, StatusCode::CONFLICT, "{stays:?}");
    let role = lea
        .post(&format!("/collectives/reparateurs_mel/members/{request_id}/role"), &[("role", "administrator")])
        .await;
    assert_eq!(role.status, StatusCode::SEE_OTHER, "{role:?}");
    lea.get("/collectives/reparateurs_mel").await;
    let left = lea.post("/collectives/reparateurs_mel/leave", &[]).await;
    assert_eq!(left.status, StatusCode::SEE_OTHER, "{left:?}");
    assert!(!html_text(&instance.browser().get("/members/lea").await.text).contains("réparateurs vélo"), "badge gone");
}

#[tokio::test]
async fn refusals_and_exclusions_say_why_and_an_excluded_member_does_not_walk_back_in() {
    let instance = TestInstance::start().await;
    for name in ["lea", "malik", "nora"] {
        instance.create_member(name, Role::Member).await;
    }
    let mut lea = instance.browser();
    lea.login_ok("lea").await;
    let created =
        lea.submit("/collectives/new", "/collectives", &form("atelier_libre", "Atelier libre", "open", "public")).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{created:?}");

    // Open admission: Malik is a member at once.
    let mut malik = instance.browser();
    malik.login_ok("malik").await;
    let join = "/collectives/atelier_libre/join";
    let joined = malik.submit(join, join, &[("charter_version", "1"), ("accept", "on"), ("answer1", "Wazemmes")]).await;
    assert_eq!(joined.status, StatusCode::SEE_OTHER, "{joined:?}");
    assert!(joined.location().contains("collective_joined"));

    // Excluded with a reason he reads; asking again makes a request, not a membership.
    let members = lea.get("/collectives/atelier_libre/members").await;
    let malik_id = membership_after(&members.text, "href=\"/members/malik\"");
    let removed = lea
        .post(&format!("/collectives/atelier_libre/members/{malik_id}/remove"), &[("reason", "Absent depuis un an")])
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{removed:?}");
    let page = html_text(&malik.get("/collectives/atelier_libre").await.text);
    assert!(page.contains("exclu·e") && page.contains("Absent depuis un an"), "{page}");
    let again = malik.submit(join, join, &[("charter_version", "1"), ("accept", "on"), ("answer1", "Wazemmes")]).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{again:?}");
    assert!(again.location().contains("collective_join_requested"), "{}", again.location());

    // Refused with a reason.
    let members = lea.get("/collectives/atelier_libre/members").await;
    assert!(html_text(&members.text).contains("Demandes d'adhésion (1)"));
    let refused = lea
        .post(
            &format!("/collectives/atelier_libre/members/{malik_id}/refuse"),
            &[("reason", "Revenez nous voir à la permanence")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER, "{refused:?}");
    let page = html_text(&malik.get("/collectives/atelier_libre").await.text);
    assert!(page.contains("n'a pas été acceptée") && page.contains("Revenez nous voir"), "{page}");
    // Deciding twice changes nothing.
    let twice = lea.post(&format!("/collectives/atelier_libre/members/{malik_id}/approve"), &[]).await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{twice:?}");
    assert!(!html_text(&instance.browser().get("/members/malik").await.text).contains("Atelier libre"));

    // A moderator excludes members but not administrators, and does not change roles.
    let mut nora = instance.browser();
    nora.login_ok("nora").await;
    nora.submit(
        "/collectives/atelier_libre/join",
        join,
        &[("charter_version", "1"), ("accept", "on"), ("answer1", "Moulins")],
    )
    .await;
    let members = lea.get("/collectives/atelier_libre/members").await;
    let nora_id = membership_after(&members.text, "href=\"/members/nora\"");
    let lea_id = membership_after(&members.text, "href=\"/members/lea\"");
    let made = lea.post(&format!("/collectives/atelier_libre/members/{nora_id}/role"), &[("role", "moderator")]).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{made:?}");
    nora.get("/collectives/atelier_libre/members").await;
    let not_admin = nora.post(&format!("/collectives/atelier_libre/members/{lea_id}/remove"), &[("reason", "")]).await;
    assert_eq!(not_admin.status, StatusCode::FORBIDDEN, "{not_admin:?}");
    let not_roles =
        nora.post(&format!("/collectives/atelier_libre/members/{nora_id}/role"), &[("role", "administrator")]).await;
    assert_eq!(not_roles.status, StatusCode::FORBIDDEN, "{not_roles:?}");
}

#[tokio::test]
async fn a_private_group_is_seen_by_its_members_alone_and_admits_on_invitation() {
    let instance = TestInstance::start().await;
    for name in ["services_ville", "voirie", "curieux"] {
        instance.create_member(name, Role::Member).await;
    }
    let mut admin = instance.browser();
    admin.login_ok("services_ville").await;
    // Private with approval: refused, since nobody outside could ask.
    let wrong = form("pret_mairie", "Prêt entre services", "approval", "private");
    let refused = admin.submit("/collectives/new", "/collectives", &wrong).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{refused:?}");
    assert!(html_text(&refused.text).contains("seulement sur invitation"));
    let fields = form("pret_mairie", "Prêt entre services", "invitation", "private");
    let created = admin.submit("/collectives/new", "/collectives", &fields).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{created:?}");

    // Nothing of it outside: not listed, its pages not found, no badge.
    let mut curieux = instance.browser();
    curieux.login_ok("curieux").await;
    assert!(!html_text(&curieux.get("/collectives").await.text).contains("Prêt entre services"));
    assert!(!html_text(&instance.browser().get("/collectives").await.text).contains("Prêt entre services"));
    for path in ["", "/charter", "/members", "/join"] {
        let page = curieux.get(&format!("/collectives/pret_mairie{path}")).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}: {page:?}");
        // A visitor is asked to log in for the join form, as for any collective's: nothing said.
        let visitor = instance.browser().get(&format!("/collectives/pret_mairie{path}")).await.status;
        let expected = if path == "/join" { StatusCode::SEE_OTHER } else { StatusCode::NOT_FOUND };
        assert_eq!(visitor, expected, "{path}");
    }
    curieux.get("/collectives").await;
    let forced = curieux.post("/collectives/pret_mairie/join", &[("charter_version", "1"), ("accept", "on")]).await;
    assert_eq!(forced.status, StatusCode::NOT_FOUND, "{forced:?}");
    assert!(!html_text(&instance.browser().get("/members/services_ville").await.text).contains("Prêt entre services"));

    // Invited: voirie sees it, accepts the charter, and is a member.
    let unknown = admin.post("/collectives/pret_mairie/invitations", &[("address", "personne")]).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY, "{unknown:?}");
    assert!(html_text(&unknown.text).contains("Aucun membre actif"));
    let invited = admin.post("/collectives/pret_mairie/invitations", &[("address", "@voirie")]).await;
    assert_eq!(invited.status, StatusCode::SEE_OTHER, "{invited:?}");
    let twice = admin.post("/collectives/pret_mairie/invitations", &[("address", "voirie")]).await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{twice:?}");
    let mut voirie = instance.browser();
    voirie.login_ok("voirie").await;
    let page = voirie.get("/collectives/pret_mairie").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(html_text(&page.text).contains("Vous êtes invité·e"));
    assert_eq!(menu_count(&page.text), 1);
    let form = voirie.get("/collectives/pret_mairie/join").await;
    assert!(!form.text.contains("name=\"answer1\""), "an invited person is not asked the entry questions");
    let joined = voirie.post("/collectives/pret_mairie/join", &[("charter_version", "1"), ("accept", "on")]).await;
    assert_eq!(joined.status, StatusCode::SEE_OTHER, "{joined:?}");
    assert!(joined.location().contains("collective_joined"));
    assert!(html_text(&voirie.get("/collectives").await.text).contains("Prêt entre services"));
    // Its badge shows to a fellow member, not to others.
    assert!(html_text(&voirie.get("/members/services_ville").await.text).contains("Prêt entre services"));
    assert!(!html_text(&curieux.get("/members/services_ville").await.text).contains("Prêt entre services"));
}

#[tokio::test]
async fn a_large_collective_shows_its_first_members_and_pages_the_rest() {
    let instance = TestInstance::start().await;
    instance.create_member("lea", Role::Member).await;
    let mut lea = instance.browser();
    lea.login_ok("lea").await;
    let created =
        lea.submit("/collectives/new", "/collectives", &form("reparateurs", "Réparateurs", "open", "public")).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{created:?}");
    // Léa, its administrator, then 129 people of a neighbouring instance, p0 the most senior.
    admit_remote_people(&instance, "reparateurs", 129).await;
    let person = |n: usize| format!("https://voisins.example/members/p{n}");
    let rows = |html: &str| html.split("<tbody>").nth(1).map_or(0, |body| body.matches("<tr>").count());

    // The collective's page: the administrator and the 23 most senior, and a link to them all.
    let page = instance.browser().get("/collectives/reparateurs").await;
    assert_eq!(page.status, StatusCode::OK);
    let shown = page.text.split("<ul class=\"members\">").nth(1).and_then(|s| s.split("</ul>").next()).unwrap();
    assert_eq!(shown.matches("<li>").count(), 24, "{shown}");
    assert!(shown.contains("href=\"/members/lea\"") && shown.contains(&person(22)) && !shown.contains(&person(23)));
    let text = html_text(&page.text);
    assert!(text.contains("130 membre(s)") && text.contains("Voir les 130 membres"), "{text}");
    assert!(page.text.contains("href=\"/collectives/reparateurs/members\""));

    // The members page: a hundred a page, the count of them all, the way to the others and back.
    let mut visitor = instance.browser();
    let first = visitor.get("/collectives/reparateurs/members").await;
    assert_eq!(rows(&first.text), 100);
    assert!(html_text(&first.text).contains("130 membre(s)"));
    assert!(first.text.contains(&person(98)) && !first.text.contains(&person(99)));
    assert!(first.text.contains("href=\"/collectives/reparateurs/members?page=2\" rel=\"next\""));
    assert!(!first.text.contains("rel=\"prev\""));
    let second = visitor.get("/collectives/reparateurs/members?page=2").await;
    assert_eq!(rows(&second.text), 30);
    assert!(second.text.contains(&person(99)) && second.text.contains(&person(128)));
    assert!(second.text.contains("href=\"/collectives/reparateurs/members?page=1\" rel=\"prev\""));
    assert!(!second.text.contains("rel=\"next\""));
    // Past the end, an empty page; a page number that is not one, the first page.
    assert_eq!(rows(&visitor.get("/collectives/reparateurs/members?page=9").await.text), 0);
    for odd in ["abc", "0", "-3", ""] {
        let page = visitor.get(&format!("/collectives/reparateurs/members?page={odd}")).await;
        assert_eq!(page.status, StatusCode::OK, "{odd}");
        assert_eq!(rows(&page.text), 100, "{odd}");
    }
}

#[tokio::test]
async fn only_administrators_create_collectives_where_the_cooperative_says_so() {
    let instance =
        TestInstance::start_with(|config| config.instance.collective_creation = CollectiveCreation::Administrators)
            .await;
    instance.create_member("membre", Role::Member).await;
    instance.create_member("gerante", Role::Admin).await;
    let mut member = instance.browser();
    member.login_ok("membre").await;
    assert!(!member.get("/collectives").await.text.contains("href=\"/collectives/new\""));
    assert_eq!(member.get("/collectives/new").await.status, StatusCode::FORBIDDEN);
    let forced = member.post("/collectives", &form("club_zone", "Club de la zone", "approval", "public")).await;
    assert_eq!(forced.status, StatusCode::FORBIDDEN, "{forced:?}");
    let mut admin = instance.browser();
    admin.login_ok("gerante").await;
    let created = admin
        .submit("/collectives/new", "/collectives", &form("club_zone", "Club de la zone", "approval", "public"))
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{created:?}");
    // In English too.
    let page = instance.browser().get_in("/collectives/club_zone", "en").await;
    assert!(html_text(&page.text).contains("Log in to join"), "{}", html_text(&page.text));
}

#[tokio::test]
async fn a_listing_published_to_a_collective_is_seen_by_its_members_alone() {
    use common::listing_body;
    use serde_json::json;
    let instance = TestInstance::start_with(|config| config.federation.insecure_local_federation = true).await;
    let lea_token = instance.member_with_token("lea", Role::Member).await;
    let malik_token = instance.member_with_token("malik", Role::Member).await;
    let nora_token = instance.member_with_token("nora", Role::Member).await;
    let api = instance.api();
    let body = json!({
        "name": "atelier", "display_name": "Atelier partagé", "purpose": "Réparer ensemble.",
        "activities": ["bikes-repair"], "territory": "", "charter": "# Charte\n\nEntraide.", "entry_criteria": "",
        "questions": [], "admission": "open", "visibility": "public",
    });
    let created = api.clone().token(&lea_token).post("/api/v1/collectives", &body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let collective = created.json()["id"].as_str().unwrap().to_owned();
    let joined =
        api.clone().token(&malik_token).post("/api/v1/collectives/atelier/join", &json!({"charter_version": 1})).await;
    assert_eq!(joined.status, StatusCode::OK, "{joined:?}");

    // Nora, not a member, cannot publish there; Léa can.
    let to_collective = json!({"visibility": "collective", "collective": collective});
    let refused = api
        .clone()
        .token(&nora_token)
        .post("/api/v1/listings", &listing_body("Pied d'atelier", to_collective.clone()))
        .await;
    refused.assert_field_error("collective");
    let missing = api
        .clone()
        .token(&lea_token)
        .post("/api/v1/listings", &listing_body("Pied d'atelier", json!({"visibility": "collective"})))
        .await;
    missing.assert_field_error("collective");
    let stand = instance.listing(&lea_token, listing_body("Pied d'atelier vélo", to_collective)).await;
    let id = stand["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (stand["visibility"].as_str(), stand["collective"].as_str()),
        (Some("collective"), Some(collective.as_str()))
    );
    instance.listing(&lea_token, listing_body("Pompe à pied publique", json!({}))).await;

    // Malik, a member, sees it: its page, the API, the catalogue, the « Mes collectifs » filter.
    let as_malik = api.clone().token(&malik_token);
    assert_eq!(as_malik.get(&format!("/api/v1/listings/{id}")).await.status, StatusCode::OK);
    let titles = |reply: common::Reply| common::titles(&reply.json());
    assert!(titles(as_malik.search(&[]).await).contains(&"Pied d'atelier vélo".to_owned()));
    let mine = titles(as_malik.search(&[("scope", "collectives")]).await);
    assert_eq!(mine, ["Pied d'atelier vélo"]);
    let mut malik = instance.browser();
    malik.login_ok("malik").await;
    assert_eq!(malik.get(&format!("/listings/{id}")).await.status, StatusCode::OK);
    assert!(html_text(&malik.get("/catalogue?scope=collectives").await.text).contains("Pied d'atelier vélo"));

    // Nora and a visitor do not: not in the catalogue nor the API nor by its address; no exchange.
    let as_nora = api.clone().token(&nora_token);
    assert_eq!(as_nora.get(&format!("/api/v1/listings/{id}")).await.status, StatusCode::NOT_FOUND);
    assert!(!titles(as_nora.search(&[]).await).contains(&"Pied d'atelier vélo".to_owned()));
    assert!(titles(as_nora.search(&[("scope", "collectives")]).await).is_empty());
    assert!(!titles(api.search(&[("q", "atelier")]).await).contains(&"Pied d'atelier vélo".to_owned()));
    assert_eq!(instance.browser().get(&format!("/listings/{id}")).await.status, StatusCode::NOT_FOUND);
    let mut nora = instance.browser();
    nora.login_ok("nora").await;
    assert_eq!(nora.get(&format!("/listings/{id}")).await.status, StatusCode::NOT_FOUND);
    assert!(!html_text(&nora.get("/catalogue").await.text).contains("Pied d'atelier vélo"));
    assert!(!html_text(&nora.get("/members/lea").await.text).contains("Pied d'atelier vélo"));
    let exchange = as_nora.post("/api/v1/exchanges", &json!({"listing_id": id, "message": "Bonjour ?"})).await;
    assert_eq!(exchange.status, StatusCode::NOT_FOUND, "{exchange:?}");
    // Nor over ActivityPub: not in an outbox, not served.
    let outbox = instance.activity_json("/members/lea/outbox?page=true").await;
    assert!(!outbox.to_string().contains(&id), "{outbox}");
    let document = reqwest::Client::new()
        .get(instance.url(&format!("/listings/{id}")))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert_eq!(document.status(), StatusCode::NOT_FOUND);
    // Malik may start an exchange on it, as on any listing.
    let started =
        as_malik.post("/api/v1/exchanges", &json!({"listing_id": id, "message": "Je peux l'emprunter ?"})).await;
    assert_eq!(started.status, StatusCode::CREATED, "{started:?}");

    // Malik's own listing for the collective: he cannot take it out (not a moderator); Léa can, and
    // it goes back to the cooperative's members.
    let to_collective = json!({"visibility": "collective", "collective": collective});
    let his = instance.listing(&malik_token, listing_body("Clés à rayons", to_collective)).await;
    let his = his["id"].as_str().unwrap().to_owned();
    malik.get(&format!("/listings/{his}")).await;
    assert_eq!(malik.post(&format!("/listings/{his}/take-out"), &[]).await.status, StatusCode::FORBIDDEN);
    let mut lea = instance.browser();
    lea.login_ok("lea").await;
    lea.get(&format!("/listings/{his}")).await;
    let taken = lea.post(&format!("/listings/{his}/take-out"), &[]).await;
    assert_eq!(taken.status, StatusCode::SEE_OTHER, "{taken:?}");
    let now = as_malik.get(&format!("/api/v1/listings/{his}")).await.json();
    assert_eq!((now["visibility"].as_str(), now["collective"].as_str()), (Some("instance"), None), "{now}");
    assert_eq!(
        as_nora.get(&format!("/api/v1/listings/{his}")).await.status,
        StatusCode::OK,
        "a member here sees it now"
    );
}
