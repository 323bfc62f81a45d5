package emulator

import (
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator/googleemu"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

// Google's production discovery document and the jwks_uri it names. Both are
// answered from the local Google, so a rule on https://accounts.google.com
// verifies offline with production values.
const (
	googleDiscoveryURL = googleemu.Issuer + "/.well-known/openid-configuration"
	googleJWKSURL      = "https://www.googleapis.com/oauth2/v3/certs"
)

const (
	// maxFetchBytes bounds a discovery document or JWKS; real ones are a few KiB.
	maxFetchBytes = 1 << 20
	fetchTimeout  = 10 * time.Second
)

// keySource is what an exchange needs to know about an issuer's keys,
// copied out of the issuer so keys can be fetched without holding e.mu.
type keySource struct {
	issuerID        string
	issuerURL       string
	jwks            jwksSource
	pollingDisabled bool
}

func (k keySource) remote() bool { return k.jwks.typ != jwksInline }

// fingerprint identifies where keys come from, so cached keys are dropped
// when the issuer's key source changes.
func (k keySource) fingerprint() string {
	return strings.Join([]string{k.jwks.typ, k.issuerURL, k.jwks.discoveryBase, k.jwks.url, k.jwks.caCertPEM}, "\x00")
}

type keyCacheEntry struct {
	source    string
	keys      []jose.JSONWebKey
	fetchedAt time.Time
}

// issuerKeys returns the issuer's verification keys and whether they were
// fetched by this call. Remote keys are cached for the TTL; refresh forces a
// fetch (an unknown kid), except while polling is disabled, which freezes
// the last keys fetched. When a refresh fails, the previous keys are kept.
func (e *Emulator) issuerKeys(ctx context.Context, src keySource, refresh bool) ([]jose.JSONWebKey, bool, error) {
	if !src.remote() {
		keys, err := inlineKeys(src.jwks.keys)
		return keys, false, err
	}
	fp := src.fingerprint()
	e.keysMu.Lock()
	cached := e.keyCache[src.issuerID]
	if cached != nil && cached.source != fp {
		cached = nil
	}
	if cached != nil && (src.pollingDisabled || (!refresh && e.now().Sub(cached.fetchedAt) < e.jwksTTL)) {
		e.keysMu.Unlock()
		return cached.keys, false, nil
	}
	e.keysMu.Unlock()

	keys, err := e.fetchKeys(ctx, src)
	if err != nil {
		if cached != nil {
			return cached.keys, false, nil
		}
		return nil, false, err
	}
	e.keysMu.Lock()
	e.keyCache[src.issuerID] = &keyCacheEntry{source: fp, keys: keys, fetchedAt: e.now()}
	e.keysMu.Unlock()
	return keys, true, nil
}

func inlineKeys(raws []json.RawMessage) ([]jose.JSONWebKey, error) {
	keys := make([]jose.JSONWebKey, 0, len(raws))
	for _, raw := range raws {
		// Validated when the issuer was written; a key that no longer parses
		// is skipped like any unusable key.
		if k, err := policy.ParsePublicJWK(raw); err == nil {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("inline jwks has no usable key")
	}
	return keys, nil
}

// fetchKeys follows discovery (or the explicit URL) to the JWKS.
func (e *Emulator) fetchKeys(ctx context.Context, src keySource) ([]jose.JSONWebKey, error) {
	jwksURL := src.jwks.url
	if src.jwks.typ == jwksDiscovery {
		base := src.jwks.discoveryBase
		if base == "" {
			base = src.issuerURL
		}
		body, err := e.fetch(ctx, strings.TrimSuffix(base, "/")+"/.well-known/openid-configuration", src.jwks.caCertPEM)
		if err != nil {
			return nil, err
		}
		var doc struct {
			JWKSURI string `json:"jwks_uri"`
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			return nil, fmt.Errorf("discovery document is not a JSON object: %w", err)
		}
		if doc.JWKSURI == "" {
			return nil, errors.New("discovery document has no jwks_uri")
		}
		jwksURL = doc.JWKSURI
	}
	body, err := e.fetch(ctx, jwksURL, src.jwks.caCertPEM)
	if err != nil {
		return nil, err
	}
	return parseKeySet(body)
}

// parseKeySet keeps the usable public signing keys of a JWK Set. A key the
// parser does not understand is skipped rather than failing the whole set,
// as issuers publish keys of types a verifier may not support.
func parseKeySet(body []byte) ([]jose.JSONWebKey, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("jwks is not a JWK Set: %w", err)
	}
	var keys []jose.JSONWebKey
	for _, raw := range set.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil || !k.Valid() {
			continue
		}
		// Only the public half is ever used, whatever a misconfigured
		// issuer publishes.
		switch key := k.Key.(type) {
		case *rsa.PrivateKey:
			k.Key = &key.PublicKey
		case *ecdsa.PrivateKey:
			k.Key = &key.PublicKey
		case *rsa.PublicKey, *ecdsa.PublicKey:
		default:
			continue
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("jwks has no usable RSA or EC key")
	}
	return keys, nil
}

// fetch GETs a discovery document or JWKS. Google's production URLs are
// answered locally; any other URL must pass the service's fetch rules.
func (e *Emulator) fetch(ctx context.Context, url, caCertPEM string) ([]byte, error) {
	switch url {
	case googleDiscoveryURL:
		return json.Marshal(map[string]string{"issuer": googleemu.Issuer, "jwks_uri": googleJWKSURL})
	case googleJWKSURL:
		return e.google.JWKS(), nil
	}
	if err := policy.ValidateFetchURLWithOptions(url, e.fetchOpts); err != nil {
		return nil, fmt.Errorf("refusing to fetch: %w", err)
	}
	client, done, err := e.clientFor(caCertPEM)
	if err != nil {
		return nil, err
	}
	defer done()
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = res.Body.Close() }()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: status %d", url, res.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, maxFetchBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxFetchBytes {
		return nil, fmt.Errorf("GET %s: response larger than %d bytes", url, maxFetchBytes)
	}
	return body, nil
}

// clientFor returns the fetch client, trusting only caCertPEM's certificates
// when the issuer sets one (the point of ca_cert_pem: a private CA).
func (e *Emulator) clientFor(caCertPEM string) (*http.Client, func(), error) {
	if caCertPEM == "" {
		return e.fetchClient, func() {}, nil
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(caCertPEM)) {
		return nil, nil, errors.New("ca_cert_pem holds no usable certificate")
	}
	base := e.fetchClient.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	bt, ok := base.(*http.Transport)
	if !ok {
		// An opaque RoundTripper cannot be given other roots; it decides.
		return e.fetchClient, func() {}, nil
	}
	t := bt.Clone()
	if t.TLSClientConfig == nil {
		t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	t.TLSClientConfig.RootCAs = pool
	c := *e.fetchClient
	c.Transport = t
	return &c, t.CloseIdleConnections, nil
}

// findKey picks the signing key named kid.
func findKey(keys []jose.JSONWebKey, kid string) (jose.JSONWebKey, bool) {
	for _, k := range keys {
		if k.KeyID == kid && (k.Use == "" || k.Use == "sig") {
			return k, true
		}
	}
	return jose.JSONWebKey{}, false
}
