"""What logs, web pages and terminals do to a paste: the corpus's texts, changed the ways
they change texts, asked again.

Every text of public_errors.jsonl that the rules name right at the base commit (labels
other than `unknown`) is changed each way below, and the rules (no words model) at the
base commit and at this checkout are asked again; the count named as before is recorded.
The base commit is checked out in a temporary git worktree and given today's corpus.

    python tests/corpus/perturb.py --base 405625a            # from the project's root; needs git
    python tests/corpus/perturb.py --base 405625a --write    # and record tests/corpus/perturbations.json
"""

from __future__ import annotations

import argparse
import html
import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tests.corpus.gitwork import head, worktree  # noqa: E402

CORPUS = ROOT / "tests" / "corpus" / "public_errors.jsonl"
OUT = ROOT / "tests" / "corpus" / "perturbations.json"


def _lines(t: str) -> list[str]:
    return t.split("\n")


def _wrapped(t: str, width: int) -> str:
    return "\n".join(
        "\n".join(textwrap.wrap(ln, width, break_long_words=True, break_on_hyphens=False) or [""])
        for ln in _lines(t)
    )


def _quotes(t: str) -> str:
    return t.replace('"', "\u201c", 1).replace('"', "\u201d", 1)


def _go_json(t: str) -> str:
    s = json.dumps({"level": "error", "error": t}, ensure_ascii=False)
    return s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


CHANGES: dict[str, Callable[[str], str]] = {
    "non-breaking spaces for spaces (a web page)": lambda t: t.replace(" ", "\u00a0"),
    "typographic quotes": _quotes,
    "HTML-escaped (a page's source)": html.escape,
    "the error field of a JSON log line (Python's json)": lambda t: json.dumps(
        {"level": "error", "ts": "2024-01-01T00:00:00Z", "msg": "failed", "error": t}
    ),
    "the error field of a JSON log line (Go's encoding/json)": _go_json,
    "word-wrapped at 80 columns": lambda t: _wrapped(t, 80),
    "a line number before every line": lambda t: "\n".join(f"{i + 1} {ln}" for i, ln in enumerate(_lines(t))),
    "stern's pod and container before every line": lambda t: "\n".join(
        "gateway-7d9f8b6c5-x2k4p gateway " + ln for ln in _lines(t)
    ),
    "a markdown bullet before every line": lambda t: "\n".join("- " + ln for ln in _lines(t)),
    "kubectl logs --prefix before every line": lambda t: "\n".join(
        "[pod/gateway-7d9f8b6c5-x2k4p/gateway] " + ln for ln in _lines(t)
    ),
}


def answers(where: Path, texts: list[str]) -> list[str]:
    """The rules' first class for each text, asked of the code in `where` (a fresh process)."""
    code = (
        "import json, sys\n"
        "sys.path.insert(0, '.')\n"
        "from matrix.diagnose.classify import classify\n"
        "print(json.dumps([classify(t).slug for t in json.load(sys.stdin)]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=where,
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        check=True,
    )
    got: list[str] = json.loads(out.stdout)
    return got


def measure(base: str) -> dict[str, object]:
    rows = [json.loads(ln) for ln in CORPUS.read_text(encoding="utf-8").splitlines() if ln.strip()]
    rows = [r for r in rows if r["label"] != "unknown"]
    with worktree(base) as wt:
        ok = [r for r, a in zip(rows, answers(wt, [r["text"] for r in rows]), strict=True) if a == r["label"]]
        result: dict[str, object] = {"texts": len(ok)}
        for name, change in CHANGES.items():
            changed = [change(r["text"]) for r in ok]
            counts = {}
            for who, where in (("base", wt), ("now", ROOT)):
                got = answers(where, changed)
                counts[who] = sum(g == r["label"] for g, r in zip(got, ok, strict=True))
            result[name] = counts
    return result


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", required=True, help="the commit to compare with")
    ap.add_argument("--write", action="store_true", help=f"record {OUT.relative_to(ROOT)}")
    args = ap.parse_args(argv)
    result = measure(args.base)
    n = result["texts"]
    print(f"{n} texts the rules at {args.base} name right; named as before when changed:")
    print(f"| change | at {args.base} | now |")
    print("| --- | ---: | ---: |")
    for name in CHANGES:
        c = result[name]
        assert isinstance(c, dict)
        print(f"| {name} | {c['base']} | {c['now']} |")
    if args.write:
        doc = {
            "what": "corpus texts the rules name right at `base`, changed the ways logs, web pages and terminals "
            "change a paste, and named as before by the rules at `base` and at `ran_at`; written by "
            "tests/corpus/perturb.py --write",
            "base": args.base,
            "ran_at": head(),
            **result,
        }
        OUT.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
