"""What glibc's `dlopen(plugin, RTLD_NOW | RTLD_GLOBAL)` does once the plugin file is
mapped (`dlopen.py` checks the file itself), after glibc 2.36's `dl_open_worker_begin`:

1. `_dl_map_object_deps`: the plugin's DT_NEEDED libraries, breadth-first and
   transitively. A name the process has loaded (the name it was asked for, its
   DT_SONAME, its path: `_dl_name_match_p`) is not looked for again; any other is
   searched for in the requiring object's DT_RPATH (without DT_RUNPATH),
   LD_LIBRARY_PATH, DT_RUNPATH ($ORIGIN expanded), then the system's directories.
   Not found: `<lib>: cannot open shared object file: No such file or directory`.
2. `_dl_check_map_versions`, for each new object in that order: every non-weak
   version it requires must be defined by the library it names:
   `<lib path>: version `V' not found (required by <object path>)`.
3. relocation (RTLD_NOW: every symbol at once), new objects dependencies first, each
   object's relocations in table order. A symbol is looked up in the global scope (the
   host and its libraries, breadth-first) and then in the plugin's (the plugin and its
   libraries); glibc's `check_match` decides which definition a reference takes, with
   symbol versions. A strong reference nothing defines:
   `<object path>: undefined symbol: S` (`, version V` when the reference has one).

Every text above was seen from a real `plugin.Open` (tests/test_doctor.py re-checks
them on each run). Only the symbols an object takes from others are looked up: a Go
plugin takes a few dozen (libc's), though it exports tens of thousands.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from matrix.diagnose.dynobj import BadObject, DynObject, Ref
from matrix.diagnose.libraries import env_library_path, expand_origin, find_library, library_dirs

MAX_OBJECTS = 256  # a process's libraries (a real host has a handful)


@dataclass(eq=False)  # one object is one object: compared and hashed by identity
class Loaded:
    """One object in the process: `path` is its name as glibc prints it (l_name)."""

    name: str  # what it was loaded under: a DT_NEEDED string, or a path
    path: str
    obj: DynObject | None  # None: known to be loaded, but not readable on this machine
    by: Loaded | None = None  # the object that needed it first
    new: bool = False  # loaded by this dlopen (not in the process before)

    def matches(self, name: str) -> bool:
        return name in (self.name, self.path) or (self.obj is not None and name in self.obj.names())


@dataclass
class Missing:
    library: str  # the DT_NEEDED string glibc could not open
    by: Loaded  # the object that needs it


@dataclass
class VersionGap:
    library: Loaded  # the library the version is required from
    version: str
    by: Loaded
    provides: list[str]  # the versions the library defines


@dataclass
class Unbound:
    symbol: str
    version: str | None
    by: Loaded  # the object whose relocation names the symbol (glibc names it)
    expected: list[Loaded]  # the libraries the reference was most likely linked against
    others: list[str] = field(default_factory=list)  # more unresolved symbols, same object


class Dlopen:
    """The process after the host started (its global scope), and what loading the
    plugin adds to it; ask `libraries()`, `versions()`, `symbols()` in that order."""

    def __init__(self, host: Path, plugin: Path, goarch: str | None) -> None:
        self.system = env_library_path(), library_dirs(goarch)
        self.like = host
        self.known: list[Loaded] = []  # every object of the process, for name matching
        self.unreadable: list[str] = []  # objects of the process this machine cannot read
        self.globals = self._start(host)
        self.plugin = Loaded(str(plugin), str(plugin), None, new=True)
        self.local: list[Loaded] = []
        # what symbols() found: defining object -> references it satisfies; references no
        # object defines that no relocation names (nothing looks them up); references
        # undefined while an object of the process could not be read (nothing claimed)
        self.resolved: dict[str, int] = {}
        self.unused: list[str] = []
        self.undecided: list[str] = []

    def _open(self, name: str, path: str, by: Loaded | None, new: bool = False) -> Loaded:
        try:
            obj: DynObject | None = DynObject(Path(path))
        except BadObject as e:
            obj = None
            self.unreadable.append(str(e))
        loaded = Loaded(name, path, obj, by, new)
        self.known.append(loaded)
        return loaded

    def _start(self, host: Path) -> list[Loaded]:
        """The host's global scope: the executable, then its libraries breadth-first."""
        exe = self._open(str(host), str(host.resolve()), None)
        interp = exe.obj.interpreter if exe.obj else None
        if interp:  # the dynamic loader is in the process; it joins the scope if needed
            path = find_library(interp, [], host) or self._search(Path(interp).name, exe)
            if path is not None:
                self._open(Path(interp).name, str(path), exe)
        scope = self._breadth_first(exe, new=False)
        return scope if isinstance(scope, list) else [exe]

    def _breadth_first(self, root: Loaded, new: bool) -> list[Loaded] | Missing:
        scope = [root]
        for loaded in scope:
            for name in loaded.obj.needed if loaded.obj else []:
                have = next((k for k in self.known if k.matches(name)), None)
                if have is None:
                    path = self._search(name, loaded)
                    if path is None:
                        if new:
                            return Missing(name, loaded)
                        self.unreadable.append(f"{name} (needed by {loaded.path}): not found")
                        have = Loaded(name, name, None, loaded)
                        self.known.append(have)
                    else:
                        have = self._open(name, str(path), loaded, new)
                if have not in scope and len(scope) < MAX_OBJECTS:
                    scope.append(have)
        return scope

    def _search(self, name: str, by: Loaded) -> Path | None:
        """glibc's order: without DT_RUNPATH, the DT_RPATH of the requester, of the
        object that loaded it and on up to the executable; LD_LIBRARY_PATH; DT_RUNPATH;
        the system's directories."""
        if "/" in name:
            return find_library(name, [], self.like)
        env, system = self.system
        dirs: list[str] = []
        if by.obj is not None and not by.obj.runpath:
            chain: Loaded | None = by
            while chain is not None and len(dirs) < MAX_OBJECTS:
                if chain.obj is not None and not chain.obj.runpath:
                    dirs += expand_origin(chain.obj.rpath, Path(chain.path).parent)
                chain = chain.by
        dirs += env
        if by.obj is not None:
            dirs += expand_origin(by.obj.runpath, Path(by.path).parent)
        return find_library(name, dirs + system, self.like)

    # -- 1. libraries -------------------------------------------------------
    def libraries(self) -> Missing | None:
        """The first library glibc cannot find, breadth-first from the plugin."""
        plugin = self._open(self.plugin.name, self.plugin.path, self.globals[0], new=True)
        self.plugin = plugin
        if plugin.obj is None:
            return None
        scope = self._breadth_first(plugin, new=True)
        if isinstance(scope, Missing):
            return scope
        self.local = scope
        return None

    @property
    def new(self) -> list[Loaded]:
        return [x for x in self.local if x.new and x.obj is not None]

    # -- 2. versions ---------------------------------------------------------
    def versions(self) -> VersionGap | None:
        for loaded in self.new:
            assert loaded.obj is not None
            for need in loaded.obj.needs():
                lib = next((k for k in self.known if k.matches(need.file)), None)
                if need.weak or lib is None or lib.obj is None:
                    continue
                defs = lib.obj.version_defs()
                if defs and need.version not in defs:
                    return VersionGap(lib, need.version, loaded, defs)
        return None

    # -- 3. symbols ----------------------------------------------------------
    def symbols(self) -> Unbound | None:
        """The first strong reference no object in scope defines, in relocation order
        (dependencies first); None when every one is defined, or when the process holds
        an object this machine cannot read (then nothing is claimed)."""
        scope = list(dict.fromkeys(x for x in self.globals + self.local if x.obj is not None))
        for loaded in reversed(self.new):
            assert loaded.obj is not None
            unbound: dict[int, Ref] = {}
            for ref in loaded.obj.undefined():
                by = next(
                    (x for x in scope if x.obj and x.obj.defines(ref.name, ref.version, ref.hidden)), None
                )
                if by is None:
                    unbound[ref.number] = ref
                else:
                    self.resolved[by.name] = self.resolved.get(by.name, 0) + 1
            if not unbound:
                continue
            if self.unreadable:
                self.undecided += [r.name for r in unbound.values()]
                continue
            order = loaded.obj.first_relocated(set(unbound))
            self.unused += [r.name for i, r in unbound.items() if i not in order]
            if not order:
                continue
            first = unbound[order[0]]
            return Unbound(
                first.name,
                first.version,
                loaded,
                self._expected(loaded, first),
                [unbound[i].name for i in order[1:]],
            )
        return None

    def _expected(self, loaded: Loaded, ref: Ref) -> list[Loaded]:
        """The libraries a reference was most likely linked against: the one its version
        names, else the object's own libraries (those the host did not load), else all."""
        if ref.file:
            return [k for k in self.known if k.matches(ref.file)][:1]
        mine = [k for k in self.local if k.by is loaded and k.new]
        return mine or [k for k in self.local if k.by is loaded]

    def close(self) -> None:
        for k in self.known:
            if k.obj is not None:
                k.obj.close()
