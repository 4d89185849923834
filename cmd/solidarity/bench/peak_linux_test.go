package bench

import (
	"os/exec"
	"runtime"
	"syscall"
	"testing"
)

// TestWatchPeakIsTheChilds checks that a child's peak memory is its own,
// not the bench's: a child started while the bench holds much memory
// reports what it used, although its ru_maxrss holds the bench's peak.
func TestWatchPeakIsTheChilds(t *testing.T) {
	const held = 256 << 20
	ballast := make([]byte, held)
	for i := range ballast {
		ballast[i] = 1
	}
	cmd := exec.Command("sleep", "0.3")
	if err := cmd.Start(); err != nil {
		t.Skipf("no sleep command: %v", err)
	}
	peak := watchPeak(cmd.Process.Pid)
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	got := peak(cmd.ProcessState)
	runtime.KeepAlive(ballast)
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		t.Logf("sleep: watchPeak %d KB, ru_maxrss %d KB, the test holds %d KB", got>>10, ru.Maxrss, held>>10)
	}
	if got <= 0 || got >= 64<<20 {
		t.Errorf("peak of sleep = %d bytes, want more than 0 and less than 64 MB", got)
	}
}
