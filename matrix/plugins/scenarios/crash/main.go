// Package main is a kustomize Go plugin (a generator) that crashes in Generate: it
// dereferences a nil pointer, a Go runtime panic inside kustomize's own process
// (scenario crash-in-generate: runtime-crash).
package main

import (
	"sigs.k8s.io/kustomize/api/resmap"
)

type settings struct{ name string }

type plugin struct {
	s *settings // never set
}

// KustomizePlugin is the symbol kustomize looks up in the .so file.
var KustomizePlugin plugin //nolint:unused

func (p *plugin) Config(_ *resmap.PluginHelpers, _ []byte) error { return nil }

func (p *plugin) Generate() (resmap.ResMap, error) {
	_ = p.s.name // nil pointer dereference
	return nil, nil
}
