package membus_test

import (
	"testing"

	"github.com/credshare/credshare/eventbus/membus"
)

func TestLagWithoutMeterOnEmptyTopic(t *testing.T) {
	bus := membus.New(membus.Config{Partitions: 2})
	src, err := bus.NewSource(membus.SourceConfig{Group: "g", Topics: []string{topic}})
	if err != nil {
		t.Fatal(err)
	}
	if l := src.Lag(); len(l) != 2 || l[0].Messages != 0 || l[1].Messages != 0 {
		t.Fatalf("Lag of an empty topic = %+v", l)
	}
	_ = src.Close()
}
