package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

// stringCheck adapts a policy check (the same one the service-side
// emulator runs) into a plan-time string validator.
type stringCheck struct {
	description string
	check       func(string) error
}

func (v stringCheck) Description(context.Context) string         { return v.description }
func (v stringCheck) MarkdownDescription(context.Context) string { return v.description }

func (v stringCheck) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := v.check(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid "+v.description, fmt.Sprintf("%s: %s", req.Path, err))
	}
}

func idValidator(prefix, what string) validator.String {
	return stringCheck{
		description: what + " ID",
		check:       func(s string) error { return policy.ValidateID(prefix, s) },
	}
}

func workspaceIDValidator() validator.String {
	return stringCheck{description: "workspace ID", check: policy.ValidateWorkspaceID}
}

// storedWorkspaceIDValidator is for workspace ids kept in state: the API
// answers the default workspace by its own wrkspc_ id, never "default", so
// the alias would plan a change on every run.
func storedWorkspaceIDValidator() validator.String {
	return stringCheck{description: "workspace ID", check: func(s string) error {
		if s == policy.DefaultWorkspaceID {
			return fmt.Errorf(`"default" is not stored by the API, which always answers with the default workspace's own ID (wrkspc_...), so it would show a change on every plan; ` +
				`look the ID up with data "anthropic_workspace" "default" { default = true } and use data.anthropic_workspace.default.id`)
		}
		if err := policy.ValidateID(policy.PrefixWorkspace, s); err != nil {
			return err
		}
		return nil
	}}
}

// descriptionTextValidator refuses control and bidirectional formatting
// characters in a description (lines are fine), naming the first one and
// its position; the service refuses them too.
func descriptionTextValidator() validator.String {
	return stringCheck{description: "description", check: func(s string) error { return policy.ValidateText(s, policy.MultiLine) }}
}

func nameValidator() validator.String {
	return stringCheck{description: "name", check: policy.ValidateName}
}

type uuidValidator struct{}

func (uuidValidator) Description(context.Context) string         { return "organization UUID" }
func (uuidValidator) MarkdownDescription(context.Context) string { return "organization UUID" }
func (uuidValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	stringCheck{description: "organization ID", check: policy.ValidateUUID}.ValidateString(ctx, req, resp)
}

type durationValidator struct{ min, max time.Duration }

func (v durationValidator) Description(context.Context) string {
	return fmt.Sprintf("a Go duration between %s and %s", v.min, v.max)
}
func (v durationValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }
func (v durationValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	d, err := time.ParseDuration(req.ConfigValue.ValueString())
	if err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid duration",
			fmt.Sprintf("%s: %q is not a duration such as \"30s\" or \"2m\": %s", req.Path, req.ConfigValue.ValueString(), err))
		return
	}
	if d < v.min || d > v.max {
		resp.Diagnostics.AddAttributeError(req.Path, "Duration out of range",
			fmt.Sprintf("%s: %s is outside %s..%s", req.Path, d, v.min, v.max))
	}
}
