package emulator

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestCheckLoopback(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:8787", "127.0.0.1:0", "127.1.2.3:80", "[::1]:0", "localhost:0"} {
		if err := CheckLoopback(addr); err != nil {
			t.Errorf("%s: %v", addr, err)
		}
	}
	for addr, want := range map[string]string{
		":8787":          "every interface",
		"0.0.0.0:8787":   "not a loopback",
		"[::]:8787":      "not a loopback",
		"10.0.0.5:8787":  "not a loopback",
		"example.com:80": "not a loopback",
		"127.0.0.1":      "missing port",
	} {
		if err := CheckLoopback(addr); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", addr, err, want)
		}
	}
	if _, err := Listen("0.0.0.0:0"); err == nil {
		t.Fatal("Listen accepted a wildcard address")
	}
}

func TestWriteExports(t *testing.T) {
	emu := New(Options{Seed: 1, AdminToken: "sk-ant-oat01-emu-abc"})
	var b strings.Builder
	vars := append(emu.Env("http://127.0.0.1:4321"), EnvVar{"ODD", "it's a $value"})
	if err := WriteExports(&b, vars); err != nil {
		t.Fatal(err)
	}
	prod, _ := emu.WorkspaceByName("production")
	want := "export ANTHROPIC_BASE_URL=http://127.0.0.1:4321\n" +
		"export ANTHROPIC_AUTH_TOKEN=sk-ant-oat01-emu-abc\n" +
		"export ANTHROPIC_ORGANIZATION_ID=" + emu.OrganizationID() + "\n" +
		"export GCE_METADATA_HOST=127.0.0.1:4321\n" +
		"export GOOGLE_IAM_CUSTOM_ENDPOINT=http://127.0.0.1:4321/google/iam/\n" +
		"export GOOGLE_IAM_CREDENTIALS_CUSTOM_ENDPOINT=http://127.0.0.1:4321/google/iamcredentials/\n" +
		"export GOOGLE_OAUTH_ACCESS_TOKEN=" + emu.Google().AccessToken() + "\n" +
		"export ANTHROPIC_WORKSPACE_ID=" + prod.ID + "\n" +
		"export ODD='it'\\''s a $value'\n"
	if b.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestListenAndServe(t *testing.T) {
	l, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := BaseURL(l.Addr())
	if !strings.HasPrefix(base, "http://127.0.0.1:") || strings.HasSuffix(base, ":0") {
		t.Fatalf("base URL %q", base)
	}
	emu := New(Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, l, emu, nil, time.Second) }()

	req, _ := http.NewRequest("GET", base+"/v1/organizations/workspaces", nil)
	req.Header.Set("Authorization", "Bearer "+emu.AdminToken())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), "production") {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}
