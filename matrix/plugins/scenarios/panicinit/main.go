// Package main is a kustomize Go plugin that panics in an init function, which runs
// while kustomize opens the .so file (scenario panic-in-init: runtime-crash).
package main

import (
	"sigs.k8s.io/kustomize/api/resmap"
)

func init() {
	panic("matrix: this plugin panics in init")
}

type plugin struct{}

// KustomizePlugin is the symbol kustomize looks up in the .so file.
var KustomizePlugin plugin //nolint:unused

func (p *plugin) Config(_ *resmap.PluginHelpers, _ []byte) error { return nil }

func (p *plugin) Generate() (resmap.ResMap, error) { return nil, nil }
