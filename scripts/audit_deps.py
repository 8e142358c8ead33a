"""Audit the locked dependencies for known vulnerabilities (pip-audit against PyPI's advisory data).

    python scripts/audit_deps.py [LOCKFILE ...]     (default: requirements-test.txt, a superset of requirements.txt)

Exit 1 when a locked release has a known vulnerability that `.ci/audit-ignore.txt` does not list (one advisory id
per line, with the reason after a #). Offline-tolerant: when the advisory service cannot be reached, or does not
know a package, the packages left unaudited are named and the exit code stays 0, so CI on a closed network still
runs the tests; the scheduled lock update (.github/workflows/update-locks.yml) runs the audit with the network.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IGNORE_FILE = ROOT / ".ci" / "audit-ignore.txt"


def ignored_ids() -> set[str]:
    if not IGNORE_FILE.exists():
        return set()
    return {line.split("#", 1)[0].strip() for line in IGNORE_FILE.read_text("utf-8").splitlines()} - {""}


def audit(lockfile: Path) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "audit.json"
        proc = subprocess.run([sys.executable, "-m", "pip_audit", "--disable-pip", "--requirement", str(lockfile),
                               "--vulnerability-service", "pypi", "--format", "json", "--output", str(out),
                               "--progress-spinner", "off", "--timeout", "10"],
                              capture_output=True, text=True, check=False)
        if not out.exists():
            print(f"audit: pip-audit could not run on {lockfile.name} (exit {proc.returncode}); not audited:\n"
                  f"{proc.stderr.strip()[-2000:]}", file=sys.stderr)
            return 0
        report = json.loads(out.read_text("utf-8"))
    deps = report.get("dependencies", [])
    skip = ignored_ids()
    found = [(d["name"], d["version"], v) for d in deps for v in d.get("vulns", [])
             if v["id"] not in skip and not skip.intersection(v.get("aliases", []))]
    unaudited = [d["name"] for d in deps if d.get("skip_reason")]
    audited = len(deps) - len(unaudited)
    print(f"audit: {lockfile.name}: {audited} of {len(deps)} locked packages audited, "
          f"{len(found)} known vulnerabilities")
    if unaudited:
        print(f"audit: WARNING: {len(unaudited)} packages could not be audited (advisory service unreachable or "
              f"package unknown to it): {', '.join(unaudited[:12])}{' ...' if len(unaudited) > 12 else ''}")
    for name, version, v in found:
        fixes = ", ".join(v.get("fix_versions", [])) or "none yet"
        print(f"audit: {name} {version}: {v['id']} (fixed in {fixes}): {v.get('description', '')[:200]}")
    return 1 if found else 0


def main(argv: list[str]) -> int:
    files = [Path(a) for a in argv] or [ROOT / "requirements-test.txt"]
    return max(audit(f) for f in files)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
