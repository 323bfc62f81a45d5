package provider

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator"
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

// The API client's lines reach TF_LOG through the provider's api
// subsystem: one per attempt with method, path, status, request id,
// attempt and duration; one per retry with its reason and wait; and no
// credential.
func TestAPILogLines(t *testing.T) {
	t.Parallel()
	emu := emulator.New(emulator.Options{})
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	c, err := client.New(client.Options{
		BaseURL: srv.URL, AuthToken: emu.AdminToken(), Version: "test", MaxRetries: 2,
		RetryWaitMin: time.Millisecond, RetryWaitMax: 2 * time.Millisecond, Logger: tflogAdapter{},
	})
	if err != nil {
		t.Fatal(err)
	}
	sa, err := c.CreateServiceAccount(bg, client.ServiceAccountCreateParams{Name: "logged"})
	if err != nil {
		t.Fatal(err)
	}
	emu.InjectFault(emulator.RouteGetServiceAccount, emulator.Fault{Status: 429, RetryAfter: time.Second})

	var buf bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &buf)
	if _, err := c.GetServiceAccount(ctx, sa.ID); err != nil {
		t.Fatal(err)
	}
	entries, err := tflogtest.MultilineJSONDecode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 {
		t.Fatalf("%d log entries, want 3 (attempt, retry, attempt):\n%s", len(entries), buf.String())
	}
	path := "/v1/organizations/service_accounts/" + sa.ID
	want := []map[string]any{
		{"@level": "debug", "@message": "anthropic API request", "@module": "provider.api", "method": "GET", "path": path, "attempt": 1, "status": 429},
		{"@level": "warn", "@message": "anthropic API: retrying request", "@module": "provider.api", "method": "GET", "path": path, "attempt": 1,
			"reason": "rate limited", "status": 429, "retry_after": "1", "wait_ms": 1000},
		{"@level": "debug", "@message": "anthropic API request", "@module": "provider.api", "method": "GET", "path": path, "attempt": 2, "status": 200},
	}
	for i, w := range want {
		for k, v := range w {
			if got := fmt.Sprint(entries[i][k]); got != fmt.Sprint(v) {
				t.Errorf("entry %d: %s = %s, want %v (entry %v)", i, k, got, v, entries[i])
			}
		}
		if id, _ := entries[i]["request_id"].(string); !strings.HasPrefix(id, "req_") {
			t.Errorf("entry %d: request_id %q, want the emulator's req_...", i, id)
		}
	}
	for _, i := range []int{0, 2} {
		if _, ok := entries[i]["duration_ms"].(float64); !ok {
			t.Errorf("entry %d has no duration_ms: %v", i, entries[i])
		}
	}
	if strings.Contains(buf.String(), emu.AdminToken()) {
		t.Error("the admin token reached the log")
	}
}

// Whatever the client passes, tokens, JWTs and keys leave the subsystem
// masked, in messages and in fields, by key and by pattern.
func TestAPILogMasksSecrets(t *testing.T) {
	const (
		token = "sk-ant-oat01-SECRETsecret0123456789"
		jwt   = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
		pem   = "-----BEGIN PRIVATE KEY-----\nMIIBVgIBADANBg\n-----END PRIVATE KEY-----"
		other = "ya29.a0AfB_byGoogleAccess"
	)
	var buf bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &buf)
	tflogAdapter{}.Debug(ctx, "anthropic API request "+token, "error", "dial with "+jwt+" failed", "path", "/v1/x", "key", pem)
	tflogAdapter{}.Warn(ctx, "anthropic API: retrying request", "authorization", "opaque-credential", "error", other)
	out := buf.String()
	for _, secret := range []string{token, jwt, "MIIBVgIBADANBg", other, "opaque-credential"} {
		if strings.Contains(out, secret) {
			t.Errorf("log shows %q:\n%s", secret, out)
		}
	}
	entries, err := tflogtest.MultilineJSONDecode(&buf)
	if err != nil || len(entries) != 2 {
		t.Fatalf("entries %v (%v), want 2", entries, err)
	}
	if entries[0]["path"] != "/v1/x" || entries[0]["@module"] != "provider.api" || !strings.Contains(fmt.Sprint(entries[0]["error"]), "dial with ***") {
		t.Errorf("entry 0 = %v, want the path kept and the JWT masked", entries[0])
	}
}
