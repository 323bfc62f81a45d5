package provider

// How API errors become diagnostics.

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/redact"
)

// apiErrorDetail renders an API error for a diagnostic: the API's error
// type, message and request id, never a credential.
func apiErrorDetail(err error) string {
	var apiErr *client.APIError
	if errors.As(err, &apiErr) {
		d := fmt.Sprintf("The Anthropic API answered HTTP %d (%s): %s", apiErr.StatusCode, apiErr.Type, apiErr.Message)
		if apiErr.RequestID != "" {
			d += fmt.Sprintf("\nRequest ID: %s (quote it when contacting Anthropic support)", apiErr.RequestID)
		}
		switch apiErr.StatusCode {
		case 401:
			d += "\nThe credential was refused: check that auth_token (or ANTHROPIC_AUTH_TOKEN) is a live OAuth access token with the org:admin scope, " +
				"or, with keyless authentication, that the federation rule has the org:admin scope and targets an admin service account."
		case 403:
			d += "\nThe credential lacks permission for this change. OAuth callers may only manage rules whose scopes are workspace:developer and/or " +
				"workspace:inference, and the issuers behind them; other rules need a Console session. Creating or promoting an admin service account needs " +
				"an interactive credential (a user's OAuth token, such as ANTHROPIC_AUTH_TOKEN); a token minted by a federation exchange is not one."
		}
		return d
	}
	// Not an answer from the API: a transport error, a federation token
	// source's failure (identity sources, Google). The client redacts what it
	// builds; this covers the rest.
	return redact.String(err.Error())
}

func addAPIError(diags *diag.Diagnostics, summary string, err error) {
	diags.AddError(summary, apiErrorDetail(err))
}

// addArchiveError reports a Delete's failed archive of what (an object
// already gone counts as archived; a nil err reports nothing). The API
// answers 400 while live rules still use the object: the rules listed with
// params that uses picks are then named in inUse, a format given their
// names and the API's detail that says what to do.
func addArchiveError(ctx context.Context, diags *diag.Diagnostics, c *client.Client, what, id string, err error,
	params client.FederationRuleListParams, uses func(*client.FederationRule) bool, inUse string,
) {
	switch {
	case err == nil, client.IsNotFound(err):
	case client.IsBadRequest(err):
		detail := apiErrorDetail(err)
		if rules := liveRuleNames(ctx, c, params, uses); len(rules) > 0 {
			detail = fmt.Sprintf(inUse, strings.Join(rules, ", "), detail)
		}
		diags.AddError("Unable to archive "+what+" "+id, detail)
	default:
		addAPIError(diags, "Unable to archive "+what+" "+id, err)
	}
}

// liveRuleNames names ("id (name)", sorted) the live rules listed with
// params that pick chooses, to say which rules block an archival. Best
// effort: a listing failure just ends the list.
func liveRuleNames(ctx context.Context, c *client.Client, params client.FederationRuleListParams, pick func(*client.FederationRule) bool) []string {
	var names []string
	params.Limit = listPageSize
	for rule, err := range c.ListFederationRules(ctx, params) {
		if err != nil {
			tflog.Debug(ctx, "listing federation rules failed", map[string]any{"error": err.Error()})
			break
		}
		if pick(&rule) && !rule.IsArchived() {
			names = append(names, fmt.Sprintf("%s (%s)", rule.ID, rule.Name))
		}
	}
	sort.Strings(names)
	return names
}
