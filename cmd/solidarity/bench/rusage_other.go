//go:build !unix

package bench

import "os"

// watchPeak returns maxRSS: this system does not say.
func watchPeak(int) func(*os.ProcessState) int64 { return maxRSS }

// maxRSS is 0: this system does not report a child's peak memory.
func maxRSS(*os.ProcessState) int64 { return 0 }
