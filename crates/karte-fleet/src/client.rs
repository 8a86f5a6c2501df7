//! The Prometheus HTTP API client: the only code of this crate that does IO.
//!
//! It speaks the API that Prometheus, Thanos, Mimir, Cortex and VictoriaMetrics all serve
//! (`/api/v1/query_range`, `/api/v1/query`, `/api/v1/label/<name>/values`), over http or https
//! (rustls), with basic auth, a bearer token or extra headers (`X-Scope-OrgID` for multi-tenant
//! servers). Queries are POSTed as forms, so long selectors never hit a URL length limit, and
//! long ranges are split into chunks that stay under the server's limits: at most
//! [`MAX_STEPS_PER_QUERY`] points per series (Prometheus refuses more than 11,000) and about
//! [`Limits::samples_per_query`] samples per answer (the answer's size and the server's
//! `--query.max-samples`).

use crate::api::{self, ApiError, Series};
use std::collections::BTreeMap;
use std::time::Duration;

/// Prometheus answers "exceeded maximum resolution of 11,000 points per timeseries" beyond this.
pub const MAX_STEPS_PER_QUERY: usize = 10_000;

/// Steps of the first chunk of a range query, before the number of series is known.
pub const FIRST_CHUNK_STEPS: usize = 256;

/// How a request authenticates.
#[derive(Clone, Default)]
pub enum Auth {
    #[default]
    None,
    Basic {
        user: String,
        password: String,
    },
    Bearer(String),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print secrets.
        match self {
            Auth::None => write!(f, "None"),
            Auth::Basic { user, .. } => write!(f, "Basic({user}, ***)"),
            Auth::Bearer(_) => write!(f, "Bearer(***)"),
        }
    }
}

/// Where the server is and how to talk to it.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Base URL: `http://prometheus:9090`, or with a path prefix (`https://mimir/prometheus`).
    pub url: String,
    pub auth: Auth,
    /// Extra request headers (name, value).
    pub headers: Vec<(String, String)>,
    /// PEM file(s) content of CA certificates to trust instead of the bundled web roots.
    pub ca_pem: Option<Vec<u8>>,
    /// Whole-request timeout.
    pub timeout: Duration,
    pub limits: Limits,
}

/// Limits a query keeps to.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Samples (series × steps) one answer may carry; chunks are sized to it.
    pub samples_per_query: usize,
    /// Largest body read, in bytes.
    pub max_body_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            samples_per_query: 500_000,
            max_body_bytes: 256 << 20,
        }
    }
}

/// Why the server could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FleetError {
    /// Bad options (URL, CA file, ...).
    Config(String),
    /// No answer: connection refused, DNS, TLS, timeout.
    Unreachable { url: String, detail: String },
    /// 401 or 403.
    Denied {
        url: String,
        status: u16,
        detail: String,
    },
    /// Any other HTTP error status, with the server's message when it gave one.
    Http {
        url: String,
        status: u16,
        detail: String,
    },
    /// The server answered but not with data: a bad query, or not the API.
    Api {
        url: String,
        query: Option<String>,
        error: ApiError,
    },
}

impl std::fmt::Display for FleetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FleetError::Config(m) => write!(f, "{m}"),
            FleetError::Unreachable { url, detail } => {
                write!(f, "cannot reach Prometheus at {url}: {detail}")
            }
            FleetError::Denied {
                url,
                status,
                detail,
            } => write!(
                f,
                "Prometheus at {url} refused the request (HTTP {status}{}): check --prometheus-user and the password, or the bearer token{}",
                if *status == 401 {
                    " Unauthorized"
                } else {
                    " Forbidden"
                },
                if detail.is_empty() {
                    String::new()
                } else {
                    format!(" ({detail})")
                }
            ),
            FleetError::Http {
                url,
                status,
                detail,
            } => {
                write!(f, "Prometheus at {url} answered HTTP {status}")?;
                if *status == 404 {
                    write!(
                        f,
                        " (is the URL the server's base, without /api/v1? a path prefix such as /prometheus belongs in it)"
                    )?;
                }
                if !detail.is_empty() {
                    write!(f, ": {detail}")?;
                }
                Ok(())
            }
            FleetError::Api { url, query, error } => {
                write!(f, "Prometheus at {url}: {error}")?;
                if let Some(q) = query {
                    write!(f, " (query: {q})")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for FleetError {}

/// A connection to one server.
#[derive(Clone)]
pub struct Client {
    agent: ureq::Agent,
    base: String,
    auth_header: Option<String>,
    headers: Vec<(String, String)>,
    limits: Limits,
}

/// Standard base64 (RFC 4648) for the basic-auth header.
fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= c.len() {
                out.push(T[((n >> shift) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

impl Client {
    pub fn new(cfg: &ClientConfig) -> Result<Client, FleetError> {
        let base = cfg.url.trim().trim_end_matches('/').to_string();
        let lower = base.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://"))
            || base.len() < "https://".len()
        {
            return Err(FleetError::Config(format!(
                "--prometheus {:?}: give an http:// or https:// URL",
                cfg.url
            )));
        }
        let mut tls = ureq::tls::TlsConfig::builder();
        if let Some(pem) = &cfg.ca_pem {
            let mut certs = Vec::new();
            for item in ureq::tls::parse_pem(pem) {
                if let Ok(ureq::tls::PemItem::Certificate(c)) = item {
                    certs.push(c);
                }
            }
            if certs.is_empty() {
                return Err(FleetError::Config(
                    "the CA file holds no PEM certificate".into(),
                ));
            }
            tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&certs));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(cfg.timeout))
            .tls_config(tls.build())
            .user_agent(concat!("karte/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        let auth_header = match &cfg.auth {
            Auth::None => None,
            Auth::Basic { user, password } => Some(format!(
                "Basic {}",
                base64(format!("{user}:{password}").as_bytes())
            )),
            Auth::Bearer(t) => Some(format!("Bearer {}", t.trim())),
        };
        for (k, v) in &cfg.headers {
            if k.is_empty() || !k.chars().all(is_token_char) || v.chars().any(|c| c.is_control()) {
                return Err(FleetError::Config(format!("bad header {k:?}")));
            }
        }
        Ok(Client {
            agent,
            base,
            auth_header,
            headers: cfg.headers.clone(),
            limits: cfg.limits,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// POSTs a form to an API path and returns the body of a 2xx answer, or of a 4xx/5xx answer
    /// that carries the API's JSON error (Prometheus answers 400 and 422 so).
    fn post(&self, path: &str, form: &[(&str, String)]) -> Result<String, FleetError> {
        let url = format!("{}{path}", self.base);
        let mut req = self.agent.post(&url);
        if let Some(a) = &self.auth_header {
            req = req.header("Authorization", a);
        }
        for (k, v) in &self.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        req = req.header("Accept", "application/json");
        let resp = req.send_form(form.iter().map(|(k, v)| (*k, v.as_str())));
        let mut resp = match resp {
            Ok(r) => r,
            Err(e) => {
                let detail = match e {
                    ureq::Error::Timeout(t) => format!("timed out ({t})"),
                    ureq::Error::HostNotFound => "host not found".into(),
                    ureq::Error::ConnectionFailed => "connection failed".into(),
                    ureq::Error::Io(io) => io.to_string(),
                    other => other.to_string(),
                };
                let detail = if detail.contains("certificate") || detail.contains("UnknownIssuer") {
                    format!(
                        "{detail} (for a server whose certificate comes from a private CA, give --prometheus-ca FILE)"
                    )
                } else {
                    detail
                };
                return Err(FleetError::Unreachable {
                    url: self.base.clone(),
                    detail,
                });
            }
        };
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(self.limits.max_body_bytes)
            .read_to_string();
        let body = match body {
            Ok(b) => b,
            Err(ureq::Error::BodyExceedsLimit(n)) => {
                return Err(FleetError::Http {
                    url: self.base.clone(),
                    status,
                    detail: format!(
                        "answer larger than {n} bytes: use a shorter --since or a larger --step"
                    ),
                });
            }
            Err(e) => {
                return Err(FleetError::Unreachable {
                    url: self.base.clone(),
                    detail: format!("reading the answer: {e}"),
                });
            }
        };
        match status {
            200..=299 => Ok(body),
            401 | 403 => Err(FleetError::Denied {
                url: self.base.clone(),
                status,
                detail: api::head(body.trim()),
            }),
            400 | 422 | 503 if body.trim_start().starts_with('{') => Ok(body),
            _ => {
                // The API's error message if it is JSON, else the start of the body.
                let detail = match api::parse_query(&body) {
                    Err(ApiError::Server {
                        error_type,
                        message,
                    }) => format!("{error_type}: {message}"),
                    _ => api::head(body.trim()),
                };
                Err(FleetError::Http {
                    url: self.base.clone(),
                    status,
                    detail,
                })
            }
        }
    }

    fn api_err(&self, query: &str, error: ApiError) -> FleetError {
        FleetError::Api {
            url: self.base.clone(),
            query: Some(query.chars().take(200).collect()),
            error,
        }
    }

    /// An instant query at time `t`.
    pub fn query(&self, query: &str, t: f64) -> Result<api::Answer<Vec<Series>>, FleetError> {
        let body = self.post(
            "/api/v1/query",
            &[("query", query.to_string()), ("time", fmt_time(t))],
        )?;
        api::parse_query(&body).map_err(|e| self.api_err(query, e))
    }

    /// A range query over `[start, end]` at `step` seconds, split into chunks under the limits.
    /// `series_hint` is how many series the query is expected to give (it sizes the first chunk;
    /// later chunks use the count actually seen). Points are at `start + k·step`.
    pub fn query_range(
        &self,
        query: &str,
        start: f64,
        end: f64,
        step: f64,
        series_hint: usize,
    ) -> Result<api::Answer<Vec<Series>>, FleetError> {
        let mut out: BTreeMap<BTreeMap<String, String>, Vec<(f64, f64)>> = BTreeMap::new();
        let mut warnings = Vec::new();
        let mut dropped = 0;
        if !(step > 0.0 && end >= start && start.is_finite() && end.is_finite()) {
            return Err(FleetError::Config("empty or reversed time range".into()));
        }
        let total_steps = ((end - start) / step).floor() as usize + 1;
        let mut k = 0usize;
        let mut series = series_hint.max(1);
        while k < total_steps {
            // The first chunk also finds out how many series there are: keep it short.
            let cap = if k == 0 {
                FIRST_CHUNK_STEPS
            } else {
                MAX_STEPS_PER_QUERY
            };
            let per_chunk = (self.limits.samples_per_query / series).clamp(1, cap);
            let n = per_chunk.min(total_steps - k);
            let s = start + k as f64 * step;
            let e = start + (k + n - 1) as f64 * step;
            let body = self.post(
                "/api/v1/query_range",
                &[
                    ("query", query.to_string()),
                    ("start", fmt_time(s)),
                    ("end", fmt_time(e)),
                    ("step", fmt_step(step)),
                ],
            )?;
            let a = api::parse_query(&body).map_err(|e| self.api_err(query, e))?;
            for w in a.warnings {
                if !warnings.contains(&w) {
                    warnings.push(w);
                }
            }
            dropped += a.dropped;
            series = a.data.len().max(1);
            for sr in a.data {
                out.entry(sr.labels).or_default().extend(sr.points);
            }
            k += n;
        }
        let data = out
            .into_iter()
            .map(|(labels, points)| Series { labels, points })
            .collect();
        Ok(api::Answer {
            data,
            warnings,
            dropped,
        })
    }

    /// Values of a label over `[start, end]`, optionally only of series matching `matcher`.
    pub fn label_values(
        &self,
        label: &str,
        matcher: Option<&str>,
        start: f64,
        end: f64,
    ) -> Result<api::Answer<Vec<String>>, FleetError> {
        let mut form = vec![("start", fmt_time(start)), ("end", fmt_time(end))];
        if let Some(m) = matcher {
            form.push(("match[]", m.to_string()));
        }
        // The label endpoints take GET or POST (POST since Prometheus 2.24); GET is the most
        // widely served, so ask with a query string.
        let qs: Vec<String> = form
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect();
        let path = format!("/api/v1/label/{}/values?{}", enc(label), qs.join("&"));
        let body = self.get(&path)?;
        api::parse_label_values(&body).map_err(|e| self.api_err(matcher.unwrap_or(label), e))
    }

    fn get(&self, path: &str) -> Result<String, FleetError> {
        let url = format!("{}{path}", self.base);
        let mut req = self.agent.get(&url);
        if let Some(a) = &self.auth_header {
            req = req.header("Authorization", a);
        }
        for (k, v) in &self.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        let mut resp = req.call().map_err(|e| FleetError::Unreachable {
            url: self.base.clone(),
            detail: e.to_string(),
        })?;
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(self.limits.max_body_bytes)
            .read_to_string()
            .map_err(|e| FleetError::Unreachable {
                url: self.base.clone(),
                detail: format!("reading the answer: {e}"),
            })?;
        match status {
            200..=299 => Ok(body),
            401 | 403 => Err(FleetError::Denied {
                url: self.base.clone(),
                status,
                detail: api::head(body.trim()),
            }),
            400 | 422 | 503 if body.trim_start().starts_with('{') => Ok(body),
            _ => Err(FleetError::Http {
                url: self.base.clone(),
                status,
                detail: api::head(body.trim()),
            }),
        }
    }
}

/// Percent-encoding of a query-string component.
fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Unix seconds with millisecond precision, as the API takes them.
fn fmt_time(t: f64) -> String {
    format!("{:.3}", t)
}

fn fmt_step(step: f64) -> String {
    format!("{:.3}", step)
}

/// A PromQL string literal (double-quoted, escaped).
pub fn promql_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A regular expression (RE2) that matches `s` literally.
pub fn regex_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings() {
        assert_eq!(base64(b"user:pass"), "dXNlcjpwYXNz");
        assert_eq!(base64(b"a"), "YQ==");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b""), "");
        assert_eq!(enc("up{a=\"b\"}"), "up%7Ba%3D%22b%22%7D");
        assert_eq!(promql_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(regex_quote("10.0.0.1:9100"), "10\\.0\\.0\\.1:9100");
    }

    #[test]
    fn bad_urls_and_headers() {
        let cfg = |url: &str| ClientConfig {
            url: url.into(),
            auth: Auth::None,
            headers: vec![],
            ca_pem: None,
            timeout: Duration::from_secs(1),
            limits: Limits::default(),
        };
        assert!(Client::new(&cfg("prometheus:9090")).is_err());
        assert!(Client::new(&cfg("http://")).is_err());
        assert!(Client::new(&cfg("http://127.0.0.1:9/")).is_ok());
        let mut c = cfg("http://127.0.0.1:9");
        c.headers = vec![("X Bad".into(), "v".into())];
        assert!(Client::new(&c).is_err());
        c.headers = vec![];
        c.ca_pem = Some(b"not a pem".to_vec());
        assert!(Client::new(&c).is_err());
        assert_eq!(
            format!(
                "{:?}",
                Auth::Basic {
                    user: "u".into(),
                    password: "secret".into()
                }
            ),
            "Basic(u, ***)"
        );
    }

    #[test]
    fn unreachable_is_an_error_not_a_panic() {
        // Port 9 (discard) on loopback: nothing listens there in a test sandbox.
        let c = Client::new(&ClientConfig {
            url: "http://127.0.0.1:9".into(),
            auth: Auth::None,
            headers: vec![],
            ca_pem: None,
            timeout: Duration::from_secs(2),
            limits: Limits::default(),
        })
        .expect("client");
        let e = c.query("up", 1.0).expect_err("nothing listens");
        assert!(matches!(e, FleetError::Unreachable { .. }), "{e:?}");
        assert!(
            e.to_string()
                .starts_with("cannot reach Prometheus at http://127.0.0.1:9")
        );
    }
}
