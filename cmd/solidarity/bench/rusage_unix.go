//go:build unix && !linux

package bench

import (
	"os"
	"runtime"
	"syscall"
)

// watchPeak returns maxRSS: on this system the peak memory of a child is
// read from its rusage once it exited. (Where a child shares the bench's
// memory until exec, as Linux's vfork does, that figure holds the bench's
// own peak too: see peak_linux.go.)
func watchPeak(int) func(*os.ProcessState) int64 { return maxRSS }

// maxRSS is the peak resident memory of an exited process in bytes, 0
// where the system does not say.
func maxRSS(ps *os.ProcessState) int64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	if runtime.GOOS == "darwin" {
		return int64(ru.Maxrss) // bytes there, KB elsewhere
	}
	return int64(ru.Maxrss) * 1024
}
