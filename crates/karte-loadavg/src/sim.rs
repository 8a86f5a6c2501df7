//! Simulating `/proc/loadavg` for a described activity, update by update as the kernel does.
//!
//! The kernel does not average continuously: it looks at the number of active tasks only at
//! one instant every `LOAD_FREQ` = 5·HZ+1 ticks (`calc_load_update`) and applies the new value
//! [`UPDATE_DELAY_TICKS`](crate::kernel::UPDATE_DELAY_TICKS) later. What happens between two
//! sample instants is invisible to it. That is why a monitoring agent that wakes every 60 s is
//! seen only when its wake-up drifts across a sample instant, producing the slow "beat" that
//! [`crate::beat`] computes and [`crate::analyze`] recognises. This module reproduces that
//! sampling exactly, so a simulated series can be compared with a real one tick for tick.
//!
//! Two forms: [`Simulator`] pulls the activity from an [`Activity`] only at the sample instants
//! (cheap: days of HZ=1000 in milliseconds), and [`Ticker`] is pushed one tick at a time, for
//! tests that want to drive the kernel's clock themselves, including NO_HZ jumps.

use crate::kernel::{Avenrun, Display, Era, UPDATE_DELAY_TICKS, load_freq};
use serde::Serialize;

/// The kernel's configuration as far as the load average is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Kernel {
    /// CONFIG_HZ: ticks per second (not USER_HZ).
    pub hz: u32,
    /// The rounding rule of `calc_load()`.
    pub era: Era,
    /// `LOAD_FREQ` in ticks: 5·HZ+1 (5·HZ before about 2.6.23).
    pub load_freq: u64,
    /// Ticks from the sample instant to the global update (10).
    pub update_delay: u64,
}

impl Kernel {
    /// A kernel of this era with the current `LOAD_FREQ` and update delay. HZ is clamped to
    /// 10..=100000 so that `LOAD_FREQ` is always longer than the update delay (real kernels use
    /// 24 to 1024).
    pub fn new(hz: u32, era: Era) -> Kernel {
        let hz = hz.clamp(10, 100_000);
        Kernel {
            hz,
            era,
            load_freq: load_freq(hz),
            update_delay: UPDATE_DELAY_TICKS,
        }
    }

    /// A modern (≥ 4.6) kernel with this HZ.
    pub fn modern(hz: u32) -> Kernel {
        Kernel::new(hz, Era::Modern)
    }

    /// The tick at or before `secs` seconds after tick 0 (negative and non-finite times are 0).
    pub fn tick_at(&self, secs: f64) -> u64 {
        if secs.is_finite() && secs > 0.0 {
            // Saturating float-to-int conversion.
            (secs * f64::from(self.hz)).floor() as u64
        } else {
            0
        }
    }

    /// The time of a tick in seconds.
    pub fn secs_of(&self, tick: u64) -> f64 {
        tick as f64 / f64::from(self.hz)
    }
}

/// The number of active (runnable + uninterruptible) tasks over time, as the kernel would
/// count them at a given tick. Tick 0 is time 0 of the simulation.
pub trait Activity {
    /// Active tasks at `tick` of a clock running at `hz` ticks per second.
    fn active_at(&self, tick: u64, hz: u32) -> u64;
}

impl<F: Fn(u64) -> u64> Activity for F {
    fn active_at(&self, tick: u64, _hz: u32) -> u64 {
        self(tick)
    }
}

/// A task (or `tasks` tasks) active for `run_s` seconds every `period_s` seconds, the first time
/// at `phase_s`: a monitoring agent, a cron job, a timer. Periods are in seconds of the same
/// clock as the kernel's ticks, so a 60 s agent here is exactly 60·HZ ticks.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PeriodicJob {
    pub period_s: f64,
    pub run_s: f64,
    pub phase_s: f64,
    pub tasks: u64,
}

/// `tasks` tasks active from `start_s` for `len_s` seconds, once.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Window {
    pub start_s: f64,
    pub len_s: f64,
    pub tasks: u64,
}

/// From `at_s` on (until the next step), `tasks` more tasks are active: a recorded run-queue
/// series replayed as a step function.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Step {
    pub at_s: f64,
    pub tasks: u64,
}

/// A description of activity: a constant number of busy tasks plus periodic jobs, one-off
/// windows and a step function. The counts add up.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Workload {
    /// Tasks active all the time (busy loops, a steady background).
    pub busy: u64,
    pub jobs: Vec<PeriodicJob>,
    pub windows: Vec<Window>,
    /// Sorted by `at_s` by [`Workload::with_steps`]; before the first step adds nothing.
    pub steps: Vec<Step>,
}

/// Seconds as integer nanoseconds (saturating; NaN is 0).
fn ns(secs: f64) -> i128 {
    if secs.is_nan() {
        return 0;
    }
    (secs * 1e9).round().clamp(-9.2e27, 9.2e27) as i128
}

/// Whether tick `tick` (at `hz`) lies in `[start, start+len)` given in seconds, compared exactly
/// in units of ns·hz.
fn tick_in(tick: u64, hz: u32, start_ns: i128, len_ns: i128) -> bool {
    let t = i128::from(tick) * 1_000_000_000;
    let hz = i128::from(hz);
    let s = start_ns.saturating_mul(hz);
    t >= s && t < s.saturating_add(len_ns.saturating_mul(hz))
}

impl PeriodicJob {
    /// Whether the job is active at `tick`. A job with a non-positive or non-finite period is
    /// never active.
    pub fn active(&self, tick: u64, hz: u32) -> bool {
        if !(self.period_s.is_finite() && self.period_s > 0.0 && self.run_s > 0.0) {
            return false;
        }
        let hz = i128::from(hz);
        let period = ns(self.period_s).saturating_mul(hz);
        if period <= 0 {
            return false;
        }
        let x = i128::from(tick) * 1_000_000_000 - ns(self.phase_s).saturating_mul(hz);
        if x < 0 {
            return false;
        }
        x.rem_euclid(period) < ns(self.run_s).saturating_mul(hz)
    }
}

impl Workload {
    /// Nothing but `busy` tasks.
    pub fn busy(busy: u64) -> Workload {
        Workload {
            busy,
            ..Workload::default()
        }
    }

    /// Adds a periodic job.
    pub fn with_job(mut self, job: PeriodicJob) -> Workload {
        self.jobs.push(job);
        self
    }

    /// Adds a one-off window.
    pub fn with_window(mut self, w: Window) -> Workload {
        self.windows.push(w);
        self
    }

    /// Sets the step function (sorted here; non-finite times are dropped).
    pub fn with_steps(mut self, mut steps: Vec<Step>) -> Workload {
        steps.retain(|s| s.at_s.is_finite());
        steps.sort_by(|a, b| a.at_s.total_cmp(&b.at_s));
        self.steps = steps;
        self
    }
}

impl Activity for Workload {
    fn active_at(&self, tick: u64, hz: u32) -> u64 {
        let mut n = self.busy;
        for j in &self.jobs {
            if j.active(tick, hz) {
                n = n.saturating_add(j.tasks);
            }
        }
        for w in &self.windows {
            if tick_in(tick, hz, ns(w.start_s), ns(w.len_s)) {
                n = n.saturating_add(w.tasks);
            }
        }
        if !self.steps.is_empty() {
            let t = tick as f64 / f64::from(hz.max(1));
            let i = self.steps.partition_point(|s| s.at_s <= t);
            if i > 0 {
                n = n.saturating_add(self.steps[i - 1].tasks);
            }
        }
        n
    }
}

/// One update of the averages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Update {
    /// The tick at which the active tasks were counted (`calc_load_update`).
    pub sample_tick: u64,
    /// The tick at which the new averages became visible (sample + 10).
    pub applied_tick: u64,
    /// The count used.
    pub active: u64,
    pub avenrun: Avenrun,
    pub display: Display,
}

/// Pulls the activity at each sample instant and applies the kernel's updates in order.
/// Iterating yields every [`Update`]; [`Simulator::display_at`] answers what `/proc/loadavg`
/// shows at a given time.
#[derive(Debug, Clone)]
pub struct Simulator<A> {
    kernel: Kernel,
    activity: A,
    state: Avenrun,
    /// The next `calc_load_update`.
    next_sample: u64,
}

impl<A: Activity> Simulator<A> {
    /// Starts from `start` with the first sample instant at `first_sample_tick`. At boot the
    /// kernel sets `calc_load_update = jiffies + LOAD_FREQ`; pass `kernel.load_freq` to mimic a
    /// simulation that starts at boot, or the phase of a real host's grid (see
    /// [`grid_phase_from_jiffies`]).
    pub fn new(kernel: Kernel, activity: A, start: Avenrun, first_sample_tick: u64) -> Self {
        Simulator {
            kernel,
            activity,
            state: start,
            next_sample: first_sample_tick,
        }
    }

    pub fn kernel(&self) -> Kernel {
        self.kernel
    }

    /// The averages after the updates applied so far.
    pub fn state(&self) -> Avenrun {
        self.state
    }

    /// The tick at which the next update will become visible.
    pub fn next_applied_tick(&self) -> u64 {
        self.next_sample.saturating_add(self.kernel.update_delay)
    }

    /// Runs the next update.
    pub fn step(&mut self) -> Update {
        let sample_tick = self.next_sample;
        let active = self.activity.active_at(sample_tick, self.kernel.hz);
        self.state.update(self.kernel.era, active);
        self.next_sample = sample_tick.saturating_add(self.kernel.load_freq);
        Update {
            sample_tick,
            applied_tick: sample_tick.saturating_add(self.kernel.update_delay),
            active,
            avenrun: self.state,
            display: self.state.display(),
        }
    }

    /// Applies every update visible at `tick` and returns what `/proc/loadavg` shows then.
    /// Ticks before the last query are answered with the current state (time only moves on).
    pub fn display_at_tick(&mut self, tick: u64) -> Display {
        while self.next_applied_tick() <= tick && self.next_sample != u64::MAX {
            self.step();
        }
        self.state.display()
    }

    /// [`Simulator::display_at_tick`] at a time in seconds.
    pub fn display_at(&mut self, secs: f64) -> Display {
        let tick = self.kernel.tick_at(secs);
        self.display_at_tick(tick)
    }
}

impl<A: Activity> Iterator for Simulator<A> {
    type Item = Update;
    fn next(&mut self) -> Option<Update> {
        if self.next_sample == u64::MAX {
            return None;
        }
        Some(self.step())
    }
}

/// What `/proc/loadavg` showed at one time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Reading {
    /// Seconds after tick 0.
    pub t: f64,
    pub display: Display,
}

/// Simulates `activity` on `kernel` from `start` and reads the averages at each of `times_s`
/// (seconds after tick 0, in any order; answered in the order given).
pub fn simulate<A: Activity + ?Sized>(
    kernel: Kernel,
    activity: &A,
    start: Avenrun,
    first_sample_tick: u64,
    times_s: &[f64],
) -> Vec<Reading> {
    let mut order: Vec<usize> = (0..times_s.len()).collect();
    order.sort_by_key(|&i| kernel.tick_at(times_s[i]));
    let mut sim = Simulator::new(kernel, ByRef(activity), start, first_sample_tick);
    let mut out = vec![
        Reading {
            t: 0.0,
            display: Display::default()
        };
        times_s.len()
    ];
    for i in order {
        let t = times_s[i];
        out[i] = Reading {
            t,
            display: sim.display_at(t),
        };
    }
    out
}

impl Activity for &Workload {
    fn active_at(&self, tick: u64, hz: u32) -> u64 {
        (**self).active_at(tick, hz)
    }
}

/// Borrows an activity for [`simulate`].
struct ByRef<'a, A: ?Sized>(&'a A);

impl<A: Activity + ?Sized> Activity for ByRef<'_, A> {
    fn active_at(&self, tick: u64, hz: u32) -> u64 {
        self.0.active_at(tick, hz)
    }
}

/// The first sample instant (`calc_load_update`) at or after `from_tick`, for a host whose
/// jiffies read `jiffies` at simulation tick `from_tick`.
///
/// At boot the kernel sets `calc_load_update = INITIAL_JIFFIES + LOAD_FREQ` (jiffies do not yet
/// advance when `sched_init()` runs), and every later window, including NO_HZ catch-ups, moves
/// it by whole multiples of `LOAD_FREQ`. So the sample instants are the jiffies
/// `INITIAL_JIFFIES + k·LOAD_FREQ`, where `INITIAL_JIFFIES` is `(u32)(-300·HZ)`. This phase was
/// checked against this repository's recording of a 6.18 kernel (bench/loadavg) to within a tick.
pub fn grid_phase_from_jiffies(kernel: Kernel, jiffies: u64, from_tick: u64) -> u64 {
    let initial = initial_jiffies(kernel.hz);
    let l = kernel.load_freq.max(1);
    // Jiffies since INITIAL_JIFFIES, modulo L: how far into the current window we are.
    let since = jiffies.wrapping_sub(initial) % l;
    let to_next = if since == 0 { 0 } else { l - since };
    from_tick.saturating_add(to_next)
}

/// `INITIAL_JIFFIES`: `(unsigned long)(unsigned int)(-300*HZ)`, so that the 32-bit jiffies wrap
/// five minutes after boot.
pub fn initial_jiffies(hz: u32) -> u64 {
    let v = (1u64 << 32).wrapping_sub(300 * u64::from(hz));
    v & 0xffff_ffff
}

/// A simulation pushed one tick at a time, for tests that drive the clock themselves.
///
/// Each call to [`Ticker::tick`] is one jiffy with the given number of active tasks; the
/// averages change 10 ticks after each sample instant. [`Ticker::jump`] models a NO_HZ stretch
/// in which no CPU ticked: the kernel then catches up with one normal update plus
/// `calc_load_n()` for the windows missed, as `calc_global_nohz()` does.
#[derive(Debug, Clone)]
pub struct Ticker {
    kernel: Kernel,
    state: Avenrun,
    now: u64,
    sample: u64,
    pending: Option<u64>,
}

impl Ticker {
    /// Starts at tick 0 with the first sample instant at `first_sample_tick`.
    pub fn new(kernel: Kernel, start: Avenrun, first_sample_tick: u64) -> Ticker {
        Ticker {
            kernel,
            state: start,
            now: 0,
            sample: first_sample_tick,
            pending: None,
        }
    }

    /// The current tick (jiffies since the start).
    pub fn now(&self) -> u64 {
        self.now
    }

    pub fn state(&self) -> Avenrun {
        self.state
    }

    /// Advances one tick with `active` tasks; returns the new display when the averages
    /// changed at this tick.
    pub fn tick(&mut self, active: u64) -> Option<Display> {
        self.now = self.now.saturating_add(1);
        if self.now == self.sample && self.pending.is_none() {
            self.pending = Some(active);
        }
        if self.now >= self.sample.saturating_add(self.kernel.update_delay) {
            let a = self.pending.take().unwrap_or(active);
            self.state.update(self.kernel.era, a);
            self.sample = self.sample.saturating_add(self.kernel.load_freq);
            return Some(self.state.display());
        }
        None
    }

    /// Advances `ticks` at once, as after a tickless idle stretch, with `active` tasks counted
    /// for the windows crossed (usually 0). Returns the display afterwards.
    pub fn jump(&mut self, ticks: u64, active: u64) -> Display {
        self.now = self.now.saturating_add(ticks);
        let delay = self.kernel.update_delay;
        if self.now >= self.sample.saturating_add(delay) {
            let a = self.pending.take().unwrap_or(active);
            self.state.update(self.kernel.era, a);
            self.sample = self.sample.saturating_add(self.kernel.load_freq);
            if self.now >= self.sample.saturating_add(delay) {
                let n = 1 + (self.now - self.sample - delay) / self.kernel.load_freq.max(1);
                self.state.update_n(self.kernel.era, active, n);
                self.sample = self
                    .sample
                    .saturating_add(n.saturating_mul(self.kernel.load_freq));
            }
        }
        self.state.display()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::FIXED_1;

    #[test]
    fn updates_every_load_freq_ten_ticks_after_the_sample() {
        let k = Kernel::modern(250);
        let mut sim = Simulator::new(k, Workload::busy(1), Avenrun::default(), k.load_freq);
        let u = sim.next().expect("update");
        assert_eq!(u.sample_tick, 1251);
        assert_eq!(u.applied_tick, 1261);
        assert_eq!(u.avenrun.0[0], 164);
        let u2 = sim.next().expect("update");
        assert_eq!(u2.sample_tick, 2502);
        // Nothing visible before tick 1261, the first value at 1261.
        let mut s = Simulator::new(k, Workload::busy(1), Avenrun::default(), k.load_freq);
        assert_eq!(s.display_at_tick(1260).0, [0, 0, 0]);
        assert_eq!(s.display_at_tick(1261).0[0], 8);
    }

    #[test]
    fn periodic_job_is_seen_only_at_sample_instants() {
        // Active 1 s every 60 s from t=0; HZ=100, L=501. Sample ticks 501k hit [6000m, 6000m+100).
        let job = PeriodicJob {
            period_s: 60.0,
            run_s: 1.0,
            phase_s: 0.0,
            tasks: 1,
        };
        assert!(job.active(0, 100));
        assert!(job.active(99, 100));
        assert!(!job.active(100, 100));
        assert!(job.active(6000, 100));
        assert!(job.active(6099, 100));
        assert!(!job.active(6100, 100));
        let w = Workload::default().with_job(job);
        assert_eq!(w.active_at(6050, 100), 1);
        assert_eq!(w.active_at(5999, 100), 0);
    }

    #[test]
    fn exact_tick_comparison_at_hz_300() {
        // 1/300 s is not a whole number of ns; the comparison is exact anyway.
        let w = Workload::default().with_window(Window {
            start_s: 1.0,
            len_s: 1.0,
            tasks: 2,
        });
        assert_eq!(w.active_at(299, 300), 0);
        assert_eq!(w.active_at(300, 300), 2);
        assert_eq!(w.active_at(599, 300), 2);
        assert_eq!(w.active_at(600, 300), 0);
    }

    #[test]
    fn steps_replay() {
        let w = Workload::default().with_steps(vec![
            Step {
                at_s: 10.0,
                tasks: 3,
            },
            Step {
                at_s: 5.0,
                tasks: 1,
            },
            Step {
                at_s: f64::NAN,
                tasks: 9,
            },
        ]);
        assert_eq!(w.active_at(0, 100), 0);
        assert_eq!(w.active_at(500, 100), 1);
        assert_eq!(w.active_at(1000, 100), 3);
    }

    #[test]
    fn ticker_matches_simulator() {
        let k = Kernel::modern(100);
        let w = Workload::default().with_job(PeriodicJob {
            period_s: 7.0,
            run_s: 2.0,
            phase_s: 1.0,
            tasks: 2,
        });
        let mut t = Ticker::new(k, Avenrun::default(), k.load_freq);
        let mut sim = Simulator::new(k, &w, Avenrun::default(), k.load_freq);
        for _ in 0..20_000 {
            let active = w.active_at(t.now() + 1, k.hz);
            t.tick(active);
            assert_eq!(sim.display_at_tick(t.now()), t.state().display());
        }
    }

    #[test]
    fn nohz_jump_catches_up_in_bulk() {
        let k = Kernel::modern(1000);
        let mut t = Ticker::new(k, Avenrun::steady(2), k.load_freq);
        // A minute without ticks, nothing active: 1 + 10 (or 11) windows folded.
        let d = t.jump(60_000, 0);
        // 11 windows (60000 ticks from the first sample at 5001): 2·e^(-11·5.001/60) = 0.80.
        let l1 = d.as_f64()[0];
        assert!((0.76..=0.84).contains(&l1), "{l1}");
        // Grid stays on multiples of LOAD_FREQ.
        assert_eq!(t.sample % k.load_freq, 0);
    }

    #[test]
    fn grid_phase() {
        let k = Kernel::modern(250);
        assert_eq!(initial_jiffies(250), 4_294_892_296);
        assert_eq!(initial_jiffies(1000), 4_294_667_296);
        // At INITIAL_JIFFIES + 1251*3 the window starts now.
        let j = initial_jiffies(250) + 3 * 1251;
        assert_eq!(grid_phase_from_jiffies(k, j, 100), 100);
        assert_eq!(grid_phase_from_jiffies(k, j + 1, 100), 100 + 1250);
    }

    #[test]
    fn simulate_answers_in_given_order() {
        let k = Kernel::modern(100);
        let r = simulate(
            k,
            &Workload::busy(1),
            Avenrun::default(),
            k.load_freq,
            &[600.0, 0.0, f64::NAN, 60.0],
        );
        assert_eq!(r[1].display.0, [0, 0, 0]);
        assert_eq!(r[2].display.0, [0, 0, 0]);
        assert!(r[3].display.0[0] > 55 && r[3].display.0[0] < 70);
        assert_eq!(r[0].display.0[0], 100);
        let _ = FIXED_1;
    }
}
