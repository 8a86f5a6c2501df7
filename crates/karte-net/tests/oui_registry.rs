//! The embedded vendor table against the registry it was generated from, when the registry is
//! installed (Debian's `ieee-data`: /usr/share/ieee-data/oui.csv); skipped otherwise.
//!
//! This checks `tools/gen-oui.py` and the table's reader together: every MA-L prefix of the
//! CSV is found, with its organisation name (white space folded; for the few prefixes listed
//! twice, the first name).

use karte_net::oui::table;
use std::collections::HashMap;

const CSV: &str = "/usr/share/ieee-data/oui.csv";

/// Splits CSV text into records: quoted fields may hold commas, doubled quotes and newlines.
fn records(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut rec = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => rec.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                rec.push(std::mem::take(&mut field));
                out.push(std::mem::take(&mut rec));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !rec.is_empty() {
        rec.push(field);
        out.push(rec);
    }
    out
}

#[test]
fn table_matches_the_installed_registry() {
    let Ok(text) = std::fs::read_to_string(CSV) else {
        println!("SKIPPED: {CSV} not installed (apt-get install ieee-data)");
        return;
    };
    if !cfg!(feature = "oui-table") {
        println!("SKIPPED: built without the oui-table feature");
        return;
    }
    let mut want: HashMap<u32, String> = HashMap::new();
    for r in records(&text) {
        if r.len() < 3 || r[0] != "MA-L" || r[1].len() != 6 {
            continue;
        }
        let Ok(p) = u32::from_str_radix(&r[1], 16) else {
            continue;
        };
        let name = r[2].split_whitespace().collect::<Vec<_>>().join(" ");
        want.entry(p).or_insert(name);
    }
    let t = table();
    // The table may be newer or older than the installed registry: compare what both have,
    // and require nearly all of the registry to be there.
    let mut found = 0;
    for (p, name) in &want {
        if let Some(got) = t.lookup(*p) {
            assert_eq!(got, name, "prefix {p:06X}");
            found += 1;
        }
    }
    println!("{found} of {} registry prefixes in the table", want.len());
    assert!(found * 100 >= want.len() * 99, "{found} of {}", want.len());
}

#[test]
fn csv_reader() {
    let r = records("a,\"b, \"\"c\"\"\",d\ne,\"f\ng\",h\n");
    assert_eq!(r, vec![vec!["a", "b, \"c\"", "d"], vec!["e", "f\ng", "h"]]);
}
