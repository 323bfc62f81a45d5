package provider

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/terraform-exec/tfexec"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
)

// Tests that drive the terraform binary themselves (terraform-exec, or
// `terraform test`) for what terraform-plugin-testing cannot do: the
// provider is served in this process under its registry address and
// terraform reattaches to it, as terraform-plugin-testing does, so nothing
// is installed or downloaded. The provider reads its environment from
// this process.

// serveProvider serves the provider in-process until the test ends and
// returns what TF_REATTACH_PROVIDERS must say for terraform to use it.
func serveProvider(t *testing.T) tfexec.ReattachInfo {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	reattachCh := make(chan *plugin.ReattachConfig, 1)
	closeCh := make(chan struct{})
	serveErr := make(chan error, 1)
	go func() {
		server, err := ProtocolServer("test")()
		if err != nil {
			serveErr <- err
			return
		}
		serveErr <- tf6server.Serve(Address, func() tfprotov6.ProviderServer { return server },
			tf6server.WithDebug(ctx, reattachCh, closeCh),
			tf6server.WithGoPluginLogger(hclog.New(&hclog.LoggerOptions{Name: "reattached", Output: io.Discard})),
			tf6server.WithoutLogStderrOverride(),
			tf6server.WithLoggingSink(t))
	}()
	var cfg *plugin.ReattachConfig
	select {
	case cfg = <-reattachCh:
	case err := <-serveErr:
		cancel()
		t.Fatalf("serving the provider: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("the provider server did not start")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-closeCh:
		case <-time.After(10 * time.Second):
			t.Error("the provider server did not stop")
		}
	})
	return tfexec.ReattachInfo{Address: {
		Protocol:        string(cfg.Protocol),
		ProtocolVersion: cfg.ProtocolVersion,
		Pid:             cfg.Pid,
		Test:            cfg.Test,
		Addr:            tfexec.ReattachConfigAddr{Network: cfg.Addr.Network(), String: cfg.Addr.String()},
	}}
}

// reattachJSON is the value of TF_REATTACH_PROVIDERS for info.
func reattachJSON(t *testing.T, info tfexec.ReattachInfo) string {
	t.Helper()
	b, err := json.Marshal(info)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// reattachedTerraform serves the provider and returns terraform-exec in a
// fresh working directory, with the reattach information its commands
// need.
func reattachedTerraform(t *testing.T) (*tfexec.Terraform, tfexec.ReattachInfo) {
	t.Helper()
	requireAcc(t)
	info := serveProvider(t)
	tf, err := tfexec.NewTerraform(t.TempDir(), os.Getenv("TF_ACC_TERRAFORM_PATH"))
	if err != nil {
		t.Fatal(err)
	}
	// No checkpoint call home.
	if err := tf.SetEnv(map[string]string{"CHECKPOINT_DISABLE": "1"}); err != nil {
		t.Fatal(err)
	}
	return tf, info
}
