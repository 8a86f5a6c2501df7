//! Finding periodic peaks in a load-average series and naming their cause.
//!
//! The question users bring is "why does the load rise every N hours on an idle box?". Two
//! answers are common and need opposite actions:
//!
//! * **sampling-beat**: nothing runs more often then. A process that wakes on a fixed period
//!   (a monitoring agent forking every 60 s) is counted by the kernel only when its wake-up
//!   drifts across one of the kernel's sample instants, which happens every 5·(5·HZ+1) s for
//!   a period that is a multiple of 5 s (6 h 56 m 45 s at HZ=1000), every 5·HZ+1 s for other
//!   whole-second periods ([`crate::beat`]). Harmless; nothing to fix on the host.
//! * **periodic-workload**: a real job (cron, a systemd timer, a backup) runs at that period.
//!
//! The method, in order, and why:
//!
//! 1. The points are cleaned (non-finite and negative values dropped, sorted, duplicate times
//!    averaged) and put on a regular grid at the median sampling interval, with short gaps
//!    interpolated and long ones left empty, so that gaps and irregular sampling neither invent
//!    nor hide peaks.
//! 2. Peaks are local maxima of load1, smoothed over half the shortest period considered, with a
//!    *prominence* (height above the higher of the two surrounding valleys) above a noise floor
//!    estimated robustly from the sample-to-sample differences; of peaks closer than the
//!    shortest period only the most prominent is kept, so that one hump counts once.
//! 3. Candidate periods come from the spacings of the most prominent peaks (and their halves and
//!    thirds, for missed peaks) and from the beat periods of common HZ values. For each, a comb
//!    of teeth one period apart is laid over the peaks, anchored on each prominent peak in
//!    turn, and refined by least squares on the peaks it catches. The chance of catching an
//!    unrelated peak is measured by the density of peaks between the teeth.
//! 4. A comb is accepted only if it catches a peak in at least 70 % of the periods that the data
//!    covers, at least 4 times, and if catching that many by chance is improbable: the chance
//!    of a tooth catching an unrelated peak is the density of the other peaks times the tooth
//!    width, the probability of the observed catches is bounded with the Chernoff bound of the
//!    binomial tail, and that is multiplied by the number of combs tried (Bonferroni). This is
//!    what keeps random bursts, white noise, a single spike or a trend from being called
//!    periodic.
//!    When no comb passes (the beat's humps drown among other load), the series is folded at
//!    the beat periods of common HZ values and their close neighbourhood; a fold must stand far
//!    above folds at unrelated periods (which autocorrelation, trends and bursts raise alike)
//!    and its hump must recur in most periods.
//! 5. The period is compared with the beat periods of HZ 100, 250, 300 and 1000 and with the
//!    periods cron and timers are usually given (divisors of an hour or a day); the closer one,
//!    within the uncertainty of the period, names the cause.
//! 6. When a fork-rate series is given (forks per second from `/proc/stat` `processes`), the
//!    period of a periodic forker is looked for by epoch folding over whole seconds, and
//!    reported: it is the process that causes a beat.

use serde::Serialize;

use crate::beat::{self, COMMON_HZ};

/// One reading of a load series.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LoadPoint {
    /// Seconds (Unix time, or any other origin).
    pub t: f64,
    pub load1: f64,
    pub load5: Option<f64>,
    pub load15: Option<f64>,
}

impl LoadPoint {
    pub fn new(t: f64, load1: f64) -> LoadPoint {
        LoadPoint {
            t,
            load1,
            load5: None,
            load15: None,
        }
    }
}

/// One reading of a rate series (forks per second over the interval ending at `t`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RatePoint {
    pub t: f64,
    pub per_s: f64,
}

/// What the analysis may assume.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Shortest period looked for, in seconds (at least 4 sampling intervals are used anyway).
    /// Default 120 s: load1 smooths anything faster into a plateau.
    pub min_period_s: f64,
    /// Longest period looked for (at most a quarter of the series, so that 4 periods are seen).
    pub max_period_s: f64,
    /// HZ values a beat may come from. Set it to the host's HZ when known (`karte loadavg hz`).
    pub hz_candidates: Vec<u32>,
}

impl Options {
    /// The defaults, with beats considered only for this HZ (the host's, when known).
    pub fn with_hz(hz: u32) -> Options {
        Options {
            hz_candidates: vec![hz],
            ..Options::default()
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            min_period_s: 120.0,
            max_period_s: 8.0 * 86400.0,
            hz_candidates: COMMON_HZ.to_vec(),
        }
    }
}

/// Why the load is periodic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cause {
    /// The kernel's sampling beating with a fixed-period process; harmless.
    SamplingBeat,
    /// A real job that runs at that period.
    PeriodicWorkload,
}

impl Cause {
    pub fn name(self) -> &'static str {
        match self {
            Cause::SamplingBeat => "sampling-beat",
            Cause::PeriodicWorkload => "periodic-workload",
        }
    }
}

/// A peak of load1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Peak {
    /// Time of the peak, in the series' own units (Unix seconds for exported series).
    pub time: f64,
    /// load1 at the peak.
    pub height: f64,
    /// Height above the higher of the two valleys around it.
    pub prominence: f64,
}

/// The beat that matched, when the cause is [`Cause::SamplingBeat`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BeatMatch {
    pub hz: u32,
    /// LOAD_FREQ = 5·HZ+1 ticks.
    pub load_freq_ticks: u64,
    /// The beat period expected for this HZ.
    pub expected_period_s: f64,
    /// Whether the process's period is a multiple of 5 s (beat 5·L) or another whole number of
    /// seconds (beat L).
    pub process_period_multiple_of_5s: bool,
    /// |measured − expected| / expected.
    pub relative_error: f64,
}

/// The result of [`analyze`]. The first five fields are the stable JSON contract of
/// `karte loadavg analyze --format json`; the others are extra evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    pub periodic: bool,
    pub period_s: Option<f64>,
    pub cause: Option<Cause>,
    pub hz: Option<u32>,
    /// When periodic: the peaks on the period. Otherwise: the most prominent peaks found (at
    /// most 10), so that a single spike or random bursts can still be shown.
    pub peaks: Vec<Peak>,
    /// One standard error of the period, from the least-squares fit of the peak times.
    pub period_stderr_s: Option<f64>,
    /// −log10 of the (bounded, corrected for the number of combs tried) probability that
    /// chance alone lines up the peaks this well. 5 or more is needed to call it periodic.
    pub score: f64,
    /// Periods covered by data, and how many of them had a peak on the comb.
    pub cycles_seen: usize,
    pub cycles_with_peak: usize,
    pub beat: Option<BeatMatch>,
    /// The period of a periodic forker found in the fork-rate series, if one was given and
    /// showed one.
    pub forker_period_s: Option<f64>,
    /// Readings used after cleaning, and the time they span.
    pub samples: usize,
    pub span_s: f64,
    /// One paragraph for people: what was found and what to do.
    pub explanation: String,
    /// What was dropped or assumed.
    pub notes: Vec<String>,
}

impl Analysis {
    fn not_periodic(samples: usize, span_s: f64, explanation: String, notes: Vec<String>) -> Self {
        Analysis {
            periodic: false,
            period_s: None,
            cause: None,
            hz: None,
            peaks: Vec::new(),
            period_stderr_s: None,
            score: 0.0,
            cycles_seen: 0,
            cycles_with_peak: 0,
            beat: None,
            forker_period_s: None,
            samples,
            span_s,
            explanation,
            notes,
        }
    }
}

/// Largest grid the analysis builds; longer series are binned coarser.
const MAX_BINS: usize = 100_000;
/// Fewest readings worth analysing.
const MIN_SAMPLES: usize = 16;
/// Half-width of a comb tooth as a fraction of the period.
const TOOTH: f64 = 0.06;
/// Fewest peaks on the comb, and the fraction of covered periods that must have one.
const MIN_HITS: usize = 4;
const MIN_HIT_FRACTION: f64 = 0.7;
/// The score (−log10 of the corrected chance probability) needed to call a series periodic.
pub const MIN_SCORE: f64 = 5.0;
/// Loads above this are not from a real host; such points are dropped.
const MAX_LOAD: f64 = 1e7;

/// Analyses a load series, and optionally a fork-rate series of the same host. Never panics;
/// any input gives an answer (at worst "not periodic" with a note saying why).
pub fn analyze(points: &[LoadPoint], forks: &[RatePoint], opts: &Options) -> Analysis {
    let mut notes = Vec::new();
    let raw: Vec<(f64, f64)> = points.iter().map(|p| (p.t, p.load1)).collect();
    let clean = clean(&raw, MAX_LOAD);
    if clean.dropped_invalid > 0 {
        notes.push(format!(
            "{} readings with a missing, negative or impossible value or time were ignored",
            clean.dropped_invalid
        ));
    }
    if clean.merged > 0 {
        notes.push(format!(
            "{} readings shared a timestamp with another and were averaged",
            clean.merged
        ));
    }
    let pts = clean.points;
    let span = match (pts.first(), pts.last()) {
        (Some(a), Some(b)) => b.0 - a.0,
        _ => 0.0,
    };
    if pts.len() < MIN_SAMPLES {
        return Analysis::not_periodic(
            pts.len(),
            span,
            format!(
                "Too few readings to look for a period ({} usable, at least {MIN_SAMPLES} needed).",
                pts.len()
            ),
            notes,
        );
    }
    let Some(grid) = Grid::build(&pts) else {
        return Analysis::not_periodic(
            pts.len(),
            span,
            "The readings' times do not span a usable interval.".into(),
            notes,
        );
    };
    if grid.dt > grid.median_dt * 1.5 {
        notes.push(format!(
            "long series: binned to {} s steps",
            fmt_num(grid.dt)
        ));
    }
    let min_p = opts.min_period_s.max(4.0 * grid.dt).max(1e-9);
    let max_p = opts.max_period_s.min(span / (MIN_HITS as f64 - 0.5));
    // Peaks are looked for on the series smoothed over half the shortest period, so that the
    // saw-tooth inside one broad hump (an agent seen once a minute by the kernel, read every
    // 15 s) makes one peak, not twenty; heights are then taken from the raw series.
    let smooth = if min_p / 2.0 >= 3.0 * grid.dt {
        grid.smoothed(min_p / 2.0)
    } else {
        grid.smoothed(0.0)
    };
    let sigma = smooth.noise_sigma();
    let floor = (4.0 * sigma).max(0.03);
    let mut peaks = smooth.peaks(min_p, floor);
    grid.raise_to_raw_max(&mut peaks, min_p / 2.0);
    peaks.sort_by(|a, b| a.time.total_cmp(&b.time));

    let mut out = if peaks.is_empty() || below(max_p, min_p) {
        let why = if below(max_p, min_p) {
            format!(
                "The series spans {}, too short to see {MIN_HITS} periods of at least {}.",
                fmt_dur(span),
                fmt_dur(min_p)
            )
        } else {
            "No peak of load1 stands out of the noise: nothing periodic.".to_string()
        };
        let mut a = Analysis::not_periodic(pts.len(), span, why, notes);
        a.peaks = top_peaks(&peaks, 10);
        a
    } else {
        search(&grid, &peaks, span, min_p, max_p, opts, pts.len(), notes)
    };
    if !out.periodic && max_p >= min_p {
        let cands = beat::candidates(&opts.hz_candidates);
        if let Some(hit) = fold_search(&grid, &cands, min_p, max_p) {
            out = from_fold(&grid, &hit, &opts.hz_candidates, out);
        }
    }

    if !forks.is_empty() {
        let fr: Vec<(f64, f64)> = forks.iter().map(|f| (f.t, f.per_s)).collect();
        out.forker_period_s = forker_period(&fr);
        append_forker(&mut out);
    }
    out
}

struct Cleaned {
    points: Vec<(f64, f64)>,
    dropped_invalid: usize,
    merged: usize,
}

/// Drops invalid points, sorts by time and averages points that share a time.
fn clean(raw: &[(f64, f64)], max_value: f64) -> Cleaned {
    let mut v: Vec<(f64, f64)> = raw
        .iter()
        .copied()
        .filter(|(t, x)| t.is_finite() && x.is_finite() && *x >= 0.0 && *x <= max_value)
        .collect();
    let dropped_invalid = raw.len() - v.len();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(v.len());
    let mut merged = 0;
    let mut i = 0;
    while i < v.len() {
        let t = v[i].0;
        let mut j = i;
        let mut sum = 0.0;
        while j < v.len() && v[j].0 == t {
            sum += v[j].1;
            j += 1;
        }
        merged += j - i - 1;
        out.push((t, sum / (j - i) as f64));
        i = j;
    }
    Cleaned {
        points: out,
        dropped_invalid,
        merged,
    }
}

/// A series on a regular grid; missing bins are NaN.
struct Grid {
    t0: f64,
    dt: f64,
    median_dt: f64,
    v: Vec<f64>,
    /// present[i] = number of present bins before i.
    present_before: Vec<u32>,
}

impl Grid {
    /// Bins sorted, deduplicated points at the median spacing (coarser for long series);
    /// interpolates gaps of up to 4 bins.
    fn build(pts: &[(f64, f64)]) -> Option<Grid> {
        let (first, last) = (pts.first()?.0, pts.last()?.0);
        let span = last - first;
        if !(span.is_finite() && span > 0.0) {
            return None;
        }
        let mut diffs: Vec<f64> = pts
            .windows(2)
            .map(|w| w[1].0 - w[0].0)
            .filter(|d| *d > 0.0 && d.is_finite())
            .collect();
        if diffs.is_empty() {
            return None;
        }
        let mid = diffs.len() / 2;
        diffs.select_nth_unstable_by(mid, |a, b| a.total_cmp(b));
        let median_dt = diffs[mid];
        let dt = median_dt.max(span / MAX_BINS as f64);
        if !(dt.is_finite() && dt > 0.0) {
            return None;
        }
        let nb = ((span / dt).floor() as usize)
            .saturating_add(1)
            .min(MAX_BINS + 1);
        let mut sum = vec![0.0f64; nb];
        let mut cnt = vec![0u32; nb];
        for &(t, x) in pts {
            let i = (((t - first) / dt).round() as usize).min(nb - 1);
            sum[i] += x;
            cnt[i] += 1;
        }
        let mut v: Vec<f64> = sum
            .iter()
            .zip(&cnt)
            .map(|(s, c)| if *c > 0 { s / f64::from(*c) } else { f64::NAN })
            .collect();
        // Interpolate short gaps.
        let mut last_i: Option<usize> = None;
        for i in 0..nb {
            if cnt[i] == 0 {
                continue;
            }
            if let Some(a) = last_i {
                let gap = i - a;
                if gap > 1 && gap <= 4 {
                    let (va, vb) = (v[a], v[i]);
                    for (off, slot) in v[a + 1..i].iter_mut().enumerate() {
                        let f = (off + 1) as f64 / gap as f64;
                        *slot = va + (vb - va) * f;
                    }
                }
            }
            last_i = Some(i);
        }
        let mut present_before = Vec::with_capacity(nb + 1);
        let mut c = 0u32;
        present_before.push(0);
        for x in &v {
            if !x.is_nan() {
                c += 1;
            }
            present_before.push(c);
        }
        Some(Grid {
            t0: first,
            dt,
            median_dt,
            v,
            present_before,
        })
    }

    fn time(&self, i: usize) -> f64 {
        self.t0 + i as f64 * self.dt
    }

    /// The centred moving average over `width` seconds (of the bins with data; missing bins
    /// stay missing).
    fn smoothed(&self, width: f64) -> Grid {
        let half = if width.is_finite() && width > 0.0 {
            ((width / 2.0 / self.dt).floor() as usize).min(self.v.len())
        } else {
            0
        };
        let n = self.v.len();
        let mut sum = Vec::with_capacity(n + 1);
        let mut cnt = Vec::with_capacity(n + 1);
        sum.push(0.0f64);
        cnt.push(0u32);
        for x in &self.v {
            let (s, c) = (sum[sum.len() - 1], cnt[cnt.len() - 1]);
            if x.is_nan() {
                sum.push(s);
                cnt.push(c);
            } else {
                sum.push(s + x);
                cnt.push(c + 1);
            }
        }
        let v = (0..n)
            .map(|i| {
                if self.v[i].is_nan() || half == 0 {
                    return self.v[i];
                }
                let (a, b) = (i.saturating_sub(half), (i + half + 1).min(n));
                let c = cnt[b] - cnt[a];
                // Rounded to 1e-9 so that the prefix sums' rounding cannot split a plateau
                // into several maxima.
                ((sum[b] - sum[a]) / f64::from(c.max(1)) * 1e9).round() / 1e9
            })
            .collect();
        Grid {
            t0: self.t0,
            dt: self.dt,
            median_dt: self.median_dt,
            v,
            present_before: self.present_before.clone(),
        }
    }

    /// Moves each peak to the highest raw value within `radius` seconds, keeping its
    /// prominence.
    fn raise_to_raw_max(&self, peaks: &mut [Peak], radius: f64) {
        let r = if radius.is_finite() && radius > 0.0 {
            (radius / self.dt).ceil() as usize
        } else {
            0
        };
        let n = self.v.len();
        for p in peaks.iter_mut() {
            let i = (((p.time - self.t0) / self.dt).round().max(0.0) as usize).min(n - 1);
            let (a, b) = (i.saturating_sub(r), (i + r).min(n - 1));
            if let Some((j, x)) = (a..=b)
                .filter(|&j| !self.v[j].is_nan())
                .map(|j| (j, self.v[j]))
                .max_by(|x, y| x.1.total_cmp(&y.1))
            {
                p.time = self.time(j);
                p.height = x;
            }
        }
    }

    /// Fraction of bins in [a, b] (times) with data.
    fn coverage(&self, a: f64, b: f64) -> f64 {
        let n = self.v.len();
        let lo = ((a - self.t0) / self.dt).ceil();
        let hi = ((b - self.t0) / self.dt).floor();
        if !(lo.is_finite() && hi.is_finite()) || hi < lo || hi < 0.0 || lo > (n - 1) as f64 {
            return 0.0;
        }
        let total = hi - lo + 1.0;
        let lo_i = lo.max(0.0) as usize;
        let hi_i = (hi as usize).min(n - 1);
        let present = f64::from(self.present_before[hi_i + 1] - self.present_before[lo_i]);
        present / total
    }

    /// Seconds of the series covered by data.
    fn covered_s(&self) -> f64 {
        f64::from(self.present_before[self.v.len()]) * self.dt
    }

    /// A robust estimate of the sample-to-sample noise: 1.4826·MAD of the first differences,
    /// divided by √2.
    fn noise_sigma(&self) -> f64 {
        let mut d: Vec<f64> = self
            .v
            .windows(2)
            .map(|w| w[1] - w[0])
            .filter(|x| x.is_finite())
            .collect();
        if d.len() < 4 {
            return 0.0;
        }
        let med = median(&mut d);
        let mut dev: Vec<f64> = d.iter().map(|x| (x - med).abs()).collect();
        1.4826 * median(&mut dev) / std::f64::consts::SQRT_2
    }

    /// Peaks with prominence of at least `floor`, no two closer than `sep` seconds (the more
    /// prominent wins). Sorted by time.
    fn peaks(&self, sep: f64, floor: f64) -> Vec<Peak> {
        let v = &self.v;
        let n = v.len();
        let wlen = 5000usize;
        let mut cands: Vec<(usize, f64, f64)> = Vec::new();
        let mut i = 1;
        while i + 1 < n {
            let h = v[i];
            if h.is_nan() || v[i - 1].is_nan() || v[i - 1] >= h {
                i += 1;
                continue;
            }
            // Plateau.
            let mut j = i;
            while j + 1 < n && v[j + 1] == h {
                j += 1;
            }
            if j + 1 >= n || v[j + 1].is_nan() || v[j + 1] > h {
                i = j + 1;
                continue;
            }
            // Prominence: lowest point on each side before a higher one, a gap or wlen. On the
            // left an equal one also stops the scan, so that of a row of equal maxima (the
            // teeth of a saw-tooth hump) only the first gets the hump's full prominence.
            let mut lmin = h;
            let mut k = i;
            let mut steps = 0;
            while k > 0 && steps < wlen {
                k -= 1;
                steps += 1;
                let x = v[k];
                if x.is_nan() || x >= h {
                    break;
                }
                lmin = lmin.min(x);
            }
            let mut rmin = h;
            let mut k = j;
            let mut steps = 0;
            while k + 1 < n && steps < wlen {
                k += 1;
                steps += 1;
                let x = v[k];
                if x.is_nan() || x > h {
                    break;
                }
                rmin = rmin.min(x);
            }
            let prom = h - lmin.max(rmin);
            if prom >= floor {
                cands.push(((i + j) / 2, h, prom));
            }
            i = j + 1;
        }
        // Most prominent first; suppress neighbours within `sep`.
        cands.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
        let sep_bins = if sep.is_finite() && sep > 0.0 {
            ((sep / self.dt).ceil() as usize).max(1)
        } else {
            1
        };
        let mut taken = std::collections::BTreeSet::new();
        let mut out = Vec::new();
        for (i, h, p) in cands {
            let lo = i.saturating_sub(sep_bins - 1);
            let hi = i.saturating_add(sep_bins - 1);
            if taken.range(lo..=hi).next().is_some() {
                continue;
            }
            taken.insert(i);
            out.push(Peak {
                time: self.time(i),
                height: h,
                prominence: p,
            });
        }
        out.sort_by(|a, b| a.time.total_cmp(&b.time));
        out
    }
}

/// `a < b`, or either is NaN: "not at least".
fn below(a: f64, b: f64) -> bool {
    a.is_nan() || b.is_nan() || a < b
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mid = v.len() / 2;
    v.select_nth_unstable_by(mid, |a, b| a.total_cmp(b));
    v[mid]
}

fn top_peaks(peaks: &[Peak], n: usize) -> Vec<Peak> {
    let mut p = peaks.to_vec();
    p.sort_by(|a, b| b.prominence.total_cmp(&a.prominence));
    p.truncate(n);
    p.sort_by(|a, b| a.time.total_cmp(&b.time));
    p
}

/// A comb laid over the peaks.
#[derive(Debug, Clone)]
struct Comb {
    phase: f64,
    period: f64,
    stderr: Option<f64>,
    cycles: usize,
    hits: Vec<usize>,
    /// log10 of the bounded chance probability, before correction.
    log10_p: f64,
}

/// The peaks a comb caught: (period number, index of the peak).
type Hits = Vec<(i64, usize)>;

/// Counts the peaks caught by a comb of `period` through `phase`.
fn lay_comb(grid: &Grid, peaks: &[Peak], phase: f64, period: f64) -> (usize, Hits) {
    let w = (TOOTH * period).max(1.5 * grid.dt).min(period / 4.0);
    let first = grid.t0;
    let last = grid.time(grid.v.len() - 1);
    let kmin = ((first + w - phase) / period).ceil();
    let kmax = ((last - w - phase) / period).floor();
    if !(kmin.is_finite() && kmax.is_finite()) || kmax < kmin || kmax - kmin > 1e6 {
        return (0, Vec::new());
    }
    let (kmin, kmax) = (kmin as i64, kmax as i64);
    let mut cycles = 0;
    let mut hits = Vec::new();
    for k in kmin..=kmax {
        let e = phase + k as f64 * period;
        if grid.coverage(e - w, e + w) < 0.8 {
            continue;
        }
        cycles += 1;
        // Nearest peak to e.
        let j = peaks.partition_point(|p| p.time < e);
        let mut best: Option<(f64, usize)> = None;
        for c in [j.wrapping_sub(1), j] {
            if let Some(p) = peaks.get(c) {
                let d = (p.time - e).abs();
                if d <= w && best.is_none_or(|(bd, _)| d < bd) {
                    best = Some((d, c));
                }
            }
        }
        if let Some((_, c)) = best {
            hits.push((k, c));
        }
    }
    (cycles, hits)
}

/// Least-squares line through (k, t): (phase, period, stderr of period).
fn fit_line(pts: &[(i64, f64)]) -> Option<(f64, f64, Option<f64>)> {
    let n = pts.len();
    if n < 2 {
        return None;
    }
    let nf = n as f64;
    let kbar = pts.iter().map(|p| p.0 as f64).sum::<f64>() / nf;
    let tbar = pts.iter().map(|p| p.1).sum::<f64>() / nf;
    let sxx: f64 = pts.iter().map(|p| (p.0 as f64 - kbar).powi(2)).sum();
    if sxx.is_nan() || sxx <= 0.0 {
        return None;
    }
    let sxy: f64 = pts.iter().map(|p| (p.0 as f64 - kbar) * (p.1 - tbar)).sum();
    let slope = sxy / sxx;
    let phase = tbar - slope * kbar;
    let stderr = if n > 2 {
        let ss: f64 = pts
            .iter()
            .map(|p| (p.1 - phase - slope * p.0 as f64).powi(2))
            .sum();
        Some((ss / (n as f64 - 2.0) / sxx).sqrt())
    } else {
        None
    };
    if slope.is_finite() && slope > 0.0 && phase.is_finite() {
        Some((phase, slope, stderr))
    } else {
        None
    }
}

/// Kullback–Leibler divergence of Bernoulli(a) from Bernoulli(p), in nats.
fn kl(a: f64, p: f64) -> f64 {
    let term = |x: f64, y: f64| if x <= 0.0 { 0.0 } else { x * (x / y).ln() };
    term(a, p) + term(1.0 - a, 1.0 - p)
}

/// Evaluates one candidate period: lays the comb through each of the `anchors` (the most
/// prominent peaks), keeps the anchor that catches most, and refines that comb twice by least
/// squares on the peaks it caught.
fn evaluate(grid: &Grid, peaks: &[Peak], anchors: &[usize], period: f64) -> Option<Comb> {
    let covered = grid.covered_s().max(grid.dt);
    // Cheap bound: too few peaks in all to catch one in 70 % of the periods covered.
    if (peaks.len() as f64) < MIN_HIT_FRACTION * (covered / period) - 1.0 {
        return None;
    }
    let mut best: Option<(f64, f64, usize, Hits)> = None;
    for &a in anchors {
        let phase = peaks[a].time;
        let (cycles, hits) = lay_comb(grid, peaks, phase, period);
        if best.as_ref().is_none_or(|b| hits.len() > b.3.len()) {
            best = Some((phase, period, cycles, hits));
        }
    }
    let (mut phase, mut per, mut cycles, mut hits) = best?;
    let mut stderr = None;
    for _ in 0..2 {
        let pts: Vec<(i64, f64)> = hits.iter().map(|&(k, c)| (k, peaks[c].time)).collect();
        let Some((ph, p, se)) = fit_line(&pts) else {
            break;
        };
        if (p - period).abs() > 0.1 * period {
            break;
        }
        let (c2, h2) = lay_comb(grid, peaks, ph, p);
        if h2.len() < hits.len() {
            break;
        }
        (phase, per, stderr, cycles, hits) = (ph, p, se, c2, h2);
    }
    if stderr.is_none() {
        let pts: Vec<(i64, f64)> = hits.iter().map(|&(k, c)| (k, peaks[c].time)).collect();
        stderr = fit_line(&pts).and_then(|f| f.2);
    }
    if cycles == 0 {
        return None;
    }
    let nh = hits.len();
    let frac = nh as f64 / cycles as f64;
    let w = (TOOTH * per).max(1.5 * grid.dt).min(per / 4.0);
    // The chance that a tooth catches an unrelated peak: the density of peaks between the
    // teeth times the tooth width (an upper bound of the Poisson 1 - e^-x, and right for peaks
    // kept apart by the suppression of neighbours). Measured between the teeth, so that the
    // several local maxima of one broad hump do not count as unrelated peaks, while for
    // peaks at random the density between the teeth is the density everywhere.
    let outside = peaks
        .iter()
        .filter(|p| {
            let k = ((p.time - phase) / per).round();
            (p.time - (phase + k * per)).abs() > w
        })
        .count();
    let covered_out = (covered * (1.0 - 2.0 * w / per)).max(grid.dt);
    let others = (outside as f64).max(0.5);
    let p0 = (others / covered_out * 2.0 * w).clamp(1e-9, 0.999_999);
    let log10_p = if frac > p0 {
        -(cycles as f64) * kl(frac.min(1.0), p0) / std::f64::consts::LN_10
    } else {
        0.0
    };
    Some(Comb {
        phase,
        period: per,
        stderr,
        cycles,
        hits: hits.iter().map(|h| h.1).collect(),
        log10_p,
    })
}

fn passes(c: &Comb) -> bool {
    c.hits.len() >= MIN_HITS && c.hits.len() as f64 >= MIN_HIT_FRACTION * c.cycles as f64
}

#[allow(clippy::too_many_arguments)]
fn search(
    grid: &Grid,
    peaks: &[Peak],
    span: f64,
    min_p: f64,
    max_p: f64,
    opts: &Options,
    samples: usize,
    notes: Vec<String>,
) -> Analysis {
    // Anchors and spacing sources: the most prominent peaks.
    let mut by_prom: Vec<usize> = (0..peaks.len()).collect();
    by_prom.sort_by(|&a, &b| peaks[b].prominence.total_cmp(&peaks[a].prominence));
    let anchors: Vec<usize> = by_prom.iter().copied().take(10).collect();
    let mut top: Vec<usize> = by_prom.iter().copied().take(40).collect();
    top.sort_by(|&a, &b| peaks[a].time.total_cmp(&peaks[b].time));

    let mut cands: Vec<f64> = Vec::new();
    for (x, &a) in top.iter().enumerate() {
        for &b in &top[x + 1..] {
            let d = peaks[b].time - peaks[a].time;
            for m in 1..=3 {
                let p = d / f64::from(m);
                if p >= min_p && p <= max_p {
                    cands.push(p);
                }
            }
        }
    }
    for c in beat::candidates(&opts.hz_candidates) {
        if c.period_s >= min_p && c.period_s <= max_p {
            cands.push(c.period_s);
        }
    }
    cands.sort_by(|a, b| a.total_cmp(b));
    let mut uniq: Vec<f64> = Vec::new();
    for c in cands {
        if uniq.last().is_none_or(|&u| c > u * 1.003) {
            uniq.push(c);
        }
    }
    let tries = (uniq.len().max(1) * anchors.len().max(1)) as f64;

    let mut best: Option<Comb> = None;
    for &p in &uniq {
        if let Some(c) = evaluate(grid, peaks, &anchors, p) {
            if !passes(&c) {
                continue;
            }
            if best.as_ref().is_none_or(|b| c.log10_p < b.log10_p) {
                best = Some(c);
            }
        }
    }
    let score_of = |c: &Comb| -(c.log10_p + tries.log10());
    let best = best.filter(|c| score_of(c) >= MIN_SCORE);
    let Some(comb) = best else {
        let mut a = Analysis::not_periodic(
            samples,
            span,
            format!(
                "No periodic peaks: {} peak{} of load1 stand{} out, but not at a regular interval \
                 (random bursts or noise).",
                peaks.len(),
                if peaks.len() == 1 { "" } else { "s" },
                if peaks.len() == 1 { "s" } else { "" },
            ),
            notes,
        );
        a.peaks = top_peaks(peaks, 10);
        return a;
    };

    let mut hit_peaks: Vec<Peak> = comb.hits.iter().map(|&c| peaks[c]).collect();
    hit_peaks.sort_by(|a, b| a.time.total_cmp(&b.time));
    hit_peaks.dedup_by(|a, b| a.time == b.time);
    let (period, stderr) = (comb.period, comb.stderr);
    let (cause, beat) = classify(period, stderr, &opts.hz_candidates);
    let score = score_of(&comb);
    let explanation = explain(period, cause, beat.as_ref(), hit_peaks.len(), comb.cycles);
    let _ = comb.phase;
    Analysis {
        periodic: true,
        period_s: Some(period),
        cause: Some(cause),
        hz: beat.map(|b| b.hz),
        peaks: hit_peaks,
        period_stderr_s: stderr,
        score,
        cycles_seen: comb.cycles,
        cycles_with_peak: comb.hits.len(),
        beat,
        forker_period_s: None,
        samples,
        span_s: span,
        explanation,
        notes,
    }
}

/// Periods people give cron jobs and timers: divisors of an hour (in minutes), of a day (in
/// hours), a day and a week.
fn usual_job_periods() -> Vec<f64> {
    let mut v: Vec<f64> = [1u32, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30]
        .iter()
        .map(|m| f64::from(*m) * 60.0)
        .collect();
    v.extend(
        [1u32, 2, 3, 4, 6, 8, 12, 24]
            .iter()
            .map(|h| f64::from(*h) * 3600.0),
    );
    v.push(7.0 * 86400.0);
    v
}

/// Beat or job: whichever expected period is closer, if within the period's uncertainty.
fn classify(period: f64, stderr: Option<f64>, hzs: &[u32]) -> (Cause, Option<BeatMatch>) {
    let rel_unc = stderr.map(|s| s / period).unwrap_or(0.01);
    // Peak times wobble with the beat's own fine structure (the joint pattern of the kernel's
    // and the process's periods repeats only every few beats): over a few days of simulated
    // agents the period from the peaks was off by up to 0.4 %. Hence the 0.6 % floor; beats
    // lie at least 4 % from the usual job periods, so this costs nothing there.
    let tol = (3.0 * rel_unc).clamp(0.006, 0.015);
    let best_beat = beat::candidates(hzs)
        .into_iter()
        .map(|c| (c, (period - c.period_s).abs() / c.period_s))
        .min_by(|a, b| a.1.total_cmp(&b.1));
    let best_job = usual_job_periods()
        .into_iter()
        .map(|p| (period - p).abs() / p)
        .min_by(|a, b| a.total_cmp(b))
        .unwrap_or(f64::INFINITY);
    if let Some((c, rel)) = best_beat
        && rel <= tol
        && rel < best_job
    {
        return (
            Cause::SamplingBeat,
            Some(BeatMatch {
                hz: c.hz,
                load_freq_ticks: crate::kernel::load_freq(c.hz),
                expected_period_s: c.period_s,
                process_period_multiple_of_5s: c.multiple_of_5s,
                relative_error: rel,
            }),
        );
    }
    (Cause::PeriodicWorkload, None)
}

fn explain(
    period: f64,
    cause: Cause,
    beat: Option<&BeatMatch>,
    hits: usize,
    cycles: usize,
) -> String {
    let head = format!(
        "load1 peaks every {} ({} s; a peak in {hits} of {cycles} periods).",
        fmt_dur(period),
        fmt_num(period)
    );
    match (cause, beat) {
        (Cause::SamplingBeat, Some(b)) => {
            let which = if b.process_period_multiple_of_5s {
                format!(
                    "5·(5·HZ+1) = {} s: the beat of a process that wakes every multiple of 5 s \
                     (a monitoring agent every 10, 30 or 60 s, say)",
                    fmt_num(b.expected_period_s)
                )
            } else {
                format!(
                    "5·HZ+1 = {} s: the beat of a process that wakes every whole number of \
                     seconds that is not a multiple of 5 (a 1 s collector, say)",
                    fmt_num(b.expected_period_s)
                )
            };
            format!(
                "{head} That is {which} with the kernel's load sampling at HZ={}: the kernel \
                 counts runnable tasks only once every LOAD_FREQ = {} ticks ({:.3} s), so the \
                 process's short bursts drift across a sample instant only once per beat. \
                 Harmless: the CPU is not busier then, and nothing needs fixing. To smooth the \
                 graph, add random jitter to the agent's interval so that it does not stay in \
                 step with the kernel's sampling.",
                b.hz,
                b.load_freq_ticks,
                b.load_freq_ticks as f64 / f64::from(b.hz),
            )
        }
        _ => {
            let daily = if (period / 86400.0 - 1.0).abs() < 0.02 {
                " A one-day period may also be the daily rhythm of the host's users."
            } else {
                ""
            };
            format!(
                "{head} This does not match the kernel's sampling beat at the HZ values \
                 considered (100, 250, 300 and 1000 unless told): a real job runs at that period. Look at cron (crontab -l for each user, \
                 /etc/crontab, /etc/cron.d) and systemd timers (systemctl list-timers), and at \
                 what karte history shows running at the peak times.{daily}"
            )
        }
    }
}

fn append_forker(a: &mut Analysis) {
    match (a.forker_period_s, a.cause, a.beat) {
        (Some(t), Some(Cause::SamplingBeat), Some(b)) => {
            let consistent = beat::beat(b.hz, t)
                .map(|x| (x.period_s - b.expected_period_s).abs() / b.expected_period_s < 0.01)
                .unwrap_or(false);
            if consistent {
                a.explanation.push_str(&format!(
                    " The fork counts show the process: something forks every {} s, which at \
                     HZ={} beats at exactly this period.",
                    fmt_num(t),
                    b.hz
                ));
            } else {
                a.explanation.push_str(&format!(
                    " The fork counts show a process forking every {} s, whose beat at HZ={} \
                     would not be this period; the beating process may not fork (a thread, \
                     or a process woken by a timer).",
                    fmt_num(t),
                    b.hz
                ));
            }
        }
        (Some(t), _, _) => a.explanation.push_str(&format!(
            " The fork counts show a process forking every {} s.",
            fmt_num(t)
        )),
        (None, Some(Cause::SamplingBeat), _) => a.explanation.push_str(
            " The fork counts show no regular forker; the beating process may wake without \
             forking.",
        ),
        _ => {}
    }
}

/// The answer when folding found the beat.
fn from_fold(grid: &Grid, hit: &FoldHit, hzs: &[u32], prev: Analysis) -> Analysis {
    let (cause, beat) = classify(hit.period, Some(hit.stderr), hzs);
    let peaks = fold_peaks(grid, hit);
    let n = peaks.len();
    let mut explanation = explain(hit.period, cause, beat.as_ref(), n, n);
    explanation.push_str(
        " The humps are weak against the other load of this host; they were found by folding \
         the whole series at the beat period, where they add up.",
    );
    // Robust z against unrelated folds, as a one-sided normal tail, corrected for the
    // candidates tried.
    let score = -(log10_normal_tail(hit.z) + (2.0 * hzs.len().max(1) as f64 * 100.0).log10());
    Analysis {
        periodic: true,
        period_s: Some(hit.period),
        cause: Some(cause),
        hz: beat.map(|b| b.hz),
        peaks,
        period_stderr_s: Some(hit.stderr),
        score,
        cycles_seen: n,
        cycles_with_peak: n,
        beat,
        forker_period_s: None,
        samples: prev.samples,
        span_s: prev.span_s,
        explanation,
        notes: prev.notes,
    }
}

/// The period of a periodic forker in a fork-rate series: epoch folding of the ranks of the
/// rates over whole seconds from 2 sampling intervals to an hour (or a quarter of the series),
/// keeping the shortest period whose fold is nearly as strong as the best (a multiple folds as
/// well as the period itself). Ranks rather than values, so that a few huge bursts of forks (a
/// build) cannot line up into a period; and a fold must be improbable at the 10^-6 level after
/// correcting for the number of periods tried.
pub fn forker_period(series: &[(f64, f64)]) -> Option<f64> {
    let c = clean(series, 1e12);
    let mut pts = c.points;
    if pts.len() < 24 {
        return None;
    }
    // The most recent 20000 readings are plenty and bound the cost.
    if pts.len() > 20_000 {
        pts.drain(..pts.len() - 20_000);
    }
    let grid = Grid::build(&pts)?;
    let span = grid.time(grid.v.len() - 1) - grid.t0;
    let tmin = (2.0 * grid.dt).max(2.0).ceil();
    let tmax = (span / 4.0).min(3600.0).floor();
    if below(tmax, tmin) {
        return None;
    }
    let xs = ranked(&grid);
    let mut fs: Vec<(f64, f64, f64)> = Vec::new();
    let mut t = tmin;
    while t <= tmax {
        let bins = ((t / grid.dt).round() as usize).clamp(2, 60);
        let f = fold(&xs, t, bins);
        fs.push((t, f.f, f.log10_p));
        t += 1.0;
    }
    let trials = (fs.len().max(1) as f64).log10();
    let (tb, fb, lp) = fs.iter().copied().min_by(|a, b| a.2.total_cmp(&b.2))?;
    if !(lp + trials <= -6.0 && fb >= 4.0) {
        return None;
    }
    // Shortest divisor of the best period that folds nearly as well.
    for &(t, _, l) in &fs {
        if t > tb {
            break;
        }
        let ratio = tb / t;
        if (ratio - ratio.round()).abs() < 1e-9 && l + trials <= -6.0 && l <= 0.5 * lp {
            return Some(t);
        }
    }
    Some(tb)
}

/// The present bins of a grid as (seconds from the start, rank of the value), ranks averaged
/// over ties.
fn ranked(grid: &Grid) -> Vec<(f64, f64)> {
    let mut xs: Vec<(f64, f64)> = grid
        .v
        .iter()
        .enumerate()
        .filter(|(_, x)| !x.is_nan())
        .map(|(i, x)| (i as f64 * grid.dt, *x))
        .collect();
    let mut order: Vec<usize> = (0..xs.len()).collect();
    order.sort_by(|&a, &b| xs[a].1.total_cmp(&xs[b].1));
    let mut ranks = vec![0.0; xs.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && xs[order[j + 1]].1 == xs[order[i]].1 {
            j += 1;
        }
        let r = (i + j) as f64 / 2.0;
        for &o in &order[i..=j] {
            ranks[o] = r;
        }
        i = j + 1;
    }
    for (x, r) in xs.iter_mut().zip(ranks) {
        x.1 = r;
    }
    xs
}

/// An epoch fold: the values grouped by phase of a period.
struct Fold {
    /// One-way ANOVA F statistic of the phase bins.
    f: f64,
    /// log10 of its chance probability for independent samples (Wilson–Hilferty approximation
    /// of the chi-square tail of (bins−1)·F).
    log10_p: f64,
    /// The bin with the highest mean.
    top_bin: usize,
}

/// Folds `xs` (times from 0) at `period` into `bins` phase bins, using whole periods only: a
/// partial last period would weigh some phases with late values only, which makes a mere trend
/// look periodic.
fn fold(xs: &[(f64, f64)], period: f64, bins: usize) -> Fold {
    let bins = bins.max(2);
    let none = Fold {
        f: 0.0,
        log10_p: 0.0,
        top_bin: 0,
    };
    if !(period.is_finite() && period > 0.0) {
        return none;
    }
    let end = xs.last().map_or(0.0, |x| x.0);
    let whole = (end / period).floor() * period;
    let xs = &xs[..xs.partition_point(|x| x.0 < whole)];
    let bin_of = |t: f64| {
        // The small epsilon keeps phases like 1/6·6 = 0.9999999 in their own bin.
        let ph = (t / period).fract();
        ((ph * bins as f64 + 1e-7).floor() as usize) % bins
    };
    let mut n = vec![0usize; bins];
    let mut s = vec![0.0f64; bins];
    for &(t, x) in xs {
        let b = bin_of(t);
        n[b] += 1;
        s[b] += x;
    }
    let total_n: usize = n.iter().sum();
    let used = n.iter().filter(|c| **c > 0).count();
    if used < 2 || total_n <= used {
        return none;
    }
    let mean = s.iter().sum::<f64>() / total_n as f64;
    let means: Vec<f64> = s
        .iter()
        .zip(&n)
        .map(|(s, n)| {
            if *n > 0 {
                s / *n as f64
            } else {
                f64::NEG_INFINITY
            }
        })
        .collect();
    let ssb: f64 = means
        .iter()
        .zip(&n)
        .filter(|(_, n)| **n > 0)
        .map(|(m, n)| *n as f64 * (m - mean).powi(2))
        .sum();
    let mut ssw = 0.0;
    for &(t, x) in xs {
        ssw += (x - means[bin_of(t)]).powi(2);
    }
    let top_bin = means
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| i)
        .unwrap_or(0);
    let dfb = (used - 1) as f64;
    let dfw = (total_n - used) as f64;
    let f = if ssw <= 0.0 {
        if ssb > 0.0 { 1e9 } else { 0.0 }
    } else {
        (ssb / dfb) / (ssw / dfw)
    };
    if !f.is_finite() {
        return none;
    }
    Fold {
        f,
        log10_p: log10_chi2_tail(dfb * f, dfb),
        top_bin,
    }
}

/// log10 of P(χ²_k > x), by the Wilson–Hilferty normal approximation.
fn log10_chi2_tail(x: f64, k: f64) -> f64 {
    if !(x > 0.0 && k > 0.0) {
        return 0.0;
    }
    let a = 2.0 / (9.0 * k);
    let z = ((x / k).cbrt() - (1.0 - a)) / a.sqrt();
    log10_normal_tail(z)
}

/// log10 of P(Z > z) for a standard normal Z.
fn log10_normal_tail(z: f64) -> f64 {
    if z < 3.0 {
        // erfc by Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7), ample here.
        let x = z / std::f64::consts::SQRT_2;
        let sign = if x < 0.0 { -1.0 } else { 1.0 };
        let x = x.abs();
        let t = 1.0 / (1.0 + 0.327_591_1 * x);
        let y = t
            * (0.254_829_592
                + t * (-0.284_496_736
                    + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))))
            * (-x * x).exp();
        let erfc = if sign > 0.0 { y } else { 2.0 - y };
        (0.5 * erfc).max(1e-300).log10()
    } else {
        // Asymptotic: φ(z)/z · (1 − 1/z²).
        let ln = -z * z / 2.0 - (z * (2.0 * std::f64::consts::PI).sqrt()).ln()
            + (1.0 - 1.0 / (z * z)).ln();
        ln / std::f64::consts::LN_10
    }
}

/// A periodicity found by folding at a beat period.
struct FoldHit {
    period: f64,
    stderr: f64,
    z: f64,
    phase_center: f64,
    half_width: f64,
}

/// The series on at most 20000 points (coarser bins keep minutes-long humps intact), as
/// (time, value) of the bins with data, and the bin width.
fn downsample(grid: &Grid) -> (Vec<(f64, f64)>, f64) {
    let factor = grid.v.len().div_ceil(20_000).max(1);
    let mut xs = Vec::new();
    for (c, chunk) in grid.v.chunks(factor).enumerate() {
        let (sum, n) = chunk
            .iter()
            .filter(|x| !x.is_nan())
            .fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
        if n > 0 {
            xs.push((grid.t0 + (c * factor) as f64 * grid.dt, sum / n as f64));
        }
    }
    (xs, grid.dt * factor as f64)
}

/// The result of scanning folds over a range of periods.
struct Scan {
    period: f64,
    f: f64,
    top_bin: usize,
    /// Half the width of the fold's peak at half its height above `floor`.
    stderr: f64,
    /// Whether the maximum lies inside the range (not on a slope at its edge).
    interior: bool,
}

/// Folds `xs` (times from 0) at periods from `lo` to `hi`, in steps small enough that the
/// phase drifts by at most a quarter bin over the series (at most 2000 steps), and returns the
/// strongest fold. `floor` is the typical F of unrelated folds, for the width.
fn scan(xs: &[(f64, f64)], lo: f64, hi: f64, bins: usize, floor: f64) -> Option<Scan> {
    let span = xs.last()?.0.max(1.0);
    if !(hi > lo && lo > 0.0) {
        return None;
    }
    let mid = (lo + hi) / 2.0;
    let ideal = mid * mid / (4.0 * bins as f64 * span);
    let n = (((hi - lo) / ideal).ceil() as usize).clamp(20, 2000);
    let step = (hi - lo) / n as f64;
    let mut fs = Vec::with_capacity(n + 1);
    let mut top = (f64::NEG_INFINITY, lo, 0usize, 0usize);
    for i in 0..=n {
        let p = lo + i as f64 * step;
        let f = fold(xs, p, bins);
        fs.push((p, f.f));
        if f.f > top.0 {
            top = (f.f, p, f.top_bin, i);
        }
    }
    let half = floor + (top.0 - floor) / 2.0;
    // Contiguous run above half height around the maximum.
    let (mut a, mut b) = (top.3, top.3);
    while a > 0 && fs[a - 1].1 >= half {
        a -= 1;
    }
    while b + 1 < fs.len() && fs[b + 1].1 >= half {
        b += 1;
    }
    let width = (fs[b].0 - fs[a].0).max(step);
    let rel = top.3 as f64 / n as f64;
    Some(Scan {
        period: top.1,
        f: top.0,
        top_bin: top.2,
        stderr: width / 2.0,
        interior: (0.1..=0.9).contains(&rel),
    })
}

/// Looks for the sampling beat by epoch folding when no clean comb of peaks was found: on a
/// busy host the beat's humps ride on random bursts and peak picking drowns, but folding many
/// periods at the right period still stacks them up. Only the few beat periods of common HZ
/// values are tried (a small neighbourhood of each), and each is judged against folds of the
/// same series at unrelated periods, so that autocorrelation, trends and bursts, which raise
/// every fold alike, do not count.
fn fold_search(
    grid: &Grid,
    cands: &[beat::BeatCandidate],
    min_p: f64,
    max_p: f64,
) -> Option<FoldHit> {
    let (xs_raw, dt) = downsample(grid);
    if xs_raw.len() < 64 {
        return None;
    }
    let mut best: Option<FoldHit> = None;
    for c in cands {
        let p0 = c.period_s;
        if !(p0 >= min_p && p0 <= max_p) {
            continue;
        }
        let bins = ((p0 / (4.0 * dt)).round() as usize).clamp(8, 40);
        let xs = detrended_ranks(&xs_raw, grid.t0, p0);
        // Null: periods spread between 0.55 and 1.8 times p0, away from p0's simple ratios.
        let mut null = Vec::new();
        for i in 0..120 {
            let p = p0 * 0.55 * (1.8f64 / 0.55).powf(i as f64 / 119.0);
            let near = [0.5, 2.0 / 3.0, 1.0, 1.5, 2.0]
                .iter()
                .any(|r| (p / (p0 * r) - 1.0).abs() < 0.04);
            if near || p < min_p || p > max_p {
                continue;
            }
            null.push(fold(&xs, p, bins).f);
        }
        if null.len() < 40 {
            continue;
        }
        let mut sorted = null.clone();
        sorted.sort_by(|a, b| a.total_cmp(b));
        let med = sorted[sorted.len() / 2];
        let mut dev: Vec<f64> = sorted.iter().map(|f| (f - med).abs()).collect();
        let mad = median(&mut dev).max(1e-9);
        let null_max = sorted[sorted.len() - 1];
        let Some(sc) = scan(&xs, p0 * 0.99, p0 * 1.01, bins, med) else {
            continue;
        };
        let z = (sc.f - med) / (1.4826 * mad);
        if !(z >= 10.0 && sc.f >= 1.5 * null_max && sc.interior) {
            continue;
        }
        // The hump must recur: in most periods the values around the folded maximum are in
        // the top quarter of that period's values (a few aligned bursts make a strong fold
        // from a few periods only).
        let center = (sc.top_bin as f64 + 0.5) / bins as f64 * sc.period;
        let hw = sc.period / bins as f64 * 1.5;
        if !recurs(&xs, sc.period, center, hw) {
            continue;
        }
        let hit = FoldHit {
            period: sc.period,
            stderr: sc.stderr,
            z,
            phase_center: center,
            half_width: hw,
        };
        if best.as_ref().is_none_or(|b| hit.z > b.z) {
            best = Some(hit);
        }
    }
    best
}

/// The values minus their centred moving average over one period (which removes trends and
/// slow swings but keeps what repeats within the period), as ranks (so that bursts weigh no
/// more than any other high value), with times relative to `t0`.
fn detrended_ranks(xs: &[(f64, f64)], t0: f64, period: f64) -> Vec<(f64, f64)> {
    let n = xs.len();
    let mut prefix = Vec::with_capacity(n + 1);
    prefix.push(0.0);
    for x in xs {
        prefix.push(prefix[prefix.len() - 1] + x.1);
    }
    let (mut lo, mut hi) = (0usize, 0usize);
    let mut resid = Vec::with_capacity(n);
    for x in xs {
        let t = x.0;
        while lo < n && xs[lo].0 < t - period / 2.0 {
            lo += 1;
        }
        while hi < n && xs[hi].0 <= t + period / 2.0 {
            hi += 1;
        }
        let cnt = (hi - lo).max(1) as f64;
        resid.push((t - t0, x.1 - (prefix[hi] - prefix[lo]) / cnt));
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| resid[a].1.total_cmp(&resid[b].1));
    let mut ranks = vec![0.0; n];
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && resid[order[j + 1]].1 == resid[order[i]].1 {
            j += 1;
        }
        for &o in &order[i..=j] {
            ranks[o] = (i + j) as f64 / 2.0;
        }
        i = j + 1;
    }
    resid.iter().zip(ranks).map(|(r, k)| (r.0, k)).collect()
}

/// Whether, in at least 60 % of the whole periods (and at least 4), the mean of the values
/// within `half_width` of `center` (a phase, in seconds) exceeds the period's 75th percentile,
/// and that many such periods are improbable at 1 in 1000 when each has a one-in-four chance.
fn recurs(xs: &[(f64, f64)], period: f64, center: f64, half_width: f64) -> bool {
    let end = xs.last().map_or(0.0, |x| x.0);
    let cycles = (end / period).floor() as usize;
    if cycles < MIN_HITS {
        return false;
    }
    let mut good = 0usize;
    let mut seen = 0usize;
    let mut i = 0;
    for k in 0..cycles {
        let (a, b) = (k as f64 * period, (k + 1) as f64 * period);
        while i < xs.len() && xs[i].0 < a {
            i += 1;
        }
        let j = i + xs[i..].partition_point(|x| x.0 < b);
        let cyc = &xs[i..j];
        if cyc.len() < 8 {
            continue;
        }
        let mut vals: Vec<f64> = cyc.iter().map(|x| x.1).collect();
        vals.sort_by(|x, y| x.total_cmp(y));
        let q75 = vals[vals.len() * 3 / 4];
        let (lo, hi) = (a + center - half_width, a + center + half_width);
        let win: Vec<f64> = cyc
            .iter()
            .filter(|x| x.0 >= lo && x.0 <= hi)
            .map(|x| x.1)
            .collect();
        if win.is_empty() {
            continue;
        }
        seen += 1;
        if win.iter().sum::<f64>() / win.len() as f64 > q75 {
            good += 1;
        }
    }
    if seen < MIN_HITS {
        return false;
    }
    let frac = good as f64 / seen as f64;
    frac >= 0.6 && -(seen as f64) * kl(frac, 0.25) / std::f64::consts::LN_10 <= -3.0
}

/// The peaks of each period near the fold's phase.
fn fold_peaks(grid: &Grid, hit: &FoldHit) -> Vec<Peak> {
    let mut out = Vec::new();
    let end = grid.time(grid.v.len() - 1);
    let mut k = 0.0;
    loop {
        let c = grid.t0 + hit.phase_center + k * hit.period;
        if c - hit.half_width > end {
            break;
        }
        let lo = (((c - hit.half_width - grid.t0) / grid.dt).floor().max(0.0)) as usize;
        let hi =
            ((((c + hit.half_width - grid.t0) / grid.dt).ceil()) as usize).min(grid.v.len() - 1);
        let mut best: Option<(usize, f64)> = None;
        let mut lowest = f64::INFINITY;
        for i in lo..=hi {
            let x = grid.v[i];
            if x.is_nan() {
                continue;
            }
            lowest = lowest.min(x);
            if best.is_none_or(|b| x > b.1) {
                best = Some((i, x));
            }
        }
        if let Some((i, x)) = best {
            out.push(Peak {
                time: grid.time(i),
                height: x,
                prominence: x - lowest,
            });
        }
        k += 1.0;
        if k > 1e6 {
            break;
        }
    }
    out
}

/// `6 h 56 m 45 s`.
pub fn fmt_dur(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return "?".into();
    }
    if secs < 60.0 {
        return format!("{} s", fmt_num(secs));
    }
    let s = secs.round() as u64;
    let (d, h, m, sec) = (s / 86400, s / 3600 % 24, s / 60 % 60, s % 60);
    let mut parts = Vec::new();
    if d > 0 {
        parts.push(format!("{d} d"));
    }
    if h > 0 {
        parts.push(format!("{h} h"));
    }
    if m > 0 {
        parts.push(format!("{m} m"));
    }
    if sec > 0 {
        parts.push(format!("{sec} s"));
    }
    parts.join(" ")
}

/// A number with at most one decimal, without a trailing `.0`.
pub fn fmt_num(x: f64) -> String {
    if (x - x.round()).abs() < 0.05 {
        format!("{}", x.round())
    } else {
        format!("{x:.1}")
    }
}
