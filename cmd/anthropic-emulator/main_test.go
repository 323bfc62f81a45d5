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

	env := map[string]string{}
	sc := bufio.NewScanner(pr)
	for len(env) < 4 && sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "export ")
		if !ok {
			t.Fatalf("not an export line: %q", sc.Text())
		}
		k, v, _ := strings.Cut(line, "=")
		env[k] = v
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	for _, k := range []string{"ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_ORGANIZATION_ID", "ANTHROPIC_WORKSPACE_ID"} {
		if env[k] == "" {
			t.Fatalf("%s missing from %v", k, env)
		}
	}
	if strings.HasSuffix(env["ANTHROPIC_BASE_URL"], ":0") || !strings.HasPrefix(env["ANTHROPIC_BASE_URL"], "http://127.0.0.1:") {
		t.Fatalf("base URL %q", env["ANTHROPIC_BASE_URL"])
	}

	req, _ := http.NewRequest("GET", env["ANTHROPIC_BASE_URL"]+"/v1/organizations/workspaces", nil)
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
