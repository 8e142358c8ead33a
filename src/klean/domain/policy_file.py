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
    return _document(data, source)


def parse_policy_yaml(text: str, *, source: str = "<text>") -> PolicyDocument:
    """The same document written in YAML (safe loader: no tags, no objects)."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationError(f"{source}: not valid YAML: {exc}", field="policy") from exc
    if not isinstance(data, dict):
        raise ValidationError(f"{source}: a policy is a mapping with `version` and one table per section",
                              field="policy")
    return _document(data, source)


def _document(data: dict[str, Any], source: str) -> PolicyDocument:
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
    if path.suffix.lower() in (".yaml", ".yml"):
        return parse_policy_yaml(path.read_text("utf-8"), source=str(path))
    return parse_policy(path.read_text("utf-8"), source=str(path))
