package identity

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// asymmetricAlgorithms are the signature algorithms the exchange accepts.
var asymmetricAlgorithms = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512,
	jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512,
}

// AsymmetricAlgorithms returns a copy of asymmetricAlgorithms.
func AsymmetricAlgorithms() []jose.SignatureAlgorithm { return slices.Clone(asymmetricAlgorithms) }

const acceptedAlgs = "the exchange only accepts RS/PS/ES 256/384/512"

// Claims is what Inspect reads from a token, WITHOUT verifying its signature.
type Claims struct {
	Algorithm, KeyID            string
	Issuer, Subject, Email, JTI string
	Audience                    []string
	// IssuedAt, Expiry and NotBefore are zero when the claim is absent.
	IssuedAt, Expiry, NotBefore time.Time
	// Raw holds every claim as decoded JSON (numbers are float64).
	Raw map[string]any
}

// Inspect parses token without verifying its signature, for pre-flight
// checks and diagnostics. Errors say what is wrong; they never echo the token.
func Inspect(token string) (*Claims, error) {
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, errors.New("not a JWT: empty")
	}
	parts := strings.Split(token, ".")
	switch len(parts) {
	case 3:
	case 5:
		return nil, errors.New("not a JWT: 5 parts is an encrypted JWE; a signed JWT (3 parts) is required")
	default:
		return nil, fmt.Errorf("not a JWT: %d dot-separated part(s), want 3", len(parts))
	}
	// Decode the header ourselves first: go-jose's error for a disallowed
	// algorithm does not tell the user why it is disallowed.
	hb, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[0], "="))
	if err != nil {
		return nil, errors.New("not a JWT: header is not base64url")
	}
	var hdr struct {
		Alg any `json:"alg"`
	}
	if err := json.Unmarshal(hb, &hdr); err != nil {
		return nil, errors.New("not a JWT: header is not a JSON object")
	}
	alg, _ := hdr.Alg.(string)
	switch {
	case hdr.Alg == nil || alg == "":
		return nil, errors.New("not a JWT: header has no alg")
	case strings.EqualFold(alg, "none"):
		return nil, fmt.Errorf("alg none: the token is unsigned; %s", acceptedAlgs)
	case strings.HasPrefix(alg, "HS"):
		return nil, fmt.Errorf("alg %s is symmetric; %s", alg, acceptedAlgs)
	case !slices.Contains(asymmetricAlgorithms, jose.SignatureAlgorithm(alg)):
		return nil, fmt.Errorf("alg %q is not accepted; %s", Snippet([]byte(alg), 40), acceptedAlgs)
	}

	tok, err := jwt.ParseSigned(token, asymmetricAlgorithms)
	if err != nil {
		return nil, fmt.Errorf("not a JWT: %v", err)
	}
	var std jwt.Claims
	var raw map[string]any
	// A payload of JSON null decodes without error into a nil map.
	if err := tok.UnsafeClaimsWithoutVerification(&raw); err != nil || raw == nil {
		return nil, errors.New("not a JWT: payload is not a JSON object")
	}
	if err := tok.UnsafeClaimsWithoutVerification(&std); err != nil {
		return nil, fmt.Errorf("malformed JWT claims: %v (iss/sub/jti must be strings, aud a string or array of strings, exp/iat/nbf numbers)", err)
	}
	c := &Claims{
		Algorithm: tok.Headers[0].Algorithm,
		KeyID:     tok.Headers[0].KeyID,
		Issuer:    std.Issuer,
		Subject:   std.Subject,
		JTI:       std.ID,
		Audience:  []string(std.Audience),
		IssuedAt:  std.IssuedAt.Time(),
		Expiry:    std.Expiry.Time(),
		NotBefore: std.NotBefore.Time(),
		Raw:       raw,
	}
	if email, ok := raw["email"].(string); ok {
		c.Email = email
	}
	return c, nil
}
