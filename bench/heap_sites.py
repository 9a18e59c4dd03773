"""Reads heaptrack_print's leak report for bench/heap-profile: the heap still
held when the server was killed with STREAMS idle streams open, as bytes per
stream, by allocation site (sites allocated about once per stream), with the
rest (the server's own state, shared by all streams) in one line."""

import re
import sys

report, held, server = sys.argv[1], int(sys.argv[2]), sys.argv[3]
UNITS = {"B": 1, "K": 1e3, "M": 1e6, "G": 1e9}
ENTRY = re.compile(r"^\s*([\d.]+)([BKMG]) leaked over (\d+) calls from:$")
SKIP = ("_RNv", "alloc::", "core::", "_$LT$core..", "<core::", "std::", "bytes::")


def readable(frame: str) -> str:
    frame = re.sub(r"::h[0-9a-f]{16}$", "", frame.strip())
    for code, text in (("$LT$", "<"), ("$GT$", ">"), ("$u20$", " "), ("$C$", ","),
                       ("$u7b$", "{"), ("$u7d$", "}"), ("$RF$", "&"), ("$LP$", "("),
                       ("$RP$", ")"), ("..", "::")):
        frame = frame.replace(code, text)
    return frame[:110]


total = 0.0
sites = []
lines = open(report, encoding="utf-8", errors="replace").read().splitlines()
for at, line in enumerate(lines):
    match = ENTRY.match(line)
    if not match:
        continue
    size = float(match.group(1)) * UNITS[match.group(2)]
    calls = int(match.group(3))
    total += size
    frames = []
    for frame in lines[at + 1:]:
        if ENTRY.match(frame) or not frame.startswith("    "):
            break
        frame = frame.strip()
        if frame.startswith(("at ", "in ")):
            continue
        frames.append(frame)
    label = next((f for f in frames if not f.startswith(SKIP)), frames[0] if frames else "?")
    sites.append((size, calls, readable(label)))

per_stream = [(size, calls, label) for size, calls, label in sites if calls >= 0.9 * held]
shared = total - sum(size for size, _, _ in per_stream)
print(f"bench-server runtime {server}: {held} idle streams held")
print(f"heap still allocated: {total / held:,.0f} bytes per stream "
      f"({total / 1e6:.2f} MB in all)\n")
print("| bytes per stream | allocations per stream | first frame of ours or a library's |")
print("|---:|---:|---|")
for size, calls, label in sorted(per_stream, reverse=True):
    print(f"| {size / held:,.0f} | {calls / held:.2f} | `{label}` |")
print(f"| {shared / held:,.0f} | | everything allocated less than once per stream "
      "(the server's own state, pools) |")
