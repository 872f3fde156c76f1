"""The API tests' cast (participant, physicians, providers, staff), for the 278 tests."""

from __future__ import annotations

from tests.api.conftest import scenario

__all__ = ["scenario"]
