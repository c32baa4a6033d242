// Package main is a kustomize Go plugin for the fault tests (test set only): a good
// generator that takes one second, so a grid run can be interrupted in the middle.
package main

import (
	"strings"
	"time"

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
	time.Sleep(time.Second)
	return p.h.ResmapFactory().NewResMapFromBytes([]byte(
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: matrix-slow\n" +
			"data:\n  nonce: \"" + p.nonce + "\"\n"))
}
