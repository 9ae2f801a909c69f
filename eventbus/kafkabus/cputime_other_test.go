//go:build !unix

package kafkabus_test

import "time"

func cpuTime() time.Duration { return 0 }
