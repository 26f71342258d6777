//go:build !unix

package loadtest

import "time"

func cpuTime() time.Duration { return 0 }

func processCPUTime(pid int) time.Duration { return 0 }

func loadAverage() float64 { return 0 }

func raiseOpenFiles(want int) int { return want }
