package provider

// The federation rule's list resource (anthropic_federation_rule in
// `terraform query`); the plumbing every list resource shares is in
// list_resource_common.go.

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	listschema "github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

var _ list.ListResourceWithConfigure = (*federationRuleList)(nil)

func newFederationRuleList() list.ListResource { return &federationRuleList{} }

type federationRuleList struct{ configuredResource }

func (l *federationRuleList) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_federation_rule"
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
