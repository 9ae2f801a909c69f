// Package eventbustest is the conformance suite every eventbus adapter
// passes: membus, kafkabus (on kfake + srfake), redisbus (on miniredis and
// redis-server) and any adapter a host writes.
//
// # Usage
//
// An adapter's test implements Harness over a fresh topic and calls
//
//	eventbustest.Run(t, func(t *testing.T) eventbustest.Harness { … }, eventbustest.Features{…})
//
// # What it checks
//
//   - delivery: every published event arrives with its attributes, key and
//     data intact, events of unknown types included;
//   - ack semantics: a message whose handler failed with a retryable error
//     is delivered again, and a restarted consumer sees nothing that was
//     acknowledged;
//   - redelivery after death: a message held by a consumer that stopped
//     without acknowledging it goes to the next consumer of the group, and
//     nothing acknowledged before is delivered again;
//   - order per key;
//   - dead-lettering: a permanent handler error puts the message in the
//     dead-letter queue with the reason, it is acknowledged, and
//     consumption carries on; undecodable messages too (Features.Poison);
//   - concurrent consumers in one group share the work and together
//     handle every event;
//   - metrics (Features.Metrics, a MeteredHarness): the documented
//     credshare.bus.delivered, credshare.bus.dead_lettered and
//     credshare.bus.lag instruments, collected with an OpenTelemetry SDK
//     ManualReader, carry the documented attributes and count accepted
//     messages (a retryable failure counts nowhere), dead letters by
//     reason_kind (decode, panic, permanent) and the messages a consumer
//     holding one event has not acknowledged; a closed source reports no
//     lag.
package eventbustest
