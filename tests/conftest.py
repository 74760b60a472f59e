"""Shared pytest fixtures for colorlib's tests."""
from __future__ import annotations

import pytest

import colorlib  # noqa: F401  (runs the torchvision compatibility step before any test imports torchvision)


@pytest.fixture
def isolated_cache(tmp_path, monkeypatch):
    """A fresh, empty ``COLORLIB_CACHE`` for one test (for tests that must not reuse or pollute the cache)."""
    root = tmp_path / "cache"
    monkeypatch.setenv("COLORLIB_CACHE", str(root))
    return root


@pytest.fixture
def offline_hub(monkeypatch):
    """Hugging Face hub libraries in offline mode, as on machines without a network."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
