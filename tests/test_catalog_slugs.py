"""The catalog's slugs are permalinks: published ones never disappear, renames keep a
redirect; the catalog is schema-checked with errors that name the file and the field;
its patterns stay portable (RE2) so errors.json works for Go and other tools."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from matrix import UserError
from matrix.core.catalog import (
    DEFAULT_CATALOG,
    LINK_BASE,
    catalog_json,
    load_catalog,
    lost_slugs,
    published_slugs,
    re2_problem,
)
from matrix.diagnose.classify import classify

DESIGN_SLUGS = {
    "load": [
        "package-version-mismatch",
        "plugin-not-implemented",
        "elf-mismatch",
        "missing-shared-library",
        "no-plugin-module-data",
        "plugin-already-loaded",
        "previous-failure",
        "symbol-not-found",
        "wrong-plugin-interface",
        "external-plugins-disabled",
        "go-plugin-support-disabled",
        "plugin-root-not-found",
        "plugin-file-missing",
        "unexecutable-plugin",
        "runtime-crash",
        "timeout",
    ],
    "build": ["buildmode-unsupported", "go-version-too-old", "cgo-unavailable", "build-failed"],
    "fallback": ["unknown"],
}


def test_the_catalog_has_exactly_the_designed_classes() -> None:
    cat = load_catalog()
    assert {s: sorted(c.slug for c in cat.classes if c.stage == s) for s in DESIGN_SLUGS} == {
        s: sorted(v) for s, v in DESIGN_SLUGS.items()
    }
    assert cat.classes[-1].slug == "unknown"


def test_no_published_slug_is_lost() -> None:
    cat, published = load_catalog(), published_slugs()
    assert not lost_slugs(cat, published), "a published slug needs a class or an entry in [redirects]"
    assert len(set(published)) == len(published)
    # and every class is published: add new slugs to data/published-slugs.txt
    assert set(cat.by_slug) <= set(published)


def _copy(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "errors.toml"
    p.write_text(text)
    return p


def test_a_rename_without_redirect_is_caught_and_with_one_is_fine(tmp_path: Path) -> None:
    text = DEFAULT_CATALOG.read_text().replace('slug = "elf-mismatch"', 'slug = "binary-mismatch"')
    text = text.replace('"elf-mismatch"', '"binary-mismatch"')  # related lists follow the rename
    renamed = load_catalog(_copy(tmp_path, text))
    assert lost_slugs(renamed, published_slugs()) == ["elf-mismatch"]

    (tmp_path / "redirected").mkdir()
    redirected = load_catalog(
        _copy(
            tmp_path / "redirected",
            text.replace("[redirects]\n", '[redirects]\nelf-mismatch = "binary-mismatch"\n'),
        )
    )
    assert lost_slugs(redirected, published_slugs()) == []
    assert redirected.get("elf-mismatch").slug == "binary-mismatch"
    assert catalog_json(redirected)["redirects"]["elf-mismatch"]["url"] == f"{LINK_BASE}binary-mismatch/"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace('stage = "load"', 'stage = "loading"', 1), "classes.0.stage"),
        (lambda t: t.replace('slug = "timeout"', 'slug = "timeout"\ncolour = "red"'), "classes.0"),
        (lambda t: t.replace('slug = "timeout"', 'slug = "Time Out"'), "classes.0.slug"),
        (lambda t: t.replace("[redirects]\n", "[redirects]\nold-name = 42\n"), "redirects.old-name"),
        (lambda t: t.replace("schema = 1", "schema = 2"), "schema"),
        (lambda t: t.replace('slug = "previous-failure"', 'slug = "timeout"'), "classes[1] (timeout).slug"),
        (
            lambda t: t.replace(
                """  \'\'\'plugin load is disabled\'\'\',""", "  '''plugin (load is disabled''',"
            ),
            "classes[2] (go-plugin-support-disabled).patterns[0]: not a valid regular expression",
        ),
        (
            lambda t: t.replace(
                """  \'\'\'plugin load is disabled\'\'\',""", "  '''plugin load (?!is) disabled''',"
            ),
            "patterns[0]: uses a look-around",
        ),
        (
            lambda t: t.replace(
                """  \'\'\'plugin load is disabled\'\'\',""", "  '''(?P<name>plugin) load''',"
            ),
            "the only named groups allowed are package, path",
        ),
        (
            lambda t: t.replace('related = ["runtime-crash"]', 'related = ["no-such-class"]', 1),
            "classes[0] (timeout).related: no class 'no-such-class'",
        ),
        (
            lambda t: t.replace("[redirects]\n", '[redirects]\ntimeout = "runtime-crash"\n'),
            "redirects.timeout: 'timeout' is still a class",
        ),
        (
            lambda t: t.replace("[redirects]\n", '[redirects]\nold = "nowhere"\n'),
            "redirects.old: points to 'nowhere'",
        ),
        (lambda t: t.replace('stage = "fallback"', 'stage = "build"'), "exactly one fallback class"),
        (lambda t: t + "\n[[classes]]\n", "classes.21: 'slug' is a required property"),
        (lambda t: t.replace("[redirects]", "[redirects"), "not valid TOML"),
    ],
)
def test_catalog_problems_name_the_file_and_the_field(tmp_path: Path, edit: object, message: str) -> None:
    text = edit(DEFAULT_CATALOG.read_text())  # type: ignore[operator]
    with pytest.raises(UserError) as e:
        load_catalog(_copy(tmp_path, text))
    assert str(tmp_path / "errors.toml") in str(e.value), str(e.value)
    assert message in str(e.value), str(e.value)


def test_missing_catalog_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="cannot read the error catalog"):
        load_catalog(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("pattern", "ok"),
    [
        (r"plugin was built with a different version of package (?P<package>\S+)", True),
        (r"version [`'][A-Za-z0-9_.]+' not found", True),
        (r"(?i)segmentation fault", True),
        (r"foo(?=bar)", False),
        (r"(?<!x)foo", False),
        (r"(?P<a>x)(?P=a)", False),
        (r"(x)\1", False),
        (r"(?>foo)", False),
        (r"a++", False),
    ],
)
def test_re2_check(pattern: str, ok: bool) -> None:
    assert (re2_problem(pattern) is None) is ok


def test_links_use_the_one_base() -> None:
    cat = load_catalog()
    assert LINK_BASE == "https://kustomize-plugin-matrix.github.io/errors/"
    assert all(c.link == f"{LINK_BASE}{c.slug}/" for c in cat.classes)
    doc = catalog_json(cat)
    assert [c["slug"] for c in doc["classes"]] == [c.slug for c in cat.classes]  # matching order
    assert all(
        c["url"] == f"{LINK_BASE}{c['slug']}/" and c["patterns"] == list(cat.get(c["slug"]).patterns)
        for c in doc["classes"]
    )
    json.dumps(doc)


def test_catalog_is_cached() -> None:
    assert load_catalog() is load_catalog() is load_catalog(DEFAULT_CATALOG)


GO_CHECK = r"""package main

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
)

type class struct {
	Slug     string   `json:"slug"`
	Patterns []string `json:"patterns"`
}

// Reads {"classes": [...], "texts": [...]} and prints one slug per text: errors.json's
// matching rule (per line, first class wins; "(previous failure)" lines last).
func main() {
	var in struct {
		Classes []class  `json:"classes"`
		Texts   []string `json:"texts"`
	}
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		panic(err)
	}
	res := make([][]*regexp.Regexp, len(in.Classes))
	for i, c := range in.Classes {
		for _, p := range c.Patterns {
			res[i] = append(res[i], regexp.MustCompile(p))
		}
	}
	for _, t := range in.Texts {
		var first, repeats []string
		for _, ln := range strings.Split(strings.ReplaceAll(t, "\r", ""), "\n") {
			ln = strings.TrimSpace(ln)
			if ln == "" {
				continue
			}
			if strings.Contains(ln, "(previous failure)") {
				repeats = append(repeats, ln)
			} else {
				first = append(first, ln)
			}
		}
		slug := "unknown"
	found:
		for _, lines := range [][]string{first, repeats} {
			for i, c := range in.Classes {
				for _, ln := range lines {
					for _, re := range res[i] {
						if re.MatchString(ln) {
							slug = c.Slug
							break found
						}
					}
				}
			}
		}
		fmt.Println(slug)
	}
}
"""


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("go") is None, reason="needs Go")
def test_go_regexp_accepts_every_pattern_and_agrees(tmp_path: Path) -> None:
    """errors.json in Go: every pattern compiles with Go's regexp (RE2), and Go's matching
    gives the same class as ours on every catalog example and real-world test text."""
    from tests.test_classify import CASES

    cat = load_catalog()
    texts = [ex for c in cat.classes for ex in c.examples] + [t for t, _ in CASES]
    texts = [re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", t) for t in texts]
    (tmp_path / "go.mod").write_text("module example.com/check\n\ngo 1.21\n")
    (tmp_path / "main.go").write_text(GO_CHECK)
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "GOCACHE", "GOMODCACHE", "GOPATH")}
    env.update({"GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod", "GOPROXY": "off", "CGO_ENABLED": "0"})
    payload = json.dumps({"classes": catalog_json(cat)["classes"], "texts": texts})
    r = subprocess.run(
        ["go", "run", "."], cwd=tmp_path, env=env, input=payload, capture_output=True, text=True, timeout=600
    )
    assert r.returncode == 0, r.stderr
    go = r.stdout.split()
    assert len(go) == len(texts)
    differ = [(t[:100], g, classify(t).slug) for t, g in zip(texts, go, strict=True) if classify(t).slug != g]
    assert not differ, differ
