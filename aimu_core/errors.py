"""The one exception hierarchy of aimu-core and its plugins.

Every error a user can meet derives from :class:`AimuError`. Provider plugins
translate their SDK's exceptions into these classes at the plugin boundary, so
application code catches ``aimu_core.errors.RateLimitError`` whatever the
provider. Each message says what went wrong and what to do about it; none
contains a secret (see :func:`redact`).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable
from typing import Any

__all__ = [
    "AimuError",
    "AuthenticationError",
    "ConcurrentUseError",
    "ConfigurationError",
    "ContextLengthError",
    "DegenerateTurnError",
    "ModelNotFoundError",
    "PluginConflictError",
    "PluginError",
    "PluginUnavailableError",
    "ProviderConnectionError",
    "ProviderError",
    "RateLimitError",
    "RequestTimeoutError",
    "RoutingError",
    "SkillError",
    "StreamInterruptedError",
    "ToolArgumentError",
    "ToolError",
    "ToolSignatureError",
    "UnknownProviderError",
    "redact",
    "translate_sdk_error",
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


# -- runners -------------------------------------------------------------------------


class RoutingError(AimuError, ValueError):
    """A ``Router``'s classifier answered with no known route and there is no fallback."""


class SkillError(AimuError, ValueError):
    """A skill folder or its ``SKILL.md`` is malformed, or a skill name is unknown."""


Secret = Any  # a str, a pydantic SecretStr (or anything with get_secret_value()), or None


def _reveal(secrets: Iterable[Secret]) -> list[str]:
    """The secrets' plain texts, those long enough to be worth redacting (4+ characters)."""
    texts = []
    for secret in secrets:
        if secret is not None and not isinstance(secret, str):
            secret = secret.get_secret_value()
        if secret and len(secret) >= 4:
            texts.append(secret)
    return texts


def redact(text: str, secrets: Iterable[Secret]) -> str:
    """Return *text* with every secret replaced by ``'***'``.

    Plugins pass SDK error messages through this before wrapping them, because
    some SDKs echo (part of) the API key back in an authentication error.
    *secrets* may hold plain strings or pydantic ``SecretStr`` values.
    """
    for secret in _reveal(secrets):
        text = text.replace(secret, "***")
    return text


def translate_sdk_error(
    exc: BaseException,
    secrets: Iterable[Secret],
    translate: Callable[[BaseException, str], AimuError | None],
) -> BaseException:
    """The aimu error for an SDK exception, safe to show: the plugin boundary's one rule.

    ``translate(exc, text)`` maps the exception to an aimu error (or ``None``
    when it is not the SDK's), given *text*: its message with every secret
    redacted. Aimu errors pass through unchanged. The SDK exception is
    chained as the cause, unless its own text quoted a secret: then it is
    dropped whole, so no traceback can show the key.
    """
    if isinstance(exc, AimuError):
        return exc
    known = _reveal(secrets)
    error = translate(exc, redact(str(exc), known))
    if error is None:
        return exc
    leaked = any(secret in str(exc) for secret in known)
    error.__cause__ = None if leaked else exc
    error.__suppress_context__ = True
    return error
