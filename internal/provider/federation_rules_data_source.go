package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

var (
	_ datasource.DataSource              = (*federationRulesDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*federationRulesDataSource)(nil)
)

func newFederationRulesDataSource() datasource.DataSource { return &federationRulesDataSource{} }

type federationRulesDataSource struct{ configuredDataSource }

type federationRulesModel struct {
	IssuerID types.String           `tfsdk:"issuer_id"`
	Rules    []federationRuleFields `tfsdk:"rules"`
}

func (d *federationRulesDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_federation_rules"
}

func (d *federationRulesDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	ruleAttrs := ruleDataSourceAttributes()
	ruleAttrs["id"] = computedDSString("Federation rule ID (fdrl_...).")
	ruleAttrs["name"] = computedDSString("Name of the rule.")
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the organization's live (not archived) federation rules, optionally only those of one issuer. Follows every page of the API's list.",
		Attributes: map[string]schema.Attribute{
			"issuer_id": schema.StringAttribute{
				MarkdownDescription: "Only list the rules of this federation issuer (`fdis_...`).",
				Optional:            true,
				Validators:          []validator.String{idValidator(policy.PrefixIssuer, "federation issuer")},
			},
			"rules": schema.ListNestedAttribute{
				MarkdownDescription: "The rules, in the API's order.",
				Computed:            true,
				NestedObject:        schema.NestedAttributeObject{Attributes: ruleAttrs},
			},
		},
	}
}

func (d *federationRulesDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	ctx = maskSecrets(ctx)
	if !requireClient(d.data, &resp.Diagnostics) {
		return
	}
	var cfg federationRulesModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !d.data.resolveOrgID(ctx, &resp.Diagnostics) {
		return
	}
	params := client.FederationRuleListParams{ListParams: client.ListParams{Limit: listPageSize}, IssuerID: cfg.IssuerID.ValueString()}
	cfg.Rules = []federationRuleFields{}
	for rule, err := range d.data.client.ListFederationRules(ctx, params) {
		if err != nil {
			addAPIError(&resp.Diagnostics, "Unable to list federation rules", err)
			return
		}
		if rule.IsArchived() {
			continue
		}
		var f federationRuleFields
		f.fromAPI(ctx, &rule, d.data.knownOrgID())
		cfg.Rules = append(cfg.Rules, f)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &cfg)...)
}
