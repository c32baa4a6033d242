"""The public error corpus (tests/corpus/public_errors.jsonl, labelled by RULES.md before
any classifier ran): how often `explain` names the labelled class, per split and class.

tests/corpus/accuracy.json holds the numbers (for the site to show); it is generated,
never edited: `python tests/test_corpus.py --write` rewrites it, and a test fails when
it is stale. Rules were tuned on split "tune" only; "heldout" measures how they
generalise (target: 95 %). Batch 1's heldout part was measured, then its misses read, so
it became tune; later batches (labelled by people who never ran the classifier) were each
heldout once, then read and moved to tune (tests/corpus/README.md, "Split").

    python tests/test_corpus.py            # print the per-class table
    python tests/test_corpus.py --write    # and rewrite tests/corpus/accuracy.json
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script
    sys.path.insert(0, str(ROOT))

from matrix.diagnose.classify import classify  # noqa: E402

CORPUS = ROOT / "tests" / "corpus" / "public_errors.jsonl"
README = ROOT / "tests" / "corpus" / "README.md"
COUNTS = "## Counts\n"
ACCURACY = ROOT / "tests" / "corpus" / "accuracy.json"
BACKTEST = ROOT / "tests" / "corpus" / "words_backtest.json"  # written by tests/corpus/backtest_words.py
SPLITS = ("tune", "heldout")
HELDOUT_TARGET = 0.95
# How the heldout split was used while the rules were written: measured (accuracy per
# class only, texts unseen) this many times, the rules frozen before its texts were read
# (for checking labels only; none was changed).
HELDOUT_LOOKS = 1
# Earlier heldout parts, as measured when they were retired (the accuracy.json of the commit
# named, before its texts moved to tune): each number was measured, none is recomputed.
RETIRED: list[dict[str, Any]] = [
    {
        "batch": 1,
        "n": 92,
        "correct": 81,
        "accuracy": 0.8804,
        "measured_at": "d32b52d",
        "after": "its 11 misses were read; the rules were changed for them and the batch moved to tune",
    },
    {
        "batch": 2,
        "n": 148,
        "correct": 122,
        "accuracy": 0.8243,
        "measured_at": "0c02c30",
        "after": "its 26 misses were read; the rules were changed for those the text decides and the "
        "batch moved to tune",
    },
    {
        "batch": 3,
        "n": 156,
        "correct": 120,
        "accuracy": 0.7692,
        "measured_at": "46c4a60",
        "after": "its 36 misses were read; the rules were changed for those the text decides and the "
        "batch moved to tune",
    },
    {
        "batch": 4,
        "n": 151,
        "correct": 99,
        "accuracy": 0.6556,
        "measured_at": "9287475",
        "after": "its 52 misses were read; the rules were changed for those the text decides and the "
        "batch moved to tune",
    },
    {
        "batch": 5,
        "n": 149,
        "correct": 115,
        "accuracy": 0.7718,
        "measured_at": "38df3de",
        "after": "its 34 misses were read; the rules were changed for those the text decides and the "
        "batch moved to tune",
    },
    {
        "batch": 6,
        "n": 154,
        "correct": 114,
        "accuracy": 0.7403,
        "measured_at": "99de3c2",
        "after": "its 40 misses were read; the rules were changed for those the text decides and the "
        "batch moved to tune",
    },
    {
        "batch": 7,
        "n": 152,
        "correct": 107,
        "accuracy": 0.7039,
        "measured_at": "eb0999a",
        "after": "its 45 misses were read; the rules were changed for those the text decides and the "
        "batch moved to tune",
    },
    {
        "batch": 8,
        "n": 152,
        "correct": 108,
        "accuracy": 0.7105,
        "measured_at": "10e7f53",
        "after": "its 44 misses were read; the rules were changed for those the text decides and the "
        "batch moved to tune",
    },
    {
        "batch": 9,
        "n": 118,
        "correct": 92,
        "accuracy": 0.7797,
        "measured_at": "ab54a93",
        "after": "with the words model (the rules alone: 93/118); its 26 misses were read; the rules were "
        "changed for those the text decides, the words model retrained more cautiously, and the batch "
        "moved to tune",
    },
    {
        "batch": 10,
        "n": 109,
        "correct": 84,
        "accuracy": 0.7706,
        "measured_at": "74caed1",
        "after": "with the retrained words model (the rules alone: 75/109); its 25 misses were read; the rules "
        "were changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 11,
        "n": 103,
        "correct": 85,
        "accuracy": 0.8252,
        "measured_at": "76ced16",
        "after": "with the words model (the rules alone: 80/103); its 18 misses were read; the rules were changed "
        "for those the text decides and the batch moved to tune",
    },
    {
        "batch": 12,
        "n": 113,
        "correct": 98,
        "accuracy": 0.8673,
        "measured_at": "c30a603",
        "after": "with the words model (the rules alone: 91/113); its 15 misses were read; the rules were changed "
        "for those the text decides and the batch moved to tune",
    },
    {
        "batch": 13,
        "n": 141,
        "correct": 109,
        "accuracy": 0.773,
        "measured_at": "9180721",
        "after": "with the words model (the rules alone: 100/141); its 32 misses were read; the rules were changed "
        "for those the text decides and the batch moved to tune",
    },
    {
        "batch": 14,
        "n": 141,
        "correct": 111,
        "accuracy": 0.7872,
        "measured_at": "09b463c",
        "after": "with the words model (the rules alone: 111/141 too); its 30 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 15,
        "n": 155,
        "correct": 118,
        "accuracy": 0.7613,
        "measured_at": "5235233",
        "after": "with the words model (the rules alone: 107/155); its 37 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 16,
        "n": 151,
        "correct": 130,
        "accuracy": 0.8609,
        "measured_at": "4855310",
        "after": "with the words model (the rules alone: 126/151); its 21 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 17,
        "n": 82,
        "correct": 55,
        "accuracy": 0.6707,
        "measured_at": "b7c9c36",
        "after": "with the words model (the rules alone: 53/82); its 27 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 18,
        "n": 130,
        "correct": 115,
        "accuracy": 0.8846,
        "new_projects": {"n": 46, "correct": 41},
        "measured_at": "e6e9d62",
        "after": "with the words model (the rules alone: 112/130); its 15 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 19,
        "n": 101,
        "correct": 89,
        "accuracy": 0.8812,
        "new_projects": {"n": 33, "correct": 27},
        "measured_at": "b03a4fe",
        "after": "with the words model (the rules alone: 85/101); its 12 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 20,
        "n": 115,
        "correct": 101,
        "accuracy": 0.8783,
        "new_projects": {"n": 50, "correct": 45},
        "measured_at": "c488ef4",
        "after": "with the words model (the rules alone: 101/115); its 14 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 21,
        "n": 116,
        "correct": 101,
        "accuracy": 0.8707,
        "new_projects": {"n": 47, "correct": 41},
        "measured_at": "8d78e32",
        "after": "with the words model (the rules alone: 96/116); its 15 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 22,
        "n": 108,
        "correct": 96,
        "accuracy": 0.8889,
        "new_projects": {"n": 40, "correct": 36},
        "measured_at": "85732ed",
        "after": "with the words model (the rules alone: 96/108); its 12 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 23,
        "n": 153,
        "correct": 125,
        "accuracy": 0.817,
        "new_projects": {"n": 52, "correct": 43},
        "measured_at": "5d281ca",
        "after": "with the words model (the rules alone: 114/153); its 28 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 24,
        "n": 151,
        "correct": 118,
        "accuracy": 0.7815,
        "new_projects": {"n": 58, "correct": 45},
        "measured_at": "70ba81a",
        "after": "with the words model (the rules alone: 109/151); its 33 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 25,
        "n": 143,
        "correct": 122,
        "accuracy": 0.8531,
        "new_projects": {"n": 66, "correct": 57},
        "measured_at": "dc4e1a4",
        "after": "with the words model (the rules alone: 107/143); its 21 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 26,
        "n": 147,
        "correct": 127,
        "accuracy": 0.8639,
        "new_projects": {"n": 65, "correct": 57},
        "measured_at": "3542b9f",
        "after": "with the words model (the rules alone: 122/147); its 20 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 27,
        "n": 153,
        "correct": 109,
        "accuracy": 0.7124,
        "new_projects": {"n": 87, "correct": 67},
        "measured_at": "aab87df",
        "after": "with the words model (the rules alone: 103/153); its 44 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 28,
        "n": 122,
        "correct": 88,
        "accuracy": 0.7213,
        "new_projects": {"n": 57, "correct": 36},
        "measured_at": "c3e098e",
        "after": "with the words model (the rules alone: 84/122); its 34 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 29,
        "n": 118,
        "correct": 98,
        "accuracy": 0.8305,
        "new_projects": {"n": 64, "correct": 53},
        "measured_at": "10c6805",
        "after": "with the words model (the rules alone: 86/118); its 20 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 30,
        "n": 111,
        "correct": 93,
        "accuracy": 0.8378,
        "new_projects": {"n": 56, "correct": 49},
        "measured_at": "28c5ff1",
        "after": "with the words model (the rules alone: 85/111); its 18 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 31,
        "n": 157,
        "correct": 126,
        "accuracy": 0.8025,
        "new_projects": {"n": 118, "correct": 96},
        "measured_at": "9ff33ec",
        "after": "with the words model (the rules alone: 117/157); its 31 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 32,
        "n": 153,
        "correct": 120,
        "accuracy": 0.7843,
        "new_projects": {"n": 71, "correct": 58},
        "measured_at": "211111d",
        "after": "with the words model (the rules alone: 111/153); its 33 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 33,
        "n": 149,
        "correct": 127,
        "accuracy": 0.8523,
        "new_projects": {"n": 90, "correct": 77},
        "measured_at": "d444c7b",
        "after": "with the words model (the rules alone: 113/149); its 22 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 34,
        "n": 144,
        "correct": 125,
        "accuracy": 0.8681,
        "new_projects": {"n": 62, "correct": 57},
        "measured_at": "817a813",
        "after": "with the words model (the rules alone: 113/144); its 19 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 35,
        "n": 161,
        "correct": 129,
        "accuracy": 0.8012,
        "new_projects": {"n": 76, "correct": 61},
        "measured_at": "d920d75",
        "after": "with the words model (the rules alone: 127/161); its 32 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 36,
        "n": 156,
        "correct": 133,
        "accuracy": 0.8526,
        "new_projects": {"n": 72, "correct": 62},
        "measured_at": "dd0f6fd",
        "after": "with the words model (the rules alone: 125/156); its 23 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 37,
        "n": 151,
        "correct": 130,
        "accuracy": 0.8609,
        "new_projects": {"n": 79, "correct": 68},
        "measured_at": "05f6054",
        "after": "with the words model (the rules alone: 120/151); its 21 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 38,
        "n": 154,
        "correct": 119,
        "accuracy": 0.7727,
        "new_projects": {"n": 82, "correct": 67},
        "measured_at": "56c50a4",
        "after": "with the words model (the rules alone: 114/154); its 35 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 39,
        "n": 145,
        "correct": 113,
        "accuracy": 0.7793,
        "new_projects": {"n": 74, "correct": 63},
        "measured_at": "14a2fcf",
        "after": "with the words model (the rules alone: 104/145); its 32 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 40,
        "n": 157,
        "correct": 121,
        "accuracy": 0.7707,
        "new_projects": {"n": 70, "correct": 53},
        "measured_at": "54e92d1",
        "after": "with the words model (the rules alone: 108/157); its 36 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 41,
        "n": 152,
        "correct": 139,
        "accuracy": 0.9145,
        "new_projects": {"n": 82, "correct": 76},
        "measured_at": "d8b5a05",
        "after": "with the words model (the rules alone: 134/152); its 13 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 42,
        "n": 146,
        "correct": 125,
        "accuracy": 0.8562,
        "new_projects": {"n": 90, "correct": 78},
        "measured_at": "a1dd74b",
        "after": "with the words model (the rules alone: 110/146); its 21 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 43,
        "n": 150,
        "correct": 130,
        "accuracy": 0.8667,
        "new_projects": {"n": 84, "correct": 67},
        "measured_at": "0f36623",
        "after": "with the words model (the rules alone: 124/150); its 20 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 44,
        "n": 137,
        "correct": 108,
        "accuracy": 0.7883,
        "new_projects": {"n": 53, "correct": 41},
        "measured_at": "07e4c96",
        "after": "with the words model (the rules alone: 105/137); its 29 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 45,
        "n": 152,
        "correct": 113,
        "accuracy": 0.7434,
        "new_projects": {"n": 75, "correct": 58},
        "measured_at": "2d5dc5d",
        "after": "with the words model (the rules alone: 104/152); its 39 misses were read; two labels were "
        "corrected to a precedent the settling had missed (the figure is the one measured); the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 46,
        "n": 151,
        "correct": 120,
        "accuracy": 0.7947,
        "new_projects": {"n": 64, "correct": 48},
        "measured_at": "9053a05",
        "after": "with the words model (the rules alone: 115/151); its 31 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 47,
        "n": 152,
        "correct": 118,
        "accuracy": 0.7763,
        "new_projects": {"n": 63, "correct": 52},
        "measured_at": "8a618f8",
        "after": "with the words model (the rules alone: 111/152); its 34 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 48,
        "n": 157,
        "correct": 126,
        "accuracy": 0.8025,
        "new_projects": {"n": 72, "correct": 57},
        "measured_at": "6b8c86f",
        "after": "with the words model (the rules alone: 114/157); its 31 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 49,
        "n": 150,
        "correct": 126,
        "accuracy": 0.84,
        "new_projects": {"n": 92, "correct": 79},
        "measured_at": "763be8f",
        "after": "with the words model (the rules alone: 122/150); its 24 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 50,
        "n": 149,
        "correct": 124,
        "accuracy": 0.8322,
        "new_projects": {"n": 79, "correct": 67},
        "measured_at": "eddea99",
        "after": "with the words model (the rules alone: 117/149); its 25 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 51,
        "n": 131,
        "correct": 102,
        "accuracy": 0.7786,
        "new_projects": {"n": 88, "correct": 71},
        "measured_at": "10b1f93",
        "after": "with the words model (the rules alone: 100/131); its 29 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 52,
        "n": 137,
        "correct": 111,
        "accuracy": 0.8102,
        "new_projects": {"n": 86, "correct": 69},
        "measured_at": "0ee8536",
        "after": "with the words model (the rules alone: 109/137); its 26 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 53,
        "n": 146,
        "correct": 124,
        "accuracy": 0.8493,
        "new_projects": {"n": 106, "correct": 94},
        "measured_at": "dbbb123",
        "after": "with the words model (the rules alone: 123/146); its 22 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 54,
        "n": 150,
        "correct": 134,
        "accuracy": 0.8933,
        "new_projects": {"n": 79, "correct": 69},
        "measured_at": "3e603c4",
        "after": "with the words model (the rules alone: 132/150); its 16 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 55,
        "n": 159,
        "correct": 139,
        "accuracy": 0.8742,
        "new_projects": {"n": 79, "correct": 71},
        "measured_at": "e62d26e",
        "after": "with the words model (the rules alone: 136/159); its 20 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 56,
        "n": 147,
        "correct": 123,
        "accuracy": 0.8367,
        "new_projects": {"n": 77, "correct": 63},
        "measured_at": "4968f44",
        "after": "with the words model (the rules alone: 109/147); its 24 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 57,
        "n": 150,
        "correct": 128,
        "accuracy": 0.8533,
        "new_projects": {"n": 92, "correct": 75},
        "measured_at": "5576848",
        "after": "with the words model (the rules alone: 124/150); its 22 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 58,
        "n": 150,
        "correct": 125,
        "accuracy": 0.8333,
        "new_projects": {"n": 88, "correct": 74},
        "measured_at": "902b1b1",
        "after": "with the words model (the rules alone: 127/150); its 25 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 59,
        "n": 155,
        "correct": 137,
        "accuracy": 0.8839,
        "new_projects": {"n": 96, "correct": 87},
        "measured_at": "46820ad",
        "after": "with the words model (the rules alone: 132/155); its 18 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 60,
        "n": 150,
        "correct": 130,
        "accuracy": 0.8667,
        "new_projects": {"n": 63, "correct": 58},
        "measured_at": "121c523",
        "after": "with the words model (the rules alone: 126/150); its 20 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 61,
        "n": 151,
        "correct": 124,
        "accuracy": 0.8212,
        "new_projects": {"n": 64, "correct": 49},
        "measured_at": "2ee2889",
        "after": "with the words model (the rules alone: 121/151); its 27 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 62,
        "n": 144,
        "correct": 128,
        "accuracy": 0.8889,
        "new_projects": {"n": 66, "correct": 55},
        "measured_at": "123c60c",
        "after": "with the words model (the rules alone: 123/144); its 16 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 63,
        "n": 151,
        "correct": 126,
        "accuracy": 0.8344,
        "new_projects": {"n": 79, "correct": 67},
        "measured_at": "6d67ec8",
        "after": "with the words model (the rules alone: 120/151); its 25 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 64,
        "n": 150,
        "correct": 119,
        "accuracy": 0.7933,
        "new_projects": {"n": 60, "correct": 42},
        "measured_at": "3cf08a0",
        "after": "with the words model (the rules alone: 109/150); its 31 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 65,
        "n": 153,
        "correct": 131,
        "accuracy": 0.8562,
        "new_projects": {"n": 60, "correct": 54},
        "measured_at": "79d1d8c",
        "after": "with the words model (the rules alone: 124/153); its 22 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 66,
        "n": 154,
        "correct": 130,
        "accuracy": 0.8442,
        "new_projects": {"n": 56, "correct": 46},
        "measured_at": "e66a6fa",
        "after": "with the words model (the rules alone: 122/154); its 24 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 67,
        "n": 139,
        "correct": 111,
        "accuracy": 0.7986,
        "new_projects": {"n": 43, "correct": 37},
        "measured_at": "8a0c310",
        "after": "with the words model (the rules alone: 106/139); its 28 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 68,
        "n": 142,
        "correct": 121,
        "accuracy": 0.8521,
        "new_projects": {"n": 47, "correct": 38},
        "measured_at": "f274d30",
        "after": "with the words model (the rules alone: 118/142); its 21 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 69,
        "n": 151,
        "correct": 140,
        "accuracy": 0.9272,
        "new_projects": {"n": 52, "correct": 49},
        "measured_at": "c7f3901",
        "after": "with the words model (the rules alone: 139/151); its 11 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 70,
        "n": 153,
        "correct": 132,
        "accuracy": 0.8627,
        "new_projects": {"n": 56, "correct": 49},
        "measured_at": "f9100d2",
        "after": "with the words model (the rules alone: 128/153); its 21 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 71,
        "n": 150,
        "correct": 125,
        "accuracy": 0.8333,
        "new_projects": {"n": 80, "correct": 66},
        "measured_at": "91fc235",
        "after": "with the words model (the rules alone: 125/150); its 25 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 72,
        "n": 147,
        "correct": 128,
        "accuracy": 0.8707,
        "new_projects": {"n": 75, "correct": 65},
        "measured_at": "bd3de55",
        "after": "with the words model (the rules alone: 120/147); its 19 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 73,
        "n": 136,
        "correct": 113,
        "accuracy": 0.8309,
        "new_projects": {"n": 57, "correct": 50},
        "measured_at": "0a155d8",
        "after": "with the words model (the rules alone: 97/136); its 23 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 74,
        "n": 146,
        "correct": 121,
        "accuracy": 0.8288,
        "new_projects": {"n": 80, "correct": 65},
        "measured_at": "154330e",
        "after": "with the words model (the rules alone: 117/146); its 25 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 75,
        "n": 131,
        "correct": 111,
        "accuracy": 0.8473,
        "new_projects": {"n": 66, "correct": 57},
        "measured_at": "6c3bb96",
        "after": "with the words model (the rules alone: 112/131); its 20 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 76,
        "n": 139,
        "correct": 118,
        "accuracy": 0.8489,
        "new_projects": {"n": 76, "correct": 65},
        "measured_at": "4d92ab9",
        "after": "with the words model (the rules alone: 108/139); its 21 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 77,
        "n": 115,
        "correct": 90,
        "accuracy": 0.7826,
        "new_projects": {"n": 52, "correct": 41},
        "measured_at": "604d836",
        "after": "with the words model (the rules alone: 81/115); its 25 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 78,
        "n": 139,
        "correct": 115,
        "accuracy": 0.8273,
        "new_projects": {"n": 60, "correct": 52},
        "measured_at": "9f3eed0",
        "after": "with the words model (the rules alone: 107/139); its 24 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 79,
        "n": 141,
        "correct": 120,
        "accuracy": 0.8511,
        "new_projects": {"n": 47, "correct": 39},
        "measured_at": "3dbad4a",
        "after": "with the words model (the rules alone: 111/141); its 21 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
    {
        "batch": 80,
        "n": 125,
        "correct": 112,
        "accuracy": 0.896,
        "new_projects": {"n": 70, "correct": 63},
        "measured_at": "aa26961",
        "after": "with the words model (the rules alone: 109/125); its 13 misses were read; the rules were "
        "changed for those the text decides and the batch moved to tune",
    },
]


def corpus() -> list[dict[str, Any]]:
    return [json.loads(ln) for ln in CORPUS.read_text(encoding="utf-8").splitlines() if ln.strip()]


def measure() -> dict[str, Any]:
    """The accuracy document: per split and per labelled class, n and correct."""
    rows = corpus()
    classes: dict[str, dict[str, Any]] = {}
    overall: dict[str, dict[str, Any]] = {s: {"n": 0, "correct": 0} for s in (*SPLITS, "all")}
    wrong: list[dict[str, str]] = []
    batches: dict[str, dict[str, Any]] = {}
    guessed: dict[str, dict[str, int]] = {s: {"n": 0, "correct": 0} for s in SPLITS}
    # heldout texts from projects the tune part has texts of, and from projects new to the corpus
    tune_projects = {r["project"].lower() for r in rows if r["split"] == "tune"}
    projects: dict[str, dict[str, Any]] = {k: {"n": 0, "correct": 0} for k in ("new", "seen")}
    for r in rows:
        m = classify(r["text"], guess=True)  # what `explain` answers
        got = m.slug
        ok = got == r["label"]
        if m.guessed:
            guessed[r["split"]]["n"] += 1
            guessed[r["split"]]["correct"] += int(ok)
        c = classes.setdefault(
            r["label"], {"n": 0, "correct": 0, **{s: {"n": 0, "correct": 0} for s in SPLITS}}
        )
        b = batches.setdefault(str(r["batch"]), {"n": 0, "correct": 0, "split": r["split"]})
        buckets = [c, c[r["split"]], overall[r["split"]], overall["all"], b]
        if r["split"] == "heldout":
            buckets.append(projects["seen" if r["project"].lower() in tune_projects else "new"])
        for bucket in buckets:
            bucket["n"] += 1
            bucket["correct"] += int(ok)
        if not ok:
            wrong.append({"id": r["id"], "split": r["split"], "label": r["label"], "got": got})
    subs = [c[s] for c in classes.values() for s in SPLITS]
    for bucket in (*overall.values(), *classes.values(), *subs, *batches.values(), *projects.values()):
        bucket["accuracy"] = round(bucket["correct"] / bucket["n"], 4) if bucket["n"] else None
    return {
        "what": "share of tests/corpus/public_errors.jsonl texts whose first error `plugin-matrix explain` "
        "names as the labelled class (tests/corpus/RULES.md); generated by tests/test_corpus.py",
        "tuned_on": "tune",
        "heldout_target": HELDOUT_TARGET,
        "heldout_looks": HELDOUT_LOOKS,
        "retired_heldout": RETIRED,
        "guessed": guessed,
        "words_backtest": json.loads(BACKTEST.read_text(encoding="utf-8")) if BACKTEST.is_file() else None,
        "batches": batches,
        "overall": overall,
        "heldout_projects": projects,
        "classes": dict(sorted(classes.items())),
        "wrong": sorted(wrong, key=lambda w: (w["split"], w["id"])),
    }


def _share(b: dict[str, Any]) -> str:
    return f"{b['correct']}/{b['n']}" + (f" ({b['accuracy']:.1%})" if b["n"] else "")


def render(doc: dict[str, Any]) -> str:
    o = doc["overall"]
    lines = [
        f"heldout {_share(o['heldout'])}, tune {_share(o['tune'])}, all {_share(o['all'])}",
        f"{'class':28} {'all':>8} {'tune':>8} {'heldout':>8}",
    ]
    for slug, c in doc["classes"].items():
        cells = [f"{b['correct']}/{b['n']}" for b in (c, c["tune"], c["heldout"])]
        lines.append(f"{slug:28} {cells[0]:>8} {cells[1]:>8} {cells[2]:>8}")
    return "\n".join(lines)


def counts_section(rows: list[dict[str, Any]]) -> str:
    """The README's "Counts" section (to the end of the file), from the corpus."""
    from collections import Counter

    labels = Counter(r["label"] for r in rows)
    held = Counter(r["label"] for r in rows if r["split"] == "heldout")
    projects = Counter(r["project"] for r in rows)
    n_held = sum(held.values())
    kust = sum(1 for r in rows if r["project"] == "kubernetes-sigs/kustomize")
    mention = sum(1 for r in rows if "kustomize" in (r["text"] + r["source"]).lower())
    out = [
        COUNTS,
        f"{len(rows)} texts from {len(projects)} projects; {n_held} heldout, {len(rows) - n_held} tune. "
        f"{kust} texts come from kubernetes-sigs/kustomize itself ({mention} mention kustomize at all). "
        "This section is written by `python tests/test_corpus.py --write`.\n",
        "| label | texts | heldout |",
        "| --- | ---: | ---: |",
        *(f"| `{k}` | {v} | {held[k]} |" for k, v in sorted(labels.items(), key=lambda kv: (-kv[1], kv[0]))),
        "",
        "Per project (texts):",
        "",
        ", ".join(f"{k} {v}" for k, v in sorted(projects.items(), key=lambda kv: (-kv[1], kv[0].lower())))
        + ".",
    ]
    return "\n".join(out) + "\n"


def readme_with_counts(rows: list[dict[str, Any]]) -> str:
    text = README.read_text(encoding="utf-8")
    return text[: text.index(COUNTS)] + counts_section(rows)


def dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"


@pytest.fixture(scope="module")
def measured() -> dict[str, Any]:
    return measure()


def test_the_corpus_is_as_described() -> None:
    rows = corpus()
    assert len(rows) >= 239
    assert {r["split"] for r in rows} <= set(SPLITS)
    assert len({r["id"] for r in rows}) == len(rows)
    # a batch is all tune or all heldout (README "Split")
    for batch in {r["batch"] for r in rows}:
        assert len({r["split"] for r in rows if r["batch"] == batch}) == 1, batch


def test_readme_counts_are_up_to_date() -> None:
    assert README.read_text(encoding="utf-8") == readme_with_counts(corpus()), (
        "tests/corpus/README.md's counts are stale: run `python tests/test_corpus.py --write`"
    )


def test_accuracy_json_is_up_to_date(measured: dict[str, Any]) -> None:
    """tests/corpus/accuracy.json is what the classifier gives now."""
    assert ACCURACY.is_file(), "run: python tests/test_corpus.py --write"
    assert ACCURACY.read_text(encoding="utf-8") == dumps(measured), (
        "tests/corpus/accuracy.json is stale: run `python tests/test_corpus.py --write`\n" + render(measured)
    )


# Below 100 % on tune by design: the misses (accuracy.json's `wrong`) are texts whose label
# comes from their thread, mostly an exec plugin's `no such file or directory` for a file the
# thread shows to exist (the text says the file is missing, the likelier cause over the
# corpus), and judgement calls no text rule should copy. Which texts miss is pinned by
# test_accuracy_json_is_up_to_date; this floor keeps the rules from drifting.
# (0.92 since batch 6 joined tune with the 18 misses its README paragraph lists: 927/997)
TUNE_FLOOR = 0.92


def test_tune_split_is_classified(measured: dict[str, Any]) -> None:
    """The split the rules were written from (a regression guard)."""
    tune = measured["overall"]["tune"]
    assert tune["accuracy"] >= TUNE_FLOOR, render(measured)


def test_misses_labelled_from_the_thread_offer_the_label(measured: dict[str, Any]) -> None:
    """An exec plugin's `no such file or directory` for a file its thread shows to exist
    (labelled missing-shared-library, answered plugin-file-missing from the text): every
    such answer names the label as its alternative, with the check that tells them apart.
    On tune only: the rules were written from it; a heldout text is not read until measured."""
    rows = {r["id"]: r for r in corpus()}
    thread = [
        w
        for w in measured["wrong"]
        if (w["label"], w["got"]) == ("missing-shared-library", "plugin-file-missing")
        and w["split"] == "tune"
    ]
    assert thread
    checked = 0
    for w in thread:
        m = classify(rows[w["id"]]["text"])  # the rules' answer (a guess from the words has no alternatives)
        if m.slug != "plugin-file-missing":
            continue
        checked += 1
        alts = m.alternatives
        assert "missing-shared-library" in {a.slug for a in alts}, w["id"]
        assert all(a.check for a in alts), w["id"]
    assert checked, "no thread-labelled text was answered by the rules"


def test_retired_numbers_are_what_their_commits_measured() -> None:
    """Each retired heldout figure is the heldout part of tests/corpus/accuracy.json at the
    commit named (written there by `--write`), not a number typed in."""
    import shutil
    import subprocess

    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs the git history")
    for r in RETIRED:
        got = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{r['measured_at']}:tests/corpus/accuracy.json"],
            capture_output=True,
            text=True,
        )
        if got.returncode != 0:
            pytest.skip(f"commit {r['measured_at']} is not in this clone's history (shallow?)")
        doc = json.loads(got.stdout)
        held = doc["overall"]["heldout"]
        assert (r["n"], r["correct"], r["accuracy"]) == (held["n"], held["correct"], held["accuracy"]), r
        if "new_projects" in r:  # its texts from projects new to the corpus, measured the same way
            new = doc["heldout_projects"]["new"]
            assert r["new_projects"] == {"n": new["n"], "correct": new["correct"]}, r


def test_the_backtest_reuses_a_batch_only_with_the_same_parameters_and_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rerun of tests/corpus/backtest_words.py computes only the batches added since the
    last record, and nothing when the parameters or the code it depends on changed."""
    from tests.corpus import backtest_words as bw

    record = tmp_path / "words_backtest.json"
    monkeypatch.setattr(bw, "OUT", record)
    batch = {"batch": 7, "measured_at": "abc1234", **dict.fromkeys(bw.KEYS, 1)}
    params: dict[str, Any] = {**bw.PARAMS, "margin": bw.MARGIN}  # type: ignore[attr-defined]
    doc = {"params": params, "code": bw.code_hash(), "batches": [batch]}
    record.write_text(json.dumps(doc), encoding="utf-8")
    assert bw.reusable() == {(7, "abc1234"): batch}
    record.write_text(json.dumps({**doc, "code": "0" * 16}), encoding="utf-8")
    assert bw.reusable() == {}
    record.write_text(json.dumps({**doc, "params": {**params, "margin": -1}}), encoding="utf-8")
    assert bw.reusable() == {}
    record.write_text("not json", encoding="utf-8")
    assert bw.reusable() == {}


# The heldout batch now, as measured when it was added (its misses unread); written with the batch.
HELDOUT_NOW = "no heldout batch is unread now"


def retired_summary() -> str:
    """Each retired batch's measured figures, newest first, as RETIRED records them."""
    parts = []
    for r in reversed(RETIRED):
        extra = (
            [f"the rules alone {m.group(1)}"]
            if (m := re.search(r"the rules alone: ([0-9]+/[0-9]+)", r["after"]))
            else []
        )
        if "new_projects" in r:
            extra.append(
                f"its texts from projects new to the corpus {r['new_projects']['correct']}/{r['new_projects']['n']}"
            )
        parts.append(
            f"batch {r['batch']} ({r['n']} texts) scored {r['correct']}/{r['n']} ({r['accuracy'] * 100:.1f} %"
            + "".join(f"; {e}" for e in extra)
            + ")"
        )
    return "; ".join(parts)


@pytest.mark.xfail(
    strict=True,
    reason=f"{HELDOUT_NOW}; {retired_summary()} (see `retired_heldout` in tests/corpus/accuracy.json)",
)
def test_heldout_accuracy_meets_the_target(measured: dict[str, Any]) -> None:
    held = measured["overall"]["heldout"]
    assert held["n"] >= 100, "the heldout part is too small to measure 95 %"
    assert held["accuracy"] >= HELDOUT_TARGET, render(measured)


def main(argv: list[str]) -> int:
    doc = measure()
    if "--write" in argv:
        ACCURACY.write_text(dumps(doc), encoding="utf-8")
        README.write_text(readme_with_counts(corpus()), encoding="utf-8")
        print(
            f"wrote {ACCURACY.relative_to(ROOT)} and the counts of {README.relative_to(ROOT)}",
            file=sys.stderr,
        )
    print(render(doc))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
