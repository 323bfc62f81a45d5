// Package bench is the benchmark harness: it drives the real terraform
// binary against the emulator with the provider built from this
// repository, side by side with a minimal framework provider (bench/baseline,
// one resource, no network) that gives the per-object floor of terraform and
// the plugin protocol. Every timing is a ratio of two measurements taken in
// the same run, so the numbers mean the same on a fast or a loaded machine.
package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator"
	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator/googleemu"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

// Config sizes a run. DefaultConfig is what `make bench` runs; the smoke
// test runs a tiny one.
type Config struct {
	// Objects is the number of service accounts (and baseline things)
	// refreshed and planned.
	Objects int
	// Latency is added to every emulator request (half before the request
	// is served, half after), like a network round trip.
	Latency time.Duration
	// Parallelism is terraform's -parallelism (its default is 10).
	Parallelism int
	// Reps repeats each timing; the median is kept.
	Reps int
	// Rules is the number of rules in the smaller of the two rule-create
	// applies; the larger has twice as many.
	Rules int
	// ClientRequests is how many local requests the client-overhead
	// comparison makes with each client.
	ClientRequests int
	// FaultRuns applies a small configuration against an emulator that
	// answers FaultRate of requests with a fault, each seeded differently.
	FaultRuns int
	FaultRate float64
	// SigintRuns interrupts an apply of SigintObjects service accounts
	// while it creates them.
	SigintRuns    int
	SigintObjects int

	// Terraform is the terraform binary; "" looks in TF_ACC_TERRAFORM_PATH
	// and PATH.
	Terraform string
	// RepoRoot is this repository (the provider and the baseline are built
	// from it).
	RepoRoot string
	// WorkDir holds the built binaries and the terraform working
	// directories; "" makes a temporary one.
	WorkDir string
	// Log receives progress lines; nil is silent.
	Log io.Writer
}

// DefaultConfig is the configuration `make bench` runs.
func DefaultConfig() Config {
	return Config{Objects: 500, Latency: 20 * time.Millisecond, Parallelism: 10, Reps: 5, Rules: 20,
		ClientRequests: 10000, FaultRuns: 5, FaultRate: 0.3, SigintRuns: 3, SigintObjects: 20}
}

// Results is what a run measured. Keys holds the headline numbers; the
// rest explains them.
type Results struct {
	Date    string             `json:"date"`
	Machine Machine            `json:"machine"`
	Config  map[string]any     `json:"config"`
	Keys    map[string]float64 `json:"keys"`
	Details map[string]float64 `json:"details"`
}

// Machine describes where the run happened.
type Machine struct {
	OS, Arch, CPU, GoVersion, Terraform string
	Cores                               int
	LoadBefore, LoadAfter               string
}

// Targets are the values the project holds the provider to; a key passes when it is at or
// below its target (or equal, for the exact ones).
var Targets = []struct {
	Key    string
	Target float64
	Exact  bool
}{
	{"refresh_overhead_ratio_500", 1.15, false},
	{"noop_plan_ratio_500", 1.10, false},
	{"requests_per_object_refresh", 1, true},
	{"requests_per_rule_create", 2, false},
	{"requests_per_exchange", 2, true},
	{"client_overhead_ratio", 1.05, false},
	{"peak_rss_mb", 64, false},
	{"fault_apply_first_try", 1, true},
	{"sigint_orphans", 0, true},
}

type harness struct {
	cfg       Config
	tf        string
	bin       string // holds terraform-provider-anthropic and terraform-provider-baseline
	cliConfig string
	work      string
}

func (h *harness) logf(format string, args ...any) {
	if h.cfg.Log != nil {
		_, _ = fmt.Fprintf(h.cfg.Log, format+"\n", args...)
	}
}

// Run builds the two providers, runs every measurement and returns the
// results.
func Run(ctx context.Context, cfg Config) (*Results, error) {
	h := &harness{cfg: cfg}
	err := h.setup()
	if cfg.WorkDir == "" && h.work != "" {
		defer func() { _ = os.RemoveAll(h.work) }()
	}
	if err != nil {
		return nil, err
	}
	res := &Results{Date: time.Now().UTC().Format(time.RFC3339), Machine: h.machine(), Keys: map[string]float64{}, Details: map[string]float64{},
		Config: map[string]any{"objects": cfg.Objects, "latency_ms": cfg.Latency.Milliseconds(), "parallelism": cfg.Parallelism, "reps": cfg.Reps,
			"rules": cfg.Rules, "client_requests": cfg.ClientRequests, "fault_runs": cfg.FaultRuns, "fault_rate": cfg.FaultRate,
			"sigint_runs": cfg.SigintRuns, "sigint_objects": cfg.SigintObjects}}
	steps := []struct {
		name string
		fn   func(context.Context, *Results) error
	}{
		{"refresh and no-op plans", h.plans},
		{"rule creates", h.ruleCreates},
		{"exchange", h.exchange},
		{"client overhead", h.clientOverhead},
		{"fault applies", h.faultApplies},
		{"interrupted applies", h.interrupts},
	}
	for _, s := range steps {
		h.logf("==> %s", s.name)
		if err := s.fn(ctx, res); err != nil {
			return res, fmt.Errorf("%s: %w", s.name, err)
		}
	}
	res.Machine.LoadAfter = loadAverage()
	return res, nil
}

func (h *harness) setup() error {
	h.tf = h.cfg.Terraform
	if h.tf == "" {
		h.tf = os.Getenv("TF_ACC_TERRAFORM_PATH")
	}
	if h.tf == "" {
		p, err := exec.LookPath("terraform")
		if err != nil {
			return errors.New("terraform not found: set TF_ACC_TERRAFORM_PATH or put it on PATH")
		}
		h.tf = p
	}
	h.work = h.cfg.WorkDir
	if h.work == "" {
		d, err := os.MkdirTemp("", "anthropic-bench-")
		if err != nil {
			return err
		}
		h.work = d
	}
	h.bin = filepath.Join(h.work, "bin")
	for pkg, name := range map[string]string{".": "terraform-provider-anthropic", "./bench/baseline": "terraform-provider-baseline"} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(h.bin, name), pkg)
		cmd.Dir = h.cfg.RepoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("building %s: %v\n%s", pkg, err, out)
		}
	}
	h.cliConfig = filepath.Join(h.work, "terraformrc")
	rc := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"wiflabs/anthropic\" = %q\n    \"wiflabs/baseline\" = %q\n  }\n  direct {}\n}\n", h.bin, h.bin)
	return os.WriteFile(h.cliConfig, []byte(rc), 0o600)
}

func (h *harness) machine() Machine {
	m := Machine{OS: runtime.GOOS, Arch: runtime.GOARCH, Cores: runtime.NumCPU(), GoVersion: runtime.Version(), LoadBefore: loadAverage()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if out, err := exec.Command(h.tf, "version").Output(); err == nil {
		m.Terraform, _, _ = strings.Cut(string(out), "\n")
	}
	return m
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// server is an emulator on a loopback listener, with adjustable latency.
type server struct {
	emu     *emulator.Emulator
	url     string
	latency atomic.Int64
	// requests counts everything served, the local Google's answers
	// (identity tokens) included.
	requests atomic.Int64
	// conns counts accepted connections: a client that does not reuse
	// them pays a handshake per request.
	conns atomic.Int64
	stop  context.CancelFunc
	done  chan struct{}
}

func startServer(opts emulator.Options) (*server, error) {
	emu := emulator.New(opts)
	l, err := emulator.Listen("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &server{emu: emu, url: emulator.BaseURL(l.Addr()), done: make(chan struct{})}
	l = &countingListener{Listener: l, n: &s.conns}
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	go func() {
		defer close(s.done)
		_ = emulator.Serve(ctx, l, http.HandlerFunc(s.serve), nil, time.Second)
	}()
	return s, nil
}

// serve adds the latency around the emulator: half before the request is
// handled and half after, so a client that gives up while waiting may or
// may not have had its write applied, as over a real network.
func (s *server) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	d := time.Duration(s.latency.Load())
	if d <= 0 {
		s.emu.ServeHTTP(w, r)
		return
	}
	time.Sleep(d / 2)
	rec := &bufferedResponse{header: http.Header{}, status: http.StatusOK}
	s.emu.ServeHTTP(rec, r)
	time.Sleep(d - d/2)
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.status)
	_, _ = w.Write(rec.body.Bytes())
}

// reset zeroes the request counters.
func (s *server) reset() {
	s.emu.ResetCounters()
	s.requests.Store(0)
	s.conns.Store(0)
}

type countingListener struct {
	net.Listener
	n *atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

func (s *server) close() {
	s.stop()
	<-s.done
}

func (s *server) client() (*client.Client, error) {
	return client.New(client.Options{BaseURL: s.url, AuthToken: s.emu.AdminToken(), Version: "bench", MaxRetries: 3})
}

// fixture is an emulator with an admin client and the objects a
// measurement starts from.
type fixture struct {
	s  *server
	c  *client.Client
	is *client.FederationIssuer // nil unless startFixture was given one
	sa *client.ServiceAccount
}

// startFixture starts an emulator seeded with seed and creates the issuer
// (when not nil) and then the service account saName on it. The caller
// closes f.s.
func startFixture(ctx context.Context, seed int64, issuer *client.FederationIssuerCreateParams, saName string) (f *fixture, err error) {
	s, err := startServer(emulator.Options{Seed: seed})
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	f = &fixture{s: s}
	if f.c, err = s.client(); err != nil {
		return nil, err
	}
	if issuer != nil {
		if f.is, err = f.c.CreateFederationIssuer(ctx, *issuer); err != nil {
			return nil, err
		}
	}
	if f.sa, err = f.c.CreateServiceAccount(ctx, client.ServiceAccountCreateParams{Name: saName}); err != nil {
		return nil, err
	}
	return f, nil
}

type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
	wrote  bool
}

func (b *bufferedResponse) Header() http.Header { return b.header }
func (b *bufferedResponse) WriteHeader(code int) {
	if !b.wrote {
		b.status, b.wrote = code, true
	}
}
func (b *bufferedResponse) Write(p []byte) (int, error) {
	b.wrote = true
	return b.body.Write(p)
}

// run is one terraform command's outcome.
type run struct {
	wall     time.Duration
	exitCode int
	output   string
	// Provider processes started by this command: their peak RSS (the
	// largest of them) and their CPU time (summed).
	peakRSSKiB int64
	cpu        time.Duration
}

// terraform runs one terraform command in dir against s, watching the
// provider processes it starts.
func (h *harness) terraform(ctx context.Context, s *server, dir string, args ...string) (run, error) {
	return h.terraformWith(ctx, s, dir, nil, args...)
}

func (h *harness) terraformWith(ctx context.Context, s *server, dir string, started func(*exec.Cmd), args ...string) (run, error) {
	cmd := exec.CommandContext(ctx, h.tf, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+h.cliConfig, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TF_LOG=")
	if s != nil {
		for _, v := range s.emu.Env(s.url) {
			cmd.Env = append(cmd.Env, v.Name+"="+v.Value)
		}
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return run{}, err
	}
	w := newWatcher(cmd.Process.Pid)
	if started != nil {
		started(cmd)
	}
	err := cmd.Wait()
	r := run{wall: time.Since(start), output: out.String()}
	r.peakRSSKiB, r.cpu = w.finish()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		r.exitCode = exitErr.ExitCode()
	default:
		return r, err
	}
	return r, nil
}

// watcher samples the provider processes under a terraform process:
// VmHWM (the kernel's own peak RSS) and utime+stime.
type watcher struct {
	parent int
	stopc  chan struct{}
	done   chan struct{}
	mu     sync.Mutex
	peak   map[int]int64
	ticks  map[int]int64
}

func newWatcher(parent int) *watcher {
	w := &watcher{parent: parent, stopc: make(chan struct{}), done: make(chan struct{}), peak: map[int]int64{}, ticks: map[int]int64{}}
	go func() {
		defer close(w.done)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			w.sample()
			select {
			case <-w.stopc:
				return
			case <-t.C:
			}
		}
	}()
	return w
}

func (w *watcher) sample() {
	kids, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", w.parent))
	for _, k := range kids {
		b, err := os.ReadFile(k)
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			pid, err := strconv.Atoi(f)
			if err != nil {
				continue
			}
			exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
			if !strings.Contains(filepath.Base(exe), "terraform-provider-") {
				continue
			}
			hwm, ticks := procStats(pid)
			w.mu.Lock()
			w.peak[pid] = max(w.peak[pid], hwm)
			w.ticks[pid] = max(w.ticks[pid], ticks)
			w.mu.Unlock()
		}
	}
}

// procStats reads a process's VmHWM (KiB) and its CPU time in clock ticks.
func procStats(pid int) (hwm, ticks int64) {
	if f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
				fs := strings.Fields(rest)
				if len(fs) > 0 {
					hwm, _ = strconv.ParseInt(fs[0], 10, 64)
				}
			}
		}
		_ = f.Close()
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		// Fields after the parenthesised command name; utime and stime are
		// the 14th and 15th fields of the line.
		if i := bytes.LastIndexByte(b, ')'); i > 0 {
			fs := strings.Fields(string(b[i+1:]))
			if len(fs) > 12 {
				u, _ := strconv.ParseInt(fs[11], 10, 64)
				s, _ := strconv.ParseInt(fs[12], 10, 64)
				ticks = u + s
			}
		}
	}
	return hwm, ticks
}

func (w *watcher) finish() (peakKiB int64, cpu time.Duration) {
	close(w.stopc)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	var ticks int64
	for pid, p := range w.peak {
		peakKiB = max(peakKiB, p)
		ticks += w.ticks[pid]
	}
	return peakKiB, time.Duration(ticks) * time.Second / 100 // USER_HZ
}

const terraformBlock = `terraform {
  required_providers {
    anthropic = { source = "wiflabs/anthropic" }
    baseline  = { source = "wiflabs/baseline" }
  }
}
`

func (h *harness) dir(name, body string) (string, error) {
	d := filepath.Join(h.work, name)
	if err := os.MkdirAll(d, 0o755); err != nil {
		return "", err
	}
	return d, os.WriteFile(filepath.Join(d, "main.tf"), []byte(terraformBlock+body), 0o600)
}

func (h *harness) par() string { return fmt.Sprintf("-parallelism=%d", h.cfg.Parallelism) }

func (h *harness) mustSucceed(ctx context.Context, s *server, dir string, args ...string) (run, error) {
	r, err := h.terraform(ctx, s, dir, args...)
	if err == nil && r.exitCode != 0 {
		err = fmt.Errorf("terraform %s in %s exited %d:\n%s", strings.Join(args, " "), filepath.Base(dir), r.exitCode, tail(r.output, 3000))
	}
	return r, err
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// plans: refresh and no-op plans of N service accounts, side by side with
// N baseline things.
func (h *harness) plans(ctx context.Context, res *Results) error {
	s, err := startServer(emulator.Options{Seed: 11})
	if err != nil {
		return err
	}
	defer s.close()
	n := h.cfg.Objects
	saDir, err := h.dir("service-accounts", fmt.Sprintf(`resource "anthropic_service_account" "sa" {
  count = %d
  name  = "bench-sa-${count.index}"
}
`, n))
	if err != nil {
		return err
	}
	baseDir, err := h.dir("baseline", fmt.Sprintf(`resource "baseline_thing" "t" {
  count = %d
  name  = "thing-${count.index}"
}
`, n))
	if err != nil {
		return err
	}
	apply := []string{"apply", "-auto-approve", "-input=false", "-lock=false", "-no-color", h.par()}
	if _, err := h.mustSucceed(ctx, s, saDir, apply...); err != nil {
		return err
	}
	if _, err := h.mustSucceed(ctx, nil, baseDir, apply...); err != nil {
		return err
	}
	s.latency.Store(int64(h.cfg.Latency))
	plan := []string{"plan", "-input=false", "-lock=false", "-no-color", "-detailed-exitcode", h.par()}
	noop := append(slices.Clone(plan), "-refresh=false")
	var refresh, baseRefresh, noopT, baseNoop, cpuRefresh, cpuNoop []time.Duration
	var baseCPURefresh, baseCPUNoop []time.Duration
	var peak, basePeak int64
	requests := 0
	for i := range h.cfg.Reps {
		s.reset()
		r, err := h.mustSucceed(ctx, s, saDir, plan...)
		if err != nil {
			return err
		}
		if i == 0 {
			requests = int(s.requests.Load())
			res.Details["connections_refresh_plan"] = float64(s.conns.Load())
		}
		refresh, cpuRefresh, peak = append(refresh, r.wall), append(cpuRefresh, r.cpu), max(peak, r.peakRSSKiB)
		if r, err = h.mustSucceed(ctx, nil, baseDir, plan...); err != nil {
			return err
		}
		baseRefresh, baseCPURefresh = append(baseRefresh, r.wall), append(baseCPURefresh, r.cpu)
		basePeak = max(basePeak, r.peakRSSKiB)
		if r, err = h.mustSucceed(ctx, s, saDir, noop...); err != nil {
			return err
		}
		noopT, cpuNoop, peak = append(noopT, r.wall), append(cpuNoop, r.cpu), max(peak, r.peakRSSKiB)
		if r, err = h.mustSucceed(ctx, nil, baseDir, noop...); err != nil {
			return err
		}
		baseNoop, baseCPUNoop = append(baseNoop, r.wall), append(baseCPUNoop, r.cpu)
		basePeak = max(basePeak, r.peakRSSKiB)
		h.logf("    rep %d: refresh %v (baseline %v), no-op %v (baseline %v)", i+1, refresh[i], baseRefresh[i], noopT[i], baseNoop[i])
	}
	floor := time.Duration(n) * h.cfg.Latency / time.Duration(h.cfg.Parallelism)
	res.Keys["refresh_overhead_ratio_500"] = round(median(refresh).Seconds() / (median(baseRefresh) + floor).Seconds())
	res.Keys["noop_plan_ratio_500"] = round(median(noopT).Seconds() / median(baseNoop).Seconds())
	res.Keys["requests_per_object_refresh"] = round(float64(requests) / float64(n))
	res.Keys["peak_rss_mb"] = round(float64(peak) / 1024)
	d := res.Details
	d["refresh_plan_seconds"] = round(median(refresh).Seconds())
	d["baseline_refresh_plan_seconds"] = round(median(baseRefresh).Seconds())
	d["network_floor_seconds"] = round(floor.Seconds())
	d["noop_plan_seconds"] = round(median(noopT).Seconds())
	d["baseline_noop_plan_seconds"] = round(median(baseNoop).Seconds())
	d["provider_cpu_seconds_refresh_plan"] = round(median(cpuRefresh).Seconds())
	d["provider_cpu_seconds_noop_plan"] = round(median(cpuNoop).Seconds())
	d["baseline_cpu_seconds_refresh_plan"] = round(median(baseCPURefresh).Seconds())
	d["baseline_cpu_seconds_noop_plan"] = round(median(baseCPUNoop).Seconds())
	d["baseline_peak_rss_mb"] = round(float64(basePeak) / 1024)
	d["provider_cpu_ms_per_object_refresh_plan"] = round(median(cpuRefresh).Seconds() * 1000 / float64(n))
	return nil
}

func round(f float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'f', 3, 64), 64)
	return v
}

// ruleCreates applies k and then 2k new rules on one issuer and service
// account in two working directories: the difference is what a rule create
// costs once its issuer and service account have been read in the run.
func (h *harness) ruleCreates(ctx context.Context, res *Results) error {
	f, err := startFixture(ctx, 12, &client.FederationIssuerCreateParams{Name: "bench-ci", IssuerURL: "https://ci.bench.example.com"}, "bench-rule-target")
	if err != nil {
		return err
	}
	defer f.s.close()
	s, is, sa := f.s, f.is, f.sa
	count := func(tag string, k int) (int, error) {
		dir, err := h.dir("rules-"+tag, fmt.Sprintf(`data "anthropic_workspace" "default" {
  default = true
}
resource "anthropic_federation_rule" "r" {
  count         = %d
  name          = "bench-%s-${count.index}"
  issuer_id     = %q
  match         = { subject_prefix = "repo:acme/app-${count.index}:*" }
  target        = { service_account_id = %q }
  oauth_scope   = "workspace:developer"
  workspace_ids = [data.anthropic_workspace.default.id]
}
`, k, tag, is.ID, sa.ID))
		if err != nil {
			return 0, err
		}
		s.reset()
		if _, err := h.mustSucceed(ctx, s, dir, "apply", "-auto-approve", "-input=false", "-lock=false", "-no-color", h.par()); err != nil {
			return 0, err
		}
		if got := s.emu.RequestCount(emulator.RouteCreateRule); got != k {
			return 0, fmt.Errorf("%d rule creates, want %d", got, k)
		}
		return int(s.requests.Load()), nil
	}
	k := h.cfg.Rules
	small, err := count("a", k)
	if err != nil {
		return err
	}
	large, err := count("b", 2*k)
	if err != nil {
		return err
	}
	res.Keys["requests_per_rule_create"] = round(float64(large-small) / float64(k))
	res.Details["rule_apply_requests_small"] = float64(small)
	res.Details["rule_apply_requests_large"] = float64(large)
	return nil
}

// exchange opens the federation token with a GCE metadata identity token,
// the provider holding an admin credential.
func (h *harness) exchange(ctx context.Context, res *Results) error {
	f, err := startFixture(ctx, 13, &client.FederationIssuerCreateParams{Name: "google", IssuerURL: policy.GoogleIssuer}, "bench-workload")
	if err != nil {
		return err
	}
	defer f.s.close()
	s, c, is, sa := f.s, f.c, f.is, f.sa
	aud, ws, wl := policy.DefaultAudience, "default", googleemu.WorkloadAccount
	rule, err := c.CreateFederationRule(ctx, client.FederationRuleCreateParams{Name: "bench-workload", IssuerID: is.ID,
		Match:  client.RuleMatch{Audience: &aud, Claims: map[string]string{"sub": googleemu.UniqueIDFor(wl), "email": wl}},
		Target: client.RuleTarget{Type: "service_account", ServiceAccountID: sa.ID}, OAuthScope: "workspace:developer", WorkspaceID: &ws})
	if err != nil {
		return err
	}
	dir, err := h.dir("exchange", fmt.Sprintf(`ephemeral "anthropic_federation_token" "t" {
  federation_rule_id = %q
  service_account_id = %q
  gce_metadata       = {}
}
`, rule.ID, sa.ID))
	if err != nil {
		return err
	}
	s.reset()
	if _, err := h.mustSucceed(ctx, s, dir, "plan", "-input=false", "-lock=false", "-no-color"); err != nil {
		return err
	}
	exchanges := s.emu.RequestCount(emulator.RouteOAuthToken)
	if exchanges == 0 {
		return errors.New("terraform plan made no exchange")
	}
	res.Keys["requests_per_exchange"] = round(float64(int(s.requests.Load())) / float64(exchanges))
	return nil
}

// clientOverhead compares the typed client with plain net/http making the
// same GET and decoding the same JSON, in alternating batches so load on
// the machine hits both alike.
func (h *harness) clientOverhead(ctx context.Context, res *Results) error {
	f, err := startFixture(ctx, 14, nil, "bench-client")
	if err != nil {
		return err
	}
	defer f.s.close()
	s, c, sa := f.s, f.c, f.sa
	// The plain client bounds each request like the typed one does (its
	// default per-attempt timeout, 60 s): an http.Client without a Timeout
	// can hang forever, so that is the plain code anyone would ship. The
	// unbounded variant is measured alongside as a detail.
	std, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return fmt.Errorf("http.DefaultTransport is a %T, not an *http.Transport", http.DefaultTransport)
	}
	raw := &http.Client{Transport: std.Clone(), Timeout: client.DefaultRequestTimeout}
	unbounded := &http.Client{Transport: std.Clone()}
	url := s.url + "/v1/organizations/service_accounts/" + sa.ID
	plainGet := func(raw *http.Client) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		// The same headers the typed client sends, so both make the same
		// request and the emulator does the same work for each.
		req.Header.Set("Authorization", "Bearer "+s.emu.AdminToken())
		req.Header.Set("anthropic-version", client.APIVersion)
		req.Header.Set("anthropic-beta", "oauth-2025-04-20")
		req.Header.Set("accept", "application/json")
		req.Header.Set("user-agent", "terraform-provider-anthropic/bench")
		resp, err := raw.Do(req)
		if err != nil {
			return err
		}
		defer func() { _ = resp.Body.Close() }()
		var out client.ServiceAccount
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK || out.ID != sa.ID {
			return fmt.Errorf("raw GET: status %d", resp.StatusCode)
		}
		return nil
	}
	rawGet := func() error { return plainGet(raw) }
	unboundedGet := func() error { return plainGet(unbounded) }
	typedGet := func() error {
		got, err := c.GetServiceAccount(ctx, sa.ID)
		if err == nil && got.ID != sa.ID {
			err = errors.New("typed GET: wrong object")
		}
		return err
	}
	// Warm both connections up.
	if err := errors.Join(rawGet(), unboundedGet(), typedGet()); err != nil {
		return err
	}
	const batches = 20
	per := max(1, h.cfg.ClientRequests/batches)
	var typed, plain, plainUnbounded time.Duration
	for range batches {
		for _, m := range []struct {
			get func() error
			d   *time.Duration
		}{{typedGet, &typed}, {rawGet, &plain}, {unboundedGet, &plainUnbounded}} {
			start := time.Now()
			for range per {
				if err := m.get(); err != nil {
					return err
				}
			}
			*m.d += time.Since(start)
		}
	}
	res.Keys["client_overhead_ratio"] = round(typed.Seconds() / plain.Seconds())
	res.Details["client_typed_us_per_request"] = round(float64(typed.Microseconds()) / float64(per*batches))
	res.Details["client_raw_us_per_request"] = round(float64(plain.Microseconds()) / float64(per*batches))
	res.Details["client_raw_no_timeout_us_per_request"] = round(float64(plainUnbounded.Microseconds()) / float64(per*batches))
	return nil
}

// faultConfig is a small but complete configuration: service accounts, an
// issuer and a rule on them.
const faultConfig = `data "anthropic_workspace" "default" {
  default = true
}
resource "anthropic_service_account" "sa" {
  count = 3
  name  = "bench-fault-${count.index}"
}
resource "anthropic_federation_issuer" "ci" {
  name       = "bench-fault-ci"
  issuer_url = "https://ci.fault.example.com"
}
resource "anthropic_federation_rule" "r" {
  name          = "bench-fault-rule"
  issuer_id     = anthropic_federation_issuer.ci.id
  match         = { subject_prefix = "repo:acme/app:*" }
  target        = { service_account_id = anthropic_service_account.sa[0].id }
  oauth_scope   = "workspace:developer"
  workspace_ids = [data.anthropic_workspace.default.id]
}
`

// faultApplies applies faultConfig against emulators that fault a fraction
// of requests at random, each run seeded differently.
func (h *harness) faultApplies(ctx context.Context, res *Results) error {
	ok := 0
	for i := range h.cfg.FaultRuns {
		s, err := startServer(emulator.Options{Seed: int64(100 + i), FaultRate: h.cfg.FaultRate})
		if err != nil {
			return err
		}
		dir, err := h.dir(fmt.Sprintf("faults-%d", i), faultConfig)
		if err != nil {
			s.close()
			return err
		}
		r, err := h.terraform(ctx, s, dir, "apply", "-auto-approve", "-input=false", "-lock=false", "-no-color", h.par())
		s.close()
		if err != nil {
			return err
		}
		if r.exitCode == 0 {
			ok++
		} else {
			h.logf("    run %d failed:\n%s", i+1, indent(firstError(r.output)))
		}
	}
	res.Keys["fault_apply_first_try"] = round(float64(ok) / float64(max(1, h.cfg.FaultRuns)))
	return nil
}

func firstError(out string) string {
	if i := strings.Index(out, "Error:"); i >= 0 {
		out = out[i:]
	}
	return out[:min(len(out), 600)]
}

func indent(s string) string {
	return "      " + strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n      ")
}

// interrupts sends SIGINT to terraform while it creates service accounts
// and counts the ones that exist on the API but not in the state.
func (h *harness) interrupts(ctx context.Context, res *Results) error {
	orphans := 0
	for i := range h.cfg.SigintRuns {
		n, err := h.interruptOnce(ctx, i)
		if err != nil {
			return err
		}
		orphans += n
	}
	res.Keys["sigint_orphans"] = float64(orphans)
	return nil
}

func (h *harness) interruptOnce(ctx context.Context, i int) (int, error) {
	s, err := startServer(emulator.Options{Seed: int64(200 + i)})
	if err != nil {
		return 0, err
	}
	defer s.close()
	s.latency.Store(int64(200 * time.Millisecond))
	dir, err := h.dir(fmt.Sprintf("sigint-%d", i), fmt.Sprintf(`resource "anthropic_service_account" "sa" {
  count = %d
  name  = "bench-int-${count.index}"
}
`, h.cfg.SigintObjects))
	if err != nil {
		return 0, err
	}
	var interrupted atomic.Bool
	r, err := h.terraformWith(ctx, s, dir, func(cmd *exec.Cmd) {
		go func() {
			// Interrupt once the first creates have been served, while
			// others are in flight.
			deadline := time.Now().Add(60 * time.Second)
			for time.Now().Before(deadline) && s.emu.RequestCount(emulator.RouteCreateServiceAccount) < 2 {
				time.Sleep(5 * time.Millisecond)
			}
			time.Sleep(time.Duration(30+40*i) * time.Millisecond)
			if cmd.Process.Signal(syscall.SIGINT) == nil {
				interrupted.Store(true)
			}
		}()
	}, "apply", "-auto-approve", "-input=false", "-lock=false", "-no-color", h.par())
	if err != nil {
		return 0, err
	}
	if !interrupted.Load() {
		return 0, fmt.Errorf("run %d: terraform finished before it could be interrupted (exit %d)", i+1, r.exitCode)
	}
	s.latency.Store(0)
	tracked, err := stateIDs(filepath.Join(dir, "terraform.tfstate"))
	if err != nil {
		return 0, err
	}
	c, err := s.client()
	if err != nil {
		return 0, err
	}
	orphans, live := 0, 0
	for sa, err := range c.ListServiceAccounts(ctx, client.ListParams{Limit: 100}) {
		if err != nil {
			return 0, err
		}
		if !strings.HasPrefix(sa.Name, "bench-int-") {
			continue
		}
		live++
		if !tracked[sa.ID] {
			orphans++
		}
	}
	h.logf("    run %d: %d created, %d in state, %d untracked", i+1, live, len(tracked), orphans)
	return orphans, nil
}

// stateIDs returns the ids of the resource instances in a state file.
func stateIDs(path string) (map[string]bool, error) {
	ids := map[string]bool{}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return ids, nil
	}
	if err != nil {
		return nil, err
	}
	var st struct {
		Resources []struct {
			Instances []struct {
				Attributes struct {
					ID string `json:"id"`
				} `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, r := range st.Resources {
		for _, in := range r.Instances {
			if in.Attributes.ID != "" {
				ids[in.Attributes.ID] = true
			}
		}
	}
	return ids, nil
}
