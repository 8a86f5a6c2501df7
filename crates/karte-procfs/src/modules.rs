//! `/proc/modules`: `name size refcount deps state address` per line.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Module {
    pub name: String,
    pub size_bytes: u64,
    pub refcount: Option<u64>,
    /// `Live`, `Loading` or `Unloading`.
    pub state: Option<String>,
}

pub fn parse(text: &str) -> Vec<Module> {
    text.lines()
        .filter_map(|line| {
            let mut it = line.split_ascii_whitespace();
            let name = it.next()?.to_string();
            let size_bytes = it.next()?.parse().ok()?;
            let refcount = it.next().and_then(|s| s.parse().ok());
            let _deps = it.next();
            let state = it.next().map(str::to_string);
            Some(Module {
                name,
                size_bytes,
                refcount,
                state,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses() {
        let m = super::parse(
            "ipmi_si 77824 0 - Live 0x0000000000000000\nipmi_devintf 20480 0 - Live 0x0\n",
        );
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].name, "ipmi_si");
        assert_eq!(m[0].size_bytes, 77824);
        assert_eq!(m[0].state.as_deref(), Some("Live"));
    }
}
