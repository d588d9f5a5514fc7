"""Helpers shared by the offline tests (a unique module name: pytest puts this folder on
sys.path, and other test folders have their own conftest)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load_example(name: str) -> ModuleType:
    """Import `examples/<name>.py` as a module (examples are not a package)."""
    path = EXAMPLES / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_example_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


_NUMBERS = {"10": "ten", "2": "two", "1": "one"}


def words(text: str) -> list[str]:
    """Normalised words: lower case, no punctuation, a few digits spelled out."""
    return [_NUMBERS.get(w, w) for w in re.findall(r"[a-z0-9']+", text.lower())]


def contains_phrase(text: str, phrase: str) -> bool:
    """Whether the normalised `phrase` occurs as consecutive words in the normalised `text`."""
    hay, needle = words(text), words(phrase)
    return any(hay[i : i + len(needle)] == needle for i in range(len(hay) - len(needle) + 1))


def word_error_rate(hypothesis: str, reference: str) -> float:
    """Word-level Levenshtein distance over the reference length, on normalised words."""
    hyp, ref = words(hypothesis), words(reference)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1] / max(1, len(ref))
