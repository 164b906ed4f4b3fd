"""`make bench`: run every benchmark with its default sizes and print the figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = [
    ["entry.py", "--db", "both"],
    ["stock.py", "--db", "sqlite"],
    ["stock.py", "--db", "postgres"],
    ["export.py", "--db", "sqlite"],
]


def main() -> int:
    status = 0
    for script, *args in SCRIPTS:
        if not (HERE / script).exists():
            continue
        print(f"== {script} {' '.join(args)}", flush=True)
        status |= subprocess.call([sys.executable, script, *args], cwd=HERE)
    return status


if __name__ == "__main__":
    sys.exit(main())
