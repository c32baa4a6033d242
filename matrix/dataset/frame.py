"""The dataset as one flat pandas frame (one row per load cell).

Every column is a scalar (text, number or bool) so the same frame writes to CSV, JSON
and Parquet unchanged. Lists become `;`-joined text, commands shell-quoted text.
Rows are sorted by cell id and columns keep the order of COLUMNS, so the same records
always give byte-identical downloads.
"""

from __future__ import annotations

import functools
import json
import operator
import re
import shlex
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from matrix.core import facts
from matrix.dataset.derived import observations_of, package_module
from matrix.dataset.read import read_records

# Public columns, in order. Changing a name breaks people's notebooks: add, don't rename.
COLUMNS: list[str] = [
    "cell",
    "outcome",
    "class",
    "package",
    "error",
    "reason",
    "axes",
    "host_release",
    "host_module",
    "host_api",
    "host_kyaml",
    "host_toolchain",
    "host_go",
    "host_variant",
    "host_flags",
    "host_platform",
    "host_build_status",
    "host_sha256",
    "host_build_command",
    "host_build_env",
    "host_go_mod",
    "host_build_output",
    "plugin_name",
    "plugin_kind",
    "plugin_release",
    "plugin_api",
    "plugin_kyaml",
    "plugin_toolchain",
    "plugin_go",
    "plugin_variant",
    "plugin_flags",
    "plugin_pins",
    "plugin_platform",
    "plugin_build_status",
    "plugin_sha256",
    "plugin_build_command",
    "plugin_build_env",
    "plugin_go_mod",
    "plugin_modules",
    "plugin_build_output",
    "load_command",
    "exit_code",
    "signal",
    "timed_out",
    "seen",
    "load_duration_s",
    "stdout",
    "stderr",
    "truncated",
    "doctor_prediction",
    "doctor_class",
    "doctor_package",
    "doctor_message",
    "doctor_link",
    "doctor_error",
    "doctor_evidence",
    "runner_os",
    "runner_arch",
    "runner_kernel",
    "runner_libc",
    "native",
    "emulator",
    "emulator_version",
    "tool_version",
    "recorded_at",
    "inputs",
    "emulator_kind",
    "sandbox",
    "plugin_mechanism",
    "plugin_scenario",
    "load_mode",
    "package_module",
    "package_host_version",
    "package_plugin_version",
    "observations",
    "observation_count",
    "disagreement",
]

MECHANISMS = ["go-plugin", "exec", "krm-function"]  # plugin_mechanism's values

# The inputs that make a cell: two cells equal on all of these are the same cell.
KEY_COLUMNS: list[str] = [
    "host_release",
    "host_toolchain",
    "host_variant",
    "host_platform",
    "plugin_name",
    "plugin_release",
    "plugin_toolchain",
    "plugin_variant",
    "plugin_pins",
    "plugin_platform",
    "plugin_mechanism",
    "plugin_scenario",
]

OUTCOMES = list(facts.OUTCOMES)  # written once, in matrix.core.facts

_LOG_LINE = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d ")  # Go's log package prefix
_GO_VERSION = re.compile(r"\bgo\d+(?:\.\d+)*(?:(?:rc|beta)\d+)?\b")
ERROR_MAX = 4000  # the error column keeps what a person reads; stderr keeps the rest


def go_version(toolchain: dict[str, Any]) -> str:
    """`go1.19.8` from a recorded toolchain ("" when the toolchain was not available)."""
    v = (toolchain.get("goenv") or {}).get("GOVERSION")
    if v:
        return str(v)
    m = _GO_VERSION.search(toolchain.get("version") or "")
    return m.group(0) if m else ""


def load_error(stderr: str) -> str:
    """The part of kustomize's stderr that says why: log lines and goroutine dumps removed."""
    keep: list[str] = []
    lines = stderr.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if _LOG_LINE.match(line) and "Attempting plugin load" in line:
            i += 1
            continue
        if line.startswith(("fatal error:", "panic:", "SIGSEGV:", "unexpected fault")):
            keep.append(line)
            # A crash: keep its own lines, skip the goroutine dump that follows.
            i += 1
            while i < len(lines) and lines[i].strip() and not lines[i].startswith("goroutine "):
                if not lines[i].startswith(("\t", "runtime.", "[signal")):
                    keep.append(lines[i])
                i += 1
            while i < len(lines) and not lines[i].startswith("[plugin-matrix:"):
                i += 1
            continue
        if line.strip():
            keep.append(line)
        i += 1
    return "\n".join(keep).strip()


def build_error(output: str) -> str:
    """The end of a failed build's output, without `go: downloading` noise."""
    lines = [
        ln
        for ln in output.splitlines()
        if ln.strip() and not ln.startswith(("go: downloading ", "go: finding "))
    ]
    return "\n".join(lines[-40:]).strip()


def error_text(rec: dict[str, Any]) -> str:
    """The raw text that explains a cell's outcome (empty when it loads)."""
    outcome = rec["outcome"]
    if outcome == "loads":
        return ""
    if outcome == "build-failed":
        parts = []
        for side in ("host", "plugin"):
            b = rec[side]["build"]
            if b["status"] == "failed":
                parts.append(build_error(b["output"]) or f"the {side} build failed with no output")
        text = "\n".join(parts)
    elif outcome == "fails" and rec.get("load"):
        ld = rec["load"]
        text = load_error(ld["stderr"])
        if not text:
            if ld["timed_out"]:
                text = "[plugin-matrix: killed by the load timeout]"
            elif ld["signal"]:
                text = f"[kustomize killed by signal {ld['signal']}]"
            elif ld["exit_code"] == 0:
                text = "[kustomize exited 0, but the plugin's output was not in its output]"
            else:
                text = f"[kustomize exited {ld['exit_code']} with no error text]"
    else:
        text = rec.get("reason") or ""
    if len(text) > ERROR_MAX:
        text = text[:ERROR_MAX] + "\n[... cut by plugin-matrix; the full text is in stderr]"
    return text


_PLACEHOLDER = re.compile(r"^\$[A-Z_]+(/[A-Za-z0-9_./-]*)?$")  # $WORK/plugin.so, $CELL/...


def _cmd(argv: list[str]) -> str:
    """A command line to copy: shell-quoted, but $WORK-style placeholders left to expand."""
    return _cmd_of(tuple(argv))


@functools.lru_cache(maxsize=4096)  # one per build artifact: they repeat across cells
def _cmd_of(argv: tuple[str, ...]) -> str:
    return " ".join(a if _PLACEHOLDER.match(a) else shlex.quote(a) for a in argv)


def _env(env: dict[str, str]) -> str:
    return _env_of(tuple(sorted(env.items())))


@functools.lru_cache(maxsize=4096)
def _env_of(items: tuple[tuple[str, str], ...]) -> str:
    return " ".join(f"{k}={shlex.quote(v)}" for k, v in items)


@functools.lru_cache(maxsize=4096)
def _modules(items: tuple[tuple[str, str], ...]) -> str:
    return "\n".join(f"{m} {v}" for m, v in items)


def _doctor(doc: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "doctor_prediction": "",
        "doctor_class": "",
        "doctor_package": "",
        "doctor_message": "",
        "doctor_link": "",
        "doctor_error": "",
        "doctor_evidence": "",
    }
    if not isinstance(doc, dict):
        return out
    if doc.get("error"):
        out["doctor_error"] = str(doc["error"])
    for key in ("prediction", "class", "package", "message", "link"):
        v = doc.get(key)
        if v is not None:
            out[f"doctor_{key}"] = str(v)
    ev = doc.get("evidence")
    if isinstance(ev, list):
        out["doctor_evidence"] = "\n".join(
            x if isinstance(x, str) else json.dumps(x, sort_keys=True) for x in ev
        )
    return out


def _sandbox(sb: Any) -> str:
    if not isinstance(sb, dict):
        return ""
    return " ".join(str(x) for x in (sb.get("kind"), sb.get("version")) if x)


def row(rec: dict[str, Any]) -> dict[str, Any]:
    """One record as one flat row (see COLUMNS). The error class is the one recorded
    (`plugin-matrix reclassify` recomputes them after the catalog changes)."""
    error_class, pkg = rec.get("class"), rec.get("package")
    h, p, ld, run = rec["host"], rec["plugin"], rec.get("load") or {}, rec["runner"]
    scenario = p.get("scenario") or {}
    hb, pb = h["build"], p["build"]
    emu = run.get("emulator") or {}
    mod = package_module(pkg or "", hb["modules"], pb["modules"])
    observations, n_obs, disagree = observations_of(rec)
    r: dict[str, Any] = {
        "cell": rec["cell"],
        "outcome": rec["outcome"],
        "class": error_class or "",
        "package": pkg or "",
        "error": error_text(rec),
        "reason": rec.get("reason") or "",
        "axes": ";".join(rec["axes"]),
        "host_release": h["release"],
        "host_module": h["module"],
        "host_api": h["api"] or "",
        "host_kyaml": h["kyaml"] or "",
        "host_toolchain": h["toolchain"]["id"],
        "host_go": go_version(h["toolchain"]),
        "host_variant": h["variant"],
        "host_flags": " ".join(h["flags"]),
        "host_platform": h["platform"],
        "host_build_status": hb["status"],
        "host_sha256": hb["sha256"] or "",
        "host_build_command": _cmd(hb["command"]),
        "host_build_env": _env(hb["env"]),
        "host_go_mod": hb["go_mod"] or "",
        "host_build_output": hb["output"],
        "plugin_name": p["name"],
        "plugin_kind": p["kind"],
        "plugin_release": p["release"],
        "plugin_api": p["api"] or "",
        "plugin_kyaml": p["kyaml"] or "",
        "plugin_toolchain": p["toolchain"]["id"],
        "plugin_go": go_version(p["toolchain"]),
        "plugin_variant": p["variant"],
        "plugin_flags": " ".join(p["flags"]),
        "plugin_pins": p["pins"],
        "plugin_platform": p["platform"],
        "plugin_build_status": pb["status"],
        "plugin_sha256": pb["sha256"] or "",
        "plugin_build_command": _cmd(pb["command"]),
        "plugin_build_env": _env(pb["env"]),
        "plugin_go_mod": pb["go_mod"] or "",
        "plugin_modules": _modules(tuple(sorted(pb["modules"].items()))),
        "plugin_build_output": pb["output"],
        "load_command": _cmd(ld.get("command") or []),
        "exit_code": ld.get("exit_code"),
        "signal": ld.get("signal"),
        "timed_out": bool(ld.get("timed_out", False)),
        "seen": bool(ld.get("seen", False)),
        "load_duration_s": ld.get("duration_s"),
        "stdout": ld.get("stdout", ""),
        "stderr": ld.get("stderr", ""),
        "truncated": bool(ld.get("truncated", False)),
        **_doctor(rec.get("doctor")),
        "runner_os": run["os"],
        "runner_arch": run["arch"],
        "runner_kernel": run["kernel"],
        "runner_libc": run["libc"] or "",
        "native": bool(run["native"]),
        "emulator": " ".join(emu.get("argv") or []),
        "emulator_version": emu.get("version") or "",
        "tool_version": rec["tool_version"],
        "recorded_at": rec["recorded_at"],
        "inputs": rec["inputs"],
        # "emulator" (qemu-user) or "loader" (the platform's own ld.so: native code)
        "emulator_kind": (emu.get("kind") or "emulator") if emu else "",
        "sandbox": _sandbox(run.get("sandbox")),
        # Records before format 4 measured Go plugins only, in the standard layout.
        "plugin_mechanism": p.get("mechanism") or "go-plugin",
        "plugin_scenario": scenario.get("name") or "",
        "load_mode": ld.get("mode") or scenario.get("mode") or "standard",
        "package_module": mod,
        "package_host_version": hb["modules"].get(mod, "") if mod else "",
        "package_plugin_version": pb["modules"].get(mod, "") if mod else "",
        "observations": observations,
        "observation_count": n_obs,
        "disagreement": disagree,
    }
    return r


_INT_COLUMNS = ("exit_code", "signal", "observation_count")
_BOOL_COLUMNS = ("timed_out", "seen", "truncated", "native")
_DTYPES: dict[str, str] = {c: "str" for c in COLUMNS}
_DTYPES.update({c: "Int64" for c in _INT_COLUMNS})
_DTYPES.update({c: "bool" for c in _BOOL_COLUMNS})
_DTYPES["load_duration_s"] = "Float64"
_TEXT = [c for c in COLUMNS if _DTYPES[c] == "str"]
CHUNK = 2048  # rows at a time while reading: bounds the memory of Python row dicts

# The site's frame leaves out the bulk of the raw texts (the downloads have them all):
# these are blank in every row, and LOADS_ONLY are kept only for cells that loaded (the
# recipes quote their go.mod files and the plugin path from their stderr).
HEAVY = ("stdout", "host_build_output", "plugin_build_output", "plugin_modules")
LOADS_ONLY = ("stderr", "host_go_mod", "plugin_go_mod")


_GET = operator.itemgetter(*COLUMNS)


def _columns(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    if not rows:
        return {c: [] for c in COLUMNS}
    return dict(zip(COLUMNS, map(list, zip(*map(_GET, rows), strict=True)), strict=True))


def _empty_frame() -> pd.DataFrame:
    return pd.DataFrame({c: pd.array([], dtype=_DTYPES[c]) for c in COLUMNS}, columns=COLUMNS)


@functools.cache
def arrow_schema() -> Any:
    """The downloads' Arrow schema (with pandas' metadata, so dtypes survive a round trip)."""
    import pyarrow as pa

    return pa.Schema.from_pandas(_empty_frame(), preserve_index=False)


def table_of(rows: list[dict[str, Any]], light: bool = False) -> Any:
    """Rows (as `row` makes them) -> Arrow table (arrow_schema); `light`: as the site
    keeps them (HEAVY texts blank, LOADS_ONLY only where the cell loaded)."""
    import pyarrow as pa

    columns = _columns(rows)
    if light:
        loads = [o == "loads" for o in columns["outcome"]]
        for c in HEAVY:
            columns[c] = [""] * len(rows)
        for c in LOADS_ONLY:
            columns[c] = [v if ok else "" for v, ok in zip(columns[c], loads, strict=True)]
    for c in _TEXT:
        if None in columns[c]:
            columns[c] = ["" if v is None else v for v in columns[c]]
    return pa.Table.from_pydict(columns, schema=arrow_schema())


def _frame_of(rows: list[dict[str, Any]], light: bool = False) -> pd.DataFrame:
    """Rows (as `row` makes them) -> frame (see table_of)."""
    if not rows:
        return _empty_frame()
    frame: pd.DataFrame = table_of(rows, light).to_pandas()
    return frame


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    if not parts:
        return _frame_of([])
    if len(parts) == 1:
        return parts[0].reset_index(drop=True)
    return pd.concat(parts, ignore_index=True)


def frame(recs: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """Records -> frame with COLUMNS, sorted by cell id (empty frame for no records)."""
    rows = sorted((row(r) for r in recs), key=lambda x: str(x["cell"]))
    return _concat([_frame_of(rows[i : i + CHUNK]) for i in range(0, len(rows), CHUNK)])


def row_batches(
    data: Path, size: int = CHUNK, names: Iterable[str] | None = None
) -> Iterator[list[dict[str, Any]]]:
    """The rows of DATA/cells (or of the files `names`) in cell order, `size` at a time,
    reading one record at a time (schema-checked)."""
    rows: list[dict[str, Any]] = []
    for rec in read_records(data, names):
        rows.append(row(rec))
        if len(rows) >= size:
            yield rows
            rows = []
    if rows:
        yield rows


def chunks(data: Path, size: int = CHUNK) -> Iterator[pd.DataFrame]:
    """The frame of DATA/cells in pieces of at most `size` rows, in cell order."""
    for rows in row_batches(data, size):
        yield _frame_of(rows)


def load(data: Path) -> pd.DataFrame:
    """The frame of every record in DATA/cells (schema-checked on the way in)."""
    return _concat(list(chunks(data)))


def lighten(df: pd.DataFrame) -> pd.DataFrame:
    """The frame as the site keeps it: HEAVY texts blank, LOADS_ONLY kept only for cells
    that loaded (a shallow copy; the downloads have every text)."""
    out = df.copy(deep=False)
    blank = pd.array([""] * len(df), dtype="str")
    for c in HEAVY:
        out[c] = blank
    loads = df["outcome"] == "loads"
    for c in LOADS_ONLY:
        out[c] = df[c].where(loads, "")
    return out


def site_frame(data: Path) -> pd.DataFrame:
    """The frame the site's pages are made from: every row and column, without the bulk
    of the raw texts (see `lighten`)."""
    return _concat([_frame_of(rows, light=True) for rows in row_batches(data)])
