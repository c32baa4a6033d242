// Package main is the matrix's generator with one slip: `Config` takes only the config
// bytes (the signature of an old tutorial), so `KustomizePlugin` exists but is not a
// resmap.Configurable (scenario wrong-signature: wrong-plugin-interface).
package main

import (
	"sigs.k8s.io/kustomize/api/resmap"
)

type plugin struct {
	config []byte
}

// KustomizePlugin is the symbol kustomize looks up in the .so file.
var KustomizePlugin plugin //nolint:unused

// Config lacks the *resmap.PluginHelpers argument kustomize passes.
func (p *plugin) Config(config []byte) error {
	p.config = config
	return nil
}

func (p *plugin) Generate() (resmap.ResMap, error) {
	return nil, nil
}
