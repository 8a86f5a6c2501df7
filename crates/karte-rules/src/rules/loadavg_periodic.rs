//! `loadavg-periodic`: the load average rises and falls with a fixed period.
//!
//! Either a real job runs at that period (cron, a timer), or — on an idle host — the kernel's
//! load sampling (every LOAD_FREQ = 5·HZ+1 ticks) beats with a process that wakes at a fixed
//! period (a monitoring agent forking every 60 s): the agent's run is caught by the sampler a
//! little more or less often, slowly, giving humps every 5·(5·HZ+1) seconds — 6 h 56 m 45 s at
//! HZ=1000. The analysis itself is in karte-loadavg; this rule words its result.

use crate::fmt;
use crate::{Finding, Lang, RuleInfo, Severity};
use karte_loadavg::analyze::{Analysis, Cause};

pub const ID: &str = "loadavg-periodic";

pub const INFO: RuleInfo = RuleInfo {
    id: ID,
    title_en: "The load average rises and falls with a fixed period",
    title_ja: "ロードアベレージが一定の周期で上下している",
    explain_en: "Looks for periodic peaks in a load-average series (recorded history, Prometheus' node_load1, or a CSV with `karte \
loadavg analyze`) and estimates the period. Random bursts are not periodic: the peaks must line up on a comb with a chance \
probability below 10^-5. Then it decides between two causes. sampling-beat: the kernel samples the number of runnable and \
uninterruptible tasks every LOAD_FREQ = 5·HZ+1 ticks (5.001 s at HZ=1000); a process that wakes at a fixed period (a monitoring \
agent forking every 60 s) is caught by the sampler a little more or less often as the two clocks slide past each other, so an \
idle host shows load humps every 5·(5·HZ+1) seconds for any agent period that is a multiple of 5 s — 2505 s at HZ=100, 6255 s at \
250, 7505 s at 300, 25005 s (6 h 56 m 45 s) at 1000. This is harmless: nothing runs more often; only the measurement beats. \
periodic-workload: any other period is a real job (cron, systemd timers, backups, log rotation, an application's own schedule). \
Always info: it explains a graph, it is not a fault. To make a sampling beat go away, run the agent at a period that is not a \
multiple of 5 s plus a whole number of ticks, or ignore it.",
    explain_ja: "ロードアベレージの系列（記録した履歴、Prometheus の node_load1、karte loadavg analyze に渡す CSV）から周期的な山を探し、周期を推定します。ランダムな山は周期的とはみなしません。山が等間隔の櫛に偶然並ぶ確率が 10^-5 未満であることが条件です。\
そのうえで原因を2つに分けます。sampling-beat: カーネルは実行可能・割り込み不能なタスク数を LOAD_FREQ = 5·HZ+1 tick ごと（HZ=1000 なら 5.001 秒ごと）に数えます。一定の周期で動くプロセス（60 秒ごとに fork する監視エージェントなど）は、2つの時計が少しずつずれるため、数えられる回数がゆっくり増減します。\
そのため、アイドルなホストでも 5 秒の倍数の周期を持つエージェントなら周期によらず 5·(5·HZ+1) 秒ごとに山が現れます。HZ=100 で 2505 秒、250 で 6255 秒、300 で 7505 秒、1000 で 25005 秒（6時間56分45秒）です。実害はありません。処理が増えているのではなく、測定がうなりを起こしているだけです。\
periodic-workload: それ以外の周期は実際の処理です（cron、systemd タイマー、バックアップ、ログローテーション、アプリケーション自身のスケジュール）。\
常に info です。グラフの説明であって、障害ではありません。sampling-beat を消したい場合は、エージェントの周期を 5 秒の倍数からずらすか、気にせず無視してください。",
};

fn dur(secs: f64, lang: Lang) -> String {
    match lang {
        Lang::En => karte_loadavg::analyze::fmt_dur(secs),
        Lang::Ja => fmt::duration_ja(secs),
    }
}

/// The finding for an analysis of a host's load series; none when it is not periodic.
pub fn evaluate(a: &Analysis, lang: Lang) -> Vec<Finding> {
    let (Some(period), Some(cause)) = (a.period_s, a.cause) else {
        return Vec::new();
    };
    if !a.periodic {
        return Vec::new();
    }
    let ja = lang == Lang::Ja;
    let p = dur(period, lang);
    let mut evidence = vec![if ja {
        format!(
            "{} 個の読み取り（{}）、{} 周期中 {} 周期に山。偶然の確率 10^-{:.1}",
            a.samples,
            fmt::duration_ja(a.span_s),
            a.cycles_seen,
            a.cycles_with_peak,
            a.score
        )
    } else {
        format!(
            "{} readings over {}; a peak in {} of {} periods; chance probability 10^-{:.1}",
            a.samples,
            fmt::duration(a.span_s),
            a.cycles_with_peak,
            a.cycles_seen,
            a.score
        )
    }];
    // Peak times are Unix seconds for exported and recorded series; shown in UTC then.
    let when = |t: f64| {
        if t > 1e9 {
            format!("{} ", karte_snapshot::time::format_utc(t))
        } else {
            String::new()
        }
    };
    let peaks: Vec<String> = a
        .peaks
        .iter()
        .take(5)
        .map(|pk| format!("{}{:.2}", when(pk.time), pk.height))
        .collect();
    if !peaks.is_empty() {
        evidence.push(if ja {
            format!("山（UTC、load1）: {}", peaks.join(", "))
        } else {
            format!("peaks (UTC, load1): {}", peaks.join(", "))
        });
    }
    if let Some(b) = &a.beat {
        evidence.push(if ja {
            format!(
                "HZ={} なら LOAD_FREQ = {} tick、うなりの周期は {}（測定値との差 {:.1} %）",
                b.hz,
                b.load_freq_ticks,
                dur(b.expected_period_s, lang),
                b.relative_error * 100.0
            )
        } else {
            format!(
                "at HZ={}: LOAD_FREQ = {} ticks, beat period {} (measured within {:.1} %)",
                b.hz,
                b.load_freq_ticks,
                dur(b.expected_period_s, lang),
                b.relative_error * 100.0
            )
        });
    }
    if let Some(f) = a.forker_period_s {
        evidence.push(if ja {
            format!(
                "fork の回数に {} 周期の山: 一定周期で起動するプロセスがあります",
                dur(f, lang)
            )
        } else {
            format!(
                "the fork rate peaks every {}: a process starts at that period",
                dur(f, lang)
            )
        });
    }
    let (title, summary, remedy) = match (cause, ja) {
        (Cause::SamplingBeat, false) => (
            format!("Load peaks every {p}: the kernel's load sampling beating with a periodic process (harmless)"),
            format!(
                "The humps come from how the kernel measures load, not from extra work: it samples every 5·HZ+1 ticks{}, and a process that wakes at a fixed period (typically a monitoring agent) is caught a little more or less often as the two clocks slide past each other. Nothing runs more often at the peaks.",
                a.hz.map(|h| format!(" (HZ={h})")).unwrap_or_default()
            ),
            vec![
                "Nothing needs fixing. If the graph misleads people, note it on the dashboard, or run the agent at a period that is not a multiple of 5 s.".to_string(),
            ],
        ),
        (Cause::SamplingBeat, true) => (
            format!("ロードの山が {p} ごとに現れます: カーネルの負荷サンプリングと周期的なプロセスのうなりです（無害）"),
            format!(
                "山は処理が増えたためではなく、カーネルの負荷の測り方から生じています。カーネルは 5·HZ+1 tick ごと{}に数えており、一定周期で動くプロセス（多くは監視エージェント）は、2つの時計が少しずつずれることで数えられる回数がゆっくり増減します。山の時間に処理が増えているわけではありません。",
                a.hz.map(|h| format!("（HZ={h}）")).unwrap_or_default()
            ),
            vec!["直す必要はありません。グラフが誤解を招くならダッシュボードに注記するか、エージェントの周期を 5 秒の倍数からずらしてください。".to_string()],
        ),
        (Cause::PeriodicWorkload, false) => (
            format!("Load peaks every {p}: a job that runs at that period"),
            "The load rises at a fixed period that is not the kernel's sampling beat: something is scheduled to run then.".to_string(),
            vec![
                "Look for what starts at that period: crontab -l for each user, /etc/cron.*, systemctl list-timers, the application's own schedules (backups, log rotation, batch jobs).".to_string(),
                "If the peaks hurt, spread or reschedule the job (RandomizedDelaySec= for timers), or limit it (nice, CPUQuota=, IOWeight=).".to_string(),
            ],
        ),
        (Cause::PeriodicWorkload, true) => (
            format!("ロードの山が {p} ごとに現れます: その周期で動く処理があります"),
            "ロードがカーネルのサンプリングのうなりではない一定の周期で上がっています。その時刻に何かが実行されるよう設定されています。".to_string(),
            vec![
                "その周期で始まるものを探します: 各ユーザーの crontab -l、/etc/cron.*、systemctl list-timers、アプリケーション自身のスケジュール（バックアップ、ログローテーション、バッチ処理）。".to_string(),
                "山が問題なら、処理を分散・移動する（タイマーなら RandomizedDelaySec=）か、制限します（nice、CPUQuota=、IOWeight=）。".to_string(),
            ],
        ),
    };
    vec![Finding {
        rule: ID,
        severity: Severity::Info,
        title,
        summary,
        subjects: vec!["load1".into()],
        evidence,
        remedy,
    }]
}
