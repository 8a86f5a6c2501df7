//! `karte net check`: duplicate IPv4 addresses (RFC 5227 ARP probes) and neighbour-table
//! anomalies, with an optional watch of the neighbour table. Exit status as a monitoring plugin:
//! 0 nothing wrong, 1 warning, 2 critical, 3 could not tell.

use super::{CliError, CmdResult};
use karte_net::{
    ChangeKind, CheckOptions, Neighbour, NeighbourChange, NetError, NetReport, SkipReason,
    WatchOptions, WatchReport,
};
use karte_rules::rules::duplicate_ip::{self, station};
use karte_rules::rules::neighbour_flap;
use karte_rules::{Finding, Lang, Severity};
use serde::Serialize;
use std::io::Write;
use std::time::Duration;

#[derive(clap::Subcommand, Debug)]
pub enum NetCommand {
    /// Check for duplicate IPv4 addresses and neighbour-table anomalies
    Check(CheckArgs),
}

#[derive(clap::Args, Debug, Clone)]
pub struct CheckArgs {
    /// Only this interface
    #[arg(long, short = 'i', value_name = "IF")]
    pub interface: Option<String>,
    /// After the check, follow the neighbour table for this long (90s, 10m, 2h, 1h30m) and
    /// report new stations, changed MACs and flip-flops as they happen. With --format json
    /// each change is printed as one JSON line, then the report as the last line.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub watch: Option<Duration>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Language of the report [default: from LC_ALL, LC_MESSAGES or LANG]
    #[arg(long, value_enum)]
    pub lang: Option<LangArg>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LangArg {
    En,
    Ja,
}

/// `90`, `90s`, `500ms`, `10m`, `2h`, `1h30m`, `1d`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("{s:?}: expected a duration such as 90s, 10m, 2h or 1h30m");
    let s = s.trim();
    if s.is_empty() {
        return Err(bad());
    }
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        if digits == 0 {
            return Err(bad());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ms" => Duration::from_millis(1),
            "s" => Duration::from_secs(1),
            "m" | "min" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            "d" => Duration::from_secs(86_400),
            _ => return Err(bad()),
        };
        let n = u32::try_from(n).map_err(|_| bad())?;
        total = total
            .checked_add(unit.checked_mul(n).ok_or_else(bad)?)
            .ok_or_else(bad)?;
        rest = &rest[unit_len..];
    }
    Ok(total)
}

pub fn run(c: NetCommand) -> CmdResult {
    match c {
        NetCommand::Check(a) => {
            let mut out = std::io::stdout().lock();
            check_to(&a, &mut out)
        }
    }
}

/// What `--format json` prints.
#[derive(Serialize)]
struct JsonOut<'a> {
    /// `ok`, `warning`, `critical`, `unknown`.
    status: &'static str,
    findings: &'a [Finding],
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    report: Option<&'a NetReport>,
    /// Only when the check itself could not run: the neighbour table alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    neighbours: Option<&'a [Neighbour]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    watch: Option<&'a WatchReport>,
    notes: &'a [String],
}

fn status_word(code: u8) -> &'static str {
    match code {
        0 => "ok",
        1 => "warning",
        2 => "critical",
        _ => "unknown",
    }
}

fn json_err(e: serde_json::Error) -> CliError {
    CliError::new(e.to_string())
}

/// The exit status the findings imply.
fn verdict(findings: &[Finding]) -> u8 {
    findings
        .iter()
        .map(|f| f.severity.exit_status())
        .max()
        .unwrap_or(0)
}

/// Runs `karte net check` writing to `out`; returns the exit status.
pub fn check_to(a: &CheckArgs, out: &mut dyn Write) -> CmdResult {
    let lang = match a.lang {
        Some(LangArg::En) => Lang::En,
        Some(LangArg::Ja) => Lang::Ja,
        None => Lang::from_env(),
    };
    let opts = CheckOptions {
        interface: a.interface.clone(),
        ..CheckOptions::default()
    };
    let report = match karte_net::check(&opts) {
        Ok(r) => r,
        Err(e) => return could_not_check(a, lang, &e, out),
    };
    let mut findings = duplicate_ip::evaluate(&report.conflicts(), lang);
    findings.extend(neighbour_flap::evaluate(&report.neighbour_changes, lang));
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    // The first line says it all, as monitoring plugins do; with --watch the verdict comes at
    // the end, after the changes.
    if a.format == Format::Text && a.watch.is_none() {
        let code = verdict(&findings);
        write_findings(out, &findings, code, lang)?;
        writeln!(out)?;
        write_check(out, &report, lang)?;
        return Ok(code);
    }
    if a.format == Format::Text {
        write_check(out, &report, lang)?;
    }
    let mut watched = None;
    if let Some(d) = a.watch {
        let w = watch_to(a, d, lang, out)?;
        let mut all = report.neighbour_changes.clone();
        all.extend(w.changes.iter().cloned());
        findings = duplicate_ip::evaluate(&report.conflicts(), lang);
        findings.extend(neighbour_flap::evaluate(&all, lang));
        findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        watched = Some(w);
    }
    let code = verdict(&findings);
    match a.format {
        Format::Text => {
            writeln!(out)?;
            write_findings(out, &findings, code, lang)?;
        }
        Format::Json => {
            serde_json::to_writer(
                &mut *out,
                &JsonOut {
                    status: status_word(code),
                    findings: &findings,
                    report: Some(&report),
                    neighbours: None,
                    watch: watched.as_ref(),
                    notes: &[],
                },
            )
            .map_err(json_err)?;
            writeln!(out)?;
        }
    }
    Ok(code)
}

/// No permission, no such interface, a socket error: a note and exit status 3.
fn could_not_check(a: &CheckArgs, lang: Lang, e: &NetError, out: &mut dyn Write) -> CmdResult {
    let note = match (lang, e) {
        (Lang::En, NetError::NoPermission) => "cannot send ARP probes: this needs CAP_NET_RAW. Run karte as root, or \
grant the capability once: sudo setcap cap_net_raw+ep \"$(command -v karte)\". Duplicate addresses were not checked."
            .to_string(),
        (Lang::Ja, NetError::NoPermission) => "ARP プローブを送れません。CAP_NET_RAW 権限が必要です。root で実行するか、一度だけ \
sudo setcap cap_net_raw+ep \"$(command -v karte)\" で権限を付与してください。IP アドレスの重複は調べていません。"
            .to_string(),
        (Lang::En, NetError::NoSuchInterface(i)) => format!("no interface named {i:?} on this host"),
        (Lang::Ja, NetError::NoSuchInterface(i)) => {
            format!("このホストに {i:?} というインターフェースはありません")
        }
        (Lang::En, e) => format!("the check could not run: {e}"),
        (Lang::Ja, e) => format!("検査を実行できませんでした: {e}"),
    };
    // The neighbour table needs no privilege: show what it holds.
    let neighbours = if e.is_permission() {
        karte_net::neighbours().ok().map(|mut v| {
            if let Some(i) = &a.interface {
                v.retain(|n| &n.interface == i);
            }
            v
        })
    } else {
        None
    };
    match a.format {
        Format::Text => {
            writeln!(out, "karte net check: UNKNOWN - {note}")?;
            if let Some(n) = &neighbours {
                writeln!(out)?;
                write_neighbours(out, n, lang)?;
            }
        }
        Format::Json => {
            serde_json::to_writer(
                &mut *out,
                &JsonOut {
                    status: status_word(3),
                    findings: &[],
                    report: None,
                    neighbours: neighbours.as_deref(),
                    watch: None,
                    notes: &[note],
                },
            )
            .map_err(json_err)?;
            writeln!(out)?;
        }
    }
    Ok(3)
}

fn watch_to(
    a: &CheckArgs,
    d: Duration,
    lang: Lang,
    out: &mut dyn Write,
) -> Result<WatchReport, CliError> {
    let opts = WatchOptions {
        interface: a.interface.clone(),
        duration: d,
    };
    if a.format == Format::Text {
        let secs = d.as_secs_f64();
        match lang {
            Lang::En => writeln!(
                out,
                "\nWatching the neighbour table for {secs:.0} s (changes as they happen):"
            )?,
            Lang::Ja => writeln!(
                out,
                "\n近隣テーブルを {secs:.0} 秒間監視します（変化をその場で表示）:"
            )?,
        }
        out.flush()?;
    }
    let mut failed = None;
    let format = a.format;
    let r = karte_net::watch(&opts, |c| {
        let line = match format {
            Format::Text => change_line(c, lang),
            Format::Json => serde_json::to_string(&JsonChange {
                event: "neighbour_change",
                change: c,
            })
            .unwrap_or_default(),
        };
        if let Err(e) = writeln!(out, "{line}").and_then(|()| out.flush()) {
            failed.get_or_insert(e);
        }
    });
    if let Some(e) = failed {
        return Err(e.into());
    }
    match r {
        Ok(w) => {
            if a.format == Format::Text && w.changes.is_empty() {
                writeln!(out, "  {}", lang.pick("no change.", "変化なし。"))?;
            }
            Ok(w)
        }
        Err(e) => Err(CliError::with_code(format!("watch: {e}"), 3)),
    }
}

#[derive(Serialize)]
struct JsonChange<'a> {
    event: &'static str,
    #[serde(flatten)]
    change: &'a NeighbourChange,
}

/// `HH:MM:SS` UTC of a Unix time in milliseconds.
fn utc_clock(unix_ms: u64) -> String {
    let s = unix_ms / 1000;
    format!("{:02}:{:02}:{:02}Z", s / 3600 % 24, s / 60 % 60, s % 60)
}

fn change_line(c: &NeighbourChange, lang: Lang) -> String {
    let t = utc_clock(c.unix_ms);
    let now = station(&c.mac, lang);
    let ip = c.ip;
    let ifc = &c.interface;
    let before = c
        .previous
        .as_ref()
        .map(|p| station(p, lang))
        .unwrap_or_default();
    match (lang, c.kind) {
        (Lang::En, ChangeKind::NewStation) => {
            format!("  {t}  new station      {ip} on {ifc}: {now}")
        }
        (Lang::En, ChangeKind::ChangedAddress) => {
            format!("  {t}  changed MAC      {ip} on {ifc}: {before} → {now}")
        }
        (Lang::En, ChangeKind::FlipFlop) => {
            format!("  {t}  FLIP FLOP        {ip} on {ifc}: {before} → {now}")
        }
        (Lang::En, ChangeKind::ReusedOld) => {
            format!("  {t}  back to old MAC  {ip} on {ifc}: {before} → {now}")
        }
        (Lang::Ja, ChangeKind::NewStation) => {
            format!("  {t}  新しい端末          {ifc} の {ip}: {now}")
        }
        (Lang::Ja, ChangeKind::ChangedAddress) => {
            format!("  {t}  MAC が変化          {ifc} の {ip}: {before} → {now}")
        }
        (Lang::Ja, ChangeKind::FlipFlop) => {
            format!("  {t}  フリップフロップ    {ifc} の {ip}: {before} → {now}")
        }
        (Lang::Ja, ChangeKind::ReusedOld) => {
            format!("  {t}  以前の MAC に戻った {ifc} の {ip}: {before} → {now}")
        }
    }
}

fn skip_text(s: &karte_net::Skipped, lang: Lang) -> String {
    let d = s.detail.clone().unwrap_or_default();
    match (lang, s.reason) {
        (Lang::En, SkipReason::Down) => "down: not checked".into(),
        (Lang::En, SkipReason::NoCarrier) => "no carrier (no cable or peer): not checked".into(),
        (Lang::En, SkipReason::NotArpable) => "not an Ethernet link with ARP: not checked".into(),
        (Lang::En, SkipReason::NoIpv4Address) => "no IPv4 address: nothing to check".into(),
        (Lang::En, SkipReason::SendFailed) => format!("sending a probe failed: {d}"),
        (Lang::Ja, SkipReason::Down) => "停止中（down）のため検査せず".into(),
        (Lang::Ja, SkipReason::NoCarrier) => {
            "リンクなし（ケーブルや接続先がない）のため検査せず".into()
        }
        (Lang::Ja, SkipReason::NotArpable) => {
            "ARP を使う Ethernet リンクではないため検査せず".into()
        }
        (Lang::Ja, SkipReason::NoIpv4Address) => "IPv4 アドレスなし（検査対象なし）".into(),
        (Lang::Ja, SkipReason::SendFailed) => format!("プローブの送信に失敗: {d}"),
    }
}

/// What was checked: addresses, gateways, skipped interfaces, the neighbour table.
fn write_check(out: &mut dyn Write, r: &NetReport, lang: Lang) -> std::io::Result<()> {
    let secs = r.elapsed_ms as f64 / 1000.0;
    let (na, ng) = (r.addresses.len(), r.gateways.len());
    match lang {
        Lang::En => writeln!(
            out,
            "Checked in {secs:.1} s: {na} address{}, {ng} gateway{}, {} ARP probes sent.",
            if na == 1 { "" } else { "es" },
            if ng == 1 { "" } else { "s" },
            r.probes_sent
        )?,
        Lang::Ja => writeln!(
            out,
            "{secs:.1} 秒で検査: アドレス {na} 個、ゲートウェイ {ng} 個、ARP プローブ {} 回送信。",
            r.probes_sent
        )?,
    }
    if na == 0 && ng == 0 {
        writeln!(
            out,
            "  {}",
            lang.pick(
                "No IPv4 address to check.",
                "検査する IPv4 アドレスがありません。"
            )
        )?;
    }
    for a in &r.addresses {
        let others: Vec<String> = a
            .answers
            .iter()
            .map(|x| station(&x.station, lang))
            .collect();
        let verdict = match (lang, others.is_empty()) {
            (Lang::En, true) => "no other device answered".to_string(),
            (Lang::Ja, true) => "ほかに応答した機器なし".to_string(),
            (Lang::En, false) => format!("ALSO ANSWERED BY {}", others.join(", ")),
            (Lang::Ja, false) => format!("{}も応答", others.join("、")),
        };
        writeln!(
            out,
            "  {:<8} {}/{}  {}  {verdict}",
            a.interface, a.address, a.prefix_len, a.mac
        )?;
    }
    for g in &r.gateways {
        let who: Vec<String> = g
            .answers
            .iter()
            .map(|x| station(&x.station, lang))
            .collect();
        let who = if who.is_empty() {
            lang.pick("did not answer", "応答なし").to_string()
        } else {
            who.join(lang.pick(", ", "、"))
        };
        let label = lang.pick("gateway", "ゲートウェイ");
        writeln!(out, "  {:<8} {label} {}  {who}", g.interface, g.address)?;
    }
    for s in &r.skipped {
        writeln!(out, "  {:<8} {}", s.interface, skip_text(s, lang))?;
    }
    let changed = r
        .neighbour_changes
        .iter()
        .filter(|c| c.is_mac_change())
        .count();
    let n = r.neighbours.len();
    match lang {
        Lang::En if changed == 0 => writeln!(
            out,
            "Neighbour table: {n} entr{}, no MAC changed during the check.",
            if n == 1 { "y" } else { "ies" }
        ),
        Lang::En => writeln!(
            out,
            "Neighbour table: {n} entr{}, {changed} MAC change{} during the check.",
            if n == 1 { "y" } else { "ies" },
            if changed == 1 { "" } else { "s" }
        ),
        Lang::Ja if changed == 0 => writeln!(
            out,
            "近隣テーブル: {n} 件。検査中に MAC が変わったエントリはありません。"
        ),
        Lang::Ja => writeln!(
            out,
            "近隣テーブル: {n} 件。検査中に MAC が {changed} 回変わりました。"
        ),
    }
}

fn write_neighbours(out: &mut dyn Write, ns: &[Neighbour], lang: Lang) -> std::io::Result<()> {
    writeln!(
        out,
        "{}",
        lang.pick(
            "Neighbour table (read without privilege):",
            "近隣テーブル（権限なしで読めた分）:"
        )
    )?;
    if ns.is_empty() {
        writeln!(out, "  {}", lang.pick("(empty)", "（空）"))?;
    }
    for n in ns {
        let who = n
            .mac
            .map(|m| station(&karte_net::MacInfo::of(m), lang))
            .unwrap_or_else(|| "-".into());
        writeln!(
            out,
            "  {:<8} {:<16} {:<10} {who}",
            n.interface, n.ip, n.state
        )?;
    }
    Ok(())
}

fn write_findings(
    out: &mut dyn Write,
    fs: &[Finding],
    code: u8,
    lang: Lang,
) -> std::io::Result<()> {
    let word = status_word(code).to_ascii_uppercase();
    if fs.is_empty() {
        return writeln!(
            out,
            "karte net check: OK - {}",
            lang.pick(
                "no duplicate address, no neighbour-table anomaly.",
                "IP アドレスの重複も、近隣テーブルの異常もありません。"
            )
        );
    }
    match lang {
        Lang::En => writeln!(
            out,
            "karte net check: {word} - {} finding{}",
            fs.len(),
            if fs.len() == 1 { "" } else { "s" }
        )?,
        Lang::Ja => writeln!(out, "karte net check: {word} - 指摘 {} 件", fs.len())?,
    }
    for f in fs {
        let sev = match f.severity {
            Severity::Critical => "CRITICAL",
            Severity::Warning => "WARNING",
            Severity::Info => "INFO",
        };
        writeln!(out, "\n[{sev}] {}: {}", f.rule, f.title)?;
        writeln!(out, "  {}", f.summary)?;
        writeln!(out, "  {}", lang.pick("Evidence:", "根拠:"))?;
        for e in &f.evidence {
            writeln!(out, "    - {e}")?;
        }
        writeln!(out, "  {}", lang.pick("What to do:", "対処:"))?;
        for (i, r) in f.remedy.iter().enumerate() {
            writeln!(out, "    {}. {r}", i + 1)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(subcommand)]
        net: NetCommand,
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        for bad in [
            "",
            "m",
            "10x",
            "1h30",
            "-5s",
            "99999999999999999999h",
            "1.5h",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn arguments() {
        let c = Cli::try_parse_from([
            "net",
            "check",
            "--interface",
            "eth0",
            "--watch",
            "10m",
            "--format",
            "json",
            "--lang",
            "ja",
        ])
        .expect("parses");
        let NetCommand::Check(a) = c.net;
        assert_eq!(a.interface.as_deref(), Some("eth0"));
        assert_eq!(a.watch, Some(Duration::from_secs(600)));
        assert_eq!((a.format, a.lang), (Format::Json, Some(LangArg::Ja)));
        assert!(Cli::try_parse_from(["net", "check", "--watch", "soon"]).is_err());
    }

    mod netns {
        use super::super::*;
        use karte_net::testing::{Lab, become_nobody_this_thread, in_namespace};

        fn args(format: Format, lang: LangArg) -> CheckArgs {
            CheckArgs {
                interface: None,
                watch: None,
                format,
                lang: Some(lang),
            }
        }

        fn run_in(ns: &str, a: &CheckArgs, nobody: bool) -> (u8, String) {
            let (code, out) = in_namespace(ns, || {
                if nobody {
                    become_nobody_this_thread().expect("drop privileges");
                }
                let mut out = Vec::new();
                let code = check_to(a, &mut out).expect("runs");
                (code, String::from_utf8(out).expect("UTF-8"))
            })
            .expect("thread in namespace");
            println!("--- exit {code}\n{out}");
            (code, out)
        }

        #[test]
        fn conflict_report_in_english_japanese_and_json() {
            let Some(mut lab) = Lab::new("karte net check: conflict report") else {
                return;
            };
            let me = lab
                .host("me", Some("02:00:00:00:00:0a"), &["198.51.100.10/24"])
                .expect("lab");
            lab.ipn(&me, &["route", "add", "default", "via", "198.51.100.1"])
                .expect("lab");
            lab.host("gw", Some("f4:bd:9e:00:00:01"), &["198.51.100.1/24"])
                .expect("lab");
            let imp = lab
                .host("imp", Some("3c:22:fb:12:34:56"), &["198.51.100.10/24"])
                .expect("lab");

            let (code, out) = run_in(&me, &args(Format::Text, LangArg::En), false);
            assert_eq!(code, 2);
            assert!(
                out.contains("karte net check: CRITICAL - 1 finding"),
                "{out}"
            );
            assert!(
                out.contains("[CRITICAL] duplicate-ip: IP address 198.51.100.10 on eth0 is also used by another device: 3c:22:fb:12:34:56 (Apple, Inc.)"),
                "{out}"
            );
            assert!(
                out.contains("gateway 198.51.100.1  f4:bd:9e:00:00:01 (Cisco Systems, Inc)"),
                "{out}"
            );

            let (code, out) = run_in(&me, &args(Format::Text, LangArg::Ja), false);
            assert_eq!(code, 2);
            assert!(
                out.contains("eth0 の IP アドレス 198.51.100.10 を別の機器 3c:22:fb:12:34:56（Apple, Inc.）も使っています"),
                "{out}"
            );

            let (code, out) = run_in(&me, &args(Format::Json, LangArg::En), false);
            assert_eq!(code, 2);
            let j: serde_json::Value = serde_json::from_str(&out).expect("one JSON document");
            assert_eq!(j["status"], "critical");
            assert_eq!(j["findings"][0]["rule"], "duplicate-ip");
            assert_eq!(j["findings"][0]["severity"], "critical");
            assert_eq!(j["addresses"][0]["interface"], "eth0");
            assert_eq!(j["addresses"][0]["address"], "198.51.100.10");
            assert_eq!(j["addresses"][0]["mac"], "02:00:00:00:00:0a");
            assert_eq!(j["addresses"][0]["answers"][0]["mac"], "3c:22:fb:12:34:56");
            assert_eq!(j["addresses"][0]["answers"][0]["vendor"], "Apple, Inc.");
            assert_eq!(
                j["addresses"][0]["answers"][0]["locally_administered"],
                false
            );
            assert!(j["neighbours"].is_array());

            // The impostor gone: quiet, exit 0.
            lab.ipn(&imp, &["addr", "del", "198.51.100.10/24", "dev", "eth0"])
                .expect("lab");
            let (code, out) = run_in(&me, &args(Format::Text, LangArg::En), false);
            assert_eq!(code, 0, "{out}");
            assert!(out.contains("karte net check: OK"), "{out}");
        }

        #[test]
        fn no_permission_is_unknown_with_a_note() {
            let Some(mut lab) = Lab::new("karte net check: no permission") else {
                return;
            };
            let me = lab
                .host("me", Some("02:00:00:00:00:0a"), &["198.51.100.10/24"])
                .expect("lab");
            let (code, out) = run_in(&me, &args(Format::Text, LangArg::En), true);
            assert_eq!(code, 3);
            assert!(
                out.starts_with(
                    "karte net check: UNKNOWN - cannot send ARP probes: this needs CAP_NET_RAW"
                ),
                "{out}"
            );
            let (code, out) = run_in(&me, &args(Format::Json, LangArg::Ja), true);
            assert_eq!(code, 3);
            let j: serde_json::Value = serde_json::from_str(&out).expect("JSON");
            assert_eq!(j["status"], "unknown");
            assert!(
                j["notes"][0]
                    .as_str()
                    .is_some_and(|n| n.contains("CAP_NET_RAW"))
            );
            assert!(j["neighbours"].is_array());
        }

        #[test]
        fn unknown_interface_is_unknown() {
            let Some(mut lab) = Lab::new("karte net check: unknown interface") else {
                return;
            };
            let me = lab.host("me", None, &["203.0.113.10/24"]).expect("lab");
            let mut a = args(Format::Text, LangArg::En);
            a.interface = Some("nosuch0".into());
            let (code, out) = run_in(&me, &a, false);
            assert_eq!(code, 3);
            assert!(out.contains("no interface named \"nosuch0\""), "{out}");
        }
    }
}
