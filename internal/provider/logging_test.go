package provider

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-log/tflog"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"
)

// The provider's log masking catches what the redactor catches, in any
// letter case, in messages and in field values.
func TestMaskSecretsInLogs(t *testing.T) {
	var buf bytes.Buffer
	ctx := maskSecrets(tflogtest.RootLogger(context.Background(), &buf))
	tflog.Debug(ctx, "proxy https://svc:hunter2@proxy.example/ answered YA29.UPPERCASE-GOOGLE-TOKEN", map[string]any{
		"detail": "echo: AUTHORIZATION: BEARER opaque-google-token-42; SK-ANT-OAT01-UPPERCASEKEY",
	})
	tflogAdapter{}.Warn(ctx, "retrying", "error", errors.New("Get \"https://u:pw-in-url@h/\": refused"), "status", 502)
	out := buf.String()
	for _, leak := range []string{"hunter2", "UPPERCASE-GOOGLE-TOKEN", "opaque-google-token-42", "UPPERCASEKEY", "pw-in-url"} {
		if strings.Contains(out, leak) {
			t.Errorf("log output holds %q:\n%s", leak, out)
		}
	}
	for _, kept := range []string{"proxy.example", "answered", "retrying", "502"} {
		if !strings.Contains(out, kept) {
			t.Errorf("log output lost %q:\n%s", kept, out)
		}
	}
}
