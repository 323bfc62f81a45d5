package provider

import (
	"context"
	"iter"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	listschema "github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

// List resources (Terraform >= 1.14) feed `terraform query`: each result
// names a live object by its resource identity, with a display name and,
// when the query asks for it (include_resource), the object as the
// resource would read it. Archived objects are never listed: the resources
// treat an archived object as gone, so one could not be imported.

var (
	_ list.ListResourceWithConfigure = (*serviceAccountList)(nil)
	_ list.ListResourceWithConfigure = (*federationIssuerList)(nil)
	_ list.ListResourceWithConfigure = (*federationRuleList)(nil)
)

func newServiceAccountList() list.ListResource   { return &serviceAccountList{} }
func newFederationIssuerList() list.ListResource { return &federationIssuerList{} }
func newFederationRuleList() list.ListResource   { return &federationRuleList{} }

type serviceAccountList struct{ configuredResource }
type federationIssuerList struct{ configuredResource }
type federationRuleList struct{ configuredResource }

func (l *serviceAccountList) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_service_account"
}

func (l *federationIssuerList) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_federation_issuer"
}

func (l *federationRuleList) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_federation_rule"
}

func (l *serviceAccountList) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = listschema.Schema{
		MarkdownDescription: "Lists the organization's live (not archived) service accounts for `terraform query` (Terraform 1.14 and later). " +
			"Each result carries the service account's identity (`id`) and its name.",
	}
}

func (l *federationIssuerList) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = listschema.Schema{
		MarkdownDescription: "Lists the organization's live (not archived) federation issuers for `terraform query` (Terraform 1.14 and later). " +
			"Each result carries the issuer's identity (`id`) and its name.",
	}
}

func (l *federationRuleList) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = listschema.Schema{
		MarkdownDescription: "Lists the organization's live (not archived) federation rules for `terraform query` (Terraform 1.14 and later). " +
			"Each result carries the rule's identity (`id`) and its name.",
		Attributes: map[string]listschema.Attribute{
			"issuer_id": listschema.StringAttribute{
				MarkdownDescription: "Only the rules of this federation issuer (`fdis_...`). Omit it for every rule.",
				Optional:            true,
				Validators:          []validator.String{idValidator(policy.PrefixIssuer, "federation issuer")},
			},
		},
	}
}

type federationRuleListConfig struct {
	IssuerID types.String `tfsdk:"issuer_id"`
}

func (l *serviceAccountList) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	ctx = maskSecrets(ctx)
	if !startList(l.data, stream) {
		return
	}
	all := l.data.client.ListServiceAccounts(ctx, client.ListParams{Limit: listPageSizeFor(req.Limit)})
	stream.Results = listResults(ctx, req, "Unable to list service accounts", all,
		func(sa *client.ServiceAccount) (string, string, bool) { return sa.ID, sa.Name, !sa.IsArchived() },
		func(sa *client.ServiceAccount, _ *diag.Diagnostics) any {
			var m serviceAccountModel
			m.fromAPI(sa)
			return &m
		})
}

func (l *federationIssuerList) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	ctx = maskSecrets(ctx)
	if !startList(l.data, stream) {
		return
	}
	all := l.data.client.ListFederationIssuers(ctx, client.ListParams{Limit: listPageSizeFor(req.Limit)})
	stream.Results = listResults(ctx, req, "Unable to list federation issuers", all,
		func(iss *client.FederationIssuer) (string, string, bool) { return iss.ID, iss.Name, !iss.IsArchived() },
		func(iss *client.FederationIssuer, diags *diag.Diagnostics) any {
			var m federationIssuerModel
			m.fromAPI(ctx, iss, diags)
			return &m
		})
}

func (l *federationRuleList) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	ctx = maskSecrets(ctx)
	if !startList(l.data, stream) {
		return
	}
	var cfg federationRuleListConfig
	var diags diag.Diagnostics
	if diags.Append(req.Config.Get(ctx, &cfg)...); diags.HasError() {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	// sdk_environment names the organization: ask for it when it is not
	// configured, as a refresh of the rule does.
	if !l.data.resolveOrgID(ctx, &diags) {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	params := client.FederationRuleListParams{ListParams: client.ListParams{Limit: listPageSizeFor(req.Limit)}, IssuerID: cfg.IssuerID.ValueString()}
	orgID := l.data.knownOrgID()
	all := l.data.client.ListFederationRules(ctx, params)
	stream.Results = listResults(ctx, req, "Unable to list federation rules", all,
		func(rule *client.FederationRule) (string, string, bool) {
			return rule.ID, rule.Name, !rule.IsArchived()
		},
		func(rule *client.FederationRule, _ *diag.Diagnostics) any {
			var m federationRuleModel
			m.fromAPI(ctx, rule, orgID)
			m.AllowGoogleSubjectPrefix = types.BoolValue(false) // as after an import
			return &m
		})
}

// listPageSizeFor asks the API for no bigger a page than the query's limit.
func listPageSizeFor(limit int64) int {
	if limit > 0 && limit < listPageSize {
		return int(limit)
	}
	return listPageSize
}

// listResults turns an API listing into list results: at most req.Limit of
// them, each with an `id` identity and a display name, and the resource
// object when the query includes it. The listing is lazy, so stopping at
// the limit costs no further pages; an API error ends the stream with one
// error result.
func listResults[T any](ctx context.Context, req list.ListRequest, failure string, all iter.Seq2[T, error],
	describe func(*T) (id, displayName string, live bool), model func(*T, *diag.Diagnostics) any) iter.Seq[list.ListResult] {
	return func(push func(list.ListResult) bool) {
		var n int64
		for obj, err := range all {
			if err != nil {
				var diags diag.Diagnostics
				addAPIError(&diags, failure, err)
				push(list.ListResult{Diagnostics: diags})
				return
			}
			id, name, live := describe(&obj)
			if !live {
				continue
			}
			result := req.NewListResult(ctx)
			result.DisplayName = name
			result.Diagnostics.Append(result.Identity.Set(ctx, idIdentity{ID: types.StringValue(id)})...)
			if req.IncludeResource {
				m := model(&obj, &result.Diagnostics)
				result.Diagnostics.Append(result.Resource.Set(ctx, m)...)
			}
			n++
			if !push(result) || (req.Limit > 0 && n >= req.Limit) {
				return
			}
		}
	}
}

// startList reports whether the provider can list; otherwise it answers the
// stream with the diagnostic why not.
func startList(pd *providerData, stream *list.ListResultsStream) bool {
	var diags diag.Diagnostics
	if requireClient(pd, &diags) {
		return true
	}
	stream.Results = list.ListResultsStreamDiagnostics(diags)
	return false
}
