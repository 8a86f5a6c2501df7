//! The chunk decoders never panic, whatever the bytes; valid chunks round-trip.

use karte_store::codec::{self, ProcRow};
use proptest::prelude::*;

fn host_samples() -> impl Strategy<Value = Vec<Vec<(u32, u64)>>> {
    prop::collection::vec(
        prop::collection::btree_map(0u32..200, any::<u64>(), 0..20),
        0..30,
    )
    .prop_map(|v| v.into_iter().map(|m| m.into_iter().collect()).collect())
}

fn proc_row() -> impl Strategy<Value = ProcRow> {
    (
        any::<u32>(),
        any::<u64>(),
        any::<u64>(),
        any::<i64>(),
        any::<u64>(),
        0u32..128,
        any::<u64>(),
    )
        .prop_map(|(pid, ut, st, nice, comm, state, present)| ProcRow {
            pid,
            utime_ticks: ut,
            stime_ticks: st,
            nice,
            comm,
            state,
            present,
            oom_score_adj: nice.wrapping_neg(),
            ..Default::default()
        })
}

fn proc_samples() -> impl Strategy<Value = Vec<Vec<ProcRow>>> {
    prop::collection::vec(prop::collection::vec(proc_row(), 0..12), 0..8).prop_map(|v| {
        v.into_iter()
            .map(|mut s| {
                s.sort_by_key(|r| r.pid);
                s.dedup_by_key(|r| r.pid);
                s
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn garbage_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = codec::decode_host(&bytes, None);
        let _ = codec::decode_host(&bytes, Some(&[1, 2, 3]));
        let _ = codec::decode_procs(&bytes);
        let _ = codec::decompress(&bytes);
        let _ = karte_store::decode_strings(&bytes);
        let mut z = vec![0u8];
        z.extend_from_slice(&bytes);
        let _ = karte_store::decode_strings(&z);
        // With the right magic, to get past the first check.
        let mut h = vec![0xA1];
        h.extend_from_slice(&bytes);
        let _ = codec::decode_host(&h, None);
        let mut p = vec![0xB1];
        p.extend_from_slice(&bytes);
        let _ = codec::decode_procs(&p);
    }

    #[test]
    fn host_round_trip(s in host_samples()) {
        let raw = codec::encode_host(&s);
        prop_assert_eq!(codec::decode_host(&raw, None).expect("decode"), s.clone());
        let z = codec::compress(&raw, codec::HEAD_LEVEL);
        prop_assert_eq!(codec::decompress(&z).expect("unzstd"), raw);
    }

    #[test]
    fn procs_round_trip(s in proc_samples()) {
        let raw = codec::encode_procs(&s);
        prop_assert_eq!(codec::decode_procs(&raw).expect("decode"), s);
    }

    #[test]
    fn damaged_chunks_never_panic(s in host_samples(), p in proc_samples(), flips in prop::collection::vec((any::<usize>(), any::<u8>()), 1..8), cut in any::<usize>()) {
        for mut raw in [codec::encode_host(&s), codec::encode_procs(&p)] {
            if raw.is_empty() { continue; }
            for (at, x) in &flips {
                let n = raw.len();
                raw[at % n] ^= x;
            }
            let _ = codec::decode_host(&raw, None);
            let _ = codec::decode_procs(&raw);
            let short = &raw[..cut % (raw.len() + 1)];
            let _ = codec::decode_host(short, None);
            let _ = codec::decode_procs(short);
            let mut z = codec::compress(&raw, 1);
            let n = z.len();
            z[cut % n] ^= 0x5a;
            if let Ok(r) = codec::decompress(&z) {
                let _ = codec::decode_host(&r, None);
                let _ = codec::decode_procs(&r);
            }
        }
    }
}
