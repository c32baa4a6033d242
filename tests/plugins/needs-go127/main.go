// Package main is a kustomize generator that really needs Go 1.27: it calls
// strings.CutLast, new in Go 1.27.
package main

import (
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
	p.nonce = nonceOf(config)
	return nil
}

func (p *plugin) Generate() (resmap.ResMap, error) {
	name, _, _ := strings.CutLast("matrix-needs-go127.v1", ".")
	return p.h.ResmapFactory().NewResMapFromBytes([]byte(
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n" +
			"data:\n  nonce: \"" + p.nonce + "\"\n"))
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
