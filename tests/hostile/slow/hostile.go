// Built beside matrix/plugins/generator/main.go: takes a second to open.
package main

import "time"

func init() { time.Sleep(time.Second) }
