package client

import (
	"context"
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

// createObject creates an object in a collection: a write, retried only
// where the API provably did not process it.
func createObject[T any](ctx context.Context, c *Client, collection string, body any) (*T, error) {
	var out T
	if err := c.do(ctx, request{method: "POST", path: orgPrefix + "/" + collection, body: body, class: retryUnprocessed}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// callObject performs one request on an object of a collection (optionally
// on a sub-path such as "archive") and decodes the object it returns.
func callObject[T any](ctx context.Context, c *Client, collection, what, method, id string, body any, class retryClass, suffix ...string) (*T, error) {
	path, err := objectPath(collection, what, id, suffix...)
	if err != nil {
		return nil, err
	}
	var out T
	if err := c.do(ctx, request{method: method, path: path, body: body, class: class, wantID: id}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
