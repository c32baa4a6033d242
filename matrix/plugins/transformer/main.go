// Package main is a kustomize Go plugin (a transformer) used by the compatibility
// matrix. It annotates every resource with the nonce from its config.
package main

import (
	"strings"

	"sigs.k8s.io/kustomize/api/resmap"
)

type plugin struct {
	nonce string
}

// KustomizePlugin is the symbol kustomize looks up in the .so file.
var KustomizePlugin plugin //nolint:unused

func (p *plugin) Config(_ *resmap.PluginHelpers, config []byte) error {
	for _, line := range strings.Split(string(config), "\n") {
		if line = strings.TrimSpace(line); strings.HasPrefix(line, "nonce:") {
			v := strings.TrimPrefix(line, "nonce:")
			p.nonce = strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	return nil
}

func (p *plugin) Transform(m resmap.ResMap) error {
	for _, r := range m.Resources() {
		a := r.GetAnnotations()
		if a == nil {
			a = map[string]string{}
		}
		a["matrix.example.com/transformed"] = p.nonce
		if err := r.SetAnnotations(a); err != nil {
			return err
		}
	}
	return nil
}
