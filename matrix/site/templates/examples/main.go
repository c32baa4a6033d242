// Package main is a kustomize Go plugin: a generator that makes one ConfigMap.
//
// kustomize loads it with Go's plugin package (plugin.Open) when a kustomization
// lists a generator config of apiVersion example.com/v1, kind GreetingGenerator, and
// kustomize runs with --enable-alpha-plugins. It looks for the plugin at
//
//	<plugin home>/example.com/v1/greetinggenerator/GreetingGenerator.so
//
// where the plugin home is the first that exists of $KUSTOMIZE_PLUGIN_HOME,
// $XDG_CONFIG_HOME/kustomize/plugin, $HOME/.config/kustomize/plugin and
// $HOME/kustomize/plugin.
//
// The code is the easy part. The .so loads only into a kustomize built by the same Go
// release, with cgo, with the same build flags, from the same versions of every module
// the two share: see go.mod and README.md.
package main

import (
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/yaml"
)

// plugin holds the generator's config: the fields of the config file it is given.
type plugin struct {
	h *resmap.PluginHelpers

	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Message string `json:"message"`
}

// KustomizePlugin is the symbol kustomize looks up in the .so file. Its pointer must
// have Config and, for a generator, Generate (a transformer has Transform instead).
var KustomizePlugin plugin //nolint:unused

// Config is called first, with the config file's bytes (the YAML document that names
// this plugin's apiVersion and kind).
func (p *plugin) Config(h *resmap.PluginHelpers, config []byte) error {
	p.h = h
	return yaml.Unmarshal(config, p)
}

// Generate returns the resources the generator adds to the kustomization's output.
func (p *plugin) Generate() (resmap.ResMap, error) {
	cm := map[string]interface{}{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata":   map[string]interface{}{"name": p.Metadata.Name},
		"data":       map[string]string{"message": p.Message},
	}
	b, err := yaml.Marshal(cm)
	if err != nil {
		return nil, err
	}
	return p.h.ResmapFactory().NewResMapFromBytes(b)
}
