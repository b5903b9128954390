//! WebFinger (RFC 7033) for our members and for the instance (FEP-d556: `acct:DOMAIN@DOMAIN`).

use serde_json::{Value, json};
use url::Url;

use crate::ACTIVITY_JSON;

/// The username asked for in `resource` when it names one of our accounts: `acct:alice@DOMAIN`,
/// `acct:DOMAIN@DOMAIN` (the instance actor) or an actor's URL.
pub fn requested_username(resource: &str, urls: &crate::Urls) -> Option<String> {
    let resource = resource.trim();
    let domain = urls.domain();
    if let Some(account) = resource.strip_prefix("acct:") {
        let (user, host) = account.rsplit_once('@')?;
        return (host.eq_ignore_ascii_case(&domain) && !user.is_empty()).then(|| user.to_owned());
    }
    let url = Url::parse(resource).ok()?;
    if url == urls.instance_actor() {
        return Some(domain);
    }
    urls.local_username(&url).map(str::to_owned)
}

/// The JRD for an actor.
pub fn document(username: &str, domain: &str, actor: &Url, page: &Url) -> Value {
    json!({
        "subject": format!("acct:{username}@{domain}"),
        "aliases": if actor == page { vec![actor] } else { vec![actor, page] },
        "links": [
            { "rel": "self", "type": ACTIVITY_JSON, "href": actor },
            { "rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": page }
        ]
    })
}
