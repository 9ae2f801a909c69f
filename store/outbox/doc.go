// Package outbox runs the items of a store.Outbox: the calls to the outside
// world (provider API calls, published events) that were written in the same
// store transaction as the state change that caused them.
//
// A [Dispatcher] claims due items with a lease, calls the [Handler]
// registered for each item's kind with [Dispatcher.Handle], and completes,
// reschedules (capped exponential backoff with jitter, honouring the wait an
// error asks for through retry.Delay) or kills the item; a permanent error
// (retry.IsPermanent, from credential/retry: the verdict the event bus and
// the badge providers share) kills it at once. Per-target [Limits] (concurrency, rate, burst) come from
// [Config.Limits] or from [Dispatcher.LimitTarget]. Several dispatchers, in
// one process or many, may run against one store: leases make sure an item
// runs in one place.
//
// The package knows outbox items and handlers only. What an item means is
// up to whoever registers its handler: credential/pipeline registers the
// badge-provider and event-publishing handlers with
// pipeline.Pipeline.RegisterHandlers.
package outbox
