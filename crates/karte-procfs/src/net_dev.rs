//! `/proc/net/dev`: per-interface counters, 8 receive and 8 transmit columns.
//!
//! The interface name ends at the *last* `:` before the numbers, and the first number may follow
//! the colon with no space (`eth0:68210035552`); names may hold `:` (aliases such as `ibr10:30`)
//! and any UTF-8.

use serde::Serialize;

/// The column names, receive then transmit, as in the header and in node_exporter's metrics.
pub const RECEIVE_COLUMNS: [&str; 8] = [
    "bytes",
    "packets",
    "errs",
    "drop",
    "fifo",
    "frame",
    "compressed",
    "multicast",
];
pub const TRANSMIT_COLUMNS: [&str; 8] = [
    "bytes",
    "packets",
    "errs",
    "drop",
    "fifo",
    "colls",
    "carrier",
    "compressed",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NetDevCounters {
    pub name: String,
    /// In the order of [`RECEIVE_COLUMNS`].
    pub receive: [u64; 8],
    /// In the order of [`TRANSMIT_COLUMNS`].
    pub transmit: [u64; 8],
}

impl NetDevCounters {
    pub fn rx_bytes(&self) -> u64 {
        self.receive[0]
    }
    pub fn tx_bytes(&self) -> u64 {
        self.transmit[0]
    }
    pub fn rx_errors(&self) -> u64 {
        self.receive[2]
    }
    pub fn tx_errors(&self) -> u64 {
        self.transmit[2]
    }
    pub fn rx_dropped(&self) -> u64 {
        self.receive[3]
    }
    pub fn tx_dropped(&self) -> u64 {
        self.transmit[3]
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NetDev {
    pub interfaces: Vec<NetDevCounters>,
    pub skipped_lines: usize,
}

pub fn parse(text: &str) -> NetDev {
    let mut out = NetDev::default();
    for line in text.lines() {
        // Header lines hold '|'.
        if line.contains('|') || line.trim().is_empty() {
            continue;
        }
        match parse_line(line) {
            Some(c) => out.interfaces.push(c),
            None => out.skipped_lines += 1,
        }
    }
    out
}

fn parse_line(line: &str) -> Option<NetDevCounters> {
    // The counters are the 16 numbers at the end; the name is everything before the colon that
    // precedes them.
    let colon = line.rfind(':')?;
    let (name, nums) = (line[..colon].trim(), &line[colon + 1..]);
    if name.is_empty() {
        return None;
    }
    let mut v = [0u64; 16];
    let mut n = 0;
    for tok in nums.split_ascii_whitespace() {
        if n == 16 {
            return None;
        }
        v[n] = tok.parse().ok()?;
        n += 1;
    }
    if n != 16 {
        return None;
    }
    let mut receive = [0; 8];
    let mut transmit = [0; 8];
    receive.copy_from_slice(&v[..8]);
    transmit.copy_from_slice(&v[8..]);
    Some(NetDevCounters {
        name: name.to_string(),
        receive,
        transmit,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn tricky_names() {
        let t = "Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n\
  tun0:    1888      24    0    0    0     0          0         0    67120     934    0    0    0     0       0          0\n\
ibr10:30:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0\n\
eth0:68210035552 520993275    0    0    0     0          0         0 9315587528 43451486    0    0    0     0       0          0\n\
  💩0:   57750     104    0    0    0     0          0        72     1 2 3 4 5 6 7 8\n\
 bad: 1 2 3\n";
        let d = super::parse(t);
        assert_eq!(d.interfaces.len(), 4);
        assert_eq!(d.interfaces[1].name, "ibr10:30");
        assert_eq!(d.interfaces[2].name, "eth0");
        assert_eq!(d.interfaces[2].rx_bytes(), 68210035552);
        assert_eq!(d.interfaces[3].name, "💩0");
        assert_eq!(d.interfaces[3].transmit[7], 8);
        assert_eq!(d.skipped_lines, 1);
    }
}
