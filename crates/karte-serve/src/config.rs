//! The web-config file (node_exporter's `--web.config.file` format, a subset) and the listen
//! address policy.
//!
//! ```yaml
//! tls_server_config:
//!   cert_file: server.crt        # relative paths are relative to this file
//!   key_file: server.key
//!   min_version: TLS12           # optional: TLS12 (default) or TLS13
//! basic_auth_users:
//!   alice: $2y$10$...            # bcrypt hashes (htpasswd -nBC 10 alice)
//! ```
//!
//! Keys node_exporter knows but karte does not implement (client certificates, cipher lists,
//! extra headers) are refused by name rather than ignored: a setting that silently does nothing
//! is a security hole.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};

/// Largest web-config file read.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebConfig {
    #[serde(default)]
    pub tls_server_config: Option<TlsFiles>,
    /// User name → bcrypt hash.
    #[serde(default)]
    pub basic_auth_users: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
    #[serde(default)]
    pub min_version: Option<String>,
}

impl WebConfig {
    /// Reads and checks a web-config file. Relative certificate paths are resolved against the
    /// file's directory.
    pub fn load(path: &Path) -> Result<WebConfig, String> {
        let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
        if meta.len() > MAX_CONFIG_BYTES {
            return Err(format!("{}: larger than 1 MiB", path.display()));
        }
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut c = WebConfig::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        if let Some(t) = &mut c.tls_server_config {
            if t.cert_file.is_relative() {
                t.cert_file = base.join(&t.cert_file);
            }
            if t.key_file.is_relative() {
                t.key_file = base.join(&t.key_file);
            }
        }
        Ok(c)
    }

    /// Parses the YAML text of a web-config file and checks it.
    pub fn parse(text: &str) -> Result<WebConfig, String> {
        let empty = text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#') || l.trim() == "---");
        let c: WebConfig = if empty {
            WebConfig::default()
        } else {
            serde_saphyr::from_str(text).map_err(|e| explain_yaml_error(&e.to_string()))?
        };
        c.check()?;
        Ok(c)
    }

    fn check(&self) -> Result<(), String> {
        if let Some(t) = &self.tls_server_config {
            if t.cert_file.as_os_str().is_empty() || t.key_file.as_os_str().is_empty() {
                return Err("tls_server_config needs both cert_file and key_file".into());
            }
            if let Some(v) = &t.min_version
                && v != "TLS12"
                && v != "TLS13"
            {
                return Err(format!(
                    "tls_server_config.min_version: {v:?} is not TLS12 or TLS13"
                ));
            }
        }
        for (user, hash) in &self.basic_auth_users {
            if user.is_empty() || user.contains(':') {
                return Err(format!(
                    "basic_auth_users: {user:?} is not a valid user name (empty, or contains ':')"
                ));
            }
            if hash.parse::<bcrypt::HashParts>().is_err() {
                return Err(format!(
                    "basic_auth_users.{user}: not a bcrypt hash ($2y$, $2b$ or $2a$ followed by the cost and 53 characters)"
                ));
            }
        }
        Ok(())
    }

    pub fn has_tls(&self) -> bool {
        self.tls_server_config.is_some()
    }

    pub fn has_auth(&self) -> bool {
        !self.basic_auth_users.is_empty()
    }
}

/// Names the node_exporter settings karte refuses, so that the user knows why.
fn explain_yaml_error(e: &str) -> String {
    for key in [
        "client_auth_type",
        "client_ca_file",
        "client_allowed_sans",
        "cipher_suites",
        "curve_preferences",
        "max_version",
        "prefer_server_cipher_suites",
        "http_server_config",
        "cert",
        "key",
    ] {
        if e.contains(&format!("`{key}`")) || e.contains(&format!("\"{key}\"")) {
            return format!(
                "{e} (karte supports tls_server_config.cert_file, key_file and min_version, and basic_auth_users)"
            );
        }
    }
    e.to_string()
}

/// Parses `--listen`: `IP:PORT`, `[IPv6]:PORT`, `HOST:PORT` (resolved through /etc/hosts and
/// DNS, every address bound), or `:PORT` for every address (node_exporter's form).
pub fn parse_listen(s: &str) -> Result<Vec<SocketAddr>, String> {
    let s = s.trim();
    if let Some(port) = s.strip_prefix(':') {
        let port: u16 = port
            .parse()
            .map_err(|_| format!("--listen {s}: not a port number"))?;
        return Ok(vec![SocketAddr::new(
            IpAddr::V6(Ipv6Addr::UNSPECIFIED),
            port,
        )]);
    }
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok(vec![a]);
    }
    if !s.contains(':') {
        return Err(format!(
            "--listen {s}: expected ADDRESS:PORT (e.g. 127.0.0.1:{})",
            crate::DEFAULT_PORT
        ));
    }
    let mut v: Vec<SocketAddr> = s
        .to_socket_addrs()
        .map_err(|e| format!("--listen {s}: {e}"))?
        .collect();
    v.sort();
    v.dedup();
    if v.is_empty() {
        return Err(format!("--listen {s}: the name has no address"));
    }
    Ok(v)
}

/// Whether an address is reachable only from this host.
pub fn is_loopback(a: &SocketAddr) -> bool {
    match a.ip() {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// Refuses to expose the server beyond loopback without TLS or basic auth, unless the user said
/// `--insecure`. Returns a warning to print when it goes ahead insecurely.
pub fn check_exposure(
    addrs: &[SocketAddr],
    tls: bool,
    auth: bool,
    insecure: bool,
) -> Result<Option<String>, String> {
    let open: Vec<String> = addrs
        .iter()
        .filter(|a| !is_loopback(a))
        .map(|a| a.to_string())
        .collect();
    if open.is_empty() || tls || auth {
        return Ok(None);
    }
    let what = open.join(", ");
    if insecure {
        Ok(Some(format!(
            "listening on {what} without TLS or authentication (--insecure): anyone who can reach it sees this host's processes and findings"
        )))
    } else {
        Err(format!(
            "refusing to listen on {what} without TLS or basic auth: set them in a --web-config file, listen on 127.0.0.1, or pass --insecure"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "$2y$04$7CkK7yi5X/U4e7J4Zf0O0.7Za6DN5b6eiY4zHaRwYmhS7b8W2wM9e";

    #[test]
    fn parses_node_exporter_style() {
        let c = WebConfig::parse(&format!(
            "tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\nbasic_auth_users:\n  alice: {HASH}\n"
        ))
        .expect("valid");
        assert!(c.has_tls() && c.has_auth());
        assert_eq!(
            c.tls_server_config.as_ref().map(|t| t.cert_file.clone()),
            Some(PathBuf::from("a.crt"))
        );
    }

    #[test]
    fn empty_file_is_no_tls_no_auth() {
        let c = WebConfig::parse("# nothing\n\n").expect("empty is fine");
        assert!(!c.has_tls() && !c.has_auth());
    }

    #[test]
    fn refuses_what_it_does_not_implement() {
        let e = WebConfig::parse(
            "tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAndVerifyClientCert\n",
        )
        .expect_err("client certs are not implemented");
        assert!(e.contains("client_auth_type"), "{e}");
        assert!(WebConfig::parse("basic_auth_users:\n  bob: plaintext\n").is_err());
        assert!(WebConfig::parse("tls_server_config:\n  cert_file: a\n").is_err());
        assert!(WebConfig::parse(": : :\n\t- [").is_err());
        assert!(WebConfig::parse("basic_auth_users: [1, 2]\n").is_err());
    }

    #[test]
    fn listen_forms() {
        assert_eq!(
            parse_listen("127.0.0.1:11118").expect("ip:port"),
            vec!["127.0.0.1:11118".parse().expect("addr")]
        );
        let any = parse_listen(":9").expect(":port");
        assert!(any[0].ip().is_unspecified());
        assert!(parse_listen("[::1]:80").expect("v6")[0].ip().is_loopback());
        assert!(parse_listen("nonsense").is_err());
        assert!(parse_listen(":99999").is_err());
        let lh = parse_listen("localhost:11118").expect("localhost resolves");
        assert!(lh.iter().all(is_loopback));
    }

    #[test]
    fn exposure_policy() {
        let lo: Vec<SocketAddr> = vec!["127.0.0.1:1".parse().expect("a")];
        let any: Vec<SocketAddr> = vec!["0.0.0.0:1".parse().expect("a")];
        let mapped: Vec<SocketAddr> = vec!["[::ffff:127.0.0.1]:1".parse().expect("a")];
        assert_eq!(check_exposure(&lo, false, false, false), Ok(None));
        assert_eq!(check_exposure(&mapped, false, false, false), Ok(None));
        assert!(check_exposure(&any, false, false, false).is_err());
        assert_eq!(check_exposure(&any, true, false, false), Ok(None));
        assert_eq!(check_exposure(&any, false, true, false), Ok(None));
        assert!(matches!(
            check_exposure(&any, false, false, true),
            Ok(Some(_))
        ));
    }
}
