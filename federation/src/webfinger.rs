//! WebFinger (RFC 7033) for our members and for the instance (FEP-d556: `acct:DOMAIN@DOMAIN`).

use serde::Serialize;
use serde_json::Value;
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
    urls.local_username(&url).or_else(|| urls.local_collective(&url)).map(str::to_owned)
}

/// A WebFinger answer (JRD, RFC 7033 §4.4), as we send it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Jrd {
    pub subject: String,
    pub aliases: Vec<Url>,
    pub links: Vec<JrdLink>,
}

/// One link of a [`Jrd`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JrdLink {
    pub rel: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub href: Url,
}

/// The `rel` of the link to an account's web page.
pub const PROFILE_PAGE_REL: &str = "http://webfinger.net/rel/profile-page";

/// The JRD for an actor: its ActivityPub document and its web page.
pub fn document(username: &str, domain: &str, actor: &Url, page: &Url) -> Jrd {
    Jrd {
        subject: format!("acct:{username}@{domain}"),
        aliases: if actor == page { vec![actor.clone()] } else { vec![actor.clone(), page.clone()] },
        links: vec![
            JrdLink { rel: "self", kind: ACTIVITY_JSON, href: actor.clone() },
            JrdLink { rel: PROFILE_PAGE_REL, kind: "text/html", href: page.clone() },
        ],
    }
}

/// The actor a WebFinger answer points to: its `self` link of an ActivityPub type
/// (`application/activity+json`, or `application/ld+json` with the ActivityStreams profile); failing
/// that, the first link of any `application/` type, as some servers omit `rel`.
pub fn actor_link(document: &Value) -> Option<Url> {
    let links = document.get("links")?.as_array()?;
    let href = |link: &Value| link.get("href").and_then(Value::as_str).and_then(|h| Url::parse(h).ok());
    let kind = |link: &Value| link.get("type").and_then(Value::as_str).unwrap_or_default().to_owned();
    let is_activitypub = |link: &Value| {
        let kind = kind(link);
        kind.starts_with(ACTIVITY_JSON) || kind.starts_with("application/ld+json")
    };
    links
        .iter()
        .find(|l| l.get("rel").and_then(Value::as_str) == Some("self") && is_activitypub(l))
        .and_then(href)
        .or_else(|| links.iter().filter(|l| kind(l).starts_with("application/")).find_map(href))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_actor_link_is_the_self_link_of_an_activitypub_type() {
        let mastodon = json!({
            "subject": "acct:Gargron@mastodon.social",
            "links": [
                {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": "https://mastodon.social/@Gargron"},
                {"rel": "self", "type": "application/activity+json", "href": "https://mastodon.social/users/Gargron"},
                {"rel": "http://ostatus.org/schema/1.0/subscribe", "template": "https://mastodon.social/authorize_interaction?uri={uri}"}
            ]
        });
        assert_eq!(actor_link(&mastodon).unwrap().as_str(), "https://mastodon.social/users/Gargron");
        let ld = json!({"links": [{"rel": "self", "type": "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"", "href": "https://a.example/u/1"}]});
        assert_eq!(actor_link(&ld).unwrap().as_str(), "https://a.example/u/1");
        let no_rel = json!({"links": [{"type": "application/activity+json", "href": "https://b.example/u/2"}]});
        assert_eq!(actor_link(&no_rel).unwrap().as_str(), "https://b.example/u/2");
        assert_eq!(
            actor_link(&json!({"links": [{"rel": "self", "type": "text/html", "href": "https://c.example/"}]})),
            None
        );
        assert_eq!(actor_link(&json!({"error": "not found"})), None);
    }
}
