// Package main is a kustomize generator that imports github.com/google/uuid, a module
// kustomize does not link.
package main

import (
	"strings"

	"github.com/google/uuid"
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
	id := uuid.NewSHA1(uuid.NameSpaceURL, []byte(p.nonce)).String()
	return p.h.ResmapFactory().NewResMapFromBytes([]byte(
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: matrix-unlinked\n" +
			"data:\n  nonce: \"" + p.nonce + "\"\n  id: \"" + id + "\"\n"))
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
