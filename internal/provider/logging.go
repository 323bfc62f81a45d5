package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/wiflabs/terraform-provider-anthropic/internal/redact"
)

// secretFieldKeys are log field keys whose values are always masked.
var secretFieldKeys = []string{"auth_token", "access_token", "assertion", "identity_token", "authorization", "token"}

// secretPatterns catch secrets wherever they appear in a log value or
// message; they are the patterns every error of the provider is redacted
// with (Anthropic keys and tokens, Google tokens, JWTs, PEM keys,
// Authorization headers, URL passwords, in any letter case).
var secretPatterns = redact.Patterns()

// maskSecrets returns a context whose tflog output masks tokens, JWTs and
// keys. Every CRUD entry point calls it: masking is scoped to a context.
func maskSecrets(ctx context.Context) context.Context {
	ctx = tflog.MaskFieldValuesWithFieldKeys(ctx, secretFieldKeys...)
	ctx = tflog.MaskAllFieldValuesRegexes(ctx, secretPatterns...)
	ctx = tflog.MaskMessageRegexes(ctx, secretPatterns...)
	return ctx
}

// tflogAdapter routes the API client's logs to tflog, masked.
type tflogAdapter struct{}

func (tflogAdapter) Debug(ctx context.Context, msg string, kv ...any) {
	tflog.Debug(maskSecrets(ctx), msg, kvToFields(kv))
}

func (tflogAdapter) Warn(ctx context.Context, msg string, kv ...any) {
	tflog.Warn(maskSecrets(ctx), msg, kvToFields(kv))
}

func kvToFields(kv []any) map[string]any {
	fields := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			continue
		}
		// Masking applies to strings only: an error would be logged raw.
		if err, isErr := kv[i+1].(error); isErr {
			fields[k] = redact.String(err.Error())
		} else {
			fields[k] = kv[i+1]
		}
	}
	return fields
}
