//! The kernel's load-average arithmetic, bit for bit (kernel-facts §1.1–1.4).
//!
//! The kernel keeps each average (`avenrun[0..3]`) as an unsigned fixed-point number with
//! [`FSHIFT`] = 11 bits of fraction. Every `LOAD_FREQ` = 5·HZ+1 ticks it counts the active tasks
//! (runnable plus uninterruptible) and, 10 ticks later, moves each average towards that count by
//! a factor `exp` ([`EXP_1`], [`EXP_5`], [`EXP_15`]) with integer arithmetic whose rounding has
//! changed twice in the kernel's history ([`Era`]). `/proc/loadavg` then prints each average with
//! two decimals after adding `FIXED_1/200` (integer division: 10) so that the truncation rounds.
//!
//! Reproducing the integer arithmetic, rather than using `e^(-5/60)` in floating point, matters:
//! the floors at 0.00/0.01/0.05 of idle 2.6.37–4.5 kernels and the exact 0.00 of idle ≥ 4.6
//! kernels only come out of the integer rounding.

use serde::Serialize;

/// Bits of fraction of the fixed-point averages.
pub const FSHIFT: u32 = 11;
/// 1.0 in fixed point (2048).
pub const FIXED_1: u64 = 1 << FSHIFT;
/// `1/exp(5sec/1min)` in fixed point.
pub const EXP_1: u64 = 1884;
/// `1/exp(5sec/5min)` in fixed point.
pub const EXP_5: u64 = 2014;
/// `1/exp(5sec/15min)` in fixed point.
pub const EXP_15: u64 = 2037;
/// The three factors in `/proc/loadavg` order.
pub const EXPS: [u64; 3] = [EXP_1, EXP_5, EXP_15];
/// Ticks between the sample instant (`calc_load_update`, when each CPU folds its count of
/// active tasks) and the global update (`calc_global_load`), which the kernel assumes is enough
/// for every CPU to have folded.
pub const UPDATE_DELAY_TICKS: u64 = 10;

/// `LOAD_FREQ` in ticks: `5*HZ+1` since about 2.6.23. The `+1` keeps the sampling out of step
/// with jobs that run every whole second, at the price of a slow beat with them.
pub fn load_freq(hz: u32) -> u64 {
    5 * u64::from(hz) + 1
}

/// The rounding rule of `calc_load()`, which differs by kernel version (kernel-facts §1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Era {
    /// Up to about 2.6.36: `load = (load*exp + n*(FIXED_1-exp)) >> FSHIFT`, truncating. An idle
    /// system decays to exactly 0; one busy task per CPU stops below 1 (0.99 / 0.97 / 0.91).
    Truncate,
    /// About 2.6.37 to 4.5: adds `1 << (FSHIFT-1)` before the shift (round half up). Side effect:
    /// an idle system never shows less than 0.00 / 0.01 / 0.05.
    RoundHalfUp,
    /// 4.6 and later (and stable backports, e.g. 3.2.y since August 2016): adds `FIXED_1-1`
    /// before dividing when the load rises, nothing when it falls. Idle reaches exactly 0.00,
    /// k busy tasks exactly k.00.
    #[default]
    Modern,
}

impl Era {
    /// The era of a kernel release string such as `6.18.44-fc` or `2.6.32-754.el6.x86_64`.
    /// `None` when the string does not start with a version. Vendor kernels may carry the
    /// modern rounding as a backport while reporting an older version (3.2.y, RHEL 7's 3.10
    /// unverified), so this is a best guess, not a fact about the host.
    pub fn for_release(release: &str) -> Option<Era> {
        let (major, minor, patch) = parse_release(release)?;
        Some(if (major, minor) >= (4, 6) {
            Era::Modern
        } else if (major, minor, patch) >= (2, 6, 37) {
            Era::RoundHalfUp
        } else {
            Era::Truncate
        })
    }

    /// The command-line and JSON name of the era.
    pub fn name(self) -> &'static str {
        match self {
            Era::Truncate => "truncate",
            Era::RoundHalfUp => "round-half-up",
            Era::Modern => "modern",
        }
    }
}

/// `(major, minor, patch)` from the start of a kernel release string.
pub fn parse_release(release: &str) -> Option<(u32, u32, u32)> {
    let mut nums = release
        .split(|c: char| !c.is_ascii_digit())
        .take(3)
        .map(|s| s.parse::<u32>().ok());
    let major = nums.next()??;
    let minor = nums.next()??;
    let patch = nums.next().flatten().unwrap_or(0);
    Some((major, minor, patch))
}

/// One step of an average: `load` moved towards `active` (both fixed point; `active` is the
/// task count times [`FIXED_1`]) by the factor `exp`, with the rounding of `era`.
///
/// Saturates instead of overflowing, so that no input can make it panic; real values are far
/// below the limits (an average of 2^40 tasks would be needed).
pub fn calc_load(era: Era, load: u64, exp: u64, active: u64) -> u64 {
    let load = u128::from(load);
    let exp = u128::from(exp.min(FIXED_1));
    let active = u128::from(active);
    let f1 = u128::from(FIXED_1);
    let mut newload = load * exp + active * (f1 - exp);
    let out = match era {
        Era::Truncate => newload >> FSHIFT,
        Era::RoundHalfUp => (newload + (1 << (FSHIFT - 1))) >> FSHIFT,
        Era::Modern => {
            if active >= load {
                newload += f1 - 1;
            }
            newload / f1
        }
    };
    u64::try_from(out).unwrap_or(u64::MAX)
}

/// `fixed_power_int(x, FSHIFT, n)`: `x^n` in fixed point, rounding half up at each multiply,
/// as the kernel computes the factor for `n` missed windows (NO_HZ catch-up, since 2.6.37).
pub fn fixed_power_int(x: u64, n: u64) -> u64 {
    let half = 1u128 << (FSHIFT - 1);
    let mut result: u128 = u128::from(FIXED_1);
    let mut x = u128::from(x.min(FIXED_1));
    let mut n = n;
    while n != 0 {
        if n & 1 == 1 {
            result = (result * x + half) >> FSHIFT;
        }
        n >>= 1;
        if n == 0 {
            break;
        }
        x = (x * x + half) >> FSHIFT;
    }
    u64::try_from(result).unwrap_or(u64::MAX)
}

/// `calc_load_n()`: `n` windows at once, as `calc_global_nohz()` catches up after the tick was
/// stopped for more than `LOAD_FREQ` on every CPU.
pub fn calc_load_n(era: Era, load: u64, exp: u64, active: u64, n: u64) -> u64 {
    calc_load(era, load, fixed_power_int(exp, n), active)
}

/// The three fixed-point averages, as the kernel's `avenrun[]` holds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Avenrun(pub [u64; 3]);

impl Avenrun {
    /// All three averages at exactly `tasks` (a system that has had `tasks` active for hours).
    pub fn steady(tasks: u64) -> Avenrun {
        Avenrun([tasks.saturating_mul(FIXED_1); 3])
    }

    /// A state that `/proc/loadavg` would print as `load1 load5 load15`: the middle of the range
    /// of fixed-point values that print as each given value. Used to start a simulation from an
    /// observed reading. Negative or non-finite values count as 0.
    pub fn from_display(load1: f64, load5: f64, load15: f64) -> Avenrun {
        Avenrun([
            from_display_one(load1),
            from_display_one(load5),
            from_display_one(load15),
        ])
    }

    /// One kernel update with `active` tasks (not yet multiplied by FIXED_1).
    pub fn update(&mut self, era: Era, active: u64) {
        let a = active.saturating_mul(FIXED_1);
        for (v, exp) in self.0.iter_mut().zip(EXPS) {
            *v = calc_load(era, *v, exp, a);
        }
    }

    /// `n` updates at once the NO_HZ way ([`calc_load_n`]). Not the same, to the last bit, as
    /// `n` calls of [`Avenrun::update`].
    pub fn update_n(&mut self, era: Era, active: u64, n: u64) {
        let a = active.saturating_mul(FIXED_1);
        for (v, exp) in self.0.iter_mut().zip(EXPS) {
            *v = calc_load_n(era, *v, exp, a, n);
        }
    }

    /// What `/proc/loadavg` prints for this state.
    pub fn display(&self) -> Display {
        Display([
            display_hundredths(self.0[0]),
            display_hundredths(self.0[1]),
            display_hundredths(self.0[2]),
        ])
    }
}

/// The three averages as `/proc/loadavg` prints them, in hundredths (`1.05` is 105), so that
/// comparisons are exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Display(pub [u64; 3]);

impl Display {
    /// The values as numbers (`1.05`).
    pub fn as_f64(&self) -> [f64; 3] {
        self.0.map(|h| h as f64 / 100.0)
    }

    /// The values as the kernel's format string writes them: `1.05 0.40 0.13`.
    pub fn text(&self) -> String {
        let [a, b, c] = self.0;
        format!(
            "{}.{:02} {}.{:02} {}.{:02}",
            a / 100,
            a % 100,
            b / 100,
            b % 100,
            c / 100,
            c % 100
        )
    }
}

/// `LOAD_INT(x)*100 + LOAD_FRAC(x)` of `x = avenrun + FIXED_1/200`, as `loadavg_proc_show`
/// computes it (`FIXED_1/200` is 10 in integer arithmetic, not 10.24).
pub fn display_hundredths(avenrun: u64) -> u64 {
    let a = avenrun.saturating_add(FIXED_1 / 200);
    let int = a >> FSHIFT;
    let frac = ((a & (FIXED_1 - 1)) * 100) >> FSHIFT;
    int.saturating_mul(100).saturating_add(frac)
}

fn from_display_one(v: f64) -> u64 {
    if !(v.is_finite() && v > 0.0) {
        return 0;
    }
    // Hundredths, clamped far below overflow.
    let h = (v * 100.0).round().min(1e15) as u64;
    // Smallest fixed-point value that displays as h: binary search on the monotonic map.
    let lowest = |target: u64| {
        let (mut lo, mut hi) = (0u64, target.saturating_mul(FIXED_1) / 100 + FIXED_1);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if display_hundredths(mid) >= target {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        lo
    };
    let first = lowest(h);
    let next = lowest(h.saturating_add(1));
    if next > first {
        first + (next - 1 - first) / 2
    } else {
        first
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_match_exponentials() {
        for (exp, minutes) in EXPS.iter().zip([1.0f64, 5.0, 15.0]) {
            let want = (FIXED_1 as f64) * (-5.0 / (60.0 * minutes)).exp();
            assert_eq!(*exp, want.round() as u64);
        }
        assert_eq!(load_freq(250), 1251);
        assert_eq!(load_freq(1000), 5001);
    }

    #[test]
    fn one_step_from_idle_hand_computed() {
        // 0 + 1 task: newload = 2048*(2048-1884) = 335872.
        // Modern: +2047 (rising) = 337919; /2048 = 164.
        assert_eq!(calc_load(Era::Modern, 0, EXP_1, FIXED_1), 164);
        // Round half up: (335872 + 1024) >> 11 = 164.5 -> 164.
        assert_eq!(calc_load(Era::RoundHalfUp, 0, EXP_1, FIXED_1), 164);
        // Truncate: 335872 >> 11 = 164.
        assert_eq!(calc_load(Era::Truncate, 0, EXP_1, FIXED_1), 164);
        // 2 tasks, 5-minute: 2*2048*34 = 139264 = 68*2048 exactly; modern adds 2047 -> 68.
        assert_eq!(calc_load(Era::Modern, 0, EXP_5, 2 * FIXED_1), 68);
        // Falling from 1.0 (2048) to idle, 15-minute: 2048*2037/2048 = 2037 in every era.
        for era in [Era::Truncate, Era::RoundHalfUp, Era::Modern] {
            assert_eq!(calc_load(era, FIXED_1, EXP_15, 0), 2037);
        }
        // load 100, idle, 1-minute: 188400/2048 = 91.99 -> 91 (trunc, modern) / 92 (half up).
        assert_eq!(calc_load(Era::Truncate, 100, EXP_1, 0), 91);
        assert_eq!(calc_load(Era::Modern, 100, EXP_1, 0), 91);
        assert_eq!(calc_load(Era::RoundHalfUp, 100, EXP_1, 0), 92);
        // Rising by a hair, modern rounds up: load 100, active 2048, 1-minute:
        // 188400 + 335872 = 524272, +2047 = 526319, /2048 = 256.99 -> 256.
        assert_eq!(calc_load(Era::Modern, 100, EXP_1, FIXED_1), 256);
        assert_eq!(calc_load(Era::Truncate, 100, EXP_1, FIXED_1), 255);
    }

    #[test]
    fn display_rounding() {
        // 164 + 10 = 174; 174*100 >> 11 = 8 -> 0.08.
        assert_eq!(display_hundredths(164), 8);
        assert_eq!(display_hundredths(0), 0);
        assert_eq!(display_hundredths(2048), 100);
        // 2037 + 10 = 2047 -> 0.99 (2047*100 >> 11 = 99).
        assert_eq!(display_hundredths(2037), 99);
        assert_eq!(display_hundredths(2038), 100);
        assert_eq!(Avenrun([2048, 6, 93]).display().text(), "1.00 0.00 0.05");
    }

    #[test]
    fn from_display_round_trips() {
        for h in 0..2000u64 {
            let v = h as f64 / 100.0;
            let a = Avenrun::from_display(v, v, v);
            assert_eq!(a.display().0[0], h, "{v}");
        }
        assert_eq!(
            Avenrun::from_display(f64::NAN, -1.0, f64::INFINITY).0,
            [0, 0, 0]
        );
    }

    fn run(era: Era, start: Avenrun, active: u64, steps: usize) -> Avenrun {
        let mut a = start;
        for _ in 0..steps {
            a.update(era, active);
        }
        a
    }

    #[test]
    fn idle_decays_to_exact_zero_on_modern_kernels() {
        let a = run(Era::Modern, Avenrun::steady(3), 0, 2000);
        assert_eq!(a.0, [0, 0, 0]);
        assert_eq!(a.display().text(), "0.00 0.00 0.00");
    }

    #[test]
    fn idle_floors_of_round_half_up_era() {
        // x = (x*exp + 1024) >> 11 stops where (2048-exp)*x <= 1024:
        // 1-min 1024/164 -> 6, 5-min 1024/34 -> 30, 15-min 1024/11 -> 93.
        let a = run(Era::RoundHalfUp, Avenrun::steady(3), 0, 5000);
        assert_eq!(a.0, [6, 30, 93]);
        assert_eq!(a.display().text(), "0.00 0.01 0.05");
        // And the floor is sticky: from just above it never drops.
        let b = run(Era::RoundHalfUp, Avenrun([6, 30, 93]), 0, 100);
        assert_eq!(b.0, [6, 30, 93]);
    }

    #[test]
    fn idle_decays_to_zero_in_truncation_era() {
        let a = run(Era::Truncate, Avenrun::steady(3), 0, 5000);
        assert_eq!(a.0, [0, 0, 0]);
    }

    #[test]
    fn busy_tasks_converge_to_k_exactly_on_modern_kernels() {
        for k in [1u64, 2, 4, 64] {
            let a = run(Era::Modern, Avenrun::default(), k, 5000);
            assert_eq!(a.0, [k * FIXED_1; 3], "k={k}");
            assert_eq!(a.display().0, [k * 100; 3]);
        }
    }

    #[test]
    fn busy_ceilings_of_older_eras() {
        // Round half up, from below: x' = x + ceil-ish((2048-x)*(2048-exp)/2048 - 1/2); the
        // 15-minute average stops where (2048-exp)*(2048-x) < 1024: 2048-x <= 93 -> 1955,
        // which prints as 0.95; the 1-minute one at 2042 (1.00), the 5-minute at 2018 (0.99).
        let a = run(Era::RoundHalfUp, Avenrun::default(), 1, 5000);
        assert_eq!(a.0, [2042, 2018, 1955]);
        assert_eq!(a.display().text(), "1.00 0.99 0.95");
        // Truncation: with d = 2048-x, d' = d - floor(d*(2048-exp)/2048), which stops once
        // d*(2048-exp) < 2048: d = 12 (1-min), 60 (5-min), 186 (15-min).
        let t = run(Era::Truncate, Avenrun::default(), 1, 5000);
        assert_eq!(t.0, [2036, 1988, 1862]);
        assert_eq!(t.display().text(), "0.99 0.97 0.91");
    }

    #[test]
    fn fixed_power() {
        assert_eq!(fixed_power_int(EXP_1, 0), FIXED_1);
        assert_eq!(fixed_power_int(EXP_1, 1), EXP_1);
        // 1884^2/2048 = 1733.1 -> 1733.
        assert_eq!(fixed_power_int(EXP_1, 2), 1733);
        // x^12 for one minute: e^-1 * 2048 = 753.4; the rounded product is near it.
        let v = fixed_power_int(EXP_1, 12);
        assert!((750..=757).contains(&v), "{v}");
    }

    #[test]
    fn releases() {
        assert_eq!(Era::for_release("6.18.44-fc-v657"), Some(Era::Modern));
        assert_eq!(Era::for_release("4.6.0"), Some(Era::Modern));
        assert_eq!(Era::for_release("4.5.7"), Some(Era::RoundHalfUp));
        assert_eq!(
            Era::for_release("2.6.32-754.el6.x86_64"),
            Some(Era::Truncate)
        );
        assert_eq!(Era::for_release("2.6.37"), Some(Era::RoundHalfUp));
        assert_eq!(Era::for_release("3.10"), Some(Era::RoundHalfUp));
        assert_eq!(Era::for_release("linux"), None);
        assert_eq!(Era::for_release(""), None);
    }

    #[test]
    fn never_panics_on_extremes() {
        for era in [Era::Truncate, Era::RoundHalfUp, Era::Modern] {
            let _ = calc_load(era, u64::MAX, u64::MAX, u64::MAX);
            let _ = calc_load_n(era, u64::MAX, EXP_1, u64::MAX, u64::MAX);
        }
        let mut a = Avenrun([u64::MAX; 3]);
        a.update(Era::Modern, u64::MAX);
        let _ = a.display().text();
    }
}
