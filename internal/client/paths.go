package client

import (
	"fmt"
	"net/url"
	"strings"
)

const orgPrefix = "/v1/organizations"

// escapeID validates an id before it becomes a path segment, so a bad
// Terraform value fails with a clear message instead of hitting another
// endpoint ("a/b", "..") or the collection itself ("").
func escapeID(kind, id string) (string, error) {
	switch {
	case id == "":
		return "", fmt.Errorf("anthropic: %s id must not be empty", kind)
	case id == "." || id == "..":
		return "", fmt.Errorf("anthropic: invalid %s id %q", kind, id)
	case strings.TrimSpace(id) != id:
		return "", fmt.Errorf("anthropic: %s id %q has leading or trailing whitespace", kind, id)
	}
	return url.PathEscape(id), nil
}

// objectPath builds collection/escaped(id)/suffix...; suffix elements are
// constants, never user input.
func objectPath(collection, kind, id string, suffix ...string) (string, error) {
	seg, err := escapeID(kind, id)
	if err != nil {
		return "", err
	}
	p := orgPrefix + "/" + collection + "/" + seg
	for _, s := range suffix {
		p += "/" + s
	}
	return p, nil
}

func errEmpty(what string) error {
	return fmt.Errorf("anthropic: %s must not be empty", what)
}
