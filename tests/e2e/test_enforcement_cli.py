"""`klean enforcement check-policy` on good and malformed files (TOML and YAML); start-up refuses a bad policy."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from klean.bootstrap import App
from klean.domain.errors import ValidationError
from klean.domain.policy_file import bundled_policy_text, parse_policy


def _klean(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from klean.adapters.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})})


def test_bundled_policy_checks_out() -> None:
    r = _klean("enforcement", "check-policy")
    assert r.returncode == 0, r.stderr
    assert "enforcement section valid" in r.stdout and "8 points: suspension" in r.stdout


def test_the_same_policy_in_yaml_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(tomllib.loads(bundled_policy_text()), allow_unicode=True), "utf-8")
    r = _klean("enforcement", "check-policy", str(path))
    assert r.returncode == 0, r.stderr
    assert "3 points: restriction (brand) for 90 days" in r.stdout


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("broken.toml", "version = '2027.1'\n[enforcement\n", "not valid TOML"),
    ("broken.yaml", "version: '2027.1'\nenforcement: [unclosed\n", "not valid YAML"),
    ("list.yaml", "- just\n- a list\n", "a policy is a mapping"),
    ("noversion.toml", "[enforcement]\nstrike_expiry_days = 30\n", "`version` must be a non-empty string"),
    ("typo.toml", bundled_policy_text().replace("strike_expiry_days = 365", "strike_expiry_dayz = 365"),
     "unknown key(s) strike_expiry_dayz"),
    ("milder.toml", bundled_policy_text().replace('action = "suspension"', 'action = "warning"'),
     "never get milder"),
])
def test_malformed_policy_files_are_rejected_with_reasons(tmp_path: Path, name: str, text: str,
                                                          expected: str) -> None:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    r = _klean("enforcement", "check-policy", str(path))
    assert r.returncode == 2
    assert expected in r.stderr and "Traceback" not in r.stderr


def test_the_server_refuses_to_start_with_a_malformed_enforcement_policy(klean_app: App) -> None:
    from klean.adapters.api.app import create_app

    bad = parse_policy(bundled_policy_text().replace('missing = "hold"', 'missing = "shrug"'), source="bad.toml")
    with pytest.raises(ValidationError, match=r"enforcement\.authorisation\.missing"):
        create_app(dataclasses.replace(klean_app, policy=bad))


def test_jobs_run_reports_a_bad_policy_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(bundled_policy_text().replace("points = 8", "points = 0"), "utf-8")
    r = _klean("jobs", "run", env={"KLEAN_POLICY_PATH": str(path), "KLEAN_HOME": str(tmp_path / "home")})
    assert r.returncode == 2 and "enforcement.ladder[3].points" in r.stderr and "Traceback" not in r.stderr
