// Package main is a kustomize generator that calls C (cgo): the nonce's length comes
// from strlen.
package main

/*
#include <string.h>
#include <stdlib.h>
static int nonce_len(const char *s) { return (int)strlen(s); }
*/
import "C"

import (
	"strconv"
	"strings"
	"unsafe"

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
	p.nonce = nonceOf(config)
	return nil
}

func (p *plugin) Generate() (resmap.ResMap, error) {
	cs := C.CString(p.nonce)
	defer C.free(unsafe.Pointer(cs))
	n := int(C.nonce_len(cs))
	return p.h.ResmapFactory().NewResMapFromBytes([]byte(
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: matrix-cgo\n" +
			"data:\n  nonce: \"" + p.nonce + "\"\n  length: \"" + strconv.Itoa(n) + "\"\n"))
}

// nonceOf reads the `nonce:` line of the plugin's config.
func nonceOf(config []byte) string {
	for _, line := range strings.Split(string(config), "\n") {
		if line = strings.TrimSpace(line); strings.HasPrefix(line, "nonce:") {
			return strings.Trim(strings.TrimSpace(strings.TrimPrefix(line, "nonce:")), `"'`)
		}
	}
	return ""
}
