"""Classification: real-world error texts -> the right class, beyond the recorded dataset.

The cases vary what real errors vary: paths (Linux, macOS, Windows, kustomize's `$CELL`),
plugin names, kustomize's wrappers (v3/v4 without `failed to load generator:`, v5 with
it, transformers), libc (glibc, musl), macOS dyld, FreeBSD rtld, Windows, log prefixes,
colour codes and CRLF line ends.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matrix.core.catalog import LINK_BASE, STAGES, UNKNOWN, load_catalog
from matrix.diagnose import classify as C
from matrix.diagnose import gates
from matrix.diagnose.classify import classify, classify_record, package_family

ROOT = Path(__file__).resolve().parent.parent
CELLS = ROOT / "data" / "cells"
TRIAGE = ROOT / "data" / "errors-triage.txt"  # cell ids whose error is unknown, under triage

V4 = "Error: loading generator plugins: plugin {path} fails to load: {err}"
V5 = "Error: loading generator plugins: failed to load generator: plugin {path} fails to load: {err}"
V5T = "Error: loading transformer plugins: failed to load transformer: plugin {path} fails to load: {err}"
LINUX = (
    "/home/dev/.config/kustomize/plugin/someteam.example.com/v1/secretsfromdatabase/SecretsFromDatabase.so"
)
MAC = "/Users/jane/Library/kustomize/plugin/acme.io/v1beta1/ksops/ksops.so"
WIN = r"C:\Users\jane\AppData\Roaming\kustomize\plugin\acme.io\v1\gen\Gen.so"
CELL = "$CELL/plugins/matrix.example.com/v1/matrixgenerator/MatrixGenerator.so"


def wrapped(err: str, path: str = LINUX) -> list[str]:
    """The same inner error as kustomize v4, v5 and a v5 transformer print it."""
    return [w.format(path=path, err=err) for w in (V4, V5, V5T)]


def opened(path: str, text: str) -> str:
    """plugin.Open's form: the name loses `.so` only after dlopen succeeded."""
    return f'plugin.Open("{path.removesuffix(".so")}"): {text}'


CASES: list[tuple[str, str]] = [
    # --- package-version-mismatch, in every wrapper and path style
    *[
        (t, "package-version-mismatch")
        for p in (LINUX, MAC, WIN, CELL)
        for t in wrapped(opened(p, "plugin was built with a different version of package internal/goarch"), p)
    ],
    (
        'E1104 17:37:44.690243       1 server.go:72] Fail to load custom plugins: plugin.Open("plugins/horus"): '
        "plugin was built with a different version of package volcano.sh/volcano/pkg/scheduler/util/assert",
        "package-version-mismatch",
    ),
    (
        '2020/06/24 10:42:57 failed to open plugin go-log: plugin.Open("/kong-go/go-log"): plugin was built '
        "with a different version of package internal/cpu",
        "package-version-mismatch",
    ),
    # --- previous failure: alone it is its own class; after the first failure, the first one wins
    (
        opened(LINUX, "plugin was built with a different version of package fmt (previous failure)"),
        "previous-failure",
    ),
    (
        opened(LINUX, "plugin was built with a different version of package fmt")
        + "\n"
        + opened(LINUX, "plugin was built with a different version of package fmt (previous failure)"),
        "package-version-mismatch",
    ),
    (opened(MAC, "plugin already loaded (previous failure)"), "previous-failure"),
    # --- plugin: not implemented (official CGO_ENABLED=0 releases, Windows hosts)
    *[(t, "plugin-not-implemented") for t in wrapped("plugin: not implemented")],
    *[(t, "plugin-not-implemented") for t in wrapped("plugin: not implemented", WIN)],
    ("panic: plugin: not implemented", "plugin-not-implemented"),
    # --- the file is not loadable here
    *[(t, "elf-mismatch") for t in wrapped(f'plugin.Open("{LINUX}"): {LINUX}: wrong ELF class: ELFCLASS32')],
    (f'plugin.Open("{CELL}"): {CELL}: wrong ELF class: ELFCLASS64', "elf-mismatch"),
    (f'plugin.Open("{LINUX}"): {LINUX}: invalid ELF header', "elf-mismatch"),
    (f'plugin.Open("{LINUX}"): {LINUX}: file too short', "elf-mismatch"),
    (f'plugin.Open("{LINUX}"): {LINUX}: ELF file OS ABI invalid', "elf-mismatch"),
    # glibc says "cannot open" for an arm64 file in an amd64 process: the path is the plugin's own
    *[
        (t, "elf-mismatch")
        for t in wrapped(
            f'plugin.Open("{CELL}"): {CELL}: cannot open shared object file: No such file or directory', CELL
        )
    ],
    # musl (Alpine)
    (f'plugin.Open("{LINUX}"): Error loading shared library {LINUX}: Exec format error', "elf-mismatch"),
    # macOS dyld, new and old wordings
    (
        f"plugin.Open(\"{MAC}\"): dlopen({MAC}, 0x0009): tried: '{MAC}' (mach-o file, but is an incompatible "
        f"architecture (have 'x86_64', need 'arm64e' or 'arm64')), '/System/Volumes/Preboot/Cryptexes/OS{MAC}' "
        f"(no such file), '{MAC}' (mach-o file, but is an incompatible architecture (have 'x86_64', need "
        "'arm64e' or 'arm64'))",
        "elf-mismatch",
    ),
    (
        f'plugin.Open("{MAC}"): dlopen({MAC}, 10): no suitable image found.  Did find:\n\t{MAC}: mach-o, '
        "but wrong architecture",
        "elf-mismatch",
    ),
    (f"plugin.Open(\"{MAC}\"): dlopen({MAC}, 0x0009): tried: '{MAC}' (not a mach-o file)", "elf-mismatch"),
    # FreeBSD rtld, Windows
    (
        'plugin.Open("/usr/home/bsd/kplug/Foo.so"): /usr/home/bsd/kplug/Foo.so: invalid file format',
        "elf-mismatch",
    ),
    (f'plugin.Open("{WIN}"): %1 is not a valid Win32 application.', "elf-mismatch"),
    # --- a library the plugin needs is missing
    (
        f'plugin.Open("{LINUX}"): /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.34\' not found '
        f"(required by {LINUX})",
        "missing-shared-library",
    ),
    (
        f'plugin.Open("{CELL}"): /lib/aarch64-linux-gnu/libc.so.6: version `GLIBC_2.38\' not found '
        f"(required by {CELL})",
        "missing-shared-library",
    ),
    (
        f'plugin.Open("{LINUX}"): libc.musl-x86_64.so.1: cannot open shared object file: No such file or '
        "directory",
        "missing-shared-library",
    ),
    (
        f'plugin.Open("{LINUX}"): Error loading shared library libresolv.so.2: No such file or directory '
        f"(needed by {LINUX})",
        "missing-shared-library",
    ),
    (
        f'plugin.Open("{LINUX}"): Error loading shared library ld-linux-x86-64.so.2: No such file or '
        f"directory (needed by {LINUX})",
        "missing-shared-library",
    ),
    (
        f'plugin.Open("{MAC}"): dlopen({MAC}, 0x0009): Library not loaded: @rpath/libgit2.1.7.dylib\n'
        f"  Referenced from: <4C4C4F61-5555-3144-A1B2-C3D4E5F60718> {MAC}\n  Reason: tried: "
        "'/usr/local/lib/libgit2.1.7.dylib' (no such file)",
        "missing-shared-library",
    ),
    (
        'plugin.Open("/usr/home/bsd/kplug/Foo.so"): Shared object "libintl.so.8" not found, required by '
        '"Foo.so"',
        "missing-shared-library",
    ),
    # --- symbols
    (f'plugin.Open("{LINUX}"): {LINUX}: undefined symbol: __tsan_go_start', "symbol-not-found"),
    (
        "panic: plugin.Open: could not find symbol V: /home/austin/tmp/x.so: undefined symbol: x.V",
        "symbol-not-found",
    ),
    (
        f'plugin.Open("{LINUX}"): Error relocating {LINUX}: __vfprintf_chk: symbol not found',
        "symbol-not-found",
    ),
    (
        f'plugin.Open("{MAC}"): dlopen({MAC}, 0x0009): Symbol not found: _res_9_ninit\n  Referenced '
        f"from: {MAC}\n  Expected in: /usr/lib/libresolv.9.dylib",
        "symbol-not-found",
    ),
    (
        'plugin.Open("/usr/home/bsd/kplug/Foo.so"): /usr/home/bsd/kplug/Foo.so: Undefined symbol '
        '"__tsan_init"',
        "symbol-not-found",
    ),
    # --- the plugin's contract with kustomize
    (
        "Error: loading generator plugins: failed to load generator: plugin acme.io/v1/gen doesn't have "
        "symbol KustomizePlugin: plugin: symbol KustomizePlugin not found in plugin plugin/unnamed-9c1e",
        "wrong-plugin-interface",
    ),
    (
        "Error: loading transformer plugins: failed to load transformer: plugin 'acme.io/v1/xform' not "
        "configurable",
        "wrong-plugin-interface",
    ),
    (
        "Error: loading transformer plugins: failed to load transformer: plugin "
        "~G_acme.io_v1_Xform|~X|probe not a transformer",
        "wrong-plugin-interface",
    ),
    # --- the Go runtime
    (opened(LINUX, "plugin already loaded"), "plugin-already-loaded"),
    (
        "plugin: plugin example.com/plugins/gen already loaded\nfatal error: plugin: plugin already loaded\n\n"
        "goroutine 1 [running]:\nruntime.throw({0x1b2c3d4?, 0x0?})",
        "plugin-already-loaded",
    ),
    (
        "2026/11/25 19:08:45 Attempting plugin load from '$CELL/plugins/matrix.example.com/v1/matrixtransformer/"
        "MatrixTransformer.so'\nfatal error: runtime: no plugin module data\n\ngoroutine 1 [running]:\n"
        "runtime.throw({0xfc5ed9?, 0x758b7b?})\n\t/usr/lib/go-1.19/src/runtime/panic.go:1047 +0x5d\n"
        "plugin.lastmoduleinit()\n\t/usr/lib/go-1.19/src/runtime/plugin.go:20 +0x8ce\n"
        "plugin.open({0xc000a00000, 0x65})\n\t/usr/lib/go-1.19/src/plugin/plugin_dlopen.go:77 +0x3ef\n"
        "plugin.Open(...)",
        "no-plugin-module-data",
    ),
    (
        "gotify   | fatal error: runtime: no plugin module data\ngotify   | \ngotify   | goroutine 1 "
        "gp=0xc000002380 m=5 mp=0xc000088008 [running]:",
        "no-plugin-module-data",
    ),
    # --- kustomize's own checks
    (
        "Error: loading generator plugins: failed to load generator: external plugins disabled; unable to "
        "load external plugin 'SiteConfig'",
        "external-plugins-disabled",
    ),
    (
        "Error: loading generator plugins: \nunable to load external plugin SopsSecretGenerator because "
        "plugins disabled\nspecify the flag\n  --enable_alpha_plugins\nto use this plugin",
        "external-plugins-disabled",
    ),
    (
        "Error: loading generator plugins: failed to load generator: plugin load is disabled",
        "go-plugin-support-disabled",
    ),
    (
        "rpc error: code = Unknown desc = Manifest generation error (cached): `kustomize build <path> "
        "--enable-alpha-plugins` failed exit status 1: Error: loading generator plugins: failed to load "
        "generator: unable to find plugin root - tried: ('<no value>'; homed in $KUSTOMIZE_PLUGIN_HOME), "
        "('/.config/kustomize/plugin'; homed in default value of $XDG_CONFIG_HOME), ('/kustomize/plugin'; "
        "homed in home directory)",
        "plugin-root-not-found",
    ),
    (
        f"Error: loading generator plugins: failed to load generator: unexecutable plugin at: "
        f"{LINUX.removesuffix('.so')}",
        "unexecutable-plugin",
    ),
    (
        f"Error: loading generator plugins: failed to load generator: expected file with Go object code at: "
        f"{WIN}",
        "plugin-file-missing",
    ),
    (
        f"Error: loading generator plugins: plugin {MAC} fails to load: cannot find Go object code '{MAC}'",
        "plugin-file-missing",
    ),
    (opened("/opt/plugins/Missing.so", "realpath failed"), "plugin-file-missing"),
    # --- crashes and time
    (
        "panic: runtime error: invalid memory address or nil pointer dereference\n[signal SIGSEGV: "
        "segmentation violation code=0x1 addr=0x0 pc=0x7f3c2a1b4c5d]\n\ngoroutine 1 [running]:",
        "runtime-crash",
    ),
    (
        "SIGILL: illegal instruction\nPC=0x7f0e4c2a1b30 m=0 sigcode=2\ninstruction bytes: 0xc4 0xe2 0x79",
        "runtime-crash",
    ),
    ("qemu: uncaught target signal 11 (Segmentation fault) - core dumped", "runtime-crash"),
    (
        "krakend  | goroutine 1 gp=0xc000002380 m=5 mp=0xc000088008 [running]:\nkrakend  | runtime.throw(...)",
        "runtime-crash",
    ),
    ("fatal error: unexpected signal during runtime execution", "runtime-crash"),
    ("Segmentation fault (core dumped)", "runtime-crash"),
    ("[plugin-matrix: killed after 120 s]", "timeout"),
    # --- builds
    ("-buildmode=plugin not supported on windows/amd64", "buildmode-unsupported"),
    ("go: -buildmode=plugin not supported on windows/arm64", "buildmode-unsupported"),
    ("go: -race is not supported on linux/386", "buildmode-unsupported"),
    ("go: go.mod requires go >= 1.27.0 (running go 1.26.8; GOTOOLCHAIN=local)", "go-version-too-old"),
    (
        "go: sigs.k8s.io/kustomize/api@v0.21.2 requires go >= 1.24.0 (running go 1.22.2; GOTOOLCHAIN=local)",
        "go-version-too-old",
    ),
    (
        "# github.com/go-openapi/swag\n/root/go/pkg/mod/github.com/go-openapi/swag@v0.23.0/string_bytes.go:7:29:"
        " undefined: unsafe.StringData\nnote: module requires Go 1.20",
        "go-version-too-old",
    ),
    (
        "go: errors parsing go.mod:\n/tmp/plug/go.mod:3: invalid go version '1.22.7': must match format 1.23",
        "go-version-too-old",
    ),
    ("go: errors parsing go.mod:\n/tmp/plug/go.mod:5: unknown directive: toolchain", "go-version-too-old"),
    (
        "/root/go/pkg/mod/sigs.k8s.io/kustomize/api@v0.19.0/internal/builtins/HelmChartInflationGenerator.go:13:2:"
        " package slices is not in GOROOT (/usr/lib/go-1.19/src/slices)",
        "go-version-too-old",
    ),
    ("../../x/iter.go:3:8: package iter is not in std (/usr/local/go/src/iter)", "go-version-too-old"),
    ("go build command-line-arguments: module requires Go 1.12", "go-version-too-old"),
    (
        '# runtime/cgo\ncgo: C compiler "gcc" not found: exec: "gcc": executable file not found in $PATH',
        "cgo-unavailable",
    ),
    (
        'cgo: C compiler "aarch64-linux-gnu-gcc" not found: exec: "aarch64-linux-gnu-gcc": executable file not '
        "found in $PATH",
        "cgo-unavailable",
    ),
    ('# runtime/cgo\nexec: "gcc": executable file not found in %PATH%', "cgo-unavailable"),
    ("-buildmode=plugin requires external (cgo) linking, but cgo is not enabled", "cgo-unavailable"),
    ("go: -race requires cgo; enable cgo by setting CGO_ENABLED=1", "cgo-unavailable"),
    (
        "# runtime/cgo\n_cgo_export.c:3:10: fatal error: stdlib.h: No such file or directory\ncompilation "
        "terminated.",
        "cgo-unavailable",
    ),
    ("# runtime/cgo\ngcc: error: unrecognized command-line option '-arch'", "cgo-unavailable"),
    (
        "main.go:9:2: missing go.sum entry for module providing package sigs.k8s.io/kustomize/api/resmap "
        "(imported by example.com/gen); to add:\n\tgo get example.com/gen",
        "build-failed",
    ),
    ("# example.com/gen\n./main.go:22:15: undefined: resmap.NewPluginHelpers", "build-failed"),
    (
        r"# example.com/gen" + "\r\n" + r".\main.go:22:15: cannot use p (variable of type *plugin) as value",
        "build-failed",
    ),
    (
        "go: downloading go1.27.3 (linux/amd64)\ngo: download go1.27.3: toolchain not available",
        "build-failed",
    ),
    (
        # a C library the cgo link needs is not installed (RULES.md, cgo-unavailable, since batch 13)
        "/usr/bin/ld: cannot find -lgit2: No such file or directory\ncollect2: error: ld returned 1 exit status",
        "cgo-unavailable",
    ),
    # --- not plugin errors
    (
        "Error: accumulating resources: accumulation err='accumulating resources from 'base': "
        "'/tmp/k/base' must resolve to a file': recursed accumulation of path '/tmp/k/base'",
        UNKNOWN,
    ),
    ("hello world", UNKNOWN),
    ("plugin.Open(...)\n\t/usr/local/go/src/plugin/plugin.go:84", UNKNOWN),  # a stack frame, not an error
]


@pytest.mark.parametrize(("text", "slug"), CASES, ids=[f"{s}-{i}" for i, (_, s) in enumerate(CASES)])
def test_real_world_texts(text: str, slug: str) -> None:
    m = classify(text)
    assert m.slug == slug, (m, text)
    assert m.link == f"{LINK_BASE}{slug}/"


def test_colour_codes_and_crlf_do_not_matter() -> None:
    text = (
        "\x1b[31mError:\x1b[0m loading generator plugins: failed to load generator: plugin x fails to "
        'load: plugin.Open("x"): plugin was built with a different version of package '
        "\x1b[1msigs.k8s.io/kustomize/kyaml/yaml\x1b[0m\r\n"
    )
    m = classify(text)
    assert (m.slug, m.package, m.family) == (
        "package-version-mismatch",
        "sigs.k8s.io/kustomize/kyaml/yaml",
        "kustomize module",
    )
    assert "\x1b" not in (m.line or "")
    assert not (m.line or "").endswith("\r")


@pytest.mark.parametrize(
    ("package", "family"),
    [
        ("internal/goarch", "standard library"),
        ("runtime", "standard library"),
        ("fmt", "standard library"),
        ("vendor/golang.org/x/net/dns/dnsmessage", "standard library"),
        ("sigs.k8s.io/kustomize/api/resmap", "kustomize module"),
        ("sigs.k8s.io/kustomize/kyaml/yaml", "kustomize module"),
        ("sigs.k8s.io/kustomize/v3/pkg/gvk", "kustomize module"),
        ("sigs.k8s.io/yaml", "third-party"),
        ("github.com/pkg/errors", "third-party"),
        ("gopkg.in/yaml.v2", "third-party"),
        ("k8s.io/kube-openapi/pkg/validation/spec", "third-party"),
        (None, None),
        ("", None),
    ],
)
def test_package_family(package: str | None, family: str | None) -> None:
    assert package_family(package) == family


@pytest.mark.parametrize(
    "package",
    [
        "internal/abi",
        "sigs.k8s.io/kustomize/api/resmap",
        "gopkg.in/yaml.v3",
        "github.com/go-openapi/swag",
        "golang.org/x/text/unicode/norm",
    ],
)
def test_package_is_extracted_whole(package: str) -> None:
    for tail in ("", "\n", " (previous failure)", '"', ". "):
        m = classify(opened(WIN, f"plugin was built with a different version of package {package}{tail}"))
        assert m.package == package, (tail, m)


def test_stages_restrict_the_classes() -> None:
    text = "note: module requires Go 1.22\nfatal error: runtime: no plugin module data"
    assert classify(text, stages=("build",)).slug == "go-version-too-old"
    assert classify(text, stages=("load",)).slug == "no-plugin-module-data"
    assert classify("plugin: not implemented", stages=("build",)).slug == UNKNOWN


def test_unknown_keeps_the_line_that_looks_like_the_error() -> None:
    m = classify("2026/01/01 starting\nError: something nobody has seen\nbye")
    assert (m.slug, m.line, m.package, m.family) == (UNKNOWN, "Error: something nobody has seen", None, None)
    assert not m.known
    assert m.link.endswith("/errors/unknown/")


def test_catalog_examples_classify_to_their_class() -> None:
    for cls in load_catalog().classes:
        for ex in cls.examples:
            assert classify(ex).slug == cls.slug, (cls.slug, ex)


# ---------------------------------------------------------------- records


def rec(outcome: str, **kw: Any) -> dict[str, Any]:
    r: dict[str, Any] = {
        "outcome": outcome,
        "load": None,
        "host": {"build": {"status": "ok", "output": ""}},
        "plugin": {"build": {"status": "ok", "output": ""}},
    }
    r.update(kw)
    return r


def load(
    stderr: str = "", stdout: str = "", signal: int | None = None, timed_out: bool = False
) -> dict[str, Any]:
    return {
        "stderr": stderr,
        "stdout": stdout,
        "signal": signal,
        "timed_out": timed_out,
        "exit_code": None if signal else 1,
    }


def test_record_without_an_error_has_no_class() -> None:
    for outcome in ("loads", "skipped", "not-run", "harness-error"):
        assert classify_record(rec(outcome)) == (None, None)


def test_record_fails() -> None:
    err = opened(CELL, "plugin was built with a different version of package github.com/pkg/errors")
    assert classify_record(rec("fails", load=load(V5.format(path=CELL, err=err)))) == (
        "package-version-mismatch",
        "github.com/pkg/errors",
    )
    killed = load(timed_out=True, stderr="[plugin-matrix: killed after 120 s]")
    assert classify_record(rec("fails", load=killed)) == ("timeout", None)
    # killed by a signal with nothing more specific said: a crash
    assert classify_record(rec("fails", load=load(signal=11))) == ("runtime-crash", None)
    # ... but a message that explains it wins
    aborted = load("fatal error: runtime: no plugin module data", signal=6)
    assert classify_record(rec("fails", load=aborted)) == ("no-plugin-module-data", None)
    # build wording in a load's output is not a build class
    assert classify_record(rec("fails", load=load("note: module requires Go 1.22")))[0] == UNKNOWN


def test_record_build_failed_uses_the_failed_builds_output() -> None:
    host_fail = {
        "status": "failed",
        "output": "go: go.mod requires go >= 1.27.0 (running go 1.26.8; GOTOOLCHAIN=local)",
    }
    plugin_fail = {"status": "failed", "output": "-buildmode=plugin not supported on windows/amd64"}
    assert classify_record(rec("build-failed", host={"build": host_fail})) == ("go-version-too-old", None)
    assert classify_record(rec("build-failed", plugin={"build": plugin_fail})) == (
        "buildmode-unsupported",
        None,
    )
    # an ok build's output is not looked at; nothing specific: build-failed
    ok = {"status": "ok", "output": "note: module requires Go 1.99"}
    odd = {"status": "failed", "output": "something went wrong"}
    both = rec("build-failed", host={"build": ok}, plugin={"build": odd})
    assert classify_record(both) == ("build-failed", None)


# ---------------------------------------------------------------- the recorded dataset


def _dataset() -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(CELLS.glob("c*.json"))] if CELLS.is_dir() else []


def test_every_recorded_error_is_classified() -> None:
    """No `unknown` in the committed dataset, except cells listed for triage."""
    recs = [r for r in _dataset() if r["outcome"] in ("fails", "build-failed")]
    if not recs:
        pytest.skip("no recorded errors in data/cells")
    triage = set(TRIAGE.read_text().split()) if TRIAGE.is_file() else set()
    unknown = [r["cell"] for r in recs if classify_record(r)[0] == UNKNOWN and r["cell"] not in triage]
    assert not unknown, f"unknown errors (add patterns, or list the cells in {TRIAGE.name}): {unknown}"


def test_stored_classes_match_the_catalog() -> None:
    """A record's stored class is derived: after a catalog change run `plugin-matrix reclassify`."""
    stale = [
        r["cell"]
        for r in _dataset()
        if r.get("class") is not None and (r["class"], r.get("package")) != classify_record(r)
    ]
    assert not stale, f"run `plugin-matrix reclassify`: {stale[:10]}"


def test_a_boxed_message_the_terminal_wrapped_is_read_joined() -> None:
    """OpenTofu's boxed diagnostic (public corpus opentofu-7b36): the provider's address is
    wrapped onto the next framed line; a framed line continues, a timestamped one does not."""
    from matrix.diagnose import unwrap

    m = load_catalog().matching or unwrap.default_matching()

    def line(src: str) -> unwrap.Line:
        return unwrap.Line(1, (0, 0), src, unwrap.views(m, src))

    assert unwrap.continues(line("│ provider schema: Could not load"))
    assert unwrap.continues(line("11:45:23.669 STDERR tofu: │ waiting for plugin to start.."))
    assert unwrap.continues(line("plain words"))
    assert not unwrap.continues(line("2024-01-01T00:00:00Z ERROR provider schema"))
    corpus = Path(__file__).resolve().parent / "corpus" / "public_errors.jsonl"
    rows = {r["id"]: r for r in map(json.loads, corpus.read_text(encoding="utf-8").splitlines())}
    text = rows["opentofu-7b36"]["text"]
    assert classify(text).slug == "plugin-file-missing"
    unboxed = text.replace("│ ", "")  # the same lines without the frame: joined as before
    assert classify(unboxed).slug == "plugin-file-missing"


def test_a_specific_class_header_yields_to_what_follows_it() -> None:
    """`# runtime/cgo` is cgo-unavailable's header line: alone, or followed by the missing C
    compiler, it is cgo-unavailable; followed by a C compiler that runs and fails, the lines
    after it name the cause (public corpus texts of batches 8, 14, 18 and 47, RULES.md)."""
    from matrix.diagnose.classify import scan

    corpus = Path(__file__).resolve().parent / "corpus" / "public_errors.jsonl"
    rows = {r["id"]: r for r in map(json.loads, corpus.read_text(encoding="utf-8").splitlines())}
    for rid, slug in [
        ("golang-47c11", "build-failed"),  # zig cc as CC, its own failure
        ("golang-18c35", "build-failed"),  # cgo: cannot parse _cgo_.o
        ("berty-14c32", "build-failed"),  # the linker: a duplicate symbol
        ("muslcross-47c12", "missing-shared-library"),  # the cross gcc cannot start
        ("rulesgo-8c41", "cgo-unavailable"),  # the C compiler wrapper is not there
    ]:
        text = rows[rid]["text"]
        got = classify(text)
        assert got.slug == slug, (rid, got.slug)
        # the header is not an error of its own beside the cause
        assert [m.slug for m in scan(load_catalog(), text)].count("cgo-unavailable") == (
            slug == "cgo-unavailable"
        )
    alone = classify("# runtime/cgo")
    assert (alone.slug, alone.line) == ("cgo-unavailable", "# runtime/cgo")
    # earlier lines of the stretch join the header when nothing follows it
    assert classify("go build -o x ./cmd/x: exit status 2\n# runtime/cgo").slug == "cgo-unavailable"


def test_a_program_s_own_panic_is_unknown_and_the_runtime_s_a_crash() -> None:
    """A panic that only carries the program's own message names no cause a class owns
    (`unknown`, with `runtime-crash` as the alternative); the Go runtime's own panics, and
    any panic while a plugin is being opened, stay `runtime-crash` (RULES.md, runtime-crash,
    as written with batch 51's reading; corpus texts of batches 3, 13, 41 and 51)."""
    corpus = Path(__file__).resolve().parent / "corpus" / "public_errors.jsonl"
    rows = {r["id"]: r for r in map(json.loads, corpus.read_text(encoding="utf-8").splitlines())}
    for rid, slug in [
        ("pterodactyl-51b22", "unknown"),  # a YAML config the program cannot read
        ("chip8-51b35", "unknown"),  # SDL refusing a window flag
        ("kong-3c01", "runtime-crash"),  # a plugin's init defining the host's flag again
        ("yaegi-13a10", "runtime-crash"),  # the interpreter running a Traefik plugin
        ("apptainer-41c49", "runtime-crash"),  # the toolchain's OpenSSL backend at init
    ]:
        assert classify(rows[rid]["text"]).slug == slug, rid
    from matrix.diagnose.classify import scan

    dump = "\n\ngoroutine 1 [running]:\nmain.main()\n\t/src/main.go:9 +0x25\nexit status 2"
    found = scan(load_catalog(), "panic: failed to connect to device: no response" + dump)
    # its goroutine dump joins it: one error, not a second one of the dump's
    assert [m.slug for m in found] == [UNKNOWN]
    assert [a.slug for a in found[0].alternatives] == ["runtime-crash"]
    for message in [
        "runtime error: index out of range [3] with length 3",
        "assignment to entry in nil map",
        "send on closed channel",
        "interface conversion: interface {} is nil, not string",
    ]:
        assert classify(f"panic: {message}{dump}").slug == "runtime-crash", message
    # the same panic of the program's own while a plugin is being opened is the plugin's crash
    opening = "panic: failed to connect to device: no response\n\ngoroutine 1 [running]:\n"
    opening += "example.com/p.init.0()\n\t/src/p/main.go:10 +0x25\nplugin.open({0x1, 0x4a})\n"
    opening += "\t/go/src/plugin/plugin_dlopen.go:95 +0x53c"
    assert classify(opening).slug == "runtime-crash"


def test_the_prefixes_as_one_alternation_strip_what_the_loop_strips() -> None:
    """unwrap strips the log framing with one alternation of the catalog's prefixes; it
    must take what the matching rule's loop over the prefixes takes, line by line, and
    with a prefix that may match nothing (which would stop an alternation) the loop is
    used instead."""
    from matrix.core.matching import patterns_of
    from matrix.diagnose import unwrap

    m = load_catalog().matching
    assert m is not None
    assert m.prefixes
    assert unwrap._any_prefix(m.prefixes) is not None
    # a prefix that matches nothing but the empty start of a line
    loop = m._replace(prefixes=(*m.prefixes, *patterns_of(["^(\x01\x02)?"])))
    assert unwrap._any_prefix(loop.prefixes) is None  # the loop: each prefix in turn
    corpus = ROOT / "tests" / "corpus" / "public_errors.jsonl"
    rows = [json.loads(ln) for ln in corpus.read_text(encoding="utf-8").splitlines() if ln.strip()]
    lines = {ln for r in rows for ln in r["text"].splitlines()[:20]}
    differ = [ln for ln in lines if unwrap._strip_prefixes(m, ln) != unwrap._strip_prefixes(loop, ln)]
    assert not differ, differ[:5]
    assert unwrap._strip_prefixes(loop, "2026-01-02T10:11:12Z panic: x") == "panic: x"


def test_the_command_line_above_a_crash_names_the_stage() -> None:
    """A crash that shows no stage of its own is read by the command line right above it
    (the nearest non-blank line, the stage's `commands`): the go command, TinyGo or
    make.bash crashing is the build failing; a program run by hand, `go run`, `go test` or a
    line that runs more after the build is not (public corpus texts of batches 62 and 63,
    RULES.md)."""
    cases = [
        ("$ go version\nIllegal instruction", "build-failed"),
        ("# env GO386=387 go version\nIllegal instruction (core dumped)", "build-failed"),
        (
            "$ GOOS=linux go build -o x .\n\npanic: runtime error: index out of range [3] with length 2",
            "build-failed",
        ),
        (
            "$ tinygo build -o t.elf -target=esp32 ./x\n    panic: runtime error: slice bounds out of range",
            "build-failed",
        ),
        # not the build tool's crash
        ("$ ./x\nIllegal instruction", "runtime-crash"),
        ("$ go run .\npanic: runtime error: index out of range [3] with length 2", "runtime-crash"),
        ("$ go test ./...\npanic: runtime error: index out of range [3] with length 2", "runtime-crash"),
        ("$ go build -o x . && ./x\nIllegal instruction", "runtime-crash"),
        # a line between the command and the crash: the command is not the one right above it
        ("$ go version\nsome output\nIllegal instruction", "runtime-crash"),
    ]
    for text, slug in cases:
        assert classify(text).slug == slug, text
    corpus = Path(__file__).resolve().parent / "corpus" / "public_errors.jsonl"
    rows = {r["id"]: r for r in map(json.loads, corpus.read_text(encoding="utf-8").splitlines())}
    for rid in ("tinygo-62a43", "glide-63a16", "golang-63c08", "golang-63c27"):
        assert classify(rows[rid]["text"]).slug == "build-failed", rid


# ---------------------------------------------------------------- kept answers and loops


_NAME_ALPHABET = "ab.-_/\\ x1é"


@given(
    st.text(alphabet=_NAME_ALPHABET, max_size=14),
    st.text(alphabet=_NAME_ALPHABET, min_size=1, max_size=3),
)
def test_a_file_name_is_found_as_the_lookaround_expression_finds_it(raw: str, name: str) -> None:
    # the loop over the name's places (no expression compiled per name) answers what the
    # expression it replaced answers, and what explain.js's namesFile answers
    expected = re.search(rf"(?<![A-Za-z0-9_.-]){re.escape(name)}(?![A-Za-z0-9_./\\-])", raw) is not None
    assert C._names(raw, name) is expected


def test_allowed_patterns_kept_by_gate_set_are_those_computed_afresh(monkeypatch: pytest.MonkeyPatch) -> None:
    cat = load_catalog()
    monkeypatch.setattr(gates, "_ALLOWED_KEPT", 10)  # kept answers are dropped often: still the same
    index = gates.class_patterns(cat, frozenset(STAGES))
    ungated, gated, _ = index
    pats = sorted(gated, key=lambda p: p.source)
    rng = random.Random(7)
    for _ in range(300):
        present = set(rng.sample(pats, rng.randint(0, 6)))
        fresh = sorted([*ungated, *(x for p in present for x in gated[p])], key=lambda x: x[0])
        assert list(gates.allowed(index, present)) == fresh
        assert list(gates.allowed(index, set(present))) == fresh  # the kept answer
        assert len(index[2]) <= 10
