"""Which plugins may load: the curated-install policy.

An administrator controls plugin loading with environment variables and an
optional TOML policy file:

``AIMU_PLUGINS=aimu-openai,aimu-ollama``
    Allow-list. When set, nothing else loads.
``AIMU_DISABLE_PLUGINS=aimu-hf``
    Deny-list. Deny wins over allow.
``AIMU_PLUGIN_AUTOLOAD=0``
    No entry-point discovery at all: only plugins registered in code with
    :func:`aimu_core.plugins.register` load (``1``/``0``, ``true``/``false``,
    ``yes``/``no``, ``on``/``off``; anything else is an error).
``AIMU_PLUGIN_POLICY=/etc/aimu/policy.toml``
    A file with the same settings plus version ranges per distribution::

        allow = ["aimu-openai", "aimu-ollama:ollama"]
        deny = ["aimu-hf"]
        autoload = true

        [versions]
        aimu-openai = ">=1,<2"

Environment variables win over the file for ``allow`` and ``autoload``; the
deny-lists of both apply. A blocked plugin's module is never imported.

Lists name plugins by **distribution**: ``aimu-openai`` (every entry point
of it) or ``aimu-openai:openai`` (one entry point of it). Entry-point names
alone never match: any package may declare any entry-point name, but a
distribution name is the installed package's own. A plugin registered in
code is known by its top-level module written as a distribution name
(``aimu_echo`` -> ``aimu-echo``); the lists and the file apply to it too,
only the autoload switch does not.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import ConfigurationError

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["Policy", "normalize_name", "plugin_keys"]

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})

# A distribution name (PEP 508) and an entry-point name (the packaging spec's
# recommended characters); a list entry is ``distribution`` or ``distribution:entry-point``.
_DISTRIBUTION = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?\Z")
_ENTRY_POINT = re.compile(r"[\w.-]+\Z")


def _clip(value: object, limit: int = 60) -> str:
    """``repr`` of user input, cut to *limit* characters: error messages stay short."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 5]}...{text[-2:]}"


def normalize_name(name: str) -> str:
    """Normalise a distribution or entry-point name the way PyPI does (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _normalize_entry(entry: str, where: str) -> str:
    """``Aimu_OpenAI:OpenAI`` -> ``aimu-openai:openai``: each side normalised.

    Raises ConfigurationError naming *where* the entry came from when it is not
    ``distribution`` or ``distribution:entry-point``.
    """
    distribution, sep, entry_point = (part.strip() for part in entry.strip().partition(":"))
    if not _DISTRIBUTION.match(distribution) or (sep and not _ENTRY_POINT.match(entry_point)):
        raise ConfigurationError(
            f"{where} entry {_clip(entry.strip())} is not a plugin name: write a distribution name "
            "(aimu-openai) or distribution:entry-point (aimu-openai:openai)"
        )
    if not sep:
        return normalize_name(distribution)
    return f"{normalize_name(distribution)}:{normalize_name(entry_point)}"


def _split_list(value: str, where: str) -> frozenset[str]:
    return frozenset(_normalize_entry(part, where) for part in value.split(",") if part.strip())


def plugin_keys(distribution: str | None, entry_point: str | None) -> frozenset[str]:
    """The names the lists may use for a plugin: its distribution, and distribution:entry-point."""
    if not distribution:
        return frozenset()
    dist = normalize_name(distribution)
    if not entry_point:
        return frozenset({dist})
    return frozenset({dist, f"{dist}:{normalize_name(entry_point)}"})


def _parse_bool(name: str, value: str) -> bool:
    word = value.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ConfigurationError(
        f"{name}={_clip(value, 40)} is not a boolean: use 1 or 0 (also true/false, yes/no, on/off)"
    )


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
    #: Where ``autoload`` was set (``""`` for the default), for diagnostics.
    autoload_origin: str = ""

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
        autoload_origin = ""

        path = env.get("AIMU_PLUGIN_POLICY")
        if path:
            from pathlib import Path  # only with a policy file: pathlib is not free to import

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
            autoload_origin = file_policy.autoload_origin and f"policy file {path}"
        if env.get("AIMU_PLUGINS", "").strip():
            allow = _split_list(env["AIMU_PLUGINS"], "AIMU_PLUGINS")
            sources.append("AIMU_PLUGINS")
            allow_origin = "AIMU_PLUGINS"
        if env.get("AIMU_DISABLE_PLUGINS", "").strip():
            env_deny = _split_list(env["AIMU_DISABLE_PLUGINS"], "AIMU_DISABLE_PLUGINS")
            deny = deny | env_deny
            sources.append("AIMU_DISABLE_PLUGINS")
            deny_origin.update(dict.fromkeys(env_deny - deny_origin.keys(), "AIMU_DISABLE_PLUGINS"))
        if "AIMU_PLUGIN_AUTOLOAD" in env:
            autoload = _parse_bool("AIMU_PLUGIN_AUTOLOAD", env["AIMU_PLUGIN_AUTOLOAD"])
            sources.append("AIMU_PLUGIN_AUTOLOAD")
            autoload_origin = "AIMU_PLUGIN_AUTOLOAD"
        return cls(
            allow,
            deny,
            autoload,
            versions,
            ", ".join(sources) or "defaults",
            allow_origin,
            deny_origin,
            autoload_origin,
        )

    def blocked_by(
        self, distribution: str | None, entry_point: str | None, version: str | None
    ) -> str | None:
        """Return the rule that blocks a plugin, or ``None`` if it may load.

        *distribution* is the name of the distribution that declares the plugin
        (for one registered in code, its top-level module); *entry_point* the
        entry point's name; *version* the distribution's version.
        """
        keys = plugin_keys(distribution, entry_point)
        denied = sorted(keys & self.deny)
        if denied:
            origin = self.deny_origin.get(denied[0]) or self.source
            return f"deny-list ({origin}) names {denied[0]!r}"
        if self.allow is not None and not keys & self.allow:
            return f"not in the allow-list ({self.allow_origin or self.source})"
        spec = self.versions.get(normalize_name(distribution)) if distribution else None
        if spec and version is not None and not _version_ok(version, spec):
            return f"version {version} is outside the policy's range {spec!r} for {distribution}"
        return None

    def misnamed(self, distribution: str | None, entry_point: str | None) -> list[str]:
        """Where a list names this plugin's *entry point* but not its distribution.

        Lists match distribution names only, so such an entry does not apply to
        this plugin; ``aimu plugins`` says so, to help lists written for entry-point
        names. Returns one line per list, like ``"the deny-list (AIMU_DISABLE_PLUGINS)
        names 'echo', which is this plugin's entry point, ..."``.
        """
        if not entry_point:
            return []
        name, keys = normalize_name(entry_point), plugin_keys(distribution, entry_point)
        dist = normalize_name(distribution) if distribution else None
        fix = f"write {dist!r} or '{dist}:{name}'" if dist else "it has no distribution name"
        notes = []
        if self.allow is not None and name in self.allow and not keys & self.allow:
            notes.append(
                f"the allow-list ({self.allow_origin or self.source}) names {name!r}, which is "
                f"this plugin's entry point, not its distribution: to allow it, {fix}"
            )
        if name in self.deny and not keys & self.deny:
            origin = self.deny_origin.get(name) or self.source
            notes.append(
                f"the deny-list ({origin}) names {name!r}, which is this plugin's entry point, "
                f"not its distribution, so it does not block it: to block it, {fix}"
            )
        return notes


def _read_policy_file(path: Path) -> Policy:
    import tomllib  # only when a policy file is set: it is not free to import

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(
            f"AIMU_PLUGIN_POLICY points to {path}, which does not exist. "
            "Fix the path or unset the variable."
        ) from None
    except IsADirectoryError:
        raise ConfigurationError(
            f"AIMU_PLUGIN_POLICY points to {path}, which is a directory; point it to the TOML file."
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigurationError(
            f"Plugin policy file {path} is not UTF-8 text (byte {exc.start}); save it as UTF-8 TOML."
        ) from None
    except OSError as exc:
        raise ConfigurationError(
            f"Cannot read plugin policy file {path}: {exc.strerror or type(exc).__name__}"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"Plugin policy file {path} is not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigurationError(
            f"Plugin policy file {path} is not valid TOML: its values nest too deeply"
        ) from None

    unknown = sorted(set(data) - {"allow", "deny", "autoload", "versions"})
    if unknown:
        shown = _clip(unknown[:3]) + (f" and {len(unknown) - 3} more" if len(unknown) > 3 else "")
        raise ConfigurationError(
            f"Plugin policy file {path} has unknown keys {shown}; "
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
    for key in versions:
        if not _DISTRIBUTION.match(key):
            raise ConfigurationError(
                f"Plugin policy file {path}: [versions] key {_clip(key)} is not a distribution name"
            )

    def entries(key: str) -> frozenset[str]:
        return frozenset(
            _normalize_entry(n, f"Plugin policy file {path}: {key!r}") for n in names(key)
        )

    return Policy(
        allow=entries("allow") if "allow" in data else None,
        deny=entries("deny"),
        autoload=autoload,
        versions={normalize_name(k): v for k, v in versions.items()},
        autoload_origin="file" if "autoload" in data else "",
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
            f'Plugin policy version range {_clip(spec)} is invalid; write it like ">=1,<2"'
        ) from None
    try:
        return Version(version) in specifier
    except InvalidVersion:
        return False
