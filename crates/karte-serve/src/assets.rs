//! The dashboard's files, embedded in the binary. Looked up by exact name in a fixed table:
//! there is no file system behind it, so no path can reach anything else.

pub struct Asset {
    pub path: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
}

pub const ASSETS: &[Asset] = &[
    Asset {
        path: "/",
        content_type: "text/html; charset=utf-8",
        body: include_bytes!("../assets/index.html"),
    },
    Asset {
        path: "/assets/app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/app.js"),
    },
    Asset {
        path: "/assets/app.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../assets/app.css"),
    },
    Asset {
        path: "/assets/icon.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("../assets/icon.svg"),
    },
];

/// The asset at exactly this path (no decoding, no normalisation: `/assets/../x`,
/// `/assets/%2e%2e/x` and `/assets//app.js` are simply not in the table).
pub fn find(path: &str) -> Option<&'static Asset> {
    let path = if path == "/index.html" { "/" } else { path };
    ASSETS.iter().find(|a| a.path == path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_names_only() {
        assert!(find("/").is_some());
        assert!(find("/assets/app.js").is_some());
        for bad in [
            "/assets/../Cargo.toml",
            "/assets/%2e%2e/Cargo.toml",
            "/assets//app.js",
            "/assets/app.js/",
            "/assets/./app.js",
            "/../../etc/passwd",
            "/assets/APP.JS",
        ] {
            assert!(find(bad).is_none(), "{bad}");
        }
    }
}
