// Package main is the matrix's generator with one slip: its plugin variable is called
// `Plugin`, not `KustomizePlugin`, so the file opens but kustomize finds no symbol to use
// (scenario no-symbol: wrong-plugin-interface).
package main

import (
	"sigs.k8s.io/kustomize/api/resmap"
)

type plugin struct {
	h *resmap.PluginHelpers
}

// Plugin is exported, but under the wrong name.
var Plugin plugin //nolint:unused

func (p *plugin) Config(h *resmap.PluginHelpers, _ []byte) error {
	p.h = h
	return nil
}

func (p *plugin) Generate() (resmap.ResMap, error) {
	return p.h.ResmapFactory().NewResMapFromBytes([]byte(
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: matrix-generated\n"))
}
