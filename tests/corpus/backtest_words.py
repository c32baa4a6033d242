"""Backtest of the words model (matrix.core.words): what it changes on the heldout
batches, replayed with today's parameters.

For each batch below, the commit that measured it is checked out (a temporary git
worktree), its rules classify its corpus, and a words model is trained, with today's
parameters, on that commit's tune split only. Where those rules found no error at all in a
heldout text (what `explain` guesses for), the model's guess is counted: right (the label), wrong where the label was
`unknown` (a loss), or another wrong class (no change in the count).

    python tests/corpus/backtest_words.py            # from the project's root; needs git
    python tests/corpus/backtest_words.py --write    # and record it in tests/corpus/words_backtest.json

The record is what a run printed, with the commit it ran at; the site shows it. A rerun
reuses the record's batches when the parameters and the code they depend on are the same
(`code_hash`), so adding a batch computes that batch only.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from matrix.core.words import guess as words_guess  # noqa: E402
from matrix.core.words import parse  # noqa: E402
from matrix.diagnose.words_train import MARGIN, PARAMS, fit  # noqa: E402
from tests.corpus.gitwork import head, worktree  # noqa: E402

# (batch, the commit that measured it while heldout: tests/test_corpus.py RETIRED)
BATCHES = [
    (6, "99de3c2"),
    (7, "eb0999a"),
    (8, "10e7f53"),
    (9, "ab54a93"),
    (10, "74caed1"),
    (11, "76ced16"),
    (12, "c30a603"),
    (13, "9180721"),
    (14, "09b463c"),
    (15, "5235233"),
    (16, "4855310"),
    (17, "b7c9c36"),
    (18, "e6e9d62"),
    (19, "b03a4fe"),
    (20, "c488ef4"),
    (21, "8d78e32"),
    (22, "85732ed"),
    (23, "5d281ca"),
    (24, "70ba81a"),
    (25, "dc4e1a4"),
    (26, "3542b9f"),
    (27, "aab87df"),
    (28, "c3e098e"),
    (29, "10c6805"),
    (30, "28c5ff1"),
    (31, "9ff33ec"),
    (32, "211111d"),
    (33, "d444c7b"),
    (34, "817a813"),
    (35, "d920d75"),
    (36, "dd0f6fd"),
    (37, "05f6054"),
    (38, "56c50a4"),
    (39, "14a2fcf"),
    (40, "54e92d1"),
    (41, "d8b5a05"),
    (42, "a1dd74b"),
    (43, "0f36623"),
    (44, "07e4c96"),
    (45, "2d5dc5d"),
    (46, "9053a05"),
    (47, "8a618f8"),
    (48, "6b8c86f"),
    (49, "763be8f"),
    (50, "eddea99"),
    (51, "10b1f93"),
    (52, "0ee8536"),
    (53, "dbbb123"),
    (54, "3e603c4"),
    (55, "e62d26e"),
    (56, "4968f44"),
    (57, "5576848"),
    (58, "902b1b1"),
    (59, "46820ad"),
    (60, "121c523"),
    (61, "2ee2889"),
    (62, "123c60c"),
    (63, "6d67ec8"),
    (64, "3cf08a0"),
    (65, "79d1d8c"),
    (66, "e66a6fa"),
    (67, "8a0c310"),
    (68, "f274d30"),
    (69, "c7f3901"),
    (70, "f9100d2"),
    (71, "91fc235"),
    (72, "bd3de55"),
    (73, "0a155d8"),
    (74, "154330e"),
    (75, "6c3bb96"),
    (76, "4d92ab9"),
    (77, "604d836"),
    (78, "9f3eed0"),
    (79, "3dbad4a"),
    (80, "aa26961"),
]
ANSWERS = """
import json, sys
sys.path.insert(0, ".")
from matrix.core.catalog import load_catalog
from matrix.diagnose.classify import classify, scan
rows = [json.loads(l) for l in open("tests/corpus/public_errors.jsonl", encoding="utf-8") if l.strip()]
cat = load_catalog()
json.dump([dict(r, ans=classify(r["text"]).slug, nothing=not scan(cat, r["text"])) for r in rows], sys.stdout)
"""


def answers_at(commit: str) -> list[dict[str, Any]]:
    with worktree(commit) as wt:
        out = subprocess.run(
            [sys.executable, "-c", ANSWERS], cwd=wt, check=True, capture_output=True, text=True
        )
        rows: list[dict[str, Any]] = json.loads(out.stdout)
        return rows


OUT = ROOT / "tests" / "corpus" / "words_backtest.json"
KEYS = ("n", "rules_right", "rules_unknown_missed", "words_right", "words_lost", "words_other_class")


def backtest(batch: int, commit: str) -> dict[str, Any]:
    rows = answers_at(commit)
    tune = [r for r in rows if r["split"] == "tune"]
    held = [r for r in rows if r["split"] == "heldout" and r["batch"] == batch]
    model = parse({**fit([r["text"] for r in tune], [r["label"] for r in tune]), "margin": MARGIN}, commit)
    out = dict.fromkeys(KEYS, 0)
    out["n"] = len(held)
    for r in held:
        out["rules_right"] += r["ans"] == r["label"]
        out["rules_unknown_missed"] += r["ans"] == "unknown" != r["label"]
        # explain guesses only for a text in which the rules found no error at all (an error
        # a fallback names `unknown` on purpose stays unknown)
        g = words_guess(model, r["text"]) if r["nothing"] else None
        if g is not None:
            key = (
                "words_right"
                if g.slug == r["label"]
                else "words_lost"
                if r["label"] == "unknown"
                else "words_other_class"
            )
            out[key] += 1
    return {"batch": batch, "measured_at": commit, **out}


def code_hash() -> str:
    """What a batch's figures depend on besides its commit and PARAMS: the words model's
    code and this script's way of answering and counting."""
    h = hashlib.sha256()
    for f in ("matrix/core/words.py", "matrix/diagnose/words_train.py"):
        h.update((ROOT / f).read_bytes())
    h.update((ANSWERS + inspect.getsource(backtest)).encode())
    return h.hexdigest()[:16]


def reusable(code: str | None = None) -> dict[tuple[int, str], dict[str, Any]]:
    """The batches of the last record, when it ran with today's parameters and code (each
    batch is a pure function of its commit, the parameters and that code): a rerun
    computes only the batches added since."""
    try:
        prev = json.loads(OUT.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(prev, dict) or prev.get("params") != {**PARAMS, "margin": MARGIN}:
        return {}
    if prev.get("code") != (code or code_hash()):
        return {}
    return {(b["batch"], b["measured_at"]): b for b in prev.get("batches", [])}


def row(name: str, b: dict[str, Any]) -> str:
    after = b["rules_right"] + b["words_right"] - b["words_lost"]
    cells = [b[k] for k in KEYS]
    return f"| {name} | " + " | ".join(map(str, cells)) + f" | {after} ({after / b['n']:.1%}) |"


def main(argv: list[str]) -> int:
    print(
        "| batch | heldout | rules right | rules unknown, labelled otherwise | words right | words lost | other class | rules + words |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    code = code_hash()  # hashed once: reuse is decided and recorded with the same value
    kept = reusable(code)
    record = [kept.get((batch, commit)) or backtest(batch, commit) for batch, commit in BATCHES]
    reused = [b["batch"] for b in record if (b["batch"], b["measured_at"]) in kept]
    if reused:
        print(
            f"(batches {', '.join(map(str, reused))} reused from the last record: same commits, parameters and code)"
        )
    total = {k: sum(b[k] for b in record) for k in KEYS}
    for b in record:
        print(row(f"{b['batch']} ({b['measured_at']})", b))
    print(row("all", total))
    if "--write" in argv:
        doc = {
            "what": "the words model's effect on heldout batches, replayed: trained with today's parameters on the "
            "tune split of the commit that measured each batch, applied where those rules found no error; "
            "written by tests/corpus/backtest_words.py --write",
            "ran_at": head(),
            "params": {**PARAMS, "margin": MARGIN},
            "code": code,
            "batches": record,
            "all": total,
        }
        OUT.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
