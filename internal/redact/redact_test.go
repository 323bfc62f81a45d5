package redact

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl"
	tests := []struct {
		name, in string
		secrets  []string
		leaks    []string
		want     string
	}{
		{name: "anthropic key", in: "key sk-ant-api03-abc_DEF-123 rejected", leaks: []string{"abc_DEF"}, want: "key [REDACTED] rejected"},
		{name: "anthropic key upper case", in: "KEY SK-ANT-OAT01-ABCDEF123 REJECTED", leaks: []string{"ABCDEF123"}, want: "KEY [REDACTED] REJECTED"},
		{name: "google access token", in: "token ya29.a0AfH6SMB-xyz_123.more was", leaks: []string{"a0AfH6SMB"}, want: "token [REDACTED] was"},
		{name: "google access token upper case", in: "TOKEN YA29.A0AFH6SMB-XYZ", leaks: []string{"A0AFH6SMB"}, want: "TOKEN [REDACTED]"},
		{name: "authorization header", in: "Authorization: Bearer ya29.abc\r\nHost: x", leaks: []string{"ya29", "abc"}, want: "Authorization: [REDACTED]\r\nHost: x"},
		{name: "authorization header upper case", in: "AUTHORIZATION: BEARER OPAQUE-TOKEN-VALUE", leaks: []string{"OPAQUE"}, want: "AUTHORIZATION: [REDACTED]"},
		{name: "authorization in prose", in: "send it (Authorization: Bearer sk-ant-oat01-abc); then retry", leaks: []string{"abc"}, want: "send it (Authorization: [REDACTED]); then retry"},
		{name: "authorization short opaque token", in: "authorization: Bearer abc123", leaks: []string{"abc123"}, want: "authorization: [REDACTED]"},
		{name: "authorization basic", in: "Proxy-Authorization: Basic dXNlcjpwYXNz", leaks: []string{"dXNlcjpwYXNz"}, want: "Proxy-Authorization: [REDACTED]"},
		{name: "go header map", in: fmt.Sprint(http.Header{"Authorization": {"Bearer opaque-token-value"}}), leaks: []string{"opaque"}, want: "map[Authorization:[[REDACTED]]]"},
		{name: "json header echo", in: `{"headers":{"Authorization":["Bearer opaque-token-value"]}}`, leaks: []string{"opaque"}},
		{name: "bearer anywhere", in: "sent BEARER abcdefghijklmnopqrstuvwxyz", leaks: []string{"abcdefghijklmnop"}, want: "sent BEARER [REDACTED]"},
		{name: "prose about bearer tokens", in: "Missing bearer token", want: "Missing bearer token"},
		{name: "jwt", in: "assertion " + jwt + " denied", leaks: []string{"eyJ", "c2lnbmF0dXJl"}, want: "assertion [REDACTED] denied"},
		{name: "jwt upper case", in: strings.ToUpper(jwt), leaks: []string{"EYJ"}, want: "[REDACTED]"},
		{name: "url password", in: `Get "https://user:hunter22@proxy.example.com/v1": refused`, leaks: []string{"hunter22", "user:"}, want: `Get "https://[REDACTED]@proxy.example.com/v1": refused`},
		{name: "url password upper-case scheme", in: "HTTPS://U:PW@HOST/", leaks: []string{"PW@"}, want: "HTTPS://[REDACTED]@HOST/"},
		{name: "url token as user", in: "http://ghp_abcdef@github.com/x", leaks: []string{"ghp_abcdef"}},
		{name: "url without userinfo", in: "http://[::1]:8080/a?b=c@d", want: "http://[::1]:8080/a?b=c@d"},
		{name: "email is not userinfo", in: "agent@project.iam.gserviceaccount.com", want: "agent@project.iam.gserviceaccount.com"},
		{name: "query parameter", in: "https://h/x?access_token=opaque123&alt=json", leaks: []string{"opaque123"}, want: "https://h/x?access_token=[REDACTED]&alt=json"},
		{name: "json field", in: `{"error":"bad","refresh_token":"1/opaque\"quoted","x":1}`, leaks: []string{"opaque", "quoted"}, want: `{"error":"bad","refresh_token":"[REDACTED]","x":1}`},
		{name: "private key", in: `{"private_key":"-----BEGIN PRIVATE KEY-----\nMIIEv\n-----END PRIVATE KEY-----\n"}`, leaks: []string{"MIIEv"}},
		{name: "truncated private key", in: "-----BEGIN RSA PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC", leaks: []string{"MIIEv"}, want: "[REDACTED]"},
		{name: "known secret any case", in: "echo: OPAQUE-Secret-Value", secrets: []string{"opaque-secret-value"}, leaks: []string{"OPAQUE"}, want: "echo: [REDACTED]"},
		{name: "short secrets are ignored", in: "a b", secrets: []string{"a"}, want: "a b"},
		{name: "hostnames survive", in: "iamcredentials.googleapis.com refused", want: "iamcredentials.googleapis.com refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := String(tt.in, tt.secrets...)
			for _, leak := range tt.leaks {
				if strings.Contains(got, leak) {
					t.Errorf("String(%q) = %q still holds %q", tt.in, got, leak)
				}
			}
			if tt.want != "" && got != tt.want {
				t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if again := String(got, tt.secrets...); again != got {
				t.Errorf("not idempotent: %q then %q", got, again)
			}
		})
	}
}

// Every pattern String uses is exported for log masking, and each one
// matches its own kind of secret.
func TestPatterns(t *testing.T) {
	pats := Patterns()
	if len(pats) != len(rules) {
		t.Fatalf("%d patterns, %d rules", len(pats), len(rules))
	}
	for _, s := range []string{"sk-ant-oat01-x", "ya29.x", "YA29.X", "Authorization: x", "https://u:p@h", "eyJa.eyJb.c"} {
		matched := false
		for _, re := range pats {
			matched = matched || re.MatchString(s)
		}
		if !matched {
			t.Errorf("no pattern matches %q", s)
		}
	}
}

func TestError(t *testing.T) {
	if Error(nil) != nil {
		t.Error("Error(nil) != nil")
	}
	plain := errors.New("nothing secret")
	if Error(plain) != plain {
		t.Error("an error without secrets must be returned as is")
	}
	base := fmt.Errorf("open: %w (Authorization: Bearer ya29.secret)", fs.ErrNotExist)
	err := Error(base)
	if strings.Contains(err.Error(), "ya29") || !strings.Contains(err.Error(), "Authorization: [REDACTED]") {
		t.Errorf("Error() = %q", err)
	}
	if !errors.Is(err, fs.ErrNotExist) || !errors.Is(err, base) {
		t.Error("the chain is lost")
	}
}
