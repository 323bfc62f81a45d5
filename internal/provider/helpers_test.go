package provider

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator"
	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator/googleemu"
)

// testAccProtoV6ProviderFactories reattach the provider in-process: no
// registry, no download.
var testAccProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"anthropic": providerserver.NewProtocol6WithError(New("test")()),
}

// TestMain makes acceptance tests run whenever a terraform binary is there,
// and fail loudly (never skip silently, never download) when it is not.
// `go test -short` is the quick loop without terraform.
func TestMain(m *testing.M) {
	testingShort := false
	for _, a := range os.Args[1:] {
		if a == "-test.short" || a == "-test.short=true" {
			testingShort = true
		}
	}
	mustSetenv("CHECKPOINT_DISABLE", "1")
	if !testingShort && os.Getenv("TF_ACC") != "0" {
		if os.Getenv("TF_ACC_TERRAFORM_PATH") == "" {
			tf, err := exec.LookPath("terraform")
			if err != nil {
				fmt.Fprintln(os.Stderr, "acceptance tests need a terraform >= 1.10 binary: put it on PATH or set TF_ACC_TERRAFORM_PATH "+
					"(run `go test -short` for the unit tests only). Nothing is downloaded.")
				os.Exit(1)
			}
			mustSetenv("TF_ACC_TERRAFORM_PATH", tf)
		}
		// A version pin would make terraform-plugin-testing download a release.
		if err := os.Unsetenv("TF_ACC_TERRAFORM_VERSION"); err != nil {
			panic(err)
		}
		mustSetenv("TF_ACC", "1")
	}
	os.Exit(m.Run())
}

func mustSetenv(key, value string) {
	if err := os.Setenv(key, value); err != nil {
		panic(err)
	}
}

// testEnv is one emulator of the Anthropic API and of the Google pieces,
// served in-process on one loopback listener, and a client of it that acts
// behind Terraform's back.
type testEnv struct {
	emu    *emulator.Emulator
	google *googleemu.Google
	server *httptest.Server
	client *client.Client
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	// The emulator serves its own local Google on the same listener.
	emu := emulator.New(emulator.Options{})
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	c, err := client.New(client.Options{BaseURL: srv.URL, AuthToken: emu.AdminToken(), Version: "test", MaxRetries: 0})
	if err != nil {
		t.Fatal(err)
	}
	return &testEnv{emu: emu, google: emu.Google(), server: srv, client: c}
}

// providerConfig is the provider block pointing at this test's emulator.
func (e *testEnv) providerConfig() string {
	return fmt.Sprintf(`
provider "anthropic" {
  base_url        = %q
  auth_token      = %q
  organization_id = %q
  max_retries     = 2
}
`, e.server.URL, e.emu.AdminToken(), e.emu.OrganizationID())
}

func (e *testEnv) config(body string) string { return e.providerConfig() + body }

func (e *testEnv) workspaceID(t *testing.T, name string) string {
	t.Helper()
	ws, ok := e.emu.WorkspaceByName(name)
	if !ok {
		t.Fatalf("emulator has no workspace %q", name)
	}
	return ws.ID
}

var bg = context.Background()
