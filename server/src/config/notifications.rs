//! The configuration of exchanges (`[exchanges]`) and of the email that tells members about them
//! (`[email]`).

use serde::{Deserialize, Serialize};

/// `[exchanges]`: how exchanges between members run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ExchangesConfig {
    /// Days after which a delivery or a service done that its receiver did not confirm completes by
    /// itself (1 to 90).
    pub complete_after_days: u32,
}

impl Default for ExchangesConfig {
    fn default() -> Self {
        Self { complete_after_days: 7 }
    }
}

/// `[email]`: the SMTP server members' notifications go through. Without a host, no email is sent.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct EmailConfig {
    /// The SMTP server's host name; empty: no email.
    pub host: String,
    pub port: u16,
    /// `starttls` (an unencrypted connection made secure, usually port 587), `tls` (encrypted from
    /// the start, usually port 465), or `none` (only for a server on this machine).
    pub security: EmailSecurity,
    /// The account to log in with; empty: no login.
    pub username: String,
    /// Its password (never logged).
    pub password: String,
    /// Who the emails are from: `Coop du Prêt <ne-pas-repondre@pret.example.org>`.
    pub from: String,
}

impl Default for EmailConfig {
    fn default() -> Self {
        Self {
            host: String::new(),
            port: 587,
            security: EmailSecurity::Starttls,
            username: String::new(),
            password: String::new(),
            from: String::new(),
        }
    }
}

impl EmailConfig {
    pub fn is_configured(&self) -> bool {
        !self.host.is_empty()
    }
}

/// The password stays out of every log.
impl std::fmt::Debug for EmailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &if self.password.is_empty() { "" } else { "(set)" })
            .field("from", &self.from)
            .finish()
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum EmailSecurity {
    Starttls,
    Tls,
    None,
}
