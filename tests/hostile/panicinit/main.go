// Package main is a hostile kustomize Go plugin (test set only, never in the published
// grid): it panics while the plugin is being opened, in an init function.
package main

import (
	"sigs.k8s.io/kustomize/api/resmap"
)

func init() {
	panic("hostile plugin: panic in init")
}

type plugin struct{}

// KustomizePlugin is the symbol kustomize looks up in the .so file.
var KustomizePlugin plugin //nolint:unused

func (p *plugin) Config(_ *resmap.PluginHelpers, _ []byte) error { return nil }

func (p *plugin) Generate() (resmap.ResMap, error) { return nil, nil }
