"""Runs the official MCP conformance suite (`@modelcontextprotocol/conformance`)
against `examples/mcp`, every scenario below at every revision the example
claims, and writes the results for matrix.py.

Usage: mcp_conformance.py   (MCP_CONFORMANCE_URL: the example's `/mcp`, started
with MCP_CONFORMANCE=1; INTEROP_RESULTS: where results go)

Two releases of the suite run, both pinned in package.json: the stable one
(0.1.16, revisions up to 2025-11-25) and the next one (0.2.0 alphas, which add
2026-07-28). Each needs Node 22, which npm's `node` package provides
(`node_modules/node/bin/node`); the system's Node may be older.

A scenario passes when the suite reports at least one SUCCESS and no FAILURE
or WARNING (a warning is a SHOULD the server missed). The suite's own list
(`conformance list`) says at which revisions it defines a scenario: at the
others the result is `n/a: ...`, which matrix.py shows as `–` with the reason;
a scenario that passes at no revision at all is a failure there.

Writes `conformance-<release>-<revision>.json` ({scenario: result}) per
release and revision, and prints one line per run.
"""

import glob
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
NODE = os.path.join(HERE, "node_modules", "node", "bin", "node")
RELEASES = [
    ("stable", "mcp-conformance-stable"),
    ("next", "mcp-conformance-next"),
]
# The revisions examples/mcp claims (protocol.rs), oldest first.
REVISIONS = ["2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28"]
# The scenarios about the transport, sessions, streams and lifecycle. Those
# about features the example does not offer (prompts with arguments,
# resource contents beyond its one resource, sampling, elicitation forms,
# completion, tasks) are left out: README, "MCP servers", says why.
SCENARIOS = [
    "server-initialize",
    "server-session-lifecycle",
    "server-stateless",
    "ping",
    "tools-list",
    "server-sse-polling",
    "server-sse-multiple-streams",
    "dns-rebinding-protection",
    "http-header-validation",
    "http-custom-header-server-validation",
    "caching",
]


def listed(package):
    """{scenario: [revisions]} of the release's server scenarios."""
    entry = os.path.join(HERE, "node_modules", package, "dist", "index.js")
    out = subprocess.run([NODE, entry, "list"], capture_output=True, text=True, timeout=120, check=True).stdout
    server = out.split("Server scenarios", 1)[1].split("Client scenarios", 1)[0]
    return {name: versions.split(",") for name, versions in re.findall(r"^\s*- (\S+) \[([^\]]*)\]", server, re.M)}


def run(package, url, scenario, revision):
    """`pass`, or `fail: ...` naming the checks that did not succeed."""
    entry = os.path.join(HERE, "node_modules", package, "dist", "index.js")
    with tempfile.TemporaryDirectory() as out:
        command = [NODE, entry, "server", "--url", url, "--scenario", scenario,
                   "--spec-version", revision, "-o", out]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=180)
        except subprocess.TimeoutExpired:
            return "fail: the suite did not finish in 180 s"
        found = glob.glob(os.path.join(out, "*", "checks.json"))
        if not found:
            tail = (done.stdout + done.stderr).strip().splitlines()[-3:]
            return f"fail: the suite wrote no checks (exit {done.returncode}): {' / '.join(tail)}"
        with open(found[0]) as f:
            checks = json.load(f)
    bad = [c for c in checks if c.get("status") in ("FAILURE", "WARNING")]
    if bad:
        return "fail: " + "; ".join(f"{c['status']} {c['id']}: {(c.get('errorMessage') or '')[:160]}" for c in bad)
    if not any(c.get("status") == "SUCCESS" for c in checks):
        return "fail: no check succeeded (" + ", ".join(sorted({c.get("status", "?") for c in checks})) + ")"
    return "pass"


def main():
    url = os.environ["MCP_CONFORMANCE_URL"]
    results = os.environ["INTEROP_RESULTS"]
    status = 0
    for release, package in RELEASES:
        try:
            scenarios = listed(package)
        except (OSError, subprocess.SubprocessError) as error:
            print(f"!!! conformance {release}: cannot list its scenarios: {error}")
            return 1
        for revision in REVISIONS:
            column = {}
            for scenario in SCENARIOS:
                if scenario not in scenarios:
                    column[scenario] = f"n/a: not in the {release} release"
                elif revision not in scenarios[scenario]:
                    column[scenario] = f"n/a: {release} defines it for {', '.join(scenarios[scenario])} only"
                else:
                    column[scenario] = run(package, url, scenario, revision)
                    print(f"conformance {release} {revision} {scenario}: {column[scenario]}")
                    if column[scenario] != "pass":
                        status = 1
            with open(os.path.join(results, f"conformance-{release}-{revision}.json"), "w") as f:
                json.dump(column, f, indent=1)
    return status


if __name__ == "__main__":
    sys.exit(main())
