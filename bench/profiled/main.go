// Command profiled is the provider with profiling, for the harness's
// -profile runs: it serves exactly what main.go serves and, when terraform
// shuts it down, writes a CPU profile and a heap profile of its own
// process to $BENCH_PROFILE_DIR (cpu-<pid>.pprof, heap-<pid>.pprof, goroutine-<pid>.txt).
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

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
	err := providerserver.Serve(context.Background(), provider.New("bench"), providerserver.ServeOpts{Address: provider.Address})
	if cpu != nil {
		pprof.StopCPUProfile()
		cpu.Close()
		if f, err := os.Create(filepath.Join(dir, fmt.Sprintf("heap-%d.pprof", os.Getpid()))); err == nil {
			runtime.GC()
			runtime.GC()
			_ = pprof.Lookup("heap").WriteTo(f, 0)
			f.Close()
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		_ = os.WriteFile(filepath.Join(dir, fmt.Sprintf("memstats-%d.txt", os.Getpid())),
			fmt.Appendf(nil, "Sys %d\nHeapSys %d\nHeapInuse %d\nHeapReleased %d\nStackSys %d\nTotalAlloc %d\nNumGC %d\n",
				ms.Sys, ms.HeapSys, ms.HeapInuse, ms.HeapReleased, ms.StackSys, ms.TotalAlloc, ms.NumGC), 0o644)
		if f, err := os.Create(filepath.Join(dir, fmt.Sprintf("goroutine-%d.txt", os.Getpid()))); err == nil {
			_ = pprof.Lookup("goroutine").WriteTo(f, 1)
			f.Close()
		}
	}
	if err != nil {
		log.Fatal(err)
	}
}
