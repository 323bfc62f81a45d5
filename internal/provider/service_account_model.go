package provider

// The service account's model and attributes: the resource and both data
// sources show the same fields, filled from the API the same way; the
// resource's create and update bodies.

import (
	dsschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

// serviceAccountReadOnly describes the attributes the API sets, alike in
// the resource and the data sources.
var serviceAccountReadOnly = map[string]string{
	"id":                  "Service account ID (`svac_...`).",
	"created_at":          "When the service account was created (RFC 3339).",
	"created_by_actor_id": "ID of the user or service account that created it.",
	"updated_at":          "When the service account was last changed (RFC 3339).",
	"updated_by_actor_id": "ID of the user or service account that last changed it.",
}

type serviceAccountModel struct {
	ID               types.String `tfsdk:"id"`
	Name             types.String `tfsdk:"name"`
	Description      types.String `tfsdk:"description"`
	OrganizationRole types.String `tfsdk:"organization_role"`
	CreatedAt        types.String `tfsdk:"created_at"`
	CreatedByActorID types.String `tfsdk:"created_by_actor_id"`
	UpdatedAt        types.String `tfsdk:"updated_at"`
	UpdatedByActorID types.String `tfsdk:"updated_by_actor_id"`
}

func (m *serviceAccountModel) fromAPI(sa *client.ServiceAccount) {
	m.ID = types.StringValue(sa.ID)
	m.Name = types.StringValue(sa.Name)
	m.Description = optionalString(sa.Description)
	m.OrganizationRole = types.StringValue(sa.OrganizationRole)
	m.CreatedAt = timeString(sa.CreatedAt)
	m.CreatedByActorID = types.StringValue(sa.CreatedByActorID)
	m.UpdatedAt = timeString(sa.UpdatedAt)
	m.UpdatedByActorID = types.StringValue(sa.UpdatedByActorID)
}

func (m *serviceAccountModel) toCreate() client.ServiceAccountCreateParams {
	return client.ServiceAccountCreateParams{
		Name:             m.Name.ValueString(),
		Description:      m.Description.ValueStringPointer(),
		OrganizationRole: m.OrganizationRole.ValueString(),
	}
}

// toUpdate sends only what changed: the API treats an omitted field as
// unchanged and an explicit null as "clear".
func (m *serviceAccountModel) toUpdate(state *serviceAccountModel) client.ServiceAccountUpdateParams {
	var p client.ServiceAccountUpdateParams
	if !m.Description.Equal(state.Description) {
		if m.Description.IsNull() {
			p.Description = client.Null[string]()
		} else {
			p.Description = client.Set(m.Description.ValueString())
		}
	}
	if !m.OrganizationRole.Equal(state.OrganizationRole) {
		p.OrganizationRole = client.Set(m.OrganizationRole.ValueString())
	}
	return p
}

// serviceAccountDataSourceAttributes are the read-only attributes; the
// single lookup makes id and name optional lookup keys instead.
func serviceAccountDataSourceAttributes(lookupKeys bool) map[string]dsschema.Attribute {
	attrs := map[string]dsschema.Attribute{
		"name":              computedDSString("Unique name of the service account."),
		"description":       computedDSString("Description, or `null` when it has none."),
		"organization_role": computedDSString("Organization role: `developer` or `admin`."),
	}
	for name, markdown := range serviceAccountReadOnly {
		attrs[name] = computedDSString(markdown)
	}
	if lookupKeys {
		attrs["id"] = dsschema.StringAttribute{
			MarkdownDescription: "Look the service account up by ID (`svac_...`). Exactly one of `id` and `name` must be set.",
			Optional:            true,
			Computed:            true,
			Validators:          []validator.String{idValidator(policy.PrefixServiceAccount, "service account")},
		}
		attrs["name"] = dsschema.StringAttribute{
			MarkdownDescription: "Look the service account up by its unique name.",
			Optional:            true,
			Computed:            true,
			Validators:          []validator.String{nameValidator()},
		}
	}
	return attrs
}

// serviceAccountListItem is an item of anthropic_service_accounts.
type serviceAccountListItem struct {
	serviceAccountModel
	ArchivedAt types.String `tfsdk:"archived_at"`
}
