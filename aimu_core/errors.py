"""The one exception hierarchy of aimu-core and its plugins.

Every error a user can meet derives from :class:`AimuError`. Provider plugins
translate their SDK's exceptions into these classes at the plugin boundary, so
application code catches ``aimu_core.errors.RateLimitError`` whatever the
provider. Each message says what went wrong and what to do about it; none
contains a secret (see :func:`redact`), and user input is quoted at most
:data:`QUOTE_LIMIT` characters long (see :func:`quoted`).

Secrets
-------
A secret is anything that authenticates: an API key from ``api_key=`` or the
environment (including the variables an SDK reads by itself), a token in a
header, the ``user:password@`` of a URL. A client holds each one it knows in
a pydantic ``SecretStr`` and hands them all to the error translation, which
keeps them out of messages, reprs, tracebacks and exception chains:

* every message passes through :func:`redact`, which also masks the userinfo
  of any URL in it (``http://***@host``, :func:`mask_url`);
* an SDK exception is chained as ``__cause__`` only when the client knows no
  secret. When it knows one, the SDK exception is dropped whole and its type
  is named in the message instead: its text may quote the key, and its
  ``request.headers`` keep the ``Authorization`` header. Redacting the text is
  not enough, so it is not chained at all;
* the translated error is raised outside the ``except`` block that caught the
  SDK exception (:func:`aimu_core.sdk_calls.sdk_deltas`), so the SDK
  exception is not reachable through ``__context__`` either.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable, Iterable
from typing import Any

__all__ = [
    "AimuError",
    "AuthenticationError",
    "ConcurrentUseError",
    "ConfigurationError",
    "ContentBlockedError",
    "ContextLengthError",
    "DegenerateTurnError",
    "HistoryCorruptError",
    "HistoryError",
    "MemoryStoreError",
    "MetadataError",
    "ModelNotFoundError",
    "PluginConflictError",
    "PluginError",
    "PluginUnavailableError",
    "ProviderConnectionError",
    "ProviderError",
    "RateLimitError",
    "RequestTimeoutError",
    "RoutingError",
    "SandboxError",
    "SkillError",
    "StreamInterruptedError",
    "StructuredOutputError",
    "ToolArgumentError",
    "ToolError",
    "ToolServerError",
    "ToolSignatureError",
    "UnknownProviderError",
    "UnsafePathError",
    "clipped",
    "mask_url",
    "quoted",
    "redact",
    "translate_sdk_error",
    "url_basic_auth",
    "url_secrets",
]


class AimuError(Exception):
    """Base class of every error raised by aimu-core and its plugins."""


# -- configuration -------------------------------------------------------------


class ConfigurationError(AimuError, ValueError):
    """Bad input from the user: a malformed model string, an unknown option."""


class UnknownProviderError(ConfigurationError):
    """A model string names a provider that no loaded plugin contributes."""


class ModelNotFoundError(ConfigurationError, LookupError):
    """A model id is not in a provider's catalog, or the provider's API does not know it."""


# -- plugins -------------------------------------------------------------------


class PluginError(AimuError):
    """Something is wrong with a plugin rather than with the user's input."""


class PluginUnavailableError(PluginError):
    """The plugin that contributes a provider was blocked by policy or failed to load."""


class PluginConflictError(PluginError):
    """Two plugins claim the same provider prefix (or runner, tool, backend name)."""


# -- provider calls --------------------------------------------------------------


class ProviderError(AimuError):
    """A provider call failed. ``provider`` names it; ``status_code`` is the HTTP status, if any."""

    def __init__(self, message: str, *, provider: str = "", status_code: int | None = None):
        super().__init__(message)
        self.provider = provider
        self.status_code = status_code


class AuthenticationError(ProviderError):
    """The provider rejected the credentials (missing, wrong or expired API key)."""


class RateLimitError(ProviderError):
    """The provider asked us to slow down. ``retry_after`` is in seconds when it said."""

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        status_code: int | None = 429,
        retry_after: float | None = None,
    ):
        super().__init__(message, provider=provider, status_code=status_code)
        self.retry_after = retry_after


class RequestTimeoutError(ProviderError, builtins.TimeoutError):
    """The provider did not answer within the configured ``timeout``."""


class ProviderConnectionError(ProviderError, builtins.ConnectionError):
    """The provider could not be reached (server down, wrong ``base_url``, refused)."""


class ContextLengthError(ProviderError):
    """The conversation no longer fits the model's context window."""


class ContentBlockedError(ProviderError):
    """The provider refused the prompt or its output under its safety policy.

    Rewording the prompt may help; retrying it unchanged will not.
    ``reason`` is the provider's own code for the block, when it gave one.
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        status_code: int | None = None,
        reason: str | None = None,
    ):
        super().__init__(message, provider=provider, status_code=status_code)
        self.reason = reason


class StreamInterruptedError(ProviderError):
    """A streamed reply was cut off before the provider finished it."""


class DegenerateTurnError(ProviderError):
    """The model kept calling tools past ``max_tool_rounds`` and gave no answer."""


# -- using a client --------------------------------------------------------------


class ConcurrentUseError(AimuError, RuntimeError):
    """A client was used in a way that would corrupt its conversation: a stream left
    unfinished when a newer call started, or a tool calling the client that runs it."""


# -- tools -----------------------------------------------------------------------


class ToolError(AimuError):
    """Base class for tool definition and dispatch errors."""


class ToolSignatureError(ToolError, TypeError):
    """``@tool`` cannot describe a function's signature as a JSON schema."""


class ToolArgumentError(ToolError, ValueError):
    """A model called a tool with arguments that do not match its schema."""


class ToolServerError(ToolError, builtins.ConnectionError):
    """A tool server (an MCP server) cannot be started or reached, or died mid-call.

    Unlike a tool that raises (the model reads the error and goes on), this ends
    the turn: ``chat()`` raises it and leaves ``messages`` as they were.
    """


class SandboxError(ToolError, PermissionError):
    """A file tool's path would leave its sandbox folder (``..``, absolute, a symlink out)."""


class StructuredOutputError(AimuError, ValueError):
    """The model's reply did not match the ``schema=`` asked for, even after one repair request.

    ``raw`` is the last reply's text, ``problems`` what was wrong with it.
    """

    def __init__(self, message: str, *, raw: str, problems: str = "") -> None:
        super().__init__(message)
        self.raw = raw
        self.problems = problems


# -- runners -------------------------------------------------------------------------


class RoutingError(AimuError, ValueError):
    """A ``Router``'s classifier answered with no known route and there is no fallback."""


class SkillError(AimuError, ValueError):
    """A skill folder or its ``SKILL.md`` is malformed, or a skill name is unknown."""


# -- history and memory ---------------------------------------------------------------


class HistoryError(AimuError):
    """Conversation history could not be read or saved (``aimu_core.history``)."""


class HistoryCorruptError(HistoryError):
    """A history file is not one aimu can read; ``path`` names it. aimu never overwrites it."""

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path


class MemoryStoreError(AimuError):
    """A memory store refused an operation or could not do it (``aimu_core.memory``)."""


class UnsafePathError(MemoryStoreError, SandboxError):
    """A document path would leave the store's root (``..``, absolute, or a symlink out).

    The same rule as the file tools' (:class:`SandboxError`), so either class catches it."""


class MetadataError(MemoryStoreError, TypeError):
    """Memory metadata is not a flat mapping of str keys to str, int, float or bool values."""


Secret = Any  # a str, a pydantic SecretStr (or anything with get_secret_value()), or None

#: How many characters of the user's input an error message quotes.
QUOTE_LIMIT = 80

# scheme://userinfo@: the userinfo runs to the last "@" before the host's end, as urlsplit reads it.
_USERINFO = re.compile(r"\b([A-Za-z][A-Za-z0-9+.-]*://)[^/?#\s]*@")


def quoted(value: object, limit: int = QUOTE_LIMIT) -> str:
    """*value* as an error message quotes user input: the ``repr()`` of :func:`clipped`."""
    if isinstance(value, str):
        return repr(clipped(value, limit))
    return clipped(repr(value), limit)


def clipped(text: str, limit: int = QUOTE_LIMIT) -> str:
    """*text* with the userinfo of URLs masked, cut to *limit* characters with an ellipsis."""
    text = mask_url(text)
    return text[:limit] + "…" if len(text) > limit else text


def mask_url(text: str) -> str:
    """*text* with the userinfo (``user:password@``) of every URL in it shown as ``***@``."""
    return _USERINFO.sub(r"\1***@", text) if "@" in text else text


def url_secrets(url: str | None) -> tuple[Any, ...]:
    """The secrets in *url*'s userinfo, as ``SecretStr`` values for :func:`redact`: the
    userinfo and the password, as written and percent-decoded, and the basic-auth token
    they make. Empty for a URL without."""
    url, header = url_basic_auth(url)
    if header is None:
        return ()
    import base64
    import urllib.parse

    from pydantic import SecretStr

    token = header.get_secret_value().partition(" ")[2]
    userinfo = base64.b64decode(token).decode()
    password = userinfo.partition(":")[2]
    texts = {token, userinfo, password, urllib.parse.quote(userinfo, safe=":")}
    texts.add(urllib.parse.quote(password, safe=""))
    return tuple(SecretStr(text) for text in sorted(texts, key=len, reverse=True) if text)


def url_basic_auth(url: str | None) -> tuple[str | None, Any]:
    """*url* without its ``user:password@``, and the ``Authorization`` header value
    (``Basic ...``, a ``SecretStr``) that carries them instead; ``None`` for a URL without.

    A client hands its SDK the URL without userinfo and the header: SDKs and
    httpx log the URL they request, and would log the password in it.
    """
    if not url or "@" not in url:
        return url, None
    import base64
    import urllib.parse

    from pydantic import SecretStr  # only for a URL that carries credentials

    split = urllib.parse.urlsplit(url)
    userinfo, at, host = split.netloc.rpartition("@")
    if not at:
        return url, None
    user, _, password = (urllib.parse.unquote(part) for part in userinfo.partition(":"))
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return split._replace(netloc=host).geturl(), SecretStr(f"Basic {token}")


def _reveal(secrets: Iterable[Secret]) -> list[str]:
    """The secrets' plain texts, those long enough to be worth redacting (4+ characters),
    longest first (so a userinfo is redacted whole before the password inside it)."""
    texts = []
    for secret in secrets:
        if secret is not None and not isinstance(secret, str):
            secret = secret.get_secret_value()
        if secret and len(secret) >= 4:
            texts.append(secret)
    return sorted(texts, key=len, reverse=True)


def redact(text: str, secrets: Iterable[Secret]) -> str:
    """Return *text* with every secret replaced by ``'***'``, and the userinfo of every URL
    masked (:func:`mask_url`).

    Plugins pass SDK error messages through this before wrapping them, because
    some SDKs echo (part of) the API key back in an authentication error.
    *secrets* may hold plain strings or pydantic ``SecretStr`` values.
    """
    for secret in _reveal(secrets):
        text = text.replace(secret, "***")
    return mask_url(text)


def translate_sdk_error(
    exc: BaseException,
    secrets: Iterable[Secret],
    translate: Callable[[BaseException, str], AimuError | None],
) -> BaseException:
    """The aimu error for an SDK exception, safe to show: the plugin boundary's one rule.

    ``translate(exc, text)`` maps the exception to an aimu error (or ``None``
    when it is not the SDK's), given *text*: its message with every secret
    redacted. Aimu errors pass through unchanged. The SDK exception is
    chained as the cause only when the client knows no secret; otherwise it is
    dropped whole and its type named in the message (why: the module docstring).
    The caller raises the result outside its ``except`` block, so that the SDK
    exception is not kept as ``__context__`` either.
    """
    if isinstance(exc, AimuError):
        return exc
    known = _reveal(secrets)
    error = translate(exc, redact(str(exc), known))
    if error is None:
        return exc
    if known:
        error.__cause__ = None
        kind = type(exc)
        origin = f"{kind.__module__.partition('.')[0]}.{kind.__qualname__}"
        if len(error.args) == 1 and isinstance(error.args[0], str):
            error.args = (f"{error.args[0]} [{origin}]",)
    else:
        error.__cause__ = exc
    error.__context__ = None
    error.__suppress_context__ = True
    return error
