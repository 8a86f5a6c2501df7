//! HTTP basic authentication against bcrypt hashes.
//!
//! bcrypt is slow on purpose (tens of milliseconds at cost 10), and Prometheus sends the same
//! credentials every scrape: a successful check is remembered by a SHA-256 digest of user,
//! password and hash (never the password itself), so a scrape costs a hash lookup. Checks that
//! need bcrypt run one at a time off the event loop, so a flood of wrong passwords costs one
//! CPU at most and never delays the requests that carry known credentials. Unknown users are
//! checked against a dummy hash so that timing does not tell which users exist.

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;

/// Remembered successful credentials; the set is cleared when full.
const CACHE_MAX: usize = 256;

pub struct Users {
    users: BTreeMap<String, String>,
    dummy_hash: String,
    cache: Mutex<HashSet<[u8; 32]>>,
}

/// What a request's `Authorization` header amounts to.
#[derive(Debug)]
pub enum Check {
    /// Known good (remembered).
    Allowed,
    /// Missing or malformed header: ask for credentials.
    Missing,
    /// Needs a bcrypt verification (slow): run [`Users::verify`] off the event loop.
    Verify(Pending),
}

#[derive(Debug)]
pub struct Pending {
    user: String,
    password: Vec<u8>,
}

impl Users {
    pub fn new(users: BTreeMap<String, String>) -> Users {
        // Same cost as the first user's hash, so an unknown user takes as long as a known one.
        let cost = users
            .values()
            .next()
            .and_then(|h| h.parse::<bcrypt::HashParts>().ok())
            .map(|p| p.get_cost())
            .unwrap_or(bcrypt::DEFAULT_COST);
        let dummy_hash =
            bcrypt::hash("karte-dummy-password", cost).unwrap_or_else(|_| String::from("$2y$10$"));
        Users {
            users,
            dummy_hash,
            cache: Mutex::new(HashSet::new()),
        }
    }

    /// Looks at the header; cheap.
    pub fn check(&self, header: Option<&[u8]>) -> Check {
        let Some((user, password)) = header.and_then(parse_basic) else {
            return Check::Missing;
        };
        let key = self.key(&user, &password);
        if let Ok(c) = self.cache.lock()
            && c.contains(&key)
        {
            return Check::Allowed;
        }
        Check::Verify(Pending { user, password })
    }

    /// The slow part: bcrypt. Returns whether the credentials are right, and remembers them.
    pub fn verify(&self, p: &Pending) -> bool {
        let (hash, known) = match self.users.get(&p.user) {
            Some(h) => (h.as_str(), true),
            None => (self.dummy_hash.as_str(), false),
        };
        let ok = bcrypt::verify(&p.password, hash).unwrap_or(false) && known;
        if ok {
            let key = self.key(&p.user, &p.password);
            if let Ok(mut c) = self.cache.lock() {
                if c.len() >= CACHE_MAX {
                    c.clear();
                }
                c.insert(key);
            }
        }
        ok
    }

    fn key(&self, user: &str, password: &[u8]) -> [u8; 32] {
        let hash = self.users.get(user).map(String::as_str).unwrap_or("");
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        for part in [user.as_bytes(), password, hash.as_bytes()] {
            ctx.update(&(part.len() as u64).to_le_bytes());
            ctx.update(part);
        }
        let d = ctx.finish();
        let mut out = [0u8; 32];
        out.copy_from_slice(d.as_ref());
        out
    }
}

/// `Basic base64(user:password)` → (user, password).
pub fn parse_basic(h: &[u8]) -> Option<(String, Vec<u8>)> {
    let h = std::str::from_utf8(h).ok()?.trim();
    let (scheme, rest) = h.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64_decode(rest.trim())?;
    let colon = raw.iter().position(|b| *b == b':')?;
    let user = String::from_utf8(raw[..colon].to_vec()).ok()?;
    Some((user, raw[colon + 1..].to_vec()))
}

/// Standard base64 with padding (RFC 4648 §4), as basic auth uses it. `None` on anything else.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(4) || b.len() > 16 * 1024 {
        return None;
    }
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(b.len() / 4 * 3);
    for (i, chunk) in b.chunks(4).enumerate() {
        let last = i == b.len() / 4 - 1;
        let pad = chunk.iter().rev().take_while(|c| **c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut n = 0u32;
        for (j, c) in chunk.iter().enumerate() {
            let v = if j >= 4 - pad { 0 } else { val(*c)? };
            n = (n << 6) | v;
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64() {
        assert_eq!(
            base64_decode("YWxpY2U6c2VjcmV0").as_deref(),
            Some(&b"alice:secret"[..])
        );
        assert_eq!(base64_decode("YQ==").as_deref(), Some(&b"a"[..]));
        assert_eq!(base64_decode("YWI=").as_deref(), Some(&b"ab"[..]));
        assert_eq!(base64_decode("").as_deref(), Some(&b""[..]));
        assert!(base64_decode("YQ=").is_none());
        assert!(base64_decode("Y===").is_none());
        assert!(base64_decode("YQ==YQ==").is_none());
        assert!(base64_decode("!!!!").is_none());
    }

    #[test]
    fn basic_header() {
        assert_eq!(
            parse_basic(b"Basic YWxpY2U6c2VjcmV0"),
            Some(("alice".into(), b"secret".to_vec()))
        );
        assert_eq!(
            parse_basic(b"basic YWxpY2U6OmE="),
            Some(("alice".into(), b":a".to_vec()))
        );
        assert!(parse_basic(b"Bearer x").is_none());
        assert!(parse_basic(b"Basic bm9jb2xvbg==").is_none());
        assert!(parse_basic(&[0xff, 0xfe]).is_none());
    }

    #[test]
    fn verify_and_remember() {
        let hash = bcrypt::hash("secret", 4).expect("hash");
        let u = Users::new([("alice".to_string(), hash)].into_iter().collect());
        let good = b"Basic YWxpY2U6c2VjcmV0"; // alice:secret
        let bad = b"Basic YWxpY2U6d3Jvbmc="; // alice:wrong
        let nobody = b"Basic Ym9iOnNlY3JldA=="; // bob:secret
        let Check::Verify(p) = u.check(Some(good)) else {
            panic!("first time needs bcrypt")
        };
        assert!(u.verify(&p));
        assert!(matches!(u.check(Some(good)), Check::Allowed));
        let Check::Verify(p) = u.check(Some(bad)) else {
            panic!("bad needs bcrypt")
        };
        assert!(!u.verify(&p));
        let Check::Verify(p) = u.check(Some(nobody)) else {
            panic!("unknown user needs bcrypt")
        };
        assert!(!u.verify(&p));
        assert!(matches!(u.check(None), Check::Missing));
    }
}
