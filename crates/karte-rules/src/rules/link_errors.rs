//! `link-errors`: a network interface counts errors or loses its link while we watch.
//!
//! Healthy links count no receive or transmit errors (CRC, frame, FIFO overruns, carrier
//! errors); errors growing during a short check mean a bad cable, port, transceiver or duplex
//! mismatch. `carrier_changes` growing means the link went down and up: a flap.

use crate::context::{Context, Outcome};
use crate::{Finding, RuleInfo, Severity};

pub const ID: &str = "link-errors";

pub const INFO: RuleInfo = RuleInfo {
    id: ID,
    title_en: "A network link has errors or flaps",
    title_ja: "ネットワークリンクにエラーやリンク断がある",
    explain_en: "Compares the interface counters of the two readings (/proc/net/dev, /sys/class/net/IF/carrier_changes). A healthy link \
counts no receive or transmit errors (CRC and frame errors, FIFO overruns, carrier errors); any growth during the short check means \
a bad cable or port, a failing transceiver, a duplex mismatch, or a driver problem (warning). The link going down and up during the \
check (carrier_changes growing) is a flap (warning). Dropped packets are shown as evidence but do not fire on their own: drops also \
come from normal causes (unknown protocols, inactive bond slaves, full socket buffers). Counters since boot are not judged, only \
what happened while karte watched. Remedies: ethtool -S IF for the detailed counters, check the cable, port and switch side, \
ethtool IF for speed and duplex.",
    explain_ja: "2回の読み取りのインターフェースカウンタ（/proc/net/dev、/sys/class/net/IF/carrier_changes）を比べます。正常なリンクでは受信・送信エラー（CRC・フレームエラー、FIFO オーバーラン、キャリアエラー）は増えません。\
短い確認中に増えたなら、ケーブルやポートの不良、トランシーバの故障、デュプレックスの不一致、ドライバの問題です（warning）。確認中にリンクが落ちて戻った（carrier_changes が増えた）ならリンクのフラップです（warning）。\
パケットのドロップは証拠として示しますが、それだけでは検出しません。ドロップは正常な理由（未知のプロトコル、待機中の bond スレーブ、ソケットバッファ満杯）でも起こるためです。\
起動以来の累計は判定せず、karte が見ていた間に起きたことだけを判定します。対策: ethtool -S IF で詳細なカウンタを確認し、ケーブル・ポート・スイッチ側を点検し、ethtool IF で速度とデュプレックスを確認する。",
};

pub fn evaluate(cx: &Context) -> Outcome {
    let Some(iv) = cx.interval else {
        return Outcome::skipped("needs two readings (interface counters over an interval)");
    };
    if cx.now.netdev.is_none() {
        return Outcome::skipped("no /proc/net/dev");
    }
    let ja = cx.ja();
    let mut out = Vec::new();
    for n in &iv.nets {
        let errors = n.rx_errors + n.tx_errors;
        let flaps = n.carrier_changes.unwrap_or(0);
        if errors == 0 && flaps == 0 {
            continue;
        }
        let mut evidence = Vec::new();
        if errors > 0 {
            evidence.push(if ja {
                format!(
                    "{}: {:.1} 秒間に受信エラー {}、送信エラー {}（ドロップ 受信 {} / 送信 {}）",
                    n.name, iv.elapsed_secs, n.rx_errors, n.tx_errors, n.rx_dropped, n.tx_dropped
                )
            } else {
                format!(
                    "{}: {} receive and {} transmit errors in {:.1} s ({} / {} dropped)",
                    n.name, n.rx_errors, n.tx_errors, iv.elapsed_secs, n.rx_dropped, n.tx_dropped
                )
            });
            if let Some(ifc) = cx.now.interfaces.iter().find(|i| i.name == n.name) {
                let details: Vec<String> = [
                    "rx_crc_errors",
                    "rx_frame_errors",
                    "rx_fifo_errors",
                    "rx_missed_errors",
                    "rx_over_errors",
                    "tx_carrier_errors",
                    "tx_aborted_errors",
                ]
                .iter()
                .filter_map(|k| ifc.stat(k).filter(|v| *v > 0).map(|v| format!("{k}={v}")))
                .collect();
                if !details.is_empty() {
                    evidence.push(if ja {
                        format!("起動以来の内訳: {}", details.join(" "))
                    } else {
                        format!("since boot: {}", details.join(" "))
                    });
                }
            }
        }
        if flaps > 0 {
            evidence.push(if ja {
                format!(
                    "{}: 確認中にリンク状態が {} 回変化（carrier_changes）",
                    n.name, flaps
                )
            } else {
                format!(
                    "{}: link state changed {} times during the check (carrier_changes)",
                    n.name, flaps
                )
            });
        }
        let title = match (errors > 0, flaps > 0, ja) {
            (true, _, false) => format!("{} is counting errors", n.name),
            (false, _, false) => format!("{} lost its link during the check", n.name),
            (true, _, true) => format!("{} でエラーが増えています", n.name),
            (false, _, true) => format!("{} のリンクが確認中に切れました", n.name),
        };
        out.push(Finding {
            rule: ID,
            severity: Severity::Warning,
            title,
            summary: cx
                .t(
                    "A healthy link counts no errors and keeps its carrier. Errors growing while karte watched point at the physical link (cable, port, transceiver) or a speed/duplex mismatch; a flap means the link went down and up.",
                    "正常なリンクではエラーは増えず、リンクも切れません。karte が見ている間にエラーが増えたなら物理層（ケーブル、ポート、トランシーバ）か速度・デュプレックスの不一致、リンク断ならリンクが一度落ちて戻っています。",
                )
                .into(),
            subjects: vec![n.name.clone()],
            evidence,
            remedy: if ja {
                vec![
                    format!("詳細なカウンタを確認します: ethtool -S {}", n.name),
                    format!("速度とデュプレックスを確認します: ethtool {}（スイッチ側の設定と一致しているか）", n.name),
                    "ケーブルとトランシーバを交換し、スイッチ側のポートのエラーカウンタも確認してください。".into(),
                ]
            } else {
                vec![
                    format!("Detailed counters: ethtool -S {}", n.name),
                    format!("Speed and duplex: ethtool {} (must match the switch port)", n.name),
                    "Swap the cable and transceiver, and check the switch port's own error counters.".into(),
                ]
            },
        });
    }
    Outcome::many(out)
}
