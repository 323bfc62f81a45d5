package provider

// How API errors become diagnostics.

import (
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"

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
