//! A small HTTP proxy between the SDK and moto that counts calls by API action
//! and, when asked, answers every Nth call with a throttling error or a 500
//! without passing it on. Loopback only; stops with the test.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A form-encoded (EC2 query protocol) request's parameters.
pub type Params = BTreeMap<String, String>;

pub struct Proxy {
    pub endpoint: String,
    calls: Arc<Mutex<BTreeMap<String, usize>>>,
    requests: Arc<Mutex<Vec<(String, Params)>>>,
    pub faults: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

struct Shared {
    upstream: String,
    slow: Option<(String, Duration)>,
    every: usize,
    seen: AtomicUsize,
    faults: Arc<AtomicUsize>,
    calls: Arc<Mutex<BTreeMap<String, usize>>>,
    requests: Arc<Mutex<Vec<(String, Params)>>>,
}

impl Proxy {
    /// `fault_every`: 0 for none, N to fail every Nth call (alternating throttling and 500).
    pub fn start(upstream: &str, fault_every: usize) -> Proxy {
        Proxy::start_with(upstream, fault_every, None)
    }

    /// Like `start`, and delays every call of one action (to stop a run in the middle).
    pub fn start_with(upstream: &str, fault_every: usize, slow: Option<(&str, Duration)>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port();
        let stop = Arc::new(AtomicBool::new(false));
        let calls = Arc::new(Mutex::new(BTreeMap::new()));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let faults = Arc::new(AtomicUsize::new(0));
        let shared = Arc::new(Shared {
            upstream: upstream.trim_start_matches("http://").to_string(),
            slow: slow.map(|(a, d)| (a.to_string(), d)),
            every: fault_every,
            seen: AtomicUsize::new(0),
            faults: faults.clone(),
            calls: calls.clone(),
            requests: requests.clone(),
        });
        let stop2 = stop.clone();
        std::thread::spawn(move || {
            while !stop2.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((conn, _)) => {
                        let sh = shared.clone();
                        std::thread::spawn(move || serve(conn, &sh));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Proxy {
            endpoint: format!("http://127.0.0.1:{port}"),
            calls,
            requests,
            faults,
            stop,
        }
    }

    pub fn count(&self, action: &str) -> usize {
        self.calls
            .lock()
            .map(|c| c.get(action).copied().unwrap_or(0))
            .unwrap_or(0)
    }
}

impl Proxy {
    /// The parameters of every call of `action` so far, in order (for what a
    /// request carried that the emulator does not keep to be read back).
    pub fn requests(&self, action: &str) -> Vec<Params> {
        self.requests
            .lock()
            .map(|r| {
                r.iter()
                    .filter(|(a, _)| a == action)
                    .map(|(_, p)| p.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Calls whose action starts with `prefix` (such as "Describe").
    pub fn count_prefix(&self, prefix: &str) -> usize {
        self.calls
            .lock()
            .map(|c| {
                c.iter()
                    .filter(|(k, _)| k.starts_with(prefix))
                    .map(|(_, n)| *n)
                    .sum()
            })
            .unwrap_or(0)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Reads one HTTP message (head and body) from a stream; `None` at end of stream.
fn read_message(r: &mut BufReader<TcpStream>) -> Option<(String, Vec<u8>)> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let header = |name: &str| {
        head.lines()
            .find(|l| l.to_ascii_lowercase().starts_with(&format!("{name}:")))
            .map(|l| l[name.len() + 1..].trim().to_string())
    };
    let mut body = Vec::new();
    if let Some(len) = header("content-length").and_then(|l| l.parse::<usize>().ok()) {
        body.resize(len, 0);
        r.read_exact(&mut body).ok()?;
    } else if header("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
        loop {
            let mut size = String::new();
            r.read_line(&mut size).ok()?;
            let n = usize::from_str_radix(size.trim(), 16).ok()?;
            let mut chunk = vec![0; n + 2];
            r.read_exact(&mut chunk).ok()?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
        head = head
            .replace("Transfer-Encoding: chunked\r\n", "")
            .replace("transfer-encoding: chunked\r\n", "");
        head = head.replacen(
            "\r\n\r\n",
            &format!("\r\nContent-Length: {}\r\n\r\n", body.len()),
            1,
        );
    }
    Some((head, body))
}

/// The parameters of a form-encoded body, or the top-level members of a JSON
/// one (JSON-protocol services such as KMS), each as text.
fn params_of(body: &[u8]) -> Params {
    if let Ok(serde_json::Value::Object(m)) = serde_json::from_slice(body) {
        return m
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, v)
            })
            .collect();
    }
    let decode = |x: &str| {
        let x = x.replace('+', " ");
        let b = x.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            match (b[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
                (b'%', Some(byte)) => {
                    out.push(byte);
                    i += 3;
                }
                (c, _) => {
                    out.push(c);
                    i += 1;
                }
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

/// The query protocol's `Action`; for a REST call (S3) the method and the
/// query's first key, such as "PUT ?replication" (its body is the `body` param).
fn action_of(head: &str, body: &[u8]) -> String {
    if let Some(a) = String::from_utf8_lossy(body)
        .split('&')
        .find_map(|kv| kv.strip_prefix("Action="))
    {
        return a.to_string();
    }
    let mut line = head.lines().next().unwrap_or_default().split(' ');
    let method = line.next().unwrap_or_default();
    let key = line
        .next()
        .and_then(|target| target.split_once('?'))
        .map(|(_, q)| q.split(['&', '=']).next().unwrap_or_default())
        .unwrap_or_default();
    format!("{method} ?{key}")
}

fn serve(conn: TcpStream, sh: &Shared) {
    let Ok(write_half) = conn.try_clone() else {
        return;
    };
    let mut client = BufReader::new(conn);
    let mut out = write_half;
    while let Some((head, body)) = read_message(&mut client) {
        // The query protocol names the action in the body, the JSON protocol in
        // X-Amz-Target ("TrentService.EnableKeyRotation").
        let target = head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("x-amz-target")
                .then(|| v.trim().rsplit('.').next().unwrap_or_default().to_string())
        });
        let action = target.unwrap_or_else(|| action_of(&head, &body));
        if let Some((slow, d)) = &sh.slow {
            if *slow == action {
                std::thread::sleep(*d);
            }
        }
        if let Ok(mut r) = sh.requests.lock() {
            let mut params = params_of(&body);
            if action.contains(" ?") {
                params = [(
                    "body".to_string(),
                    String::from_utf8_lossy(&body).into_owned(),
                )]
                .into_iter()
                .collect();
            }
            r.push((action.clone(), params));
        }
        if let Ok(mut c) = sh.calls.lock() {
            *c.entry(action).or_default() += 1;
        }
        let n = sh.seen.fetch_add(1, Ordering::SeqCst) + 1;
        if sh.every > 0 && n.is_multiple_of(sh.every) {
            let k = sh.faults.fetch_add(1, Ordering::SeqCst);
            let (status, code) = if k.is_multiple_of(2) {
                ("503 Service Unavailable", "RequestLimitExceeded")
            } else {
                ("500 Internal Server Error", "InternalError")
            };
            let xml = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code><Message>injected by the test proxy</Message></Error></Errors><RequestID>fault-{n}</RequestID></Response>"
            );
            let resp = format!(
                "HTTP/1.1 {status}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n{xml}",
                xml.len()
            );
            if out.write_all(resp.as_bytes()).is_err() {
                return;
            }
            continue;
        }
        let Ok(mut up) = TcpStream::connect(&sh.upstream) else {
            return;
        };
        let head = head.replacen("\r\n", "\r\nConnection: close\r\n", 1);
        if up
            .write_all(head.as_bytes())
            .and_then(|_| up.write_all(&body))
            .is_err()
        {
            return;
        }
        let mut upr = BufReader::new(up);
        let Some((rhead, rbody)) = read_message(&mut upr) else {
            return;
        };
        let rhead = rhead
            .lines()
            .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
            .collect::<Vec<_>>()
            .join("\r\n");
        let rhead = format!("{}\r\n", rhead.trim_end());
        if out
            .write_all(rhead.as_bytes())
            .and_then(|_| out.write_all(b"\r\n"))
            .and_then(|_| out.write_all(&rbody))
            .is_err()
        {
            return;
        }
    }
}
