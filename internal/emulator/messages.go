package emulator

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

// messagesScopes are the token scopes that may call the Messages API.
var messagesScopes = []string{"workspace:developer", "workspace:inference"}

// mintedToken is an access token minted by an exchange. Tokens live until
// they expire, whatever happens to the rule afterwards.
type mintedToken struct {
	ruleID           string
	serviceAccountID string
	workspaceID      string
	scope            string
	expiresAt        time.Time
}

// sweepTokens forgets expired tokens, amortized like sweepJTIs; callers hold e.mu.
func (e *Emulator) sweepTokens(now time.Time) {
	if len(e.tokens) < 2*e.tokenSweep+1024 {
		return
	}
	for k, t := range e.tokens {
		if !now.Before(t.expiresAt) {
			delete(e.tokens, k)
		}
	}
	e.tokenSweep = len(e.tokens)
}

// liveToken resolves a minted token that is unexpired and whose service
// account is live; callers hold e.mu. known is false for tokens the
// exchange never minted.
func (e *Emulator) liveToken(token string) (mt *mintedToken, sa *serviceAccount, known bool, err *apiError) {
	mt, known = e.tokens[token]
	if !known {
		return nil, nil, false, nil
	}
	if !e.now().Before(mt.expiresAt) {
		return nil, nil, true, newAPIError(http.StatusUnauthorized, "authorization: access token has expired; exchange a fresh identity token")
	}
	sa, ok := e.saByID[mt.serviceAccountID]
	if !ok || !sa.live() {
		return nil, nil, true, newAPIError(http.StatusUnauthorized, "authorization: the service account of this access token is archived")
	}
	return mt, sa, true, nil
}

// adminCallerForMinted lets a token minted through an org:admin rule use the
// admin endpoints as its service account, with an OAuth caller's
// restrictions; tokens of other scopes are refused. minted is false when the
// exchange never minted token.
func (e *Emulator) adminCallerForMinted(token string) (who caller, minted bool, err *apiError) {
	e.mu.Lock()
	defer e.mu.Unlock()
	mt, sa, known, err := e.liveToken(token)
	if !known || err != nil {
		return caller{}, known, err
	}
	if !policy.HasOAuthScope(mt.scope, policy.ScopeOrgAdmin) {
		return caller{}, true, forbidden("authorization: this access token has oauth_scope %s; the admin API needs an org:admin access token", mt.scope)
	}
	// The role is checked at use: downgrading the account ends its admin access.
	if sa.role != "admin" {
		return caller{}, true, forbidden("authorization: service account %s no longer has organization_role admin", sa.id)
	}
	return caller{actorID: sa.id}, true, nil
}

type messagesRequest struct {
	Model     opt[string]         `json:"model"`
	MaxTokens opt[int64]          `json:"max_tokens"`
	Messages  opt[[]messageParam] `json:"messages"`
	Stream    opt[bool]           `json:"stream"`
}

type messageParam struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

type contentBlock struct {
	Type      string `json:"type"`
	Text      string `json:"text"`
	Citations []any  `json:"citations"` // always null: nothing is cited
}

// messageUsage carries every member of the SDK's Usage: the emulator uses
// no cache, tools or thinking, so those counts are zero.
type messageUsage struct {
	InputTokens              int               `json:"input_tokens"`
	OutputTokens             int               `json:"output_tokens"`
	CacheCreationInputTokens int               `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int               `json:"cache_read_input_tokens"`
	CacheCreation            cacheCreation     `json:"cache_creation"`
	OutputTokensDetails      outputTokenDetail `json:"output_tokens_details"`
	ServerToolUse            *serverToolUsage  `json:"server_tool_use"` // null: no server tools ran
	ServiceTier              string            `json:"service_tier"`
	InferenceGeo             string            `json:"inference_geo"`
	Speed                    string            `json:"speed"`
}

type cacheCreation struct {
	Ephemeral1hInputTokens int `json:"ephemeral_1h_input_tokens"`
	Ephemeral5mInputTokens int `json:"ephemeral_5m_input_tokens"`
}

type outputTokenDetail struct {
	ThinkingTokens int `json:"thinking_tokens"`
}

type serverToolUsage struct {
	WebFetchRequests  int `json:"web_fetch_requests"`
	WebSearchRequests int `json:"web_search_requests"`
}

// messageResponse is the SDK's Message. container, diagnostics and
// stop_details are null: no container tool ran, the request asked for no
// diagnostics, and end_turn / max_tokens carry no stop detail.
type messageResponse struct {
	ID           string         `json:"id"`
	Type         string         `json:"type"`
	Role         string         `json:"role"`
	Model        string         `json:"model"`
	Content      []contentBlock `json:"content"`
	StopReason   string         `json:"stop_reason"`
	StopSequence *string        `json:"stop_sequence"`
	StopDetails  *struct{}      `json:"stop_details"`
	Container    *struct{}      `json:"container"`
	Diagnostics  *struct{}      `json:"diagnostics"`
	Usage        messageUsage   `json:"usage"`
}

// createMessage is a minimal Messages API: enough to prove that a minted
// token authenticates, and as whom. It answers with a fixed greeting.
func (e *Emulator) createMessage(c *call) (any, error) {
	token, ok := bearerToken(c.r)
	if !ok {
		if c.r.Header.Get("x-api-key") != "" {
			return nil, newAPIError(http.StatusUnauthorized,
				"x-api-key: the emulator accepts only access tokens minted by POST /v1/oauth/token (Authorization: Bearer sk-ant-oat01-…)")
		}
		return nil, newAPIError(http.StatusUnauthorized,
			"authorization: missing credentials; send an access token from POST /v1/oauth/token (Authorization: Bearer …)")
	}
	e.mu.Lock()
	mt, sa, known, err := e.liveToken(token)
	_, isAdmin := e.callers[token]
	var saID, saName, wsID, scope string
	if mt != nil {
		saID, saName, wsID, scope = sa.id, sa.name, mt.workspaceID, mt.scope
	}
	e.mu.Unlock()
	switch {
	case isAdmin:
		return nil, forbidden("authorization: an org:admin token does not permit the Messages API; use a token minted through a workspace:developer or workspace:inference rule")
	case !known:
		return nil, newAPIError(http.StatusUnauthorized, "authorization: invalid bearer token")
	case err != nil:
		return nil, err
	case !slices.ContainsFunc(messagesScopes, func(sc string) bool { return policy.HasOAuthScope(scope, sc) }):
		return nil, forbidden("authorization: this access token has oauth_scope %s, which does not permit the Messages API (needs %s)", scope, strings.Join(messagesScopes, " or "))
	}

	var req messagesRequest
	body := c.body
	if len(strings.TrimSpace(string(body))) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, jsonError(err)
	}
	model, maxTokens, inputChars, apiErr := validateMessages(req)
	if apiErr != nil {
		return nil, apiErr
	}

	words := strings.Fields(fmt.Sprintf("Hello from the Anthropic emulator: authenticated as service account %s (%s) in workspace %s.", saID, saName, wsID))
	stop := "end_turn"
	if int64(len(words)) > maxTokens {
		words, stop = words[:maxTokens], "max_tokens"
	}
	return messageResponse{
		ID:         policy.NewID("msg_", rand.Reader),
		Type:       "message",
		Role:       "assistant",
		Model:      model,
		Content:    []contentBlock{{Type: "text", Text: strings.Join(words, " ")}},
		StopReason: stop,
		Usage: messageUsage{
			InputTokens:  max(1, (inputChars+3)/4),
			OutputTokens: len(words),
			ServiceTier:  "standard",
			InferenceGeo: "global",
			Speed:        "standard",
		},
	}, nil
}

// validateMessages checks the minimal body: model, max_tokens and a
// non-empty messages list of user/assistant turns with content. It returns
// the characters of text sent, for a rough input token count.
func validateMessages(req messagesRequest) (model string, maxTokens int64, inputChars int, err *apiError) {
	if !req.Model.Set || req.Model.Null || req.Model.V == "" {
		return "", 0, 0, badRequest("model: required")
	}
	if !req.MaxTokens.Set || req.MaxTokens.Null {
		return "", 0, 0, badRequest("max_tokens: required")
	}
	if req.MaxTokens.V < 1 {
		return "", 0, 0, badRequest("max_tokens: must be at least 1 (got %d)", req.MaxTokens.V)
	}
	if req.Stream.V {
		return "", 0, 0, badRequest("stream: streaming is not supported by the emulator")
	}
	if !req.Messages.Set || req.Messages.Null || len(req.Messages.V) == 0 {
		return "", 0, 0, badRequest("messages: must contain at least one message")
	}
	for i, m := range req.Messages.V {
		if m.Role != "user" && m.Role != "assistant" {
			return "", 0, 0, badRequest("messages.%d.role: must be user or assistant", i)
		}
		n, ok := contentChars(m.Content)
		if !ok {
			return "", 0, 0, badRequest("messages.%d.content: must be a non-empty string or a non-empty array of content blocks", i)
		}
		inputChars += n
	}
	return req.Model.V, req.MaxTokens.V, inputChars, nil
}

func contentChars(raw json.RawMessage) (int, bool) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return len(s), s != ""
	}
	var blocks []map[string]any
	if err := json.Unmarshal(raw, &blocks); err != nil || len(blocks) == 0 {
		return 0, false
	}
	n := 0
	for _, b := range blocks {
		if _, ok := b["type"].(string); !ok {
			return 0, false
		}
		if t, ok := b["text"].(string); ok {
			n += len(t)
		}
	}
	return n, true
}
