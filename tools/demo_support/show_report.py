"""Prints sst-rewrite's JSON static report (read from stdin) as one line per
finding: FILE:LINE, kind, API, destination and categories."""
from __future__ import annotations

import json
import sys


def main() -> int:
    report = json.load(sys.stdin)
    findings = report["findings"]
    width = max((len(f"{f['file']}:{f['line']}") for f in findings), default=0)
    api_width = max((len(f["api"]) for f in findings), default=0)
    for f in findings:
        site = f"{f['file']}:{f['line']}"
        cats = ", ".join(f["categories"]) or "-"
        dest = f" -> {f['destination']}" if f.get("destination") else ""
        print(f"  {site:<{width}}  {f['kind']:<8} {f['api']:<{api_width}}  {cats}{dest}")
    s = report["summary"]
    print(f"  {s['findings']} findings in {s['files']} Python files "
          f"({sum(1 for f in findings if not f['categories'])} with no category found statically)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
