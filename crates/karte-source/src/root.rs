//! [`Root`]: read files below a directory or an in-memory tree.

use std::collections::BTreeMap;
use std::ffi::CString;
use std::fmt;
use std::io::{self, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// No single file karte reads is legitimately larger than this; a bigger one in a bundle is
/// garbage or hostile, and reading it whole would waste memory.
pub const MAX_FILE_BYTES: u64 = 32 << 20;

/// Why a file is "not known".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// Absent: an old kernel, a container, a process that exited, a bundle without it.
    NotFound,
    /// Permission denied (an unprivileged user, a hardened kernel).
    Denied,
    /// Larger than [`MAX_FILE_BYTES`].
    TooLarge,
    /// Any other IO error, with its text.
    Other(String),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::NotFound => f.write_str("not found"),
            ReadError::Denied => f.write_str("permission denied"),
            ReadError::TooLarge => write!(f, "larger than {} MiB", MAX_FILE_BYTES >> 20),
            ReadError::Other(e) => f.write_str(e),
        }
    }
}

impl std::error::Error for ReadError {}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        match e.kind() {
            io::ErrorKind::NotFound => ReadError::NotFound,
            io::ErrorKind::PermissionDenied => ReadError::Denied,
            _ => match e.raw_os_error() {
                // ESRCH: the process exited while we read it. ENOTDIR: a path component is a
                // file. Both mean the thing is not there.
                Some(libc::ESRCH) | Some(libc::ENOTDIR) => ReadError::NotFound,
                Some(libc::EACCES) | Some(libc::EPERM) => ReadError::Denied,
                _ => ReadError::Other(e.to_string()),
            },
        }
    }
}

/// Files held in memory, keyed by their path relative to the tree's top (no leading `/`).
#[derive(Debug, Default)]
pub struct MemTree {
    pub(crate) files: BTreeMap<String, Vec<u8>>,
}

impl MemTree {
    pub fn insert(&mut self, path: &str, data: Vec<u8>) {
        self.files.insert(path.trim_matches('/').to_string(), data);
    }

    /// Number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// A file's content as text, if held.
    pub fn text(&self, path: &str) -> Option<String> {
        self.files
            .get(path.trim_matches('/'))
            .map(|b| String::from_utf8_lossy(b).into_owned())
    }

    /// Paths and contents, sorted by path.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }
}

/// Where files are read from.
#[derive(Debug, Clone)]
pub enum Tree {
    /// A directory of the file system; `/` for the live host.
    Dir(PathBuf),
    /// A subtree of an in-memory tree (`prefix` ends with `/` or is empty).
    Mem { tree: Arc<MemTree>, prefix: String },
}

/// Files read below a tree; optionally every successful read is also copied into a recorder,
/// which is how `karte collect` captures exactly the files that a reading uses — and nothing
/// else: no directory walk, so no symbolic link can lead it out of /proc and /sys.
#[derive(Debug, Clone)]
pub struct Root {
    pub tree: Tree,
    recorder: Option<Arc<Mutex<MemTree>>>,
}

impl Root {
    /// The live host.
    pub fn live() -> Root {
        Root::dir("/")
    }

    pub fn dir(path: impl Into<PathBuf>) -> Root {
        Root {
            tree: Tree::Dir(path.into()),
            recorder: None,
        }
    }

    pub fn mem(tree: Arc<MemTree>, prefix: &str) -> Root {
        let k = mem_key("", prefix);
        Root {
            tree: Tree::Mem {
                tree,
                prefix: if k.is_empty() { k } else { format!("{k}/") },
            },
            recorder: None,
        }
    }

    /// The same root, also copying every file it reads into `recorder`.
    pub fn recording(&self, recorder: Arc<Mutex<MemTree>>) -> Root {
        Root {
            tree: self.tree.clone(),
            recorder: Some(recorder),
        }
    }

    pub fn is_live(&self) -> bool {
        matches!(&self.tree, Tree::Dir(p) if p == Path::new("/"))
    }

    /// A description for notes and errors.
    pub fn describe(&self) -> String {
        match &self.tree {
            Tree::Dir(p) => p.display().to_string(),
            Tree::Mem { prefix, .. } => format!("bundle:{prefix}"),
        }
    }

    fn record(&self, rel: &str, data: &[u8]) {
        if let Some(r) = &self.recorder
            && let Ok(mut t) = r.lock()
        {
            t.insert(rel, data.to_vec());
        }
    }

    /// Reads a whole file into `buf` (cleared first). `rel` is relative to the root, like
    /// `proc/stat`.
    pub fn read_into(&self, rel: &str, buf: &mut Vec<u8>) -> Result<(), ReadError> {
        buf.clear();
        match &self.tree {
            Tree::Dir(base) => {
                let f = open_below(base, rel)?;
                read_capped(f, buf)?;
            }
            Tree::Mem { tree, prefix } => {
                let key = mem_key(prefix, rel);
                let data = tree.files.get(&key).ok_or(ReadError::NotFound)?;
                buf.extend_from_slice(data);
            }
        }
        self.record(rel, buf);
        Ok(())
    }

    /// Reads a whole file as text (invalid UTF-8 replaced).
    pub fn read_string(&self, rel: &str) -> Result<String, ReadError> {
        let mut buf = Vec::new();
        self.read_into(rel, &mut buf)?;
        Ok(match String::from_utf8(buf) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }

    /// The names in a directory, unsorted.
    pub fn list(&self, rel: &str) -> Result<Vec<String>, ReadError> {
        match &self.tree {
            Tree::Dir(base) => {
                let path = join(base, rel);
                let rd = std::fs::read_dir(&path)?;
                let mut out = Vec::new();
                for e in rd {
                    let e = e?;
                    out.push(e.file_name().to_string_lossy().into_owned());
                }
                Ok(out)
            }
            Tree::Mem { tree, prefix } => {
                let dir = mem_key(prefix, rel);
                let start = if dir.is_empty() {
                    String::new()
                } else {
                    format!("{dir}/")
                };
                let mut out: Vec<String> = Vec::new();
                for k in tree.files.range(start.clone()..) {
                    let Some(rest) = k.0.strip_prefix(&start) else {
                        break;
                    };
                    let name = rest.split('/').next().unwrap_or(rest);
                    if out.last().map(String::as_str) != Some(name) {
                        out.push(name.to_string());
                    }
                }
                if out.is_empty() {
                    return Err(ReadError::NotFound);
                }
                Ok(out)
            }
        }
    }

    /// Opens a directory once so that many files in it can be read cheaply (a process's
    /// directory under /proc: one path lookup instead of seven).
    pub fn open_dir(&self, rel: &str) -> Result<DirHandle, ReadError> {
        let recorder = self
            .recorder
            .clone()
            .map(|r| (r, rel.trim_matches('/').to_string()));
        match &self.tree {
            Tree::Dir(base) => {
                let path = join(base, rel);
                let c = CString::new(path.as_os_str().as_bytes())
                    .map_err(|_| ReadError::Other("path holds a NUL".into()))?;
                // SAFETY: c is a valid NUL-terminated path; the returned fd is checked.
                let fd = unsafe {
                    libc::open(
                        c.as_ptr(),
                        libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
                    )
                };
                if fd < 0 {
                    return Err(io::Error::last_os_error().into());
                }
                // SAFETY: fd is a freshly opened descriptor that nothing else owns.
                Ok(DirHandle {
                    inner: DirInner::Fd(unsafe { OwnedFd::from_raw_fd(fd) }),
                    recorder,
                })
            }
            Tree::Mem { tree, prefix } => {
                let dir = mem_key(prefix, rel);
                let root = Root {
                    tree: Tree::Mem {
                        tree: tree.clone(),
                        prefix: format!("{dir}/"),
                    },
                    recorder: None,
                };
                Ok(DirHandle {
                    inner: DirInner::Mem(root),
                    recorder,
                })
            }
        }
    }

    /// A root for a subdirectory (a bundle's `0/`).
    pub fn sub(&self, rel: &str) -> Root {
        let tree = match &self.tree {
            Tree::Dir(base) => Tree::Dir(join(base, rel)),
            Tree::Mem { tree, prefix } => {
                let k = mem_key(prefix, rel);
                Tree::Mem {
                    tree: tree.clone(),
                    prefix: if k.is_empty() { k } else { format!("{k}/") },
                }
            }
        };
        Root {
            tree,
            recorder: None,
        }
    }

    /// The target of a symbolic link, as written (live roots only; bundles hold no links).
    pub fn read_link(&self, rel: &str) -> Result<String, ReadError> {
        match &self.tree {
            Tree::Dir(base) => Ok(std::fs::read_link(join(base, rel))?
                .to_string_lossy()
                .into_owned()),
            Tree::Mem { .. } => Err(ReadError::NotFound),
        }
    }
}

/// A directory opened once, for reading several files in it.
#[derive(Debug)]
pub struct DirHandle {
    inner: DirInner,
    recorder: Option<(Arc<Mutex<MemTree>>, String)>,
}

#[derive(Debug)]
enum DirInner {
    Fd(OwnedFd),
    Mem(Root),
}

impl DirHandle {
    /// Reads the file `name` (no `/`) of this directory into `buf`.
    pub fn read_into(&self, name: &str, buf: &mut Vec<u8>) -> Result<(), ReadError> {
        self.read_inner(name, buf)?;
        if let Some((r, dir)) = &self.recorder
            && let Ok(mut t) = r.lock()
        {
            t.insert(&format!("{dir}/{name}"), buf.clone());
        }
        Ok(())
    }

    fn read_inner(&self, name: &str, buf: &mut Vec<u8>) -> Result<(), ReadError> {
        buf.clear();
        match &self.inner {
            DirInner::Fd(fd) => {
                let c =
                    CString::new(name).map_err(|_| ReadError::Other("name holds a NUL".into()))?;
                // SAFETY: fd is an open directory; c is NUL-terminated; the result is checked.
                let f = unsafe {
                    libc::openat(
                        fd.as_raw_fd(),
                        c.as_ptr(),
                        libc::O_RDONLY | libc::O_CLOEXEC | libc::O_NOFOLLOW,
                    )
                };
                if f < 0 {
                    return Err(io::Error::last_os_error().into());
                }
                // SAFETY: f is a freshly opened descriptor that nothing else owns.
                let file = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(f) });
                read_capped(file, buf)
            }
            DirInner::Mem(root) => root.read_into(name, buf),
        }
    }
}

fn mem_key(prefix: &str, rel: &str) -> String {
    let rel = rel.trim_matches('/');
    if prefix.is_empty() {
        rel.to_string()
    } else if rel.is_empty() {
        prefix.trim_end_matches('/').to_string()
    } else {
        format!("{prefix}{rel}")
    }
}

fn join(base: &Path, rel: &str) -> PathBuf {
    base.join(rel.trim_start_matches('/'))
}

fn read_capped(f: std::fs::File, buf: &mut Vec<u8>) -> Result<(), ReadError> {
    let mut take = f.take(MAX_FILE_BYTES + 1);
    match take.read_to_end(buf) {
        Ok(_) if buf.len() as u64 > MAX_FILE_BYTES => {
            buf.clear();
            Err(ReadError::TooLarge)
        }
        Ok(_) => Ok(()),
        Err(e) => {
            buf.clear();
            Err(e.into())
        }
    }
}

/// Opens `rel` below `base`. For the live root this is a plain open. For any other directory
/// (a bundle someone sent us), symbolic links and `..` must not lead outside it: openat2 with
/// RESOLVE_IN_ROOT resolves them as if `base` were `/`; where the kernel lacks openat2 (before
/// 5.6), the path is canonicalised and checked instead.
fn open_below(base: &Path, rel: &str) -> Result<std::fs::File, ReadError> {
    let rel = rel.trim_start_matches('/');
    if base == Path::new("/") {
        return Ok(std::fs::File::open(Path::new("/").join(rel))?);
    }
    match openat2_in_root(base, rel) {
        Ok(f) => Ok(f),
        Err(e)
            if e.raw_os_error() == Some(libc::ENOSYS) || e.raw_os_error() == Some(libc::EPERM) =>
        {
            // EPERM: seccomp filters in some container runtimes deny openat2.
            let path = base.join(rel);
            let canon = std::fs::canonicalize(&path)?;
            let canon_base = std::fs::canonicalize(base)?;
            if !canon.starts_with(&canon_base) {
                return Err(ReadError::NotFound);
            }
            Ok(std::fs::File::open(canon)?)
        }
        Err(e) => Err(e.into()),
    }
}

#[repr(C)]
struct OpenHow {
    flags: u64,
    mode: u64,
    resolve: u64,
}

const RESOLVE_IN_ROOT: u64 = 0x10;

fn openat2_in_root(base: &Path, rel: &str) -> io::Result<std::fs::File> {
    let cbase = CString::new(base.as_os_str().as_bytes())
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: cbase is NUL-terminated; result checked.
    let dfd = unsafe {
        libc::open(
            cbase.as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    if dfd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: dfd was just opened and is owned here.
    let dir = unsafe { OwnedFd::from_raw_fd(dfd) };
    let crel = CString::new(rel).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    let how = OpenHow {
        flags: (libc::O_RDONLY | libc::O_CLOEXEC) as u64,
        mode: 0,
        resolve: RESOLVE_IN_ROOT,
    };
    // SAFETY: the pointers are valid for the call; size matches the struct the kernel expects
    // (open_how is 24 bytes); the result is checked.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            dir.as_raw_fd(),
            crel.as_ptr(),
            &how as *const OpenHow,
            std::mem::size_of::<OpenHow>(),
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd is a fresh descriptor owned here.
    Ok(std::fs::File::from(unsafe {
        OwnedFd::from_raw_fd(fd as i32)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmpdir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("karte-root-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("mkdir");
        d
    }

    #[test]
    fn reads_and_lists_a_directory() {
        let d = tmpdir("dir");
        std::fs::create_dir_all(d.join("proc/1")).expect("mkdir");
        std::fs::write(d.join("proc/stat"), "cpu  1 2 3 4\n").expect("write");
        std::fs::write(d.join("proc/1/stat"), "1 (init) S").expect("write");
        let r = Root::dir(&d);
        assert_eq!(r.read_string("proc/stat").expect("read"), "cpu  1 2 3 4\n");
        assert_eq!(r.read_string("/proc/stat").expect("read"), "cpu  1 2 3 4\n");
        assert_eq!(r.read_string("proc/nope"), Err(ReadError::NotFound));
        let mut names = r.list("proc").expect("list");
        names.sort();
        assert_eq!(names, vec!["1", "stat"]);
        let h = r.open_dir("proc/1").expect("open");
        let mut buf = Vec::new();
        h.read_into("stat", &mut buf).expect("read");
        assert_eq!(buf, b"1 (init) S");
        assert_eq!(h.read_into("status", &mut buf), Err(ReadError::NotFound));
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn symlinks_cannot_escape_a_bundle() {
        let d = tmpdir("escape");
        let outside = tmpdir("outside");
        std::fs::write(outside.join("secret"), "secret").expect("write");
        std::fs::create_dir_all(d.join("proc")).expect("mkdir");
        std::os::unix::fs::symlink(outside.join("secret"), d.join("proc/stat")).expect("symlink");
        std::os::unix::fs::symlink(
            "../../../../../../../../../../../etc/hostname",
            d.join("proc/up"),
        )
        .expect("symlink");
        let r = Root::dir(&d);
        assert!(
            r.read_string("proc/stat").is_err(),
            "absolute link followed out of the root"
        );
        assert!(
            r.read_string("proc/up").is_err(),
            "relative link followed out of the root"
        );
        assert!(r.read_string("../outside/secret").is_err());
        let _ = std::fs::remove_dir_all(&d);
        let _ = std::fs::remove_dir_all(&outside);
    }

    #[test]
    fn in_memory_tree() {
        let mut t = MemTree::default();
        t.insert("0/proc/stat", b"a".to_vec());
        t.insert("0/proc/12/stat", b"b".to_vec());
        t.insert("0/proc/12/status", b"c".to_vec());
        t.insert("1/proc/stat", b"d".to_vec());
        let top = Root::mem(Arc::new(t), "");
        let r0 = top.sub("0");
        assert_eq!(r0.read_string("proc/stat").expect("read"), "a");
        assert_eq!(top.sub("1").read_string("proc/stat").expect("read"), "d");
        assert_eq!(r0.list("proc").expect("list"), vec!["12", "stat"]);
        let h = r0.open_dir("proc/12").expect("dir");
        let mut buf = Vec::new();
        h.read_into("status", &mut buf).expect("read");
        assert_eq!(buf, b"c");
        assert_eq!(r0.list("sys"), Err(ReadError::NotFound));
    }

    #[test]
    fn live_proc_is_readable() {
        let r = Root::live();
        assert!(
            r.read_string("proc/stat")
                .expect("live /proc/stat")
                .starts_with("cpu")
        );
    }
}

#[cfg(test)]
mod recorder_tests {
    use super::*;

    #[test]
    fn recording_copies_what_was_read() {
        let rec = Arc::new(Mutex::new(MemTree::default()));
        let r = Root::live().recording(rec.clone());
        let mut buf = Vec::new();
        r.read_into("proc/loadavg", &mut buf).expect("read");
        let h = r.open_dir("proc/self").expect("self");
        h.read_into("stat", &mut buf).expect("read");
        let t = rec.lock().expect("lock");
        assert!(t.files.contains_key("proc/loadavg"));
        assert!(t.files.contains_key("proc/self/stat"));
        assert_eq!(t.files.len(), 2);
    }
}
