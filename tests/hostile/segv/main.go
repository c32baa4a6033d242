// Package main is a hostile kustomize Go plugin (test set only): its C code dereferences
// NULL while generating. Go's signal handler turns that into a fatal error (exit 2).
package main

/*
static void crash(void) { volatile int *p = 0; *p = 42; }
*/
import "C"

import (
	"sigs.k8s.io/kustomize/api/resmap"
)

type plugin struct{}

// KustomizePlugin is the symbol kustomize looks up in the .so file.
var KustomizePlugin plugin //nolint:unused

func (p *plugin) Config(_ *resmap.PluginHelpers, _ []byte) error { return nil }

func (p *plugin) Generate() (resmap.ResMap, error) {
	C.crash()
	return nil, nil
}
