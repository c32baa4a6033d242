// Command MatrixCrash is the crash-in-generate plugin built as an exec plugin: it
// dereferences a nil pointer, a Go runtime panic in its own process, which kustomize
// runs and reports (scenario crash-in-generate).
package main

type settings struct{ name string }

var current *settings // never set

func main() {
	println(current.name) // nil pointer dereference
}
