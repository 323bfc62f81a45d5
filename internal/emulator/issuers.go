package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

// jwksPollInterval is how often the emulated service "re-fetches" a remote
// JWKS; only poll_status shows it.
const jwksPollInterval = time.Hour

// jwksPollFailuresBeforePause is how many polls in a row DisableJWKSPolling
// reports as failed. The real threshold is not documented; any count above
// one reads as "repeated".
const jwksPollFailuresBeforePause = 5

type issuer struct {
	meta
	name           string
	issuerURL      string
	jwks           jwksSource
	checkJTI       bool
	maxJWTLifetime int64
	// pollingDisabledAt is when the service paused polling after repeated
	// fetch failures (DisableJWKSPolling); only the service sets it.
	pollingDisabledAt *time.Time
	// pollFailures is poll_status.consecutive_failures: the polls that
	// failed, the last one at pollingDisabledAt.
	pollFailures int
	// jwksSetAt anchors the fake poll schedule: the service fetches keys
	// when the key source is set or polling resumes, and then every
	// jwksPollInterval.
	jwksSetAt time.Time
}

// jwksSource is the stored jwks union; "" stands for null.
type jwksSource struct {
	typ           string
	discoveryBase string
	caCertPEM     string
	url           string
	keys          []json.RawMessage
}

const (
	jwksDiscovery   = "discovery"
	jwksExplicitURL = "explicit_url"
	jwksInline      = "inline"
)

// fetchesIssuerURL reports whether the service fetches
// <issuer_url>/.well-known/openid-configuration, which subjects issuer_url to
// the rules for URLs Anthropic itself fetches.
func (j jwksSource) fetchesIssuerURL() bool { return j.typ == jwksDiscovery && j.discoveryBase == "" }

// wire is the stored union as the service returns it.
func (j jwksSource) wire() policy.JWKS {
	return policy.JWKS{Type: j.typ, DiscoveryBase: strPtr(j.discoveryBase), URL: j.url, CACertPEM: strPtr(j.caCertPEM), Keys: slices.Clone(j.keys)}
}

type pollStatusJSON struct {
	ConsecutiveFailures int     `json:"consecutive_failures"`
	LastFetchedAt       *string `json:"last_fetched_at"`
	NextPollAt          *string `json:"next_poll_at"`
}

type issuerJSON struct {
	Type                  string          `json:"type"`
	ID                    string          `json:"id"`
	Name                  string          `json:"name"`
	IssuerURL             string          `json:"issuer_url"`
	JWKS                  policy.JWKS     `json:"jwks"`
	CheckJTI              bool            `json:"check_jti"`
	MaxJWTLifetimeSeconds int64           `json:"max_jwt_lifetime_seconds"`
	JWKSPollingDisabledAt *string         `json:"jwks_polling_disabled_at"`
	PollStatus            *pollStatusJSON `json:"poll_status"`
	metaJSON
}

func (e *Emulator) renderIssuer(is *issuer) any {
	return issuerJSON{
		Type:                  "federation_issuer",
		ID:                    is.id,
		Name:                  is.name,
		IssuerURL:             is.issuerURL,
		JWKS:                  is.jwks.wire(),
		CheckJTI:              is.checkJTI,
		MaxJWTLifetimeSeconds: is.maxJWTLifetime,
		JWKSPollingDisabledAt: fmtTimePtr(is.pollingDisabledAt),
		PollStatus:            e.pollStatus(is),
		metaJSON:              is.metaJSON(),
	}
}

// pollStatus fakes the poller: polls happen at jwksSetAt and every interval
// after it. While polling runs they all succeed; once the service paused it,
// the last pollFailures polls up to the pause failed and nothing is
// scheduled. last_fetched_at is the last successful poll, null if none.
// Inline keys are never polled: their poll_status is null.
func (e *Emulator) pollStatus(is *issuer) *pollStatusJSON {
	if is.jwks.typ == jwksInline {
		return nil
	}
	end := e.clock()
	if is.pollingDisabledAt != nil {
		end = *is.pollingDisabledAt
	}
	polls := int64(0) // index of the last poll at or before end
	if elapsed := end.Sub(is.jwksSetAt); elapsed > 0 {
		polls = int64(elapsed / jwksPollInterval)
	}
	if is.pollingDisabledAt != nil {
		ps := &pollStatusJSON{ConsecutiveFailures: is.pollFailures}
		if ok := polls - int64(is.pollFailures); ok >= 0 {
			last := is.jwksSetAt.Add(time.Duration(ok) * jwksPollInterval)
			ps.LastFetchedAt = fmtTimePtr(&last)
		}
		return ps
	}
	last := is.jwksSetAt.Add(time.Duration(polls) * jwksPollInterval)
	next := last.Add(jwksPollInterval)
	return &pollStatusJSON{LastFetchedAt: fmtTimePtr(&last), NextPollAt: fmtTimePtr(&next)}
}

// DisableJWKSPolling simulates the service pausing JWKS polling for an
// issuer after repeated fetch failures, which only the service can do:
// jwks_polling_disabled_at becomes now, poll_status shows the failed polls
// and no next poll, and exchanges keep using the keys last fetched (no
// refresh, no refetch on an unknown kid) until a client resumes polling by
// updating the issuer with jwks_polling_disabled: false. Pausing a paused
// issuer changes nothing. It fails for an unknown or archived issuer and
// for inline keys, which are never polled. updated_at does not move: the
// poller is not an actor.
func (e *Emulator) DisableJWKSPolling(issuerID string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	is, apiErr := e.findIssuer(issuerID)
	switch {
	case apiErr != nil:
		return apiErr
	case !is.live():
		return fmt.Errorf("federation issuer %s is archived; archived issuers are not polled", issuerID)
	case is.jwks.typ == jwksInline:
		return fmt.Errorf("federation issuer %s has inline keys, which are never polled", issuerID)
	case is.pollingDisabledAt != nil:
		return nil
	}
	now := e.clock()
	is.pollingDisabledAt = &now
	is.pollFailures = jwksPollFailuresBeforePause
	return nil
}

// jwksRequest is the jwks union as sent; which members are allowed depends on type.
type jwksRequest struct {
	Type          opt[string]            `json:"type"`
	DiscoveryBase opt[string]            `json:"discovery_base"`
	CACertPEM     opt[string]            `json:"ca_cert_pem"`
	URL           opt[string]            `json:"url"`
	Keys          opt[[]json.RawMessage] `json:"keys"`
}

func (j *jwksRequest) UnmarshalJSON(b []byte) error {
	type plain jwksRequest
	return strictUnmarshal(b, (*plain)(j), "jwks")
}

// issuerRequest is the create body. It has no jwks_polling_disabled: the
// SDK's create params lack it, so sending it is an unknown field.
type issuerRequest struct {
	Name                  opt[string]      `json:"name"`
	IssuerURL             opt[string]      `json:"issuer_url"`
	JWKS                  opt[jwksRequest] `json:"jwks"`
	CheckJTI              opt[bool]        `json:"check_jti"`
	MaxJWTLifetimeSeconds opt[int64]       `json:"max_jwt_lifetime_seconds"`
}

// issuerUpdateRequest is the update body: the create fields plus the
// write-only jwks_polling_disabled, which only resumes polling.
type issuerUpdateRequest struct {
	issuerRequest
	JWKSPollingDisabled opt[bool] `json:"jwks_polling_disabled"`
}

// parseJWKS validates the union: members required or forbidden by type, and
// the URLs Anthropic would fetch (under fo).
func parseJWKS(o opt[jwksRequest], fo policy.FetchURLOptions) (jwksSource, *apiError) {
	j, err := o.value("jwks")
	if err != nil {
		return jwksSource{}, err
	}
	typ, err := requiredString(j.Type, "jwks.type")
	if err != nil {
		return jwksSource{}, err
	}
	allowed := map[string][]string{
		jwksDiscovery:   {"discovery_base", "ca_cert_pem"},
		jwksExplicitURL: {"url", "ca_cert_pem"},
		jwksInline:      {"keys"},
	}[typ]
	if allowed == nil {
		return jwksSource{}, badRequest("jwks.type: must be one of discovery, explicit_url, inline (got %q)", typ)
	}
	present := map[string]bool{
		"discovery_base": j.DiscoveryBase.Set && !j.DiscoveryBase.Null,
		"ca_cert_pem":    j.CACertPEM.Set && !j.CACertPEM.Null,
		"url":            j.URL.Set && !j.URL.Null,
		"keys":           j.Keys.Set && !j.Keys.Null,
	}
	for _, f := range []string{"discovery_base", "ca_cert_pem", "url", "keys"} {
		if present[f] && !slices.Contains(allowed, f) {
			return jwksSource{}, badRequest("jwks.%s: not allowed when jwks.type is %s", f, typ)
		}
	}
	src := jwksSource{typ: typ}
	if present["discovery_base"] {
		if err := policy.ValidateFetchURLWithOptions(j.DiscoveryBase.V, fo); err != nil {
			return jwksSource{}, fieldErr("jwks.discovery_base", err)
		}
		src.discoveryBase = j.DiscoveryBase.V
	}
	if present["ca_cert_pem"] {
		if err := policy.ValidateCACertPEM(j.CACertPEM.V); err != nil {
			return jwksSource{}, fieldErr("jwks.ca_cert_pem", err)
		}
		src.caCertPEM = j.CACertPEM.V
	}
	switch typ {
	case jwksExplicitURL:
		if !present["url"] {
			return jwksSource{}, badRequest("jwks.url: required when jwks.type is explicit_url")
		}
		if err := policy.ValidateFetchURLWithOptions(j.URL.V, fo); err != nil {
			return jwksSource{}, fieldErr("jwks.url", err)
		}
		src.url = j.URL.V
	case jwksInline:
		if !present["keys"] {
			return jwksSource{}, badRequest("jwks.keys: required when jwks.type is inline")
		}
		// The policy names the key by index ("keys[1]: ..."); it only lacks the parent.
		if err := policy.ValidateJWKSKeys(j.Keys.V); err != nil {
			return jwksSource{}, badRequest("jwks.%s", err.Error())
		}
		for _, k := range j.Keys.V {
			var buf bytes.Buffer
			if err := json.Compact(&buf, k); err != nil {
				return jwksSource{}, badRequest("jwks.keys: invalid JSON")
			}
			src.keys = append(src.keys, json.RawMessage(buf.Bytes()))
		}
	}
	return src, nil
}

// validateIssuerURL applies the stricter fetch rules when the service will
// fetch discovery from issuer_url itself; otherwise issuer_url is only
// string-compared with the JWT's iss.
func validateIssuerURL(u string, src jwksSource, fo policy.FetchURLOptions) *apiError {
	if err := policy.ValidateIssuerURL(u); err != nil {
		return fieldErr("issuer_url", err)
	}
	if src.fetchesIssuerURL() {
		if err := policy.ValidateFetchURLWithOptions(u, fo); err != nil {
			return fieldErr("issuer_url", err)
		}
	}
	return nil
}

func validateJWTLifetime(o opt[int64]) (int64, *apiError) {
	return checked(o, "max_jwt_lifetime_seconds", policy.ValidateJWTLifetime)
}

func (e *Emulator) createIssuer(c *call) (any, error) {
	var req issuerRequest
	if err := decodeBody(c.body, &req); err != nil {
		return nil, err
	}
	name, err := validateName(req.Name)
	if err != nil {
		return nil, err
	}
	issuerURL, err := requiredString(req.IssuerURL, "issuer_url")
	if err != nil {
		return nil, err
	}
	src := jwksSource{typ: jwksDiscovery}
	if req.JWKS.Set {
		if src, err = parseJWKS(req.JWKS, e.fetchOpts); err != nil {
			return nil, err
		}
	}
	if err := validateIssuerURL(issuerURL, src, e.fetchOpts); err != nil {
		return nil, err
	}
	checkJTI := true
	if req.CheckJTI.Set {
		if checkJTI, err = req.CheckJTI.value("check_jti"); err != nil {
			return nil, err
		}
	}
	lifetime := int64(policy.DefaultJWTLifetime)
	if req.MaxJWTLifetimeSeconds.Set {
		if lifetime, err = validateJWTLifetime(req.MaxJWTLifetimeSeconds); err != nil {
			return nil, err
		}
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	if other := e.liveIssuerNamed(name); other != nil {
		return nil, conflict("name: a federation issuer named %q already exists (%s)", name, other.id)
	}
	is := &issuer{name: name, issuerURL: issuerURL, jwks: src, checkJTI: checkJTI, maxJWTLifetime: lifetime}
	e.initMeta(&is.meta, policy.PrefixIssuer, c.caller)
	is.jwksSetAt = is.createdAt
	e.issuers = append(e.issuers, is)
	e.issByID[is.id] = is
	return e.renderIssuer(is), nil
}

func (e *Emulator) liveIssuerNamed(name string) *issuer {
	return liveNamed(e.issuers, func(is *issuer) string { return is.name }, name)
}

func (e *Emulator) findIssuer(id string) (*issuer, *apiError) {
	return lookup(e.issByID, "federation issuer", id)
}

func (e *Emulator) getIssuer(c *call) (any, error) {
	return getObject(e, c, e.findIssuer, e.renderIssuer)
}

func (e *Emulator) listIssuers(c *call) (any, error) {
	lq, err := parseListQuery(c.r.URL.Query(), "fdis")
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return paginate(e.issuers, func(is *issuer) *meta { return &is.meta }, lq, "fdis", e.renderIssuer), nil
}

func (e *Emulator) updateIssuer(c *call) (any, error) {
	var req issuerUpdateRequest
	if err := decodeBody(c.body, &req); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	is, err := e.findIssuer(c.r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if !is.live() {
		return nil, badRequest("federation issuer %s is archived and cannot be updated", is.id)
	}
	// As the SDK documents: updating an issuer that backs a rule with a scope
	// outside workspace:developer/workspace:inference needs a Console session.
	if !c.caller.console {
		if ids := e.liveRuleIDs(func(r *rule) bool { return r.issuerID == is.id && privileged(r.scope) }); len(ids) > 0 {
			return nil, forbidden("federation issuer %s backs federation rules with a scope beyond %s (%s); only a Console session can update it",
				is.id, strings.Join(policy.OAuthCallerScopes(), " and "), strings.Join(ids, ", "))
		}
	}
	name := is.name
	if req.Name.Set {
		if name, err = validateName(req.Name); err != nil {
			return nil, err
		}
		if other := e.liveIssuerNamed(name); other != nil && other != is {
			return nil, conflict("name: a federation issuer named %q already exists (%s)", name, other.id)
		}
	}
	issuerURL := is.issuerURL
	if req.IssuerURL.Set {
		if issuerURL, err = req.IssuerURL.value("issuer_url"); err != nil {
			return nil, err
		}
	}
	src := is.jwks
	if req.JWKS.Set {
		if src, err = parseJWKS(req.JWKS, e.fetchOpts); err != nil {
			return nil, err
		}
	}
	if err := validateIssuerURL(issuerURL, src, e.fetchOpts); err != nil {
		return nil, err
	}
	checkJTI := is.checkJTI
	if req.CheckJTI.Set {
		if checkJTI, err = req.CheckJTI.value("check_jti"); err != nil {
			return nil, err
		}
	}
	lifetime, err := updated(is.maxJWTLifetime, req.MaxJWTLifetimeSeconds, validateJWTLifetime)
	if err != nil {
		return nil, err
	}
	resume := false
	if req.JWKSPollingDisabled.Set {
		disable, err := req.JWKSPollingDisabled.value("jwks_polling_disabled")
		if err != nil {
			return nil, err
		}
		if disable {
			return nil, badRequest("jwks_polling_disabled: only false is accepted (it resumes polling); " +
				"the service disables polling by itself after repeated JWKS fetch failures")
		}
		resume = true
	}
	// Rules are checked for tenant pinning against their issuer's URL; moving
	// the issuer to a shared issuer must not leave a live rule unpinned.
	if issuerURL != is.issuerURL {
		for _, r := range e.rules {
			if r.live() && r.issuerID == is.id {
				if msg := tenantPinErrors(issuerURL, r.match); msg != "" {
					return nil, badRequest("issuer_url: live federation rule %s would not pin tenant identity on this issuer: %s", r.id, msg)
				}
			}
		}
	}

	before := e.renderIssuer(is)
	sourceChanged := issuerURL != is.issuerURL || !sameJWKS(src, is.jwks)
	is.name, is.issuerURL, is.jwks, is.checkJTI, is.maxJWTLifetime = name, issuerURL, src, checkJTI, lifetime
	now := e.touch(&is.meta, before, c.caller)
	if sourceChanged {
		is.jwksSetAt = now
	}
	// Resuming a paused poller fetches right away (the poll schedule
	// restarts) and the fake poller's fetches succeed; resuming one that
	// runs changes nothing.
	if resume && is.pollingDisabledAt != nil {
		is.pollingDisabledAt, is.pollFailures, is.jwksSetAt = nil, 0, now
	}
	return e.renderIssuer(is), nil
}

func sameJWKS(a, b jwksSource) bool {
	if a.typ != b.typ || a.discoveryBase != b.discoveryBase || a.caCertPEM != b.caCertPEM || a.url != b.url || len(a.keys) != len(b.keys) {
		return false
	}
	for i := range a.keys {
		if !bytes.Equal(a.keys[i], b.keys[i]) {
			return false
		}
	}
	return true
}

func (e *Emulator) archiveIssuer(c *call) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	is, err := e.findIssuer(c.r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if is.live() {
		if ids := e.liveRuleIDs(func(r *rule) bool { return r.issuerID == is.id }); len(ids) > 0 {
			return nil, badRequest("federation issuer is referenced by live federation rules: %s", strings.Join(ids, ", "))
		}
	}
	e.archive(&is.meta, e.renderIssuer(is), c.caller)
	return e.renderIssuer(is), nil
}
