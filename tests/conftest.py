"""Fixtures shared across test areas."""

from __future__ import annotations

import pytest

from lambdaserve.errors import BuildError
from lambdaserve.package.deps.interpreters import Interpreter, find_interpreter
from tests.helpers import require


@pytest.fixture(scope="session")
def py312() -> Interpreter:
    """A Python 3.12 interpreter, the default target runtime's (pyenv has one here)."""
    try:
        return find_interpreter("3.12")
    except BuildError as exc:
        require(False, f"needs a Python 3.12 interpreter: {exc.hint}")
        raise
