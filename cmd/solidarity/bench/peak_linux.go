package bench

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// peakPoll is how often watchPeak reads a child's peak memory.
const peakPoll = 20 * time.Millisecond

// watchPeak watches the running process pid and returns stop, to call once
// it exited: stop answers its peak resident memory in bytes, as
// /proc/pid/status last showed it (VmHWM), or 0 when it never showed it.
// Only growth in the last peakPoll before the exit can be missed.
//
// The rusage of the exited child (ru_maxrss) would be wrong here: exec
// keeps the high-water mark of the memory it replaces, and a child Go
// starts shares its parent's memory until exec (vfork), so ru_maxrss is
// at least the bench's own peak, which grows with the signatures its
// embedded database was filled with.
func watchPeak(pid int) (stop func(*os.ProcessState) int64) {
	path := "/proc/" + strconv.Itoa(pid) + "/status"
	var peak atomic.Int64
	read := func() {
		if hwm := readHWM(path); hwm > peak.Load() {
			peak.Store(hwm)
		}
	}
	read()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(peakPoll)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				read()
			}
		}
	})
	return func(*os.ProcessState) int64 {
		close(done)
		wg.Wait()
		return peak.Load()
	}
}

// readHWM reads the VmHWM line of a /proc status file in bytes; 0 when the
// file or the line is not there (the process ended).
func readHWM(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("VmHWM:"))
		if !ok {
			continue
		}
		field := bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(rest), []byte("kB")))
		kb, err := strconv.ParseInt(string(field), 10, 64)
		if err != nil {
			return 0
		}
		return kb << 10
	}
	return 0
}
