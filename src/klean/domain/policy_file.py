"""The policy document: a version and one section per feature, each validated by its own module."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from klean.domain.errors import ValidationError


@dataclass(frozen=True)
class PolicyDocument:
    version: str
    sections: Mapping[str, Mapping[str, Any]]
    source: str = "<bundled>"

    def section(self, name: str) -> Mapping[str, Any]:
        return self.sections.get(name, {})


def parse_policy(text: str, *, source: str = "<text>") -> PolicyDocument:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"{source}: not valid TOML: {exc}", field="policy") from exc
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        raise ValidationError(f"{source}: `version` must be a non-empty string", field="version")
    sections = {k: v for k, v in data.items() if k != "version"}
    for name, value in sections.items():
        if not isinstance(value, dict):
            raise ValidationError(f"{source}: [{name}] must be a table", field=name)
    return PolicyDocument(version=version, sections=sections, source=source)


def bundled_policy_text() -> str:
    return resources.files("klean.data").joinpath("policy.toml").read_text("utf-8")


def read_policy(path: Path | None = None) -> PolicyDocument:
    """The policy at `path`, or the bundled default. (Reading a file is the one side effect here.)"""
    if path is None:
        return parse_policy(bundled_policy_text(), source="<bundled policy.toml>")
    return parse_policy(path.read_text("utf-8"), source=str(path))
