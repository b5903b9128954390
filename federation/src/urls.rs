//! Where each of our ActivityPub documents lives. The server mounts its routes on these paths; the
//! two must agree, and `server` tests that they do.

use url::Url;

/// The instance's public URLs, from its base (`https://coop.example/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Urls {
    base: Url,
}

/// Path of the instance actor (`Application`).
pub const INSTANCE_ACTOR_PATH: &str = "/actor";
/// Path of the shared inbox.
pub const SHARED_INBOX_PATH: &str = "/inbox";
/// Path of our JSON-LD context.
pub const CONTEXT_PATH: &str = "/ns/maillage.jsonld";

impl Urls {
    pub fn new(base: Url) -> Self {
        Self { base }
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    /// The `host[:port]` other instances know us by.
    pub fn domain(&self) -> String {
        domain_of(&self.base).unwrap_or_default()
    }

    fn at(&self, path: &str) -> Url {
        let mut url = self.base.clone();
        url.set_path(path);
        url
    }

    pub fn member(&self, username: &str) -> Url {
        self.at(&format!("/members/{username}"))
    }

    /// A collective hosted here: its `Group` actor and its page.
    pub fn collective(&self, name: &str) -> Url {
        self.at(&format!("/collectives/{name}"))
    }

    /// The collective's name when `url` is one of our `Group` actors.
    pub fn local_collective<'a>(&self, url: &'a Url) -> Option<&'a str> {
        if !self.is_local(url) {
            return None;
        }
        url.path().strip_prefix("/collectives/").filter(|n| !n.is_empty() && !n.contains('/'))
    }

    pub fn instance_actor(&self) -> Url {
        self.at(INSTANCE_ACTOR_PATH)
    }

    pub fn shared_inbox(&self) -> Url {
        self.at(SHARED_INBOX_PATH)
    }

    pub fn listing(&self, id: &str) -> Url {
        self.at(&format!("/listings/{id}"))
    }

    /// An exchange started here: its id on the wire, and its page for its parties.
    pub fn exchange(&self, id: &str) -> Url {
        self.at(&format!("/exchanges/{id}"))
    }

    /// A file of `/media/` (an image's rendition, `ID-WIDTH.jpg`).
    pub fn media(&self, file: &str) -> Url {
        self.at(&format!("/media/{file}"))
    }

    /// An activity we send, under its own id (dereferenceable for the ones we keep).
    pub fn activity(&self, id: &str) -> Url {
        self.at(&format!("/activities/{id}"))
    }

    pub fn context(&self) -> Url {
        self.at(CONTEXT_PATH)
    }

    pub fn nodeinfo(&self) -> Url {
        self.at("/nodeinfo/2.1")
    }

    /// Whether `url` points at this instance.
    pub fn is_local(&self, url: &Url) -> bool {
        domain_of(url).is_some_and(|d| d == self.domain())
    }

    /// The member's username when `url` is one of our member actors.
    pub fn local_username<'a>(&self, url: &'a Url) -> Option<&'a str> {
        if !self.is_local(url) {
            return None;
        }
        url.path().strip_prefix("/members/").filter(|u| !u.is_empty() && !u.contains('/'))
    }
}

/// An actor's inbox, outbox and followers collection hang under its id.
pub fn inbox_of(actor: &Url) -> Url {
    sub(actor, "inbox")
}

pub fn outbox_of(actor: &Url) -> Url {
    sub(actor, "outbox")
}

pub fn followers_of(actor: &Url) -> Url {
    sub(actor, "followers")
}

pub fn key_id_of(actor: &Url) -> Url {
    let mut url = actor.clone();
    url.set_fragment(Some("main-key"));
    url
}

fn sub(actor: &Url, leaf: &str) -> Url {
    let mut url = actor.clone();
    let path = format!("{}/{leaf}", actor.path().trim_end_matches('/'));
    url.set_path(&path);
    url
}

/// `host[:port]` of a URL: how instances are named (a port only when it is not the scheme's default).
pub fn domain_of(url: &Url) -> Option<String> {
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_hang_under_the_base() {
        let urls = Urls::new(Url::parse("http://localhost:8081/").unwrap());
        assert_eq!(urls.domain(), "localhost:8081");
        let alice = urls.member("alice");
        assert_eq!(alice.as_str(), "http://localhost:8081/members/alice");
        assert_eq!(inbox_of(&alice).as_str(), "http://localhost:8081/members/alice/inbox");
        assert_eq!(key_id_of(&alice).as_str(), "http://localhost:8081/members/alice#main-key");
        assert_eq!(urls.local_username(&alice), Some("alice"));
        let elsewhere = Url::parse("http://localhost:8082/members/alice").unwrap();
        assert_eq!(urls.local_username(&elsewhere), None);
        assert_eq!(urls.instance_actor().as_str(), "http://localhost:8081/actor");
    }
}
