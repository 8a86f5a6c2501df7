//! `karte serve`: Prometheus metrics (node_exporter-compatible families plus karte's findings),
//! a JSON API and a dashboard, from one small process that never forks.
//!
//! ```text
//!            ┌──────────── tick thread ────────────┐
//!  Diagnoser │ tick() every --interval: snapshot,  │──> Published (Arc, swapped per tick):
//!  (engine)  │ interval, findings en+ja, events    │      karte_* families, JSON documents
//!            └─────────────────────────────────────┘    history ring (last hour)
//!
//!            ┌──────── tokio current-thread runtime ───────┐
//!  clients ──│ accept → [TLS] → HTTP/1.1 (hyper) → limits, │
//!            │ auth → route → /metrics reads the node      │
//!            │ families from /proc at scrape time          │
//!            └─────────────────────────────────────────────┘
//! ```
//!
//! * [`Diagnoser`] is what the command line gives the server: one step of the diagnosis loop
//!   (`karte`'s `Engine`, or [`RootDiagnoser`] for a fixed tree and for tests).
//! * `/metrics` reads the files node_exporter's cpu, meminfo, loadavg, diskstats, netdev, vmstat,
//!   stat and pressure collectors read, at scrape time, so counters are those of the moment of the
//!   scrape; karte's own families come from the last tick, rendered once per tick.
//! * `/api/snapshot`, `/api/findings`, `/api/summary`, `/api/history?since=…`, `/healthz`, and
//!   the dashboard at `/` (HTML, CSS and JS embedded in the binary; no external assets).
//! * Security: loopback by default; a non-loopback address needs TLS or basic auth (node_exporter's
//!   web-config file) unless `insecure`; GET and HEAD only; header size, header count, header
//!   time, write time and connection count limits; framing and sniffing blocked by headers.

pub mod alerts;
pub mod assets;
pub mod auth;
pub mod config;
pub mod diagnoser;
pub mod history;
mod limits;
pub mod publish;
pub mod scrape;
pub mod server;
pub mod tls;

pub use config::{WebConfig, check_exposure, parse_listen};
pub use diagnoser::{Diagnoser, LangFindings, RootDiagnoser, TickOutput};
pub use history::{HistoryPoint, HistorySource};
pub use scrape::ScrapeSource;
pub use server::{Handle, Limits, Options, run, start};

/// The default port: outside Prometheus' exporter range 9100–9999 (fully allocated on the
/// project's "Default port allocations" wiki page), not on that page's list of exporters outside
/// the range (3903, 7300, 8080, 8082, 8088, 8089, 8292, 8404, 9042, 9087, 9095, 9097, 9099,
/// 16995, 19091, 19999, 24231, 42004, 44322, 61091), not in /etc/services, not a shifted
/// well-known port (x9100), and below Linux's ephemeral range (32768–60999) so that outgoing
/// connections never hold it.
pub const DEFAULT_PORT: u16 = 11118;

/// The default listen address: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:11118";
