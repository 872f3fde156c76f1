"""Load the policy files and choose the one in effect on a date."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from precert.policy.models import Policy

DATA_DIR = Path(__file__).with_name("data")


class PolicyError(Exception):
    """A policy file is missing, malformed or overlaps another."""


class NoPolicyInEffect(LookupError):
    """No policy governs the date asked about."""


class PolicyBook:
    """Every version of the policy, ordered by effective date."""

    def __init__(self, policies: list[Policy]) -> None:
        if not policies:
            raise PolicyError("no policy files found")
        self.policies = sorted(policies, key=lambda p: p.effective_from)
        for earlier, later in zip(self.policies, self.policies[1:], strict=False):
            if earlier.effective_to is None or earlier.effective_to >= later.effective_from:
                raise PolicyError(
                    f"policy {earlier.version} must end before {later.version} starts "
                    f"({later.effective_from})"
                )

    def in_effect(self, on: date) -> Policy:
        """Return the policy in effect on `on`."""
        for policy in reversed(self.policies):
            if policy.in_effect(on):
                return policy
        raise NoPolicyInEffect(f"no policy is in effect on {on.isoformat()}")

    def nearest(self, on: date) -> Policy:
        """Return the policy in effect on `on`, else the earliest (before it) or the latest."""
        for policy in reversed(self.policies):
            if policy.in_effect(on):
                return policy
        first = self.policies[0]
        return first if on < first.effective_from else self.policies[-1]

    def by_version(self, version: str) -> Policy | None:
        """Return the policy with `version`, if there is one."""
        return next((p for p in self.policies if p.version == version), None)


def load_policy_file(path: Path) -> Policy:
    """Load and validate one policy file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyError(f"{path.name}: {exc}") from exc
    try:
        return Policy.model_validate(raw)
    except ValidationError as exc:
        raise PolicyError(f"{path.name}: {exc}") from exc


def load_policy_book(directory: Path = DATA_DIR) -> PolicyBook:
    """Load every `*.yaml` policy file in `directory`."""
    return PolicyBook([load_policy_file(p) for p in sorted(directory.glob("*.yaml"))])


@cache
def default_policy_book() -> PolicyBook:
    """Return the policy files shipped with the package (loaded once)."""
    return load_policy_book(DATA_DIR)
