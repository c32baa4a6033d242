"""The catalog's slugs are permalinks: published ones never disappear, renames keep a
redirect; the catalog is schema-checked with errors that name the file and the field;
its patterns stay portable (RE2) so errors.json works for Go and other tools."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from matrix import UserError
from matrix.core import words
from matrix.core.catalog import (
    DEFAULT_CATALOG,
    LINK_BASE,
    Catalog,
    check_catalog,
    load_catalog,
    lost_slugs,
    published_slugs,
)
from matrix.core.catalog_json import catalog_json
from matrix.core.matching import portability_problem, re2_problem
from matrix.diagnose.classify import classify

ROOT = Path(__file__).resolve().parent.parent

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
        (
            lambda t: t.replace('slug = "timeout"\nstage = "load"', 'slug = "timeout"\nstage = "loading"', 1),
            "classes.0.stage",
        ),
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
            # log framing (a level like `FATAL: `) is removed from a line's start before matching
            lambda t: t.replace(
                """  \'\'\'plugin load is disabled\'\'\',""", "  '''FATAL: plugin load is disabled''',"
            ),
            "patterns[0]: starts with 'FATAL: ', which the log framing (matching.prefixes) removes",
        ),
        (
            # a pattern with no literal every match holds would make every line of a log be read
            lambda t: t.replace("""  \'\'\'plugin load is disabled\'\'\',""", "  '''(^|x)[a-z]+-[0-9]+$''',"),
            "(go-plugin-support-disabled).patterns[0]: holds no literal text every match must contain",
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


def test_catalog_from_the_user_cache_has_the_same_literals_and_gates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh explain reads the packaged catalog from the user's cache directory with
    every pattern's literals and gate as kept there: they must be what the TOML gives."""
    from matrix.core import catalog as catalog_mod
    from matrix.core import matching

    def seen(cat: Catalog) -> list[tuple[str, str, object, object]]:
        return [(where, p.source, p.needs, p.gate) for where, p in cat.all_patterns()]

    monkeypatch.setenv("PLUGIN_MATRIX_CACHE", str(tmp_path / "cache"))
    catalog_mod.clear_cache()
    try:
        parsed = seen(catalog_mod.load_catalog())  # parsed from the TOML, then kept
        assert list((tmp_path / "cache" / "explain").glob("catalog-*.marshal"))
        catalog_mod.clear_cache()

        def not_again(*_: object) -> None:
            raise AssertionError("literals or a gate worked out again: the cache was not used")

        monkeypatch.setattr(matching, "literal_needs", not_again)
        monkeypatch.setattr(matching, "_gate_score", not_again)
        assert seen(catalog_mod.load_catalog()) == parsed
    finally:
        catalog_mod.clear_cache()


GO_CHECK = r"""package main

// errors.json's matching rule in Go (the same as matrix/diagnose/classify.py and the
// site's explain.js), from the JSON alone. Reads {"doc": errors.json, "texts": [...]}
// and prints, per text, one JSON line ["slug", "package"] for its first error.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

type when struct {
	When *string `json:"when"`
}

// An alternative: its `evidence` (a line near the error that matches it and holds the
// file name of the error's path) makes its class the answer. Only classes' alternatives
// are read here (no fallback's alternative has evidence; the Python test checks that).
type alt struct {
	When     *string `json:"when"`
	Class    string  `json:"class"`
	Evidence *string `json:"evidence"`
	when     *regexp.Regexp
	evidence *regexp.Regexp
}

type class struct {
	Alternatives []*alt `json:"alternatives"`
	Contexts     []when `json:"contexts"`
	Slug     string   `json:"slug"`
	Stage    string   `json:"stage"`
	Patterns []string `json:"patterns"`
	Unless   []string `json:"unless"`
	Headers  []string `json:"headers"`
	Generic  bool     `json:"generic"`
	Repeats  bool     `json:"repeats"`
	Follows  *string  `json:"follows"`
	pats     []*regexp.Regexp
	unless   []*regexp.Regexp
}

type fallback struct {
	Class    string   `json:"class"`
	Stage    *string  `json:"stage"`
	Patterns []string `json:"patterns"`
	Unless   []string `json:"unless"`
	pats     []*regexp.Regexp
	unless   []*regexp.Regexp
}

type marker struct {
	Name     string   `json:"name"`
	Patterns []string `json:"patterns"`
	Commands []string `json:"commands"`
	pats     []*regexp.Regexp
	cmds     []*regexp.Regexp
}

// The words model (matrix.core.words): the guess for a text no line of which has a hit.
type wordsModel struct {
	MaxRuns int              `json:"max_runs"`
	MinWord int              `json:"min_word"`
	MaxWord int              `json:"max_word"`
	Classes []string         `json:"classes"`
	Bias    []int            `json:"bias"`
	Margin  int              `json:"margin"`
	Weights map[string][]int `json:"weights"`
}

var (
	runRe    = regexp.MustCompile(`[A-Za-z0-9_]+`)
	hexRe    = regexp.MustCompile(`^(?:0[xX][0-9A-Fa-f]+|[0-9A-Fa-f]{8,})$`)
	digitsRe = regexp.MustCompile(`[0-9]+`)
)

func guess(text string) string {
	w := d.Words
	if w == nil {
		return ""
	}
	seen := map[string]bool{}
	for _, run := range runRe.FindAllString(text, w.MaxRuns) {
		if hexRe.MatchString(run) {
			continue
		}
		for _, p := range digitsRe.Split(run, -1) {
			if len(p) >= w.MinWord && len(p) <= w.MaxWord {
				seen[strings.ToLower(p)] = true
			}
		}
	}
	s := append([]int(nil), w.Bias...)
	for word := range seen {
		if ws, ok := w.Weights[word]; ok {
			for i := range s {
				s[i] += ws[i]
			}
		}
	}
	best, u := 0, -1
	for i := range s {
		if s[i] > s[best] {
			best = i
		}
		if w.Classes[i] == "unknown" {
			u = i
		}
	}
	slug := w.Classes[best]
	if u < 0 || slug == "unknown" || s[best]-s[u] < w.Margin {
		return ""
	}
	if c, ok := bySlug[slug]; !ok || c.Stage == "fallback" {
		return ""
	}
	return slug
}

type doc struct {
	Words     *wordsModel `json:"words"`
	Classes   []*class    `json:"classes"`
	Fallbacks []*fallback `json:"fallbacks"`
	Stages    []*marker   `json:"stages"`
	Hosts     []*marker   `json:"hosts"`
	Unwrap    struct {
		Strip           string            `json:"strip"`
		DecodeWhen      string            `json:"decode_when"`
		Decode          string            `json:"decode"`
		DecodeMap       map[string]string `json:"decode_map"`
		Translate       map[string]string `json:"translate"`
		Prefixes        []string          `json:"prefixes"`
		Splits          []string          `json:"splits"`
		Gap             int               `json:"gap"`
		MaxLine         int               `json:"max_line"`
		WS              string            `json:"whitespace"`
		MaxViews        int               `json:"max_views"`
		MaxPrefixRounds int               `json:"max_prefix_rounds"`
		WholeLogFrom    int               `json:"whole_log_from"`
		Frames          string            `json:"frames"`
	} `json:"unwrap"`
}

var (
	d                                  doc
	strip, decodeWhen, decode          *regexp.Regexp
	translate                          *strings.Replacer
	prefixes, splits                   []*regexp.Regexp
	bySlug                             = map[string]*class{}
)

func all(ps []string) []*regexp.Regexp {
	out := []*regexp.Regexp{}
	for _, p := range ps {
		out = append(out, regexp.MustCompile(p))
	}
	return out
}

func trim(s string) string { return strings.Trim(s, d.Unwrap.WS) }

// Python's str.splitlines.
func splitlines(t string) []string {
	out := []string{}
	var b strings.Builder
	rs := []rune(t)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch r {
		case '\r':
			out = append(out, b.String())
			b.Reset()
			if i+1 < len(rs) && rs[i+1] == '\n' {
				i++
			}
		case '\n', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
			out = append(out, b.String())
			b.Reset()
		default:
			b.WriteRune(r)
		}
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}

func stripPrefixes(s string) string {
	s = trim(s)
	for round := 0; round < d.Unwrap.MaxPrefixRounds; round++ {
		cut := false
		for _, p := range prefixes {
			if loc := p.FindStringIndex(s); loc != nil && loc[1] > 0 {
				s = trim(s[loc[1]:])
				cut = true
				break
			}
		}
		if !cut {
			break
		}
	}
	return s
}

func views(s string) []string {
	out := []string{stripPrefixes(s)}
	for _, sp := range splits {
		k := sp.SubexpIndex("keep")
		for _, loc := range sp.FindAllStringSubmatchIndex(s, -1) {
			start := loc[1]
			if k > 0 && loc[2*k] >= 0 {
				start -= loc[2*k+1] - loc[2*k] // the view keeps what the `keep` group matched
			}
			v := stripPrefixes(s[start:])
			if v == "" {
				continue
			}
			dup := false
			for _, x := range out {
				if x == v {
					dup = true
				}
			}
			if !dup {
				out = append(out, v)
				if len(out) >= d.Unwrap.MaxViews {
					return out
				}
			}
		}
	}
	return out
}

func parts(line string) []string {
	n := d.Unwrap.MaxLine
	pieces := []string{line}
	if rs := []rune(line); len(rs) > n {
		pieces = nil
		step := n - n/10
		for i := 0; i < len(rs)-n/10; i += step {
			e := i + n
			if e > len(rs) {
				e = len(rs)
			}
			pieces = append(pieces, string(rs[i:e]))
		}
	}
	out := []string{}
	for _, p := range pieces {
		if decodeWhen.MatchString(p) {
			var b strings.Builder
			last := 0
			for _, m := range decode.FindAllStringSubmatchIndex(p, -1) {
				b.WriteString(p[last:m[0]])
				rep := p[m[0]:m[1]]
				for g := 2; g < len(m); g += 2 {
					if m[g] >= 0 {
						if v, ok := d.Unwrap.DecodeMap[p[m[g]:m[g+1]]]; ok {
							rep = v
						}
						break
					}
				}
				b.WriteString(rep)
				last = m[1]
			}
			b.WriteString(p[last:])
			out = append(out, strings.Split(b.String(), "\n")...)
		}
		out = append(out, p) // after its decoded lines
	}
	res := []string{}
	for _, p := range out {
		if trim(p) != "" {
			res = append(res, p)
		}
	}
	return res
}

type line struct {
	lineno, part int
	views        []string
	src          string
}

type hit struct {
	ln    line
	slug  string // "" only fallbacks
	fbs   []int
	pkg   string
	path  string
	view  string
	head  bool // a header line of its class
}

func group(re *regexp.Regexp, m []string, name string) string {
	for i, n := range re.SubexpNames() {
		if n == name && i < len(m) {
			return m[i]
		}
	}
	return ""
}

func anyMatch(ps []*regexp.Regexp, vs []string) bool {
	for _, p := range ps {
		for _, v := range vs {
			if p.MatchString(v) {
				return true
			}
		}
	}
	return false
}

func hitOf(ln line) *hit {
	for _, c := range d.Classes {
		if c.Stage == "fallback" {
			continue
		}
		skip := false
		for i, p := range c.pats {
			for _, v := range ln.views {
				if m := p.FindStringSubmatch(v); m != nil {
					if anyMatch(c.unless, ln.views) {
						skip = true
						break
					}
					head := false
					for _, h := range c.Headers {
						head = head || h == c.Patterns[i]
					}
					// a generic class's line may be a fallback of another stage's (a crash in a build)
					staged := []int{}
					if c.Generic {
						staged = fallbacksOf(ln, true)
					}
					return &hit{ln: ln, slug: c.Slug, pkg: group(p, m, "package"), path: group(p, m, "path"), view: v, head: head, fbs: staged}
				}
			}
			if skip {
				break
			}
		}
	}
	if fbs := fallbacksOf(ln, false); len(fbs) > 0 {
		return &hit{ln: ln, fbs: fbs}
	}
	return nil
}

func fallbacksOf(ln line, staged bool) []int {
	fbs := []int{}
	for k, fb := range d.Fallbacks {
		if (fb.Stage != nil || !staged) && anyMatch(fb.pats, ln.views) && !anyMatch(fb.unless, ln.views) {
			fbs = append(fbs, k)
		}
	}
	return fbs
}

type scanner struct {
	raw   []string
	cache map[int][]line
	marks map[int]string
}

func (s *scanner) linesOf(i int) []line {
	if got, ok := s.cache[i]; ok {
		return got
	}
	out := []line{}
	for k, p := range parts(s.raw[i]) {
		out = append(out, line{i + 1, k, views(p), p})
	}
	s.cache[i] = out
	return out
}

func (s *scanner) stage(i int) string {
	if got, ok := s.marks[i]; ok {
		return got
	}
	got := ""
	if i >= 0 && i < len(s.raw) && s.raw[i] != "" {
		for _, ln := range s.linesOf(i) {
			for _, mk := range d.Stages {
				if got == "" && anyMatch(mk.pats, ln.views) {
					got = mk.Name
				}
			}
		}
	}
	s.marks[i] = got
	return got
}

// The stage of the command line a stretch is the output of: the nearest non-blank line
// at or before line i, read against the stages' commands.
func (s *scanner) commandStage(i int) string {
	for i >= 0 && trim(s.raw[i]) == "" {
		i--
	}
	if i < 0 {
		return ""
	}
	for _, mk := range d.Stages {
		for _, ln := range s.linesOf(i) {
			if anyMatch(mk.cmds, ln.views) {
				return mk.Name
			}
		}
	}
	return ""
}

type errT struct {
	slug  string
	first *hit
	hits  []*hit
	count int
}

func continues(ln line) bool {
	src, text := trim(ln.src), ln.views[0]
	if src == text {
		return true
	}
	if !strings.HasSuffix(src, text) {
		return false
	}
	frame := strings.TrimRight(src[:len(src)-len(text)], " \t")
	r, _ := utf8.DecodeLastRuneInString(frame)
	return frame != "" && strings.ContainsRune(d.Unwrap.Frames, r)
}

// joinLines: at most this many neighbouring lines are matched joined (a wrapped message).
const joinLines = 3

// joinedHit: each join with a space, else without (the first join's choice varying slowest).
func joinedHit(i int, run []line) *hit {
	n := len(run) - 1
	for c := 0; c < 1<<n; c++ {
		j := run[0].views[0]
		for t := 0; t < n; t++ {
			sep := " "
			if (c>>(n-1-t))&1 == 1 {
				sep = ""
			}
			j += sep + run[t+1].views[0]
		}
		if h := hitOf(line{i + 1, 0, views(j), j}); h != nil && h.slug != "" {
			return h
		}
	}
	return nil
}

func first(raw string) (string, string) {
	text := strip.ReplaceAllString(raw, "")
	wholeLog := utf8.RuneCountInString(text) >= d.Unwrap.WholeLogFrom
	if !wholeLog {
		text = translate.Replace(text)
	}
	s := &scanner{raw: splitlines(text), cache: map[int][]line{}, marks: map[int]string{}}
	hits := []*hit{}
	for i := range s.raw {
		if trim(s.raw[i]) == "" {
			continue
		}
		for _, ln := range s.linesOf(i) {
			if h := hitOf(ln); h != nil {
				hits = append(hits, h)
			}
		}
	}
	if !wholeLog {
		taken := map[int]bool{}
		for _, h := range hits {
			taken[h.ln.lineno] = true
		}
		for i := 0; i+1 < len(s.raw); i++ {
			for k := 2; k <= joinLines && i+k <= len(s.raw); k++ {
				run, ok := []line{}, true
				for j := 0; j < k && ok; j++ {
					ls := s.linesOf(i + j)
					ok = !taken[i+j+1] && len(ls) == 1
					if ok {
						run = append(run, ls[0])
					}
				}
				if !ok || !continues(run[k-1]) {
					break // a line with log framing starts a new record, unless it is a box's frame
				}
				if h := joinedHit(i, run); h != nil {
					hits = append(hits, h)
					for t := 1; t < k; t++ {
						taken[i+t+1] = true
					}
					break
				}
			}
		}
		sort.SliceStable(hits, func(x, y int) bool {
			if hits[x].ln.lineno != hits[y].ln.lineno {
				return hits[x].ln.lineno < hits[y].ln.lineno
			}
			return hits[x].ln.part < hits[y].ln.part
		})
	}
	runs := [][]*hit{}
	for _, h := range hits {
		if n := len(runs); n > 0 && h.ln.lineno-runs[n-1][len(runs[n-1])-1].ln.lineno <= d.Unwrap.Gap {
			runs[n-1] = append(runs[n-1], h)
		} else {
			runs = append(runs, []*hit{h})
		}
	}
	found := []*errT{}
	for _, run := range runs {
		stage := ""
		end := run[len(run)-1].ln.lineno + d.Unwrap.Gap
		if end > len(s.raw) {
			end = len(s.raw)
		}
		for i := run[0].ln.lineno - 1; i < end && stage == ""; i++ {
			stage = s.stage(i)
		}
		if stage == "" {
			stage = s.commandStage(run[0].ln.lineno - 2)
		}
		specific, keyed, generic := []*errT{}, map[string]*errT{}, [][3]interface{}{}
		leads := []*hit{} // a specific class's header (# runtime/cgo): the lines after it say more
		later := func(a, b line) int {
			if a.lineno != b.lineno {
				return a.lineno - b.lineno
			}
			return a.part - b.part
		}
		for _, h := range run {
			if h.slug != "" && h.head && !bySlug[h.slug].Generic {
				leads = append(leads, h)
			} else if h.slug != "" && !bySlug[h.slug].Generic {
				key := h.slug + "\x00" + h.pkg
				if e, ok := keyed[key]; ok {
					e.hits = append(e.hits, h)
					e.count++
				} else {
					e := &errT{h.slug, h, []*hit{h}, 1}
					keyed[key] = e
					specific = append(specific, e)
				}
			} else if h.slug != "" {
				// a generic class's line in a stretch of another stage is that stage's fallback
				slug, fk := h.slug, -1
				if stage != "" && bySlug[h.slug].Stage != stage {
					for _, k := range h.fbs {
						if fb := d.Fallbacks[k]; fb.Stage != nil && *fb.Stage == stage {
							slug, fk = fb.Class, k
							break
						}
					}
				}
				generic = append(generic, [3]interface{}{h, slug, fk})
			} else {
				for _, k := range h.fbs {
					fb := d.Fallbacks[k]
					if fb.Stage == nil || *fb.Stage == stage {
						generic = append(generic, [3]interface{}{h, fb.Class, k})
						break
					}
				}
			}
		}
		// a header with nothing after it in the stretch is its class's error (earlier lines join it)
		kept := []*hit{}
		for _, h := range leads {
			if later(h.ln, run[len(run)-1].ln) < 0 {
				kept = append(kept, h)
				continue
			}
			key := h.slug + "\x00" + h.pkg
			if e, ok := keyed[key]; ok {
				e.hits = append(e.hits, h)
			} else {
				e := &errT{h.slug, h, []*hit{h}, 1}
				keyed[key] = e
				specific = append(specific, e)
			}
		}
		leads = kept
		loose, looseBy := []*errT{}, map[string]*errT{}
		heads := [][3]interface{}{}
		for _, g := range generic {
			if !g[0].(*hit).head {
				heads = append(heads, g)
			}
		}
		for _, g := range generic {
			if g[0].(*hit).head {
				heads = append(heads, g)
			}
		}
		for _, g := range heads {
			h, slug := g[0].(*hit), g[1].(string)
			own := bySlug[slug].Stage
			var best *errT
			bestD := 1 << 30
			sameStage := false
			for _, e := range specific {
				sameStage = sameStage || own == "fallback" || bySlug[e.slug].Stage == own
			}
			near := specific
			if !sameStage && h.head {
				near = append(append([]*errT{}, specific...), loose...)
			}
			for _, e := range near {
				if (sameStage || !h.head) && own != "fallback" && bySlug[e.slug].Stage != own {
					continue
				}
				dist := 1 << 30
				for _, x := range e.hits {
					dd := x.ln.lineno - h.ln.lineno
					if dd < 0 {
						dd = -dd
					}
					if dd < dist {
						dist = dd
					}
				}
				if dist < bestD {
					best, bestD = e, dist
				}
			}
			// a line another fallback's error also matched joins it (a panic's goroutine dump
			// joins the panic that the program raised itself)
			var kin *errT
			if fk := g[2].(int); fk >= 0 {
			looking:
				for _, e := range loose {
					for _, k := range e.first.fbs {
						if k == fk {
							kin = e
							break looking
						}
					}
				}
			}
			if best != nil {
				best.hits = append(best.hits, h)
			} else if e, ok := looseBy[slug]; ok {
				e.hits = append(e.hits, h)
			} else if kin != nil {
				kin.hits = append(kin.hits, h)
			} else {
				e := &errT{slug, h, []*hit{h}, 1}
				looseBy[slug] = e
				loose = append(loose, e)
			}
		}
		here := append(specific, loose...)
		// a specific class's header with lines after it joins the first error after it (of
		// any class), else the error next to it
		for _, h := range leads {
			after := []*errT{}
			for _, e := range here {
				if later(e.first.ln, h.ln) > 0 {
					after = append(after, e)
				}
			}
			if len(after) == 0 {
				after = here
			}
			if len(after) == 0 {
				here = append(here, &errT{h.slug, h, []*hit{h}, 1})
				continue
			}
			best, bestD := after[0], 1<<30
			for _, e := range after {
				dd := e.first.ln.lineno - h.ln.lineno
				if dd < 0 {
					dd = -dd
				}
				if dd < bestD {
					best, bestD = e, dd
				}
			}
			best.hits = append(best.hits, h)
		}
		found = append(found, here...)
	}
	firsts := []*errT{}
	for _, e := range found {
		if !bySlug[e.slug].Repeats && !bySlug[e.slug].Generic {
			firsts = append(firsts, e)
		}
	}
	kept := []*errT{}
	for _, e := range found {
		if bySlug[e.slug].Repeats {
			dup := false
			for _, f := range firsts {
				if bySlug[f.slug].Stage == bySlug[e.slug].Stage && (f.first.pkg == e.first.pkg || e.first.pkg == "") {
					dup = true
				}
			}
			if dup {
				continue
			}
		}
		kept = append(kept, e)
	}
	digits := regexp.MustCompile(`[0-9]+`)
	merged, mergedBy := []*errT{}, map[string]*errT{}
	for _, e := range kept {
		v := e.first.view
		if e.first.slug == "" {
			v = e.first.ln.views[0]
		}
		key := e.slug + "\x00" + e.first.pkg + "\x00" + digits.ReplaceAllString(v, "#")
		if m, ok := mergedBy[key]; ok {
			m.count += e.count
		} else {
			mergedBy[key] = e
			merged = append(merged, e)
		}
	}
	anyFirst := false
	for _, e := range merged {
		c := bySlug[e.slug]
		if !c.Repeats && !c.Generic {
			anyFirst = true
		}
	}
	before := func(x, e *errT) bool {
		if x.first.ln.lineno != e.first.ln.lineno {
			return x.first.ln.lineno < e.first.ln.lineno
		}
		return x.first.ln.part < e.first.ln.part
	}
	// an error that follows a stage comes after that stage's errors printed before it
	firstOf := map[string]*errT{} // each stage's first error (not a repeat)
	for _, x := range merged {
		if c := bySlug[x.slug]; !c.Repeats && (firstOf[c.Stage] == nil || before(x, firstOf[c.Stage])) {
			firstOf[c.Stage] = x
		}
	}
	late := func(e *errT) int {
		c := bySlug[e.slug]
		if c.Repeats && anyFirst {
			return 1
		}
		if c.Follows != nil && firstOf[*c.Follows] != nil && before(firstOf[*c.Follows], e) {
			return 1
		}
		return 0
	}
	sort.SliceStable(merged, func(x, y int) bool {
		a, b := merged[x], merged[y]
		if late(a) != late(b) {
			return late(a) < late(b)
		}
		if a.first.ln.lineno != b.first.ln.lineno {
			return a.first.ln.lineno < b.first.ln.lineno
		}
		return a.first.ln.part < b.first.ln.part
	})
	if len(merged) == 0 {
		if g := guess(raw); g != "" {
			return g, ""
		}
		return "unknown", ""
	}
	e := merged[0]
	if e.first.slug != "" {
		if other := shown(s, e); other != "" {
			return other, e.first.pkg
		}
	}
	return e.slug, e.first.pkg
}

// namesFile: whether raw names the file name itself, not a longer name (x.so for x) nor a
// directory of that name (x/).
func namesFile(raw, name string) bool {
	isName := func(c byte) bool {
		return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-'
	}
	for i := strings.Index(raw, name); i >= 0; {
		j := i + len(name)
		before, after := byte(' '), byte(' ')
		if i > 0 {
			before = raw[i-1]
		}
		if j < len(raw) {
			after = raw[j]
		}
		if !isName(before) && !isName(after) && after != '/' && after != '\\' {
			return true
		}
		k := strings.Index(raw[i+1:], name)
		if k < 0 {
			break
		}
		i += 1 + k
	}
	return false
}

// evidenceLines: how far (in lines, either side) the evidence for an alternative is looked for.
const evidenceLines = 50

func shown(s *scanner, e *errT) string {
	p := strings.TrimRight(strings.TrimSpace(e.first.path), "/\\")
	name := p[strings.LastIndexAny(p, "/\\")+1:]
	if name == "" {
		return ""
	}
	vs, lo, hi := []string{}, e.hits[0].ln.lineno, e.hits[0].ln.lineno
	for _, h := range e.hits {
		vs = append(vs, h.ln.views...)
		if h.ln.lineno < lo {
			lo = h.ln.lineno
		}
		if h.ln.lineno > hi {
			hi = h.ln.lineno
		}
	}
	from, to := lo-1-evidenceLines, hi+evidenceLines
	if from < 0 {
		from = 0
	}
	if to > len(s.raw) {
		to = len(s.raw)
	}
	for _, a := range bySlug[e.slug].Alternatives {
		if a.evidence == nil || (a.when != nil && !anyMatch([]*regexp.Regexp{a.when}, vs)) {
			continue
		}
		for _, raw := range s.raw[from:to] {
			if namesFile(raw, name) && a.evidence.MatchString(raw) {
				return a.Class
			}
		}
	}
	return ""
}

func main() {
	var in struct {
		Doc   json.RawMessage `json:"doc"`
		Texts []string        `json:"texts"`
	}
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		panic(err)
	}
	if err := json.Unmarshal(in.Doc, &d); err != nil {
		panic(err)
	}
	strip = regexp.MustCompile(d.Unwrap.Strip)
	oldnew := []string{}
	for k, v := range d.Unwrap.Translate {
		oldnew = append(oldnew, k, v)
	}
	translate = strings.NewReplacer(oldnew...)
	decodeWhen = regexp.MustCompile(d.Unwrap.DecodeWhen)
	decode = regexp.MustCompile(d.Unwrap.Decode)
	prefixes, splits = all(d.Unwrap.Prefixes), all(d.Unwrap.Splits)
	for _, c := range d.Classes {
		c.pats, c.unless = all(c.Patterns), all(c.Unless)
		bySlug[c.Slug] = c
		for _, a := range c.Alternatives {
			if a.When != nil {
				a.when = regexp.MustCompile(*a.When)
			}
			if a.Evidence != nil {
				a.evidence = regexp.MustCompile(*a.Evidence)
			}
		}
		for _, w := range c.Contexts {
			if w.When != nil {
				regexp.MustCompile(*w.When)
			}
		}
	}
	for _, f := range d.Fallbacks {
		f.pats, f.unless = all(f.Patterns), all(f.Unless)
	}
	for _, m := range append(d.Stages, d.Hosts...) {
		m.pats = all(m.Patterns)
		m.cmds = all(m.Commands)
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for _, t := range in.Texts {
		slug, pkg := first(t)
		b, _ := json.Marshal([]string{slug, pkg})
		fmt.Fprintln(w, string(b))
	}
}
"""


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("go") is None, reason="needs Go")
def test_go_regexp_accepts_every_pattern_and_agrees(tmp_path: Path) -> None:
    """errors.json in Go: every pattern compiles with Go's regexp (RE2), and errors.json's
    matching rule, written in Go from the JSON alone, gives the same first error (class and
    package) as ours on every catalog example, real-world test text and corpus text."""
    from tests.test_classify import CASES

    cat = load_catalog()
    corpus = ROOT / "tests" / "corpus" / "public_errors.jsonl"
    texts = [ex for c in cat.classes for ex in c.examples] + [t for t, _ in CASES]
    texts += [json.loads(ln)["text"] for ln in corpus.read_text(encoding="utf-8").splitlines() if ln.strip()]
    (tmp_path / "go.mod").write_text("module example.com/check\n\ngo 1.21\n")
    (tmp_path / "main.go").write_text(GO_CHECK)
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "GOCACHE", "GOMODCACHE", "GOPATH")}
    env.update({"GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod", "GOPROXY": "off", "CGO_ENABLED": "0"})
    payload = json.dumps({"doc": words.errors_json(cat), "texts": texts})
    r = subprocess.run(
        ["go", "run", "."], cwd=tmp_path, env=env, input=payload, capture_output=True, text=True, timeout=600
    )
    assert r.returncode == 0, r.stderr
    go = [json.loads(ln) for ln in r.stdout.splitlines()]
    assert len(go) == len(texts)
    ours = [classify(t, guess=True) for t in texts]  # what explain answers
    differ = [
        (t[:100], g, [m.slug, m.package or ""])
        for t, g, m in zip(texts, go, ours, strict=True)
        if g != [m.slug, m.package or ""]
    ]
    assert not differ, differ
    guessed = [t for t, m in zip(texts, ours, strict=True) if m.why == words.WHY]
    assert len(guessed) >= 10, "the words model's guesses were not compared"


def test_the_packaged_catalog_passes_the_full_check() -> None:
    """load_catalog() trusts the packaged catalog (no schema check at run time, patterns
    compiled on first use): this is the check it skips, schema and every pattern."""
    cat = check_catalog()
    assert [c.slug for c in cat.classes] == [c.slug for c in load_catalog().classes]


def test_every_class_says_what_it_owns() -> None:
    """`owns`: the labelling rules of tests/corpus/RULES.md, in the catalog."""
    cat = load_catalog()
    assert all(len(c.owns) > 40 for c in cat.classes), [c.slug for c in cat.classes if len(c.owns) <= 40]
    doc = catalog_json(cat)
    assert all(c["owns"] for c in doc["classes"])


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        (r"error \d+", r"\d"),
        (r"\bplugin\b", r"\b"),
        (r"(?i)plugin", "inline flag"),
        (r"foo(?=bar)", "look-around"),
    ],
)
def test_patterns_must_mean_the_same_in_javascript(pattern: str, why: str) -> None:
    problem = portability_problem(pattern)
    assert problem is not None
    assert why in problem


def test_a_damaged_packaged_catalog_is_still_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run-time shortcut for the packaged catalog falls back to the full check."""
    from matrix.core import catalog as catalog_mod

    bad = tmp_path / "errors.toml"
    bad.write_text(
        DEFAULT_CATALOG.read_text()
        .replace('slug = "timeout"', 'slug = "timeout"\ncolour = 1', 1)
        .replace('title = "The load did not finish in time"', "", 1)
    )
    monkeypatch.setattr(catalog_mod, "DEFAULT_CATALOG", bad.resolve())
    monkeypatch.setenv("PLUGIN_MATRIX_CACHE", str(tmp_path / "cache"))
    catalog_mod.clear_cache()
    try:
        with pytest.raises(UserError, match=r"classes\.0"):
            catalog_mod.load_catalog(bad)
    finally:
        catalog_mod.clear_cache()
