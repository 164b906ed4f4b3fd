"""`make bench`: run every benchmark with its default sizes and print the figures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = [
    ["statements.py", "--db", "both"],
    ["entry.py", "--db", "both"],
    ["entry.py", "--db", "both", "--sites", "50", "--idempotency"],
    ["stock.py", "--db", "sqlite"],
    ["stock.py", "--db", "postgres"],
    ["import.py", "--db", "both", "--rows", "1000000"],
    ["export.py", "--db", "sqlite"],
]


def main() -> int:
    status = 0
    print(f"nproc {os.cpu_count()}, load average {os.getloadavg()}", flush=True)
    for script, *args in SCRIPTS:
        if not (HERE / script).exists():
            continue
        print(f"== {script} {' '.join(args)}", flush=True)
        status |= subprocess.call([sys.executable, script, *args], cwd=HERE)
    return status


if __name__ == "__main__":
    sys.exit(main())
