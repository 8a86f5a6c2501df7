//! Capture bundles (DESIGN.md "Capture bundle"): `0/` and `1/` readings of a host some seconds
//! apart, an optional `kmsg.txt` and `meta.json`; a directory, or the same packed as `.tar.gz`.

use crate::root::{MemTree, Root};
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

/// A hostile archive must not exhaust memory: the whole unpacked bundle is capped.
pub const MAX_BUNDLE_BYTES: u64 = 1 << 30;
const MAX_BUNDLE_FILES: usize = 2_000_000;

/// `meta.json`: what the readings alone do not say. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BundleMeta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_hz: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u32>,
    /// Wall-clock times (Unix seconds) at which `0/`, `1/` … were read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reading_unix_secs: Vec<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub karte_version: Option<String>,
    /// Whether the capture ran as root (an unprivileged capture lacks some files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privileged: Option<bool>,
    /// CONFIG_HZ measured at capture time, when it could be.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hz: Option<u32>,
}

/// An opened bundle.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// `0/`, `1/`, … in order; one for a `--root` tree.
    pub readings: Vec<Root>,
    /// The raw bytes of `kmsg.txt`, when present.
    pub kmsg: Option<Arc<Vec<u8>>>,
    pub meta: Option<BundleMeta>,
    /// Things worth telling the user about the bundle itself.
    pub notes: Vec<String>,
}

impl Bundle {
    /// Opens a bundle directory or a `.tar.gz` / `.tgz` file.
    pub fn open(path: &Path) -> Result<Bundle, String> {
        let md = std::fs::metadata(path)
            .map_err(|e| format!("cannot open bundle {}: {e}", path.display()))?;
        let (top, notes) = if md.is_dir() {
            (Root::dir(path), Vec::new())
        } else {
            let f = std::fs::File::open(path)
                .map_err(|e| format!("cannot open bundle {}: {e}", path.display()))?;
            let (tree, notes) = unpack_tar_gz(f)
                .map_err(|e| format!("cannot read bundle {}: {e}", path.display()))?;
            (Root::mem(Arc::new(tree), ""), notes)
        };
        Self::from_top(top, notes)
    }

    /// Opens a single tree (`--root DIR`): one reading, no kernel log.
    pub fn single(root: Root) -> Bundle {
        Bundle {
            readings: vec![root],
            kmsg: None,
            meta: None,
            notes: Vec::new(),
        }
    }

    fn from_top(mut top: Root, mut notes: Vec<String>) -> Result<Bundle, String> {
        // A bundle packed with its own top-level folder (`karte-host-…/0/…`): step into it.
        if top.list("0").is_err()
            && let Ok(names) = top.list("")
            && names.len() == 1
            && top.list(&format!("{}/0", names[0])).is_ok()
        {
            top = top.sub(&names[0]);
        }
        let mut readings = Vec::new();
        for i in 0.. {
            let name = i.to_string();
            if top.list(&name).is_err() {
                break;
            }
            readings.push(top.sub(&name));
        }
        if readings.is_empty() {
            return Err(
                "not a karte bundle: it has no 0/ reading (a single tree is read with --root)"
                    .into(),
            );
        }
        if readings.len() == 1 {
            notes.push(
                "the bundle holds one reading only: rates and interval rules are not known".into(),
            );
        }
        let kmsg = {
            let mut buf = Vec::new();
            top.read_into("kmsg.txt", &mut buf)
                .ok()
                .map(|_| Arc::new(buf))
        };
        let meta = match top.read_string("meta.json") {
            Ok(text) => match serde_json::from_str::<BundleMeta>(&text) {
                Ok(m) => Some(m),
                Err(e) => {
                    notes.push(format!("meta.json ignored: {e}"));
                    None
                }
            },
            Err(_) => None,
        };
        Ok(Bundle {
            readings,
            kmsg,
            meta,
            notes,
        })
    }
}

/// Unpacks a gzip'd tar into memory: regular files only (links, devices and the like are
/// skipped), paths normalised, `..` refused, total size capped.
pub fn unpack_tar_gz(r: impl Read) -> Result<(MemTree, Vec<String>), String> {
    let gz = flate2::read::GzDecoder::new(r);
    let mut ar = tar::Archive::new(gz);
    let mut tree = MemTree::default();
    let mut notes = Vec::new();
    let mut total: u64 = 0;
    let mut skipped_links = 0usize;
    let entries = ar.entries().map_err(|e| e.to_string())?;
    for entry in entries {
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => {
                notes.push(format!(
                    "archive ends early or is damaged ({e}); using what was read"
                ));
                break;
            }
        };
        let kind = entry.header().entry_type();
        if !kind.is_file() {
            if kind.is_symlink() || kind.is_hard_link() {
                skipped_links += 1;
            }
            continue;
        }
        let path = match entry.path() {
            Ok(p) => p.to_string_lossy().into_owned(),
            Err(_) => continue,
        };
        let clean: Vec<&str> = path
            .split('/')
            .filter(|c| !c.is_empty() && *c != ".")
            .collect();
        if clean.contains(&"..") || clean.is_empty() {
            notes.push(format!(
                "skipped unsafe path in archive: {}",
                karte_truncate(&path)
            ));
            continue;
        }
        let size = entry.header().size().unwrap_or(0);
        if size > crate::root::MAX_FILE_BYTES {
            notes.push(format!(
                "skipped oversized file in archive: {}",
                karte_truncate(&path)
            ));
            continue;
        }
        total = total.saturating_add(size);
        if total > MAX_BUNDLE_BYTES || tree.files.len() >= MAX_BUNDLE_FILES {
            notes.push("archive too large; the rest was not read".into());
            break;
        }
        let mut data = Vec::with_capacity(size as usize);
        if let Err(e) = entry.read_to_end(&mut data) {
            notes.push(format!(
                "archive damaged at {} ({e}); using what was read",
                karte_truncate(&path)
            ));
            break;
        }
        tree.insert(&clean.join("/"), data);
    }
    if skipped_links > 0 {
        notes.push(format!(
            "{skipped_links} links in the archive were not followed"
        ));
    }
    if tree.files.is_empty() {
        return Err("no files in archive (is it a .tar.gz?)".into());
    }
    Ok((tree, notes))
}

fn karte_truncate(s: &str) -> String {
    s.chars().take(120).collect()
}

/// Writes a bundle as `.tar.gz`: each reading under `N/`, then `kmsg.txt` and `meta.json`.
pub fn write_tar_gz(
    out: impl std::io::Write,
    readings: &[&MemTree],
    kmsg: Option<&[u8]>,
    meta: &BundleMeta,
    mtime_unix: u64,
) -> std::io::Result<()> {
    let gz = flate2::write::GzEncoder::new(out, flate2::Compression::new(6));
    let mut b = tar::Builder::new(gz);
    let add = |b: &mut tar::Builder<_>, path: &str, data: &[u8]| -> std::io::Result<()> {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(mtime_unix);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, path, data)
    };
    for (i, t) in readings.iter().enumerate() {
        for (path, data) in &t.files {
            add(&mut b, &format!("{i}/{path}"), data)?;
        }
    }
    if let Some(k) = kmsg {
        add(&mut b, "kmsg.txt", k)?;
    }
    let meta_json = serde_json::to_vec_pretty(meta).map_err(std::io::Error::other)?;
    add(&mut b, "meta.json", &meta_json)?;
    let gz = b.into_inner()?;
    gz.finish()?.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn round_trip_tar_gz() {
        let mut a = MemTree::default();
        a.insert("proc/stat", b"cpu  1 2 3 4\n".to_vec());
        a.insert("proc/uptime", b"10.00 5.00\n".to_vec());
        let mut b = MemTree::default();
        b.insert("proc/stat", b"cpu  2 2 3 5\n".to_vec());
        b.insert("proc/uptime", b"12.00 6.00\n".to_vec());
        let meta = BundleMeta {
            hostname: Some("h".into()),
            user_hz: Some(100),
            ..Default::default()
        };
        let mut out = Vec::new();
        write_tar_gz(&mut out, &[&a, &b], Some(b"<6>hello\n"), &meta, 0).expect("write");
        let (tree, notes) = unpack_tar_gz(&out[..]).expect("unpack");
        assert!(notes.is_empty(), "{notes:?}");
        let bundle = Bundle::from_top(Root::mem(Arc::new(tree), ""), vec![]).expect("bundle");
        assert_eq!(bundle.readings.len(), 2);
        assert_eq!(
            bundle.readings[1].read_string("proc/uptime").expect("read"),
            "12.00 6.00\n"
        );
        assert_eq!(
            bundle.kmsg.as_deref().map(|v| v.as_slice()),
            Some(&b"<6>hello\n"[..])
        );
        assert_eq!(bundle.meta.and_then(|m| m.hostname).as_deref(), Some("h"));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(unpack_tar_gz(&b"not gzip at all"[..]).is_err());
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"not a tar").expect("write");
        let bytes = gz.finish().expect("finish");
        assert!(unpack_tar_gz(&bytes[..]).is_err());
    }

    #[test]
    fn a_tree_without_readings_is_refused() {
        let mut t = MemTree::default();
        t.insert("proc/stat", b"x".to_vec());
        assert!(Bundle::from_top(Root::mem(Arc::new(t), ""), vec![]).is_err());
    }

    #[test]
    fn steps_into_a_single_top_folder() {
        let mut t = MemTree::default();
        t.insert("karte-h/0/proc/stat", b"x".to_vec());
        t.insert("karte-h/1/proc/stat", b"y".to_vec());
        let b = Bundle::from_top(Root::mem(Arc::new(t), ""), vec![]).expect("bundle");
        assert_eq!(b.readings.len(), 2);
    }
}
