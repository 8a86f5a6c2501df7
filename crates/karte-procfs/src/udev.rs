//! udev's database records (`/run/udev/data/b<major>:<minor>`): `E:KEY=value` property lines,
//! which node_exporter turns into `node_disk_info` and friends.

/// The `E:` properties, in file order.
pub fn parse_properties(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let (k, v) = l.strip_prefix("E:")?.split_once('=')?;
            Some((k.to_string(), v.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn props() {
        let p = super::parse_properties(
            "S:disk/by-id/x\nE:ID_ATA=1\nE:ID_MODEL=TOSHIBA_X\nG:systemd\n",
        );
        assert_eq!(
            p,
            vec![
                ("ID_ATA".into(), "1".into()),
                ("ID_MODEL".into(), "TOSHIBA_X".into())
            ]
        );
    }
}
