//! The HTTP side of the rate limits: who the client is (its address, or the one a trusted reverse
//! proxy forwards), and the limit on the JSON API. The quotas themselves are `services::limits`.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::services::limits::Limits;
use crate::state::AppState;

/// The client's address, as far as we can believe it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip());
        Ok(ClientIp(client_address(peer, &parts.headers, &state.limits)))
    }
}

/// The peer's address, unless the peer is a trusted proxy: then the `X-Forwarded-For` entries are
/// read from the right (each proxy appends the address it received the request from), skipping
/// trusted proxies, and the first other address is the client. What a client writes there itself
/// is on the left, and is never reached while a trusted proxy's entry stands to its right.
///
/// Without a peer address (a router called in-process, not through a socket), every request counts
/// as coming from the unspecified address `::`.
pub fn client_address(peer: Option<IpAddr>, headers: &HeaderMap, limits: &Limits) -> IpAddr {
    let Some(peer) = peer.map(|ip| ip.to_canonical()) else {
        return IpAddr::V6(Ipv6Addr::UNSPECIFIED);
    };
    if !limits.is_trusted_proxy(peer) {
        return peer;
    }
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .collect();
    let mut client = peer;
    for entry in entries.iter().rev() {
        // An entry that is not an address stops the walk: what lies left of it is not ours to judge.
        let Some(address) = forwarded_address(entry) else { break };
        client = address;
        if !limits.is_trusted_proxy(address) {
            break;
        }
    }
    client
}

/// `192.0.2.1`, `2001:db8::1`, or either with a port (`192.0.2.1:4711`, `[2001:db8::1]:4711`).
fn forwarded_address(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    let address = entry.parse::<IpAddr>().ok().or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))?;
    Some(address.to_canonical())
}

/// Counts each JSON API request against its client's quota; over it, 429 with `Retry-After`.
pub async fn limit_api(State(state): State<AppState>, client: ClientIp, request: Request, next: Next) -> Response {
    match state.limits.api(client.0) {
        Ok(()) => next.run(request).await,
        Err(refusal) => refusal.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;
    use crate::config::LimitsConfig;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    fn limits(trusted: &[&str]) -> Limits {
        let trusted_proxies = trusted.iter().map(|t| (*t).to_owned()).collect();
        Limits::new(&LimitsConfig { trusted_proxies, ..LimitsConfig::default() })
    }

    #[test]
    fn a_trusted_proxy_names_the_client() {
        let limits = limits(&["127.0.0.1", "10.0.0.0/8"]);
        let headers = forwarded(&["198.51.100.9"]);
        assert_eq!(client_address(Some(ip("127.0.0.1")), &headers, &limits), ip("198.51.100.9"));
        // Through two proxies of ours; the client's own claim on the left is not believed.
        let headers = forwarded(&["203.0.113.66, 198.51.100.9", "10.1.1.1"]);
        assert_eq!(client_address(Some(ip("127.0.0.1")), &headers, &limits), ip("198.51.100.9"));
        // With a port, and an IPv4-mapped peer address.
        let headers = forwarded(&["198.51.100.9:4711"]);
        assert_eq!(client_address(Some(ip("::ffff:127.0.0.1")), &headers, &limits), ip("198.51.100.9"));
        let headers = forwarded(&["[2001:db8::7]:4711"]);
        assert_eq!(client_address(Some(ip("127.0.0.1")), &headers, &limits), ip("2001:db8::7"));
    }

    #[test]
    fn anyone_else_is_its_own_address() {
        let limits = limits(&["127.0.0.1"]);
        let headers = forwarded(&["198.51.100.9"]);
        assert_eq!(client_address(Some(ip("192.0.2.5")), &headers, &limits), ip("192.0.2.5"));
        let nobody = self::limits(&[]);
        assert_eq!(client_address(Some(ip("127.0.0.1")), &headers, &nobody), ip("127.0.0.1"));
    }

    #[test]
    fn garbage_stops_at_the_last_trusted_hop() {
        let limits = limits(&["127.0.0.1"]);
        let headers = forwarded(&["not-an-address"]);
        assert_eq!(client_address(Some(ip("127.0.0.1")), &headers, &limits), ip("127.0.0.1"));
        let headers = forwarded(&["198.51.100.9, unknown, 127.0.0.1"]);
        assert_eq!(client_address(Some(ip("127.0.0.1")), &headers, &limits), ip("127.0.0.1"));
        assert_eq!(client_address(None, &headers, &limits), ip("::"));
    }
}
