// Command MatrixTransformer is the transformer of the compatibility matrix built as an
// exec plugin (kustomize's legacy exec plugin protocol): kustomize runs it with the path
// of a file holding the plugin's config as its first argument, writes the resources to
// its stdin and reads them back, transformed, from its stdout. Like the Go plugin
// `transformer`, it annotates every resource with the nonce from its config. It reads
// and writes YAML with sigs.k8s.io/kustomize/kyaml, so the release it is built for pins
// a real dependency.
package main

import (
	"fmt"
	"os"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: MatrixTransformer CONFIG-FILE < resources")
		os.Exit(2)
	}
	cfg, err := yaml.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintf(os.Stderr, "reading the plugin config: %v\n", err)
		os.Exit(1)
	}
	nonce := ""
	if n, err := cfg.Pipe(yaml.Lookup("nonce")); err == nil && n != nil {
		nonce = n.YNode().Value
	}
	annotate := kio.FilterFunc(func(nodes []*yaml.RNode) ([]*yaml.RNode, error) {
		for _, n := range nodes {
			if err := n.PipeE(yaml.SetAnnotation("matrix.example.com/transformed", nonce)); err != nil {
				return nil, err
			}
		}
		return nodes, nil
	})
	err = kio.Pipeline{
		Inputs:  []kio.Reader{&kio.ByteReader{Reader: os.Stdin, OmitReaderAnnotations: true}},
		Filters: []kio.Filter{annotate},
		Outputs: []kio.Writer{kio.ByteWriter{Writer: os.Stdout}},
	}.Execute()
	if err != nil {
		fmt.Fprintf(os.Stderr, "transforming: %v\n", err)
		os.Exit(1)
	}
}
