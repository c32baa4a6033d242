// Package nonce reads the nonce from a plugin's config: a library of the plugin's author,
// used through a relative replace directive (replace example.com/nonce => ../nonce).
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
