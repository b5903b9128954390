//! What a signature must say before we even check it (draft-cavage HTTP signatures, as the fediverse
//! uses them), for inbox POSTs and signed GETs alike:
//!
//! - it covers `(request-target)`, `host`, and a time: the `Date` header or `(created)` (and
//!   `digest` on a POST, so that the body is covered);
//! - that time is within [`MAX_SKEW`] of our clock, in both directions: a signature dated two hours
//!   ahead, in 2100, or with an unreadable date is refused, and an old one cannot be replayed once
//!   the de-duplication of activity ids has forgotten it;
//! - the signed `Host` is ours: a request signed for another server cannot be replayed to us;
//! - the algorithm, when named, is `rsa-sha256` or `hs2019` (which, with an RSA key, is the same
//!   computation).
//!
//! The signature itself is verified afterwards (by the library for POSTs, by `signed_fetch` for
//! GETs) against the actor's key.

use std::time::Duration;

use axum::http::HeaderMap;
use url::Url;

use crate::error::FederationError;

/// How far a signature's time may be from our clock, either way.
pub const MAX_SKEW: Duration = Duration::from_secs(5 * 60);

/// The parameters of a `Signature` header.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct SignatureParams {
    pub key_id: Option<String>,
    pub algorithm: Option<String>,
    /// The `headers` list, lower case (`date` when absent, as the draft says).
    pub headers: Vec<String>,
    pub created: Option<String>,
}

impl SignatureParams {
    /// Reads `name="value"` pairs (and unquoted numbers, as `created` may be) from the header.
    pub fn parse(header: &str) -> Self {
        let mut params = SignatureParams::default();
        let mut headers = None;
        let mut rest = header.trim();
        while !rest.is_empty() {
            let Some((name, after)) = rest.split_once('=') else { break };
            let name = name.trim().trim_start_matches(',').trim().to_ascii_lowercase();
            let (value, after) = match after.strip_prefix('"') {
                Some(quoted) => match quoted.split_once('"') {
                    Some((value, after)) => (value, after),
                    None => (quoted, ""),
                },
                None => after.split_once(',').unwrap_or((after, "")),
            };
            match name.as_str() {
                "keyid" => params.key_id = Some(value.to_owned()),
                "algorithm" => params.algorithm = Some(value.to_ascii_lowercase()),
                "headers" => headers = Some(value.split_whitespace().map(str::to_ascii_lowercase).collect()),
                "created" => params.created = Some(value.trim().to_owned()),
                _ => {}
            }
            rest = after.trim_start_matches(',').trim_start();
        }
        params.headers = headers.unwrap_or_else(|| vec!["date".to_owned()]);
        params
    }

    fn covers(&self, header: &str) -> bool {
        self.headers.iter().any(|h| h == header)
    }

    /// The actor the key belongs to (the key id without its fragment).
    pub fn actor(&self) -> Option<Url> {
        let mut url = Url::parse(self.key_id.as_deref()?).ok()?;
        url.set_fragment(None);
        Some(url)
    }
}

/// Checks what the signature of a request says (see the module documentation); `body` is whether
/// the request has one to cover (a POST). Returns the signature's parameters.
pub fn check(headers: &HeaderMap, our_domain: &str, body: bool) -> Result<SignatureParams, FederationError> {
    check_at(headers, our_domain, body, chrono::Utc::now().timestamp())
}

fn check_at(headers: &HeaderMap, our_domain: &str, body: bool, now: i64) -> Result<SignatureParams, FederationError> {
    let refused = |why: String| FederationError::Unauthorized(why);
    let header = headers
        .get("signature")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| refused("the request has no signature header".into()))?;
    let params = SignatureParams::parse(header);
    if params.key_id.is_none() {
        return Err(refused("the signature has no keyId".into()));
    }
    if let Some(algorithm) = &params.algorithm
        && algorithm != "rsa-sha256"
        && algorithm != "hs2019"
    {
        return Err(refused(format!("the signature algorithm {algorithm:?} is not supported (rsa-sha256, hs2019)")));
    }
    let mut required = vec!["(request-target)", "host"];
    if body {
        required.push("digest");
    }
    if let Some(missing) = required.iter().find(|h| !params.covers(h)) {
        return Err(refused(format!("the signature must cover {missing} (it covers: {})", params.headers.join(" "))));
    }
    let signed_at = if params.covers("(created)") {
        let created = params.created.as_deref().unwrap_or_default();
        created
            .parse::<i64>()
            .map_err(|_| refused(format!("the signature's created time {created:?} is not a number")))?
    } else if params.covers("date") {
        let date = headers.get("date").and_then(|v| v.to_str().ok()).unwrap_or_default();
        parse_http_date(date).ok_or_else(|| refused(format!("the signed Date {date:?} is not a date")))?
    } else {
        return Err(refused("the signature must cover date or (created)".into()));
    };
    let skew = MAX_SKEW.as_secs() as i64;
    if (signed_at - now).abs() > skew {
        return Err(refused(format!(
            "the signature is dated {signed_at}, more than {} minutes from our clock ({now})",
            skew / 60
        )));
    }
    let host = headers.get("host").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !host.eq_ignore_ascii_case(our_domain) {
        return Err(FederationError::Unauthorized(format!(
            "the request was signed for {host:?}, not for {our_domain}"
        )));
    }
    Ok(params)
}

/// An HTTP date (`Wed, 02 Dec 2026 10:00:00 GMT`, RFC 9110's preferred form) as unix seconds.
fn parse_http_date(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc2822(text.trim()).ok().map(|t| t.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_796_119_200; // 2026-12-01T10:00:00Z

    fn headers(signature: &str, date: &str, host: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert("signature", signature.parse().unwrap());
        if !date.is_empty() {
            map.insert("date", date.parse().unwrap());
        }
        map.insert("host", host.parse().unwrap());
        map
    }

    const MASTODON: &str = r#"keyId="https://a.example/users/ana#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest content-type",signature="AAAA""#;

    #[test]
    fn a_mastodon_signature_of_now_for_us_passes() {
        let date = "Tue, 01 Dec 2026 10:01:00 GMT";
        let params = check_at(&headers(MASTODON, date, "coop.example"), "coop.example", true, NOW).unwrap();
        assert_eq!(params.actor().unwrap().as_str(), "https://a.example/users/ana");
        assert_eq!(params.algorithm.as_deref(), Some("rsa-sha256"));
    }

    #[test]
    fn dates_far_from_now_unreadable_or_unsigned_are_refused() {
        for date in [
            "Tue, 01 Dec 2026 12:00:00 GMT",
            "Fri, 01 Jan 2100 00:00:00 GMT",
            "Tue, 01 Dec 2026 08:00:00 GMT",
            "hier",
            "",
        ] {
            let result = check_at(&headers(MASTODON, date, "coop.example"), "coop.example", true, NOW);
            assert!(matches!(result, Err(FederationError::Unauthorized(_))), "{date}: {result:?}");
        }
        let no_date =
            r#"keyId="https://a.example/users/ana#main-key",headers="(request-target) host digest",signature="AAAA""#;
        let date = "Tue, 01 Dec 2026 10:00:00 GMT";
        assert!(check_at(&headers(no_date, date, "coop.example"), "coop.example", true, NOW).is_err());
    }

    #[test]
    fn created_counts_as_the_signed_time() {
        let created = format!(
            r#"keyId="https://a.example/u#k",algorithm="hs2019",created={},headers="(request-target) (created) host digest",signature="AAAA""#,
            NOW - 30
        );
        assert!(check_at(&headers(&created, "", "coop.example"), "coop.example", true, NOW).is_ok());
        let old = created.replace(&(NOW - 30).to_string(), &(NOW - 3600).to_string());
        assert!(check_at(&headers(&old, "", "coop.example"), "coop.example", true, NOW).is_err());
    }

    #[test]
    fn the_signed_host_must_be_ours_and_the_body_covered() {
        let date = "Tue, 01 Dec 2026 10:00:00 GMT";
        assert!(check_at(&headers(MASTODON, date, "other.example"), "coop.example", true, NOW).is_err());
        let no_digest = MASTODON.replace(" digest", "");
        assert!(check_at(&headers(&no_digest, date, "coop.example"), "coop.example", true, NOW).is_err());
        assert!(check_at(&headers(&no_digest, date, "coop.example"), "coop.example", false, NOW).is_ok());
        let no_host = MASTODON.replace(" host", "");
        assert!(check_at(&headers(&no_host, date, "coop.example"), "coop.example", false, NOW).is_err());
        let hmac = MASTODON.replace("rsa-sha256", "hmac-sha256");
        assert!(check_at(&headers(&hmac, date, "coop.example"), "coop.example", true, NOW).is_err());
    }
}
