"""The rules decide from plain values: they import no database, web or HTTP library."""

from __future__ import annotations

import ast
import subprocess
import sys

FORBIDDEN = ("sqlalchemy", "fastapi", "httpx", "starlette")


def test_rules_import_no_database_web_or_http_library() -> None:
    program = (
        "import precert.rules.completion, precert.rules.referral, precert.rules.review, sys; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'sqlalchemy', 'fastapi', 'httpx', 'starlette'}))"
    )

    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True, timeout=60
    )

    assert ast.literal_eval(result.stdout.strip()) == []


def test_every_rules_module_imports_no_database_web_or_http_library() -> None:
    program = (
        "import importlib, pkgutil, sys, precert.rules as rules\n"
        "for info in pkgutil.iter_modules(rules.__path__):\n"
        "    importlib.import_module(f'precert.rules.{info.name}')\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {set(FORBIDDEN)!r}))\n"
    )

    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True, timeout=60
    )

    assert ast.literal_eval(result.stdout.strip()) == []
