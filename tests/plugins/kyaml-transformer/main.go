// Package main is a kustomize transformer written against sigs.k8s.io/kustomize/api and
// kyaml (an older release of both than the host links): it reads its config with kyaml
// and annotates every resource with the nonce.
package main

import (
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

type plugin struct{ nonce string }

// KustomizePlugin is the symbol kustomize looks up in the .so file.
var KustomizePlugin plugin //nolint:unused

func (p *plugin) Config(_ *resmap.PluginHelpers, config []byte) error {
	node, err := yaml.Parse(string(config))
	if err != nil {
		return err
	}
	v, err := node.Pipe(yaml.Get("nonce"))
	if err != nil {
		return err
	}
	if v != nil {
		p.nonce = yaml.GetValue(v)
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
