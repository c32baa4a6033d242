// Command matrix-transformer is the transformer of the compatibility matrix built as an
// exec KRM function: kustomize (`build --enable-alpha-plugins --enable-exec`) runs the
// program named by the config's `config.kubernetes.io/function` annotation
// (`exec: path: ...`), writes a ResourceList to its stdin (the config is its
// functionConfig) and reads the ResourceList it writes to stdout. Like the Go plugin
// `transformer`, it annotates every resource with the nonce from its config. It uses
// sigs.k8s.io/kustomize/kyaml's function framework, so the release it is built for pins
// a real dependency.
package main

import (
	"fmt"
	"os"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

func main() {
	annotate := framework.ResourceListProcessorFunc(func(rl *framework.ResourceList) error {
		nonce := ""
		if rl.FunctionConfig != nil {
			if n, err := rl.FunctionConfig.Pipe(yaml.Lookup("nonce")); err == nil && n != nil {
				nonce = n.YNode().Value
			}
		}
		for _, n := range rl.Items {
			if err := n.PipeE(yaml.SetAnnotation("matrix.example.com/transformed", nonce)); err != nil {
				return err
			}
		}
		return nil
	})
	if err := framework.Execute(annotate, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
