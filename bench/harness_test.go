package bench

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The harness end to end at five objects: every key is produced, and the
// request counts, which do not depend on the machine, are exact. Timings
// are never asserted.
func TestHarnessSmoke(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("drives the real terraform: set TF_ACC=1")
	}
	// The fault apply rides out its faults with the provider's default
	// backoff (0.5 s, doubling): at make bench's 30% it took most of this
	// test's time, to produce a value the test does not assert. 10% still
	// sends faults through the same path.
	cfg := Config{Objects: 5, Latency: 5 * time.Millisecond, Parallelism: 10, Reps: 1, Rules: 2, ClientRequests: 200,
		FaultRuns: 1, FaultRate: 0.1, SigintRuns: 1, SigintObjects: 6, RepoRoot: "..", WorkDir: t.TempDir()}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	res, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range Targets {
		if _, ok := res.Keys[k.Key]; !ok {
			t.Errorf("key %s not produced", k.Key)
		}
	}
	for key, want := range map[string]float64{"requests_per_object_refresh": 1, "requests_per_rule_create": 2, "requests_per_exchange": 2} {
		if got := res.Keys[key]; got != want {
			t.Errorf("%s = %g, want %g", key, got, want)
		}
	}
	if rss := res.Keys["peak_rss_mb"]; rss <= 0 {
		t.Errorf("peak_rss_mb = %g: the provider processes were not observed", rss)
	}
	dir := t.TempDir()
	if err := res.WriteJSON(filepath.Join(dir, "results.json")); err != nil {
		t.Fatal(err)
	}
	if err := res.WriteMarkdown(filepath.Join(dir, "RESULTS.md"), ""); err != nil {
		t.Fatal(err)
	}
}
