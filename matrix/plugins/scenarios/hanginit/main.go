// Package main is a kustomize Go plugin whose init never returns (it waits forever for
// something that never comes), so opening the .so file blocks kustomize for good
// (scenario init-never-returns: timeout). It sleeps rather than blocking on a channel:
// the Go runtime would report a deadlock instead of hanging.
package main

import (
	"time"

	"sigs.k8s.io/kustomize/api/resmap"
)

func init() {
	for {
		time.Sleep(time.Hour)
	}
}

type plugin struct{}

// KustomizePlugin is the symbol kustomize looks up in the .so file.
var KustomizePlugin plugin //nolint:unused

func (p *plugin) Config(_ *resmap.PluginHelpers, _ []byte) error { return nil }

func (p *plugin) Generate() (resmap.ResMap, error) { return nil, nil }
