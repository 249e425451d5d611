"""Fixtures for the perflog tests: the third-party real exports, read in place.

The folder ../shared/data/perflogs/ (next to the project root) holds performance logs written
by real Windows hosts (its SOURCES.md says where each comes from). They are not the project's
files and are never copied into it: tests that need them read them where they are and skip,
saying why, where the folder is absent (a user's own clone); CI always has it.
"""
from __future__ import annotations

from pathlib import Path

import pytest

REAL_LOGS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "perflogs"


@pytest.fixture
def real_log():
    """A function: file name -> Path of that real export, or skip when it is absent."""
    def find(name: str) -> Path:
        path = REAL_LOGS / name
        if not path.is_file():
            pytest.skip(f"the real Windows export {name} is not at {REAL_LOGS.resolve()} "
                        "(third-party files are read in place from ../shared/data/perflogs/, "
                        "next to the project root, and never copied into the repository)")
        return path
    return find
