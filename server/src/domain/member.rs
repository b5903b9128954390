//! Members: people and organisations belonging to this instance.

use super::FieldError;
use super::text::bounded;

string_enum!(
    /// A person, or an organisation (company, association).
    MemberKind, "kind" { Person => "person", Organisation => "organisation" }
);
string_enum!(
    Role, "role" { Member => "member", Moderator => "moderator", Admin => "admin" }
);
string_enum!(
    /// `pending` members wait for an admin's approval; `disabled` ones cannot log in.
    MemberStatus, "status" { Pending => "pending", Active => "active", Disabled => "disabled" }
);

/// A member's handle: 3 to 30 characters among `a-z`, `0-9` and `_`, stored in lower case. It becomes
/// the `USER` of `acct:USER@DOMAIN` once instances federate, hence the narrow alphabet.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    pub fn parse(value: &str) -> Result<Self, FieldError> {
        account_name("username", value).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Username {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The name of an account on the wire (`acct:NAME@domain`), a member's username or a collective's
/// name: 3 to 30 lower-case ASCII letters, digits or `_` (upper case is lowered); `field` names the
/// input in the error.
pub fn account_name(field: &'static str, value: &str) -> Result<String, FieldError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(FieldError::new(field, "error.required"));
    }
    let lower = value.to_ascii_lowercase();
    if !(3..=30).contains(&lower.chars().count()) {
        return Err(FieldError::new(field, "error.username_length"));
    }
    if !lower.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
        return Err(FieldError::new(field, "error.username_chars"));
    }
    Ok(lower)
}

pub fn parse_display_name(value: &str) -> Result<String, FieldError> {
    bounded("display_name", value, 1, 80)
}

pub fn parse_description(value: &str) -> Result<String, FieldError> {
    bounded("description", value, 0, 2000)
}

/// A new password: long enough to resist guessing, short enough to hash cheaply.
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN: usize = 10;
    pub const MAX: usize = 256;

    pub fn parse(value: &str) -> Result<Self, FieldError> {
        let length = value.chars().count();
        if length < Self::MIN {
            return Err(FieldError::new("password", "error.password_short").with("min", Self::MIN));
        }
        if length > Self::MAX {
            return Err(FieldError::new("password", "error.too_long").with("max", Self::MAX));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lowercased_and_restricted() {
        assert_eq!(Username::parse(" Alice_42 ").map(|u| u.to_string()), Ok("alice_42".to_owned()));
        assert!(Username::parse("al").is_err());
        assert!(Username::parse("élodie").is_err());
        assert!(Username::parse("a b c").is_err());
        assert!(Username::parse(&"a".repeat(31)).is_err());
    }

    #[test]
    fn passwords_have_a_minimum_length() {
        assert!(NewPassword::parse("short").is_err());
        assert!(NewPassword::parse("long enough!").is_ok());
        assert_eq!(format!("{:?}", NewPassword::parse("long enough!").ok()), "Some(NewPassword(***))");
    }
}

/// A member as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub id: super::ids::MemberId,
    pub username: Username,
    pub kind: MemberKind,
    pub display_name: String,
    pub description: String,
    pub location: Option<super::geo::Location>,
    pub role: Role,
    pub status: MemberStatus,
    /// The member's picture, when they gave one.
    pub avatar: Option<super::ids::ImageId>,
    pub created_at: i64,
}

impl Member {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Admins and moderators may remove other members' listings.
    pub fn can_moderate(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Moderator)
    }
}

/// An email address a member gives for their notifications: `local@domain`, without spaces or
/// angle brackets, at most 254 characters. Only the shape is checked; whether it reaches anyone is
/// the member's business.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub const MAX_LEN: usize = 254;

    pub fn parse(field: &'static str, text: &str) -> Result<Self, super::FieldError> {
        let text = text.trim();
        let invalid = || super::FieldError::new(field, "error.email_invalid");
        if text.len() > Self::MAX_LEN {
            return Err(super::FieldError::new(field, "error.too_long").with("max", Self::MAX_LEN));
        }
        let (local, domain) = text.rsplit_once('@').ok_or_else(invalid)?;
        let plain = |s: &str| {
            !s.is_empty() && s.chars().all(|c| !c.is_whitespace() && !c.is_control() && !"<>()[],;:\\\"@".contains(c))
        };
        let domain_ok = plain(domain)
            && domain.split('.').all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-'));
        if plain(local) && domain_ok && (domain.contains('.') || domain == "localhost") {
            Ok(Self(text.to_owned()))
        } else {
            Err(invalid())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `Name <address>` or a bare address: the name (maybe empty) and the address, or `None`.
    pub fn parse_mailbox(text: &str) -> Option<(String, Self)> {
        let text = text.trim();
        match text.rsplit_once('<') {
            Some((name, rest)) => {
                let address = rest.strip_suffix('>')?;
                Some((name.trim().trim_matches('"').to_owned(), Self::parse("from", address).ok()?))
            }
            None => Some((String::new(), Self::parse("from", text).ok()?)),
        }
    }
}

#[cfg(test)]
mod email_tests {
    use super::EmailAddress;

    #[test]
    fn email_addresses_have_a_plain_shape() {
        for good in ["camille@coop-pret.fr", "a.b+c@x.example.org", "test@localhost", " spaced@ex.org "] {
            assert!(EmailAddress::parse("email", good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "camille",
            "@coop.fr",
            "camille@",
            "a b@c.fr",
            "a@b",
            "a@-b.fr",
            "<a@b.fr>",
            "a@b..fr",
            "a@b.fr\nx@c.fr",
        ] {
            assert!(EmailAddress::parse("email", bad).is_err(), "{bad:?}");
        }
        let (name, address) = EmailAddress::parse_mailbox("Coop du Prêt <ne-pas-repondre@pret.example.org>").unwrap();
        assert_eq!((name.as_str(), address.as_str()), ("Coop du Prêt", "ne-pas-repondre@pret.example.org"));
        assert_eq!(EmailAddress::parse_mailbox("bot@x.org").unwrap().1.as_str(), "bot@x.org");
        assert!(EmailAddress::parse_mailbox("Coop <nope>").is_none());
    }
}
