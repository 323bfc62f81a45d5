package provider

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator/googleemu"
)

// The module's own `terraform test` suite (examples/modules/
// claude-workload-identity/tests) runs here, offline, as part of make
// test: the plan-only file with its mocked provider, and the apply file
// against this test's emulator. The provider is reattached, so terraform
// needs no `terraform init` and downloads nothing; being in-process, it
// reads the ANTHROPIC_* and GOOGLE_* variables the emulator would print
// from this process, which is why the test sets them and is not parallel.
func TestAccModule_terraformTest(t *testing.T) {
	requireAcc(t)
	env := newTestEnv(t)
	reattach := serveProvider(t)
	for _, v := range env.emu.Env(env.server.URL) {
		t.Setenv(v.Name, v.Value)
	}

	dir := copyModule(t, workloadModuleDir(t))
	tfEnv := append(os.Environ(), "TF_REATTACH_PROVIDERS="+reattachJSON(t, reattach), "CHECKPOINT_DISABLE=1")
	// init installs the test's setup module; the reattached provider needs
	// no installation.
	initCmd := exec.CommandContext(t.Context(), os.Getenv("TF_ACC_TERRAFORM_PATH"), "init", "-no-color", "-input=false")
	initCmd.Dir, initCmd.Env = dir, tfEnv
	if out, err := initCmd.CombinedOutput(); err != nil {
		t.Fatalf("terraform init: %v\n%s", err, out)
	}
	for _, file := range []string{"tests/plan.tftest.hcl", "tests/emulator.tftest.hcl"} {
		t.Run(filepath.Base(file), func(t *testing.T) {
			runs := countRuns(t, filepath.Join(dir, file))
			cmd := exec.CommandContext(t.Context(), os.Getenv("TF_ACC_TERRAFORM_PATH"), "test", "-no-color", "-filter="+file)
			cmd.Dir, cmd.Env = dir, tfEnv
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("terraform test -filter=%s: %v\n%s", file, err, out)
			}
			want := "Success! " + strconv.Itoa(runs) + " passed, 0 failed."
			if !strings.Contains(string(out), want) {
				t.Fatalf("terraform test -filter=%s: want %q in\n%s", file, want, out)
			}
		})
	}

	// The apply file reached the emulator: it made the workload's objects
	// and terraform test destroyed (archived) them afterwards.
	var found bool
	for sa, err := range env.client.ListServiceAccounts(bg, client.ListParams{IncludeArchived: true}) {
		if err != nil {
			t.Fatal(err)
		}
		if sa.Name != "tftest-summarizer" {
			continue
		}
		found = true
		if !sa.IsArchived() {
			t.Errorf("service account %s not archived after terraform test", sa.ID)
		}
	}
	if !found {
		t.Error("the emulator never saw the module's service account")
	}
	foundRule := false
	for r, err := range env.client.ListFederationRules(bg, client.FederationRuleListParams{ListParams: client.ListParams{IncludeArchived: true}}) {
		if err != nil {
			t.Fatal(err)
		}
		if r.Name != "tftest-summarizer" {
			continue
		}
		foundRule = true
		if !r.IsArchived() || r.TokenLifetimeSeconds != 300 || r.Match.Claims["sub"] != googleemu.UniqueIDFor(googleemu.WorkloadAccount) {
			t.Errorf("rule %s: archived %v, lifetime %d, claims %v", r.ID, r.IsArchived(), r.TokenLifetimeSeconds, r.Match.Claims)
		}
	}
	if !foundRule {
		t.Error("the emulator never saw the module's rule")
	}
}

// copyModule copies the module's .tf and .tftest.hcl files to a temporary
// directory, so terraform's working files stay out of examples/.
func copyModule(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".terraform" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !strings.HasSuffix(path, ".tf") && !strings.HasSuffix(path, ".tftest.hcl") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// countRuns counts the run blocks of a test file.
func countRuns(t *testing.T, file string) int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	n := len(regexp.MustCompile(`(?m)^run "`).FindAll(b, -1))
	if n == 0 {
		t.Fatalf("%s has no run blocks", file)
	}
	return n
}
