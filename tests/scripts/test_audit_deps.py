"""scripts/audit-deps: a run that audited nothing fails instead of passing.

The unreachable case is a real run of pip-audit through a proxy at a closed port (requests
honours HTTPS_PROXY), so it covers pip-audit's own failure and our reading of it. The
other verdicts are tested on pip-audit's JSON report (its documented --format json); no
test here needs the vulnerability service to answer, which from these machines it does not
(every package comes back "not found", the case test_every_package_skipped covers)."""

import importlib.util
import os
import socket
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("audit_deps", ROOT / "scripts" / "audit_deps.py")
audit_deps = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(audit_deps)

NOT_FOUND = "Dependency not found on PyPI and could not be audited: {} ({})"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_service_fails_with_exit_2(tmp_path):
    proxy = f"http://127.0.0.1:{_closed_port()}"
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(HTTPS_PROXY=proxy, HTTP_PROXY=proxy, https_proxy=proxy, http_proxy=proxy)
    result = subprocess.run(
        [str(ROOT / "scripts" / "audit-deps"), "--cache-dir", str(tmp_path), "--timeout", "3"],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stderr.startswith(
        "audit-deps: NOTHING WAS AUDITED: pip-audit failed (exit 1) and could not reach the "
        "vulnerability service: "
    ), result.stderr
    assert "ProxyError" in result.stderr
    assert "No known vulnerabilities" not in result.stdout + result.stderr


def test_every_package_skipped_is_a_failure_not_a_pass():
    report = {
        "dependencies": [
            {"name": "django", "skip_reason": NOT_FOUND.format("django", "5.2.19")},
            {"name": "celery", "skip_reason": NOT_FOUND.format("celery", "5.7.0")},
            {"name": "ims", "skip_reason": "Dependency not found on PyPI and could not be audited: ims"},
        ],
        "fixes": [],
    }
    status, lines = audit_deps.summarize(report)
    assert status == 2
    assert lines[0] == (
        "audit-deps: NOTHING WAS AUDITED: all 3 packages were skipped, so this run proves nothing."
    )
    assert lines[1] == "audit-deps: first reason: " + NOT_FOUND.format("django", "5.2.19")


def test_an_empty_report_is_a_failure():
    assert audit_deps.summarize({"dependencies": [], "fixes": []})[0] == 2


def test_known_vulnerabilities_fail_with_exit_1():
    report = {
        "dependencies": [
            {
                "name": "django",
                "version": "5.2.1",
                "vulns": [
                    {"id": "PYSEC-2025-1", "fix_versions": ["5.2.2"], "aliases": [], "description": ""}
                ],
            },
            {"name": "celery", "version": "5.7.0", "vulns": []},
        ]
    }
    status, lines = audit_deps.summarize(report)
    assert status == 1
    assert lines == [
        "django 5.2.1: PYSEC-2025-1 (fixed in 5.2.2)",
        "audit-deps: 1 known vulnerability in 1 of 2 audited packages.",
    ]


def test_clean_passes_and_names_what_was_skipped():
    report = {
        "dependencies": [
            {"name": "django", "version": "5.2.19", "vulns": []},
            {"name": "celery", "version": "5.7.0", "vulns": []},
            {"name": "private-lib", "skip_reason": NOT_FOUND.format("private-lib", "1.0")},
            {"name": "ims", "skip_reason": "Dependency not found on PyPI and could not be audited: ims"},
        ]
    }
    status, lines = audit_deps.summarize(report)
    assert status == 0
    assert lines == [
        "audit-deps: warning: 1 package(s) skipped: private-lib",
        "audit-deps: 2 packages audited, no known vulnerabilities.",
    ]
