"""Which plugins may load: the curated-install policy.

An administrator controls plugin loading with environment variables and an
optional TOML policy file:

``AIMU_PLUGINS=aimu-openai,aimu-ollama``
    Allow-list of distribution or entry-point names. When set, nothing else loads.
``AIMU_DISABLE_PLUGINS=aimu-hf``
    Deny-list. Deny wins over allow.
``AIMU_PLUGIN_AUTOLOAD=0``
    No entry-point discovery at all: only plugins registered in code with
    :func:`aimu_core.plugins.register` load.
``AIMU_PLUGIN_POLICY=/etc/aimu/policy.toml``
    A file with the same settings plus version ranges per distribution::

        allow = ["aimu-openai", "aimu-ollama"]
        deny = ["aimu-hf"]
        autoload = true

        [versions]
        aimu-openai = ">=1,<2"

Environment variables win over the file for ``allow`` and ``autoload``; the
deny-lists of both apply. A blocked plugin's module is never imported.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigurationError

__all__ = ["Policy", "normalize_name"]

_FALSE = {"0", "false", "no", "off"}


def normalize_name(name: str) -> str:
    """Normalise a distribution or entry-point name the way PyPI does (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _split_list(value: str) -> frozenset[str]:
    return frozenset(normalize_name(part.strip()) for part in value.split(",") if part.strip())


@dataclass(frozen=True)
class Policy:
    """Allow/deny lists, the autoload switch and version ranges, already merged."""

    allow: frozenset[str] | None = None
    deny: frozenset[str] = frozenset()
    autoload: bool = True
    versions: Mapping[str, str] = field(default_factory=dict)
    source: str = "defaults"
    #: Where the allow-list and each denied name came from, for ``aimu plugins`` reasons.
    allow_origin: str = ""
    deny_origin: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Policy:
        """Build the policy from ``AIMU_*`` variables and the file they may point to."""
        env = os.environ if environ is None else environ
        allow: frozenset[str] | None = None
        deny: frozenset[str] = frozenset()
        autoload = True
        versions: dict[str, str] = {}
        sources = []
        allow_origin = ""
        deny_origin: dict[str, str] = {}

        path = env.get("AIMU_PLUGIN_POLICY")
        if path:
            file_policy = _read_policy_file(Path(path))
            allow, deny, autoload, versions = (
                file_policy.allow,
                file_policy.deny,
                file_policy.autoload,
                dict(file_policy.versions),
            )
            sources.append(f"policy file {path}")
            allow_origin = f"policy file {path}"
            deny_origin = dict.fromkeys(deny, f"policy file {path}")
        if env.get("AIMU_PLUGINS", "").strip():
            allow = _split_list(env["AIMU_PLUGINS"])
            sources.append("AIMU_PLUGINS")
            allow_origin = "AIMU_PLUGINS"
        if env.get("AIMU_DISABLE_PLUGINS", "").strip():
            env_deny = _split_list(env["AIMU_DISABLE_PLUGINS"])
            deny = deny | env_deny
            sources.append("AIMU_DISABLE_PLUGINS")
            deny_origin.update(dict.fromkeys(env_deny - deny_origin.keys(), "AIMU_DISABLE_PLUGINS"))
        if "AIMU_PLUGIN_AUTOLOAD" in env:
            autoload = env["AIMU_PLUGIN_AUTOLOAD"].strip().lower() not in _FALSE
            sources.append("AIMU_PLUGIN_AUTOLOAD")
        return cls(
            allow,
            deny,
            autoload,
            versions,
            ", ".join(sources) or "defaults",
            allow_origin,
            deny_origin,
        )

    def blocked_by(self, names: list[str], version: str | None) -> str | None:
        """Return the rule that blocks a plugin known by *names*, or ``None`` if it may load.

        *names* are the plugin's entry-point name and distribution name;
        *version* is the distribution's version.
        """
        keys = {normalize_name(n) for n in names if n}
        denied = sorted(keys & self.deny)
        if denied:
            origin = self.deny_origin.get(denied[0]) or self.source
            return f"deny-list ({origin}) names {denied[0]!r}"
        if self.allow is not None and not keys & self.allow:
            return f"not in the allow-list ({self.allow_origin or self.source})"
        for key in keys:
            spec = self.versions.get(key)
            if spec and version is not None and not _version_ok(version, spec):
                return f"version {version} is outside the policy's range {spec!r} for {key}"
        return None


def _read_policy_file(path: Path) -> Policy:
    import tomllib  # only when a policy file is set: it is not free to import

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(
            f"AIMU_PLUGIN_POLICY points to {path}, which does not exist. "
            "Fix the path or unset the variable."
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"Plugin policy file {path} is not valid TOML: {exc}") from None

    unknown = set(data) - {"allow", "deny", "autoload", "versions"}
    if unknown:
        raise ConfigurationError(
            f"Plugin policy file {path} has unknown keys {sorted(unknown)}; "
            "expected allow, deny, autoload and [versions]."
        )

    def names(key: str) -> list[str]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigurationError(f"Plugin policy file {path}: {key!r} must be a list of names")
        return value

    autoload = data.get("autoload", True)
    if not isinstance(autoload, bool):
        raise ConfigurationError(f"Plugin policy file {path}: 'autoload' must be true or false")
    versions = data.get("versions", {})
    if not isinstance(versions, dict) or not all(isinstance(v, str) for v in versions.values()):
        raise ConfigurationError(
            f'Plugin policy file {path}: [versions] maps distribution names to ranges like ">=1,<2"'
        )
    for spec in versions.values():
        try:
            _version_ok("0", spec)  # validate the range now, not when a plugin meets it
        except ConfigurationError as exc:
            raise ConfigurationError(f"Plugin policy file {path}: {exc}") from None
    return Policy(
        allow=frozenset(map(normalize_name, names("allow"))) if "allow" in data else None,
        deny=frozenset(map(normalize_name, names("deny"))),
        autoload=autoload,
        versions={normalize_name(k): v for k, v in versions.items()},
    )


def _version_ok(version: str, spec: str) -> bool:
    try:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet
        from packaging.version import InvalidVersion, Version
    except ImportError:
        raise ConfigurationError(
            "The plugin policy pins version ranges, which needs the 'packaging' library: "
            "pip install 'aimu-core[policy]'"
        ) from None
    try:
        specifier = SpecifierSet(spec)
    except InvalidSpecifier:
        raise ConfigurationError(
            f'Plugin policy version range {spec!r} is invalid; write it like ">=1,<2"'
        ) from None
    try:
        return Version(version) in specifier
    except InvalidVersion:
        return False
