// Command workload is the demo's Cloud Run service: it runs as a Google
// service account, gets an ID token from the metadata server, exchanges it
// for a short-lived Anthropic access token with the official Go SDK's
// workload identity federation support, and asks Claude one question.
//
// It is configured the way the Terraform demo configures a real service,
// from `terraform output -json sdk_environment`:
//
//	ANTHROPIC_FEDERATION_RULE_ID   fdrl_…   (required)
//	ANTHROPIC_ORGANIZATION_ID      UUID     (required)
//	ANTHROPIC_SERVICE_ACCOUNT_ID   svac_…   (checked by the exchange when set)
//	ANTHROPIC_WORKSPACE_ID         wrkspc_… (needed when the rule spans workspaces)
//	ANTHROPIC_BASE_URL             default https://api.anthropic.com
//	GCE_METADATA_HOST              metadata server, default metadata.google.internal
//	ANTHROPIC_IDENTITY_TOKEN_FILE  optional: read the ID token from this file
//	                               instead of the metadata server
//
// It prints Claude's reply and the minted token's scope and expiry, never a
// token, and exits non-zero with a message on any failure.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/anthropics/anthropic-sdk-go"
	sdkconfig "github.com/anthropics/anthropic-sdk-go/config"
	"github.com/anthropics/anthropic-sdk-go/option"

	"github.com/wiflabs/terraform-provider-anthropic/internal/identity"
)

const (
	// audience is what Anthropic expects in the ID token's aud claim, and
	// what the demo's rule pins.
	audience       = "https://api.anthropic.com"
	defaultBaseURL = "https://api.anthropic.com"
	model          = "claude-sonnet-4-5"
	prompt         = "In one sentence, say hello to a workload that just authenticated without an API key."
	maxTokens      = 200
	// runTimeout bounds the whole run: a Cloud Run request would not wait longer.
	runTimeout = 2 * time.Minute
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Getenv, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "workload:", err)
		os.Exit(1)
	}
}

// settings is the workload's configuration, read from its environment.
type settings struct {
	ruleID, organizationID, serviceAccountID, workspaceID string
	baseURL, metadataHost, identityTokenFile              string
}

func loadSettings(getenv func(string) string) (settings, error) {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	s := settings{
		ruleID:            get("ANTHROPIC_FEDERATION_RULE_ID"),
		organizationID:    get("ANTHROPIC_ORGANIZATION_ID"),
		serviceAccountID:  get("ANTHROPIC_SERVICE_ACCOUNT_ID"),
		workspaceID:       get("ANTHROPIC_WORKSPACE_ID"),
		baseURL:           get("ANTHROPIC_BASE_URL"),
		metadataHost:      get(identity.MetadataHostEnv),
		identityTokenFile: get("ANTHROPIC_IDENTITY_TOKEN_FILE"),
	}
	var missing []string
	if s.ruleID == "" {
		missing = append(missing, "ANTHROPIC_FEDERATION_RULE_ID")
	}
	if s.organizationID == "" {
		missing = append(missing, "ANTHROPIC_ORGANIZATION_ID")
	}
	if len(missing) > 0 {
		return s, fmt.Errorf("missing environment variable(s) %s; set them from `terraform output -json sdk_environment`", strings.Join(missing, ", "))
	}
	// The SDK would only fail at the first request; say which variable is wrong now.
	if !strings.HasPrefix(s.ruleID, "fdrl_") {
		return s, fmt.Errorf("ANTHROPIC_FEDERATION_RULE_ID must be a federation rule id (fdrl_…), got %q", s.ruleID)
	}
	if s.serviceAccountID != "" && !strings.HasPrefix(s.serviceAccountID, "svac_") {
		return s, fmt.Errorf("ANTHROPIC_SERVICE_ACCOUNT_ID must be a service account id (svac_…), got %q", s.serviceAccountID)
	}
	if s.baseURL == "" {
		s.baseURL = defaultBaseURL
	}
	return s, nil
}

// identitySource is where the ID token comes from: the metadata server, as
// on Cloud Run, unless a token file is configured.
func (s settings) identitySource() identity.Source {
	if s.identityTokenFile != "" {
		return identity.File(s.identityTokenFile)
	}
	return identity.Metadata(identity.MetadataOptions{
		Audience:   audience,
		FormatFull: true, // the rule pins the email, which only format=full carries
		Host:       s.metadataHost,
	})
}

// exchangeObserver sits under the SDK and notes what the token exchange
// granted (scope, expiry), which the SDK does not surface. It never keeps
// the access token.
type exchangeObserver struct {
	next http.RoundTripper

	mu        sync.Mutex
	scope     string
	expiresAt time.Time
	exchanges int
}

func (o *exchangeObserver) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := o.next.RoundTrip(r)
	if err != nil || r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, sdkconfig.TokenEndpoint) || res.StatusCode != http.StatusOK {
		return res, err
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	_ = res.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("reading the token exchange response: %w", err)
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	var granted struct {
		Scope     string `json:"scope"`
		ExpiresIn int64  `json:"expires_in"`
	}
	if json.Unmarshal(body, &granted) == nil {
		o.mu.Lock()
		o.scope = granted.Scope
		o.expiresAt = time.Now().Add(time.Duration(granted.ExpiresIn) * time.Second)
		o.exchanges++
		o.mu.Unlock()
	}
	return res, nil
}

func (o *exchangeObserver) granted() (scope string, expiresAt time.Time, ok bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.scope, o.expiresAt, o.exchanges > 0
}

// presentedIdentity remembers who the last ID token said we are, for the
// report; the token itself is dropped.
type presentedIdentity struct {
	mu     sync.Mutex
	claims *identity.Claims
}

func (p *presentedIdentity) wrap(src identity.Source) option.IdentityTokenFunc {
	return func(ctx context.Context) (string, error) {
		tok, err := src.Token(ctx)
		if err != nil {
			return "", fmt.Errorf("identity token from %s: %w", src.Describe(), err)
		}
		if c, err := identity.Inspect(tok); err == nil {
			p.mu.Lock()
			p.claims = c
			p.mu.Unlock()
		}
		return tok, nil
	}
}

func (p *presentedIdentity) describe() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.claims == nil {
		return "(not inspected)"
	}
	who := p.claims.Subject
	if p.claims.Email != "" {
		who = fmt.Sprintf("%s (sub %s)", p.claims.Email, p.claims.Subject)
	}
	return fmt.Sprintf("%s, issued by %s", who, p.claims.Issuer)
}

// run is the whole program with its environment and output injected.
func run(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	s, err := loadSettings(getenv)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()

	observer := &exchangeObserver{next: http.DefaultTransport}
	presented := &presentedIdentity{}
	client := anthropic.NewClient(
		// The environment may hold ANTHROPIC_API_KEY or ANTHROPIC_AUTH_TOKEN
		// (the demo exports an admin token for Terraform): the workload must
		// authenticate with its federated token only.
		option.WithoutEnvironmentDefaults(),
		option.WithBaseURL(s.baseURL),
		option.WithHTTPClient(&http.Client{Transport: observer}),
		// The SDK's retry loop re-runs the whole request, federation exchange
		// included: a denied exchange would be attempted three times, and a
		// re-sent assertion carrying a jti is a replay. One question, no retries.
		option.WithMaxRetries(0),
		option.WithFederationTokenProvider(presented.wrap(s.identitySource()), option.FederationOptions{
			FederationRuleID: s.ruleID,
			OrganizationID:   s.organizationID,
			ServiceAccountID: s.serviceAccountID,
			WorkspaceID:      s.workspaceID,
		}),
	)

	msg, err := client.Messages.New(ctx, anthropic.MessageNewParams{
		Model:     model,
		MaxTokens: maxTokens,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(prompt))},
	})
	if err != nil {
		return fmt.Errorf("asking Claude with a federated token (rule %s): %w", s.ruleID, err)
	}
	var reply strings.Builder
	for _, block := range msg.Content {
		if block.Type == "text" {
			reply.WriteString(block.Text)
		}
	}
	if reply.Len() == 0 {
		return errors.New("claude's reply has no text")
	}
	scope, expiresAt, ok := observer.granted()
	if !ok {
		return errors.New("the request succeeded without a token exchange; another credential must have been used")
	}

	_, err = fmt.Fprintf(stdout, "identity:     %s\naccess token: scope %q, expires %s (in %s)\nclaude:       %s\n",
		presented.describe(), scope, expiresAt.UTC().Format(time.RFC3339), time.Until(expiresAt).Round(time.Second), reply.String())
	return err
}
