//! A sink inbox: the smallest HTTP/1.1 server that takes `POST /inbox` and answers 202 at once, on a
//! peer's port once the peer is stopped (a healthy peer that costs nothing), noting when each
//! delivery arrived. It can keep the requests it got, signatures and all, to be sent again later to
//! the real peer's inbox.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// Largest body taken (the inbox's own limit is 256 KiB).
const MAX_BODY: usize = 1024 * 1024;

/// A signed request as it arrived: path, headers (names in lower case) and body.
pub struct SignedRequest {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

#[derive(Default)]
struct Received {
    arrivals: Vec<Instant>,
    kept: Vec<SignedRequest>,
    /// Requests that were not a delivery (another method or path, unreadable).
    other: u64,
}

pub struct Sink {
    pub port: u16,
    keep: bool,
    received: Arc<Mutex<Received>>,
    task: tokio::task::JoinHandle<()>,
}

impl Sink {
    /// Listens on `127.0.0.1:port`; `keep` keeps every delivery's request.
    pub async fn start(port: u16, keep: bool) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let received = Arc::new(Mutex::new(Received::default()));
        let task = tokio::spawn(accept(listener, received.clone(), keep));
        Ok(Self { port, keep, received, task })
    }

    /// Deliveries received so far.
    pub fn count(&self) -> usize {
        self.received.lock().map_or(0, |r| r.arrivals.len())
    }

    /// When the first and the last delivery arrived.
    pub fn span(&self) -> Option<(Instant, Instant)> {
        let received = self.received.lock().ok()?;
        Some((*received.arrivals.first()?, *received.arrivals.last()?))
    }

    pub fn other(&self) -> u64 {
        self.received.lock().map_or(0, |r| r.other)
    }

    /// Stops listening and closes its connections (the port is free on return); returns the
    /// requests kept.
    pub async fn stop(self) -> Vec<SignedRequest> {
        self.task.abort();
        let _ = self.task.await;
        if !self.keep {
            return Vec::new();
        }
        self.received.lock().map(|mut r| std::mem::take(&mut r.kept)).unwrap_or_default()
    }
}

/// Accepts connections until aborted; dropping the set closes the connections with it.
async fn accept(listener: TcpListener, received: Arc<Mutex<Received>>, keep: bool) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    connections.spawn(serve(stream, received.clone(), keep));
                }
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Answers the requests of one keep-alive connection.
async fn serve(stream: TcpStream, received: Arc<Mutex<Received>>, keep: bool) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let mut words = line.split_whitespace();
        let (method, path) = (words.next().unwrap_or_default().to_owned(), words.next().unwrap_or_default().to_owned());
        let mut headers = Vec::new();
        let (mut length, mut chunked) = (0usize, false);
        loop {
            line.clear();
            if reader.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_owned());
                match name.as_str() {
                    "content-length" => length = value.parse().unwrap_or(0),
                    "transfer-encoding" => chunked = true,
                    _ => {}
                }
                headers.push((name, value));
            }
        }
        if chunked || length > MAX_BODY {
            // Not what a delivery looks like: refuse, and close (the body is not read).
            if let Ok(mut r) = received.lock() {
                r.other += 1;
            }
            write.write_all(b"HTTP/1.1 411 Length Required\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await?;
            return Ok(());
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).await?;
        let delivery = method == "POST" && path == "/inbox";
        if let Ok(mut r) = received.lock() {
            if delivery {
                r.arrivals.push(Instant::now());
                if keep {
                    r.kept.push(SignedRequest { path, headers, body });
                }
            } else {
                r.other += 1;
            }
        }
        let answer: &[u8] = if delivery {
            b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n"
        } else {
            b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"
        };
        write.write_all(answer).await?;
    }
}
