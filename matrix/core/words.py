"""The last resort of `explain`: when no rule of the catalog claims any line of a text, a
guess from its words.

The rules (matrix.diagnose.classify) name a class only when a pattern written for it
matches. On texts nobody on the project had seen, most misses were texts no pattern
matched, answered `unknown` (tests/corpus/README.md). This model is a linear classifier
over the words of a text, trained on the public error corpus's tune split
(matrix.diagnose.words_train); it answers only when no rule matched, and only when its
class beats `unknown` by a margin; its answer says it is a guess (`why`). The recorded
dataset never uses it: a record's class comes from the rules alone
(classify.classify_record), so nothing measured is ever guessed.

It is integer arithmetic over ASCII words, so explain.js and any other port give the
same answer bit for bit:

- words: the maximal runs of ASCII letters, digits and `_` among the first `max_runs`
  runs of the text; a run that is a hex number (`0x...`, or 8 or more hex digits) is
  dropped; the others are lower-cased and cut at their digits; the pieces of 2 to 24
  characters are the words (each counted once);
- score of a class: its bias plus its weight for each distinct word of the text that
  has weights;
- answer: the class with the highest score (the first in `classes` order on a tie), when
  it is not `unknown` and its score is at least `margin` above `unknown`'s.
"""

from __future__ import annotations

import array
import functools
import itertools
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from matrix import UserError
from matrix.core import catalog_cache
from matrix.core.catalog import UNKNOWN, Catalog
from matrix.core.catalog_json import catalog_json

MODEL_FILE = "words.json"
_RUN = re.compile(r"[A-Za-z0-9_]+")
_DIGITS = re.compile(r"[0-9]+")
_HEX = re.compile(r"0[xX][0-9A-Fa-f]+|[0-9A-Fa-f]{8,}")
MIN_WORD, MAX_WORD = 2, 24
MAX_RUNS = 4000
WHY = (
    "No rule of the catalog matched this text. This class is a guess from its words alone: "
    "they are most like those of the public corpus's texts of this class. Check it against the class page."
)
RULE = (
    "8. when no line has a hit, the text may still get a class from its words (`words`): "
    "the maximal runs of ASCII letters, digits and _ among its first `max_runs` runs; a run that is all hex "
    "(0x..., or 8 or more hex digits) is dropped; the others are lower-cased and cut at their digits; the "
    "pieces of `min_word` to `max_word` characters are its words, each counted once. A class's score is its "
    "`bias` plus its entry in `weights[word]` for each word; the highest score wins (the first class on a tie); "
    "when that class is not unknown and scores at least `margin` above unknown it is the answer, with `why`. "
    "The next highest class, when it is not unknown, scores above unknown and less than `margin` below the "
    "answer, is its alternative (with `second_why`), when the catalog has a command that tells the two apart: "
    "the `check` of the answer's alternative of that class, else of that class's alternative of the answer."
)
SECOND_WHY = "its words are nearly as like those of this class's texts (a guess as well)"


class Guess(NamedTuple):
    slug: str
    margin: int  # how far above `unknown` it scored
    second: str | None = None  # the next class, when nearly as likely (less than `margin` below)


class Words(NamedTuple):
    """A trained model (matrix/catalog/words.json)."""

    classes: tuple[str, ...]
    bias: tuple[int, ...]
    weights: Mapping[str, Sequence[int]]
    margin: int
    trained_on: Mapping[str, Any]
    params: Mapping[str, Any]


def words(text: str, max_runs: int = MAX_RUNS) -> set[str]:
    """The distinct words of a text, as the model reads them."""
    out: set[str] = set()
    for k, m in enumerate(_RUN.finditer(text)):
        if k >= max_runs:
            break
        run = m.group()
        if _HEX.fullmatch(run):
            continue
        for piece in _DIGITS.split(run):
            if MIN_WORD <= len(piece) <= MAX_WORD:
                out.add(piece.lower())
    return out


def scores(model: Words, text: str) -> list[int]:
    s = list(model.bias)
    for w in sorted(words(text)):
        ws = model.weights.get(w)
        if ws is not None:
            s = [a + b for a, b in zip(s, ws, strict=True)]
    return s


def guess(model: Words | None, text: str, allowed: Iterable[str] | None = None) -> Guess | None:
    """The model's class for a text no rule claimed, or None (it stays `unknown`).
    `allowed`: the classes the caller may answer (a catalog's, or a stage's)."""
    if model is None or UNKNOWN not in model.classes:
        return None
    s = scores(model, text)
    u = model.classes.index(UNKNOWN)
    best = max(range(len(s)), key=lambda i: (s[i], -i))
    slug, margin = model.classes[best], s[best] - s[u]
    ok = set(allowed) if allowed is not None else set(model.classes)
    if best == u or margin < model.margin or slug not in ok:
        return None
    rest = [i for i in range(len(s)) if i not in (best, u) and model.classes[i] in ok]
    nxt = max(rest, key=lambda i: (s[i], -i), default=None)
    if nxt is None or s[nxt] <= s[u] or s[best] - s[nxt] >= model.margin:
        return Guess(slug, margin)
    return Guess(slug, margin, model.classes[nxt])  # nearly as likely: its alternative


class ModelError(UserError, ValueError):
    """A words model that cannot be read: the message names the file and the problem."""


def parse(doc: Any, where: str) -> Words:
    """A model from its JSON; ModelError names the file and the problem."""
    try:
        classes = tuple(str(c) for c in doc["classes"])
        n = len(classes)
        bias = tuple(int(b) for b in doc["bias"])
        weights: dict[str, list[int]] = doc["weights"]
        margin = int(doc["margin"])
        bad = [w for w, v in weights.items() if not isinstance(v, list) or len(v) != n]
        if len(bias) != n or bad:
            raise ModelError(f"{where}: a weight list is not one number per class ({bad[:3] or 'bias'})")
        # checked in one pass, not converted: the model is read on every guess (start-up time)
        if not set(map(type, itertools.chain.from_iterable(weights.values()))) <= {int}:
            raise ModelError(f"{where}: a weight is not an integer")
        return Words(
            classes, bias, weights, margin, dict(doc.get("trained_on", {})), dict(doc.get("params", {}))
        )
    except ModelError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise ModelError(f"{where}: not a words model ({type(e).__name__}: {e})") from None


@functools.cache
def load_words() -> Words | None:
    """The packaged model, or None when the package has none (explain then never guesses).
    Kept, once read and checked, in the user's cache directory (catalog_cache): a fresh
    `explain` that guesses reads it from there in about a millisecond, not 10 ms of JSON."""
    res = _packaged()
    src = res if isinstance(res, Path) else None  # a file on disk (not inside a zip)
    got = _from_cache(src) if src is not None else None
    if got is not None:
        return got
    try:
        raw = res.read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return None
    model = read(raw, f"matrix/catalog/{MODEL_FILE}")
    if src is not None:
        flat = array.array("i", itertools.chain.from_iterable(model.weights.values()))
        doc = {**model._asdict(), "weights": list(model.weights), "flat": flat.tobytes()}
        catalog_cache.keep(_CACHE_NAME, src, _CODE, doc)
    return model


def _packaged() -> Any:
    """The packaged model file: a Path where the package is a directory on disk (found
    without importlib.resources, whose imports cost a fresh `explain` about 6 ms), else
    importlib.resources' Traversable for it (a package inside a zip)."""
    on_disk = Path(__file__).resolve().parent.parent / "catalog" / MODEL_FILE
    if on_disk.is_file():
        return on_disk
    from importlib import resources

    return resources.files("matrix.catalog").joinpath(MODEL_FILE)


_CACHE_NAME = "words.marshal"
_CODE = (Path(__file__),)


def _from_cache(src: Path) -> Words | None:
    doc = catalog_cache.cached(_CACHE_NAME, src, _CODE)
    if doc is None:
        return None
    try:  # written by load_words from a checked model: only its shape is trusted
        n = len(doc["classes"])
        flat = array.array("i")
        flat.frombytes(doc["flat"])
        if len(flat) != n * len(doc["weights"]):
            return None
        weights = _FlatWeights(doc["weights"], flat, n)
        return Words(
            tuple(doc["classes"]),
            tuple(doc["bias"]),
            weights,
            doc["margin"],
            doc["trained_on"],
            doc["params"],
        )
    except (KeyError, TypeError, ValueError):
        return None


class _FlatWeights(Mapping[str, Sequence[int]]):
    """The cached model's weights: one flat array, a word's row sliced out when asked for
    (a guess reads the rows of a text's few words; slicing all 7,600-odd rows up front cost
    a fresh `explain` about 5 ms, building this index about 1.3 ms)."""

    __slots__ = ("_flat", "_n", "_row")

    def __init__(self, words: Sequence[str], flat: array.array[int], n: int) -> None:
        self._row = dict(zip(words, range(len(words)), strict=True))
        self._flat, self._n = flat, n

    def __getitem__(self, word: str) -> Sequence[int]:
        k = self._row[word]
        return self._flat[k * self._n : (k + 1) * self._n]

    def get(self, word: str, default: Any = None) -> Any:  # what `scores` calls: no KeyError per unknown word
        k = self._row.get(word)
        return default if k is None else self._flat[k * self._n : (k + 1) * self._n]

    def __iter__(self) -> Iterator[str]:
        return iter(self._row)

    def __len__(self) -> int:
        return len(self._row)


def read(raw: str, where: str) -> Words:
    """A model from its file's text; ModelError (a UserError: one clear line) when damaged."""
    try:
        doc = json.loads(raw)
    except ValueError as e:
        raise ModelError(
            f"{where}: not valid JSON ({e}); reinstall the package or retrain the model"
        ) from None
    return parse(doc, where)


def published(model: Words | None = None) -> dict[str, Any] | None:
    """What errors.json publishes under `words` (the model and how to read a text)."""
    model = model or load_words()
    if model is None:
        return None
    return {
        "rule": RULE,
        "why": WHY,
        "second_why": SECOND_WHY,
        "max_runs": MAX_RUNS,
        "min_word": MIN_WORD,
        "max_word": MAX_WORD,
        "classes": list(model.classes),
        "bias": list(model.bias),
        "margin": model.margin,
        "weights": {w: list(v) for w, v in sorted(model.weights.items())},
    }


def errors_json(catalog: Catalog | None = None) -> dict[str, Any]:
    """errors.json: the catalog (matrix.core.catalog_json) and, when the package has
    a words model, the model under `words` with its rule added to `matching_rule`."""
    doc = catalog_json(catalog)
    model = published()
    if model is not None:
        doc["words"] = model
        doc["matching_rule"] = f"{doc['matching_rule']} {RULE}"
    return doc
