package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

var (
	_ resource.Resource                   = (*federationRuleResource)(nil)
	_ resource.ResourceWithConfigure      = (*federationRuleResource)(nil)
	_ resource.ResourceWithImportState    = (*federationRuleResource)(nil)
	_ resource.ResourceWithValidateConfig = (*federationRuleResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*federationRuleResource)(nil)
	_ resource.ResourceWithIdentity       = (*federationRuleResource)(nil)
)

// federationRuleIdentityAttrs are the identity attributes, in import ID order.
var federationRuleIdentityAttrs = []string{"id"}

func newFederationRuleResource() resource.Resource { return &federationRuleResource{} }

type federationRuleResource struct{ configuredResource }

func (r *federationRuleResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_federation_rule"
}

func (r *federationRuleResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A federation rule: which identity tokens from a federation issuer may be exchanged for short-lived Claude API access tokens " +
			"of a service account, with which scope and in which workspaces.\n\n" +
			"The provider checks the rule the way the service does, on the attribute to fix, before anything is written. Mistakes the configuration " +
			"alone shows fail at `terraform plan`: the CEL `condition` must compile to a bool that depends on the token; `audience` alone, an empty " +
			"`match` or a bare `*` subject are refused. Checks that need the issuer or the target service account (rules on shared issuers — Google, " +
			"GitHub Actions, GitLab, Buildkite, Terraform Cloud — must pin your tenant; `org:admin` needs an admin target) are warnings at plan and " +
			"errors at apply, before the rule is written: as plan-time errors they would also block `terraform destroy`, which plans the configuration again. " +
			"For Google, pin `claims.sub` (the service account's numeric uniqueId) and `claims.email`, and set `audience`.\n\n" +
			"`sdk_environment` holds the environment variables a workload needs to exchange its token through this rule with an Anthropic SDK.\n\n" +
			"Destroying the rule **archives** it (the API never hard-deletes); exchanges through it stop at once.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "Federation rule ID (`fdrl_...`).",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Unique name within the organization: lowercase letters, digits and hyphens, 1–255 characters. Can be changed in place.",
				Required:            true,
				Validators:          []validator.String{nameValidator()},
			},
			"description": schema.StringAttribute{
				MarkdownDescription: "Free-text description, up to 2000 characters. Omit it for no description: removing it from the " +
					"configuration clears it. An empty string is rejected because the API returns a cleared description as `\"\"` and cannot tell the two apart.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.LengthBetween(1, policy.MaxDescriptionLength), descriptionTextValidator()},
			},
			"issuer_id": schema.StringAttribute{
				MarkdownDescription: "ID of the federation issuer (`fdis_...`) whose tokens the rule accepts. The API cannot move a rule to another issuer, so changing it **replaces** the rule.",
				Required:            true,
				Validators:          []validator.String{idValidator(policy.PrefixIssuer, "federation issuer")},
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"issuer_name": computedString("Name of the federation issuer.", false),
			"match":       ruleMatchAttribute(),
			"target":      ruleTargetAttribute(),
			"oauth_scope": schema.StringAttribute{
				MarkdownDescription: "Space-separated scopes of the minted tokens, each at most once, out of `" + strings.Join(policy.OAuthScopes(), "`, `") +
					"` (for example `\"workspace:developer workspace:inference\"`); the order does not matter and reordering plans no change. " +
					"`org:admin` needs a target service account with `organization_role = \"admin\"`. The API lets an OAuth access token (what this " +
					"provider uses) create and change only rules whose scopes are `workspace:developer` and/or `workspace:inference`; the others need a Console session (`403`).",
				Required:      true,
				Validators:    []validator.String{stringCheck{description: "OAuth scope", check: policy.ValidateOAuthScope}},
				PlanModifiers: []planmodifier.String{sameScopesKeepState{}},
			},
			"workspace_ids": schema.SetAttribute{
				MarkdownDescription: "Workspaces the rule is explicitly enabled in: workspace IDs (`wrkspc_...`), at least one. The default " +
					"workspace has its own ID too: look it up with `data \"anthropic_workspace\"` and `default = true`. Required unless " +
					"`applies_to_all_workspaces = true`; both may be set, and then the API keeps these enablements but ignores them at exchange " +
					"until the rule is narrowed again. The rule is created in the first workspace and the others " +
					"are enabled and disabled in place through the rule's workspaces sub-resource.\n\n" +
					"This attribute is **authoritative**: enablements added or removed elsewhere (in the Console, or with " +
					"`anthropic_federation_rule_workspace`) show as drift and are reverted. To manage enablements with " +
					"`anthropic_federation_rule_workspace` instead, set `workspace_ids` to the first workspace and add " +
					"`lifecycle { ignore_changes = [workspace_ids] }`.",
				ElementType: types.StringType,
				CustomType:  newStringSetType(),
				Optional:    true,
				Validators: []validator.Set{
					setvalidator.SizeAtLeast(1),
					setvalidator.ValueStringsAre(storedWorkspaceIDValidator()),
				},
			},
			"applies_to_all_workspaces": schema.BoolAttribute{
				MarkdownDescription: "Enable the rule in every workspace of the organization, present and future; `workspace_ids`, if set, are then kept but ignored at exchange. Set this to `true`, `workspace_ids`, or both. Defaults to `false`.",
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(false),
			},
			"token_lifetime_seconds": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("Upper bound of the minted access tokens' lifetime, %d–%d seconds. Defaults to `%d`. A token never outlives twice the remaining validity of the identity token it was exchanged for.",
					policy.MinTokenLifetime, policy.MaxTokenLifetime, policy.DefaultTokenLifetime),
				Optional:   true,
				Computed:   true,
				Default:    int64default.StaticInt64(policy.DefaultTokenLifetime),
				Validators: []validator.Int64{int64validator.Between(policy.MinTokenLifetime, policy.MaxTokenLifetime)},
			},
			"allow_google_subject_prefix": schema.BoolAttribute{
				MarkdownDescription: "Opt-out: turn the plan-time error for `match.subject_prefix` on Google's issuer (`https://accounts.google.com`) into a " +
					"warning. Google `sub` values are numeric uniqueIds with no stable prefix, so a prefix can match service accounts in every Google " +
					"project; prefer `claims.sub` and `claims.email`. Only the provider's own check is relaxed: the service may still refuse the rule. " +
					"Not sent to the API. Defaults to `false`.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
			},
			"sdk_environment": schema.MapAttribute{
				MarkdownDescription: "Environment variables for a workload using this rule with an Anthropic SDK: `ANTHROPIC_FEDERATION_RULE_ID`, " +
					"`ANTHROPIC_ORGANIZATION_ID` (the provider's `organization_id`, when set), `ANTHROPIC_SERVICE_ACCOUNT_ID` and, when the rule is " +
					"enabled in exactly one workspace, `ANTHROPIC_WORKSPACE_ID`. Feed it to a container's `env` with a `dynamic` block; add the identity " +
					"token source (`ANTHROPIC_IDENTITY_TOKEN_FILE`) yourself.",
				ElementType: types.StringType,
				Computed:    true,
			},
			"created_at":          computedString("When the rule was created (RFC 3339).", true),
			"created_by_actor_id": computedString("ID of the user or service account that created the rule.", true),
			"updated_at":          computedString("When the rule was last changed (RFC 3339).", false),
			"updated_by_actor_id": computedString("ID of the user or service account that last changed the rule.", false),
		},
	}
}

func (r *federationRuleResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = idIdentitySchema("Federation rule", "fdrl_")
}

// organizationID is the organization for sdk_environment: configured, or
// looked up by resolveOrgID at the start of the operation.
func (r *federationRuleResource) organizationID() string {
	if r.data == nil {
		return ""
	}
	return r.data.knownOrgID()
}

func (r *federationRuleResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var cfg federationRuleModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	validateWorkspaceChoice(cfg.WorkspaceIDs.SetValue, cfg.AppliesToAllWorkspaces, &resp.Diagnostics)
	if n := cfg.decodeNested(ctx, &resp.Diagnostics); n.matchSet && !resp.Diagnostics.HasError() {
		validateMatchConfig(n, &resp.Diagnostics, true)
	}
}

// ModifyPlan runs the guards that need the API: the issuer (tenant pinning
// depends on its URL) and the target service account (org:admin needs an
// admin). Both are GETs; nothing is written at plan time. It also fills the
// computed values the plan can know: the target's name, sdk_environment.
func (r *federationRuleResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	ctx = maskSecrets(ctx)
	if req.Plan.Raw.IsNull() {
		return // destroy
	}
	creating := req.State.Raw.IsNull()
	var plan, state federationRuleModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if !creating {
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	}
	if resp.Diagnostics.HasError() || !r.data.resolveOrgID(ctx, &resp.Diagnostics) {
		return
	}
	n := plan.decodeNested(ctx, &resp.Diagnostics)
	var stateTarget ruleTargetModel
	if !creating {
		stateTarget = state.decodeTarget(ctx, &resp.Diagnostics)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	if !creating && sameConfiguredRule(&plan, &state, n.target, stateTarget) {
		// Only an equivalent spelling changed (oauth_scope reordered, kept as
		// in state by its plan modifier): the framework still marked the
		// computed attributes unknown; nothing will be written, so the
		// state is the plan.
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &state)...)
		return
	}
	// Compared on the model, not with req.Plan.Raw.Equal: tftypes compares
	// sets pair by pair, which is quadratic in workspace_ids.
	if !creating && plan.sameAs(&state) {
		return // no change: nothing the service would re-check
	}
	target, targetOK := n.target, n.targetSet
	targetChanged := creating || !target.ServiceAccountID.Equal(stateTarget.ServiceAccountID)

	if scope := plan.OAuthScope; !scope.IsUnknown() && privilegedScope(scope.ValueString()) {
		resp.Diagnostics.AddAttributeWarning(path.Root("oauth_scope"), "oauth_scope "+scope.ValueString()+" needs a Console session",
			fmt.Sprintf("oauth_scope: the API lets an OAuth access token manage only %s rules; creating or changing a %s rule with one is refused (403). "+
				"Apply this change with Console credentials, or make it in the Console.", strings.Join(policy.OAuthCallerScopes(), " and "), scope.ValueString()))
	}

	var guard ruleGuardResult
	if r.data != nil && r.data.client != nil {
		guard = planRuleGuards(ctx, r.data, ruleGuardInput{
			issuerID:    plan.IssuerID,
			match:       n.wire,
			matchKnown:  n.matchKnown,
			scope:       plan.OAuthScope,
			target:      target.ServiceAccountID,
			checkTarget: targetOK && (targetChanged || !plan.OAuthScope.Equal(state.OAuthScope)),
			allowGoogle: plan.AllowGoogleSubjectPrefix.ValueBool(),
		}, &resp.Diagnostics)
	}
	if resp.Diagnostics.HasError() {
		return
	}

	// Service account names are immutable, so the target's name is known
	// whenever its ID is unchanged or was just read.
	switch {
	case !targetOK:
	case !targetChanged:
		target.ServiceAccountName = stateTarget.ServiceAccountName
	case guard.serviceAccountName != "":
		target.ServiceAccountName = types.StringValue(guard.serviceAccountName)
	default:
		target.ServiceAccountName = types.StringUnknown()
	}
	if targetOK {
		plan.Target = ruleTargetObject(ctx, target)
	}
	plan.SDKEnvironment = sdkEnvironmentValue(plan.ID, target.ServiceAccountID, r.organizationID(), plan.WorkspaceIDs.SetValue, plan.AppliesToAllWorkspaces)
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// applyGuards repeats the plan's checks right before a write: values that
// were unknown at plan time (an issuer created in the same apply, claims
// from another resource) are known now, and the issuer may have changed
// since. Warnings were shown at plan time; only a create, whose issuer may
// not have been readable then, repeats them.
func (r *federationRuleResource) applyGuards(ctx context.Context, plan *federationRuleModel, n ruleNested, state *federationRuleModel, stateTarget ruleTargetModel, diags *diag.Diagnostics) bool {
	creating := state == nil
	if !n.matchSet || diags.HasError() {
		return !diags.HasError()
	}
	validateMatchConfig(n, diags, false)
	validateWorkspaceChoice(plan.WorkspaceIDs.SetValue, plan.AppliesToAllWorkspaces, diags)
	if diags.HasError() {
		return false
	}
	checkTarget := creating
	if !creating {
		checkTarget = !n.target.ServiceAccountID.Equal(stateTarget.ServiceAccountID) || !plan.OAuthScope.Equal(state.OAuthScope)
	}
	remoteRuleGuards(ctx, r.data, ruleGuardInput{
		issuerID:    plan.IssuerID,
		match:       n.wire,
		matchKnown:  true,
		scope:       plan.OAuthScope,
		target:      n.target.ServiceAccountID,
		checkTarget: checkTarget,
		allowGoogle: plan.AllowGoogleSubjectPrefix.ValueBool(),
	}, diags, creating)
	return !diags.HasError()
}

// addWriteError explains a failed write in user words, with the API's
// details. A 403 on a privileged scope gets the reason spelled out.
func addWriteError(diags *diag.Diagnostics, summary, scope string, err error) {
	switch {
	case client.IsForbidden(err) && privilegedScope(scope):
		diags.AddAttributeError(path.Root("oauth_scope"), summary+": oauth_scope "+scope+" needs a Console session", privilegedScopeDetail(scope, err))
	case client.IsConflict(err):
		diags.AddAttributeError(path.Root("name"), summary+": the name is taken",
			apiErrorDetail(err)+"\nFederation rule names are unique in the organization: choose another name, or import the existing rule with `terraform import` (by its fdrl_ ID).")
	default:
		addAPIError(diags, summary, err)
	}
}

func (r *federationRuleResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	defer identityFromState(ctx, resp.Identity, &resp.Diagnostics, federationRuleIdentityAttrs, &resp.State)
	ctx, plan, ok := begin[federationRuleModel](ctx, r.data, req.Plan.Get, &resp.Diagnostics)
	if !ok {
		return
	}
	n := plan.decodeNested(ctx, &resp.Diagnostics)
	if !r.applyGuards(ctx, &plan, n, nil, ruleTargetModel{}, &resp.Diagnostics) || !r.data.resolveOrgID(ctx, &resp.Diagnostics) {
		return
	}
	params, workspaces := plan.toCreate(n)
	c := r.data.client
	rule, err := createRecovering(ctx, &resp.Diagnostics, "federation rule", params.Name,
		func(ctx context.Context) (*client.FederationRule, error) { return c.CreateFederationRule(ctx, params) },
		func(ctx context.Context, since time.Time) (*client.FederationRule, error) {
			found, err := c.FindFederationRuleByName(ctx, params.Name)
			if err != nil || found == nil || !createdSince(found.CreatedAt, since) || !ruleDefinedAs(found, params) {
				return nil, err
			}
			return found, nil
		})
	if err != nil {
		if client.IsConflict(err) {
			resp.Diagnostics.AddAttributeError(path.Root("name"), fmt.Sprintf("Unable to create federation rule %q: the name is taken", params.Name),
				apiErrorDetail(err)+"\nFederation rule names are unique in the organization: choose another name, or import the existing rule with `terraform import` (by its fdrl_ ID)."+
					importHint(ctx, "anthropic_federation_rule", func(ctx context.Context) (string, error) {
						found, err := c.FindFederationRuleByName(ctx, params.Name)
						if found == nil {
							return "", err
						}
						return found.ID, err
					}))
			return
		}
		addWriteError(&resp.Diagnostics, fmt.Sprintf("Unable to create federation rule %q", params.Name), params.OAuthScope, err)
		return
	}
	// Record the rule first: whatever happens next, it is tracked.
	plan.fromAPI(ctx, rule, r.organizationID())
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	tflog.Info(ctx, "created federation rule", map[string]any{"id": rule.ID})

	enabled, ok := r.syncWorkspaces(ctx, rule.ID, rule.WorkspaceIDs, workspaces, params.OAuthScope, &resp.Diagnostics)
	if !ok {
		plan.WorkspaceIDs = workspaceSet(enabled)
		plan.SDKEnvironment = sdkEnvironmentValue(plan.ID, types.StringValue(rule.Target.ServiceAccountID), r.organizationID(), plan.WorkspaceIDs.SetValue, plan.AppliesToAllWorkspaces)
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		return
	}
	r.settle(ctx, &plan, rule.ID, rule.UpdatedAt, workspaces, r.writtenFields(ctx, &plan, rule), &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// syncWorkspaces enables and disables workspaces until the rule is enabled
// in exactly desired, adding before removing so the rule is never left
// enabled nowhere. It returns the enablements as far as it got.
func (r *federationRuleResource) syncWorkspaces(ctx context.Context, ruleID string, current, desired []string, scope string, diags *diag.Diagnostics) ([]string, bool) {
	add, remove := workspaceDiff(current, desired)
	have := append([]string(nil), current...)
	for _, ws := range add {
		if _, err := r.data.client.EnableFederationRuleWorkspace(ctx, ruleID, ws); err != nil {
			summary := fmt.Sprintf("Unable to enable federation rule %s in workspace %s", ruleID, ws)
			if client.IsNotFound(err) {
				diags.AddAttributeError(path.Root("workspace_ids"), summary,
					apiErrorDetail(err)+"\nworkspace_ids: check that the workspace exists in this organization.")
			} else {
				addWriteError(diags, summary, scope, err)
			}
			return have, false
		}
		have = append(have, ws)
	}
	for _, ws := range remove {
		if err := r.data.client.DisableFederationRuleWorkspace(ctx, ruleID, ws); err != nil {
			addWriteError(diags, fmt.Sprintf("Unable to disable federation rule %s in workspace %s", ruleID, ws), scope, err)
			return have, false
		}
		have = slices.DeleteFunc(have, func(x string) bool { return x == ws })
	}
	return have, true
}

// settle waits until reads return what was just written (the API may serve
// a stale copy briefly), so the next plan does not show phantom drift, and
// then takes the fresh copy: enablement writes move updated_at too. When
// the wait runs out, fallback puts the written values in the model and a
// warning says so.
func (r *federationRuleResource) settle(ctx context.Context, plan *federationRuleModel, ruleID string, writtenAt time.Time, workspaces []string, fallback func(), diags *diag.Diagnostics) {
	fresh, ok := awaitWrite(ctx, diags, "federation rule", writtenAt, func(ctx context.Context) (*client.FederationRule, time.Time, error) {
		got, err := r.data.client.GetFederationRule(ctx, ruleID)
		if err != nil {
			return nil, time.Time{}, err
		}
		if !sameMembers(got.WorkspaceIDs, workspaces) {
			return nil, time.Time{}, nil // an enablement write is not visible yet
		}
		return got, got.UpdatedAt, nil
	})
	if ok {
		plan.fromAPI(ctx, fresh, r.organizationID())
		return
	}
	fallback()
	plan.WorkspaceIDs = workspaceSet(workspaces)
	plan.SDKEnvironment = sdkEnvironmentValue(plan.ID, types.StringValue(targetID(ctx, &plan.federationRuleFields)), r.organizationID(), plan.WorkspaceIDs.SetValue, plan.AppliesToAllWorkspaces)
}

// writtenFields puts a write's response into the model.
func (r *federationRuleResource) writtenFields(ctx context.Context, plan *federationRuleModel, rule *client.FederationRule) func() {
	return func() {
		plan.fromAPI(ctx, rule, r.organizationID())
	}
}

func (r *federationRuleResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	defer identityFromState(ctx, resp.Identity, &resp.Diagnostics, federationRuleIdentityAttrs, &resp.State, &req.State)
	ctx, state, ok := begin[federationRuleModel](ctx, r.data, req.State.Get, &resp.Diagnostics)
	if !ok {
		return
	}
	if !r.data.resolveOrgID(ctx, &resp.Diagnostics) {
		return
	}
	rule, err := r.data.client.GetFederationRule(ctx, state.ID.ValueString())
	if !readLive(ctx, resp, "federation rule", state.ID.ValueString(), rule, err) {
		return
	}
	state.fromAPI(ctx, rule, r.organizationID())
	if state.AllowGoogleSubjectPrefix.IsNull() {
		state.AllowGoogleSubjectPrefix = types.BoolValue(false) // after import
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *federationRuleResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	defer identityFromState(ctx, resp.Identity, &resp.Diagnostics, federationRuleIdentityAttrs, &resp.State)
	ctx, plan, state, ok := beginUpdate[federationRuleModel](ctx, r.data, req, &resp.Diagnostics)
	if !ok {
		return
	}
	n := plan.decodeNested(ctx, &resp.Diagnostics)
	stateTarget := state.decodeTarget(ctx, &resp.Diagnostics)
	if !r.applyGuards(ctx, &plan, n, &state, stateTarget, &resp.Diagnostics) || !r.data.resolveOrgID(ctx, &resp.Diagnostics) {
		return
	}
	id := state.ID.ValueString()
	params := plan.toUpdate(&state, n, stateTarget)
	// The scope that decides who may write is the rule's current one when it
	// is privileged (the API guards changes to such rules), else the new one.
	scope := plan.OAuthScope.ValueString()
	if privilegedScope(state.OAuthScope.ValueString()) {
		scope = state.OAuthScope.ValueString()
	}

	stateWS, _ := setStrings(state.WorkspaceIDs.SetValue)
	current := stateWS
	desired, _ := setStrings(plan.WorkspaceIDs.SetValue)
	written := (*client.FederationRule)(nil)
	// keepPartial records what is known to be true after a failed step, so
	// the next plan retries the rest.
	keepPartial := func(enabled []string) {
		base := written
		if base == nil {
			base, _ = r.data.client.GetFederationRule(ctx, id)
		}
		if base != nil {
			plan.fromAPI(ctx, base, r.organizationID())
		} else {
			plan.federationRuleFields = state.federationRuleFields
		}
		plan.WorkspaceIDs = workspaceSet(enabled)
		plan.SDKEnvironment = sdkEnvironmentValue(plan.ID, types.StringValue(targetID(ctx, &plan.federationRuleFields)), r.organizationID(), plan.WorkspaceIDs.SetValue, plan.AppliesToAllWorkspaces)
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	}
	// Narrowing from all workspaces: enable the explicit workspaces first
	// (the API allows it while the rule applies to all), so the rule is never
	// live in no workspace and applies_to_all_workspaces = false is accepted.
	if !plan.AppliesToAllWorkspaces.ValueBool() && state.AppliesToAllWorkspaces.ValueBool() {
		enabled, ok := r.syncWorkspaces(ctx, id, current, desired, scope, &resp.Diagnostics)
		if !ok {
			keepPartial(enabled)
			return
		}
		current = enabled
	}
	if !updateIsEmpty(params) {
		rule, err := r.data.client.UpdateFederationRule(ctx, id, params)
		if err != nil {
			addWriteError(&resp.Diagnostics, "Unable to update federation rule "+id, scope, err)
			if !sameMembers(current, stateWS) {
				keepPartial(current)
			}
			return
		}
		written = rule
		current = rule.WorkspaceIDs
	}

	enabled, ok := r.syncWorkspaces(ctx, id, current, desired, scope, &resp.Diagnostics)
	if !ok {
		keepPartial(enabled)
		return
	}
	if written == nil && sameMembers(current, desired) {
		// Only provider-side settings changed (allow_google_subject_prefix):
		// nothing was sent, the rule is as it was.
		plan.federationRuleFields = state.federationRuleFields
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		return
	}
	fallback := func() {
		// Only enablements changed: the rule is as it was.
		plan.federationRuleFields = state.federationRuleFields
	}
	writtenAt, _ := time.Parse(time.RFC3339, state.UpdatedAt.ValueString())
	if written != nil {
		fallback = r.writtenFields(ctx, &plan, written)
		writtenAt = written.UpdatedAt
	}
	r.settle(ctx, &plan, id, writtenAt, desired, fallback, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *federationRuleResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	ctx, state, ok := begin[federationRuleModel](ctx, r.data, req.State.Get, &resp.Diagnostics)
	if !ok {
		return
	}
	id := state.ID.ValueString()
	_, err := r.data.client.ArchiveFederationRule(ctx, id)
	switch {
	case err == nil, client.IsNotFound(err):
	case client.IsForbidden(err) && privilegedScope(state.OAuthScope.ValueString()):
		resp.Diagnostics.AddError("Unable to archive federation rule "+id+": oauth_scope "+state.OAuthScope.ValueString()+" needs a Console session",
			privilegedScopeDetail(state.OAuthScope.ValueString(), err)+
				"\nArchive the rule in the Console, then run `terraform state rm` on it (or apply again: a rule archived elsewhere is dropped from state).")
	default:
		addAPIError(&resp.Diagnostics, "Unable to archive federation rule "+id, err)
	}
}

func (r *federationRuleResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	importByID(ctx, req, resp, federationRuleIdentityAttrs, policy.PrefixRule, "federation rule")
}

// mapAttributePaths are the attributes, below the rule, whose children are
// map keys rather than nested attribute names.
var mapAttributePaths = map[string]bool{"match.claims": true}

// findingPath turns a policy finding's path, such as
// ["match","claims","sub"], into the framework path of that attribute, so
// the diagnostic points at the offending line of the configuration.
func findingPath(p []string) path.Path {
	if len(p) == 0 {
		return path.Empty()
	}
	out := path.Root(p[0])
	for i := 1; i < len(p); i++ {
		if mapAttributePaths[strings.Join(p[:i], ".")] {
			out = out.AtMapKey(p[i])
		} else {
			out = out.AtName(p[i])
		}
	}
	return out
}

// addFindings reports policy findings at their attributes. Summaries repeat
// the path in the service's field-first style, so the message names the
// attribute even where Terraform cannot show the source line.
func addFindings(diags *diag.Diagnostics, findings []policy.Finding, withWarnings bool) {
	for _, f := range findings {
		summary := "Federation rule " + f.Error()
		switch f.Severity {
		case policy.SeverityError:
			diags.AddAttributeError(findingPath(f.Path), summary, f.Detail)
		case policy.SeverityWarning:
			if withWarnings {
				diags.AddAttributeWarning(findingPath(f.Path), summary, f.Detail)
			}
		}
	}
}

// validateMatchConfig runs the issuer-independent match checks. Everything
// it needs is in the configuration, so it makes no API request. A condition
// is compiled on its own when the rest of the match is not known yet, so a
// CEL mistake shows at the earliest plan.
func validateMatchConfig(n ruleNested, diags *diag.Diagnostics, withWarnings bool) {
	if n.matchKnown {
		addFindings(diags, policy.ValidateMatch(n.wire), withWarnings)
		return
	}
	if cond := n.match.Condition; !cond.IsNull() && !cond.IsUnknown() {
		if _, err := policy.CompileCondition(cond.ValueString()); err != nil {
			diags.AddAttributeError(path.Root("match").AtName("condition"), "Federation rule match.condition: "+err.Error(),
				"condition is a CEL expression over the variable claims that must evaluate to a bool and depend on the token, e.g. claims.email == \"robot@example.com\".")
		}
	}
}

// validateWorkspaceChoice enforces that the rule is enabled somewhere:
// workspace_ids, applies_to_all_workspaces = true, or both (the API keeps
// explicit enablements while the rule applies to all workspaces and ignores
// them at exchange until it is narrowed again).
func validateWorkspaceChoice(ws types.Set, all types.Bool, diags *diag.Diagnostics) {
	if ws.IsUnknown() || all.IsUnknown() {
		return
	}
	allTrue := all.ValueBool()
	switch {
	case ws.IsNull() && !allTrue:
		diags.AddAttributeError(path.Root("workspace_ids"), "Missing workspaces",
			"workspace_ids: a federation rule must be enabled somewhere. Set workspace_ids to one or more workspace IDs "+
				"(wrkspc_...; data.anthropic_workspace finds them, the default workspace included), or set applies_to_all_workspaces = true.")
	}
}

// ruleGuardInput is what the issuer- and target-dependent guards look at.
type ruleGuardInput struct {
	issuerID    types.String
	match       client.RuleMatch
	matchKnown  bool
	scope       types.String
	target      types.String // service account id
	checkTarget bool         // the target or the scope is new: read the service account
	allowGoogle bool
}

// ruleGuardResult carries what the guards learned.
type ruleGuardResult struct {
	serviceAccountName string // set when the target was read
}

// remoteRuleGuards runs the checks that need the issuer or the target
// service account, reading each (GET only, through the provider instance's
// read cache, so many rules on one issuer read it once) when its ID is known. The
// service applies the same tenant-pinning and organization-role rules and
// answers 400; checking first turns that into a plan-time error on the
// attribute to fix, with no write attempted.
func remoteRuleGuards(ctx context.Context, pd *providerData, in ruleGuardInput, diags *diag.Diagnostics, withWarnings bool) ruleGuardResult {
	var res ruleGuardResult
	if !in.issuerID.IsUnknown() && !in.issuerID.IsNull() {
		issuerID := in.issuerID.ValueString()
		is, err := pd.federationIssuer(ctx, issuerID)
		switch {
		case client.IsNotFound(err):
			diags.AddAttributeError(path.Root("issuer_id"), "Federation issuer not found",
				fmt.Sprintf("issuer_id: no federation issuer %s exists in this organization. Check the ID, or create the issuer first.", issuerID))
		case err != nil:
			addAPIError(diags, "Unable to read federation issuer "+issuerID+" to check the rule", err)
		case is.IsArchived():
			diags.AddAttributeError(path.Root("issuer_id"), "Federation issuer is archived",
				fmt.Sprintf("issuer_id: federation issuer %s (%s) is archived, so rules cannot use it. Point the rule at a live issuer.", issuerID, is.Name))
		case in.matchKnown:
			addFindings(diags, policy.CheckTenantPin(is.IssuerURL, in.match, policy.TenantOptions{AllowGoogleSubjectPrefix: in.allowGoogle}), withWarnings)
		}
	}
	if in.checkTarget && !in.target.IsUnknown() && !in.target.IsNull() {
		saID := in.target.ValueString()
		targetPath := path.Root("target").AtName("service_account_id")
		sa, err := pd.serviceAccount(ctx, saID)
		switch {
		case client.IsNotFound(err):
			diags.AddAttributeError(targetPath, "Target service account not found",
				fmt.Sprintf("target.service_account_id: no service account %s exists in this organization.", saID))
		case err != nil:
			addAPIError(diags, "Unable to read service account "+saID+" to check the rule's target", err)
		case sa.IsArchived():
			diags.AddAttributeError(targetPath, "Target service account is archived",
				fmt.Sprintf("target.service_account_id: service account %s (%s) is archived; a rule must target a live service account.", saID, sa.Name))
		default:
			res.serviceAccountName = sa.Name
			if policy.HasOAuthScope(in.scope.ValueString(), policy.ScopeOrgAdmin) && sa.OrganizationRole != "admin" {
				diags.AddAttributeError(path.Root("oauth_scope"), "oauth_scope org:admin needs an admin service account",
					fmt.Sprintf("oauth_scope: an org:admin rule must target a service account with organization_role = \"admin\", but %s (%s) is %q. "+
						"Target an admin service account (creating or promoting one needs an interactive credential: a user's OAuth token, not a token minted by a federation exchange), "+
						"or use a workspace scope such as workspace:developer.",
						saID, sa.Name, sa.OrganizationRole))
			}
		}
	}
	return res
}

// planGuardNote explains why a finding of the remote guards is a warning
// at plan time.
const planGuardNote = "This check depends on the issuer or the target service account, which live outside this resource and may change " +
	"outside this configuration, so the plan reports it as a warning: as an error it would also stop `terraform destroy` and refreshes, " +
	"which plan the configuration again. Apply repeats the check and refuses the rule before anything is written."

// planRuleGuards runs the remote guards for a plan. What they find is
// reported as warnings, on the attribute to fix: a plan-time error would
// trap the configuration, because Terraform plans it again before a destroy
// (the pre-destroy refresh) and a provider cannot tell that plan from any
// other. The same checks run as errors in Create and Update, before any
// write. Checks whose inputs are not known yet are announced, so a rule
// that will be checked only at apply does not look verified.
func planRuleGuards(ctx context.Context, pd *providerData, in ruleGuardInput, diags *diag.Diagnostics) ruleGuardResult {
	var found diag.Diagnostics
	res := remoteRuleGuards(ctx, pd, in, &found, true)
	for _, d := range found {
		if d.Severity() != diag.SeverityError {
			diags.Append(d)
			continue
		}
		summary, detail := "Will fail at apply: "+d.Summary(), d.Detail()+"\n\n"+planGuardNote
		if wp, ok := d.(diag.DiagnosticWithPath); ok {
			diags.AddAttributeWarning(wp.Path(), summary, detail)
		} else {
			diags.AddWarning(summary, detail)
		}
	}
	switch {
	case in.issuerID.IsUnknown():
		diags.AddAttributeWarning(path.Root("issuer_id"), "Federation rule checked at apply: the issuer is created in this run",
			"issuer_id is known only after apply (the issuer is created or replaced in this run), so the checks that need the issuer "+
				"(that it exists and is live, and the tenant pinning required on shared issuers such as "+policy.GoogleIssuer+") run at apply, "+
				"before the rule is written. To see them at plan time, apply the issuer first (terraform apply -target=<the issuer>).")
	case !in.issuerID.IsNull() && !in.matchKnown:
		diags.AddAttributeWarning(path.Root("match"), "Federation rule match checked at apply: it is known only after apply",
			"Part of match comes from values known only after apply, so the tenant-pinning checks of the issuer run at apply, before the rule is written.")
	}
	if in.checkTarget && in.target.IsUnknown() && (in.scope.IsUnknown() || policy.HasOAuthScope(in.scope.ValueString(), policy.ScopeOrgAdmin)) {
		diags.AddAttributeWarning(path.Root("target").AtName("service_account_id"),
			"Federation rule checked at apply: the target service account is created in this run",
			"target.service_account_id is known only after apply, so the check that an org:admin rule targets an admin service account runs at apply, "+
				"before the rule is written.")
	}
	return res
}

// privilegedScope reports oauth_scope values only a Console session may
// grant or change (any scope beyond workspace:developer and
// workspace:inference); the provider's OAuth credential gets 403 for them.
func privilegedScope(scope string) bool { return !policy.IsOAuthCallerScope(scope) }

// privilegedScopeDetail explains a 403 on a rule with a privileged scope.
func privilegedScopeDetail(scope string, err error) string {
	return fmt.Sprintf("oauth_scope: rules with oauth_scope %q can only be created, changed or archived from an Anthropic Console session. "+
		"An OAuth access token, which is what this provider authenticates with, may only manage rules whose scopes are %s. "+
		"Create or change this rule in the Console and, if you want Terraform to track it, import it (terraform import with its fdrl_ ID) "+
		"and leave it unchanged; or use a workspace scope.\n\n%s",
		scope, strings.Join(policy.OAuthCallerScopes(), " and/or "), apiErrorDetail(err))
}
