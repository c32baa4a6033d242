// Package main is a kustomize Go plugin (a generator) used by the compatibility
// matrix. It only imports sigs.k8s.io/kustomize/api, so it compiles against every
// api release from v0.12 on. It emits one ConfigMap carrying the nonce from its
// config, which is how the matrix proves that this very plugin ran.
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
	return p.h.ResmapFactory().NewResMapFromBytes([]byte(
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: matrix-generated\n" +
			"data:\n  nonce: \"" + p.nonce + "\"\n"))
}

// nonceOf reads the `nonce:` line without a YAML library, so the plugin links
// nothing but kustomize's api module.
func nonceOf(config []byte) string {
	for _, line := range strings.Split(string(config), "\n") {
		if line = strings.TrimSpace(line); strings.HasPrefix(line, "nonce:") {
			v := strings.TrimPrefix(line, "nonce:")
			return strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	return ""
}
