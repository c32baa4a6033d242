// Command MatrixGenerator is the generator of the compatibility matrix built as an exec
// plugin (kustomize's legacy exec plugin protocol): kustomize runs it with the path of a
// file holding the plugin's config as its first argument and reads the generated
// resources from its stdout. It emits the same ConfigMap, carrying the nonce from its
// config, as the Go plugin `generator`. It reads the config with
// sigs.k8s.io/kustomize/kyaml, so the release it is built for pins a real dependency.
package main

import (
	"fmt"
	"os"
	"strconv"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: MatrixGenerator CONFIG-FILE")
		os.Exit(2)
	}
	cfg, err := yaml.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintf(os.Stderr, "reading the plugin config: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: matrix-generated\n"+
		"data:\n  nonce: %s\n", strconv.Quote(nonceOf(cfg)))
}

func nonceOf(cfg *yaml.RNode) string {
	n, err := cfg.Pipe(yaml.Lookup("nonce"))
	if err != nil || n == nil {
		return ""
	}
	return n.YNode().Value
}
