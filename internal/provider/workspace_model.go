package provider

// The model of a workspace as both workspace data sources
// (anthropic_workspace, anthropic_workspaces) show it, its mapping from the
// API object and its attributes. Workspaces have no resource.

import (
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

// workspaceFields are what both workspace data sources show.
type workspaceFields struct {
	ID           types.String `tfsdk:"id"`
	Name         types.String `tfsdk:"name"`
	Default      types.Bool   `tfsdk:"default"`
	DisplayColor types.String `tfsdk:"display_color"`
	CreatedAt    types.String `tfsdk:"created_at"`
	ArchivedAt   types.String `tfsdk:"archived_at"`
}

func (f *workspaceFields) fromAPI(w *client.Workspace, defaultWorkspaceID string) {
	f.ID = types.StringValue(w.ID)
	f.Name = types.StringValue(w.Name)
	f.Default = types.BoolValue(w.ID == defaultWorkspaceID)
	f.DisplayColor = optionalString(w.DisplayColor)
	f.CreatedAt = timeString(w.CreatedAt)
	f.ArchivedAt = timePtrString(w.ArchivedAt)
}

// workspaceAttributes are the read-only attributes; the single look-up
// makes id, name and default its keys instead.
func workspaceAttributes(lookupKeys bool) map[string]schema.Attribute {
	attrs := map[string]schema.Attribute{
		"id":   computedDSString("Workspace ID (`wrkspc_...`); the default workspace has one too."),
		"name": computedDSString("Name of the workspace."),
		"default": schema.BoolAttribute{
			MarkdownDescription: "Whether this is the organization's default workspace.",
			Computed:            true,
		},
		"display_color": computedDSString("Color of the workspace in the Console (hex), or `null`."),
		"created_at":    computedDSString("When the workspace was created (RFC 3339)."),
		"archived_at":   computedDSString("When the workspace was archived (RFC 3339); `null` for live ones."),
	}
	if lookupKeys {
		attrs["id"] = schema.StringAttribute{
			MarkdownDescription: "Look the workspace up by ID (`wrkspc_...`). Set exactly one of `id`, `name` and `default = true`.",
			Optional:            true,
			Computed:            true,
			Validators:          []validator.String{idValidator(policy.PrefixWorkspace, "workspace")},
		}
		attrs["name"] = schema.StringAttribute{
			MarkdownDescription: "Look the workspace up by name, among live workspaces (the default one included); it must match exactly one.",
			Optional:            true,
			Computed:            true,
		}
		attrs["default"] = schema.BoolAttribute{
			MarkdownDescription: "Set to `true` to look up the organization's default workspace. Computed for the other look-ups.",
			Optional:            true,
			Computed:            true,
		}
	}
	return attrs
}

// workspacesDataSourceModel is anthropic_workspaces.
type workspacesDataSourceModel struct {
	IncludeDefault  types.Bool        `tfsdk:"include_default"`
	IncludeArchived types.Bool        `tfsdk:"include_archived"`
	Workspaces      []workspaceFields `tfsdk:"workspaces"`
}
