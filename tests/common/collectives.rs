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
