// Package main is a kustomize generator that reads its config through
// golang.org/x/net/html/charset, from a module kustomize does not link whose newer
// releases require a newer golang.org/x/text than kustomize v5.8.2 links.
package main

import (
	"io"
	"strings"

	"golang.org/x/net/html/charset"
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
	r, err := charset.NewReaderLabel("utf-8", strings.NewReader(string(config)))
	if err != nil {
		return err
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	p.nonce = nonceOf(b)
	return nil
}

func (p *plugin) Generate() (resmap.ResMap, error) {
	return p.h.ResmapFactory().NewResMapFromBytes([]byte(
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: matrix-overlap\n" +
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
