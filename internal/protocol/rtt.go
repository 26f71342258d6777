package protocol

import (
	"math"
	"time"
)

// Retransmission constants, the same in AWS's plugin and agent.
const (
	// InitialRTO is the retransmission timeout before the first sample.
	InitialRTO = 200 * time.Millisecond
	// InitialRTT is the round-trip estimate before the first sample.
	InitialRTT = 100 * time.Millisecond
	// MaxRTO caps the retransmission timeout.
	MaxRTO = time.Second
	// ClockGranularity is the floor of the variance term of the timeout.
	ClockGranularity = 10 * time.Millisecond
	// TickInterval is how often unacknowledged messages are checked.
	TickInterval = 100 * time.Millisecond

	rttAlpha = 1.0 / 8 // gain of the round-trip estimate
	rttBeta  = 1.0 / 4 // gain of its variation
)

// rttEstimator is AWS's (and RFC 6298's) smoothed round-trip estimate:
//
//	RTTVar = (1-β)·RTTVar + β·|RTT − sample|
//	RTT    = (1-α)·RTT + α·sample
//	RTO    = min(RTT + max(ClockGranularity, 4·RTTVar), MaxRTO)
//
// The sample is the time since the acknowledged message was last sent,
// retransmitted or not (AWS does not apply Karn's rule). There is no
// exponential backoff: MaxRTO is the longest wait.
type rttEstimator struct {
	rtt, rttvar float64 // nanoseconds
	rto         time.Duration
}

func newRTTEstimator() rttEstimator {
	return rttEstimator{rtt: float64(InitialRTT), rto: InitialRTO}
}

func (e *rttEstimator) sample(d time.Duration) {
	s := float64(max(d, 0))
	e.rttvar = (1-rttBeta)*e.rttvar + rttBeta*math.Abs(e.rtt-s)
	e.rtt = (1-rttAlpha)*e.rtt + rttAlpha*s
	e.rto = min(time.Duration(e.rtt+math.Max(float64(ClockGranularity), 4*e.rttvar)), MaxRTO)
}
