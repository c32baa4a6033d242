// Package main is a kustomize Go plugin written against a newer api than the release it
// is built for: it uses types.SortOptions (sigs.k8s.io/kustomize/api >= v0.13, kustomize
// v5), so built for kustomize v4.5.7 (api v0.12.1) it does not compile
// (scenario api-too-new: build-failed).
package main

import (
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/types"
)

type plugin struct {
	h    *resmap.PluginHelpers
	sort *types.SortOptions
}

// KustomizePlugin is the symbol kustomize looks up in the .so file.
var KustomizePlugin plugin //nolint:unused

func (p *plugin) Config(h *resmap.PluginHelpers, _ []byte) error {
	p.h = h
	p.sort = &types.SortOptions{Order: types.LegacySortOrder}
	return nil
}

func (p *plugin) Generate() (resmap.ResMap, error) {
	return p.h.ResmapFactory().NewResMapFromBytes([]byte(
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: matrix-generated\n"))
}
