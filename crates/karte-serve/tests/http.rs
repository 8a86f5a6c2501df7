//! The HTTP side against real sockets: routes and headers, methods, path traversal, malformed
//! and oversized requests, slow clients and slow readers, the connection cap, basic auth and
//! TLS. After every abuse the server must still answer.

mod common;

use common::{assert_alive, get, get_with, raw, request};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[test]
fn routes_and_security_headers() {
    let h = common::start_live_default();
    let a = h.addrs[0];
    for path in [
        "/",
        "/assets/app.js",
        "/assets/app.css",
        "/metrics",
        "/healthz",
        "/api/snapshot",
        "/api/summary",
        "/api/findings",
        "/api/history",
    ] {
        let r = get(a, path);
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("x-frame-options"), Some("DENY"), "{path}");
        assert!(
            r.header("content-security-policy")
                .is_some_and(|v| v.contains("frame-ancestors 'none'")),
            "{path}"
        );
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert!(
            r.header("strict-transport-security").is_none(),
            "no HSTS over plain HTTP"
        );
    }
    let page = get(a, "/").text();
    assert!(page.contains("<script src=\"/assets/app.js\""));
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no external assets"
    );
    let m = get(a, "/metrics");
    assert_eq!(
        m.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = m.text();
    for fam in [
        "karte_build_info",
        "karte_findings",
        "node_cpu_seconds_total",
        "node_load1",
        "node_memory_MemAvailable_bytes",
    ] {
        assert!(text.contains(&format!("# TYPE {fam} ")), "{fam}");
    }
    assert!(!text.contains("# EOF"));
    for doc in [
        "/api/snapshot",
        "/api/summary",
        "/api/findings",
        "/api/history",
    ] {
        let v: serde_json::Value = serde_json::from_slice(&get(a, doc).body).expect(doc);
        assert!(v.is_object(), "{doc}");
    }
    assert_eq!(get(a, "/nope").status, 404);
    h.stop();
}

#[test]
fn gzip_head_languages_and_history() {
    let h = common::start_live_default();
    let a = h.addrs[0];
    let plain = get(a, "/metrics");
    let z = get_with(a, "/metrics", &[("Accept-Encoding", "gzip, deflate")]);
    assert_eq!(z.header("content-encoding"), Some("gzip"));
    let mut unz = String::new();
    flate2::read::GzDecoder::new(&z.body[..])
        .read_to_string(&mut unz)
        .expect("valid gzip");
    let names = |t: &str| {
        t.lines()
            .filter(|l| l.starts_with("# TYPE"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&unz), names(&plain.text()));
    assert!(z.body.len() * 3 < plain.body.len(), "compressed");

    let head = request(a, "HEAD", "/metrics", &[]);
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert!(head.header("content-length").is_some_and(|v| v != "0"));

    let ja = get_with(
        a,
        "/api/findings",
        &[("Accept-Language", "ja-JP,ja;q=0.9,en;q=0.5")],
    );
    assert!(ja.text().contains("\"lang\":\"ja\""));
    assert_eq!(ja.header("vary"), Some("Accept-Language"));
    assert!(
        get(a, "/api/findings?lang=en")
            .text()
            .contains("\"lang\":\"en\"")
    );
    assert_eq!(get(a, "/api/history?since=yesterday").status, 400);
    assert_eq!(get(a, "/api/history?since=15m").status, 200);
    h.stop();
}

#[test]
fn only_get_and_head() {
    let h = common::start_live_default();
    let a = h.addrs[0];
    for m in [
        "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND",
    ] {
        let r = request(a, m, "/metrics", &[]);
        assert_eq!(r.status, 405, "{m}");
        assert_eq!(r.header("allow"), Some("GET, HEAD"), "{m}");
    }
    // A body on a GET is refused, not read.
    let r = request(a, "GET", "/metrics", &[("Content-Length", "5")]);
    assert_eq!(r.status, 413);
    let r = request(a, "GET", "/metrics", &[("Transfer-Encoding", "chunked")]);
    assert_eq!(r.status, 413);
    let out = raw(
        a,
        b"CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n",
    );
    assert!(
        !String::from_utf8_lossy(&out).starts_with("HTTP/1.1 200"),
        "CONNECT is not a tunnel"
    );
    assert_alive(a);
    h.stop();
}

#[test]
fn no_path_traversal() {
    let h = common::start_live_default();
    let a = h.addrs[0];
    for p in [
        "/assets/../../../../etc/passwd",
        "/assets/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/assets/..%2f..%2f..%2fetc%2fpasswd",
        "//etc/passwd",
        "/assets/./app.js/../../Cargo.toml",
        "/assets/app.js%00.png",
        "/..\\..\\etc\\passwd",
        "/assets/",
    ] {
        let out = raw(
            a,
            format!("GET {p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
        );
        let text = String::from_utf8_lossy(&out);
        assert!(!text.contains("root:"), "{p}");
        let status = text.split(' ').nth(1).unwrap_or("");
        assert!(status == "404" || status == "400", "{p}: {status}");
    }
    assert_alive(a);
    h.stop();
}

#[test]
fn malformed_and_oversized_requests_are_refused() {
    let h = common::start_live_default();
    let a = h.addrs[0];
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("garbage", b"GARBAGE\r\n\r\n".to_vec()),
        ("bad version", b"GET / HTTP/9.9\r\nHost: x\r\n\r\n".to_vec()),
        ("no colon", b"GET / HTTP/1.1\r\nHost x\r\n\r\n".to_vec()),
        (
            "nul in path",
            b"GET /\0 HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        ),
        ("binary", (0u8..=255).cycle().take(4096).collect()),
        (
            "bad header name",
            b"GET / HTTP/1.1\r\nHo st: x\r\n\r\n".to_vec(),
        ),
        (
            "two lengths",
            b"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n".to_vec(),
        ),
        (
            "huge uri",
            format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(70_000)).into_bytes(),
        ),
        (
            "huge header",
            format!(
                "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
                "b".repeat(100_000)
            )
            .into_bytes(),
        ),
        ("many headers", {
            let mut s = String::from("GET / HTTP/1.1\r\nHost: x\r\n");
            for i in 0..200 {
                s.push_str(&format!("X-H{i}: v\r\n"));
            }
            s.push_str("\r\n");
            s.into_bytes()
        }),
    ];
    for (name, req) in cases {
        let out = raw(a, &req);
        let text = String::from_utf8_lossy(&out);
        let status = text.split(' ').nth(1).unwrap_or("(closed)");
        assert!(
            !text.starts_with("HTTP/1.1 200"),
            "{name}: accepted: {status}"
        );
        eprintln!("{name}: {status}");
        assert_alive(a);
    }
    // Oversized heads get 431 specifically.
    let out = raw(
        a,
        format!(
            "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
            "b".repeat(100_000)
        )
        .as_bytes(),
    );
    assert!(String::from_utf8_lossy(&out).starts_with("HTTP/1.1 431"));
    // Random junk, many times.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..200 {
        let len = (x % 300) as usize + 1;
        let junk: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect();
        let mut s = TcpStream::connect(a).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(3))).ok();
        let _ = s.write_all(&junk);
        let _ = s.write_all(b"\r\n\r\n");
        let mut buf = [0u8; 256];
        let _ = s.read(&mut buf);
    }
    assert_alive(a);
    h.stop();
}

#[test]
fn slow_clients_are_cut_off_and_others_still_served() {
    let mut o = common::options();
    o.limits = common::limits_fast();
    let h = common::start_live(o);
    let a = h.addrs[0];
    // Slowloris: half a request, then nothing.
    let mut slow: Vec<TcpStream> = (0..20)
        .map(|_| {
            let mut s = TcpStream::connect(a).expect("connect");
            s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .expect("write");
            s
        })
        .collect();
    assert_alive(a);
    let t0 = Instant::now();
    for s in &mut slow {
        s.set_read_timeout(Some(Duration::from_secs(5))).ok();
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
        assert!(
            !String::from_utf8_lossy(&buf).contains(" 200 "),
            "slow request answered"
        );
    }
    let waited = t0.elapsed();
    assert!(
        waited < Duration::from_secs(4),
        "slow clients held for {waited:?}"
    );
    // A client that trickles a byte at a time is cut off too.
    let mut s = TcpStream::connect(a).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let t0 = Instant::now();
    let mut closed = false;
    for b in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n" {
        if s.write_all(&[*b]).is_err() {
            closed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(60));
    }
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    assert!(
        closed || !String::from_utf8_lossy(&buf).contains(" 200 "),
        "trickled request answered after {:?}",
        t0.elapsed()
    );
    assert_alive(a);
    h.stop();
}

#[test]
fn a_client_that_stops_reading_is_dropped() {
    let mut o = common::options();
    o.limits = common::limits_fast();
    let h = common::start_live(o);
    let a = h.addrs[0];
    // Thousands of pipelined scrapes, never read: the responses fill the socket buffers, the
    // server's writes stall, and after the write timeout it drops the connection.
    let mut s = TcpStream::connect(a).expect("connect");
    let one = b"GET /api/snapshot HTTP/1.1\r\nHost: x\r\n\r\n";
    let n = 3000;
    let mut sent = 0;
    s.set_write_timeout(Some(Duration::from_secs(5))).ok();
    for _ in 0..n {
        if s.write_all(one).is_err() {
            break;
        }
        sent += 1;
    }
    std::thread::sleep(Duration::from_secs(4));
    assert_alive(a);
    s.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let answered = buf.windows(15).filter(|w| w == b"HTTP/1.1 200 OK").count();
    assert!(
        answered < sent,
        "all {sent} answered: the stalled writer was not dropped"
    );
    eprintln!("pipelined {sent}, answered {answered} before the server gave up");
    h.stop();
}

#[test]
fn connection_cap() {
    let mut o = common::options();
    o.limits = common::limits_fast();
    o.limits.max_connections = 8;
    let h = common::start_live(o);
    let a = h.addrs[0];
    let idle: Vec<TcpStream> = (0..8)
        .map(|_| TcpStream::connect(a).expect("connect"))
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    // The ninth is closed at once.
    let mut s = TcpStream::connect(a).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(3))).ok();
    let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    assert!(buf.is_empty(), "over the cap but answered");
    // The idle ones time out (header timeout), and the server serves again.
    std::thread::sleep(Duration::from_millis(1500));
    drop(idle);
    assert_alive(a);
    h.stop();
}

#[test]
fn basic_auth() {
    let hash = bcrypt::hash("s3cret", 4).expect("hash");
    let mut o = common::options();
    o.users = Some([("prometheus".to_string(), hash)].into_iter().collect());
    let h = common::start_live(o);
    let a = h.addrs[0];
    let r = get(a, "/metrics");
    assert_eq!(r.status, 401);
    assert!(
        r.header("www-authenticate")
            .is_some_and(|v| v.starts_with("Basic"))
    );
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    // prometheus:wrong, nobody:s3cret, garbage.
    for bad in [
        "Basic cHJvbWV0aGV1czp3cm9uZw==",
        "Basic bm9ib2R5OnMzY3JldA==",
        "Basic !!!",
        "Bearer x",
    ] {
        assert_eq!(
            get_with(a, "/metrics", &[("Authorization", bad)]).status,
            401,
            "{bad}"
        );
    }
    // prometheus:s3cret — twice (the second from the cache).
    for _ in 0..2 {
        for p in ["/metrics", "/", "/api/findings", "/healthz"] {
            assert_eq!(
                get_with(a, p, &[("Authorization", "Basic cHJvbWV0aGV1czpzM2NyZXQ=")]).status,
                200,
                "{p}"
            );
        }
    }
    h.stop();
}

#[derive(Debug)]
struct AnyCert(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AnyCert {
    fn verify_server_cert(
        &self,
        _: &rustls_pki_types::CertificateDer<'_>,
        _: &[rustls_pki_types::CertificateDer<'_>],
        _: &rustls_pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls_pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &rustls_pki_types::CertificateDer<'_>,
        d: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &rustls_pki_types::CertificateDer<'_>,
        d: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

fn tls_get(addr: std::net::SocketAddr, path: &str) -> common::HttpResponse {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCert(provider)))
        .with_no_client_auth();
    let name = rustls_pki_types::ServerName::try_from("127.0.0.1").expect("name");
    let conn = rustls::ClientConnection::new(Arc::new(cfg), name).expect("client");
    let sock = TcpStream::connect(addr).expect("connect");
    sock.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let mut tls = rustls::StreamOwned::new(conn, sock);
    tls.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .expect("write");
    let mut out = Vec::new();
    let _ = tls.read_to_end(&mut out);
    common::parse_response(&out).expect("response over TLS")
}

#[test]
fn tls() {
    let dir = common::tmpdir("tls");
    let Some((cert, key)) = common::self_signed(&dir) else {
        return;
    };
    let cfg = karte_serve::tls::server_config(&karte_serve::config::TlsFiles {
        cert_file: cert,
        key_file: key,
        min_version: None,
    })
    .expect("tls config");
    let mut o = common::options();
    o.tls = Some(cfg);
    o.limits = common::limits_fast();
    let h = common::start_live(o);
    let a = h.addrs[0];
    let r = tls_get(a, "/healthz");
    assert_eq!(r.status, 200);
    assert!(r.header("strict-transport-security").is_some());
    assert!(tls_get(a, "/metrics").text().contains("node_load1 "));
    // Plain HTTP to the TLS port gets no HTTP answer; a client that never finishes the
    // handshake is dropped.
    let out = raw(a, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(!String::from_utf8_lossy(&out).contains("200 OK"));
    let mut s = TcpStream::connect(a).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(4))).ok();
    let t0 = Instant::now();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    assert!(t0.elapsed() < Duration::from_secs(3), "handshake timeout");
    assert_eq!(tls_get(a, "/healthz").status, 200);
    h.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn web_config_file_with_tls_and_users() {
    let dir = common::tmpdir("webconfig");
    let Some((_cert, _key)) = common::self_signed(&dir) else {
        return;
    };
    let hash = bcrypt::hash("pw", 4).expect("hash");
    let path = dir.join("web.yml");
    std::fs::write(
        &path,
        format!("tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\nbasic_auth_users:\n  alice: '{hash}'\n"),
    )
    .expect("write");
    let c = karte_serve::WebConfig::load(&path).expect("loads");
    assert!(c.has_tls() && c.has_auth());
    let t = c.tls_server_config.as_ref().expect("tls");
    assert!(t.cert_file.starts_with(&dir), "relative to the file");
    karte_serve::tls::server_config(t).expect("cert and key load");
    std::fs::write(
        &path,
        "tls_server_config:\n  cert_file: missing.pem\n  key_file: key.pem\n",
    )
    .expect("write");
    let c = karte_serve::WebConfig::load(&path).expect("parses");
    assert!(karte_serve::tls::server_config(c.tls_server_config.as_ref().expect("tls")).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}
