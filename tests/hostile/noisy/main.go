// Package main is a hostile kustomize Go plugin (test set only): it prints 8 MiB to
// stdout and 8 MiB to stderr, then generates as a good plugin does.
package main

import (
	"os"
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
	return nil
}

func (p *plugin) Generate() (resmap.ResMap, error) {
	line := strings.Repeat("noise ", 127) + "\n" // 763 bytes
	for n := 0; n < 8<<20; n += len(line) * 1024 {
		os.Stdout.WriteString(strings.Repeat(line, 1024))
		os.Stderr.WriteString(strings.Repeat(line, 1024))
	}
	return p.h.ResmapFactory().NewResMapFromBytes([]byte(
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hostile-noisy\n" +
			"data:\n  nonce: \"" + p.nonce + "\"\n"))
}
