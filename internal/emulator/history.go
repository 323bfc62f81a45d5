package emulator

import (
	"strconv"
	"time"

	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

// Outcomes of an exchange attempt in the authentication history.
const (
	AuthOutcomeSuccess        = "success"
	AuthOutcomeDenied         = "denied"
	AuthOutcomeInvalidRequest = "invalid_request"
)

// Reasons an exchange is denied (the one opaque 401), as the authentication
// history records them. ReasonMatchClaims is followed by ":" and the first
// claim that did not match ("match_claims:email"); an invalid request's
// reason is "invalid_request:" and the field ("invalid_request:assertion").
const (
	ReasonOrganizationMismatch   = "organization_mismatch"
	ReasonRuleNotFound           = "rule_not_found"
	ReasonRuleArchived           = "rule_archived"
	ReasonIssuerArchived         = "issuer_archived"
	ReasonServiceAccountMismatch = "service_account_mismatch"
	ReasonServiceAccountArchived = "service_account_archived"
	// ReasonTargetNotAdmin: an org:admin rule whose target service account
	// was demoted from organization_role admin.
	ReasonTargetNotAdmin      = "target_not_admin"
	ReasonAlgNotAllowed       = "alg_not_allowed"
	ReasonMissingKID          = "missing_kid"
	ReasonJWTMalformed        = "jwt_malformed"
	ReasonJWKSFetchFailed     = "jwks_fetch_failed"
	ReasonUnknownKID          = "unknown_kid"
	ReasonKeyAlgMismatch      = "key_alg_mismatch"
	ReasonBadSignature        = "bad_signature"
	ReasonIssuerMismatch      = "issuer_mismatch"
	ReasonMissingSub          = "missing_sub"
	ReasonMissingIAT          = "missing_iat"
	ReasonIATInFuture         = "iat_in_future"
	ReasonJWTNotYetValid      = "jwt_not_yet_valid"
	ReasonMissingExp          = "missing_exp"
	ReasonJWTExpired          = "jwt_expired"
	ReasonJWTLifetimeExceeded = "jwt_lifetime_exceeded"
	ReasonMatchAudience       = "match_audience"
	ReasonMatchSubjectPrefix  = "match_subject_prefix"
	ReasonMatchClaims         = "match_claims"
	ReasonMatchCondition      = "match_condition"
	ReasonWorkspaceIDRequired = "workspace_id_required"
	ReasonWorkspaceNotFound   = "workspace_not_found"
	ReasonWorkspaceNotEnabled = "workspace_not_enabled"
	ReasonNotWorkspaceMember  = "not_workspace_member"
	ReasonJTIInvalid          = "jti_invalid"
	ReasonJTIReused           = "jti_reused"
)

const (
	reasonInvalidRequestPrefix = "invalid_request:"
	maxAuthHistory             = 10000
	defaultAuthHistoryLimit    = 100
	maxAuthHistoryLimit        = 1000
	authHistoryCursorKind      = "fdah"
)

// AuthEvent is one exchange attempt as the authentication history shows it.
// It never holds the assertion or a minted token; Subject is recorded only
// once the token's signature has been verified.
type AuthEvent struct {
	Time      time.Time
	RequestID string
	// RuleID, IssuerID: the rule named by the request (when well-formed) and
	// its issuer (when the rule exists).
	RuleID   string
	IssuerID string
	// ServiceAccountID is the one the request named, else the rule's target.
	ServiceAccountID string
	// WorkspaceID is the workspace chosen on success, else the one requested.
	WorkspaceID string
	Subject     string
	// Outcome is AuthOutcomeSuccess, AuthOutcomeDenied or
	// AuthOutcomeInvalidRequest; Reason is "" on success.
	Outcome string
	Reason  string
}

type authRecord struct {
	seq int64
	ev  AuthEvent
}

// record appends to the history. Past maxAuthHistory events the oldest are
// dropped, in batches so the copy costs O(1) per event on average, and a long
// benchmark or demo does not grow without bound.
func (e *Emulator) record(ev AuthEvent) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.historySeq++
	e.history = append(e.history, authRecord{seq: e.historySeq, ev: ev})
	if len(e.history) > maxAuthHistory+maxAuthHistory/4 {
		e.history = append(e.history[:0:0], e.history[len(e.history)-maxAuthHistory:]...)
	}
}

// AuthHistory returns the recorded exchange attempts, newest first: at least
// the last 10000, older ones are forgotten.
func (e *Emulator) AuthHistory() []AuthEvent {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]AuthEvent, len(e.history))
	for i, r := range e.history {
		out[len(out)-1-i] = r.ev
	}
	return out
}

type authEventJSON struct {
	Type             string  `json:"type"`
	CreatedAt        string  `json:"created_at"`
	RequestID        string  `json:"request_id"`
	FederationRuleID *string `json:"federation_rule_id"`
	IssuerID         *string `json:"issuer_id"`
	ServiceAccountID *string `json:"service_account_id"`
	WorkspaceID      *string `json:"workspace_id"`
	Subject          *string `json:"subject"`
	Outcome          string  `json:"outcome"`
	Reason           *string `json:"reason"`
}

func renderAuthEvent(ev AuthEvent) authEventJSON {
	return authEventJSON{
		Type:             "federation_authentication_event",
		CreatedAt:        fmtTime(ev.Time),
		RequestID:        ev.RequestID,
		FederationRuleID: strPtr(ev.RuleID),
		IssuerID:         strPtr(ev.IssuerID),
		ServiceAccountID: strPtr(ev.ServiceAccountID),
		WorkspaceID:      strPtr(ev.WorkspaceID),
		Subject:          strPtr(ev.Subject),
		Outcome:          ev.Outcome,
		Reason:           strPtr(ev.Reason),
	}
}

// listAuthHistory serves the emulator-only history endpoint: newest first,
// paged with limit (default 100, at most 1000) and page, optionally
// filtered by federation_rule_id.
func (e *Emulator) listAuthHistory(c *call) (any, error) {
	q := c.r.URL.Query()
	limit := defaultAuthHistoryLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxAuthHistoryLimit {
			return nil, badRequest("limit: must be an integer between 1 and %d (got %q)", maxAuthHistoryLimit, s)
		}
		limit = n
	}
	var before int64 = -1
	if s := q.Get("page"); s != "" {
		seq, ok := decodeCursor(s, authHistoryCursorKind)
		if !ok {
			return nil, badRequest("page: invalid page cursor; use next_page from the previous response")
		}
		before = seq
	}
	ruleID := q.Get("federation_rule_id")
	if ruleID != "" {
		if err := policy.ValidateID(policy.PrefixRule, ruleID); err != nil {
			return nil, fieldErr("federation_rule_id", err)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	data := []authEventJSON{}
	var page listPage
	var last int64
	for i := len(e.history) - 1; i >= 0; i-- {
		r := e.history[i]
		if (before >= 0 && r.seq >= before) || (ruleID != "" && r.ev.RuleID != ruleID) {
			continue
		}
		if len(data) == limit {
			next := encodeCursor(authHistoryCursorKind, last)
			page.NextPage = &next
			break
		}
		data = append(data, renderAuthEvent(r.ev))
		last = r.seq
	}
	page.Data = data
	return page, nil
}
