// Package main is a kustomize generator that imports sigs.k8s.io/yaml, a module kustomize
// links too (go.mod asks for an older version than kustomize v5.8.2 links).
package main

import (
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/yaml"
)

type plugin struct {
	h     *resmap.PluginHelpers
	Nonce string `json:"nonce"`
}

// KustomizePlugin is the symbol kustomize looks up in the .so file.
var KustomizePlugin plugin //nolint:unused

func (p *plugin) Config(h *resmap.PluginHelpers, config []byte) error {
	p.h = h
	return yaml.Unmarshal(config, p)
}

func (p *plugin) Generate() (resmap.ResMap, error) {
	out, err := yaml.Marshal(map[string]interface{}{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata":   map[string]string{"name": "matrix-links"},
		"data":       map[string]string{"nonce": p.Nonce},
	})
	if err != nil {
		return nil, err
	}
	return p.h.ResmapFactory().NewResMapFromBytes(out)
}
