package emulator

import (
	"fmt"
	"time"
)

// Fault is an injected misbehaviour for the next matching calls of a route.
type Fault struct {
	// Status answers with this status and the matching error envelope
	// (e.g. 529, 429, 500, 503); 0 leaves the answer alone (latency only).
	Status int
	// Times is how many of the next matching calls fault; <=0 means 1.
	Times int
	// RetryAfter sets the retry-after header (whole seconds, rounded up).
	RetryAfter time.Duration
	// Latency delays the matching calls.
	Latency time.Duration
	// AfterProcessing applies the request first and then answers Status (or
	// drops the connection): the write happened but the client can't know.
	AfterProcessing bool
	// DropConnection closes the connection without any response.
	DropConnection bool
	// Body replaces the answer's body verbatim (e.g. `{}` or `null`), with
	// Status, or 200 when Status is 0: a broken server or proxy. With
	// AfterProcessing the request is applied first.
	Body string
}

// RandomFaults strike requests of the Anthropic API at random, drawn from
// the emulator's seeded source: an overloaded or rate-limited service.
// Random faults refuse before processing, as the real front end does.
type RandomFaults struct {
	// Rate (0..1) is the fraction of requests answered with an error.
	Rate float64
	// Statuses are drawn uniformly for those answers; empty means 529.
	Statuses []int
	// RetryAfter is sent as retry-after (whole seconds, rounded up) with
	// every random fault; 0 sends none.
	RetryAfter time.Duration
	// SpikeRate (0..1) of requests are delayed by Spike before anything
	// else happens.
	SpikeRate float64
	Spike     time.Duration
}

// SetRandomFaults replaces the random faults; the zero value turns them off.
func (e *Emulator) SetRandomFaults(f RandomFaults) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.random = f
}

// drawRandomFault decides a request's random fault and latency spike;
// callers hold e.mu.
func (e *Emulator) drawRandomFault() (status int, spike time.Duration) {
	f := e.random
	if f.SpikeRate > 0 && e.faultRand.Float64() < f.SpikeRate {
		spike = f.Spike
	}
	if f.Rate > 0 && e.faultRand.Float64() < f.Rate {
		status = 529
		if len(f.Statuses) > 0 {
			status = f.Statuses[e.faultRand.IntN(len(f.Statuses))]
		}
	}
	return status, spike
}

// InjectFault queues f for the next calls of route (one of the Route*
// patterns). Faults queued on the same route apply in order. It panics on an
// unknown route, so a typo can't silently disable a test's fault.
func (e *Emulator) InjectFault(route string, f Fault) {
	if !isKnownRoute(route) {
		panic(fmt.Sprintf("emulator: InjectFault: unknown route %q", route))
	}
	if f.Times <= 0 {
		f.Times = 1
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults[route] = append(e.faults[route], &f)
}

// ClearFaults drops every queued fault (the random fault rate stays).
func (e *Emulator) ClearFaults() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults = map[string][]*Fault{}
}

// SetFaultRate sets the fraction (0..1) of requests answered 529 at random
// (SetRandomFaults with only a rate).
func (e *Emulator) SetFaultRate(rate float64) {
	e.SetRandomFaults(RandomFaults{Rate: rate})
}

// takeFault consumes one use of the route's first queued fault; callers hold e.mu.
func (e *Emulator) takeFault(route string) *Fault {
	q := e.faults[route]
	if len(q) == 0 {
		return nil
	}
	f := *q[0]
	q[0].Times--
	if q[0].Times <= 0 {
		e.faults[route] = q[1:]
	}
	return &f
}

// RequestCount is how many requests were routed to route, faulted or not.
func (e *Emulator) RequestCount(route string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.counts[route]
}

// TotalRequests counts every request, routed or not.
func (e *Emulator) TotalRequests() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.total
}

// ResetCounters zeroes RequestCount and TotalRequests.
func (e *Emulator) ResetCounters() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.counts = map[string]int{}
	e.total = 0
}

// SetStaleReads makes a GET by id return an object's previous version for d
// after each update or archive of it (the read-your-write lag of the real
// service). Newly created objects are visible at once. 0 turns it off.
func (e *Emulator) SetStaleReads(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.staleFor = d
}
