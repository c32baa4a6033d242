"""matrix.diagnose.gomod: versions compared as the go command does, and its answers read.

The texts below are the go command's (go1.26.8 and go1.27.3) own output, copied from runs."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from matrix.diagnose import gomod


def test_go_versions_order_like_the_go_command() -> None:
    order = ["1.20", "1.21", "1.21rc1", "1.21.0", "1.21.1", "1.26", "1.26.8", "1.27rc2", "1.27.3"]
    keys = [gomod.go_key(v) for v in order]
    assert all(k is not None for k in keys)
    assert keys == sorted(keys)  # type: ignore[type-var]
    assert gomod.go_newer("1.27.3", "1.26.8")
    assert not gomod.go_newer("1.26", "1.26.8")  # a language version is not newer than its releases
    assert not gomod.go_newer("1.26.8", "1.26.8")
    assert gomod.go_newer("1.26.9", "1.26.8")
    assert not gomod.go_newer("junk", "1.26.8")
    assert gomod.go_key("go1.27.3") == gomod.go_key("1.27.3")


def test_go_line_for_a_release() -> None:
    assert gomod.go_line_for("go1.26.8") == "1.26.8"
    assert gomod.go_line_for("go1.27.3") == "1.27.3"
    assert gomod.go_line_for("go1.19.8") == "1.19"  # Go 1.19 does not read three-part go lines
    assert gomod.go_line_for(None) is None


@given(st.tuples(st.integers(1, 3), st.integers(21, 40), st.integers(0, 30)), st.data())
def test_go_key_agrees_with_numbers(a: tuple[int, int, int], data: st.DataObject) -> None:
    b = data.draw(st.tuples(st.integers(1, 3), st.integers(21, 40), st.integers(0, 30)))
    va, vb = "{}.{}.{}".format(*a), "{}.{}.{}".format(*b)
    assert gomod.go_newer(va, vb) == (a > b)


def test_module_versions_order_like_semver() -> None:
    assert gomod.semver_newer("v0.44.0", "v0.42.0")
    assert gomod.semver_newer("v1.10.0", "v1.9.9")
    assert gomod.semver_newer("v1.0.0", "v1.0.0-rc.1")
    assert gomod.semver_newer("v1.0.0-rc.2", "v1.0.0-rc.1")
    assert gomod.semver_newer("v0.0.1", "v0.0.0-20260721132016-d427ff9ee9ad")  # a pseudo-version
    assert not gomod.semver_newer("v2.0.0+incompatible", "v2.0.0")


def test_needs_go_reads_main_module_directory_and_dependency() -> None:
    out = (
        "go: go.mod requires go >= 1.27.3 (running go 1.26.8; GOTOOLCHAIN=local)\n"
        "go: module ../lib requires go >= 1.27.3 (running go 1.26.8; GOTOOLCHAIN=local)\n"
        "go: example.com/newdep@v1.1.0 requires go >= 1.27.3 (running go 1.26.8; GOTOOLCHAIN=local)\n"
        "go: example.com/newdep@v1.1.0: module example.com/newdep@v1.1.0 requires go >= 1.27.3 "
        "(running go 1.26.8; GOTOOLCHAIN=local)\n"
    )
    needs = gomod.needs_go(out)
    assert [(n.what, n.go) for n in needs] == [
        ("go.mod", "1.27.3"),
        ("../lib", "1.27.3"),
        ("example.com/newdep@v1.1.0", "1.27.3"),
    ]


def test_what_a_newer_go_says_needs_it() -> None:
    vet = (
        "# example.com/feat\n"
        "vet: ./main.go:10:14: generic method requires go1.27 or later\n"
        "main.go:7:38: strings.CutLast requires go1.27 or later (file is go1.26)\n"
        "x_test.go:3:1: slices.Foo requires go1.27 or later (file is go1.26)\n"
        "./main.go:12:25: use of promoted field B.X in struct literal of type T requires go1.27 or "
        "later (-lang was set to go1.26; check go.mod)\n"
    )
    assert gomod.newer_go_uses(vet) == [
        ("./main.go:10:14", "generic method", "go1.27"),
        ("main.go:7:38", "strings.CutLast", "go1.27"),
        ("./main.go:12:25", "use of promoted field B.X in struct literal of type T", "go1.27"),
    ]


def test_an_older_go_errors_are_read_for_newer_code_when_no_newer_go_is_here() -> None:
    out = (
        "# example.com/feat\n"
        "./main.go:7:38: undefined: strings.CutLast\n"
        "./main.go:10:13: syntax error: method must have no type parameters\n"
        "./util.go:3:2: undefined: mypkg.Thing\n"
    )
    errors = gomod.compile_errors(out)
    assert len(errors) == 3
    guessed = gomod.guess_newer_go(errors, {"strings", "slices"})
    assert len(guessed) == 2  # mypkg is not the standard library
    assert "strings.CutLast is not in this Go's standard library" in guessed[0]
    assert "generic method" in guessed[1]


def test_go_get_changes_and_the_requirement_that_forces_a_version() -> None:
    out = "go: downgraded golang.org/x/net v0.63.0 => v0.60.0\ngo: downgraded golang.org/x/text v0.44.0 => v0.42.0\n"
    assert [c.text() for c in gomod.get_changes(out + "go: removed example.com/a v1.0.0\n")] == [
        "golang.org/x/net v0.63.0 => v0.60.0",
        "golang.org/x/text v0.44.0 => v0.42.0",
        "example.com/a v1.0.0 removed",
    ]
    graph = gomod.parse_graph(
        "example.com/plug golang.org/x/text@v0.44.0\n"
        "example.com/plug golang.org/x/net@v0.63.0\n"
        "golang.org/x/net@v0.63.0 golang.org/x/text@v0.44.0\n"
        "golang.org/x/net@v0.63.0 golang.org/x/crypto@v0.59.0\n"
        "golang.org/x/crypto@v0.59.0 golang.org/x/text@v0.43.0\n"
        "sigs.k8s.io/kustomize/api@v0.21.2 golang.org/x/text@v0.42.0\n"
    )
    assert gomod.forcing(graph, "golang.org/x/text", "v0.42.0", {"example.com/plug"}) == [
        "golang.org/x/net@v0.63.0 requires golang.org/x/text@v0.44.0",
        "golang.org/x/crypto@v0.59.0 requires golang.org/x/text@v0.43.0",
    ]


def test_go_mod_and_go_work_from_the_go_command_json() -> None:
    mod = gomod.ModFile.from_json(
        {
            "Module": {"Path": "example.com/t1"},
            "Go": "1.27.3",
            "Toolchain": "go1.27.3",
            "Require": [{"Path": "golang.org/x/net", "Version": "v0.63.0", "Indirect": True}],
            "Replace": [
                {"Old": {"Path": "example.com/lib"}, "New": {"Path": "../lib"}},
                {
                    "Old": {"Path": "a.b/c", "Version": "v1.0.0"},
                    "New": {"Path": "d.e/f", "Version": "v1.1.0"},
                },
            ],
        }
    )
    assert (mod.module, mod.go, mod.toolchain) == ("example.com/t1", "1.27.3", "go1.27.3")
    assert mod.requires == {"golang.org/x/net": "v0.63.0"}
    assert mod.indirect == {"golang.org/x/net"}
    assert [r.local for r in mod.replaces] == [True, False]
    assert mod.replaces[1].text() == "a.b/c v1.0.0 => d.e/f v1.1.0"
    assert mod.replaces[1].lhs() == "a.b/c@v1.0.0"
    work = gomod.WorkFile.from_json({"Go": "1.27.3", "Use": [{"DiskPath": "."}, {"DiskPath": "../lib"}]})
    assert work.uses == [".", "../lib"]
    assert work.replaces == []


def test_package_clause_and_cgo_are_read_past_comments() -> None:
    files = {
        "main.go": "// package notmain\n/* package other */\npackage main\n",
        "main_test.go": "package main_test\n",
    }
    assert gomod.package_clauses(files) == {"main"}
    cgo = '/*\n#include <string.h>\n*/\nimport "C"\n\nimport "fmt"\n'
    assert gomod.uses_cgo(cgo)
    assert not gomod.uses_cgo('// import "C"\nimport "fmt"\n')
    assert gomod.is_local_path("../x")
    assert gomod.is_local_path("/abs")
    assert not gomod.is_local_path("example.com/x")
    assert gomod.first_error("go: errors parsing go.mod:\n/x/go.mod:4: unknown directive: foo\n") == (
        "/x/go.mod:4: unknown directive: foo"
    )
