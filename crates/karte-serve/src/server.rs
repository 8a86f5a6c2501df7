//! The HTTP server: listeners, TLS, limits, authentication, routing, and the tick thread.
//!
//! One tokio runtime on one thread serves every connection (HTTP/1.1, hyper); a second thread
//! runs the diagnosis loop. Nothing forks. Requests are answered from what the last tick
//! published, except `/metrics`, which reads the node_exporter families' files at scrape time.

use crate::assets;
use crate::auth::{Check, Users};
use crate::diagnoser::Diagnoser;
use crate::history::{HistoryColumns, HistorySource, Ring};
use crate::limits::WriteDeadline;
use crate::publish::{Published, Publisher};
use crate::scrape::ScrapeSource;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use karte_rules::Lang;
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::{SocketAddr, TcpListener as StdListener};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Request and connection limits.
#[derive(Debug, Clone)]
pub struct Limits {
    /// A request's head must arrive whole within this (slow clients, idle keep-alive).
    pub header_read_timeout: Duration,
    /// A response write that makes no progress for this long drops the connection.
    pub write_timeout: Duration,
    pub tls_handshake_timeout: Duration,
    /// Connections beyond this are closed as soon as they are accepted.
    pub max_connections: usize,
    /// Largest request head (request line and headers), bytes; at least 8192.
    pub max_header_bytes: usize,
    pub max_headers: usize,
    /// Password checks (bcrypt) running at once.
    pub max_auth_checks: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read_timeout: Duration::from_secs(15),
            write_timeout: Duration::from_secs(30),
            tls_handshake_timeout: Duration::from_secs(10),
            max_connections: 512,
            max_header_bytes: 16 * 1024,
            max_headers: 64,
            max_auth_checks: 1,
        }
    }
}

pub struct Options {
    pub listen: Vec<SocketAddr>,
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// User → bcrypt hash; `None` or empty: no authentication.
    pub users: Option<BTreeMap<String, String>>,
    pub limits: Limits,
    /// Time between diagnoses.
    pub tick: Duration,
    pub scrape: ScrapeSource,
    /// The history store, when `karte record` keeps one; else the in-memory ring.
    pub store: Option<Arc<dyn HistorySource>>,
    /// Whether the diagnoser feeds kernel-log events (else those families are left out).
    pub kernel_log: bool,
    /// Notes shown on the dashboard for the whole run.
    pub notes: Vec<String>,
    pub version: &'static str,
}

impl Options {
    pub fn new(listen: Vec<SocketAddr>) -> Options {
        Options {
            listen,
            tls: None,
            users: None,
            limits: Limits::default(),
            tick: Duration::from_secs(5),
            scrape: ScrapeSource::live(),
            store: None,
            kernel_log: false,
            notes: Vec::new(),
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

/// History points kept in memory: an hour.
const HISTORY_SPAN_SECS: f64 = 3600.0;
/// Most points one `/api/history` answer carries.
const HISTORY_MAX_POINTS: usize = 2000;

struct State {
    current: RwLock<Arc<Published>>,
    ring: Mutex<Ring>,
    store: Option<Arc<dyn HistorySource>>,
}

impl State {
    fn current(&self) -> Arc<Published> {
        match self.current.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    fn set(&self, p: Published) {
        let point = p.history_point.clone();
        let p = Arc::new(p);
        match self.current.write() {
            Ok(mut g) => *g = p,
            Err(poisoned) => *poisoned.into_inner() = p,
        }
        if let Some(pt) = point
            && let Ok(mut r) = self.ring.lock()
        {
            r.push(pt);
        }
    }
}

struct App {
    state: Arc<State>,
    users: Option<Arc<Users>>,
    auth_gate: Arc<Semaphore>,
    scrape: ScrapeSource,
    tls: bool,
}

/// A running server.
pub struct Handle {
    /// The bound addresses (with the real port when 0 was asked for).
    pub addrs: Vec<SocketAddr>,
    stop_tick: mpsc::Sender<()>,
    stop_http: Option<tokio::sync::oneshot::Sender<()>>,
    tick_thread: Option<JoinHandle<()>>,
    http_thread: Option<JoinHandle<()>>,
}

impl Handle {
    /// Blocks until the server stops (it does not, unless [`Handle::stop`] is called elsewhere).
    pub fn wait(mut self) {
        if let Some(t) = self.http_thread.take() {
            let _ = t.join();
        }
    }

    /// Stops serving and ticking, and waits for both threads.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let _ = self.stop_tick.send(());
        if let Some(tx) = self.stop_http.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.http_thread.take() {
            let _ = t.join();
        }
        if let Some(t) = self.tick_thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        if self.stop_http.is_some() {
            self.shutdown();
        }
    }
}

/// Starts serving and blocks forever (or until an error at start).
pub fn run(opts: Options, diagnoser: impl Diagnoser) -> Result<(), String> {
    start(opts, diagnoser)?.wait();
    Ok(())
}

fn bind(addrs: &[SocketAddr]) -> Result<Vec<StdListener>, String> {
    let mut out = Vec::new();
    for a in addrs {
        let l = match StdListener::bind(a) {
            Ok(l) => l,
            // `:PORT` on a host without IPv6: every IPv4 address instead.
            Err(_) if a.ip().is_unspecified() && a.is_ipv6() => {
                let v4 = SocketAddr::from(([0, 0, 0, 0], a.port()));
                StdListener::bind(v4).map_err(|e| format!("cannot listen on {v4}: {e}"))?
            }
            Err(e) => return Err(format!("cannot listen on {a}: {e}")),
        };
        l.set_nonblocking(true)
            .map_err(|e| format!("cannot listen on {a}: {e}"))?;
        out.push(l);
    }
    if out.is_empty() {
        return Err("no address to listen on".into());
    }
    Ok(out)
}

/// Binds, runs the first diagnosis, and starts the tick and HTTP threads.
pub fn start(opts: Options, mut diagnoser: impl Diagnoser) -> Result<Handle, String> {
    let listeners = bind(&opts.listen)?;
    let addrs: Vec<SocketAddr> = listeners
        .iter()
        .filter_map(|l| l.local_addr().ok())
        .collect();

    let tick_secs = opts.tick.as_secs_f64().max(0.1);
    let mut publisher = Publisher::new(opts.version, tick_secs, opts.kernel_log);
    publisher.notes = opts.notes.clone();
    let first = publisher.publish(diagnoser.tick());
    let state = Arc::new(State {
        current: RwLock::new(Arc::new(first)),
        ring: Mutex::new(Ring::for_span(HISTORY_SPAN_SECS, tick_secs)),
        store: opts.store.clone(),
    });
    if let Some(p) = state.current().history_point.clone()
        && let Ok(mut r) = state.ring.lock()
    {
        r.push(p);
    }

    // The tick thread: the second reading soon (so that shares and rates exist), then one
    // every `tick`.
    let (stop_tick, stop_rx) = mpsc::channel::<()>();
    let tick = opts.tick.max(Duration::from_millis(100));
    let tick_state = state.clone();
    let tick_thread = std::thread::Builder::new()
        .name("karte-tick".into())
        .spawn(move || {
            let mut wait = tick.min(Duration::from_secs(2));
            loop {
                match stop_rx.recv_timeout(wait) {
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    _ => return,
                }
                let t0 = Instant::now();
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    publisher.publish(diagnoser.tick())
                }));
                match r {
                    Ok(p) => tick_state.set(p),
                    Err(_) => {
                        eprintln!("karte serve: a diagnosis step failed; serving the previous one")
                    }
                }
                release_free_memory();
                wait = tick
                    .saturating_sub(t0.elapsed())
                    .max(Duration::from_millis(50));
            }
        })
        .map_err(|e| format!("cannot start the tick thread: {e}"))?;

    let users = opts
        .users
        .filter(|u| !u.is_empty())
        .map(|u| Arc::new(Users::new(u)));
    let app = Arc::new(App {
        state,
        users,
        auth_gate: Arc::new(Semaphore::new(opts.limits.max_auth_checks.max(1))),
        scrape: opts.scrape,
        tls: opts.tls.is_some(),
    });
    let limits = Arc::new(opts.limits);
    let tls = opts.tls.map(tokio_rustls::TlsAcceptor::from);
    let (stop_http, stop_http_rx) = tokio::sync::oneshot::channel::<()>();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .max_blocking_threads(2)
        .thread_name("karte-http-blocking")
        .build()
        .map_err(|e| format!("cannot start the HTTP runtime: {e}"))?;
    let http_thread = std::thread::Builder::new()
        .name("karte-http".into())
        .spawn(move || {
            let conns = Arc::new(Semaphore::new(limits.max_connections.max(1)));
            rt.block_on(async move {
                for l in listeners {
                    let Ok(l) = tokio::net::TcpListener::from_std(l) else {
                        continue;
                    };
                    tokio::spawn(accept_loop(
                        l,
                        app.clone(),
                        limits.clone(),
                        tls.clone(),
                        conns.clone(),
                    ));
                }
                let _ = stop_http_rx.await;
            });
        })
        .map_err(|e| format!("cannot start the HTTP thread: {e}"))?;
    Ok(Handle {
        addrs,
        stop_tick,
        stop_http: Some(stop_http),
        tick_thread: Some(tick_thread),
        http_thread: Some(http_thread),
    })
}

/// Hands memory freed since the last tick back to the kernel (glibc keeps it otherwise, and a
/// burst of connections would leave the resident size high for good).
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim has no preconditions; it only releases free memory.
    unsafe {
        libc::malloc_trim(0);
    }
}

async fn accept_loop(
    l: tokio::net::TcpListener,
    app: Arc<App>,
    limits: Arc<Limits>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    conns: Arc<Semaphore>,
) {
    loop {
        let (stream, _peer) = match l.accept().await {
            Ok(x) => x,
            Err(_) => {
                // Out of file descriptors or similar: back off instead of spinning.
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = conns.clone().try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (app, limits, tls) = (app.clone(), limits.clone(), tls.clone());
        tokio::spawn(async move {
            let _permit = permit;
            let io = WriteDeadline::new(stream, limits.write_timeout);
            match tls {
                Some(acceptor) => {
                    let hs =
                        tokio::time::timeout(limits.tls_handshake_timeout, acceptor.accept(io));
                    if let Ok(Ok(s)) = hs.await {
                        serve_http(TokioIo::new(s), app, &limits).await;
                    }
                }
                None => serve_http(TokioIo::new(io), app, &limits).await,
            }
        });
    }
}

async fn serve_http<I>(io: I, app: Arc<App>, limits: &Limits)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let mut b = hyper::server::conn::http1::Builder::new();
    b.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(limits.max_header_bytes.max(8192))
        .max_headers(limits.max_headers)
        .keep_alive(true);
    let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
        let app = app.clone();
        async move { Ok::<_, Infallible>(app.handle(req).await) }
    });
    let _ = b.serve_connection(io, svc).await;
}

type Resp = Response<Full<Bytes>>;

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

fn respond(status: StatusCode, content_type: &str, body: Bytes) -> Resp {
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r
}

fn text(status: StatusCode, msg: &str) -> Resp {
    respond(
        status,
        "text/plain; charset=utf-8",
        Bytes::from(format!("{msg}\n")),
    )
}

fn security_headers(h: &mut HeaderMap, tls: bool) {
    let set = |h: &mut HeaderMap, k: &'static str, v: &'static str| {
        h.insert(k, HeaderValue::from_static(v));
    };
    set(h, "x-content-type-options", "nosniff");
    set(h, "x-frame-options", "DENY");
    set(h, "content-security-policy", CSP);
    set(h, "referrer-policy", "no-referrer");
    set(h, "cross-origin-opener-policy", "same-origin");
    set(h, "cross-origin-resource-policy", "same-origin");
    if tls {
        set(h, "strict-transport-security", "max-age=31536000");
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        set(h, "cache-control", "no-store");
    }
}

/// The value of `name=` in a query string (no percent-decoding: the values karte takes are
/// plain; anything with `%` is refused by the caller's parser).
fn query_param<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    query?
        .split('&')
        .filter_map(|kv| kv.split_once('=').or(Some((kv, ""))))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The language of the findings: `?lang=` first, then the client's Accept-Language.
pub fn pick_lang(query: Option<&str>, accept_language: Option<&str>) -> Lang {
    match query_param(query, "lang") {
        Some(l) if l.starts_with("ja") => return Lang::Ja,
        Some(l) if l.starts_with("en") => return Lang::En,
        _ => {}
    }
    let Some(al) = accept_language else {
        return Lang::En;
    };
    let mut best: Option<(f32, Lang)> = None;
    for (i, part) in al.split(',').take(32).enumerate() {
        let mut it = part.split(';');
        let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = it
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        let lang = if tag.starts_with("ja") {
            Lang::Ja
        } else if tag.starts_with("en") {
            Lang::En
        } else {
            continue;
        };
        // Later entries lose ties (the list is in preference order).
        let score = q - i as f32 * 1e-4;
        if q > 0.0 && best.is_none_or(|(b, _)| score > b) {
            best = Some((score, lang));
        }
    }
    best.map(|b| b.1).unwrap_or(Lang::En)
}

/// `since=`: a unix time, or a span back from now (`90s`, `15m`, `1h`); default one hour.
pub fn parse_since(v: Option<&str>, now: f64) -> Result<f64, String> {
    let Some(v) = v.filter(|v| !v.is_empty()) else {
        return Ok(now - HISTORY_SPAN_SECS);
    };
    let (num, mult) = match v.as_bytes().last() {
        Some(b's') => (&v[..v.len() - 1], Some(1.0)),
        Some(b'm') => (&v[..v.len() - 1], Some(60.0)),
        Some(b'h') => (&v[..v.len() - 1], Some(3600.0)),
        _ => (v, None),
    };
    let n: f64 = num
        .trim_start_matches('-')
        .parse()
        .map_err(|_| format!("since={v}: expected a unix time or a span such as 15m"))?;
    if !n.is_finite() || n < 0.0 {
        return Err(format!("since={v}: out of range"));
    }
    Ok(match mult {
        Some(m) => now - n * m,
        None => n,
    })
}

fn wants_gzip(h: &HeaderMap) -> bool {
    h.get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|part| {
            let mut it = part.split(';');
            let coding = it.next().unwrap_or("").trim();
            let q = it
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            coding.eq_ignore_ascii_case("gzip") && q > 0.0
        })
}

fn now_unix() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

impl App {
    async fn handle(&self, req: Request<Incoming>) -> Resp {
        let mut r = self.route(&req).await;
        security_headers(r.headers_mut(), self.tls);
        r
    }

    async fn route(&self, req: &Request<Incoming>) -> Resp {
        let m = req.method();
        if m != Method::GET && m != Method::HEAD {
            let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD");
            r.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            r.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return r;
        }
        let h = req.headers();
        let has_body = h.contains_key(header::TRANSFER_ENCODING)
            || h.get(header::CONTENT_LENGTH)
                .is_some_and(|v| v.as_bytes() != b"0");
        if has_body {
            let mut r = text(StatusCode::PAYLOAD_TOO_LARGE, "requests carry no body");
            r.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return r;
        }
        if let Some(users) = &self.users
            && !self.authorized(users, h).await
        {
            let mut r = text(StatusCode::UNAUTHORIZED, "authentication required");
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"karte\", charset=\"UTF-8\""),
            );
            return r;
        }
        let path = req.uri().path();
        let query = req.uri().query();
        match path {
            "/metrics" => self.metrics(h),
            "/healthz" => text(StatusCode::OK, "ok"),
            "/api/snapshot" => json(self.state.current().snapshot_json()),
            "/api/summary" => json(self.state.current().summary_json.clone()),
            "/api/findings" => {
                let al = h.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
                let lang = pick_lang(query, al);
                let mut r = json(self.state.current().findings_json(lang));
                r.headers_mut()
                    .insert(header::VARY, HeaderValue::from_static("Accept-Language"));
                r
            }
            "/api/history" => self.history(query),
            _ => match assets::find(path) {
                Some(a) => {
                    let mut r = respond(StatusCode::OK, a.content_type, Bytes::from_static(a.body));
                    r.headers_mut()
                        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
                    r
                }
                None => text(StatusCode::NOT_FOUND, "not found"),
            },
        }
    }

    async fn authorized(&self, users: &Arc<Users>, h: &HeaderMap) -> bool {
        match users.check(h.get(header::AUTHORIZATION).map(|v| v.as_bytes())) {
            Check::Allowed => true,
            Check::Missing => false,
            Check::Verify(p) => {
                let Ok(_permit) = self.auth_gate.clone().acquire_owned().await else {
                    return false;
                };
                let users = users.clone();
                tokio::task::spawn_blocking(move || users.verify(&p))
                    .await
                    .unwrap_or(false)
            }
        }
    }

    /// node_exporter's families read now, after karte's own from the last tick.
    fn metrics(&self, h: &HeaderMap) -> Resp {
        let published = self.state.current();
        let mut buf = Vec::with_capacity(16 * 1024);
        let snap = self.scrape.read(&mut buf);
        let mut e = karte_expo::Exposition::new();
        karte_expo::node::write(&snap, &mut e);
        let node = e.render();
        let mut body = Vec::with_capacity(published.karte_metrics.len() + node.len());
        body.extend_from_slice(&published.karte_metrics);
        body.extend_from_slice(node.as_bytes());
        let gzip = wants_gzip(h);
        let body = if gzip {
            use std::io::Write;
            let mut enc = flate2::write::GzEncoder::new(
                Vec::with_capacity(body.len() / 4),
                flate2::Compression::fast(),
            );
            match enc.write_all(&body).and_then(|()| enc.finish()) {
                Ok(z) => z,
                Err(_) => return text(StatusCode::INTERNAL_SERVER_ERROR, "compression failed"),
            }
        } else {
            body
        };
        let mut r = respond(StatusCode::OK, karte_expo::CONTENT_TYPE, Bytes::from(body));
        r.headers_mut()
            .insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        if gzip {
            r.headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        r
    }

    fn history(&self, query: Option<&str>) -> Resp {
        let now = now_unix();
        let since = match parse_since(query_param(query, "since"), now) {
            Ok(s) => s,
            Err(e) => return text(StatusCode::BAD_REQUEST, &e),
        };
        let (source, name): (&dyn HistorySource, &'static str) = match &self.state.store {
            Some(s) => (&**s, s.name()),
            None => (&self.state.ring, "memory"),
        };
        match source.points(since, now + 60.0, HISTORY_MAX_POINTS) {
            Ok(points) => match serde_json::to_vec(&HistoryColumns::new(name, &points)) {
                Ok(v) => json(Bytes::from(v)),
                Err(_) => text(StatusCode::INTERNAL_SERVER_ERROR, "history unavailable"),
            },
            Err(e) => text(StatusCode::SERVICE_UNAVAILABLE, &e),
        }
    }
}

fn json(body: Bytes) -> Resp {
    respond(StatusCode::OK, "application/json", body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages() {
        assert_eq!(pick_lang(Some("lang=ja"), Some("en")), Lang::Ja);
        assert_eq!(pick_lang(Some("x=1&lang=en"), Some("ja")), Lang::En);
        assert_eq!(pick_lang(None, Some("ja-JP,ja;q=0.9,en;q=0.8")), Lang::Ja);
        assert_eq!(pick_lang(None, Some("en-US,en;q=0.9,ja;q=0.8")), Lang::En);
        assert_eq!(pick_lang(None, Some("fr, ja;q=0.5")), Lang::Ja);
        assert_eq!(pick_lang(None, Some("ja;q=0, en;q=0.1")), Lang::En);
        assert_eq!(pick_lang(None, Some(";;;,,,q=x")), Lang::En);
        assert_eq!(pick_lang(None, None), Lang::En);
    }

    #[test]
    fn since() {
        assert_eq!(parse_since(None, 10_000.0), Ok(6400.0));
        assert_eq!(parse_since(Some("15m"), 10_000.0), Ok(9100.0));
        assert_eq!(parse_since(Some("-90s"), 10_000.0), Ok(9910.0));
        assert_eq!(parse_since(Some("1h"), 10_000.0), Ok(6400.0));
        assert_eq!(parse_since(Some("1700000000.5"), 0.0), Ok(1_700_000_000.5));
        assert!(parse_since(Some("yesterday"), 0.0).is_err());
        assert!(parse_since(Some("NaN"), 0.0).is_err());
        assert!(parse_since(Some("infh"), 0.0).is_err());
    }

    #[test]
    fn gzip_negotiation() {
        let mut h = HeaderMap::new();
        assert!(!wants_gzip(&h));
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
        assert!(wants_gzip(&h));
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("br, GZIP;q=0.5"),
        );
        assert!(wants_gzip(&h));
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip;q=0, identity"),
        );
        assert!(!wants_gzip(&h));
    }
}
