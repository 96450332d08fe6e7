"""Installing a plugin for a test without pip: an unpacked distribution on a path.

``importlib.metadata`` finds a distribution by its ``*.dist-info`` folder on
``sys.path``, so a folder holding the plugin's modules and a hand-written
``.dist-info`` (``METADATA``, ``entry_points.txt``) is, to discovery, an
installed plugin. Put the folder on ``PYTHONPATH`` of a subprocess to test
discovery, policy and ``aimu plugins`` exactly as a user's install runs them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

__all__ = ["scripted_site", "write_distribution"]


def write_distribution(
    site: Path, name: str, version: str, entry_points: Mapping[str, str]
) -> Path:
    """Write ``<name>-<version>.dist-info`` in *site* declaring *entry_points* in group ``aimu``.

    Args:
        site: a folder to put on ``PYTHONPATH`` (the plugin's modules go there too,
            unless they are importable already).
        name: the distribution name, e.g. ``"aimu-echo"``.
        version: its version.
        entry_points: entry-point name -> module (or ``module:object``) of the plugin.

    Returns the ``.dist-info`` folder.
    """
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
    )
    lines = "".join(f"{ep} = {target}\n" for ep, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[aimu]\n{lines}", encoding="utf-8")
    (info / "RECORD").write_text("", encoding="utf-8")
    return info


def scripted_site(site: Path) -> Path:
    """Make *site* install the scripted test provider (``scripted:``) as distribution
    ``aimu-scripted``, for subprocesses that get *site* on ``PYTHONPATH``. Returns *site*."""
    from .. import __version__

    write_distribution(
        site, "aimu-scripted", __version__, {"scripted": "aimu_core.testing.scripted"}
    )
    return site
