"""build-plugin, module versions: what minimal version selection raises above the host's
versions and why; dependencies whose go.mod needs a newer Go."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from matrix.diagnose import elf, gomod
from matrix.diagnose.plan import WORK
from matrix.measure.plugin_source import Source
from matrix.measure.plugin_work import (
    GO_VERSION_ROUNDS,
    MAX_CANDIDATES,
    _Work,
)


def _query_deps(w: _Work, s: Source) -> tuple[int, str]:
    return w.capture(
        [
            w.tc.go,
            "list",
            "-deps",
            "-f",
            "{{.ImportPath}} {{with .Module}}{{.Path}} {{.Version}}{{end}}",
            s.package,
        ],
        f"{WORK}/src",
    )


def _versions(w: _Work, s: Source, downgrade: bool) -> None:
    """Dependencies that need a newer Go, and modules raised above the host's version."""
    p, r = w.plan, w.plan.recipe
    pi = p.plugin
    assert pi is not None
    src_dir = f"{WORK}/src"
    for _ in range(GO_VERSION_ROUNDS):
        code, out = _query_deps(w, s)
        if code == 0:
            break
        needs = [n for n in gomod.needs_go(out) if "@" in n.what]
        if not needs:
            return  # another failure: the build says it, with its own words
        fixed = False
        for n in needs:
            fixed = _older_for_go(w, n, downgrade) or fixed
        if not fixed:
            return
    else:
        return
    linked = gomod.parse_deps(out)
    host_pkgs = set(getattr(elf.parse(Path(r.host)), "pkghashes", None) or ())
    raised = _raised(linked, r.modules, host_pkgs)
    harmless = {m for m in _raised(linked, r.modules, set()) if m not in raised}
    if not raised and not harmless:
        return
    code, graph = w.capture([w.tc.go, "mod", "graph"], src_dir)
    edges = gomod.parse_graph(graph) if code == 0 else []
    main = {pi.module or ""}
    for m in sorted(harmless):
        sel = next(x.version for x in linked if x.module == m)
        by = gomod.forcing(edges, m, r.modules[m], main)
        pi.notes.append(
            f"{m} is raised to {sel} ({by[0] if by else 'by a requirement'}), above the host's "
            f"{r.modules[m]}: harmless, the plugin links none of its packages that the host links"
        )
    if not raised:
        return
    conflicts: dict[str, dict[str, Any]] = {}
    for m, (sel, pkgs) in sorted(raised.items()):
        by = gomod.forcing(edges, m, r.modules[m], main) or [f"a requirement selects {m}@{sel}"]
        conflicts[m] = {
            "module": m,
            "host_version": r.modules[m],
            "selected": sel,
            "required_by": by[:3],
            "packages": sorted(pkgs)[:5],
            "action": "none",
            "fix": _conflict_fix(m, r.modules[m], sel, by),
        }
    pi.conflicts = list(conflicts.values())
    if downgrade:
        res = w.step(
            [w.tc.go, "get", *(f"{m}@{r.modules[m]}" for m in conflicts)],
            src_dir,
            "downgrade what raises a module the host links above the host's version",
            check=False,
        )
        changes = gomod.get_changes(res.output)
        for c in changes:
            if c.module in conflicts:
                continue
            why = "; ".join(
                t for m in conflicts for t in conflicts[m]["required_by"] if t.startswith(f"{c.module}@")
            )
            pi.downgrades.append(
                {
                    "module": c.module,
                    "from": c.old,
                    "to": c.new or "(removed)",
                    "why": why or "minimal version selection",
                }
            )
        code, out = _query_deps(w, s)
        still = _raised(gomod.parse_deps(out), r.modules, host_pkgs) if code == 0 else raised
        for m, conf in conflicts.items():
            conf["action"] = (
                "unresolved"
                if (m in still or res.returncode != 0)
                else (
                    "downgraded: "
                    + (
                        ", ".join(f"{d['module']} {d['from']} -> {d['to']}" for d in pi.downgrades)
                        or "go get"
                    )
                )
            )
        raised = still if res.returncode == 0 else raised
    for m, conf in conflicts.items():
        if m in raised:
            p.problem(
                "version-conflict",
                f"{'; '.join(conf['required_by'])}, but the host links {m} {conf['host_version']}: the "
                f"plugin would link {m} {conf['selected']} and fail with `plugin was built with a different "
                f"version of package {conf['packages'][0] if conf['packages'] else m}`.",
                conf["fix"],
            )


def _raised(
    linked: list[gomod.Linked], host: dict[str, str], host_pkgs: set[str]
) -> dict[str, tuple[str, set[str]]]:
    """Modules the plugin links at another version than the host, with the packages that
    matter (those the host links too; all of them when the host's list is unknown)."""
    out: dict[str, tuple[str, set[str]]] = {}
    for x in linked:
        hv = host.get(x.module)
        if not hv or x.version == hv:
            continue
        if host_pkgs and x.package not in host_pkgs:
            continue
        out.setdefault(x.module, (x.version, set()))[1].add(x.package)
    return out


def _conflict_fix(m: str, hv: str, sel: str, by: list[str]) -> str:
    who = by[0].split(" requires ")[0] if by and " requires " in by[0] else None
    if who:
        mod = who.split("@")[0]
        return (
            f"require an older {mod} (one whose go.mod requires {m} {hv} or older: "
            f"`go list -m -versions {mod}`, then `go get {mod}@VERSION`), or use a host built with {m} {sel}"
        )
    return f"use a host built with {m} {sel}"


def _older_for_go(w: _Work, need: gomod.GoNeed, downgrade: bool) -> bool:
    """A dependency whose go.mod needs a newer Go than the host's: its newest version that
    does not. Returns whether the copy was changed."""
    p = w.plan
    top = p.go_line.max or ""
    mod, _, ver = need.what.partition("@")
    older = _older_version(w, mod, ver, top)
    fix = (
        f"require {mod} {older} (its go.mod needs no newer Go), or use a host built with Go >= {need.go}"
        if older
        else f"use a host built with Go >= {need.go}, or drop {mod} (no older version fits {top})"
    )
    # `go get` cannot help: it loads the module graph first, and stops at the same error.
    # A requirement written in go.mod can be lowered by editing it.
    direct = mod in w.mod_json(w.root / "src" / "go.mod", "go.mod (copy)").requires
    if older and downgrade and direct:
        w.step(
            [w.editor, "mod", "edit", f"-require={mod}@{older}"],
            f"{WORK}/src",
            f"{mod} {ver} needs go >= {need.go}; {older} is its newest version that does not",
        )
        assert p.plugin is not None
        p.plugin.downgrades.append(
            {"module": mod, "from": ver, "to": older, "why": f"{mod}@{ver}'s go.mod says go {need.go}"}
        )
        return True
    if older and not direct:
        fix = (
            f"{mod} {ver} is required by another dependency: use an older version of that one "
            f"(`go mod graph | grep {mod}@{ver}`), or require {mod} {older} and downgrade what "
            f"requires {ver}, or use a host built with Go >= {need.go}"
        )
    p.problem(
        "dependency-needs-newer-go",
        f"{mod}@{ver}'s go.mod requires go >= {need.go}; the host's Go is {p.recipe.go_version}.",
        fix,
    )
    return False


def _older_version(w: _Work, mod: str, ver: str, top: str) -> str | None:
    code, out = w.capture([w.tc.go, "list", "-m", "-versions", "-json", mod], f"{WORK}/src")
    if code != 0:
        return None
    versions = [v for v in json.loads(out).get("Versions") or [] if gomod.semver_newer(ver, v)]
    for v in sorted(versions, key=gomod.semver_key, reverse=True)[:MAX_CANDIDATES]:
        code, info = w.capture([w.tc.go, "mod", "download", "-json", f"{mod}@{v}"], f"{WORK}/src")
        if code != 0:
            continue
        gm = json.loads(info).get("GoMod")
        if not gm:
            continue
        other = w.mod_json(Path(gm), f"{mod}@{v} go.mod")
        if not gomod.go_newer(other.go, top):
            return str(v)
    return None
