package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

var (
	_ datasource.DataSource              = (*federationRuleDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*federationRuleDataSource)(nil)
	_ datasource.DataSource              = (*federationRulesDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*federationRulesDataSource)(nil)
)

func newFederationRuleDataSource() datasource.DataSource { return &federationRuleDataSource{} }

type federationRuleDataSource struct{ configuredDataSource }

func (d *federationRuleDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_federation_rule"
}

// ruleDataSourceAttributes are a rule's attributes, all read-only, for the
// rule data sources. id and name are left to the caller: the single-rule
// data source looks rules up by them.
func ruleDataSourceAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"description": computedDSString("Description of the rule; null when it has none."),
		"issuer_id":   computedDSString("ID of the federation issuer (fdis_...) whose tokens the rule accepts."),
		"issuer_name": computedDSString("Name of the federation issuer."),
		"match":       dataSourceAttribute(ruleMatchAttribute(), "Which tokens the rule accepts; every matcher that is set must pass."),
		"target":      dataSourceAttribute(ruleTargetAttribute(), "The service account whose access tokens the rule mints."),
		"oauth_scope": computedDSString("Scope of the minted tokens."),
		"workspace_ids": schema.SetAttribute{
			MarkdownDescription: "Workspaces the rule is explicitly enabled in; null when none (for example when it applies to all workspaces).",
			ElementType:         types.StringType,
			CustomType:          newStringSetType(),
			Computed:            true,
		},
		"applies_to_all_workspaces": schema.BoolAttribute{
			MarkdownDescription: "Whether the rule is enabled in every workspace.",
			Computed:            true,
		},
		"token_lifetime_seconds": schema.Int64Attribute{
			MarkdownDescription: "Upper bound of the minted access tokens' lifetime, in seconds.",
			Computed:            true,
		},
		"sdk_environment": schema.MapAttribute{
			MarkdownDescription: "Environment variables for a workload using this rule with an Anthropic SDK (`ANTHROPIC_FEDERATION_RULE_ID`, `ANTHROPIC_ORGANIZATION_ID`, " +
				"`ANTHROPIC_SERVICE_ACCOUNT_ID` and, when the rule is enabled in exactly one workspace, `ANTHROPIC_WORKSPACE_ID`).",
			ElementType: types.StringType,
			Computed:    true,
		},
		"created_at":          computedDSString("When the rule was created (RFC 3339)."),
		"created_by_actor_id": computedDSString("ID of the user or service account that created the rule."),
		"updated_at":          computedDSString("When the rule was last changed (RFC 3339)."),
		"updated_by_actor_id": computedDSString("ID of the user or service account that last changed the rule."),
	}
}

func (d *federationRuleDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attrs := ruleDataSourceAttributes()
	attrs["id"] = schema.StringAttribute{
		MarkdownDescription: "ID of the rule to read (`fdrl_...`). Set exactly one of `id` and `name`.",
		Optional:            true,
		Computed:            true,
		Validators: []validator.String{
			idValidator(policy.PrefixRule, "federation rule"),
			stringvalidator.ExactlyOneOf(path.MatchRoot("id"), path.MatchRoot("name")),
		},
	}
	attrs["name"] = schema.StringAttribute{
		MarkdownDescription: "Name of the live rule to read. Set exactly one of `id` and `name`.",
		Optional:            true,
		Computed:            true,
		Validators:          []validator.String{nameValidator()},
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads one federation rule by `id` or by `name`, for example to feed its `sdk_environment` to a workload managed in another configuration.",
		Attributes:          attrs,
	}
}

func (d *federationRuleDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	ctx, cfg, ok := begin[federationRuleFields](ctx, d.data, req.Config.Get, &resp.Diagnostics)
	if !ok {
		return
	}
	var rule *client.FederationRule
	if !cfg.ID.IsNull() {
		id := cfg.ID.ValueString()
		got, err := d.data.client.GetFederationRule(ctx, id)
		switch {
		case client.IsNotFound(err):
			resp.Diagnostics.AddAttributeError(path.Root("id"), "Federation rule not found",
				fmt.Sprintf("id: no federation rule %s exists in this organization.", id))
			return
		case err != nil:
			addAPIError(&resp.Diagnostics, "Unable to read federation rule "+id, err)
			return
		case got.IsArchived():
			resp.Diagnostics.AddAttributeError(path.Root("id"), "Federation rule is archived",
				fmt.Sprintf("id: federation rule %s (%s) was archived and no longer accepts tokens.", id, got.Name))
			return
		}
		rule = got
	} else {
		name := cfg.Name.ValueString()
		found, err := d.data.client.FindFederationRuleByName(ctx, name)
		if err != nil {
			addAPIError(&resp.Diagnostics, "Unable to list federation rules", err)
			return
		}
		if found == nil {
			resp.Diagnostics.AddAttributeError(path.Root("name"), "Federation rule not found",
				fmt.Sprintf("name: no live federation rule named %q exists in this organization.", name))
			return
		}
		rule = found
	}
	if !d.data.resolveOrgID(ctx, &resp.Diagnostics) {
		return
	}
	var out federationRuleFields
	out.fromAPI(ctx, rule, d.data.knownOrgID())
	resp.Diagnostics.Append(resp.State.Set(ctx, &out)...)
}

// anthropic_federation_rules lists the live rules.

func newFederationRulesDataSource() datasource.DataSource { return &federationRulesDataSource{} }

type federationRulesDataSource struct{ configuredDataSource }

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
	ctx, cfg, ok := begin[federationRulesModel](ctx, d.data, req.Config.Get, &resp.Diagnostics)
	if !ok {
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
