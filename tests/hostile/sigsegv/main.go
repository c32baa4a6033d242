// Package main is a hostile kustomize Go plugin (test set only): its C code takes SIGSEGV
// back from Go's runtime and dereferences NULL, so the process dies of the signal itself.
package main

/*
#include <signal.h>
static void die(void) { signal(SIGSEGV, SIG_DFL); volatile int *p = 0; *p = 42; }
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
	C.die()
	return nil, nil
}
