"""Fixtures shared by aimu-hf's tests (each part adds its own below)."""

from __future__ import annotations
