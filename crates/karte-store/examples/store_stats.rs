//! Prints a store's sizes as JSON: `store_stats DB [--seal]`. With `--seal`, first seals the
//! readings not yet in a chunk and vacuums, to show the size a long recording settles at.

use karte_store::{Store, WriterOptions};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(db) = args.next() else {
        eprintln!("usage: store_stats DB [--seal]");
        std::process::exit(2);
    };
    let path = std::path::Path::new(&db);
    let seal = args.next().as_deref() == Some("--seal");
    let run = || -> Result<(), karte_store::StoreError> {
        if seal {
            let mut w = Store::open_writer(path, WriterOptions::default())?;
            w.seal_all()?;
            w.connection().execute_batch("VACUUM;")?;
            w.checkpoint()?;
        }
        let mut r = Store::open_reader(path)?;
        let st = r.stats()?;
        // Values per reading: the host numbers of the latest reading.
        let per_reading = match r.latest()? {
            Some(s) => r
                .reading(&s, karte_store::Want::HOST)
                .map(|x| count_numbers(&x.snapshot))
                .unwrap_or(0),
            None => 0,
        };
        let series = r.series_names()?.len();
        println!(
            "{}",
            serde_json::json!({
                "samples": st.samples,
                "series": series,
                "host_numbers_per_reading": per_reading,
                "file_bytes": st.file_bytes,
                "used_bytes": st.used_bytes,
                "host_chunk_bytes": st.host_chunk_bytes,
                "proc_chunk_bytes": st.proc_chunk_bytes,
                "head_bytes": st.head_bytes,
                "strings_bytes": st.strings_bytes,
                "host_chunks": st.host_chunks,
                "proc_chunks": st.proc_chunks,
            })
        );
        Ok(())
    };
    if let Err(e) = run() {
        eprintln!("{db}: {e}");
        std::process::exit(1);
    }
}

/// How many host numbers a reading holds (what the store keeps as series values).
fn count_numbers(s: &karte_snapshot::Snapshot) -> usize {
    struct Count(usize);
    impl karte_store::flatten::Sink for Count {
        fn num(&mut self, _: &str, _: &str, _: &str, _: u64) {
            self.0 += 1;
        }
        fn fact(&mut self, _: &str, _: String) {}
    }
    let mut c = Count(0);
    karte_store::flatten::flatten_host(s, &mut c);
    c.0
}
