//! `neighbour-flap`: an address in the neighbour table (ARP/NDP cache) changed MAC, or flipped
//! back and forth between MACs, while karte watched.
//!
//! The observations are [`karte_net::NeighbourChange`]s: from the neighbour events during
//! `karte net check` or `--watch`, or from two readings of a bundle
//! (`karte_net::neigh::changes_between`). The kinds follow arpwatch: a flip-flop (back to the
//! previous MAC) or a return to an older MAC is a warning — two stations answering for one
//! address in turn; a single change is info — usually a replaced device or a failover. New
//! stations are no finding.

use super::duplicate_ip::{station, switch_lookup};
use crate::{Finding, Lang, RuleInfo, Severity};
use karte_net::{ChangeKind, MacAddr, MacInfo, NeighbourChange};
use std::collections::BTreeMap;

pub const ID: &str = "neighbour-flap";

pub const INFO: RuleInfo = RuleInfo {
    id: ID,
    title_en: "An address in the neighbour table changes MAC",
    title_ja: "近隣テーブル（ARP キャッシュ）のアドレスの MAC が変わる",
    explain_en: "The kernel's neighbour table (the ARP cache for IPv4, the NDP cache for IPv6) maps each address on \
the local network to a MAC. karte follows its changes over rtnetlink (RTM_NEWNEIGH events), with no packet capture, \
and judges them as arpwatch does: a new address is a new station (not a finding); a MAC never seen for the address \
is a change (info: usually a replaced device, a new network card, a recreated virtual machine or container, or a \
cluster address moved by failover); a return to the MAC the address had just before is a flip-flop, and a return \
to an older one is much the same (warning).\n\
A flip-flop is the classic sign of two devices claiming one address - a duplicate IP address - or of ARP \
spoofing: traffic for the address goes to one device or the other, and connections to it break on and off. When \
every MAC involved is locally administered (virtual machines, containers, randomised addresses), a failover pair or \
a recreated VM can also cause it.\n\
`karte net check` reports the changes seen during its two seconds; `karte net check --watch 10m` keeps watching \
and prints each change as it happens; `karte doctor` on a bundle compares the table in its two readings.\n\
What to do: run `karte net check` on the host that owns the address (its ARP probes name every device claiming \
it), find the devices by MAC in the switch's MAC address table, and fix the static address or the DHCP \
reservation of the one that should not have it. A planned failover needs nothing.",
    explain_ja: "カーネルの近隣テーブル（IPv4 では ARP キャッシュ、IPv6 では NDP キャッシュ）は、ローカルネットワーク上の各アドレスと MAC アドレスの\
対応を持っています。karte はパケットキャプチャを使わず、rtnetlink（RTM_NEWNEIGH イベント）でその変化を追い、arpwatch と同じ基準で判定します。\
初めて見るアドレスは新しい端末（指摘なし）。そのアドレスでまだ見たことのない MAC に変わったら変更（info: 多くは機器の交換、ネットワークカードの\
交換、仮想マシンやコンテナの作り直し、フェイルオーバーによるクラスタアドレスの移動です）。直前の MAC に戻ったらフリップフロップ、もっと前の MAC に\
戻った場合もほぼ同じ扱いです（warning）。\n\
フリップフロップは、1 つのアドレスを 2 台の機器が名乗っている状態、つまり IP アドレス重複か ARP スプーフィングの典型的な兆候です。\
そのアドレス宛ての通信はどちらかの機器に届くため、接続が切れたりつながったりします。関係する MAC がすべてローカル管理アドレス（仮想マシン、\
コンテナ、ランダム化されたアドレス）なら、フェイルオーバー構成や作り直した VM でも起こりえます。\n\
`karte net check` は検査中の 2 秒間の変化を報告し、`karte net check --watch 10m` は監視を続けて変化をその場で表示します。\
バンドルに対する `karte doctor` は、2 回の読み取りの間でテーブルを比べます。\n\
対処: そのアドレスを持つホストで `karte net check` を実行し（ARP プローブで、アドレスを名乗る機器がすべて分かります）、スイッチの \
MAC アドレステーブルで機器を探して、そのアドレスを持つべきでない機器の固定 IP 設定か DHCP の予約を直してください。計画どおりのフェイルオーバーなら対処は不要です。",
};

fn seconds(ms: u64) -> String {
    format!("{:.1}", ms as f64 / 1000.0)
}

/// One finding per address (interface and IP) that changed MAC.
pub fn evaluate(changes: &[NeighbourChange], lang: Lang) -> Vec<Finding> {
    let mut by_addr: BTreeMap<(&str, std::net::IpAddr), Vec<&NeighbourChange>> = BTreeMap::new();
    for c in changes.iter().filter(|c| c.is_mac_change()) {
        by_addr
            .entry((c.interface.as_str(), c.ip))
            .or_default()
            .push(c);
    }
    by_addr
        .into_iter()
        .filter_map(|((ifc, ip), cs)| finding(ifc, ip, &cs, lang))
        .collect()
}

fn finding(
    ifc: &str,
    ip: std::net::IpAddr,
    cs: &[&NeighbourChange],
    lang: Lang,
) -> Option<Finding> {
    let last = cs.last()?;
    let flapping = cs
        .iter()
        .any(|c| matches!(c.kind, ChangeKind::FlipFlop | ChangeKind::ReusedOld));
    // The distinct MACs, in the order they first appeared.
    let mut macs: Vec<MacAddr> = Vec::new();
    for m in &last.history {
        if !macs.contains(m) {
            macs.push(*m);
        }
    }
    let infos: Vec<MacInfo> = macs.iter().map(|m| MacInfo::of(*m)).collect();
    let stations: Vec<String> = infos.iter().map(|i| station(i, lang)).collect();
    let sequence = last
        .history
        .iter()
        .map(|m| m.to_string())
        .collect::<Vec<_>>()
        .join(" → ");
    let all_local = infos.iter().all(|i| i.locally_administered);
    let n = cs.len();
    let (severity, title, mut summary) = if flapping {
        (
            Severity::Warning,
            match lang {
                Lang::En => format!(
                    "{ip} on {ifc} flips between {} MACs: {}",
                    macs.len(),
                    stations.join(", ")
                ),
                Lang::Ja => format!(
                    "{ifc} の {ip} の MAC アドレスが {} 個の間で入れ替わっています: {}",
                    macs.len(),
                    stations.join("、")
                ),
            },
            match lang {
                Lang::En => format!(
                    "The neighbour table's entry for {ip} changed MAC {n} times while karte watched and went back to a \
MAC it had before ({sequence}). Two devices answering for one address in turn is the classic sign of a duplicate IP \
address (or of ARP spoofing): traffic for {ip} goes to one or the other, and connections to it break on and off."
                ),
                Lang::Ja => format!(
                    "近隣テーブル（ARP キャッシュ）の {ip} のエントリが、観測中に {n} 回 MAC アドレスを変え、以前の MAC に戻りました\
（{sequence}）。1 つのアドレスに 2 台の機器が交互に応答するのは、IP アドレス重複（または ARP スプーフィング）の典型的な兆候です。\
{ip} 宛ての通信はどちらかの機器に届くため、接続が切れたりつながったりします。"
                ),
            },
        )
    } else {
        let from = last
            .previous
            .as_ref()
            .map(|p| station(p, lang))
            .unwrap_or_default();
        let to = station(&last.mac, lang);
        (
            Severity::Info,
            match lang {
                Lang::En => format!("{ip} on {ifc} changed MAC: {from} → {to}"),
                Lang::Ja => format!("{ifc} の {ip} の MAC アドレスが変わりました: {from} → {to}"),
            },
            match lang {
                Lang::En => format!(
                    "The neighbour table's entry for {ip} now has a different MAC. This is normal when a device was \
replaced, its network card swapped, a virtual machine or container recreated, or a cluster address moved by failover. \
If none of that happened, two devices may be using {ip}: a flip back to the old MAC would show it."
                ),
                Lang::Ja => format!(
                    "近隣テーブルの {ip} のエントリの MAC アドレスが変わりました。機器やネットワークカードの交換、仮想マシンやコンテナの\
作り直し、フェイルオーバーによるクラスタアドレスの移動なら正常です。どれにも心当たりがなければ、{ip} を 2 台の機器が使っているかも\
しれません。元の MAC に戻れば、それがはっきりします。"
                ),
            },
        )
    };
    if flapping && all_local {
        summary.push_str(lang.pick(
            " All these MACs are locally administered (virtual machines, containers or randomised addresses): a \
failover pair, or a VM or container recreated with the same address, can also do this.",
            "どの MAC もローカル管理アドレス（仮想マシン、コンテナ、ランダム化されたアドレス）なので、フェイルオーバー構成や、\
同じアドレスで作り直された VM・コンテナでも起こりえます。",
        ));
    }
    let times: Vec<String> = cs.iter().map(|c| seconds(c.at_ms)).collect();
    let mut evidence = vec![match lang {
        Lang::En => format!("MACs seen for {ip} on {ifc}, in order: {sequence}"),
        Lang::Ja => format!("{ifc} の {ip} で観測した MAC の順序: {sequence}"),
    }];
    // Bundles carry no times (all zero): say so only when known.
    if cs.iter().any(|c| c.at_ms > 0) {
        evidence.push(match lang {
            Lang::En => format!("changes at {} s after watching began", times.join(" s, ")),
            Lang::Ja => format!("変化: 監視開始から {} 秒後", times.join(" 秒後、")),
        });
    }
    for c in cs {
        evidence.push(match lang {
            Lang::En => format!("{}: {}", c.kind.as_str(), station(&c.mac, lang)),
            Lang::Ja => format!(
                "{}: {}",
                match c.kind {
                    ChangeKind::FlipFlop => "フリップフロップ",
                    ChangeKind::ReusedOld => "以前の MAC に戻った",
                    ChangeKind::ChangedAddress => "MAC の変更",
                    ChangeKind::NewStation => "新しい端末",
                },
                station(&c.mac, lang)
            ),
        });
    }
    let lookup = switch_lookup(macs.iter().copied());
    let remedy = match (lang, flapping) {
        (Lang::En, true) => vec![
            format!(
                "Run `karte net check` on the host that owns {ip} (if it is a Linux server): its ARP probes name every \
device that claims the address."
            ),
            format!(
                "Look the MACs up in the switch's MAC address table (Cisco: {lookup}) to \
find their ports; the device that should not have {ip} needs its static address or its DHCP reservation fixed."
            ),
            format!("If {ip} is a cluster or VRRP address that moves on purpose, no action is needed."),
        ],
        (Lang::Ja, true) => vec![
            format!(
                "{ip} を持つホスト（Linux サーバーなら）で `karte net check` を実行してください。ARP プローブで、このアドレスを名乗る\
機器がすべて分かります。"
            ),
            format!(
                "それぞれの MAC アドレスをスイッチの MAC アドレステーブルで検索し（Cisco なら {lookup}）、\
接続ポートを特定してください。{ip} を持つべきでない機器の固定 IP 設定か DHCP の予約を直します。"
            ),
            format!("{ip} が意図的に移動するクラスタアドレスや VRRP アドレスなら、対処は不要です。"),
        ],
        (Lang::En, false) => vec![
            "If the device was replaced or a failover happened, nothing is wrong.".to_string(),
            format!(
                "Otherwise, watch the address: `karte net check --watch 10m` reports a flip-flop as soon as the old MAC \
comes back."
            ),
        ],
        (Lang::Ja, false) => vec![
            "機器の交換やフェイルオーバーがあったのなら問題ありません。".to_string(),
            "心当たりがなければ `karte net check --watch 10m` でこのアドレスを見張ってください。元の MAC に戻った時点でフリップフロップとして報告します。"
                .to_string(),
        ],
    };
    let mut subjects = vec![ip.to_string(), ifc.to_string()];
    subjects.extend(macs.iter().map(|m| m.to_string()));
    Some(Finding {
        rule: ID,
        severity,
        title,
        summary,
        subjects,
        evidence,
        remedy,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    fn change(kind: ChangeKind, history: &[&str], at_ms: u64) -> NeighbourChange {
        let h: Vec<MacAddr> = history
            .iter()
            .map(|m| m.parse().expect("test MAC"))
            .collect();
        let n = h.len();
        NeighbourChange {
            kind,
            ip: IpAddr::V4(Ipv4Addr::new(198, 51, 100, 20)),
            interface: "eth0".into(),
            mac: MacInfo::of(h[n - 1]),
            previous: (n > 1).then(|| MacInfo::of(h[n - 2])),
            history: h,
            at_ms,
            unix_ms: 0,
        }
    }

    const A: &str = "f4:bd:9e:00:00:20";
    const B: &str = "3c:22:fb:00:00:20";

    #[test]
    fn flip_flop_is_a_warning() {
        let cs = [
            change(ChangeKind::ChangedAddress, &[A, B], 500),
            change(ChangeKind::FlipFlop, &[A, B, A], 1100),
        ];
        let f = evaluate(&cs, Lang::En);
        assert_eq!(f.len(), 1);
        let f = &f[0];
        assert_eq!((f.rule, f.severity), ("neighbour-flap", Severity::Warning));
        assert!(
            f.title
                .starts_with("198.51.100.20 on eth0 flips between 2 MACs"),
            "{}",
            f.title
        );
        assert!(f.title.contains("Apple, Inc."), "{}", f.title);
        assert!(f.summary.contains("duplicate IP"), "{}", f.summary);
        assert!(
            f.evidence[0].contains(&format!("{A} → {B} → {A}")),
            "{:?}",
            f.evidence
        );
        assert!(f.evidence[1].contains("0.5 s, 1.1 s"), "{:?}", f.evidence);
        assert!(f.remedy[1].contains("f4bd.9e00.0020"));
        assert_eq!(f.subjects, vec!["198.51.100.20", "eth0", A, B]);
        let j = &evaluate(&cs, Lang::Ja)[0];
        assert!(j.title.contains("入れ替わっています"), "{}", j.title);
        assert!(
            j.evidence[1].contains("0.5 秒後、1.1 秒後"),
            "{:?}",
            j.evidence
        );
    }

    #[test]
    fn single_change_is_info_and_new_stations_are_nothing() {
        let cs = [
            change(ChangeKind::NewStation, &[B], 10),
            change(ChangeKind::ChangedAddress, &[A, B], 0),
        ];
        let f = evaluate(&cs, Lang::En);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Info);
        assert!(f[0].title.contains("changed MAC"), "{}", f[0].title);
        // A bundle's changes carry no times.
        assert_eq!(f[0].evidence.len(), 2);
        assert!(evaluate(&cs[..1], Lang::En).is_empty());
        let j = &evaluate(&cs, Lang::Ja)[0];
        assert!(j.title.contains("変わりました"), "{}", j.title);
    }

    #[test]
    fn all_virtual_macs_get_a_softer_note() {
        let cs = [change(
            ChangeKind::FlipFlop,
            &[
                "52:54:00:00:00:01",
                "52:54:00:00:00:02",
                "52:54:00:00:00:01",
            ],
            900,
        )];
        let f = &evaluate(&cs, Lang::En)[0];
        assert!(f.summary.contains("failover pair"), "{}", f.summary);
        let j = &evaluate(&cs, Lang::Ja)[0];
        assert!(j.summary.contains("フェイルオーバー構成"), "{}", j.summary);
    }

    #[test]
    fn explain_texts() {
        assert_eq!(INFO.id, ID);
        assert!(INFO.explain(Lang::En).contains("arpwatch"));
        assert!(INFO.explain(Lang::Ja).contains("フリップフロップ"));
    }
}
