package provider

// The identity sources of a federation token exchange, shared by the
// anthropic_federation_token ephemeral resource and the provider's keyless
// authentication (the federation attribute): one schema description, one
// model, one builder, one set of pre-flight checks and one explanation of a
// denied exchange.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	eschema "github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	pschema "github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/google"
	"github.com/wiflabs/terraform-provider-anthropic/internal/identity"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
	"github.com/wiflabs/terraform-provider-anthropic/internal/redact"
)

// Names of the identity source attributes, in the order messages list them.
const (
	attrIdentityToken       = "identity_token"
	attrIdentityTokenFile   = "identity_token_file"
	attrGCEMetadata         = "gce_metadata"
	attrGoogleImpersonation = "google_impersonation"
	attrExecutable          = "executable"
)

var identitySourceNames = []string{attrIdentityToken, attrIdentityTokenFile, attrGCEMetadata, attrGoogleImpersonation, attrExecutable}

const (
	// minAssertionValidity is how long an identity token must still be
	// valid when sent: the service allows 30 s of clock skew, and a token
	// closer to its expiry may expire in flight.
	minAssertionValidity = 30 * time.Second
	// exchangeHistoryHint says where the real reason for a denial is.
	exchangeHistoryHint = "The reason for the denial is recorded only in the federation rule's authentication history in the Anthropic Console " +
		"(with the local emulator: GET /v1/organizations/federation_authentication_history)."
)

// identitySourceModel is the set of identity sources; at most one is set.
type identitySourceModel struct {
	IdentityToken       types.String `tfsdk:"identity_token"`
	IdentityTokenFile   types.String `tfsdk:"identity_token_file"`
	GCEMetadata         types.Object `tfsdk:"gce_metadata"`
	GoogleImpersonation types.Object `tfsdk:"google_impersonation"`
	Executable          types.Object `tfsdk:"executable"`
}

type gceMetadataModel struct {
	Audience   types.String `tfsdk:"audience"`
	FormatFull types.Bool   `tfsdk:"format_full"`
}

type googleImpersonationModel struct {
	ServiceAccount types.String `tfsdk:"service_account"`
	Audience       types.String `tfsdk:"audience"`
	Delegates      types.List   `tfsdk:"delegates"`
	IncludeEmail   types.Bool   `tfsdk:"include_email"`
}

type executableModel struct {
	Command types.List   `tfsdk:"command"`
	Timeout types.String `tfsdk:"timeout"`
}

// sourceFlavor selects the wording and the "how many sources" rule: the
// ephemeral resource needs exactly one; the provider's federation attribute
// takes at most one and otherwise falls back to environment variables.
type sourceFlavor int

const (
	flavorEphemeral sourceFlavor = iota
	flavorProvider
)

// sourceAttrKind and sourceAttr describe an attribute independently of the
// schema package, so the ephemeral resource and the provider schema are
// generated from one description.
type sourceAttrKind int

const (
	kindString sourceAttrKind = iota
	kindBool
	kindStringList
	kindObject
)

type sourceAttr struct {
	kind       sourceAttrKind
	required   bool
	sensitive  bool
	markdown   string
	strings    []validator.String
	lists      []validator.List
	attributes map[string]sourceAttr
}

func identitySourceSpec(flavor sourceFlavor) map[string]sourceAttr {
	choiceMD := "Exactly one identity source (`identity_token`, `identity_token_file`, `gce_metadata`, `google_impersonation`, `executable`) must be set."
	if flavor == flavorProvider {
		choiceMD = "At most one identity source may be set; with none, the `" + envIdentityTokenFile + "`, `" + envIdentityToken + "` and `" +
			envTFCWorkloadIdentityToken + "` environment variables are tried in that order."
	}
	audience := func(what string) sourceAttr {
		return sourceAttr{
			kind:     kindString,
			markdown: fmt.Sprintf("Audience (`aud`) of the %s. Defaults to `%s`. It must be the federation rule's `match.audience` (or `%s` when the rule sets none).", what, policy.DefaultAudience, policy.DefaultAudience),
			strings:  []validator.String{stringvalidator.LengthAtLeast(1)},
		}
	}
	return map[string]sourceAttr{
		attrIdentityToken: {
			kind:      kindString,
			sensitive: true,
			markdown: "An identity token (a signed JWT) given as is, for example from a CI system. It cannot be renewed, and Terraform opens ephemeral " +
				"resources and configures providers afresh for every plan and apply, each sending it again: a token whose issuer checks `jti` (single use) " +
				"works only once. Prefer a source that yields a fresh token each time. " + choiceMD,
			strings: []validator.String{stringvalidator.LengthAtLeast(1), identitySourceCount{required: flavor == flavorEphemeral}},
		},
		attrIdentityTokenFile: {
			kind: kindString,
			markdown: "Path of a file holding the identity token, re-read at every exchange so a token rotated by the platform (Kubernetes projected " +
				"service account tokens, CI token files) is picked up.",
			strings: []validator.String{stringvalidator.LengthAtLeast(1)},
		},
		attrGCEMetadata: {
			kind: kindObject,
			markdown: "Fetch a Google-signed ID token of the attached service account from the metadata server (Compute Engine, Cloud Run, GKE, Cloud " +
				"Functions). The host is `metadata.google.internal`, or the `GCE_METADATA_HOST` environment variable. Set it to `{}` for the defaults.",
			attributes: map[string]sourceAttr{
				"audience": audience("ID token"),
				"format_full": {
					kind: kindBool,
					markdown: "Request `format=full`, which adds the `email` and `email_verified` claims (rules on Google pin `email`) and, on Compute Engine, " +
						"`google.compute_engine`. Defaults to `true`.",
				},
			},
		},
		attrGoogleImpersonation: {
			kind: kindObject,
			markdown: "Mint a Google-signed ID token of a service account with IAM Credentials `generateIdToken`, using the provider's `google` " +
				"credentials; they need `roles/iam.serviceAccountOpenIdTokenCreator` on the account.",
			attributes: map[string]sourceAttr{
				"service_account": {
					kind:     kindString,
					required: true,
					markdown: "Email of the Google service account whose ID token is minted.",
					strings:  []validator.String{stringCheck{description: "service account email", check: google.CheckServiceAccountEmail}},
				},
				"audience": audience("ID token"),
				"delegates": {
					kind:     kindStringList,
					markdown: "Delegation chain (service account emails, caller side first); each hop needs `roles/iam.serviceAccountTokenCreator` on the next.",
					lists:    []validator.List{listvalidator.ValueStringsAre(stringCheck{description: "service account email", check: google.CheckServiceAccountEmail})},
				},
				"include_email": {
					kind:     kindBool,
					markdown: "Ask for the `email` and `email_verified` claims, which rules on Google pin. Defaults to `true`.",
				},
			},
		},
		attrExecutable: {
			kind: kindObject,
			markdown: "Run a program that prints an identity token in Google's [executable-sourced credential format]" +
				"(https://google.aip.dev/auth/4117#determining-the-subject-token-in-executable-sourced-credentials) " +
				"(`{\"version\":1,\"success\":true,\"token_type\":\"urn:ietf:params:oauth:token-type:id_token\",\"id_token\":\"...\",\"expiration_time\":N}`). " +
				"Runs only when `GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES=1`, the same safeguard as Google's client libraries.",
			attributes: map[string]sourceAttr{
				"command": {
					kind:     kindStringList,
					required: true,
					markdown: "The program and its arguments; no shell is involved.",
					lists:    []validator.List{listvalidator.SizeAtLeast(1), listvalidator.ValueStringsAre(stringvalidator.LengthAtLeast(1))},
				},
				"timeout": {
					kind:     kindString,
					markdown: "How long the program may run, as a Go duration such as `\"30s\"`. Defaults to `30s`.",
					strings:  []validator.String{durationValidator{min: time.Second, max: 10 * time.Minute}},
				},
			},
		},
	}
}

func ephemeralSourceAttributes() map[string]eschema.Attribute {
	out := map[string]eschema.Attribute{}
	for name, a := range identitySourceSpec(flavorEphemeral) {
		out[name] = ephemeralAttribute(a)
	}
	return out
}

func ephemeralAttribute(a sourceAttr) eschema.Attribute {
	switch a.kind {
	case kindBool:
		return eschema.BoolAttribute{Required: a.required, Optional: !a.required, MarkdownDescription: a.markdown}
	case kindStringList:
		return eschema.ListAttribute{ElementType: types.StringType, Required: a.required, Optional: !a.required, MarkdownDescription: a.markdown, Validators: a.lists}
	case kindObject:
		children := map[string]eschema.Attribute{}
		for name, c := range a.attributes {
			children[name] = ephemeralAttribute(c)
		}
		return eschema.SingleNestedAttribute{Attributes: children, Required: a.required, Optional: !a.required, MarkdownDescription: a.markdown}
	default:
		return eschema.StringAttribute{Required: a.required, Optional: !a.required, Sensitive: a.sensitive, MarkdownDescription: a.markdown, Validators: a.strings}
	}
}

func providerSourceAttributes() map[string]pschema.Attribute {
	out := map[string]pschema.Attribute{}
	for name, a := range identitySourceSpec(flavorProvider) {
		out[name] = providerAttribute(a)
	}
	return out
}

func providerAttribute(a sourceAttr) pschema.Attribute {
	switch a.kind {
	case kindBool:
		return pschema.BoolAttribute{Required: a.required, Optional: !a.required, MarkdownDescription: a.markdown}
	case kindStringList:
		return pschema.ListAttribute{ElementType: types.StringType, Required: a.required, Optional: !a.required, MarkdownDescription: a.markdown, Validators: a.lists}
	case kindObject:
		children := map[string]pschema.Attribute{}
		for name, c := range a.attributes {
			children[name] = providerAttribute(c)
		}
		return pschema.SingleNestedAttribute{Attributes: children, Required: a.required, Optional: !a.required, MarkdownDescription: a.markdown}
	default:
		return pschema.StringAttribute{Required: a.required, Optional: !a.required, Sensitive: a.sensitive, MarkdownDescription: a.markdown, Validators: a.strings}
	}
}

// identitySourceCount checks how many identity sources are set among the
// siblings of the attribute it is attached to (identity_token). One
// validator on one attribute reports the problem once.
type identitySourceCount struct{ required bool }

func (v identitySourceCount) Description(context.Context) string {
	if v.required {
		return "exactly one of " + strings.Join(identitySourceNames, ", ") + " is set"
	}
	return "at most one of " + strings.Join(identitySourceNames, ", ") + " is set"
}

func (v identitySourceCount) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v identitySourceCount) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	parent := req.Path.ParentPath()
	var set []string
	for _, name := range identitySourceNames {
		var value attr.Value
		if d := req.Config.GetAttribute(ctx, parent.AtName(name), &value); d.HasError() {
			resp.Diagnostics.Append(d...)
			return
		}
		if value.IsUnknown() {
			return // decided once the value is known
		}
		if !value.IsNull() {
			set = append(set, name)
		}
	}
	var summary, detail string
	switch {
	case len(set) > 1:
		summary = "Conflicting identity sources"
		detail = fmt.Sprintf("Set only one identity source; %s are all set.", strings.Join(set, " and "))
	case len(set) == 0 && v.required:
		summary = "Missing identity source"
		detail = "Set exactly one identity source: identity_token (a literal JWT), identity_token_file (a path), gce_metadata (the Google metadata server), " +
			"google_impersonation (IAM Credentials generateIdToken) or executable (a program)."
	default:
		return
	}
	if len(parent.Steps()) == 0 {
		resp.Diagnostics.AddError(summary, detail)
		return
	}
	resp.Diagnostics.AddAttributeError(parent, summary, fmt.Sprintf("%s: %s", parent, detail))
}

// isUnknown reports values only known at apply.
func (m identitySourceModel) isUnknown() bool {
	return m.IdentityToken.IsUnknown() || m.IdentityTokenFile.IsUnknown() || m.GCEMetadata.IsUnknown() ||
		m.GoogleImpersonation.IsUnknown() || m.Executable.IsUnknown()
}

// source builds the configured identity source; nil (without error) when
// none is set. at is the path of the attribute holding the sources, for
// diagnostics; g is the provider's Google side (google_impersonation).
func (m identitySourceModel) source(ctx context.Context, g *google.Config, at path.Path, diags *diag.Diagnostics) identity.Source {
	child := func(name string) path.Path {
		if len(at.Steps()) == 0 {
			return path.Root(name)
		}
		return at.AtName(name)
	}
	switch {
	case !m.IdentityToken.IsNull():
		return identity.Literal(m.IdentityToken.ValueString())
	case !m.IdentityTokenFile.IsNull():
		return identity.File(m.IdentityTokenFile.ValueString())
	case !m.GCEMetadata.IsNull():
		var gm gceMetadataModel
		if d := m.GCEMetadata.As(ctx, &gm, basetypes.ObjectAsOptions{}); d.HasError() {
			diags.Append(d...)
			return nil
		}
		return identity.Metadata(identity.MetadataOptions{
			Audience:    stringDefault(gm.Audience, policy.DefaultAudience),
			FormatFull:  boolDefault(gm.FormatFull, true),
			Timeout:     g.RequestTimeout(),
			TimeoutHint: "the provider's request_timeout bounds each Google request, raise it if the metadata server is slow",
		})
	case !m.GoogleImpersonation.IsNull():
		var gi googleImpersonationModel
		if d := m.GoogleImpersonation.As(ctx, &gi, basetypes.ObjectAsOptions{}); d.HasError() {
			diags.Append(d...)
			return nil
		}
		var delegates []string
		if !gi.Delegates.IsNull() {
			if d := gi.Delegates.ElementsAs(ctx, &delegates, false); d.HasError() {
				diags.Append(d...)
				return nil
			}
		}
		return &googleImpersonationSource{google: g, opts: identity.ImpersonationOptions{
			ServiceAccount: gi.ServiceAccount.ValueString(),
			Audience:       stringDefault(gi.Audience, policy.DefaultAudience),
			IncludeEmail:   boolDefault(gi.IncludeEmail, true),
			Delegates:      delegates,
		}}
	case !m.Executable.IsNull():
		var em executableModel
		if d := m.Executable.As(ctx, &em, basetypes.ObjectAsOptions{}); d.HasError() {
			diags.Append(d...)
			return nil
		}
		var command []string
		if d := em.Command.ElementsAs(ctx, &command, false); d.HasError() {
			diags.Append(d...)
			return nil
		}
		var timeout time.Duration
		if !em.Timeout.IsNull() {
			var err error
			if timeout, err = time.ParseDuration(em.Timeout.ValueString()); err != nil {
				diags.AddAttributeError(child(attrExecutable).AtName("timeout"), "Invalid duration", err.Error())
				return nil
			}
		}
		return identity.Executable(identity.ExecutableOptions{Command: command, Timeout: timeout})
	}
	return nil
}

// googleImpersonationSource resolves the provider's Google credentials on
// first use, so configuring a federation that impersonates costs nothing
// until a token is needed.
type googleImpersonationSource struct {
	google *google.Config
	opts   identity.ImpersonationOptions
}

func (s *googleImpersonationSource) Token(ctx context.Context) (string, error) {
	if s.google == nil {
		return "", errors.New("google_impersonation: the provider's google settings are not configured")
	}
	clientOptions, err := s.google.IAMCredentialsOptions(ctx)
	if err != nil {
		return "", fmt.Errorf("google_impersonation of %s: the provider's Google credentials: %w", s.opts.ServiceAccount, redact.Error(err))
	}
	opts := s.opts
	opts.ClientOptions = clientOptions
	tok, err := identity.Impersonation(opts).Token(ctx)
	if err != nil {
		if t := s.google.ExplainTimeout(ctx, err, "IAM Credentials", s.google.Settings().IAMCredentialsEndpoint, google.DefaultIAMCredentialsEndpoint); t != err {
			return "", fmt.Errorf("service account impersonation of %s: %w", s.opts.ServiceAccount, t)
		}
		return "", redact.Error(err)
	}
	return tok, nil
}

func (s *googleImpersonationSource) Renewable() bool { return true }

func (s *googleImpersonationSource) Describe() string {
	return identity.Impersonation(s.opts).Describe()
}

// exchangeTarget is what an exchange asks for, besides the assertion.
type exchangeTarget struct {
	ruleID, organizationID, serviceAccountID, workspaceID string
}

// ruleView is the rule (and its issuer) behind an exchange, when the
// provider's admin credential can read them; either may be nil.
type ruleView struct {
	rule   *client.FederationRule
	issuer *client.FederationIssuer
	// defaultWorkspace is the default workspace's id, "" when unknown.
	defaultWorkspace string
	// targetRole is the organization_role of an org:admin rule's target,
	// "" when not read.
	targetRole string
}

// exchangeFailure is a diagnostic-shaped error: the summary in user words
// and a detail that never holds a token.
type exchangeFailure struct {
	summary, detail string
	// denied marks the service's opaque 401.
	denied bool
}

func (f *exchangeFailure) Error() string { return f.summary + ": " + f.detail }

// exchangeResult is a minted access token and what is known about it.
type exchangeResult struct {
	token     *client.TokenExchangeResponse
	claims    *identity.Claims
	expiresAt time.Time
}

// exchangeFunc is client.(*Client).ExchangeToken; tests substitute it.
type exchangeFunc func(context.Context, client.TokenExchangeParams) (*client.TokenExchangeResponse, error)

// exchangeIdentity fetches an assertion from src, checks it before sending
// (so a token that cannot work fails with a clear reason instead of the
// service's opaque 401), and exchanges it exactly once: the client never
// retries an exchange, since a re-sent assertion with a jti is a replay.
// The checks that need nothing but the token (size, shape, algorithm,
// expiry) run before any request. readView, which reads the rule with the
// provider's admin credential, is called only after a 401, to explain it
// (and before sending only for a Google token without email, which most
// rules refuse). readView may be nil.
func exchangeIdentity(ctx context.Context, exchange exchangeFunc, src identity.Source, target exchangeTarget, readView func(context.Context) *ruleView, now func() time.Time) (*exchangeResult, *exchangeFailure) {
	assertion, err := src.Token(ctx)
	if err != nil {
		return nil, &exchangeFailure{summary: "Unable to obtain an identity token", detail: fmt.Sprintf("From %s: %s", src.Describe(), redact.String(err.Error()))}
	}
	claims, fail := preflightToken(assertion, src, now())
	if fail != nil {
		return nil, fail
	}
	// The rule is read only to explain a failure: on success an exchange
	// costs the identity token and the exchange request, nothing more. The
	// one exception is a Google token without email, which most rules
	// refuse: the rule is read first to know whether this one needs email.
	var view *ruleView
	if readView != nil && claims.Issuer == policy.GoogleIssuer && claims.Email == "" {
		view = readView(ctx)
	}
	if fail := preflightRule(claims, src, view); fail != nil {
		return nil, fail
	}
	sentAt := now()
	resp, err := exchange(ctx, client.TokenExchangeParams{
		Assertion:        assertion,
		FederationRuleID: target.ruleID,
		OrganizationID:   target.organizationID,
		ServiceAccountID: target.serviceAccountID,
		WorkspaceID:      target.workspaceID,
	})
	if err != nil {
		var apiErr *client.APIError
		if errors.As(err, &apiErr) && apiErr.StatusCode == 401 {
			if view == nil && readView != nil {
				view = readView(ctx)
			}
			return nil, &exchangeFailure{summary: "Token exchange denied", detail: explainDenial(claims, src, target, view, apiErr.RequestID, sentAt), denied: true}
		}
		detail := apiErrorDetail(err)
		if errors.As(err, &apiErr) && apiErr.StatusCode == 400 {
			detail += "\nThe exchange request itself was refused; the message names the field at fault."
		}
		return nil, &exchangeFailure{summary: "Token exchange failed", detail: detail}
	}
	return &exchangeResult{token: resp, claims: claims, expiresAt: sentAt.Add(time.Duration(resp.ExpiresIn) * time.Second)}, nil
}

// preflight checks an assertion the way the service will, as far as that
// is possible without its keys. Claims are read without verifying the
// signature: they only shape messages and refuse tokens that cannot work.
func preflight(assertion string, src identity.Source, view *ruleView, now time.Time) (*identity.Claims, *exchangeFailure) {
	claims, fail := preflightToken(assertion, src, now)
	if fail != nil {
		return claims, fail
	}
	return claims, preflightRule(claims, src, view)
}

// preflightToken is the part of preflight that needs only the token.
func preflightToken(assertion string, src identity.Source, now time.Time) (*identity.Claims, *exchangeFailure) {
	from := src.Describe()
	if n := len(assertion); n > policy.MaxAssertionBytes {
		return nil, &exchangeFailure{summary: "Identity token too large",
			detail: fmt.Sprintf("The identity token from %s is %d bytes; the exchange accepts at most %d bytes (16 KiB). Ask the issuer for a token with fewer claims.",
				from, n, policy.MaxAssertionBytes)}
	}
	claims, err := identity.Inspect(assertion)
	if err != nil {
		return nil, &exchangeFailure{summary: "Identity token cannot be exchanged",
			detail: fmt.Sprintf("The identity token from %s is not usable: %s.", from, err)}
	}
	switch left := claims.Expiry.Sub(now); {
	case claims.Expiry.IsZero():
		return claims, &exchangeFailure{summary: "Identity token has no expiry",
			detail: fmt.Sprintf("The identity token from %s has no exp claim; the exchange requires one.", from)}
	case left <= 0:
		return claims, &exchangeFailure{summary: "Identity token expired",
			detail: fmt.Sprintf("The identity token from %s expired at %s (%s ago); the exchange would refuse it. Provide a fresh token.",
				from, claims.Expiry.UTC().Format(time.RFC3339), (-left).Round(time.Second))}
	case left < minAssertionValidity:
		return claims, &exchangeFailure{summary: "Identity token about to expire",
			detail: fmt.Sprintf("The identity token from %s expires at %s, in %s: less than the %s an exchange needs. Provide a fresh token.",
				from, claims.Expiry.UTC().Format(time.RFC3339), left.Round(time.Second), minAssertionValidity)}
	}
	return claims, nil
}

// preflightRule is the part of preflight that compares the token with the
// rule, when the rule could be read (view may be nil).
func preflightRule(claims *identity.Claims, src identity.Source, view *ruleView) *exchangeFailure {
	from := src.Describe()
	if claims.Issuer == policy.GoogleIssuer && claims.Email == "" && (view == nil || ruleReadsEmail(view.rule)) {
		return &exchangeFailure{summary: "Google identity token has no email claim",
			detail: fmt.Sprintf("The Google ID token from %s carries no email claim, and federation rules on Google pin the service account's email. "+
				"Google adds it only when asked: set gce_metadata.format_full = true (the metadata server's format=full), google_impersonation.include_email = true "+
				"(includeEmail), or request the token with --include-email / format=full.", from)}
	}
	if view != nil && view.rule != nil {
		want := ruleAudience(view.rule)
		if !policy.MatchAudience(want, claims.Audience) {
			return &exchangeFailure{summary: "Identity token audience does not match the rule",
				detail: fmt.Sprintf("Federation rule %s accepts tokens whose aud contains %q (its match.audience%s); the token from %s has aud %s. "+
					"Request the token for that audience (gce_metadata.audience, google_impersonation.audience, or the issuer's setting), or change the rule's match.audience.",
					view.rule.ID, want, audienceDefaultNote(view.rule), from, quoteList(claims.Audience))}
		}
	}
	return nil
}

// ruleAudience is the audience a rule requires of tokens.
func ruleAudience(r *client.FederationRule) string {
	if a := r.Match.Audience; a != nil && *a != "" {
		return *a
	}
	return policy.DefaultAudience
}

func audienceDefaultNote(r *client.FederationRule) string {
	if r.Match.Audience == nil || *r.Match.Audience == "" {
		return " is unset, which means " + policy.DefaultAudience
	}
	return ""
}

// ruleReadsEmail reports whether a rule looks at the email claim; a rule
// that pins a Google account by sub alone does not need it.
func ruleReadsEmail(r *client.FederationRule) bool {
	if r == nil {
		return true
	}
	if _, ok := r.Match.Claims["email"]; ok {
		return true
	}
	if r.Match.Condition != nil {
		if c, err := policy.CompileCondition(*r.Match.Condition); err == nil {
			return slices.Contains(c.ReferencedClaims(), "email")
		}
		return strings.Contains(*r.Match.Condition, "email")
	}
	return false
}

func quoteList(values []string) string {
	if len(values) == 0 {
		return "(none)"
	}
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = fmt.Sprintf("%q", v)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// describeClaims shows what identifies the token (issuer, subject, email,
// audience, expiry), never the token itself.
func describeClaims(c *identity.Claims) string {
	parts := []string{fmt.Sprintf("iss %q", c.Issuer), fmt.Sprintf("sub %q", c.Subject)}
	if c.Email != "" {
		parts = append(parts, fmt.Sprintf("email %q", c.Email))
	}
	parts = append(parts, "aud "+quoteList(c.Audience))
	if !c.Expiry.IsZero() {
		parts = append(parts, "exp "+c.Expiry.UTC().Format(time.RFC3339))
	}
	if c.JTI != "" {
		parts = append(parts, "with a jti")
	}
	return strings.Join(parts, ", ")
}

// explainDenial turns the service's opaque 401 into the likely causes for
// the token that was sent. With the rule readable it names the matchers
// that fail; otherwise it lists the usual causes, most likely first.
func explainDenial(claims *identity.Claims, src identity.Source, target exchangeTarget, view *ruleView, requestID string, now time.Time) string {
	var b strings.Builder
	b.WriteString("The token exchange for federation rule " + target.ruleID + " was denied (HTTP 401 authentication_error: Authentication failed). ")
	b.WriteString("The service gives this same answer to every denial by design, so that callers cannot probe rules; the provider checked what it could.\n\n")
	fmt.Fprintf(&b, "Token sent (from %s): %s.\n", src.Describe(), describeClaims(claims))

	var found, possible []string
	if view != nil && view.rule != nil {
		found = ruleMismatches(claims, target, view, now)
	}
	replay := "Replayed token: the issuer checks jti and this token's jti was already exchanged."
	if !src.Renewable() {
		replay += " A literal identity_token is the same token every time, and Terraform opens ephemeral resources and configures providers again at every plan " +
			"and apply: a token with a jti can be exchanged only once. Use identity_token_file, gce_metadata, google_impersonation or executable, which yield a fresh token each time."
	}
	switch {
	case len(found) > 0:
		b.WriteString("\nRule " + target.ruleID + " does not accept this token:\n")
		for _, f := range found {
			b.WriteString("  - " + f + "\n")
		}
	case view != nil && view.rule != nil:
		b.WriteString("\nEverything the provider can check against rule " + target.ruleID + " matches, so the likely causes are, most likely first:\n")
		if claims.JTI != "" && (view.issuer == nil || view.issuer.CheckJTI) {
			possible = append(possible, replay)
		}
		if w := workspaceCaution(view.rule, target.workspaceID); w != "" {
			possible = append(possible, w)
		}
		possible = append(possible,
			fmt.Sprintf("Workspace membership: service account %s must be a member of the workspace the token is minted for.", orDash(target.serviceAccountID)),
			fmt.Sprintf("Signature: the token's key (kid %q) must be in the issuer's JWKS; keys rotated recently, or a JWKS source pointing elsewhere, make verification fail.", claims.KeyID),
			"Organization: organization_id must be the rule's organization.")
	default:
		b.WriteString("\nThe rule could not be read (the provider has no admin credential, or it may not read rules), so these are the usual causes, most likely first:\n")
		possible = append(possible,
			fmt.Sprintf("Issuer URL mismatch: the federation issuer's issuer_url must equal the token's iss %q exactly (scheme, host, path and trailing slash).", claims.Issuer),
			fmt.Sprintf("Claims: the rule's match must accept this token: compare sub %q, email %q and aud %s with the rule's subject_prefix, claims, audience and condition.",
				claims.Subject, claims.Email, quoteList(claims.Audience)),
			"Workspace: a rule enabled in more than one workspace (or in all) needs workspace_id, and the service account must be a member of that workspace.",
		)
		if claims.JTI != "" {
			possible = append(possible, replay)
		}
		possible = append(possible,
			"The rule, its issuer or the service account is archived, service_account_id is not the rule's target, or organization_id is not the rule's organization.",
			fmt.Sprintf("Signature: the token's key (kid %q) must be in the issuer's JWKS.", claims.KeyID))
	}
	for i, p := range possible {
		fmt.Fprintf(&b, "  %d. %s\n", i+1, p)
	}
	b.WriteString("\n" + exchangeHistoryHint)
	if requestID != "" {
		b.WriteString(" Request ID: " + requestID + ".")
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "(the rule's target)"
	}
	return s
}

// ruleMismatches compares the token with what the rule and its issuer
// require, in the order the service checks, and returns every definite
// mismatch.
func ruleMismatches(c *identity.Claims, target exchangeTarget, view *ruleView, now time.Time) []string {
	r := view.rule
	var out []string
	if r.IsArchived() {
		out = append(out, fmt.Sprintf("The rule is archived (since %s); archived rules refuse every exchange.", r.ArchivedAt.UTC().Format(time.RFC3339)))
	}
	if target.serviceAccountID != "" && r.Target.ServiceAccountID != "" && r.Target.ServiceAccountID != target.serviceAccountID {
		out = append(out, fmt.Sprintf("service_account_id is %s, but the rule targets %s.", target.serviceAccountID, r.Target.ServiceAccountID))
	}
	if view.targetRole != "" && view.targetRole != "admin" && policy.HasOAuthScope(r.OAuthScope, policy.ScopeOrgAdmin) {
		out = append(out, fmt.Sprintf("The rule grants org:admin, but its target service account %s has organization_role %s (it was demoted); "+
			"the service refuses an org:admin rule whose target is not an admin.", r.Target.ServiceAccountID, view.targetRole))
	}
	if is := view.issuer; is != nil {
		if is.IsArchived() {
			out = append(out, fmt.Sprintf("The rule's issuer %s is archived.", is.ID))
		}
		if is.IssuerURL != c.Issuer {
			out = append(out, fmt.Sprintf("Issuer URL mismatch: the rule's issuer %s has issuer_url %q, but the token's iss is %q; they must be equal exactly.", is.ID, is.IssuerURL, c.Issuer))
		}
		if !c.IssuedAt.IsZero() && !c.Expiry.IsZero() && is.MaxJWTLifetimeSeconds > 0 &&
			c.Expiry.Sub(c.IssuedAt) > time.Duration(is.MaxJWTLifetimeSeconds)*time.Second {
			out = append(out, fmt.Sprintf("The token lives %s (exp - iat), more than the issuer's max_jwt_lifetime_seconds (%d).",
				c.Expiry.Sub(c.IssuedAt), is.MaxJWTLifetimeSeconds))
		}
	}
	if c.IssuedAt.After(now.Add(minAssertionValidity)) {
		out = append(out, fmt.Sprintf("The token's iat (%s) is in the future; check the clocks.", c.IssuedAt.UTC().Format(time.RFC3339)))
	}
	m := r.Match
	if want := ruleAudience(r); !policy.MatchAudience(want, c.Audience) {
		out = append(out, fmt.Sprintf("match.audience: the rule accepts tokens whose aud contains %q (its match.audience%s); the token's aud is %s. "+
			"Request the token for that audience (gce_metadata.audience, google_impersonation.audience, or the issuer's setting), or change the rule's match.audience.",
			want, audienceDefaultNote(r), quoteList(c.Audience)))
	}
	if p := m.SubjectPrefix; p != nil && !policy.MatchSubject(*p, c.Subject) {
		out = append(out, fmt.Sprintf("match.subject_prefix %q does not match the token's sub %q.", *p, c.Subject))
	}
	names := make([]string, 0, len(m.Claims))
	for name := range m.Claims {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		want := m.Claims[name]
		if _, ok := policy.MatchClaims(map[string]string{name: want}, c.Raw); !ok {
			got := "is absent"
			if v, present := c.Raw[name]; present {
				got = fmt.Sprintf("is %s", claimValueText(v))
			}
			out = append(out, fmt.Sprintf("match.claims.%s pins %q, but the token's %s %s.", name, want, name, got))
		}
	}
	if m.Condition != nil {
		cond, err := policy.CompileCondition(*m.Condition)
		switch {
		case err != nil:
			out = append(out, fmt.Sprintf("match.condition does not compile: %s.", err))
		default:
			ok, err := cond.Eval(c.Raw)
			switch {
			case err != nil:
				out = append(out, fmt.Sprintf("match.condition cannot be evaluated for this token (%s), which counts as no match.", err))
			case !ok:
				out = append(out, fmt.Sprintf("match.condition %q evaluates to false for this token.", *m.Condition))
			}
		}
	}
	out = append(out, workspaceMismatches(r, target.workspaceID, view.defaultWorkspace)...)
	return out
}

// workspaceMismatches finds definite workspace problems. The rule lists the
// default workspace by its own id; defaultWorkspace is that id, and when it
// is unknown ("") the checks that need it are skipped rather than guessed.
func workspaceMismatches(r *client.FederationRule, requested, defaultWorkspace string) []string {
	if r.IsArchived() {
		return nil
	}
	if requested == policy.DefaultWorkspaceID {
		if defaultWorkspace == "" {
			return nil
		}
		requested = defaultWorkspace
	}
	if requested == "" {
		switch {
		case !r.AppliesToAllWorkspaces && len(r.WorkspaceIDs) == 0:
			return []string{"The rule is enabled in no workspace; enable it in one (workspace_ids) before exchanging."}
		case !r.AppliesToAllWorkspaces && len(r.WorkspaceIDs) > 1 && defaultWorkspace != "" && !slices.Contains(r.WorkspaceIDs, defaultWorkspace):
			return []string{fmt.Sprintf("The rule is enabled in %d workspaces (%s), none of them the default workspace, so the exchange needs workspace_id to choose one.",
				len(r.WorkspaceIDs), strings.Join(r.WorkspaceIDs, ", "))}
		}
		return nil
	}
	if !r.AppliesToAllWorkspaces && !slices.Contains(r.WorkspaceIDs, requested) {
		return []string{fmt.Sprintf("workspace_id is %s, but the rule is enabled only in %s.", requested, strings.Join(r.WorkspaceIDs, ", "))}
	}
	return nil
}

// workspaceCaution is a possible (not certain) workspace cause: a rule
// usable in several workspaces, exchanged without workspace_id.
func workspaceCaution(r *client.FederationRule, requested string) string {
	if requested != "" || (!r.AppliesToAllWorkspaces && len(r.WorkspaceIDs) < 2) {
		return ""
	}
	return "Workspace choice: the rule is usable in more than one workspace and workspace_id is not set; the service may require it. Set workspace_id."
}

func claimValueText(v any) string {
	switch t := v.(type) {
	case string:
		return fmt.Sprintf("%q", t)
	case nil:
		return "null"
	case map[string]any, []any:
		return "not a string"
	default:
		return fmt.Sprintf("%v", t)
	}
}

// readRuleView reads the rule and its issuer with the provider's admin
// credential, for pre-flight checks and denial explanations. Not being able
// to read them is normal (a workload's Terraform has no admin credential)
// and silently yields less precise messages.
func readRuleView(ctx context.Context, pd *providerData, ruleID string) *ruleView {
	if pd == nil || pd.client == nil || pd.adminAuth == "" {
		return nil
	}
	rule, err := pd.client.GetFederationRule(ctx, ruleID)
	if err != nil {
		return nil
	}
	view := &ruleView{rule: rule}
	if is, err := pd.client.GetFederationIssuer(ctx, rule.IssuerID); err == nil {
		view.issuer = is
	}
	if !rule.AppliesToAllWorkspaces && len(rule.WorkspaceIDs) > 0 {
		view.defaultWorkspace, _ = pd.defaultWorkspaceID(ctx)
	}
	if policy.HasOAuthScope(rule.OAuthScope, policy.ScopeOrgAdmin) {
		if sa, err := pd.client.GetServiceAccount(ctx, rule.Target.ServiceAccountID); err == nil {
			view.targetRole = sa.OrganizationRole
		}
	}
	return view
}
