//! The kernel's load average, reproduced exactly, and the analysis of periodic load.
//!
//! Operators ask why the load average of an idle box rises every few hours. Often nothing runs
//! more then: the kernel samples the run queue only every `LOAD_FREQ` = 5·HZ+1 ticks, and a
//! monitoring agent waking every 60 s drifts across those instants once every 5·(5·HZ+1) s
//! (6 h 56 m 45 s at HZ=1000). This crate answers such questions with the kernel's own
//! arithmetic rather than with approximations:
//!
//! * [`kernel`]: the fixed-point recurrence (`calc_load`, `calc_load_n`) with the rounding rule
//!   of each kernel era, and `/proc/loadavg`'s display rounding;
//! * [`sim`]: a simulator that feeds that recurrence the activity of a described workload at the
//!   kernel's own sample instants, to produce the series `/proc/loadavg` would show;
//! * [`beat`]: the beat period between `LOAD_FREQ` and a process's period;
//! * [`analyze`]: finding periodic peaks in a recorded or exported load series and deciding
//!   between `sampling-beat` and `periodic-workload`;
//! * [`csv`]: reading exported series (`unix_time,load1[,load5,load15]`);
//! * [`hz`]: parsing what reveals CONFIG_HZ at run time.
//!
//! Everything here is pure: no IO, no clocks, no panics on any input.
//!
//! ```
//! use karte_loadavg::{analyze, LoadPoint, Options, Cause};
//! use karte_loadavg::sim::{simulate, Kernel, Workload, PeriodicJob};
//! use karte_loadavg::kernel::Avenrun;
//!
//! // An agent that is runnable for 0.3 s every 60 s on an HZ=1000 kernel, read every minute
//! // for four days.
//! let k = Kernel::modern(1000);
//! let agent = Workload::default().with_job(PeriodicJob {
//!     period_s: 60.0, run_s: 0.3, phase_s: 7.0, tasks: 1,
//! });
//! let times: Vec<f64> = (0..4 * 1440).map(|i| i as f64 * 60.0).collect();
//! let series: Vec<LoadPoint> = simulate(k, &agent, Avenrun::default(), k.load_freq, &times)
//!     .iter()
//!     .map(|r| LoadPoint::new(r.t, r.display.as_f64()[0]))
//!     .collect();
//! let a = analyze(&series, &[], &Options::default());
//! assert_eq!(a.cause, Some(Cause::SamplingBeat));
//! assert_eq!(a.hz, Some(1000));
//! assert!(a.period_s.is_some_and(|p| (p - 25005.0).abs() < 100.0));
//! ```

pub mod analyze;
pub mod beat;
pub mod csv;
pub mod hz;
pub mod kernel;
pub mod sim;

pub use analyze::{Analysis, BeatMatch, Cause, LoadPoint, Options, Peak, RatePoint, analyze};
pub use csv::{CsvError, Series, parse_load_csv};
pub use kernel::{Avenrun, Display, Era};
pub use sim::{Kernel, PeriodicJob, Simulator, Workload};
