// Package main is a kustomize generator developed in a go.work workspace: it imports
// example.com/wslib, which only the workspace provides (go.mod does not require it).
package main

import (
	"example.com/wslib"
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
	p.nonce = wslib.Nonce(config)
	return nil
}

func (p *plugin) Generate() (resmap.ResMap, error) {
	return p.h.ResmapFactory().NewResMapFromBytes([]byte(
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: matrix-workspace\n" +
			"data:\n  nonce: \"" + p.nonce + "\"\n"))
}
