// Command anthropic-emulator serves the in-memory Anthropic WIF API emulator
// on loopback for demos and manual testing, with its local Google (metadata
// server, IAM, IAM Credentials, Google's OIDC keys) on the same port. It
// prints `export` lines for the variables that point the provider, the SDKs
// and Google's client libraries at it (ANTHROPIC_WORKSPACE_ID last), then
// serves until SIGINT/SIGTERM.
//
//	go run ./cmd/anthropic-emulator [-listen 127.0.0.1:8787] [-latency D] [-fault-rate F]
//	    [-fault-statuses 529,503,429] [-fault-retry-after D] [-seed N]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "anthropic-emulator:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("anthropic-emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8787", "loopback address to listen on (port 0 picks a free port)")
	latency := fs.Duration("latency", 0, "latency added to every request")
	faultRate := fs.Float64("fault-rate", 0, "fraction (0..1) of requests refused at random (see -fault-statuses)")
	faultStatuses := fs.String("fault-statuses", "529", "comma-separated statuses random faults draw from, e.g. 529,503,429")
	faultRetryAfter := fs.Duration("fault-retry-after", 0, "retry-after sent with random faults (whole seconds; 0 sends none)")
	seed := fs.Int64("seed", 0, "non-zero: deterministic ids")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if *faultRate < 0 || *faultRate > 1 {
		return fmt.Errorf("-fault-rate must be between 0 and 1")
	}
	var statuses []int
	for _, f := range strings.Split(*faultStatuses, ",") {
		code, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || code < 400 || code > 599 {
			return fmt.Errorf("-fault-statuses: %q is not an HTTP error status (400-599)", f)
		}
		statuses = append(statuses, code)
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	emu := emulator.New(emulator.Options{Seed: *seed, Latency: *latency, Logger: logger})
	emu.SetRandomFaults(emulator.RandomFaults{Rate: *faultRate, Statuses: statuses, RetryAfter: *faultRetryAfter})
	l, err := emulator.Listen(*listen)
	if err != nil {
		return err
	}
	if err := emulator.WriteExports(stdout, exports(emu, emulator.BaseURL(l.Addr()))); err != nil {
		_ = l.Close()
		return err
	}
	logger.Info("anthropic emulator serving", "addr", l.Addr().String(), "organization_id", emu.OrganizationID())
	err = emulator.Serve(ctx, l, emu, logger, 5*time.Second)
	logger.Info("anthropic emulator stopped")
	return err
}

// exports lists the variables printed at start-up: the Anthropic ones and
// GCE_METADATA_HOST, GOOGLE_IAM_CUSTOM_ENDPOINT,
// GOOGLE_IAM_CREDENTIALS_CUSTOM_ENDPOINT and GOOGLE_OAUTH_ACCESS_TOKEN for
// the local Google.
func exports(emu *emulator.Emulator, baseURL string) []emulator.EnvVar {
	return emu.Env(baseURL)
}
