"""PAS tests use the API tests' cast (`scenario`): one participant, physicians, providers, staff."""

from tests.api.conftest import Scenario, scenario

__all__ = ["Scenario", "scenario"]
