// Command matrix-generator is the generator of the compatibility matrix built as an
// exec KRM function: kustomize (`build --enable-alpha-plugins --enable-exec`) runs the
// program named by the config's `config.kubernetes.io/function` annotation
// (`exec: path: ...`), writes a ResourceList to its stdin (the config is its
// functionConfig) and reads the ResourceList it writes to stdout. Like the Go plugin
// `generator`, it adds one ConfigMap carrying the nonce from its config. It uses
// sigs.k8s.io/kustomize/kyaml's function framework, so the release it is built for pins
// a real dependency.
package main

import (
	"fmt"
	"os"
	"strconv"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

func main() {
	generate := framework.ResourceListProcessorFunc(func(rl *framework.ResourceList) error {
		nonce := ""
		if rl.FunctionConfig != nil {
			if n, err := rl.FunctionConfig.Pipe(yaml.Lookup("nonce")); err == nil && n != nil {
				nonce = n.YNode().Value
			}
		}
		cm, err := yaml.Parse("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: matrix-generated\n" +
			"data:\n  nonce: " + strconv.Quote(nonce) + "\n")
		if err != nil {
			return err
		}
		rl.Items = append(rl.Items, cm)
		return nil
	})
	if err := framework.Execute(generate, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
