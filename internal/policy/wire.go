package policy

// The objects the checks of this package judge, in the shape the API
// exchanges them: internal/client sends and receives exactly these types
// (under its own names, as aliases), the emulator returns them, and the
// provider maps its Terraform models onto them. One shape per object, so the
// checks take what goes on the wire with no conversion.

import (
	"bytes"
	"encoding/json"
	"errors"
)

// Match is a rule's match block; every populated matcher must pass. Nil
// pointers are unset matchers: a request omits them, the service's
// responses carry them as null (ReturnedMatch).
type Match struct {
	SubjectPrefix *string           `json:"subject_prefix,omitempty"`
	Audience      *string           `json:"audience,omitempty"`
	Claims        map[string]string `json:"claims,omitempty"`
	Condition     *string           `json:"condition,omitempty"`
}

// ReturnedMatch encodes a Match as the service returns it: every matcher
// present, null when unset.
type ReturnedMatch Match

// MarshalJSON emits all four matchers.
func (m ReturnedMatch) MarshalJSON() ([]byte, error) {
	type withNulls struct {
		SubjectPrefix *string           `json:"subject_prefix"`
		Audience      *string           `json:"audience"`
		Claims        map[string]string `json:"claims"`
		Condition     *string           `json:"condition"`
	}
	return json.Marshal(withNulls(m))
}

// TargetServiceAccount is the only RuleTarget type.
const TargetServiceAccount = "service_account"

// RuleTarget is the principal a rule mints tokens for.
type RuleTarget struct {
	Type               string `json:"type"` // TargetServiceAccount
	ServiceAccountID   string `json:"service_account_id"`
	ServiceAccountName string `json:"service_account_name,omitempty"` // read-only
}

// JWKS type values.
const (
	JWKSTypeDiscovery   = "discovery"
	JWKSTypeExplicitURL = "explicit_url"
	JWKSTypeInline      = "inline"
)

// JWKSTypes lists the JWKS type values, in documentation order.
func JWKSTypes() []string {
	return []string{JWKSTypeDiscovery, JWKSTypeExplicitURL, JWKSTypeInline}
}

// JWKS says where an issuer's signing keys come from. It is a tagged union
// on Type: MarshalJSON emits only the members of that type.
type JWKS struct {
	Type          string            `json:"type"`                     // discovery | explicit_url | inline
	DiscoveryBase *string           `json:"discovery_base,omitempty"` // discovery
	URL           string            `json:"url,omitempty"`            // explicit_url
	CACertPEM     *string           `json:"ca_cert_pem,omitempty"`    // discovery, explicit_url
	Keys          []json.RawMessage `json:"keys,omitempty"`           // inline
}

// MarshalJSON emits the members of j.Type only. discovery_base and
// ca_cert_pem are sent as explicit nulls: the union is replaced whole on
// update, and null is how the API spells "no override".
func (j JWKS) MarshalJSON() ([]byte, error) {
	switch j.Type {
	case JWKSTypeDiscovery:
		return json.Marshal(struct {
			Type          string  `json:"type"`
			DiscoveryBase *string `json:"discovery_base"`
			CACertPEM     *string `json:"ca_cert_pem"`
		}{j.Type, j.DiscoveryBase, j.CACertPEM})
	case JWKSTypeExplicitURL:
		return json.Marshal(struct {
			Type      string  `json:"type"`
			URL       string  `json:"url"`
			CACertPEM *string `json:"ca_cert_pem"`
		}{j.Type, j.URL, j.CACertPEM})
	case JWKSTypeInline:
		keys := j.Keys
		if keys == nil {
			keys = []json.RawMessage{}
		}
		return json.Marshal(struct {
			Type string            `json:"type"`
			Keys []json.RawMessage `json:"keys"`
		}{j.Type, keys})
	case "":
		return nil, errors.New("jwks: type is required")
	default:
		// A type newer than this code: pass through what was set and let
		// the server judge.
		type plain JWKS
		return json.Marshal(plain(j))
	}
}

// UnmarshalJSON accepts any subset of members, ignores unknown ones, and
// tolerates keys wrapped as {"keys":[...]} (the RFC 7517 document shape).
func (j *JWKS) UnmarshalJSON(b []byte) error {
	var raw struct {
		Type          string          `json:"type"`
		DiscoveryBase *string         `json:"discovery_base"`
		URL           string          `json:"url"`
		CACertPEM     *string         `json:"ca_cert_pem"`
		Keys          json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := JWKS{Type: raw.Type, DiscoveryBase: raw.DiscoveryBase, URL: raw.URL, CACertPEM: raw.CACertPEM}
	keys := bytes.TrimSpace(raw.Keys)
	switch {
	case len(keys) == 0 || bytes.Equal(keys, []byte("null")):
	case keys[0] == '[':
		if err := json.Unmarshal(keys, &out.Keys); err != nil {
			return err
		}
	case keys[0] == '{':
		var doc struct {
			Keys []json.RawMessage `json:"keys"`
		}
		if err := json.Unmarshal(keys, &doc); err != nil {
			return err
		}
		out.Keys = doc.Keys
	}
	*j = out
	return nil
}
