// Command bench runs the benchmark harness (make bench): it prints a table
// and writes bench/results.json and bench/RESULTS.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/wiflabs/terraform-provider-anthropic/bench"
)

func main() {
	cfg := bench.DefaultConfig()
	out := flag.String("out", "bench", "directory for results.json and RESULTS.md")
	notes := flag.String("notes", "bench/NOTES.md", "markdown appended to RESULTS.md (skipped when missing)")
	flag.IntVar(&cfg.Objects, "objects", cfg.Objects, "objects refreshed and planned")
	flag.DurationVar(&cfg.Latency, "latency", cfg.Latency, "emulator latency per request")
	flag.IntVar(&cfg.Reps, "reps", cfg.Reps, "repetitions of each timing (median kept)")
	flag.StringVar(&cfg.WorkDir, "work", "", "working directory (default: a temporary one)")
	flag.Parse()
	cfg.RepoRoot = "."
	cfg.Log = os.Stderr
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := bench.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	res.Table(os.Stdout)
	n, _ := os.ReadFile(*notes)
	if err := res.WriteJSON(filepath.Join(*out, "results.json")); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	if err := res.WriteMarkdown(filepath.Join(*out, "RESULTS.md"), string(n)); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
