"""Where the Da Vinci packages and their official examples are (../shared/standards).

They are data kept outside the repository. `PRECERT_STANDARDS_DIR` names the folder; without
it the folder is looked for beside the checkout (`../shared/standards`) and at
/work/shared/standards. Tests that need it skip with a visible reason when it is absent;
`.ci/run` exports the variable when it finds the folder.
"""

from __future__ import annotations

import json
import os
import tarfile
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


@cache
def folder() -> Path | None:
    """Return the standards folder, or None when this machine does not have it."""
    named = os.environ.get("PRECERT_STANDARDS_DIR")
    candidates = [Path(named)] if named else []
    candidates += [ROOT.parent / "shared" / "standards", Path("/work/shared/standards")]
    for path in candidates:
        if (path / "pas").is_dir():
            return path
    return None


SKIP = (
    "the Da Vinci packages and examples (../shared/standards) are not on this machine; set "
    "PRECERT_STANDARDS_DIR to their folder"
)


def require() -> Path:
    """Return the standards folder, or skip the test with the reason."""
    path = folder()
    if path is None:
        pytest.skip(SKIP)
    return path


def example(relative: str) -> dict[str, Any]:
    """Return one official example, e.g. `pas/Bundle-ReferralAuthorizationBundleExample.json`."""
    data: dict[str, Any] = json.loads((require() / relative).read_text(encoding="utf-8"))
    return data


@cache
def package_resources(package: str) -> dict[str, dict[str, Any]]:
    """Return the JSON resources of an IG package (`pas`, `crd`, `dtr`) by file name."""
    names = {
        "pas": "hl7.fhir.us.davinci-pas-2.2.1.tgz",
        "crd": "hl7.fhir.us.davinci-crd-2.0.1.tgz",
        "dtr": "hl7.fhir.us.davinci-dtr-2.0.1.tgz",
    }
    found: dict[str, dict[str, Any]] = {}
    with tarfile.open(require() / names[package]) as archive:
        for member in archive.getmembers():
            if member.isfile() and member.name.endswith(".json"):
                handle = archive.extractfile(member)
                if handle is None:
                    continue
                try:
                    found[Path(member.name).name] = json.loads(handle.read())
                except ValueError:
                    continue
    return found


def structure_definition(package: str, url: str) -> dict[str, Any]:
    """Return the StructureDefinition of `package` whose canonical URL is `url`."""
    for resource in package_resources(package).values():
        if resource.get("resourceType") == "StructureDefinition" and resource.get("url") == url:
            return resource
    raise KeyError(url)
