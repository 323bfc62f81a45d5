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

// apiLogSubsystem is the tflog subsystem of the API client's lines (one
// per HTTP attempt, one per retry). They follow TF_LOG / TF_LOG_PROVIDER;
// TF_LOG_PROVIDER_ANTHROPIC_API sets their level on its own.
const apiLogSubsystem = "api"

// tflogAdapter routes the API client's logs to the api subsystem, masked.
type tflogAdapter struct{}

func (tflogAdapter) Debug(ctx context.Context, msg string, kv ...any) {
	tflog.SubsystemDebug(apiLogContext(ctx), apiLogSubsystem, msg, kvToFields(kv))
}

func (tflogAdapter) Warn(ctx context.Context, msg string, kv ...any) {
	tflog.SubsystemWarn(apiLogContext(ctx), apiLogSubsystem, msg, kvToFields(kv))
}

// apiLogContext gives ctx the api subsystem logger with the same masking
// as the provider's own lines (a subsystem does not inherit the root
// logger's masks).
func apiLogContext(ctx context.Context) context.Context {
	ctx = tflog.NewSubsystem(ctx, apiLogSubsystem, tflog.WithLevelFromEnv("TF_LOG_PROVIDER_ANTHROPIC", apiLogSubsystem))
	ctx = tflog.SubsystemMaskFieldValuesWithFieldKeys(ctx, apiLogSubsystem, secretFieldKeys...)
	ctx = tflog.SubsystemMaskAllFieldValuesRegexes(ctx, apiLogSubsystem, secretPatterns...)
	ctx = tflog.SubsystemMaskMessageRegexes(ctx, apiLogSubsystem, secretPatterns...)
	return ctx
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
