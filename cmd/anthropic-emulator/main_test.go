package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestRunPrintsExportsAndServes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"-listen", "127.0.0.1:0", "-seed", "5"}, pw, io.Discard)
		_ = pw.Close()
		done <- err
	}()

	// Scripts wait for ANTHROPIC_WORKSPACE_ID: it must come last.
	env := map[string]string{}
	sc := bufio.NewScanner(pr)
	for env["ANTHROPIC_WORKSPACE_ID"] == "" && sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "export ")
		if !ok {
			t.Fatalf("not an export line: %q", sc.Text())
		}
		k, v, _ := strings.Cut(line, "=")
		env[k] = v
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	for _, k := range []string{
		"ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_ORGANIZATION_ID",
		"GCE_METADATA_HOST", "GOOGLE_IAM_CUSTOM_ENDPOINT", "GOOGLE_IAM_CREDENTIALS_CUSTOM_ENDPOINT", "GOOGLE_OAUTH_ACCESS_TOKEN",
	} {
		if env[k] == "" {
			t.Fatalf("%s missing from %v (or printed after ANTHROPIC_WORKSPACE_ID)", k, env)
		}
	}
	base := env["ANTHROPIC_BASE_URL"]
	if strings.HasSuffix(base, ":0") || !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("base URL %q", base)
	}
	if "http://"+env["GCE_METADATA_HOST"] != base ||
		env["GOOGLE_IAM_CUSTOM_ENDPOINT"] != base+"/google/iam/" ||
		env["GOOGLE_IAM_CREDENTIALS_CUSTOM_ENDPOINT"] != base+"/google/iamcredentials/" ||
		!strings.HasPrefix(env["GOOGLE_OAUTH_ACCESS_TOKEN"], "ya29.") {
		t.Fatalf("Google exports %v", env)
	}

	// The local Google answers on the same port: the metadata server, and
	// IAM with the exported access token.
	email := strings.TrimSpace(metadataGet(t, "http://"+env["GCE_METADATA_HOST"]+"/computeMetadata/v1/instance/service-accounts/default/email"))
	if !strings.HasSuffix(email, ".iam.gserviceaccount.com") {
		t.Fatalf("metadata email %q", email)
	}
	req, _ := http.NewRequest("GET", env["GOOGLE_IAM_CUSTOM_ENDPOINT"]+"v1/projects/-/serviceAccounts/"+email, nil)
	req.Header.Set("Authorization", "Bearer "+env["GOOGLE_OAUTH_ACCESS_TOKEN"])
	if code, body := do(t, req); code != 200 || !strings.Contains(body, `"uniqueId"`) {
		t.Fatalf("IAM: %d %s", code, body)
	}

	req, _ = http.NewRequest("GET", env["ANTHROPIC_BASE_URL"]+"/v1/organizations/workspaces", nil)
	req.Header.Set("Authorization", "Bearer "+env["ANTHROPIC_AUTH_TOKEN"])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), env["ANTHROPIC_WORKSPACE_ID"]) {
		t.Fatalf("%d %s", res.StatusCode, body)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}

func TestRunRefusesNonLoopback(t *testing.T) {
	for _, args := range [][]string{
		{"-listen", "0.0.0.0:0"},
		{"-listen", ":8787"},
		{"-fault-rate", "2"},
		{"-fault-statuses", "529,200"},
		{"-fault-statuses", "x"},
		{"stray"},
	} {
		var stdout strings.Builder
		err := run(context.Background(), args, &stdout, io.Discard)
		if err == nil {
			t.Fatalf("%v: no error", args)
		}
		if stdout.Len() != 0 {
			t.Fatalf("%v: printed exports before failing: %q", args, stdout.String())
		}
	}
	err := run(context.Background(), []string{"-listen", "0.0.0.0:0"}, io.Discard, io.Discard)
	if !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("error %q does not explain the loopback rule", err)
	}
}

func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func metadataGet(t *testing.T, url string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Metadata-Flavor", "Google")
	code, b := do(t, req)
	if code != 200 {
		t.Fatalf("GET %s: %d %s", url, code, b)
	}
	return b
}

func TestRunRandomFaultFlags(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"-listen", "127.0.0.1:0", "-fault-rate", "1", "-fault-statuses", "503", "-fault-retry-after", "2s"}, pw, io.Discard)
		_ = pw.Close()
		done <- err
	}()
	env := map[string]string{}
	sc := bufio.NewScanner(pr)
	for env["ANTHROPIC_WORKSPACE_ID"] == "" && sc.Scan() {
		k, v, _ := strings.Cut(strings.TrimPrefix(sc.Text(), "export "), "=")
		env[k] = v
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	req, _ := http.NewRequest("GET", env["ANTHROPIC_BASE_URL"]+"/v1/organizations/service_accounts", nil)
	req.Header.Set("Authorization", "Bearer "+env["ANTHROPIC_AUTH_TOKEN"])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != 503 || res.Header.Get("retry-after") != "2" {
		t.Fatalf("got %d retry-after %q, want 503 with retry-after 2", res.StatusCode, res.Header.Get("retry-after"))
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}
