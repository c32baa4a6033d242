// Package nonce is an internal package of a larger repository that also holds a plugin.
package nonce

import "strings"

// Of returns the value of the config's `nonce:` line.
func Of(config []byte) string {
	for _, line := range strings.Split(string(config), "\n") {
		if line = strings.TrimSpace(line); strings.HasPrefix(line, "nonce:") {
			return strings.Trim(strings.TrimSpace(strings.TrimPrefix(line, "nonce:")), `"'`)
		}
	}
	return ""
}
