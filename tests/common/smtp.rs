//! A real SMTP server for the email tests: aiosmtpd (`tests/smtp/server.py`, from the virtual
//! environment `tests/smtp/install.sh` makes), on a free loopback port, keeping each message it
//! accepts; `messages` reads them.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::TempDir;

/// A message as the SMTP server received it.
#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// The whole message: headers and body.
    pub data: String,
}

impl Mail {
    /// The `Subject` header, decoded when it is RFC 2047 encoded in UTF-8 base64 (lettre's way).
    pub fn subject(&self) -> String {
        let raw = self
            .data
            .lines()
            .skip_while(|l| !l.to_ascii_lowercase().starts_with("subject:"))
            .enumerate()
            .take_while(|(i, l)| *i == 0 || l.starts_with(' ') || l.starts_with('\t'))
            .map(|(_, l)| l.trim_start_matches([' ', '\t']))
            .collect::<Vec<_>>()
            .join(" ");
        let raw = raw.split_once(':').map_or("", |(_, v)| v).trim().to_owned();
        decode_words(&raw)
    }

    /// The body, decoded from quoted-printable or base64 when the message says so.
    pub fn body(&self) -> String {
        let (headers, body) =
            self.data.split_once("\r\n\r\n").or_else(|| self.data.split_once("\n\n")).unwrap_or(("", ""));
        let encoding = headers.to_ascii_lowercase();
        if encoding.contains("content-transfer-encoding: base64") {
            let joined: String = body.split_whitespace().collect();
            String::from_utf8_lossy(&base64_decode(&joined)).into_owned()
        } else if encoding.contains("content-transfer-encoding: quoted-printable") {
            quoted_printable(body)
        } else {
            body.to_owned()
        }
    }
}

/// RFC 2047: encoded words decoded; the space between two encoded words goes, any other stays.
fn decode_words(text: &str) -> String {
    let mut out = String::new();
    let mut previous_encoded = false;
    for (i, word) in text.split_whitespace().enumerate() {
        let encoded = word
            .strip_prefix("=?utf-8?b?")
            .or_else(|| word.strip_prefix("=?UTF-8?B?"))
            .and_then(|w| w.strip_suffix("?="));
        if i > 0 && !(previous_encoded && encoded.is_some()) {
            out.push(' ');
        }
        match encoded {
            Some(encoded) => out.push_str(&String::from_utf8_lossy(&base64_decode(encoded))),
            None => out.push_str(word),
        }
        previous_encoded = encoded.is_some();
    }
    out
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(text.trim()).unwrap_or_default()
}

fn quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "").replace("=\n", "");
    let mut bytes = Vec::with_capacity(joined.len());
    let mut rest = joined.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'='
            && tail.len() >= 2
            && let Ok(v) = u8::from_str_radix(std::str::from_utf8(&tail[..2]).unwrap_or("zz"), 16)
        {
            bytes.push(v);
            rest = &tail[2..];
            continue;
        }
        bytes.push(b);
        rest = tail;
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

pub struct SmtpServer {
    child: Child,
    pub port: u16,
    file: PathBuf,
    _dir: TempDir,
}

impl SmtpServer {
    /// Starts aiosmtpd; fails, naming the install command, when it is not installed.
    pub fn start() -> Self {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp");
        let python = root.join(".venv/bin/python");
        assert!(
            python.exists(),
            "the SMTP server of the email tests is not installed: run `bash tests/smtp/install.sh` (or \
             `bash tests/interop/install.sh`, which the README's test command runs)"
        );
        let dir = TempDir::new("maillage-smtp");
        let file = dir.path().join("messages.jsonl");
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let mut child = Command::new(python)
            .arg(root.join("server.py"))
            .arg(port.to_string())
            .arg(&file)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting aiosmtpd");
        let stdout = child.stdout.take().expect("its output");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("reading aiosmtpd's output");
        assert_eq!(line.trim(), "ready", "aiosmtpd did not start");
        Self { child, port, file, _dir: dir }
    }

    pub fn messages(&self) -> Vec<Mail> {
        let text = std::fs::read_to_string(&self.file).unwrap_or_default();
        text.lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .map(|v| Mail {
                from: v["from"].as_str().unwrap_or_default().to_owned(),
                to: v["to"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|t| t.as_str().map(str::to_owned)).collect())
                    .unwrap_or_default(),
                data: v["data"].as_str().unwrap_or_default().to_owned(),
            })
            .collect()
    }

    /// The messages to `address`, once there are at least `count` (waits up to 20 s).
    pub async fn wait_for(&self, address: &str, count: usize) -> Vec<Mail> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let found: Vec<Mail> = self.messages().into_iter().filter(|m| m.to.iter().any(|t| t == address)).collect();
            if found.len() >= count {
                return found;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {count} message(s) to {address}: {found:#?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl SmtpServer {
    /// The message to `address` with this subject, once it came (waits up to 20 s).
    pub async fn wait_for_subject(&self, address: &str, subject: &str) -> Mail {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let found =
                self.messages().into_iter().find(|m| m.to.iter().any(|t| t == address) && m.subject() == subject);
            if let Some(mail) = found {
                return mail;
            }
            let subjects: Vec<String> = self.messages().iter().map(Mail::subject).collect();
            assert!(Instant::now() < deadline, "timed out waiting for « {subject} » to {address}; came: {subjects:#?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
