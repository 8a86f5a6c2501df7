//! The beat between the kernel's load sampling and a process with a fixed period
//! (kernel-facts §1.5).
//!
//! The kernel counts active tasks every L = 5·HZ+1 ticks. A process that wakes every T seconds
//! (A = T·HZ ticks) and is active briefly each time is counted only when one of the kernel's
//! sample instants falls inside its burst. If q samples span almost exactly p of its periods
//! (q·L = p·A + e with a small drift e), the sample instants form q "lines" against the
//! process's period that slide by e ticks every q samples, and one of them crosses the burst
//! every A·L/|e| ticks: the beat. The best (p, q) are the convergents of the continued fraction
//! of L/A. For any whole number of seconds T this gives e = T/gcd(T,5) and a beat of
//! **gcd(T,5)·L seconds**: 5·L for T a multiple of 5 s (25005 s = 6 h 56 m 45 s at HZ=1000,
//! 6255 s at HZ=250, whatever T is), and L for the others (a 1 s collector: 5001 s at HZ=1000).

use serde::Serialize;

use crate::kernel::load_freq;

/// The HZ values of common x86 kernels, the candidates when a host's HZ is not known.
pub const COMMON_HZ: [u32; 4] = [100, 250, 300, 1000];

/// A beat between LOAD_FREQ and a fixed period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Beat {
    /// Seconds between two crossings of the process's burst by a kernel sample instant.
    pub period_s: f64,
    /// Kernel samples per group (q).
    pub samples_per_group: u64,
    /// The process's periods per group (p).
    pub periods_per_group: u64,
    /// Drift in ticks of the sample instants against the process per group (q·L − p·A).
    pub drift_ticks: i64,
    /// Seconds after which the joint pattern repeats exactly: lcm(A, L) ticks.
    pub exact_repeat_s: f64,
}

/// The groups must drift by less than this fraction of their spacing per group for the beat to
/// be a slow, visible one (a drift of more than 1/8 of the spacing is a blur, not a beat).
const MIN_QUALITY: i128 = 8;

/// The beat between `LOAD_FREQ` at `hz` and a process with period `period_s` (rounded to whole
/// ticks). `None` when there is none: the period is a whole multiple of `LOAD_FREQ` (lock-step:
/// the process is counted always or never), or too irregular against it for a slow beat, or the
/// input is not a positive finite number.
pub fn beat(hz: u32, period_s: f64) -> Option<Beat> {
    if hz == 0 || !(period_s.is_finite() && period_s > 0.0) {
        return None;
    }
    let a_f = (period_s * f64::from(hz)).round();
    if !(1.0..=1e12).contains(&a_f) {
        return None;
    }
    let a = a_f as i128;
    let l = i128::from(load_freq(hz));
    let hz_f = f64::from(hz);
    // Continued fraction of L/A: convergents p/q with q·L ≈ p·A.
    let (mut num, mut den) = (l, a);
    let (mut p2, mut p1) = (0i128, 1i128);
    let (mut q2, mut q1) = (1i128, 0i128);
    for _ in 0..64 {
        if den == 0 {
            break;
        }
        let t = num / den;
        let p = t * p1 + p2;
        let q = t * q1 + q2;
        (p2, p1, q2, q1) = (p1, p, q1, q);
        (num, den) = (den, num - t * den);
        if p == 0 || q == 0 {
            continue;
        }
        let e = q * l - p * a;
        if e == 0 {
            return None;
        }
        if a >= MIN_QUALITY * q * e.abs() {
            let g = gcd(a, l);
            let lcm = (a / g) as f64 * l as f64;
            return Some(Beat {
                period_s: (a as f64) * (l as f64) / (e.abs() as f64 * hz_f),
                samples_per_group: u64::try_from(q).unwrap_or(u64::MAX),
                periods_per_group: u64::try_from(p).unwrap_or(u64::MAX),
                drift_ticks: i64::try_from(e).unwrap_or(i64::MAX),
                exact_repeat_s: lcm / hz_f,
            });
        }
    }
    None
}

fn gcd(mut a: i128, mut b: i128) -> i128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.abs().max(1)
}

/// A beat period the analysis looks for: for a given HZ, L seconds (a process whose period in
/// whole seconds is not a multiple of 5) or 5·L seconds (a multiple of 5 s, the usual agent).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BeatCandidate {
    pub hz: u32,
    pub period_s: f64,
    /// Whether the process's period is a multiple of 5 s (beat 5·L) or not (beat L).
    pub multiple_of_5s: bool,
}

/// The beat periods of processes with whole-second periods, for each HZ in `hzs`.
pub fn candidates(hzs: &[u32]) -> Vec<BeatCandidate> {
    let mut out = Vec::new();
    for &hz in hzs {
        if hz == 0 {
            continue;
        }
        let l = load_freq(hz) as f64;
        out.push(BeatCandidate {
            hz,
            period_s: l,
            multiple_of_5s: false,
        });
        out.push(BeatCandidate {
            hz,
            period_s: 5.0 * l,
            multiple_of_5s: true,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period(hz: u32, t: f64) -> f64 {
        beat(hz, t).map(|b| b.period_s).unwrap_or(f64::NAN)
    }

    #[test]
    fn multiples_of_five_seconds_beat_at_five_l() {
        // kernel-facts §1.5 table.
        assert_eq!(period(100, 60.0), 2505.0);
        assert_eq!(period(250, 60.0), 6255.0);
        assert_eq!(period(300, 60.0), 7505.0);
        assert_eq!(period(1000, 60.0), 25005.0);
        assert_eq!(period(250, 10.0), 6255.0);
        assert_eq!(period(1000, 10.0), 25005.0);
        assert_eq!(period(1000, 30.0), 25005.0);
        let b = beat(1000, 60.0).expect("beat");
        assert_eq!(b.samples_per_group, 12);
        assert_eq!(b.periods_per_group, 1);
        assert_eq!(b.drift_ticks, 12);
        assert_eq!(b.exact_repeat_s, 100_020.0);
        assert_eq!(beat(250, 10.0).expect("beat").exact_repeat_s, 12_510.0);
    }

    #[test]
    fn other_whole_seconds_beat_at_l() {
        assert_eq!(period(100, 1.0), 501.0);
        assert_eq!(period(250, 1.0), 1251.0);
        assert_eq!(period(300, 1.0), 1501.0);
        assert_eq!(period(1000, 1.0), 5001.0);
        assert_eq!(period(250, 2.0), 1251.0);
        assert_eq!(period(1000, 7.0), 5001.0);
        assert_eq!(period(250, 3.0), 1251.0);
    }

    #[test]
    fn no_beat() {
        // Exactly L ticks: lock-step.
        assert!(beat(250, 1251.0 / 250.0).is_none());
        assert!(beat(250, 0.0).is_none());
        assert!(beat(250, f64::NAN).is_none());
        assert!(beat(0, 60.0).is_none());
        assert!(beat(250, 1e300).is_none());
        // An hourly job at HZ=250: the sample instants never settle into slowly drifting lines.
        assert!(beat(250, 3600.0).is_none());
    }

    #[test]
    fn candidate_list() {
        let c = candidates(&COMMON_HZ);
        let p: Vec<f64> = c.iter().map(|c| c.period_s).collect();
        assert_eq!(
            p,
            vec![
                501.0, 2505.0, 1251.0, 6255.0, 1501.0, 7505.0, 5001.0, 25005.0
            ]
        );
    }
}
