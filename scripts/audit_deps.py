"""Audit the installed environment for known vulnerabilities with pip-audit, and refuse to
pass when nothing was audited.

pip-audit exits 0 with "No known vulnerabilities found" even when it skipped every package
(a vulnerability service that answers "not found" for all of them, as a closed network's
proxy does). This wrapper reads its JSON report instead and exits:

  0  every package that could be audited was, and none has a known vulnerability
  1  known vulnerabilities (listed)
  2  nothing was audited: the service could not be reached or every package was skipped

Usage: scripts/audit-deps [pip-audit options, e.g. --vulnerability-service osv]
"""

import json
import subprocess
import sys
from pathlib import Path

PIP_AUDIT = Path(sys.executable).with_name("pip-audit")
# the project itself, installed editable, is not on PyPI: skipping it is expected
OWN_PACKAGES = {"ims"}


def summarize(report: dict) -> tuple[int, list[str]]:
    """(exit status, lines to print) for pip-audit's JSON report."""
    deps = report.get("dependencies", [])
    skipped = [d for d in deps if "skip_reason" in d and d["name"].lower() not in OWN_PACKAGES]
    audited = [d for d in deps if "skip_reason" not in d]
    vulnerable = [d for d in audited if d.get("vulns")]
    if not audited:
        reason = skipped[0]["skip_reason"] if skipped else "pip-audit listed no packages"
        return 2, [
            f"audit-deps: NOTHING WAS AUDITED: all {len(deps)} packages were skipped, "
            "so this run proves nothing.",
            f"audit-deps: first reason: {reason}",
            "audit-deps: the vulnerability service is probably unreachable from here; run it where "
            "pypi.org (or --vulnerability-service osv) answers.",
        ]
    lines = []
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fix yet"
            lines.append(f"{dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixes})")
    if skipped:
        lines.append(
            f"audit-deps: warning: {len(skipped)} package(s) skipped: "
            + ", ".join(d["name"] for d in skipped)
        )
    if vulnerable:
        count = sum(len(d["vulns"]) for d in vulnerable)
        lines.append(
            f"audit-deps: {count} known vulnerabilit{'y' if count == 1 else 'ies'} in "
            f"{len(vulnerable)} of {len(audited)} audited packages."
        )
        return 1, lines
    lines.append(f"audit-deps: {len(audited)} packages audited, no known vulnerabilities.")
    return 0, lines


def main(argv: list[str]) -> int:
    command = [str(PIP_AUDIT), "--local", "--format", "json", "--progress-spinner", "off", *argv]
    result = subprocess.run(command, capture_output=True, text=True)
    try:
        report = json.loads(result.stdout)
    except ValueError:
        last = (result.stderr.strip().splitlines() or ["(no output)"])[-1]
        print(
            f"audit-deps: NOTHING WAS AUDITED: pip-audit failed (exit {result.returncode}) and "
            f"could not reach the vulnerability service: {last}",
            file=sys.stderr,
        )
        return 2
    status, lines = summarize(report)
    print("\n".join(lines), file=sys.stderr if status else sys.stdout)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
