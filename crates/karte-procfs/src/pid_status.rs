//! `/proc/<pid>/status`: `Key:\tvalue` lines. Names are escaped here, unlike in `stat`.

use serde::Serialize;

/// The status fields karte uses. Memory in kB.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PidStatus {
    pub name: Option<String>,
    pub tgid: Option<u32>,
    /// Real, effective, saved, filesystem UIDs.
    pub uids: Option<[u32; 4]>,
    pub vm_rss_kb: Option<u64>,
    pub rss_anon_kb: Option<u64>,
    pub rss_file_kb: Option<u64>,
    pub rss_shmem_kb: Option<u64>,
    pub vm_swap_kb: Option<u64>,
    pub vm_lck_kb: Option<u64>,
    pub threads: Option<u64>,
    pub voluntary_ctxt_switches: Option<u64>,
    pub nonvoluntary_ctxt_switches: Option<u64>,
}

fn kb(v: &str) -> Option<u64> {
    let mut it = v.split_ascii_whitespace();
    let n = it.next()?.parse().ok()?;
    match it.next() {
        Some(u) if u.eq_ignore_ascii_case("kb") => Some(n),
        _ => None,
    }
}

pub fn parse(text: &str) -> PidStatus {
    let mut s = PidStatus::default();
    for line in text.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let v = v.trim();
        match k {
            "Name" => s.name = Some(v.to_string()),
            "Tgid" => s.tgid = v.parse().ok(),
            "Uid" => {
                let ids: Vec<u32> = v
                    .split_ascii_whitespace()
                    .filter_map(|x| x.parse().ok())
                    .collect();
                if ids.len() == 4 {
                    s.uids = Some([ids[0], ids[1], ids[2], ids[3]]);
                }
            }
            "VmRSS" => s.vm_rss_kb = kb(v),
            "RssAnon" => s.rss_anon_kb = kb(v),
            "RssFile" => s.rss_file_kb = kb(v),
            "RssShmem" => s.rss_shmem_kb = kb(v),
            "VmSwap" => s.vm_swap_kb = kb(v),
            "VmLck" => s.vm_lck_kb = kb(v),
            "Threads" => s.threads = v.parse().ok(),
            "voluntary_ctxt_switches" => s.voluntary_ctxt_switches = v.parse().ok(),
            "nonvoluntary_ctxt_switches" => s.nonvoluntary_ctxt_switches = v.parse().ok(),
            _ => {}
        }
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses() {
        let s = super::parse(
            "Name:\tsshd\nTgid:\t812\nUid:\t0\t0\t0\t0\nVmRSS:\t    7048 kB\nVmSwap:\t       0 kB\nThreads:\t1\nvoluntary_ctxt_switches:\t55\n",
        );
        assert_eq!(s.name.as_deref(), Some("sshd"));
        assert_eq!(s.uids, Some([0, 0, 0, 0]));
        assert_eq!(s.vm_rss_kb, Some(7048));
        assert_eq!(s.vm_swap_kb, Some(0));
        assert_eq!(s.threads, Some(1));
        assert_eq!(s.voluntary_ctxt_switches, Some(55));
        assert_eq!(s.rss_anon_kb, None);
    }
}
