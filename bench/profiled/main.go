// Command profiled is the provider with profiling, for the harness's
// -profile runs: it serves exactly what main.go serves and, when terraform
// shuts it down, writes a CPU profile and a heap profile of its own
// process to $BENCH_PROFILE_DIR (cpu-<pid>.pprof, heap-<pid>.pprof, goroutine-<pid>.txt), and
// samples its heap every 20 ms (heap-timeline-<pid>.txt, peakheap-<pid>.pprof).
package main

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"sync/atomic"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/wiflabs/terraform-provider-anthropic/internal/provider"
)

func main() {
	dir := os.Getenv("BENCH_PROFILE_DIR")
	var cpu *os.File
	if dir != "" {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("cpu-%d.pprof", os.Getpid())))
		if err == nil && pprof.StartCPUProfile(f) == nil {
			cpu = f
		}
	}
	if os.Getenv("BENCH_PROFILE_LOGS") == "" {
		provider.QuietUncollectedLogs()
	}
	var peakGoroutines, peakHeapInuse atomic.Uint64
	go func() {
		var ms runtime.MemStats
		live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		var peakLive uint64
		// The heap over time: a live heap that keeps growing after each GC
		// is memory kept per request (that is how the framework's retained
		// request contexts showed, see bench/NOTES.md).
		var timeline *os.File
		if dir != "" {
			timeline, _ = os.Create(filepath.Join(dir, fmt.Sprintf("heap-timeline-%d.txt", os.Getpid())))
			if timeline != nil {
				_, _ = fmt.Fprintln(timeline, "ms heap_inuse_kib heap_live_kib num_gc goroutines")
			}
		}
		start := time.Now()
		for {
			runtime.ReadMemStats(&ms)
			peakHeapInuse.Store(max(peakHeapInuse.Load(), ms.HeapInuse))
			peakGoroutines.Store(max(peakGoroutines.Load(), uint64(runtime.NumGoroutine())))
			metrics.Read(live)
			if timeline != nil {
				_, _ = fmt.Fprintf(timeline, "%d %d %d %d %d\n", time.Since(start).Milliseconds(), ms.HeapInuse>>10,
					live[0].Value.Uint64()>>10, ms.NumGC, runtime.NumGoroutine())
			}
			// The heap profile is as of the last GC, like the live heap
			// metric: keep the one of the largest live heap.
			if v := live[0].Value.Uint64(); dir != "" && v > peakLive+1<<20 {
				peakLive = v
				if f, err := os.Create(filepath.Join(dir, fmt.Sprintf("peakheap-%d.pprof", os.Getpid()))); err == nil {
					_ = pprof.Lookup("heap").WriteTo(f, 0)
					_ = f.Close()
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	server, err := provider.ProtocolServer("bench")()
	if err == nil {
		err = tf6server.Serve(provider.Address, func() tfprotov6.ProviderServer { return server })
	}
	if cpu != nil {
		pprof.StopCPUProfile()
		_ = cpu.Close()
		if f, err := os.Create(filepath.Join(dir, fmt.Sprintf("heap-%d.pprof", os.Getpid()))); err == nil {
			runtime.GC()
			runtime.GC()
			_ = pprof.Lookup("heap").WriteTo(f, 0)
			_ = f.Close()
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		_ = os.WriteFile(filepath.Join(dir, fmt.Sprintf("memstats-%d.txt", os.Getpid())),
			fmt.Appendf(nil, "PeakGoroutines %d\nPeakHeapInuse %d\nSys %d\nHeapSys %d\nHeapInuse %d\nHeapReleased %d\nStackSys %d\nTotalAlloc %d\nNumGC %d\n",
				peakGoroutines.Load(), peakHeapInuse.Load(), ms.Sys, ms.HeapSys, ms.HeapInuse, ms.HeapReleased, ms.StackSys, ms.TotalAlloc, ms.NumGC), 0o644)
		if f, err := os.Create(filepath.Join(dir, fmt.Sprintf("goroutine-%d.txt", os.Getpid()))); err == nil {
			_ = pprof.Lookup("goroutine").WriteTo(f, 1)
			_ = f.Close()
		}
	}
	if err != nil {
		log.Fatal(err)
	}
}
