// Package main is a kustomize generator that lives in plugins/configmap of a larger
// module (example.com/bigrepo) and imports one of its internal packages.
package main

import (
	"example.com/bigrepo/internal/nonce"
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
	p.nonce = nonce.Of(config)
	return nil
}

func (p *plugin) Generate() (resmap.ResMap, error) {
	return p.h.ResmapFactory().NewResMapFromBytes([]byte(
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: matrix-bigrepo\n" +
			"data:\n  nonce: \"" + p.nonce + "\"\n"))
}
