//! The client against a scripted HTTP server on loopback: what real servers and the proxies in
//! front of them answer (401, 403, 404, 502 pages, bad queries, truncated bodies), what the
//! client sends (basic auth, bearer token, extra headers, the form), and how long ranges are
//! split into chunks. No package needed.

use karte_fleet::api::ApiError;
use karte_fleet::{Auth, Client, ClientConfig, FleetError, Limits};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request as the server saw it.
#[derive(Debug, Clone, Default)]
struct Req {
    line: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Req {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn form(&self, key: &str) -> Option<String> {
        self.body.split('&').find_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            (k == key).then(|| percent_decode(v))
        })
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let h = u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap_or(b'?');
                out.push(h);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

type Handler = Box<dyn Fn(&Req) -> (u16, String) + Send + Sync>;

/// Serves `n` connections with `handler`; returns the base URL and the requests seen.
fn serve(n: usize, handler: Handler) -> (String, Arc<Mutex<Vec<Req>>>) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = seen.clone();
    std::thread::spawn(move || {
        for _ in 0..n {
            let Ok((stream, _)) = l.accept() else { return };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut r = BufReader::new(stream);
            let mut req = Req::default();
            let _ = r.read_line(&mut req.line);
            let mut len = 0usize;
            loop {
                let mut h = String::new();
                if r.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                    break;
                }
                if let Some((k, v)) = h.trim().split_once(':') {
                    if k.eq_ignore_ascii_case("content-length") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                    req.headers
                        .push((k.trim().to_string(), v.trim().to_string()));
                }
            }
            let mut body = vec![0u8; len];
            let _ = r.read_exact(&mut body);
            req.body = String::from_utf8_lossy(&body).into_owned();
            let (status, text) = handler(&req);
            if let Ok(mut v) = s2.lock() {
                v.push(req);
            }
            let mut stream = r.into_inner();
            if status == 0 {
                // Hang up without answering.
                continue;
            }
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                text.len()
            );
        }
    });
    (format!("http://127.0.0.1:{port}"), seen)
}

fn client(url: &str, auth: Auth, headers: Vec<(String, String)>, limits: Limits) -> Client {
    Client::new(&ClientConfig {
        url: url.into(),
        auth,
        headers,
        ca_pem: None,
        timeout: Duration::from_secs(5),
        limits,
    })
    .expect("client")
}

fn plain(url: &str) -> Client {
    client(url, Auth::None, vec![], Limits::default())
}

#[test]
fn denied_bad_queries_and_junk_are_errors_with_the_servers_words() {
    let cases: Vec<(u16, &str)> = vec![
        (401, "Unauthorized"),
        (403, "forbidden by policy"),
        (
            400,
            r#"{"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected character"}"#,
        ),
        (200, "<html><body>Sign in</body></html>"),
        (
            200,
            r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"#,
        ),
        (502, "<html>502 Bad Gateway</html>"),
        (404, "404 page not found"),
        (
            422,
            r#"{"status":"error","errorType":"execution","error":"query processing would load too many samples into memory"}"#,
        ),
        (
            200,
            r#"{"status":"success","data":{"resultType":"string","result":[1,"x"]}}"#,
        ),
    ];
    let n = cases.len();
    let c2 = cases.clone();
    let idx = Arc::new(Mutex::new(0usize));
    let (url, _) = serve(
        n,
        Box::new(move |_| {
            let mut i = idx.lock().expect("lock");
            let (s, b) = c2[*i];
            *i += 1;
            (s, b.to_string())
        }),
    );
    let c = plain(&url);
    let mut errs = Vec::new();
    for _ in 0..n {
        errs.push(c.query("up", 1_700_000_000.0).expect_err("not data"));
    }
    assert!(
        matches!(&errs[0], FleetError::Denied { status: 401, .. }),
        "{:?}",
        errs[0]
    );
    assert!(
        errs[0].to_string().contains("HTTP 401 Unauthorized"),
        "{}",
        errs[0]
    );
    assert!(
        errs[1].to_string().contains("HTTP 403 Forbidden")
            && errs[1].to_string().contains("forbidden by policy"),
        "{}",
        errs[1]
    );
    match &errs[2] {
        FleetError::Api {
            error:
                ApiError::Server {
                    error_type,
                    message,
                },
            query,
            ..
        } => {
            assert_eq!(error_type, "bad_data");
            assert!(message.contains("parse error"));
            assert_eq!(query.as_deref(), Some("up"));
        }
        e => panic!("{e:?}"),
    }
    assert!(
        matches!(
            &errs[3],
            FleetError::Api {
                error: ApiError::Malformed(_),
                ..
            }
        ),
        "{:?}",
        errs[3]
    );
    assert!(
        errs[3].to_string().contains("not a Prometheus API answer"),
        "{}",
        errs[3]
    );
    assert!(
        matches!(
            &errs[4],
            FleetError::Api {
                error: ApiError::Malformed(_),
                ..
            }
        ),
        "{:?}",
        errs[4]
    );
    assert!(
        matches!(&errs[5], FleetError::Http { status: 502, .. }),
        "{:?}",
        errs[5]
    );
    assert!(errs[5].to_string().contains("502 Bad Gateway"));
    assert!(
        errs[6].to_string().contains("HTTP 404") && errs[6].to_string().contains("path prefix"),
        "{}",
        errs[6]
    );
    assert!(
        errs[7].to_string().contains("too many samples"),
        "{}",
        errs[7]
    );
    assert!(
        matches!(
            &errs[8],
            FleetError::Api {
                error: ApiError::Malformed(_),
                ..
            }
        ),
        "{:?}",
        errs[8]
    );
}

#[test]
fn hang_up_is_unreachable() {
    let (url, _) = serve(1, Box::new(|_| (0, String::new())));
    let e = plain(&url).query("up", 1.0).expect_err("no answer");
    assert!(matches!(e, FleetError::Unreachable { .. }), "{e:?}");
}

const MATRIX: &str = r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#;

#[test]
fn credentials_and_headers_are_sent() {
    let (url, seen) = serve(3, Box::new(|_| (200, MATRIX.to_string())));
    client(
        &url,
        Auth::Basic {
            user: "karte".into(),
            password: "s3cret:x".into(),
        },
        vec![("X-Scope-OrgID".into(), "tenant-1".into())],
        Limits::default(),
    )
    .query_range("up", 0.0, 60.0, 60.0, 1)
    .expect("ok");
    client(
        &url,
        Auth::Bearer("tok.en".into()),
        vec![],
        Limits::default(),
    )
    .query("up", 1.0)
    .expect("ok");
    client(&url, Auth::None, vec![], Limits::default())
        .query("up", 1.0)
        .expect("ok");
    let v = seen.lock().expect("lock").clone();
    assert!(
        v[0].line.starts_with("POST /api/v1/query_range "),
        "{}",
        v[0].line
    );
    // base64("karte:s3cret:x")
    assert_eq!(
        v[0].header("authorization"),
        Some("Basic a2FydGU6czNjcmV0Ong=")
    );
    assert_eq!(v[0].header("x-scope-orgid"), Some("tenant-1"));
    assert_eq!(v[0].form("query").as_deref(), Some("up"));
    assert_eq!(v[0].form("step").as_deref(), Some("60.000"));
    assert_eq!(v[1].header("authorization"), Some("Bearer tok.en"));
    assert_eq!(v[2].header("authorization"), None);
}

#[test]
fn long_ranges_are_split_into_chunks_and_merged() {
    // 101 steps of 60 s with room for 10 samples per answer: 11 requests. (The first chunk is
    // also capped at FIRST_CHUNK_STEPS, which is more than 10.)
    let (url, seen) = serve(
        11,
        Box::new(|r| {
            let s: f64 = r.form("start").and_then(|x| x.parse().ok()).unwrap_or(0.0);
            let e: f64 = r.form("end").and_then(|x| x.parse().ok()).unwrap_or(0.0);
            let mut pts = Vec::new();
            let mut t = s;
            while t <= e + 1e-6 {
                pts.push(format!("[{t},\"{}\"]", t / 60.0));
                t += 60.0;
            }
            (
                200,
                format!(
                    r#"{{"status":"success","data":{{"resultType":"matrix","result":[{{"metric":{{"__name__":"x"}},"values":[{}]}}]}}}}"#,
                    pts.join(",")
                ),
            )
        }),
    );
    let c = client(
        &url,
        Auth::None,
        vec![],
        Limits {
            samples_per_query: 10,
            max_body_bytes: 1 << 20,
        },
    );
    let a = c.query_range("x", 6000.0, 12000.0, 60.0, 1).expect("ok");
    assert_eq!(a.data.len(), 1);
    let pts = &a.data[0].points;
    assert_eq!(pts.len(), 101);
    assert!(
        pts.windows(2)
            .all(|w| (w[1].0 - w[0].0 - 60.0).abs() < 1e-9),
        "in order, no overlap"
    );
    assert_eq!(pts[0], (6000.0, 100.0));
    assert_eq!(seen.lock().expect("lock").len(), 11);
}

#[test]
fn oversized_answers_are_refused_clearly() {
    let big = format!(
        r#"{{"status":"success","data":{{"resultType":"matrix","result":[{{"metric":{{"a":"{}"}},"values":[]}}]}}}}"#,
        "x".repeat(5000)
    );
    let (url, _) = serve(1, Box::new(move |_| (200, big.clone())));
    let c = client(
        &url,
        Auth::None,
        vec![],
        Limits {
            samples_per_query: 1000,
            max_body_bytes: 1000,
        },
    );
    let e = c.query("up", 1.0).expect_err("too big");
    assert!(e.to_string().contains("larger than 1000 bytes"), "{e}");
}
