// Package main is a hostile kustomize Go plugin (test set only): while being configured
// it tries to write outside its throw-away home (beside the cell directory, in /tmp,
// /var/tmp, /dev/shm, beside the kustomize binary) and to delete a canary file beside the
// cell directory, reporting each try on stderr. Then it generates as a good plugin does.
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
	p.nonce = nonceOf(config)
	name := "hostile-escape-" + p.nonce
	outside := filepath.Join(os.Getenv("HOME"), "..", "..")
	targets := []string{filepath.Join(outside, name), "/tmp/" + name, "/var/tmp/" + name,
		"/dev/shm/" + name}
	if exe, err := os.Executable(); err == nil {
		targets = append(targets, filepath.Join(filepath.Dir(exe), name))
	}
	for _, t := range targets {
		err := os.WriteFile(t, []byte("escaped\n"), 0o644)
		fmt.Fprintf(os.Stderr, "ESCAPE write %s: %v\n", t, err)
	}
	err := os.Remove(filepath.Join(outside, "hostile-canary"))
	fmt.Fprintf(os.Stderr, "ESCAPE remove %s: %v\n", filepath.Join(outside, "hostile-canary"), err)
	return nil
}

func (p *plugin) Generate() (resmap.ResMap, error) {
	return p.h.ResmapFactory().NewResMapFromBytes([]byte(
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hostile-escape\n" +
			"data:\n  nonce: \"" + p.nonce + "\"\n"))
}

func nonceOf(config []byte) string {
	for _, line := range strings.Split(string(config), "\n") {
		if line = strings.TrimSpace(line); strings.HasPrefix(line, "nonce:") {
			return strings.Trim(strings.TrimSpace(strings.TrimPrefix(line, "nonce:")), `"'`)
		}
	}
	return ""
}
