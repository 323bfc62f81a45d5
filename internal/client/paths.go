package client

import (
	"context"
	"fmt"
	"iter"
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

// doDecode sends r and decodes the object the API answers.
func doDecode[T any](ctx context.Context, c *Client, r request) (*T, error) {
	var out T
	if err := c.do(ctx, r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// collection is one of the organization's object collections (service
// accounts, federation issuers and rules, workspaces): name is its path
// segment, kind names its objects in errors. They share one set of
// endpoints, so each client method is one line.
type collection[T any] struct{ name, kind string }

// create creates an object: a write, retried only where the API provably
// did not process it.
func (k collection[T]) create(ctx context.Context, c *Client, body any) (*T, error) {
	return doDecode[T](ctx, c, request{method: "POST", path: orgPrefix + "/" + k.name, body: body, class: retryUnprocessed})
}

// get reads an object, archived or not.
func (k collection[T]) get(ctx context.Context, c *Client, id string) (*T, error) {
	return k.call(ctx, c, "GET", id, nil, retryIdempotent)
}

// update applies a partial update.
func (k collection[T]) update(ctx context.Context, c *Client, id string, body any) (*T, error) {
	return k.call(ctx, c, "POST", id, body, retryUnprocessed)
}

// archive soft-deletes an object; archiving twice answers the first
// archived_at, so it is retried like a read.
func (k collection[T]) archive(ctx context.Context, c *Client, id string) (*T, error) {
	return k.call(ctx, c, "POST", id, nil, retryIdempotent, "archive")
}

// call performs one request on an object (optionally on a sub-path such as
// "archive") and decodes the object it returns.
func (k collection[T]) call(ctx context.Context, c *Client, method, id string, body any, class retryClass, suffix ...string) (*T, error) {
	path, err := objectPath(k.name, k.kind, id, suffix...)
	if err != nil {
		return nil, err
	}
	return doDecode[T](ctx, c, request{method: method, path: path, body: body, class: class, wantID: id})
}

// list iterates over the collection with query q (qErr when building it
// failed), following pages.
func (k collection[T]) list(ctx context.Context, c *Client, q url.Values, qErr error) iter.Seq2[T, error] {
	return paginate[T](ctx, c, orgPrefix+"/"+k.name, q, qErr)
}

// workspacesPath is the path of an object's workspace joins (a service
// account's memberships, a rule's enablements), or of its join with one
// workspace when workspaceID is given.
func (k collection[T]) workspacesPath(id string, workspaceID ...string) (string, error) {
	suffix := []string{"workspaces"}
	for _, w := range workspaceID {
		ws, err := escapeID("workspace", w)
		if err != nil {
			return "", err
		}
		suffix = append(suffix, ws)
	}
	return objectPath(k.name, k.kind, id, suffix...)
}

// addWorkspace posts body to an object's workspace joins and decodes the
// join the API answers.
func addWorkspace[J, T any](ctx context.Context, c *Client, k collection[T], id, workspaceID string, body any, class retryClass) (*J, error) {
	path, err := k.workspacesPath(id)
	if err != nil {
		return nil, err
	}
	if workspaceID == "" {
		return nil, errEmpty("workspace id")
	}
	return doDecode[J](ctx, c, request{method: "POST", path: path, body: body, class: class})
}

// removeWorkspace deletes an object's join with a workspace. It is
// idempotent: a 404 means the join is already gone, which is the desired
// end state.
func (k collection[T]) removeWorkspace(ctx context.Context, c *Client, id, workspaceID string) error {
	path, err := k.workspacesPath(id, workspaceID)
	if err != nil {
		return err
	}
	err = c.do(ctx, request{method: "DELETE", path: path, class: retryIdempotent}, nil)
	if IsNotFound(err) {
		return nil
	}
	return err
}
