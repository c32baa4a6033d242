"""`plugin-matrix explain` on what people really paste, and on what they should not.

- unwrapping: JSON logs with `\\"` escapes and literal `\\n`, logfmt, journal and klog
  prefixes, `panic:` with a goroutine dump, BuildKit and compose prefixes, kustomize's
  `failure in plugin configured via ...` wrapper, terminal-wrapped lines;
- stage and host, fallbacks (Go build output, a Go panic no class claims), package names
  cut off, missing or long; macOS, Windows, timeouts, paraphrases;
- honest ambiguity (alternatives with the one command that tells them apart) and fixes
  for the context, both from the catalog;
- whole logs: every error, first first, the same with and without the prefilter;
- bad input: empty, binary, too long, invalid UTF-8: one line, exit 2, never a traceback;
  and a seeded fuzz run (PLUGIN_MATRIX_FUZZ_N inputs, 300 by default).
"""

from __future__ import annotations

import io
import json
import os
import random
import sys
from pathlib import Path
from typing import Any

import pytest

from matrix.cli import main
from matrix.cli.explain import MAX_INPUT, _json_parts, explain, explain_all
from matrix.core.catalog import load_catalog
from matrix.core.matching import WHOLE_LOG_FROM
from matrix.diagnose import gates, unwrap
from matrix.diagnose.classify import classify, scan

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus" / "public_errors.jsonl"
NOWHERE = ROOT / "tests" / "no-such-data-dir"
FUZZ_N = int(os.environ.get("PLUGIN_MATRIX_FUZZ_N", "300"))
MISMATCH = 'plugin.Open("/p/Foo"): plugin was built with a different version of package internal/abi'


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLUGIN_MATRIX_CACHE", str(tmp_path / "cache"))


def texts() -> list[str]:
    return [json.loads(ln)["text"] for ln in CORPUS.read_text(encoding="utf-8").splitlines() if ln.strip()]


# ---------------------------------------------------------------- unwrapping


# What people paste, wrapped the ways logs, web pages and terminals wrap it (the site's box
# gives the same answers: tests/test_browser_explain.py)
PASTES: list[tuple[str, str, str | None]] = [
    # a JSON log line: escaped quotes, the inner error's lines as literal \n
    (
        '{"level":"error","msg":"load failed","error":"panic: plugin.Open(\\"/p/Foo\\"): plugin was built '
        'with a different version of package github.com/pkg/errors\\n\\ngoroutine 1 [running]:\\nmain.main()"}',
        "package-version-mismatch",
        "github.com/pkg/errors",
    ),
    (
        '{"level":"fatal","error":"fatal error: runtime: no plugin module data\\n\\ngoroutine 1 [running]:"}',
        "no-plugin-module-data",
        None,
    ),
    # logfmt
    (
        'time="2024-01-01T10:00:00Z" level=error msg="could not load" err="plugin: not implemented"',
        "plugin-not-implemented",
        None,
    ),
    # systemd journal and klog
    (
        'Mar 02 10:00:00 node1 gateway[123]: plugin.Open("/x/y.so"): /x/y.so: wrong ELF class: ELFCLASS32',
        "elf-mismatch",
        None,
    ),
    (
        "E1104 17:37:44.690243       1 server.go:72] " + MISMATCH,
        "package-version-mismatch",
        "internal/abi",
    ),
    # a fatal klog line keeps its severity, and its message is still read on its own
    (
        "F1104 17:37:44.690243       1 server.go:72] " + MISMATCH,
        "package-version-mismatch",
        "internal/abi",
    ),
    # a fatal glog line no class claims, then the dump glog prints: the program's own exit
    (
        "F0116 11:30:02 14267 mount_std.go:72] exit status 255\ngoroutine 1 [running]:\n"
        "github.com/golang/glog.stacks(0xc00009d100)\n\t/go/glog/glog.go:767 +0xb1",
        "unknown",
        None,
    ),
    # docker BuildKit and compose prefixes on every line of a Go build
    (
        "#12 0.345 # github.com/x/y\n#12 0.346 main.go:3:2: undefined: foo\n#12 0.350 note: module requires Go 1.23",
        "go-version-too-old",
        None,
    ),
    (
        "gateway  | fatal error: runtime: no plugin module data\ngateway  | ",
        "no-plugin-module-data",
        None,
    ),
    # kustomize's exec-plugin wrapper
    (
        "Error: failure in plugin configured via /tmp/kust-plugin-config-1; exit status 1: fork/exec "
        "/home/u/.config/kustomize/plugin/x/v1/y/Y: exec format error",
        "elf-mismatch",
        None,
    ),
    # a panic that only carries a load error is that error
    (
        'panic: plugin.Open("x"): plugin already loaded\n\ngoroutine 1 [running]:\nmain.main()',
        "plugin-already-loaded",
        None,
    ),
    # a terminal wrapped the message (over two lines, or three)
    (
        "helm-secrets: fork/exec /usr/local/bin/sops: no such\nfile or\ndirectory",
        "plugin-file-missing",
        None,
    ),
    ('plugin.Open("/v/x.so"): /v/x.so: wrong ELF\nclass: ELFCLASS64', "elf-mismatch", None),
    (
        "plugin was built with a diff\nerent version of package golang.org/x/net/idna",
        "package-version-mismatch",
        "golang.org/x/net/idna",
    ),
    # HTML entities and markdown escapes from a web page or an issue's source
    ("plugin.Open(&quot;/p/Foo.so&quot;): realpath failed", "plugin-file-missing", None),
    ("version `GLIBC\\_2.34' not found (required by ./plugin.so)", "missing-shared-library", None),
    # what a web page or a word processor puts in place of plain characters
    (
        "plugin\u00a0was built with a\u00a0different version of package internal/cpu",
        "package-version-mismatch",
        "internal/cpu",
    ),
    ("plugin.Open(\u201c/p/Foo.so\u201d): realpath failed", "plugin-file-missing", None),
    ("\u2013buildmode=plugin not supported on windows/amd64", "buildmode-unsupported", None),
    ("plug\u200bin: not implemented", "plugin-not-implemented", None),
    # framing no prefix names (a line number, stern's pod and container): a Go build's header keeps its place
    (
        "12 # command-line-arguments\n13 runtime.islibrary: missing Go type information for global symbol: size 1",
        "build-failed",
        None,
    ),
    ("/ # certbot", "unknown", None),  # a shell prompt is no package header
    # OpenWrt's logread (date, facility.level, program[pid]): a panic keeps its place at the line's start
    (
        "Sun Mar 31 13:03:26 2024 daemon.err adguard[1234]: panic: qtls.ClientSessionState doesn't match\n"
        "Sun Mar 31 13:03:26 2024 daemon.err adguard[1234]: goroutine 1 [running]:",
        "unknown",
        None,
    ),
    (
        "Sun Mar 31 13:03:26 2024 daemon.err nebula[1234]: panic: lighthouse.hosts must be a list\n"
        "Sun Mar 31 13:03:26 2024 daemon.err nebula[1234]: goroutine 1 [running]:",
        "unknown",
        None,
    ),
    # a JSON log line's decoded text is read first: the pattern and its `unless` see plain quotes
    (
        '{"level":"error","error":"# example.com/x\\ncgo: exec gcc: exec: \\"gcc\\": executable file not found in $PATH"}',
        "cgo-unavailable",
        None,
    ),
]


@pytest.mark.parametrize(("text", "slug", "package"), PASTES)
def test_unwraps_what_people_paste(text: str, slug: str, package: str | None) -> None:
    m = classify(text)
    assert (m.slug, m.package) == (slug, package), (m, text)


def test_go_json_escapes_are_decoded_and_come_first() -> None:
    """Go's encoding/json writes <, > and & as \\u003c, \\u003e and \\u0026; the decoded line
    comes before the line as it is."""
    from matrix.core.catalog import load_catalog
    from matrix.diagnose import unwrap

    m = load_catalog().matching
    assert m is not None
    line = '{"error":"a \\u003cb\\u003e \\u0026 c"}'
    assert unwrap.parts(m, line) == ['{"error":"a <b> & c"}', line]
    assert unwrap.parts(m, "no escapes") == ["no escapes"]


# ---------------------------------------------------------------- stage, host, fallbacks


def test_go_build_output_no_class_claims_is_build_failed() -> None:
    m = classify("go: github.com/foo/bar@v1.2.3: invalid version: unknown revision v1.2.3")
    assert (m.slug, m.stage) == ("build-failed", "build")


def test_a_go_panic_is_a_crash_unless_the_go_command_crashed() -> None:
    crash = classify(
        "panic: runtime error: index out of range [3] with length 3\n\ngoroutine 1 [running]:\nmain.f()"
    )
    assert (crash.slug, crash.stage) == ("runtime-crash", "load")
    gocmd = classify(
        "panic: internal error: can't find reason\n\ngoroutine 1 [running]:\n"
        "cmd/go/internal/modget.(*resolver).updateBuildList(0x1)\n\t/usr/local/go/src/cmd/go/internal/modget/get.go:1760"
    )
    assert (gocmd.slug, gocmd.stage, gocmd.why is not None) == ("build-failed", "build", True)


def test_host_is_named_where_the_text_shows_it() -> None:
    argo = classify(
        "rpc error: code = Unknown desc = Manifest generation error (cached): `kustomize build . "
        "--enable-alpha-plugins` failed exit status 1: Error: loading generator plugins: failed to load "
        "generator: unable to find plugin root - tried: ('<no value>'; homed in $KUSTOMIZE_PLUGIN_HOME)"
    )
    assert (argo.slug, argo.host) == ("plugin-root-not-found", "Argo CD")
    assert any("argocd" in f for f in argo.fixes)  # the Argo CD fix comes first


@pytest.mark.parametrize(
    ("text", "package"),
    [
        ('plugin.Open("/n/m"): plugin was built with a different version of package', None),  # missing
        (
            "... different version of package github.com/very/long/path/to/some/deeply/nested/module/v3/internal/pkg/x",
            "github.com/very/long/path/to/some/deeply/nested/module/v3/internal/pkg/x",
        ),
        ("plugin was built with a different version of package gopkg.in/yaml.v3.", "gopkg.in/yaml.v3"),
        ("plugin was built with a different version of package github.com/fo", "github.com/fo"),  # cut off
    ],
)
def test_package_names_read_robustly(text: str, package: str | None) -> None:
    m = classify(text)
    assert (m.slug, m.package) == ("package-version-mismatch", package)


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        # macOS dyld
        (
            "dlopen(/u/p/Gen.so, 0x0009): Library not loaded: @rpath/libgit2.1.7.dylib",
            "missing-shared-library",
        ),
        (
            "dlopen(/u/p/Gen.so, 2): no suitable image found.  Did find:\n\t/u/p/Gen.so: mach-o, but wrong architecture",
            "elf-mismatch",
        ),
        ("dlopen(/u/p/Gen.so, 1): tried: '/u/p/Gen.so' (not a mach-o file)", "elf-mismatch"),
        # Windows' loader
        ("LoadLibrary failed for 'C:\\p\\gen.dll': %1 is not a valid Win32 application.", "elf-mismatch"),
        ("failed to load C:\\p\\gen.dll: The specified module could not be found.", "missing-shared-library"),
        # timeouts the host reports
        ("Error: timeout while waiting for plugin to start", "timeout"),
        ("unable to start plugin: example: timed out waiting for plugin", "timeout"),
        # a paraphrase without the colon
        ("our release says: plugin not implemented", "plugin-not-implemented"),
    ],
)
def test_other_loaders_timeouts_and_paraphrases(text: str, slug: str) -> None:
    assert classify(text).slug == slug


# ---------------------------------------------------------------- ambiguity and context


def test_cannot_open_shared_object_names_its_alternatives_and_the_check(tmp_path: Path) -> None:
    inside = explain(
        'plugin.Open("/p/Foo.so"): /p/Foo.so: cannot open shared object file: No such file or directory',
        tmp_path,
    )
    assert inside["class"] == "elf-mismatch"
    assert [(a["class"], a["check"]) for a in inside["alternatives"]] == [
        ("plugin-file-missing", "file /p/Foo.so")
    ]
    bare = explain("Plugin : cannot open shared object file: No such file or directory", tmp_path)
    assert bare["class"] == "missing-shared-library"
    assert {a["class"] for a in bare["alternatives"]} == {"elf-mismatch", "plugin-file-missing"}
    assert all(a["check"].startswith("ldd ") for a in bare["alternatives"])
    assert all(a["why"] for a in bare["alternatives"])


def test_the_ambiguity_is_data_in_the_catalog() -> None:
    cat = load_catalog()
    assert cat.get("elf-mismatch").alternatives, "alternatives live in data/errors.toml"
    for c in cat.classes:
        for a in c.alternatives:
            assert a.check
            assert a.why
            assert a.slug in cat.by_slug


def test_no_fallback_alternative_has_evidence() -> None:
    """The Go port of the matching rule (tests/test_catalog_slugs.py) reads evidence on
    classes' alternatives only."""
    assert all(a.evidence is None for fb in load_catalog().fallbacks for a in fb.alternatives)


EXEC_ENOENT = "Error: fork/exec /root/.terraform.d/plugins/terraform-provider-x: no such file or directory"
LISTING = "-rwxr-xr-x    1 root     root      30044 Jun  2 20:33 terraform-provider-x"


@pytest.mark.parametrize(
    ("before", "slug", "other"),
    [
        ([], "plugin-file-missing", "missing-shared-library"),  # the message alone
        ([LISTING], "missing-shared-library", "plugin-file-missing"),  # the paste shows the file
        (
            ["/ # ldd /root/.terraform.d/plugins/terraform-provider-x"],
            "missing-shared-library",
            "plugin-file-missing",
        ),
        (
            [LISTING.replace("provider-x", "provider-y")],
            "plugin-file-missing",
            "missing-shared-library",
        ),  # another file
        ([LISTING] + ["..."] * 60, "plugin-file-missing", "missing-shared-library"),  # too far away
    ],
)
def test_a_paste_that_shows_the_file_exists_turns_the_answer(
    before: list[str], slug: str, other: str
) -> None:
    m = classify("\n".join([*before, EXEC_ENOENT]))
    assert m.slug == slug
    assert m.alternatives[0].slug == other
    assert m.alternatives[0].check == "file /root/.terraform.d/plugins/terraform-provider-x"
    assert (m.why is not None) == (slug == "missing-shared-library")


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        # Terraform runs only the providers it lists in its plugin directories and cache
        (
            'Error: Failed to instantiate provider "x" to obtain schema: '
            "fork/exec .terraform/providers/example.com/x/x/1.0.0/linux_amd64/terraform-provider-x: "
            "no such file or directory",
            "missing-shared-library",
        ),
        (
            "* provider.x: fork/exec /work/terraform.d/plugins/linux_amd64/terraform-provider-x: "
            "no such file or directory",
            "missing-shared-library",
        ),
        # Vault checks the SHA-256 of a plugin before it runs it
        ("* fork/exec /vault/plugins/my-plugin: no such file or directory", "missing-shared-library"),
        # the go command runs what it has just built; a host what it has just downloaded
        (
            "fork/exec /tmp/go-build827045429/b001/exe/main: no such file or directory",
            "missing-shared-library",
        ),
        (
            "fork/exec /root/.cf/plugins/temp983421633/578135707: no such file or directory",
            "missing-shared-library",
        ),
        # a host that runs whatever path it is given (helm, Grafana): the message's reading
        (
            "Error: fork/exec /root/.local/share/helm/plugins/x/bin/x: no such file or directory",
            "plugin-file-missing",
        ),
        (
            "fork/exec /var/lib/grafana/plugins/x/gpx_x_linux_arm64: no such file or directory",
            "plugin-file-missing",
        ),
        ("fork/exec /tmp/plugins/x: no such file or directory", "plugin-file-missing"),
    ],
)
def test_a_host_that_only_runs_files_it_found_turns_the_answer(text: str, slug: str) -> None:
    m = classify(text)
    assert m.slug == slug
    other = {"missing-shared-library", "plugin-file-missing"} - {slug}
    assert [a.slug for a in m.alternatives] == list(other)


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        # a crash while the text shows a build: the build tool crashed (RULES.md)
        (
            "$ go build\n# example.com/big/gen\nfatal error: runtime: out of memory\n\nruntime stack:",
            "build-failed",
        ),
        (
            "#26 42.82 # github.com/example/x/stdlib\n#26 42.82 qemu: uncaught target signal 11 (Segmentation fault)",
            "build-failed",
        ),
        # the same crash with no build in sight is the program's
        ("fatal error: runtime: out of memory\n\nruntime stack:", "runtime-crash"),
        ("# gcc sum.c ./sum.so -o sum && ./sum\nSegmentation fault", "runtime-crash"),
    ],
)
def test_a_crash_during_a_build_is_the_build_failing(text: str, slug: str) -> None:
    m = classify(text)
    assert m.slug == slug
    if slug == "build-failed":
        assert [a.slug for a in m.alternatives] == ["runtime-crash"]
        assert m.why is not None
        assert "build" in m.why


MISSING = 'error: exec: "docker-credential-x": executable file not found in $PATH'
BUILD_FAILED = "./main.go:3:8: undefined: x"


@pytest.mark.parametrize(
    ("lines", "first"),
    [
        # the build failed, so the plugin file is missing: the build names the text
        ([BUILD_FAILED, MISSING], "build-failed"),
        # a missing helper made the build fail, reported after it: the cause is printed first
        ([MISSING, BUILD_FAILED], "plugin-file-missing"),
    ],
)
def test_a_missing_file_follows_only_a_build_failure_printed_before_it(lines: list[str], first: str) -> None:
    found = scan(load_catalog(), "\n".join(lines))
    assert found[0].slug == first
    assert {m.slug for m in found} == {"build-failed", "plugin-file-missing"}


def test_go_too_old_for_a_plugin_go_mod_says_lower_the_go_line(tmp_path: Path) -> None:
    ans = explain("go: go.mod requires go >= 1.27.0 (running go 1.26.8; GOTOOLCHAIN=local)", tmp_path)
    assert ans["class"] == "go-version-too-old"
    first = ans["fixes"][0]
    assert "go mod edit -go=1.26.8" in first
    assert "do not upgrade the toolchain" in first


@pytest.mark.parametrize(
    ("package", "words"),
    [
        ("internal/abi", ["-gcflags=all=-N -l", "-race", "-trimpath"]),
        ("runtime/internal/sys", ["-gcflags=all=-N -l", "-race", "-trimpath"]),
        ("internal/race", ["-race"]),
    ],
)
def test_toolchain_internal_packages_point_at_build_flags(
    tmp_path: Path, package: str, words: list[str]
) -> None:
    ans = explain(
        f'plugin.Open("/p/X"): plugin was built with a different version of package {package}', tmp_path
    )
    assert ans["family"] == "standard library"
    assert all(w in ans["fixes"][0] for w in words), ans["fixes"]


@pytest.mark.parametrize("package", ["sigs.k8s.io/kustomize/api/resmap", "github.com/pkg/errors"])
def test_module_packages_point_at_versions_vendoring_and_cache_paths(tmp_path: Path, package: str) -> None:
    ans = explain(f"plugin was built with a different version of package {package}", tmp_path)
    hint = ans["family_hint"]
    assert all(w in hint for w in ("version", "vendored", "module-cache path")), hint


def test_the_dataset_says_what_differed() -> None:
    """With the committed dataset: the cells where internal/race differed were built with
    -race on one side."""
    ans = explain("plugin was built with a different version of package internal/race", ROOT / "data")
    if not ans["cells"]:
        pytest.skip("no recorded cell with this error in data/cells")
    assert ans["observed"][0]["package"] == "internal/race"
    assert "race" in ans["observed"][0]["difference"]


# ---------------------------------------------------------------- whole logs


def noisy_log(n_errors: int = 40, noise: int = 60) -> tuple[str, list[str]]:
    rnd = random.Random(5)
    corpus = texts()
    chunks, errors = [], []
    for i in range(n_errors):
        chunks += [
            f"2026-01-01T10:{i % 60:02d}:00Z INFO request {rnd.randint(1, 10**6)} served in 3ms"
        ] * noise
        t = corpus[(i * 7) % len(corpus)]
        chunks.append(t)
        errors.append(t)
    return "\n".join(chunks), errors


def test_a_log_reports_every_error_first_first() -> None:
    log = "\n".join(
        [
            "starting",
            "go: go.mod requires go >= 1.99 (running go 1.26.8; GOTOOLCHAIN=local)",
            *["INFO nothing to see"] * 20,
            MISMATCH,
            *["INFO nothing to see"] * 20,
            MISMATCH + " (previous failure)",  # a repeat: not an error of its own
            *["INFO nothing to see"] * 20,
            "Error: loading generator plugins: failed to load generator: plugin load is disabled",
        ]
    )
    found = scan(load_catalog(), log)
    assert [(m.slug, m.lineno) for m in found] == [
        ("go-version-too-old", 2),
        ("package-version-mismatch", 23),
        ("go-plugin-support-disabled", 65),
    ]


def test_the_prefilter_changes_no_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    log, _ = noisy_log()
    assert len(log) >= WHOLE_LOG_FROM
    cat = load_catalog()
    fast = scan(cat, log)
    monkeypatch.setattr(gates, "candidates", lambda *_: None)  # every line read
    slow = scan(cat, log)
    assert [(m.slug, m.package, m.lineno, m.count) for m in fast] == [
        (m.slug, m.package, m.lineno, m.count) for m in slow
    ]
    assert len(fast) > 20


def test_every_gate_is_in_every_text_its_pattern_matches() -> None:
    """The literals the prefilter relies on (Pattern.needs) hold in every corpus line a
    pattern matches."""
    cat = load_catalog()
    m = cat.matching
    assert m is not None
    for text in texts():
        for line in text.splitlines():
            for part in unwrap.parts(m, line):
                for view in unwrap.views(m, part):
                    for where, p in cat.all_patterns():
                        if p.needs and p.rx.search(view):
                            assert gates.holds(view, p.needs), (where, p.source, view)
                            assert gates.holds(part, p.needs), (where, p.source, part)


def test_a_logs_json_lines_are_json_dumps_byte_for_byte() -> None:
    """The whole-log JSON encodes shared cells once, yet prints what json.dumps prints."""
    log, _ = noisy_log()
    tricky = 'plugin was built with a different version of package "cells": -1, "observed": -2'
    answers = explain_all(log + "\n" + tricky + "\n", ROOT / "data")
    assert len({a["class"] for a in answers}) > 3
    assert ["".join(parts) for parts in _json_parts(answers)] == [
        json.dumps(a, ensure_ascii=False) for a in answers
    ]


def test_stdin_log_json_is_a_list(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    log, _ = noisy_log(5, 3)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(log.encode())))
    rc = main(["explain", "--json", "--data", str(NOWHERE), "-"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert isinstance(out, list)
    assert [a["class"] for a in out] == [a["class"] for a in explain_all(log, NOWHERE)]
    assert [a["line_number"] for a in out] == sorted(a["line_number"] for a in out if a["line_number"])


# ---------------------------------------------------------------- bad input


class _Stdin:
    """A stdin whose bytes are made on demand (a 100 MB line without 100 MB in memory)."""

    def __init__(self, size: int, byte: bytes = b"a") -> None:
        self.buffer = self
        self.size, self.byte = size, byte

    def read(self, n: int = -1) -> bytes:
        n = self.size if n < 0 else min(n, self.size)
        self.size -= n
        return self.byte * n

    def isatty(self) -> bool:
        return False


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        (b"", "empty"),
        (b"\n \t\n", "empty"),
        (bytes(range(256)) * 64, "binary"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 500, "binary"),
        (b"\xff\xfe" * 5000, "binary"),  # not UTF-8 at all
    ],
)
def test_unusable_stdin_is_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, stdin: bytes, message: str
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    rc = main(["explain", "--data", str(NOWHERE), "-"])
    out, err = capsys.readouterr()
    assert (rc, out) == (2, "")
    assert message in err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err


def test_a_100_mb_line_is_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", _Stdin(100 * 1024 * 1024))
    rc = main(["explain", "--data", str(NOWHERE), "-"])
    out, err = capsys.readouterr()
    assert (rc, out) == (2, "")
    assert f"more than {MAX_INPUT >> 20} MiB" in err
    assert len(err.strip().splitlines()) == 1


def test_invalid_utf8_among_text_is_read(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = b"\xc3\x28 log\n" + MISMATCH.encode() + b"\n\xe2\x82 tail\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    rc = main(["explain", "--json", "--data", str(NOWHERE), "-"])
    assert rc == 0
    assert json.loads(capsys.readouterr().out)[0]["class"] == "package-version-mismatch"


def test_undecodable_argv_is_read(capsys: pytest.CaptureFixture[str]) -> None:
    # what Python makes of argv bytes that are not UTF-8 (surrogateescape)
    rc = main(["explain", "--json", "--data", str(NOWHERE), "plugin: not implemented \udcff\udcfe"])
    assert rc == 0
    assert json.loads(capsys.readouterr().out)["class"] == "plugin-not-implemented"


def test_a_10_mb_line_is_classified() -> None:
    line = ("x" * 10_000_000) + " " + MISMATCH
    assert classify(line).slug == "package-version-mismatch"


# ---------------------------------------------------------------- fuzz


def _fuzz_inputs(n: int, seed: int = 20261204) -> list[tuple[str, Any]]:
    rnd = random.Random(seed)
    corpus = texts()
    alphabet = (
        "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ0123456789:/\\\"'.-_()[]{}<>|=\n\t\r\x1b\x00é日\u2028\udcff😀"
    )
    out: list[tuple[str, Any]] = []
    for i in range(n):
        kind = i % 6
        if kind == 0:  # random characters
            s = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 400)))
        elif kind == 1:  # a corpus text, cut and spliced
            a, b = rnd.choice(corpus), rnd.choice(corpus)
            s = (
                a[: rnd.randint(0, len(a))]
                + rnd.choice(["", "\n", "\\n", "\x1b[31m", '\\"', "\r\n"])
                + b[rnd.randint(0, len(b)) :]
            )
        elif kind == 2:  # a corpus text under log framing, JSON-escaped
            t = rnd.choice(corpus)
            s = (
                json.dumps({"level": "error", "error": t})
                if rnd.random() < 0.5
                else "\n".join(f"2026-01-01T00:00:00Z ERROR svc  | {ln}" for ln in t.splitlines())
            )
        elif kind == 3:  # random bytes on stdin
            out.append(("stdin", bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 3000)))))
            continue
        elif kind == 4:  # a long line with an error somewhere in it
            t = rnd.choice(corpus).replace("\n", " ")
            pad = "y" * rnd.randint(0, 40000)
            s = pad + t + pad if rnd.random() < 0.5 else t + pad
        else:  # pattern-ish fragments
            frags = [
                'plugin.Open("',
                "different version of package ",
                "(previous failure)",
                "panic: ",
                "goroutine 1 [running]:",
                "fatal error: ",
                "cannot open shared object file",
                "GLIBC_2.3",
                "go: ",
                ".go:1:2: ",
                "\\n",
                "&quot;",
                "ELFCLASS",
            ]
            s = "".join(rnd.choice([*frags, rnd.choice(alphabet)]) for _ in range(rnd.randint(1, 60)))
        out.append(("stdin" if rnd.random() < 0.4 else "argv", s))
    return out


@pytest.mark.stress
def test_fuzz_never_a_traceback(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """PLUGIN_MATRIX_FUZZ_N seeded inputs (argv and stdin, text and bytes): exit 0, 1 or 2,
    never an internal error; answers are JSON; the same input gives the same answer."""
    codes = {0: 0, 1: 0, 2: 0}
    for i, (where, value) in enumerate(_fuzz_inputs(FUZZ_N)):
        runs = []
        for _ in range(2 if i % 10 == 0 else 1):  # every tenth input twice: the same answer
            if where == "stdin":
                raw = value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
                monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
                rc = main(["explain", "--json", "--data", str(NOWHERE), "-"])
            else:
                # after "--", as a text starting with "-" must be given (argparse)
                rc = main(["explain", "--json", "--data", str(NOWHERE), "--", value.replace("\x00", "")])
            out, err = capsys.readouterr()
            assert rc in codes, (rc, err, repr(value)[:300])
            assert "Traceback" not in err, (err, repr(value)[:300])
            assert "internal error" not in err, (err, repr(value)[:300])
            if rc in (0, 1):
                json.loads(out)
            else:
                assert out == "", (err, repr(value)[:300])
                assert len(err.strip().splitlines()) == 1, (err, repr(value)[:300])
            runs.append(out)
            codes[rc] += 1
        assert len(set(runs)) == 1
    print(f"fuzz: {FUZZ_N} inputs, exit codes {codes}")
