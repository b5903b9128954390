//! What the collectives' tests share: the form of a repairers' collective, the id of a person's
//! membership on a members page, and a page reloaded until it says something.

use std::time::{Duration, Instant};

use super::{Browser, html_text};

/// A charter with formatting (its heading, bold, a list).
pub const CHARTER: &str = "# Charte du collectif\n\nNous réparons **sans jugement** et transmettons nos savoirs.\n\n- entraide\n- prix libres";

/// The fields of the form creating a repairers' collective (one entry question).
pub fn form<'a>(
    name: &'a str,
    display_name: &'a str,
    admission: &'a str,
    visibility: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("display_name", display_name),
        ("purpose", "Réparer les vélos ensemble, d'atelier en atelier."),
        ("activity.bikes-repair", "on"),
        ("territory", "Métropole européenne de Lille"),
        ("charter", CHARTER),
        ("entry_criteria", "Tenir un atelier de réparation ou y être bénévole."),
        ("question1", "Dans quel atelier réparez-vous ?"),
        ("admission", admission),
        ("visibility", visibility),
    ]
}

/// The id of a membership on a collective's members page: the first form after `marker` (a
/// member's `href="/members/NAME"`, or a handle `name@`): `…/members/ID/approve`, `…/ID/role`.
pub fn membership_after(html: &str, marker: &str) -> String {
    let start = html.find(marker).unwrap_or_else(|| panic!("{marker} not listed: {html}"));
    html[start..]
        .split("/members/")
        .skip(1)
        .filter_map(|s| s.split('/').next())
        .find(|id| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_else(|| panic!("no membership after {marker}"))
        .to_owned()
}

/// Reloads `path` in `browser` until its text satisfies `check` (deliveries are asynchronous);
/// fails with `what` after 20 s.
pub async fn until(what: &str, browser: &mut Browser, path: &str, check: impl Fn(&str) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if check(&html_text(&browser.get(path).await.text)) {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Admits `count` people of another instance (`https://voisins.example/members/pN`, N from 0, in
/// this order of seniority) into the collective `name` hosted by `instance`, straight in storage: a
/// large collective without as many registrations.
pub async fn admit_remote_people(instance: &super::TestInstance, name: &str, count: usize) {
    use maillage_server::domain::collective::{CollectiveName, Membership, MembershipRecord, Role};
    use maillage_server::domain::ids::MembershipId;
    use maillage_server::storage::collectives;

    let name = CollectiveName::parse(name).expect("a collective name");
    let collective = collectives::local_by_name(&mut instance.db().conn().await.expect("a connection"), &name)
        .await
        .expect("looking up the collective")
        .expect("the collective exists");
    let start = maillage_server::domain::ids::now_ms();
    let mut tx = instance.db().begin_write().await.expect("a transaction");
    for n in 0..count {
        let since = start + i64::try_from(n).expect("a small count");
        let record = MembershipRecord {
            id: MembershipId::new(),
            collective: collective.id.clone(),
            actor: format!("https://voisins.example/members/p{n}"),
            member: None,
            membership: Membership { role: Role::Member, ..Membership::founder(collective.charter_version, since) },
            decided_by: None,
            activity_id: None,
            created_at: since,
            updated_at: since,
        };
        collectives::save_membership(&mut tx, &record).await.expect("admitting");
    }
    tx.commit().await.expect("committing");
}
