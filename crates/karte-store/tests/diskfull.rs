//! A full disk: appends fail with a clear error, nothing breaks, and writing resumes when space
//! returns. Needs root to mount a small tmpfs; skipped with a message otherwise.

mod common;

use common::*;
use karte_store::{Extra, Store, StoreError, Want, WriterOptions};
use std::ffi::CString;

fn mount_tmpfs(dir: &std::path::Path, size: &str, remount: bool) -> Result<(), String> {
    let target = CString::new(dir.as_os_str().as_encoded_bytes()).map_err(|e| e.to_string())?;
    let fstype = CString::new("tmpfs").map_err(|e| e.to_string())?;
    let data = CString::new(format!("size={size}")).map_err(|e| e.to_string())?;
    let flags = if remount { libc::MS_REMOUNT } else { 0 };
    // SAFETY: all pointers are valid NUL-terminated strings that outlive the call.
    let rc = unsafe {
        libc::mount(
            fstype.as_ptr(),
            target.as_ptr(),
            fstype.as_ptr(),
            flags,
            data.as_ptr().cast(),
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error().to_string())
    }
}

fn umount(dir: &std::path::Path) {
    if let Ok(t) = CString::new(dir.as_os_str().as_encoded_bytes()) {
        // SAFETY: a valid NUL-terminated path.
        unsafe { libc::umount2(t.as_ptr(), libc::MNT_DETACH) };
    }
}

#[test]
fn disk_full_pauses_and_resumes() {
    // SAFETY: no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIPPED disk_full_pauses_and_resumes: needs root to mount a small tmpfs");
        return;
    }
    let dir = tempdir("diskfull");
    if let Err(e) = mount_tmpfs(&dir, "1m", false) {
        eprintln!("SKIPPED disk_full_pauses_and_resumes: cannot mount a tmpfs here ({e})");
        return;
    }
    let db = dir.join("k.db");
    let extra = Extra {
        boot_id: boot_id(),
        events: Vec::new(),
        ..Default::default()
    };
    let result = std::panic::catch_unwind(|| {
        let mut w = Store::open_writer(
            &db,
            WriterOptions {
                host_chunk: 5,
                proc_chunk: 5,
            },
        )
        .expect("open");
        let mut ok = 0;
        let mut full = 0;
        for _ in 0..2000 {
            match w.append(&live(), &extra) {
                Ok(_) => ok += 1,
                Err(e) => {
                    assert!(
                        matches!(e, StoreError::DiskFull(_)) || e.is_transient(),
                        "not a disk-full error: {e}"
                    );
                    full += 1;
                    if full >= 5 {
                        break;
                    }
                }
            }
        }
        assert!(full >= 5, "the 1 MB tmpfs never filled ({ok} readings)");
        assert!(ok > 0);
        // Space returns: the same writer goes on.
        mount_tmpfs(&dir, "64m", true).expect("remount");
        let mut resumed = 0;
        for _ in 0..3 {
            if w.append(&live(), &extra).is_ok() {
                resumed += 1;
            }
        }
        assert_eq!(resumed, 3, "writing did not resume");
        drop(w);
        let mut r = Store::open_reader(&db).expect("reader");
        assert_eq!(r.integrity_check().expect("check"), "ok");
        let samples = r.samples_between(i64::MIN, i64::MAX).expect("samples");
        assert_eq!(samples.len(), ok + resumed);
        let mut n = 0;
        r.scan(&samples, Want::ALL, |_| {
            n += 1;
            Ok(())
        })
        .expect("scan");
        assert_eq!(n, samples.len());
        eprintln!("disk full after {ok} readings; {full} appends refused; resumed after remount");
    });
    umount(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(p) = result {
        std::panic::resume_unwind(p);
    }
}
