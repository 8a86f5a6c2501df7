//! The corpus: log excerpts in every format and kernel era (`tests/corpus/NAME.log`) with the
//! events they must give (`NAME.expected.jsonl`, one JSON object a line, as `karte events
//! --format json` prints them).
//!
//! Each excerpt is also parsed four more ways, which must all give the same events:
//! every line parsed (prefilter off: catches a keyword missing from the prefilter), fed in
//! one-byte and odd-sized chunks (catches line-splitting bugs), and line by line.
//!
//! After a deliberate change of output, regenerate with `KARTE_BLESS=1 cargo test -p karte-kmsg
//! --test corpus` and review the diff of the expected files.

use karte_kmsg::{Event, Options, Parser, parse_bytes};
use std::fs;
use std::path::{Path, PathBuf};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn logs() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(corpus_dir())
        .expect("corpus dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            (n.ends_with(".log") || n.ends_with(".txt")) && !n.ends_with(".expected.jsonl")
        })
        .collect();
    v.sort();
    v
}

/// Options for an excerpt: `NAME.p16k.log` was written by a kernel with 16 KiB pages.
fn options_for(path: &Path) -> Options {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let mut o = Options::default();
    if name.contains(".p16k.") {
        o.page_size = 16384;
    }
    if name.contains(".p64k.") {
        o.page_size = 65536;
    }
    o
}

fn jsonl(events: &[Event]) -> String {
    let mut s = String::new();
    for e in events {
        s.push_str(&serde_json::to_string(e).expect("serialize"));
        s.push('\n');
    }
    s
}

fn chunked(data: &[u8], opts: &Options, size: usize) -> Vec<Event> {
    let mut p = Parser::new(opts.clone());
    for c in data.chunks(size) {
        p.feed(c);
    }
    p.finish();
    p.drain().collect()
}

fn by_lines(data: &[u8], opts: &Options) -> Vec<Event> {
    let mut p = Parser::new(opts.clone());
    let mut it = data.split(|b| *b == b'\n').peekable();
    while let Some(line) = it.next() {
        if it.peek().is_none() && line.is_empty() {
            break;
        }
        p.feed_line(line);
    }
    p.finish();
    p.drain().collect()
}

#[test]
fn corpus() {
    let bless = std::env::var_os("KARTE_BLESS").is_some();
    let mut failures = Vec::new();
    let files = logs();
    assert!(files.len() >= 20, "the corpus is missing: {}", files.len());
    for path in files {
        let data = fs::read(&path).expect("read log");
        let opts = options_for(&path);
        let events = parse_bytes(&data, &opts);
        let got = jsonl(&events);
        let stem = path.to_string_lossy().to_string();
        let expected_path = PathBuf::from(format!(
            "{}.expected.jsonl",
            stem.trim_end_matches(".log").trim_end_matches(".txt")
        ));
        if bless {
            fs::write(&expected_path, &got).expect("write expected");
        } else {
            let want = fs::read_to_string(&expected_path).unwrap_or_default();
            if want != got {
                failures.push(format!(
                    "{}:\n--- expected\n{}--- got\n{}",
                    path.display(),
                    want,
                    got
                ));
                continue;
            }
        }
        let name = path.display();
        let mut slow = opts.clone();
        slow.prefilter = false;
        let every_line = jsonl(&parse_bytes(&data, &slow));
        if every_line != got {
            failures.push(format!(
                "{name}: parsing every line differs from the prefiltered parse:\n{every_line}"
            ));
        }
        for size in [1usize, 7, 4093] {
            if jsonl(&chunked(&data, &opts, size)) != got {
                failures.push(format!("{name}: chunks of {size} bytes give other events"));
            }
        }
        if jsonl(&by_lines(&data, &opts)) != got {
            failures.push(format!("{name}: feed_line gives other events"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Events stored as JSON (the recorder's store) read back as the same events.
#[test]
fn events_round_trip_through_json() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("corpus") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("log") {
            continue;
        }
        let bytes = std::fs::read(&path).expect("read");
        for e in karte_kmsg::parse_bytes(&bytes, &karte_kmsg::Options::default()) {
            let json = serde_json::to_string(&e).expect("serialize");
            let back: karte_kmsg::Event = serde_json::from_str(&json)
                .unwrap_or_else(|err| panic!("{}: {err}: {json}", path.display()));
            assert_eq!(back, e, "{}", path.display());
            n += 1;
        }
    }
    assert!(n > 50, "only {n} events");
}
