//! `duplicate-ip`: another device uses this host's IPv4 address, or the default gateway is
//! answered by more than one device.
//!
//! The observation is [`karte_net::Conflict`], from `karte_net::check`: RFC 5227 ARP probes
//! (sender 0.0.0.0) for every address of the host and for its default gateways, and every
//! station other than this host that answered for the address, announced it, or probed it too.

use crate::{Finding, Lang, RuleInfo, Severity};
use karte_net::{Answer, Conflict, ConflictKind, MacAddr, MacInfo, oui};

pub const ID: &str = "duplicate-ip";

pub const INFO: RuleInfo = RuleInfo {
    id: ID,
    title_en: "Another device uses this host's IP address (or the gateway's)",
    title_ja: "このホスト（またはゲートウェイ）の IP アドレスを別の機器も使っている",
    explain_en: "Two devices with one IPv4 address on one network take turns receiving its traffic: every \
neighbour sends to whichever answered ARP last. Connections to the host (ssh, HTTP, databases) drop and come back \
while the host itself looks healthy, so the usual suspects - CPU, load, the services - get blamed for days. A \
typical cause is a router switched to access-point mode that kept its old address, a device with a static IP \
inside the DHCP pool, or a cloned virtual machine.\n\
How karte decides: for every IPv4 address on every up, non-loopback interface, `karte net check` sends ARP \
probes as RFC 5227 defines them (sender address 0.0.0.0, so that no cache is disturbed; three probes within \
about one second, then listens until two seconds have passed) on a raw socket, and listens for any device \
other than this host that answers for the address, announces it, or probes it too. Any such device is a \
critical finding. The default gateway is probed the same way: more than one device answering for it is also \
critical. Answers from this host's own interfaces (other NICs on the same network, bond and bridge ports) do \
not count. The other device's MAC is looked up in the IEEE registry (MA-L) for its maker; a locally \
administered MAC (the 0x02 bit of the first octet) belongs to a virtual machine, a container or a device \
that randomises its MAC, and names no maker.\n\
What to do: find the device by its MAC in the switch's MAC address table (the port it is on) or the Wi-Fi \
controller's client list - its maker tells what to look for - then give it another address: fix its static \
configuration, or take the address out of the DHCP pool (reserve it for this host). The probe needs \
CAP_NET_RAW; without it the check is skipped with a note.",
    explain_ja: "同じネットワークで 2 台の機器が 1 つの IPv4 アドレスを使うと、そのアドレス宛ての通信は交互にどちらかへ届きます。\
周囲の機器は、最後に ARP に応答した機器へ送るからです。ホスト自体は正常に見えるのに ssh や HTTP、データベースへの接続が\
切れたりつながったりするため、CPU や負荷、サービスが何日も疑われがちです。よくある原因は、アクセスポイントモードに切り替えた\
ルーターが元のアドレスを持ったままになっている、DHCP のアドレスプール内に固定 IP の機器がある、仮想マシンを複製した、などです。\n\
判定方法: `karte net check` は、起動中のループバック以外の全インターフェースの全 IPv4 アドレスについて、RFC 5227 で定められた \
ARP プローブ（送信元アドレス 0.0.0.0 なので、どの機器の ARP キャッシュも書き換えません。約 1 秒の間に 3 回送り、2 秒まで応答を待ちます）を\
raw ソケットで送り、このホスト以外の機器がそのアドレスで応答する、アドレスを告知する、または同じアドレスをプローブするのを監視します。\
そうした機器が 1 台でもあれば critical です。デフォルトゲートウェイも同じ方法で調べ、2 台以上が応答すればこれも critical です。\
このホスト自身のインターフェース（同じネットワーク上の別の NIC、ボンディングやブリッジのポート）からの応答は数えません。\
相手の MAC アドレスは IEEE の登録簿（MA-L）でメーカーを調べます。ローカル管理アドレス（先頭オクテットの 0x02 ビット）は、\
仮想マシンやコンテナ、MAC アドレスをランダム化する端末のもので、メーカーは分かりません。\n\
対処: スイッチの MAC アドレステーブル（どのポートにいるか）や無線 LAN コントローラーの接続端末一覧で、その MAC アドレスの機器を探します。\
メーカー名が機器の種類の手がかりになります。見つけたら別のアドレスにしてください。固定設定を直すか、DHCP のアドレスプールから\
そのアドレスを外します（このホスト用に予約します）。プローブには CAP_NET_RAW 権限が必要で、ない場合はその旨を示して検査を省略します。",
};

/// A station in one phrase: `3c:22:fb:12:34:56 (Apple, Inc.)`.
pub fn station(m: &MacInfo, lang: Lang) -> String {
    let ja = lang == Lang::Ja;
    let virt = if ja {
        oui::virtual_kind_ja(m.mac)
    } else {
        m.virtual_kind
    };
    let what = match (m.vendor, virt, m.locally_administered) {
        (Some(v), Some(k), _) => format!("{v}, {k}"),
        (Some(v), None, _) => v.to_string(),
        (None, Some(k), _) => k.to_string(),
        (None, None, true) => lang
            .pick(
                "locally administered: virtual or randomised",
                "ローカル管理アドレス: 仮想機器またはランダム化された MAC",
            )
            .to_string(),
        (None, None, false) => lang
            .pick("maker not in the registry", "メーカー不明（登録簿になし）")
            .to_string(),
    };
    if ja {
        format!("{}（{what}）", m.mac)
    } else {
        format!("{} ({what})", m.mac)
    }
}

/// The Cisco command that finds each MAC's switch port, joined: `show mac address-table address
/// 3c22.fb12.3456` (other switches take the same lookup in their own syntax).
pub fn switch_lookup(macs: impl IntoIterator<Item = MacAddr>) -> String {
    macs.into_iter()
        .map(|m| format!("`show mac address-table address {}`", m.dotted()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the MAC says about the device, as a sentence.
fn device_hint(m: &MacInfo, lang: Lang) -> String {
    match (lang, m.vendor, m.locally_administered) {
        (Lang::En, _, _) if m.virtual_kind.is_some() => format!(
            "Its MAC prefix is that of a {}: look for that virtual machine, container or router pair.",
            m.virtual_kind.unwrap_or_default()
        ),
        (Lang::Ja, _, _) if m.virtual_kind.is_some() => format!(
            "この MAC アドレスのプレフィックスは{}のものです。該当する仮想マシン、コンテナ、またはルーターの冗長構成を探してください。",
            oui::virtual_kind_ja(m.mac).unwrap_or_default()
        ),
        (Lang::En, _, true) => "Its MAC is locally administered: a virtual machine, a container, or a phone or laptop using a \
randomised (private) MAC. The maker cannot be told from the address."
            .to_string(),
        (Lang::Ja, _, true) => "この MAC アドレスはローカル管理アドレスです。仮想マシンやコンテナ、または MAC アドレスをランダム化した\
スマートフォンやノート PC で、アドレスからメーカーは分かりません。"
            .to_string(),
        (Lang::En, Some(v), false) => format!(
            "Its MAC is registered to {v}: a real device with a network interface made by {v}, which tells what kind of device to look for."
        ),
        (Lang::Ja, Some(v), false) => format!(
            "この MAC アドレスは {v} に割り当てられた範囲のものです。{v} 製のネットワーク部品を持つ実機なので、どんな機器を探せばよいかの手がかりになります。"
        ),
        (Lang::En, None, false) => {
            "Its MAC prefix is not in the IEEE registry karte carries; the maker is unknown.".to_string()
        }
        (Lang::Ja, None, false) => {
            "この MAC アドレスのプレフィックスは karte の持つ IEEE 登録簿にないため、メーカーは分かりません。".to_string()
        }
    }
}

fn claims(a: &Answer, lang: Lang) -> String {
    a.claims
        .iter()
        .map(|c| match (lang, c) {
            (Lang::En, c) => c.as_str(),
            (Lang::Ja, karte_net::arp::Claim::Reply) => "応答",
            (Lang::Ja, karte_net::arp::Claim::Announcement) => "告知",
            (Lang::Ja, karte_net::arp::Claim::Request) => "このアドレスを送信元とする要求",
            (Lang::Ja, karte_net::arp::Claim::Probe) => "同じアドレスのプローブ",
        })
        .collect::<Vec<_>>()
        .join(lang.pick(", ", "、"))
}

fn answer_evidence(a: &Answer, lang: Lang) -> String {
    let m = &a.station;
    let reg = match (m.vendor, m.locally_administered) {
        (_, true) => lang
            .pick(
                "locally administered (the 0x02 bit is set)",
                "ローカル管理アドレス（0x02 ビットが立っている）",
            )
            .to_string(),
        (Some(v), false) => match lang {
            Lang::En => format!(
                "universally administered, IEEE MA-L {:06X}: {v}",
                m.mac.oui()
            ),
            Lang::Ja => format!("グローバルアドレス、IEEE MA-L {:06X}: {v}", m.mac.oui()),
        },
        (None, false) => lang
            .pick(
                "universally administered, prefix not in the registry",
                "グローバルアドレス、プレフィックスは登録簿になし",
            )
            .to_string(),
    };
    let mut s = match lang {
        Lang::En => format!(
            "{}: {} ×{}, first {} ms after probing began; {reg}",
            m.mac,
            claims(a, lang),
            a.count,
            a.first_ms
        ),
        Lang::Ja => format!(
            "{}: {}を {} 回、最初はプローブ開始から {} ms 後。{reg}",
            m.mac,
            claims(a, lang),
            a.count,
            a.first_ms
        ),
    };
    if let Some(src) = a.link_source {
        s.push_str(&match lang {
            Lang::En => format!(" (sent from Ethernet address {src}: a proxy, or a forged packet)"),
            Lang::Ja => {
                format!("（Ethernet の送信元は {src}: プロキシ、または偽装されたパケット）")
            }
        });
    }
    s
}

fn find_device_remedy(others: &[Answer], lang: Lang) -> String {
    let macs: Vec<String> = others.iter().map(|a| a.station.mac.to_string()).collect();
    let lookup = switch_lookup(others.iter().map(|a| a.station.mac));
    let vendors: Vec<&str> = others.iter().filter_map(|a| a.station.vendor).collect();
    match lang {
        Lang::En => {
            let mut s = format!(
                "Find the device: look up {} in the switch's MAC address table (Cisco: {lookup}) \
to get the port it is on, then follow that port's cable; on Wi-Fi, find it in the access point's or controller's client list.",
                macs.join(", ")
            );
            if !vendors.is_empty() {
                s.push_str(&format!(
                    " Its maker ({}) tells what kind of device to look for.",
                    vendors.join(", ")
                ));
            }
            s
        }
        Lang::Ja => {
            let mut s = format!(
                "機器を探す: スイッチの MAC アドレステーブルで {} を検索し（Cisco なら {lookup}）、\
つながっているポートを特定して、その先のケーブルをたどってください。無線 LAN の場合は、アクセスポイントやコントローラーの接続端末一覧で探します。",
                macs.join("、")
            );
            if !vendors.is_empty() {
                s.push_str(&format!(
                    "メーカー（{}）から機器の種類の見当がつきます。",
                    vendors.join("、")
                ));
            }
            s
        }
    }
}

fn address_finding(c: &Conflict, lang: Lang) -> Finding {
    let addr = c.address;
    let ifc = &c.interface;
    let stations: Vec<String> = c.others.iter().map(|a| station(&a.station, lang)).collect();
    let our = c.our_mac.map(|m| m.to_string()).unwrap_or_default();
    let title = match (lang, stations.len()) {
        (Lang::En, 1) => format!(
            "IP address {addr} on {ifc} is also used by another device: {}",
            stations[0]
        ),
        (Lang::En, n) => format!(
            "IP address {addr} on {ifc} is also used by {n} other devices: {}",
            stations.join(", ")
        ),
        (Lang::Ja, 1) => format!(
            "{ifc} の IP アドレス {addr} を別の機器 {}も使っています",
            stations[0]
        ),
        (Lang::Ja, n) => format!(
            "{ifc} の IP アドレス {addr} をほかの {n} 台の機器も使っています: {}",
            stations.join("、")
        ),
    };
    let hints: Vec<String> = c
        .others
        .iter()
        .map(|a| device_hint(&a.station, lang))
        .collect();
    let summary = match lang {
        Lang::En => format!(
            "Another device answers ARP for {addr}, this host's address on {ifc}. Other hosts and the router send traffic \
for {addr} to whichever device answered last, so connections to this host (ssh, HTTP, databases) drop and come back \
while the host itself looks healthy: CPU, load and services are not the cause. {}",
            hints.join(" ")
        ),
        Lang::Ja => format!(
            "このホストの {ifc} のアドレス {addr} に対して、別の機器も ARP に応答しています。ほかのホストやルーターは、最後に応答した機器へ \
{addr} 宛ての通信を送るため、このホストへの接続（ssh、HTTP、データベースなど）が切れたりつながったりします。ホスト自体は正常に見え、\
CPU や負荷、サービスは原因ではありません。{}",
            hints.join("")
        ),
    };
    let mut evidence = vec![match lang {
        Lang::En => format!(
            "{} ARP probes (RFC 5227, sender 0.0.0.0) sent for {addr} on {ifc}; this host's MAC there is {our}",
            c.probes_sent
        ),
        Lang::Ja => format!(
            "{ifc} で {addr} の ARP プローブ（RFC 5227、送信元 0.0.0.0）を {} 回送信。このホストの {ifc} の MAC は {our}",
            c.probes_sent
        ),
    }];
    evidence.extend(c.others.iter().map(|a| answer_evidence(a, lang)));
    let remedy = match lang {
        Lang::En => vec![
            find_device_remedy(&c.others, lang),
            format!(
                "Take the address away from it: if {addr} is set on the device by hand, give it a free address; if it got \
{addr} from DHCP, take {addr} out of the DHCP pool (or reserve it for this host) and renew the device's lease. If it \
is this host that should move, change the address here instead."
            ),
            format!(
                "After the fix, clients that cached the other device's MAC may reach it for a few more minutes; to hurry, \
delete the router's ARP entry for {addr}."
            ),
            "Confirm with `karte net check` (exit status 0 when no other device answers)."
                .to_string(),
        ],
        Lang::Ja => vec![
            find_device_remedy(&c.others, lang),
            format!(
                "相手からアドレスを外す: 相手の機器に {addr} が手動で設定されているなら、空いている別のアドレスに変えてください。\
DHCP で受け取っているなら、DHCP サーバーのアドレスプールから {addr} を除外する（またはこのホスト用に予約する）うえで、相手の機器の\
リースを更新させてください。アドレスを変えるべきなのがこのホストの側なら、こちらを変更します。"
            ),
            format!(
                "直した後も、相手の MAC アドレスを覚えているクライアントは数分間そちらに接続することがあります。急ぐなら、ルーターの ARP テーブルから \
{addr} のエントリを削除してください。"
            ),
            "`karte net check` で確認してください（ほかに応答する機器がなければ終了コード 0）。"
                .to_string(),
        ],
    };
    let mut subjects = vec![addr.to_string(), ifc.clone()];
    subjects.extend(c.others.iter().map(|a| a.station.mac.to_string()));
    Finding {
        rule: ID,
        severity: Severity::Critical,
        title,
        summary,
        subjects,
        evidence,
        remedy,
    }
}

fn gateway_finding(c: &Conflict, lang: Lang) -> Finding {
    let addr = c.address;
    let ifc = &c.interface;
    let n = c.others.len();
    let stations: Vec<String> = c.others.iter().map(|a| station(&a.station, lang)).collect();
    let title = match lang {
        Lang::En => format!(
            "Default gateway {addr} on {ifc} is answered by {n} devices: {}",
            stations.join(", ")
        ),
        Lang::Ja => format!(
            "{ifc} のデフォルトゲートウェイ {addr} に {n} 台の機器が応答しています: {}",
            stations.join("、")
        ),
    };
    let summary = match lang {
        Lang::En => format!(
            "{n} devices answer ARP for {addr}, the default gateway on {ifc}. This host's traffic to other networks goes to \
whichever answered last, so connections beyond the local network fail on and off. One of them is the real router; the \
other has the gateway's address by mistake - often a second router or an access point still on its factory address, or \
a device with a wrong static IP. If the gateway is a redundant pair (VRRP, HSRP, keepalived), both answering means the \
pair has split and both act as master."
        ),
        Lang::Ja => format!(
            "{ifc} のデフォルトゲートウェイ {addr} に対して、{n} 台の機器が ARP に応答しています。このホストから外部ネットワークへの通信は\
最後に応答した機器へ送られるため、LAN の外への接続が断続的に失敗します。本物のルーターは 1 台だけで、残りは誤ってゲートウェイの\
アドレスを持っています。よくあるのは、工場出荷時のアドレスのまま接続された 2 台目のルーターやアクセスポイント、固定 IP を誤って\
設定した機器です。ゲートウェイが冗長構成（VRRP、HSRP、keepalived）なら、両方がマスターとして動いている（スプリットブレイン）状態です。"
        ),
    };
    let mut evidence = vec![match lang {
        Lang::En => format!(
            "{} ARP probes (RFC 5227, sender 0.0.0.0) sent for the gateway {addr} on {ifc}; {n} different MACs answered",
            c.probes_sent
        ),
        Lang::Ja => format!(
            "{ifc} でゲートウェイ {addr} の ARP プローブ（RFC 5227、送信元 0.0.0.0）を {} 回送信し、{n} 個の異なる MAC が応答",
            c.probes_sent
        ),
    }];
    evidence.extend(c.others.iter().map(|a| answer_evidence(a, lang)));
    let lookup = switch_lookup(c.others.iter().map(|a| a.station.mac));
    let remedy = match lang {
        Lang::En => vec![
            format!(
                "Find out which MAC belongs to the real router (its management page, or `show interfaces` on it). Look the \
other one up in the switch's MAC address table to find its port (Cisco: {lookup})."
            ),
            "Give the other device another address (fix its static IP, or put a router used as an access point into \
bridge/AP mode as a DHCP client). For a redundant pair, repair the link or the VRRP/HSRP settings between the routers \
so that only the master answers."
                .to_string(),
            "Confirm with `karte net check` (exit status 0 when one device answers).".to_string(),
        ],
        Lang::Ja => vec![
            format!(
                "どの MAC アドレスが本物のルーターのものかを確かめてください（ルーターの管理画面や `show interfaces` で分かります）。\
もう一方をスイッチの MAC アドレステーブルで検索し、接続ポートを特定します（Cisco なら {lookup}）。"
            ),
            "もう一方の機器には別のアドレスを設定してください。ルーターをアクセスポイントとして使っているなら、ブリッジ（AP）モードにして \
DHCP クライアントにします。冗長構成なら、ルーター間のリンクや VRRP/HSRP の設定を直し、マスターだけが応答するようにします。"
                .to_string(),
            "`karte net check` で確認してください（応答する機器が 1 台なら終了コード 0）。".to_string(),
        ],
    };
    let mut subjects = vec![addr.to_string(), ifc.clone()];
    subjects.extend(c.others.iter().map(|a| a.station.mac.to_string()));
    Finding {
        rule: ID,
        severity: Severity::Critical,
        title,
        summary,
        subjects,
        evidence,
        remedy,
    }
}

/// A failed IPv6 duplicate address detection, as the kernel logged it (the doctor takes it from
/// karte-kmsg's `duplicate_address` events): `eth0: IPv6 duplicate address 2001:db8::10 used by
/// 3c:22:fb:12:34:56 detected!`. Fields the log line lacks (old kernels) are `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelDad {
    pub interface: Option<String>,
    pub address: Option<String>,
    pub mac: Option<MacAddr>,
    /// The log line itself.
    pub message: String,
}

/// One critical finding per distinct (interface, address) the kernel log reports as a failed
/// IPv6 duplicate address detection.
pub fn evaluate_kernel_log(reports: &[KernelDad], lang: Lang) -> Vec<Finding> {
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for r in reports {
        let key = (r.interface.clone(), r.address.clone(), r.mac);
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        out.push(kernel_dad_finding(r, lang));
    }
    out
}

fn kernel_dad_finding(r: &KernelDad, lang: Lang) -> Finding {
    let ifc = r.interface.as_deref().unwrap_or("?");
    let info = r.mac.map(MacInfo::of);
    let who = info.as_ref().map(|i| station(i, lang));
    let title = match (lang, &r.address, &who) {
        (Lang::En, Some(a), Some(w)) => {
            format!("IPv6 address {a} on {ifc} is also used by another device: {w}")
        }
        (Lang::En, Some(a), None) => {
            format!("IPv6 address {a} on {ifc} failed duplicate address detection")
        }
        (Lang::En, None, _) => {
            format!("An IPv6 address on {ifc} failed duplicate address detection")
        }
        (Lang::Ja, Some(a), Some(w)) => {
            format!("{ifc} の IPv6 アドレス {a} を別の機器 {w}も使っています")
        }
        (Lang::Ja, Some(a), None) => {
            format!("{ifc} の IPv6 アドレス {a} が重複アドレス検出（DAD）で失敗しました")
        }
        (Lang::Ja, None, _) => {
            format!("{ifc} の IPv6 アドレスが重複アドレス検出（DAD）で失敗しました")
        }
    };
    let addr = r.address.clone().unwrap_or_else(|| "?".into());
    let mut summary = match lang {
        Lang::En => format!(
            "The kernel log shows that IPv6 duplicate address detection failed on {ifc}: another device on the network \
already uses {addr}. The kernel then leaves the address unusable (state dadfailed), so services bound to it do not \
start and connections to it reach the other device. A link-local (fe80::) or SLAAC address made from the MAC is \
usually duplicated by a cloned virtual machine that kept the same MAC."
        ),
        Lang::Ja => format!(
            "カーネルログによると、{ifc} で IPv6 の重複アドレス検出（DAD）が失敗しました。ネットワーク上の別の機器がすでに {addr} を\
使っています。カーネルはこのアドレスを使用不可（dadfailed 状態）のままにするため、このアドレスで待ち受けるサービスは起動できず、\
このアドレスへの接続は相手の機器に届きます。MAC アドレスから作られるリンクローカル（fe80::）や SLAAC のアドレスが重複する場合、\
多くは MAC アドレスをそのまま引き継いだ複製 VM が原因です。"
        ),
    };
    if let Some(i) = &info {
        if lang == Lang::En {
            summary.push(' ');
        }
        summary.push_str(&device_hint(i, lang));
    }
    let mut evidence = vec![match lang {
        Lang::En => format!("kernel log: {}", r.message),
        Lang::Ja => format!("カーネルログ: {}", r.message),
    }];
    if let Some(i) = &info {
        evidence.push(station(i, lang));
    }
    let mut remedy = Vec::new();
    if let Some(m) = r.mac {
        let lookup = switch_lookup([m]);
        remedy.push(match lang {
            Lang::En => format!(
                "Find the device: look up {m} in the switch's MAC address table (Cisco: {lookup}) to get its port; on \
Wi-Fi, in the access point's client list."
            ),
            Lang::Ja => format!(
                "機器を探す: スイッチの MAC アドレステーブルで {m} を検索し（Cisco なら {lookup}）、接続ポートを特定してください。\
無線 LAN の場合はアクセスポイントの接続端末一覧で探します。"
            ),
        });
    }
    remedy.extend(match lang {
        Lang::En => [
            "Give one of the two another address: fix the static address; for link-local or SLAAC addresses, give a \
cloned virtual machine its own MAC (and its own /etc/machine-id)."
                .to_string(),
            format!(
                "Then run detection again: delete and re-add the address, or take {ifc} down and up. \
`ip -6 addr show dadfailed` lists addresses that are still failed."
            ),
        ],
        Lang::Ja => [
            "どちらか一方に別のアドレスを割り当ててください。固定アドレスなら設定を直します。リンクローカルや SLAAC のアドレスなら、\
複製した仮想マシンに固有の MAC アドレス（と固有の /etc/machine-id）を与えます。"
                .to_string(),
            format!(
                "その後、検出をやり直します。アドレスを削除して追加し直すか、{ifc} をいったん down にして up してください。\
`ip -6 addr show dadfailed` で、失敗したままのアドレスを確認できます。"
            ),
        ],
    });
    let mut subjects: Vec<String> = r.address.iter().cloned().collect();
    subjects.extend(r.interface.iter().cloned());
    subjects.extend(r.mac.map(|m| m.to_string()));
    Finding {
        rule: ID,
        severity: Severity::Critical,
        title,
        summary,
        subjects,
        evidence,
        remedy,
    }
}

/// One critical finding per conflict.
pub fn evaluate(conflicts: &[Conflict], lang: Lang) -> Vec<Finding> {
    conflicts
        .iter()
        .filter(|c| !c.others.is_empty())
        .filter(|c| c.kind == ConflictKind::Address || c.others.len() > 1)
        .map(|c| match c.kind {
            ConflictKind::Address => address_finding(c, lang),
            ConflictKind::Gateway => gateway_finding(c, lang),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use karte_net::MacAddr;
    use karte_net::arp::Claim;
    use std::net::Ipv4Addr;

    fn answer(mac: &str, claims: Vec<Claim>) -> Answer {
        Answer {
            station: MacInfo::of(mac.parse::<MacAddr>().expect("test MAC")),
            claims,
            count: 3,
            first_ms: 2,
            link_source: None,
        }
    }

    fn conflict(others: Vec<Answer>) -> Conflict {
        Conflict {
            kind: ConflictKind::Address,
            interface: "eth0".into(),
            address: Ipv4Addr::new(198, 51, 100, 10),
            our_mac: Some(MacAddr([2, 0, 0, 0, 0, 0x0a])),
            others,
            probes_sent: 3,
        }
    }

    #[test]
    fn impostor_with_a_vendor() {
        let c = conflict(vec![answer("3c:22:fb:12:34:56", vec![Claim::Reply])]);
        let f = evaluate(std::slice::from_ref(&c), Lang::En);
        assert_eq!(f.len(), 1);
        let f = &f[0];
        assert_eq!((f.rule, f.severity), ("duplicate-ip", Severity::Critical));
        assert_eq!(
            f.title,
            "IP address 198.51.100.10 on eth0 is also used by another device: 3c:22:fb:12:34:56 (Apple, Inc.)"
        );
        assert!(
            f.summary.contains("registered to Apple, Inc."),
            "{}",
            f.summary
        );
        assert!(f.evidence[0].contains("02:00:00:00:00:0a"));
        assert!(f.evidence[1].contains("reply ×3"), "{:?}", f.evidence);
        assert!(
            f.evidence[1].contains("IEEE MA-L 3C22FB"),
            "{:?}",
            f.evidence
        );
        assert!(f.remedy[0].contains("3c22.fb12.3456"));
        assert!(f.remedy[1].contains("DHCP"));
        assert_eq!(
            f.subjects,
            vec!["198.51.100.10", "eth0", "3c:22:fb:12:34:56"]
        );

        let j = &evaluate(&[c], Lang::Ja)[0];
        assert_eq!(
            j.title,
            "eth0 の IP アドレス 198.51.100.10 を別の機器 3c:22:fb:12:34:56（Apple, Inc.）も使っています"
        );
        assert!(
            j.summary.contains("Apple, Inc. に割り当てられた"),
            "{}",
            j.summary
        );
        assert!(j.remedy[0].contains("MAC アドレステーブル"));
        assert!(j.evidence[1].contains("応答を 3 回"), "{:?}", j.evidence);
    }

    #[test]
    fn locally_administered_and_virtual() {
        let c = conflict(vec![
            answer("ba:dc:0f:fe:e0:01", vec![Claim::Probe]),
            answer("52:54:00:12:34:56", vec![Claim::Reply, Claim::Announcement]),
        ]);
        let f = &evaluate(std::slice::from_ref(&c), Lang::En)[0];
        assert!(f.title.contains("2 other devices"), "{}", f.title);
        assert!(f.title.contains("locally administered"), "{}", f.title);
        assert!(f.title.contains("QEMU/KVM virtual NIC"), "{}", f.title);
        assert!(f.summary.contains("randomised"), "{}", f.summary);
        assert!(f.evidence[1].contains("probe ×3"));
        assert!(f.evidence[2].contains("reply, announcement"));
        let j = &evaluate(&[c], Lang::Ja)[0];
        assert!(j.title.contains("QEMU/KVM の仮想 NIC"), "{}", j.title);
        assert!(j.summary.contains("ローカル管理アドレス"), "{}", j.summary);
    }

    #[test]
    fn gateway_needs_two_answers() {
        let mut c = conflict(vec![answer("f4:bd:9e:00:00:01", vec![Claim::Reply])]);
        c.kind = ConflictKind::Gateway;
        c.our_mac = None;
        assert!(evaluate(std::slice::from_ref(&c), Lang::En).is_empty());
        c.others
            .push(answer("3c:22:fb:00:00:02", vec![Claim::Reply]));
        let f = &evaluate(std::slice::from_ref(&c), Lang::En)[0];
        assert_eq!(f.severity, Severity::Critical);
        assert!(
            f.title
                .starts_with("Default gateway 198.51.100.10 on eth0 is answered by 2 devices")
        );
        assert!(f.title.contains("Cisco"));
        let j = &evaluate(&[c], Lang::Ja)[0];
        assert!(j.title.contains("デフォルトゲートウェイ"));
    }

    #[test]
    fn kernel_log_dad() {
        let r = KernelDad {
            interface: Some("eth0".into()),
            address: Some("2001:db8::10".into()),
            mac: "52:54:00:12:34:56".parse().ok(),
            message: "IPv6: eth0: IPv6 duplicate address 2001:db8::10 used by 52:54:00:12:34:56 detected!".into(),
        };
        let f = evaluate_kernel_log(&[r.clone(), r.clone()], Lang::En);
        assert_eq!(f.len(), 1, "the same report twice is one finding");
        assert_eq!(f[0].severity, Severity::Critical);
        assert_eq!(
            f[0].title,
            "IPv6 address 2001:db8::10 on eth0 is also used by another device: 52:54:00:12:34:56 (QEMU/KVM virtual NIC)"
        );
        assert!(f[0].evidence[0].starts_with("kernel log: IPv6: eth0"));
        assert!(f[0].remedy[0].contains("5254.0012.3456"));
        let old = KernelDad {
            interface: Some("eth0".into()),
            address: None,
            mac: None,
            message: "eth0: duplicate address detected!".into(),
        };
        let j = &evaluate_kernel_log(&[old], Lang::Ja)[0];
        assert_eq!(
            j.title,
            "eth0 の IPv6 アドレスが重複アドレス検出（DAD）で失敗しました"
        );
        assert_eq!(j.remedy.len(), 2);
    }

    #[test]
    fn no_conflict_no_finding() {
        assert!(evaluate(&[], Lang::En).is_empty());
        assert!(evaluate(&[conflict(vec![])], Lang::En).is_empty());
    }

    #[test]
    fn explain_texts() {
        assert_eq!(INFO.id, ID);
        assert!(INFO.explain(Lang::En).contains("RFC 5227"));
        assert!(INFO.explain(Lang::Ja).contains("CAP_NET_RAW"));
    }
}
