// Package main is a kustomize generator whose author vendors its dependencies (vendor/
// and vendor/modules.txt, at older versions than the host links). The tests and the
// benchmark make vendor/ in a copy with `go mod vendor`; it is not committed.
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
		"metadata":   map[string]string{"name": "matrix-vendored"},
		"data":       map[string]string{"nonce": p.Nonce},
	})
	if err != nil {
		return nil, err
	}
	return p.h.ResmapFactory().NewResMapFromBytes(out)
}
