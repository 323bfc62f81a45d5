package provider

// The identity sources of a federation token exchange, shared by the
// anthropic_federation_token ephemeral resource and the provider's keyless
// authentication (the federation attribute): one schema description, one
// model and one builder of the identity.Source. The exchange itself, its
// pre-flight checks and the explanation of a denial are in
// internal/exchange.

import (
	"context"
	"fmt"
	"reflect"
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

	"github.com/wiflabs/terraform-provider-anthropic/internal/google"
	"github.com/wiflabs/terraform-provider-anthropic/internal/identity"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
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
// generated from one description (sourceAttributes).
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
	return sourceAttributes[eschema.Attribute](identitySourceSpec(flavorEphemeral),
		eschema.StringAttribute{}, eschema.BoolAttribute{}, eschema.ListAttribute{}, eschema.SingleNestedAttribute{})
}

func providerSourceAttributes() map[string]pschema.Attribute {
	return sourceAttributes[pschema.Attribute](identitySourceSpec(flavorProvider),
		pschema.StringAttribute{}, pschema.BoolAttribute{}, pschema.ListAttribute{}, pschema.SingleNestedAttribute{})
}

// sourceAttributes builds spec in one schema package. The ephemeral and the
// provider schema packages have distinct attribute types whose fields used
// here have the same names and types, so one builder serves both: str,
// boolean, list and object are the package's zero StringAttribute,
// BoolAttribute, ListAttribute and SingleNestedAttribute, and a copy of one
// of them gets its fields set by name.
func sourceAttributes[A any](spec map[string]sourceAttr, str, boolean, list, object A) map[string]A {
	out := make(map[string]A, len(spec))
	for name, a := range spec {
		proto := str
		fields := map[string]any{"Required": a.required, "Optional": !a.required, "MarkdownDescription": a.markdown}
		switch a.kind {
		case kindBool:
			proto = boolean
		case kindStringList:
			proto = list
			fields["ElementType"], fields["Validators"] = types.StringType, a.lists
		case kindObject:
			proto = object
			fields["Attributes"] = sourceAttributes(a.attributes, str, boolean, list, object)
		default:
			fields["Sensitive"], fields["Validators"] = a.sensitive, a.strings
		}
		v := reflect.New(reflect.TypeOf(proto)).Elem()
		for field, value := range fields {
			v.FieldByName(field).Set(reflect.ValueOf(value))
		}
		built, ok := v.Interface().(A)
		if !ok {
			panic(fmt.Sprintf("identity source attribute %s: %s is not a schema attribute", name, v.Type()))
		}
		out[name] = built
	}
	return out
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
		return google.ImpersonationSource(g, identity.ImpersonationOptions{
			ServiceAccount: gi.ServiceAccount.ValueString(),
			Audience:       stringDefault(gi.Audience, policy.DefaultAudience),
			IncludeEmail:   boolDefault(gi.IncludeEmail, true),
			Delegates:      delegates,
		})
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
