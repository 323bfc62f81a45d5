package client

import (
	"errors"
	"fmt"
	"strings"
)

// InvalidResponseError is a success status whose body is not what the API
// promises: empty, not JSON, too large, or an object missing its id or a
// field the provider needs. Nothing from such an answer may reach state.
type InvalidResponseError struct {
	Method     string
	Path       string
	StatusCode int
	RequestID  string
	// Problem says what is wrong, e.g. `id: must look like svac_… (got "")`.
	Problem string
}

func (e *InvalidResponseError) Error() string {
	msg := fmt.Sprintf("anthropic API: %s %s answered HTTP %d with an unusable body: %s", e.Method, e.Path, e.StatusCode, e.Problem)
	if e.RequestID != "" {
		msg += " (request_id " + e.RequestID + ")"
	}
	return msg
}

// AmbiguousError wraps the failure of a write that the service may have
// carried out anyway: the connection dropped or timed out after the request
// was sent, the service answered a 5xx (other than 529), or it answered
// success with an unusable body. A create that fails this way may have
// created its object; look it up before creating it again.
type AmbiguousError struct {
	Err error
}

func (e *AmbiguousError) Error() string { return e.Err.Error() }
func (e *AmbiguousError) Unwrap() error { return e.Err }

// IsAmbiguous reports a write failure after which the service may have
// acted on the request.
func IsAmbiguous(err error) bool {
	var a *AmbiguousError
	return errors.As(err, &a)
}

// AsInvalidResponse unwraps err to an *InvalidResponseError.
func AsInvalidResponse(err error) (*InvalidResponseError, bool) {
	var e *InvalidResponseError
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// responseValidator is implemented by the objects the API returns: a
// decoded object must carry a well-formed id of its kind and the fields
// the provider cannot do without, so that a `{}` or `null` answer never
// becomes a resource with id "".
type responseValidator interface {
	validateResponse() error
}

// identified objects are compared with the id they were asked for.
type identified interface {
	objectID() string
}

// maxIDLength bounds an id taken from a response; real ids are 31-33
// characters.
const maxIDLength = 128

// checkID reports whether id is a well-formed id of its kind: the kind's
// prefix then base62 characters. The length after the prefix is not
// checked: the documented shape ("01" + 24 characters) is inferred, and the
// client stays tolerant where the API's public documentation is silent.
func checkID(field, prefix, id string) error {
	rest, ok := strings.CutPrefix(id, prefix)
	if ok && rest != "" && len(id) <= maxIDLength && isBase62(rest) {
		return nil
	}
	if id == "" {
		return fmt.Errorf("%s: missing; expected an id like %s01…", field, prefix)
	}
	return fmt.Errorf("%s: must look like %s01… (got %s)", field, prefix, quoteID(id))
}

func checkWorkspaceID(field, id string) error {
	if id == "default" {
		return nil
	}
	return checkID(field, "wrkspc_", id)
}

func checkPresent(field, v string) error {
	if v == "" {
		return fmt.Errorf("%s: missing", field)
	}
	return nil
}

func isBase62(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}

// quoteID quotes an id from a response for an error, cut short so that a
// hostile value cannot flood the diagnostic.
func quoteID(s string) string {
	return fmt.Sprintf("%q", truncate(strings.ToValidUTF8(s, ""), 64))
}

func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *ServiceAccount) objectID() string { return s.ID }
func (s *ServiceAccount) validateResponse() error {
	return firstError(
		checkID("id", "svac_", s.ID),
		checkPresent("name", s.Name),
		checkPresent("organization_role", s.OrganizationRole),
	)
}

func (i *FederationIssuer) objectID() string { return i.ID }
func (i *FederationIssuer) validateResponse() error {
	return firstError(
		checkID("id", "fdis_", i.ID),
		checkPresent("name", i.Name),
		checkPresent("issuer_url", i.IssuerURL),
		checkPresent("jwks.type", i.JWKS.Type),
	)
}

func (r *FederationRule) objectID() string { return r.ID }
func (r *FederationRule) validateResponse() error {
	return firstError(
		checkID("id", "fdrl_", r.ID),
		checkPresent("name", r.Name),
		checkID("issuer_id", "fdis_", r.IssuerID),
		checkID("target.service_account_id", "svac_", r.Target.ServiceAccountID),
		checkPresent("oauth_scope", r.OAuthScope),
	)
}

func (m *ServiceAccountWorkspaceMember) validateResponse() error {
	return firstError(
		checkID("service_account_id", "svac_", m.ServiceAccountID),
		checkWorkspaceID("workspace_id", m.WorkspaceID),
		checkPresent("workspace_role", m.WorkspaceRole),
	)
}

func (w *FederationRuleWorkspace) validateResponse() error {
	return firstError(
		checkID("federation_rule_id", "fdrl_", w.FederationRuleID),
		checkWorkspaceID("workspace_id", w.WorkspaceID),
	)
}

// validateResponse checks every item of a list page, naming the bad one.
func (p *listPage[T]) validateResponse() error {
	for i := range p.Data {
		if v, ok := any(&p.Data[i]).(responseValidator); ok {
			if err := v.validateResponse(); err != nil {
				return fmt.Errorf("data[%d].%w", i, err)
			}
		}
	}
	return nil
}
