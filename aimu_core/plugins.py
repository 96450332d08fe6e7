"""Plugin discovery, isolation and the registry of what plugins contribute.

Plugins are found through the ``aimu`` entry-point group (read from
distribution metadata, so a blocked plugin is never imported), filtered by the
:class:`~aimu_core.policy.Policy`, registered with a pluggy
``PluginManager`` and asked for their records through the hooks in
:mod:`aimu_core.hookspecs`.

Nothing happens at ``import aimu_core``: the process-wide manager is built the
first time a model string is resolved or plugins are listed, and kept until
:func:`refresh`. Tests build their own :class:`PluginManager`.
"""

from __future__ import annotations

import sys
import time
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pluggy

from . import hookspecs
from .entry_points import entry_points
from .errors import PluginConflictError, PluginUnavailableError, UnknownProviderError, quoted
from .policy import Policy, normalize_name
from .records import ImageProvider, MemoryBackend, RunnerRecord, TextProvider, ToolRecord

__all__ = [
    "PLUGIN_API_VERSION",
    "PluginInfo",
    "PluginManager",
    "get_manager",
    "refresh",
    "register",
    "unregister",
]

#: The plugin API this aimu-core speaks. A plugin module declares the version it
#: was written for as ``AIMU_PLUGIN_API = 1``; a different number fails it, none
#: is a warning.
PLUGIN_API_VERSION = 1

Status = Literal["loaded", "blocked", "failed"]

# hook name -> (record type, kind used in PluginInfo.contributes)
_HOOKS: dict[str, tuple[type, str]] = {
    "aimu_text_providers": (TextProvider, "text_providers"),
    "aimu_image_providers": (ImageProvider, "image_providers"),
    "aimu_runners": (RunnerRecord, "runners"),
    "aimu_tools": (ToolRecord, "tools"),
    "aimu_memory_backends": (MemoryBackend, "memory_backends"),
}

# Install hints for prefixes of first-party plugins. Used only to word an error
# message: the providers themselves come from the plugins like any other.
_FIRST_PARTY = {
    "llamacpp": "aimu-llamacpp",
    "hf": "aimu-hf",
    "openai": "aimu-openai",
    "gemini": "aimu-openai",
    "lmstudio": "aimu-openai",
    "vllm": "aimu-openai",
    "llamaserver": "aimu-openai",
    "openai-compat": "aimu-openai",
    "ollama": "aimu-ollama",
    "anthropic": "aimu-anthropic",
    "chroma": "aimu-chroma",
}
#: The same, for image-provider prefixes (their own namespace: ``gemini`` is another plugin's).
_FIRST_PARTY_IMAGES = {"gemini": "aimu-gemini", "hf": "aimu-hf"}


@dataclass
class PluginInfo:
    """What discovery learned about one plugin; one row of ``aimu plugins``."""

    name: str
    distribution: str | None
    version: str | None
    entry_point: str | None
    status: Status = "loaded"
    reason: str = ""
    hooks: list[str] = field(default_factory=list)
    contributes: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    import_seconds: float = 0.0

    @property
    def label(self) -> str:
        if self.distribution and normalize_name(self.distribution) != normalize_name(self.name):
            return f"{self.name} ({self.distribution} {self.version})"
        return f"{self.name} ({self.version})" if self.version else self.name

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "entry_point": self.entry_point,
            "status": self.status,
            "reason": self.reason,
            "hooks": self.hooks,
            "contributes": self.contributes,
            "warnings": self.warnings,
            "import_seconds": round(self.import_seconds, 6),
        }


class _Invalid(Exception):
    """A plugin broke the contract; the message says how."""


class PluginManager:
    """Discovers plugins, applies the policy and holds the registry of contributions.

    Args:
        plugins: objects registered in code (modules or instances with
            ``@hookimpl`` functions). The policy's lists and file apply to them
            (each is known by its top-level module written as a distribution
            name: ``aimu_echo`` is ``aimu-echo``); the autoload switch does not.
        policy: the loading policy; read from the environment when omitted.
        environ: the environment to read the policy (and the discovery cache's
            settings, see :mod:`aimu_core.entry_points`) from; defaults to ``os.environ``.
        builtin: register core's built-in plugin (runners and tools).
    """

    def __init__(
        self,
        plugins: Iterable[object] = (),
        *,
        policy: Policy | None = None,
        environ: Mapping[str, str] | None = None,
        builtin: bool = True,
    ) -> None:
        self.policy = policy if policy is not None else Policy.from_env(environ)
        self._environ = environ
        self._pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self._pm.add_hookspecs(hookspecs)
        self.plugins: list[PluginInfo] = []
        self.text_providers: dict[str, TextProvider] = {}
        #: Records of ``aimu_text_providers`` that name an embedding client, by prefix.
        self.embedding_providers: dict[str, TextProvider] = {}
        self.image_providers: dict[str, ImageProvider] = {}
        self.runners: dict[str, RunnerRecord] = {}
        self.tools: dict[str, ToolRecord] = {}
        self.memory_backends: dict[str, MemoryBackend] = {}
        self.conflicts: dict[tuple[str, str], list[str]] = {}
        #: The records of each conflict, in the order of :attr:`conflicts` (for ``aimu models``).
        self.conflicted: dict[tuple[str, str], list[tuple[Any, PluginInfo]]] = {}
        self._owner: dict[tuple[str, str], PluginInfo] = {}
        self._internal: dict[str, PluginInfo] = {}  # pluggy's name -> the plugin's row
        self._blocked_modules: dict[str, PluginInfo] = {}  # entry-point module -> its row

        if builtin:
            from . import _builtin

            self._add(_builtin, PluginInfo("aimu-core", "aimu-core", _core_version(), None))
        if self.policy.autoload:
            self._discover_entry_points()
        for obj in plugins:
            self._add_explicit(obj)

    # -- discovery ---------------------------------------------------------------

    def _discover_entry_points(self) -> None:
        for ep in entry_points(hookspecs.PROJECT_NAME, self._environ):
            info = PluginInfo(
                name=ep.name, distribution=ep.distribution, version=ep.version, entry_point=ep.value
            )
            rule = self.policy.blocked_by(info.distribution, ep.name, info.version)
            notes = self.policy.misnamed(info.distribution, ep.name)
            if rule:
                info.status, info.reason = "blocked", "; ".join([rule, *notes])
                self.plugins.append(info)
                self._blocked_modules[ep.module] = info
                continue
            info.warnings.extend(notes)
            started = time.perf_counter()
            try:
                obj = ep.load()
            except Exception as exc:  # any import-time failure isolates the plugin
                info.import_seconds = time.perf_counter() - started
                self._fail(info, f"import failed: {type(exc).__name__}: {exc}")
                continue
            info.import_seconds = time.perf_counter() - started
            self._add(obj, info, module=ep.module)

    def _add_explicit(self, obj: object) -> None:
        if self._pm.is_registered(obj):
            return  # already found through its entry point: registering it again is a no-op
        name = getattr(obj, "__name__", None) or type(obj).__name__
        info = PluginInfo(name=name, distribution=None, version=None, entry_point=None)
        module = _module_of(obj)
        if module in self._blocked_modules:
            return  # its entry point was blocked: the same plugin, already listed as blocked
        # Known to the policy by its top-level module, written as a distribution name.
        known_as = normalize_name(module.split(".")[0])
        rule = self.policy.blocked_by(known_as, None, None)
        if rule:
            if rule.startswith("not in the allow-list"):
                rule += f"; registered in code, it is known as {known_as!r} (its top-level module)"
            info.status, info.reason = "blocked", rule
            self.plugins.append(info)
            return
        self._add(obj, info, module=module)

    def _add(self, obj: object, info: PluginInfo, *, module: str | None = None) -> None:
        internal = f"{info.name}#{len(self.plugins)}"
        try:
            self._check_api_version(obj, info, module)
            self._pm.register(obj, name=internal)
        except _Invalid as exc:
            self._fail(info, str(exc))
            return
        except pluggy.PluginValidationError as exc:
            # pluggy names the plugin by its internal name ('name#3'): say it our way.
            detail = str(exc).replace(repr(internal), repr(info.name)).replace(internal, info.name)
            self._fail(info, "; ".join(detail.splitlines()))
            return
        except ValueError as exc:
            other = self._internal.get(self._pm.get_name(obj) or "")
            if other is not None:
                self._fail(info, f"it is the same object as plugin {other.label}, already loaded")
            else:
                self._fail(info, str(exc).replace(internal, info.name))
            return
        self._internal[internal] = info
        callers = self._pm.get_hookcallers(obj) or []
        info.hooks = sorted(c.name for c in callers if c.has_spec())
        info.warnings += [
            f"implements {c.name!r}, which is not an aimu hook (typo?)"
            for c in callers
            if not c.has_spec()
        ]
        try:
            collected = {hook: self._call(obj, hook) for hook in info.hooks}
        except _Invalid as exc:
            self._pm.unregister(obj)
            self._fail(info, str(exc))
            return
        for hook, records in collected.items():
            self._index(hook, records, info)
        self.plugins.append(info)

    def _fail(self, info: PluginInfo, reason: str) -> None:
        info.status, info.reason = "failed", reason
        self.plugins.append(info)

    @staticmethod
    def _check_api_version(obj: object, info: PluginInfo, module: str | None) -> None:
        declared = getattr(obj, "AIMU_PLUGIN_API", None)
        if declared is None and module and not isinstance(obj, types.ModuleType):
            # An entry point naming ``module:object``: the module may declare it.
            declared = getattr(sys.modules.get(module), "AIMU_PLUGIN_API", None)
        if declared is None:
            if isinstance(obj, types.ModuleType) or info.entry_point:
                info.warnings.append(
                    f"declares no AIMU_PLUGIN_API; add AIMU_PLUGIN_API = {PLUGIN_API_VERSION} "
                    "to the plugin module (a later aimu-core may refuse plugins without it)"
                )
            return
        if declared != PLUGIN_API_VERSION:
            raise _Invalid(
                f"written for aimu plugin API {declared!r}, but this aimu-core speaks "
                f"{PLUGIN_API_VERSION}: install a version of the plugin made for this aimu-core"
            )

    def _call(self, obj: object, hook: str) -> list[Any]:
        record_type, _ = _HOOKS[hook]
        impl = next(i for i in getattr(self._pm.hook, hook).get_hookimpls() if i.plugin is obj)
        try:
            result = impl.function()
        except Exception as exc:
            raise _Invalid(f"hook {hook} raised {type(exc).__name__}: {exc}") from exc
        if not isinstance(result, (list, tuple)):
            raise _Invalid(f"hook {hook} returned {type(result).__name__}, expected a list")
        for item in result:
            if not isinstance(item, record_type):
                raise _Invalid(
                    f"hook {hook} returned {quoted(item)}; expected {record_type.__name__} records"
                )
        return list(result)

    def _index(self, hook: str, records: list[Any], info: PluginInfo) -> None:
        _, hook_kind = _HOOKS[hook]
        for record in records:
            for kind in _kinds(hook_kind, record):
                self._index_record(kind, record, info)

    def _index_record(self, kind: str, record: Any, info: PluginInfo) -> None:
        table: dict[str, Any] = getattr(self, kind)
        keys = getattr(record, "prefixes", (record.name,))
        info.contributes.setdefault(kind, []).append(record.name)
        for key in keys:
            slot = (kind, key)
            if slot in self.conflicts:
                self.conflicts[slot].append(info.label)
                self.conflicted[slot].append((record, info))
                info.warnings.append(_conflict_warning(kind, key, self.conflicts[slot][0]))
            elif key in table:
                owner = self._owner[slot]
                self.conflicts[slot] = [owner.label, info.label]
                self.conflicted[slot] = [(table[key], owner), (record, info)]
                del table[key]
                owner.warnings.append(_conflict_warning(kind, key, info.label))
                info.warnings.append(_conflict_warning(kind, key, owner.label))
            else:
                table[key] = record
                self._owner[slot] = info

    # -- lookups -------------------------------------------------------------------

    def owner(self, kind: str, key: str) -> PluginInfo | None:
        """The plugin that contributed ``key`` to ``kind`` (e.g. ``"text_providers"``)."""
        return self._owner.get((kind, key))

    def text_provider(self, prefix: str) -> TextProvider:
        """Return the text provider for a model-string prefix, or raise a helpful error."""
        return self._lookup("text_providers", prefix)

    def embedding_provider(self, prefix: str) -> TextProvider:
        """Return the provider of embedding models for a prefix, or raise a helpful error."""
        return self._lookup("embedding_providers", prefix)

    def image_provider(self, prefix: str) -> ImageProvider:
        """Return the image provider for a model-string prefix, or raise a helpful error."""
        return self._lookup("image_providers", prefix)

    def runner(self, name: str) -> RunnerRecord:
        """Return the runner record named *name*, or raise a helpful error (close matches)."""
        return self._lookup("runners", name)

    def tool(self, name: str) -> ToolRecord:
        """Return the tool record named *name*, or raise a helpful error (close matches)."""
        return self._lookup("tools", name)

    def memory_backend(self, name: str) -> MemoryBackend:
        """Return the memory backend named *name*, or raise a helpful error."""
        return self._lookup("memory_backends", name)

    def _lookup(self, kind: str, key: str) -> Any:
        table: dict[str, Any] = getattr(self, kind)
        if key in table:
            return table[key]
        noun = "provider" if kind.endswith("providers") else kind.rstrip("s").replace("_", " ")
        if kind == "embedding_providers":
            noun = "embedding provider"
        if (kind, key) in self.conflicts:
            claimants = " and ".join(self.conflicts[(kind, key)])
            dists = [i.distribution for _, i in self.conflicted.get((kind, key), [])]
            example = next((d for d in reversed(dists) if d), "<distribution>")
            raise PluginConflictError(
                f"{noun} {quoted(key)} is claimed by {claimants}. Uninstall one, or block one "
                f"by its distribution name, e.g. AIMU_DISABLE_PLUGINS={example}."
            )
        hint = (_FIRST_PARTY_IMAGES if kind == "image_providers" else _FIRST_PARTY).get(key)
        for info in self.plugins:
            if info.status != "loaded" and _may_provide(info, key, hint):
                raise PluginUnavailableError(
                    f"{noun} {quoted(key)} comes from plugin {info.label}, which is {info.status}: "
                    f"{info.reason}"
                )
        known = sorted(table)
        # Autoload turned off by the environment or the policy file (not by code that
        # builds its own manager): installed plugins were never looked at, so say so.
        switched_off = not self.policy.autoload and bool(self.policy.autoload_origin)
        if switched_off:
            message = (
                f"Unknown {noun} {quoted(key)}: plugin autoload is off ({self.autoload_off_by()}), so "
                "no installed plugin was loaded, only plugins registered in code "
                f"(loaded: {', '.join(known) or 'none'}). Turn autoload on, or register the "
                "plugin with aimu_core.plugins.register()."
            )
        else:
            message = f"Unknown {noun} {quoted(key)}. Installed: {', '.join(known) or 'none'}."
        import difflib  # only to word this error

        close = difflib.get_close_matches(key, known, n=3)
        if close:
            message += f" Did you mean {', '.join(map(repr, close))}?"
        if hint and not switched_off:
            message += f" Install it with: pip install {hint}"
        unavailable = [f"{p.label} ({p.status})" for p in self.plugins if p.status != "loaded"]
        if unavailable:
            message += f" Not loaded: {', '.join(unavailable)}; see `aimu plugins`."
        raise UnknownProviderError(message)

    def autoload_off_by(self) -> str:
        """What turned autoload off, for messages: ``AIMU_PLUGIN_AUTOLOAD=0``, a policy file..."""
        origin = self.policy.autoload_origin
        if origin == "AIMU_PLUGIN_AUTOLOAD":
            return "AIMU_PLUGIN_AUTOLOAD is false"
        return f"autoload = false in the {origin}" if origin else "the application turned it off"


def _kinds(hook_kind: str, record: Any) -> tuple[str, ...]:
    """The namespaces a record is registered in: a text provider's chat client and its
    embedding client each take the record's prefixes in their own."""
    if hook_kind != "text_providers":
        return (hook_kind,)
    kinds = ("text_providers",) if record.client is not None else ()
    return (*kinds, "embedding_providers") if record.embedding_client is not None else kinds


def _module_of(obj: object) -> str:
    """The module a plugin object lives in (a module's own name, a class's or instance's module)."""
    if isinstance(obj, types.ModuleType):
        return obj.__name__
    module = obj.__module__ if isinstance(obj, type) else type(obj).__module__
    return module or "__main__"


def _conflict_warning(kind: str, key: str, other: str) -> str:
    """Shown by ``aimu plugins`` on each plugin of a conflict (using the name raises)."""
    return (
        f"{kind.rstrip('s').replace('_', ' ')} {key!r} is also claimed by {other}; "
        "using it raises PluginConflictError"
    )


def _may_provide(info: PluginInfo, key: str, first_party_dist: str | None) -> bool:
    names = {normalize_name(info.name), normalize_name(info.distribution or "")}
    return bool(
        names & {normalize_name(key), f"aimu-{normalize_name(key)}"}
        or (first_party_dist and normalize_name(first_party_dist) in names)
    )


def _core_version() -> str:
    from . import __version__

    return __version__


# -- the process-wide manager ----------------------------------------------------------

_explicit: list[object] = []
_manager: PluginManager | None = None


def get_manager() -> PluginManager:
    """The process-wide manager, built on first use from the environment."""
    global _manager
    if _manager is None:
        _manager = PluginManager(_explicit)
    return _manager


def refresh() -> PluginManager:
    """Forget the registry and rebuild it (re-reads the environment and entry points)."""
    global _manager
    _manager = None
    return get_manager()


def register(plugin: object) -> None:
    """Register a plugin object in code. It loads even with ``AIMU_PLUGIN_AUTOLOAD=0``, but the
    allow/deny lists and the policy file apply to it: it is known by its top-level module
    written as a distribution name (``aimu_echo`` is ``aimu-echo``)."""
    if plugin not in _explicit:
        _explicit.append(plugin)
    if _manager is not None:
        refresh()


def unregister(plugin: object) -> None:
    """Undo :func:`register`."""
    if plugin in _explicit:
        _explicit.remove(plugin)
        if _manager is not None:
            refresh()
