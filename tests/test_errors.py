"""The error hierarchy's helpers: ``redact`` and ``translate_sdk_error``."""

from __future__ import annotations


def test_translate_sdk_error_redacts_and_chains_only_without_secrets():
    from aimu_core.errors import AuthenticationError, ProviderError, translate_sdk_error

    def translate(exc: BaseException, text: str) -> ProviderError | None:
        return AuthenticationError(f"denied: {text}") if isinstance(exc, ValueError) else None

    quoted = ValueError("bad key sk-secret-123")
    error = translate_sdk_error(quoted, ["sk-secret-123", None], translate)
    assert str(error) == "denied: bad key *** [builtins.ValueError]"
    assert error.__cause__ is None and error.__suppress_context__
    # A client that knows a secret never chains the SDK exception: its request keeps the header.
    plain = ValueError("HTTP 401")
    assert translate_sdk_error(plain, ["sk-secret-123"], translate).__cause__ is None
    assert translate_sdk_error(plain, [], translate).__cause__ is plain
    other = KeyError("not the SDK's")
    assert translate_sdk_error(other, [], translate) is other
    already = ProviderError("already translated")
    assert translate_sdk_error(already, [], translate) is already
