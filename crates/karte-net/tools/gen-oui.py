#!/usr/bin/env python3
"""Generate crates/karte-net/data/oui-ma-l.bin from the IEEE MA-L registry.

Input: the registry as CSV (`Registry,Assignment,Organization Name,Organization Address`),
by default Debian's package ieee-data: /usr/share/ieee-data/oui.csv
(`apt-get install ieee-data`; `update-ieee-data` refreshes it from the IEEE).

Usage: tools/gen-oui.py [oui.csv] [out.bin]

Output format (all integers little-endian unless said), read by src/oui.rs:

    magic    4 bytes  b"KOUI"
    version  1 byte   1
    count    u32      number of entries
    entries  count x 6 bytes, sorted by prefix, no duplicates:
               prefix      3 bytes, big-endian (the first three octets of the MAC)
               name_offset 3 bytes, little-endian, into the names block
    names    UTF-8 organisation names, each ended by b"\n", deduplicated

Names keep the registry's spelling with runs of white space folded to one space. The address
column is dropped: it is most of the file and karte does not show it.
"""

import csv
import struct
import sys


def main() -> int:
    src = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/ieee-data/oui.csv"
    out = sys.argv[2] if len(sys.argv) > 2 else "data/oui-ma-l.bin"
    entries = {}
    with open(src, encoding="utf-8", newline="") as f:
        for row in csv.reader(f):
            if len(row) < 3 or row[0] != "MA-L":
                continue
            try:
                prefix = int(row[1], 16)
            except ValueError:
                continue
            if len(row[1]) != 6 or not 0 <= prefix < 1 << 24:
                continue
            name = " ".join(row[2].split())
            if not name or "\n" in name:
                continue
            # A prefix listed twice keeps its first name (2022 registry: 080030 and 0001C8).
            entries.setdefault(prefix, name)

    names = bytearray()
    offsets = {}
    for name in sorted(set(entries.values())):
        offsets[name] = len(names)
        names += name.encode("utf-8") + b"\n"
    if len(names) >= 1 << 24:
        sys.exit("names block too large for 3-byte offsets")

    blob = bytearray(b"KOUI")
    blob += bytes([1])
    blob += struct.pack("<I", len(entries))
    for prefix in sorted(entries):
        blob += prefix.to_bytes(3, "big")
        blob += offsets[entries[prefix]].to_bytes(3, "little")
    blob += names
    with open(out, "wb") as f:
        f.write(blob)
    print(f"{out}: {len(entries)} prefixes, {len(offsets)} names, {len(blob)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
