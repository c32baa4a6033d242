"""build-plugin, preparing the copy: the go line, go.work, replace directives."""

from __future__ import annotations

import json
import os
from pathlib import Path

from matrix import UserError
from matrix.diagnose import gomod
from matrix.diagnose import plan as planmod
from matrix.diagnose.plan import WORK, Step
from matrix.measure.plugin_source import Source, copy_module
from matrix.measure.plugin_versions import _versions
from matrix.measure.plugin_work import (
    _Work,
)


def _prepare(w: _Work, s: Source, downgrade: bool) -> None:
    p, r = w.plan, w.plan.recipe
    pi = p.plugin
    assert pi is not None
    go = w.tc.go
    src_dir = f"{WORK}/src"
    copy_from = s.root or s.dir
    cp = Step(["cp", "-R", str(copy_from), src_dir], "", _copy_why(s))
    p.steps.append(cp)
    copy_module(copy_from, w.root / "src")
    if s.root is None:
        name = "".join(c if c.isalnum() or c in "-_." else "-" for c in s.dir.name) or "plugin"
        w.step([go, "mod", "init", f"example.local/plugin/{name}"], src_dir, "the plugin has no go.mod")
    # Read from the original (the go command only reads it): errors then name the user's file.
    first = copy_from / "go.mod" if s.root is not None else w.root / "src" / "go.mod"
    mod = w.mod_json(first, f"{copy_from}/go.mod")
    pi.module = mod.module
    _go_line(w, mod, src_dir)

    edits: list[str] = []
    replaces = list(mod.replaces)
    if s.workfile is not None and s.root is not None:
        replaces = _workspace(w, s, mod, edits) + replaces
    seen: set[str] = set()
    for rep in replaces:
        if rep.lhs() in seen:
            continue  # the go.work's replacement wins over go.mod's
        seen.add(rep.lhs())
        _replace(w, s, rep, edits)
    for m, v in sorted(mod.requires.items()):
        hv = r.modules.get(m)
        if hv and gomod.semver_newer(v, hv):
            pi.lowered.append({"module": m, "asked": v, "host": hv})
    if edits:
        w.step([w.editor, "mod", "edit", *edits], src_dir, "replace directives that work from the copy")
    pins = planmod.pin_args(r)
    if pins:
        w.step(
            [w.editor, "mod", "edit", *pins], src_dir, "every module the host links, at the host's version"
        )
    for m, target in sorted(r.replaces.items()):
        if gomod.is_local_path(target.partition(" ")[0]):
            pi.notes.append(
                f"the host replaced {m} with a directory ({target}): the plugin cannot reproduce it"
            )
    _versions(w, s, downgrade)


def _copy_why(s: Source) -> str:
    parts = ["work on a copy: the plugin's directory is never written to"]
    if s.root is not None and s.root != s.dir:
        parts.append(f"the plugin is package {s.package} of the module at {s.root}")
    parts.append("build-plugin leaves out .git, vendor/, *.so and nested modules, which change nothing here")
    return "; ".join(parts)


def _go_line(w: _Work, mod: gomod.ModFile, cwd: str) -> None:
    p = w.plan
    gl = p.go_line
    gl.plugin, gl.toolchain = mod.go, mod.toolchain
    top = gl.max
    if top is None:
        gl.action, gl.use = "unknown", mod.go
        return
    too_new = gomod.go_newer(mod.go, top)
    tool_new = bool(mod.toolchain) and gomod.go_newer(mod.toolchain.removeprefix("go"), top)  # type: ignore[union-attr]
    if too_new:
        args = [f"-go={top}"] + (["-toolchain=none"] if mod.toolchain or _three_part(top) else [])
        w.step(
            [w.editor, "mod", "edit", *args],
            cwd,
            f"go.mod asks for go {mod.go}; the host's Go is {p.recipe.go_version}",
        )
        gl.action, gl.use = "lower", top
        gl.why = (
            f"lowered in the copy: the host's {p.recipe.go_version} refuses `go {mod.go}`; "
            "the build shows whether the code needs the newer Go"
        )
    elif tool_new:
        w.step(
            [w.editor, "mod", "edit", "-toolchain=none"],
            cwd,
            f"toolchain {mod.toolchain} is newer than the host's Go",
        )
        gl.action, gl.use = "keep", mod.go
        gl.why = f"the go line is fine; the toolchain line ({mod.toolchain}) is dropped in the copy"
    else:
        gl.action, gl.use = "keep", mod.go
        gl.why = f"not newer than the host's Go ({top})" if mod.go else "go.mod has no go line"


def _three_part(v: str) -> bool:
    k = gomod.go_key(v)
    return bool(k and k[:2] >= (1, 21))


def _workspace(w: _Work, s: Source, mod: gomod.ModFile, edits: list[str]) -> list[gomod.Replace]:
    """The go.work's other modules and replacements, as replace directives."""
    assert s.workfile is not None
    assert s.root is not None
    pi = w.plan.plugin
    assert pi is not None
    code, out = w.capture([w.editor, "work", "edit", "-json", str(s.workfile)], "", w.edit_env)
    if code != 0:
        raise UserError(f"{s.workfile}: does not parse: {gomod.first_error(out)}")
    wf = gomod.WorkFile.from_json(json.loads(out))
    base = s.workfile.parent
    dirs = [(base / u).resolve() for u in wf.uses]
    if s.root not in dirs:
        pi.workspace = {
            "file": str(s.workfile),
            "uses": wf.uses,
            "action": "ignored: it does not use this module (built with GOWORK=off)",
        }
        return []
    reps: list[gomod.Replace] = []
    for d in dirs:
        if d == s.root:
            continue
        other = w.mod_json(d / "go.mod", f"{d}/go.mod")
        if other.module is None:
            continue
        reps.append(gomod.Replace(other.module, None, str(d), None, "go.work"))
        if other.module not in mod.requires and other.module not in w.plan.recipe.modules:
            edits.append(f"-require={other.module}@{gomod.ZERO_PSEUDO}")
    for rep in wf.replaces:
        new = str((base / rep.new).resolve()) if rep.local and not os.path.isabs(rep.new) else rep.new
        reps.append(gomod.Replace(rep.old, rep.old_version, new, rep.new_version, "go.work"))
    pi.workspace = {
        "file": str(s.workfile),
        "uses": wf.uses,
        "action": "built without it (GOWORK=off): its other modules and replacements become "
        "replace directives in the copy",
    }
    return reps


def _replace(w: _Work, s: Source, rep: gomod.Replace, edits: list[str]) -> None:
    p, r = w.plan, w.plan.recipe
    pi = p.plugin
    assert pi is not None
    hv = r.modules.get(rep.old)
    if hv:
        edits.append(f"-dropreplace={rep.lhs()}")
        pi.replaces.append(
            {
                "replace": rep.text(),
                "action": "dropped",
                "why": f"the host links {rep.old} {hv}: a plugin must use the host's version",
            }
        )
        return
    if not rep.local:
        if rep.origin == "go.work":
            edits += [f"-dropreplace={rep.lhs()}", f"-replace={rep.lhs()}={rep.rhs()}"]
            pi.replaces.append({"replace": rep.text(), "action": "added from go.work", "why": "a module"})
        else:
            pi.replaces.append({"replace": rep.text(), "action": "kept", "why": "a module, not a directory"})
        return
    base = s.root or s.dir
    target = Path(rep.new) if os.path.isabs(rep.new) else (base / rep.new).resolve()
    if not (target / "go.mod").is_file():
        raise UserError(f"{base}: replace {rep.text()} (in {rep.origin}): {target} has no go.mod")
    other = w.mod_json(target / "go.mod", f"{target}/go.mod")
    new = str(target)
    action = "kept" if os.path.isabs(rep.new) else "made absolute"
    why = (
        "relative paths would not resolve from the copy" if action == "made absolute" else "an absolute path"
    )
    top = p.go_line.max
    if top and gomod.go_newer(other.go, top):
        i = len([x for x in pi.replaces if x["action"] == "copied, go line lowered"])
        dest = f"{WORK}/replaced/{i}-{target.name}"
        if i == 0:
            p.steps.append(Step(["mkdir", "-p", f"{WORK}/replaced"], "", ""))
        p.steps.append(Step(["cp", "-R", str(target), dest], "", f"{target} says go {other.go}"))
        copy_module(target, w.root / "replaced" / f"{i}-{target.name}")
        w.step(
            [w.editor, "mod", "edit", f"-go={top}", "-toolchain=none"],
            dest,
            f"{rep.old}'s go.mod asks for go {other.go}",
        )
        new, action = dest, "copied, go line lowered"
        why = f"its go.mod says go {other.go}; the host's Go is {p.recipe.go_version}"
    edits += [f"-dropreplace={rep.lhs()}", f"-replace={rep.lhs()}={new}"]
    pi.replaces.append({"replace": rep.text(), "action": action, "why": f"{why} (=> {new})"})
