"""What each column of the dataset holds: the one description of every download column
(the data page lists them; a test checks that every column of frame.COLUMNS has one).

In the CSV and JSON downloads an absent value is an empty text; in Parquet it is a null
of the column's type (NULLABLE), and `recorded_at` is a UTC timestamp.
"""

from __future__ import annotations

DOCS: dict[str, str] = {
    # the cell and its outcome
    "cell": "the cell's stable id: a hash of its inputs (its permalink is cells/<first 3 characters>/#<id>)",
    "outcome": "loads, fails, build-failed, skipped, not-run or harness-error (see the outcomes table on How the data is made)",
    "class": "the error class's slug (its page: errors/<slug>/), as recorded; empty when the cell loaded",
    "package": "the package a version-mismatch error names (for example internal/abi)",
    "error": "the text that explains the outcome: kustomize's stderr without log lines and goroutine dumps, or the end of a failed build's output, or the reason a cell was skipped (at most 4,000 characters)",
    "reason": "why the cell was skipped or not run, with the command that would make it possible",
    "axes": "the axes of the sweep the cell belongs to, `;`-joined (baseline, host-variant, plugin-variant, matched-variant, pins, platform, recipe)",
    # the host (kustomize)
    "host_release": "the kustomize release built as the host (for example v5.8.2)",
    "host_module": "the Go module of that release (sigs.k8s.io/kustomize/kustomize/v5)",
    "host_api": "the version of sigs.k8s.io/kustomize/api the release requires",
    "host_kyaml": "the version of sigs.k8s.io/kustomize/kyaml the release requires",
    "host_toolchain": "the grid's name of the Go release that built kustomize (an exact release, for example go1.26.8)",
    "host_go": "the exact Go release that built kustomize, as `go env GOVERSION` printed it",
    "host_variant": "the grid's name of kustomize's build variant (default, trimpath, debug, race, official...)",
    "host_flags": "the go build flags of that variant, space-joined",
    "host_platform": "GOOS/GOARCH kustomize was built for",
    "host_build_status": "ok, failed or skipped",
    "host_sha256": "sha256 of the kustomize binary built",
    "host_build_command": "the go build command line (shell-quoted; $WORK is a scratch directory)",
    "host_build_env": "the environment of that command that matters (CC, CGO_ENABLED, GOOS, GOARCH, GOFLAGS, GOTOOLCHAIN...), space-joined NAME=value",
    "host_go_mod": "the go.mod kustomize was built from",
    "host_build_output": "everything the host's go build printed",
    # the plugin
    "plugin_name": "the grid's name of the plugin (generator, transformer, thirdparty)",
    "plugin_kind": "generator or transformer",
    "plugin_release": "the kustomize release whose modules the plugin was built against",
    "plugin_api": "the version of sigs.k8s.io/kustomize/api in the plugin's go.mod",
    "plugin_kyaml": "the version of sigs.k8s.io/kustomize/kyaml in the plugin's go.mod",
    "plugin_toolchain": "the grid's name of the Go release that built the plugin",
    "plugin_go": "the exact Go release that built the plugin, as `go env GOVERSION` printed it",
    "plugin_variant": "the grid's name of the plugin's build variant",
    "plugin_flags": "the go build flags of that variant, space-joined",
    "plugin_pins": "how the plugin's go.mod was pinned (host, api-only, api-other, dep-other, vendor, files, recipe: see the pins axis)",
    "plugin_platform": "GOOS/GOARCH the plugin was built for",
    "plugin_build_status": "ok, failed or skipped",
    "plugin_sha256": "sha256 of the plugin (.so) built",
    "plugin_build_command": "the go build -buildmode=plugin command line (shell-quoted)",
    "plugin_build_env": "the environment of that command that matters, space-joined NAME=value",
    "plugin_go_mod": "the go.mod the plugin was built from",
    "plugin_modules": "every module the plugin was built with, one `module version` per line",
    "plugin_build_output": "everything the plugin's go build printed",
    # the load
    "load_command": "the kustomize build --enable-alpha-plugins command ($HOST_BIN is the kustomize built, $CELL the directory with the kustomization and the plugin home)",
    "exit_code": "kustomize's exit status (empty: no load, or killed by a signal)",
    "signal": "the signal that killed kustomize, if one did",
    "timed_out": "true when the load was killed by the time limit",
    "seen": "true when the plugin's output (carrying the cell's nonce) was in kustomize's output",
    "load_duration_s": "how long the load took, in seconds",
    "stdout": "kustomize's standard output (bounded; truncation marked)",
    "stderr": "kustomize's standard error (bounded; truncation marked)",
    "truncated": "true when stdout or stderr was cut to its bound",
    # the doctor's prediction
    "doctor_prediction": "loads or fails: what `plugin-matrix doctor` predicted from the two files alone, before the load",
    "doctor_class": "the error class the doctor predicted",
    "doctor_package": "the package the doctor predicted a version mismatch for",
    "doctor_message": "the error message the doctor predicted",
    "doctor_link": "the page of the predicted error class",
    "doctor_error": "why the doctor could not predict this cell",
    "doctor_evidence": "what the doctor read in the two files, one line each",
    # the runner
    "runner_os": "the operating system of the machine that ran the load",
    "runner_arch": "its CPU architecture (uname -m)",
    "runner_kernel": "its kernel release",
    "runner_libc": "its C library and version (for example glibc 2.36)",
    "native": "true when the host ran natively, false when it ran under an emulator or another platform's loader",
    "emulator": "the command that ran the host when not run directly (qemu-user, or the platform's dynamic loader)",
    "emulator_version": "that emulator's version",
    "tool_version": "the version of plugin-matrix that measured the cell",
    "recorded_at": "when the cell was measured (UTC, ISO 8601)",
    "inputs": "sha256 of everything that went into the cell (sources, go.mod, flags, toolchains): a new value means the cell must be measured again",
    "emulator_kind": "emulator (qemu-user) or loader (native code run through the platform's ld.so)",
    "sandbox": "how the load was confined (bwrap and its version, or empty)",
    # added for the package-mismatch table and per-run results
    "package_module": "the module that provides `package` (empty for a package of Go's standard library, whose version is the Go release's)",
    "package_host_version": "the version of that module kustomize was built with",
    "package_plugin_version": "the version of that module the plugin was built with",
    "observations": "every measurement of the cell, one per runner, as a JSON list (outcome, class, package, runner, how each side's Go was resolved, when)",
    "observation_count": "how many runners measured the cell",
    "disagreement": "how the runners' outcomes disagree (for example `fails (x) vs loads`); empty when they agree",
    # added with the other mechanisms and the scenarios
    "plugin_mechanism": "how the plugin is built and run: go-plugin (a .so kustomize opens with plugin.Open), exec (an executable kustomize runs) or krm-function (an executable KRM function, --enable-exec)",
    "plugin_scenario": "for a scenario cell (one made to produce an error class), the scenario's name; empty for the sweep",
    "load_mode": "how the load was set up: standard (the plugin where kustomize looks, --enable-alpha-plugins) or a scenario's deviation (misplaced file, no flag, ...)",
}

# Text columns whose empty value means "no value": null in Parquet.
NOT_NULLABLE = frozenset(
    {
        "cell",
        "outcome",
        "axes",
        "host_release",
        "host_module",
        "host_toolchain",
        "host_variant",
        "host_flags",
        "host_platform",
        "host_build_status",
        "plugin_name",
        "plugin_kind",
        "plugin_release",
        "plugin_toolchain",
        "plugin_variant",
        "plugin_flags",
        "plugin_pins",
        "plugin_platform",
        "plugin_build_status",
        "runner_os",
        "runner_arch",
        "runner_kernel",
        "tool_version",
        "recorded_at",
        "inputs",
        "observations",
    }
)
TIMESTAMPS = ("recorded_at",)
