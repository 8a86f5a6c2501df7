//! Where a scrape's CPU goes: reading the files (opened each time, or kept open as `karte serve`
//! does), building the exposition, rendering, gzip. Wall time per step, medians not taken: run it
//! on a quiet host (`cargo run --release -p karte-serve --example scrape_cost`).
use karte_serve::ScrapeSource;
use karte_snapshot::read_snapshot;
use std::time::Instant;

fn main() {
    let src = ScrapeSource::live();
    let n = 2000;
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(read_snapshot(&src.root, &src.options));
    }
    let read = t.elapsed().as_secs_f64() / n as f64;
    let mut buf = Vec::new();
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(src.read(&mut buf));
    }
    let pinned = t.elapsed().as_secs_f64() / n as f64;
    let snap = read_snapshot(&src.root, &src.options);
    let t = Instant::now();
    for _ in 0..n {
        let mut e = karte_expo::Exposition::new();
        karte_expo::node::write(&snap, &mut e);
        std::hint::black_box(e);
    }
    let build = t.elapsed().as_secs_f64() / n as f64;
    let mut e = karte_expo::Exposition::new();
    karte_expo::node::write(&snap, &mut e);
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(e.render());
    }
    let render = t.elapsed().as_secs_f64() / n as f64;
    let text = e.render();
    let t = Instant::now();
    for _ in 0..n {
        use std::io::Write;
        let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let _ = z.write_all(text.as_bytes());
        std::hint::black_box(z.finish().ok());
    }
    let gz = t.elapsed().as_secs_f64() / n as f64;
    println!(
        "read (opened each time) {:.1} us, read (kept open) {:.1} us, build {:.1} us, render {:.1} us, gzip(fast) {:.1} us, {} bytes",
        read * 1e6,
        pinned * 1e6,
        build * 1e6,
        render * 1e6,
        gz * 1e6,
        text.len()
    );
}
