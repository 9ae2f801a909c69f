package verifypage

import (
	"net/http"
	"net/netip"
)

// LimitedClients is the number of clients whose rate budget h keeps.
func (h *Handler) LimitedClients() int {
	if h.limit == nil {
		return 0
	}
	return h.limit.size()
}

// CachedOutcomes is the number of verification outcomes h keeps.
func (h *Handler) CachedOutcomes() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cache.len()
}

// ClientKey exposes clientKey to the tests.
func ClientKey(r *http.Request, trusted []netip.Prefix) string { return clientKey(r, trusted) }
