// Package main is a kustomize Go plugin (a generator) that uses cgo to call a C shared
// library, libmatrixc.so.1, built beside it (see libmatrixc.c). The plugin's run path is
// $ORIGIN: the library is looked up next to the .so file. Scenarios install version 1.1
// there (library-present: loads), nothing (library-absent: missing-shared-library) or
// version 1.0, which lacks a symbol the plugin uses (library-other-version:
// symbol-not-found).
package main

/*
#cgo LDFLAGS: -L${SRCDIR} -l:libmatrixc.so.1 -Wl,-rpath,$ORIGIN
const char *matrix_c_name(void);
int matrix_c_minor(void);
*/
import "C"

import (
	"fmt"
	"strings"

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
	for _, line := range strings.Split(string(config), "\n") {
		if line = strings.TrimSpace(line); strings.HasPrefix(line, "nonce:") {
			p.nonce = strings.Trim(strings.TrimSpace(strings.TrimPrefix(line, "nonce:")), `"'`)
		}
	}
	return nil
}

func (p *plugin) Generate() (resmap.ResMap, error) {
	lib := fmt.Sprintf("%s 1.%d", C.GoString(C.matrix_c_name()), int(C.matrix_c_minor()))
	return p.h.ResmapFactory().NewResMapFromBytes([]byte(
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: matrix-generated\n" +
			"data:\n  nonce: \"" + p.nonce + "\"\n  library: \"" + lib + "\"\n"))
}
