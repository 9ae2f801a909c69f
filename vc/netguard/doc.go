// Package netguard is credshare's one outbound HTTP client: every URL the
// library or its programs fetch because of input — a holder's did:web, the
// kid of a proof, a status list URL in a credential being verified, a
// JSON-LD context, `credshare verify URL`, a webhook fetch-back — goes
// through a client made here.
//
// # Sections
//
// The policy. Policy says where a fetch may go. The zero Policy is the safe
// default: https only; no loopback, private (RFC 1918), link-local (cloud
// metadata at 169.254.169.254), shared (CGNAT), multicast, unspecified,
// broadcast, reserved or documentation address, nor the IPv6 unique-local,
// link-local, NAT64, 6to4 and IPv4-mapped forms of them. The address check
// runs at dial time on the address actually dialled (a net.Dialer.Control
// hook), so a host name that resolves to 127.0.0.1, or rebinds between a
// check and the connection, is refused too. The address registry is
// code.dny.dev/ssrf's, generated from the IANA special-purpose registries.
//
// Exceptions. Policy.AllowHosts names hosts that may be reached wherever
// they resolve (a deployment whose did:web documents live inside its
// network); Policy.AllowPrefixes names address ranges; Policy.AllowHTTP
// permits plain http (local development). Localhost() is the policy for
// programs and tests on one machine: loopback and plain http allowed,
// everything else as by default. An https URL never redirects to http,
// whatever the policy.
//
// The client. New returns an *http.Client with the policy at dial time,
// no proxy (a proxy would make the dialled address the proxy's), at most
// Config.MaxRedirects redirects, each re-checked, a response body cap and
// a total deadline; requests honour their context. The limits are
// enforced by the client's transport, so a caller that replaces the
// client's CheckRedirect or Timeout cannot weaken them.
//
// Errors. A refused destination is a *DeniedError matching ErrDenied; an
// oversized body fails its Read with an error matching ErrTooLarge. Both
// name the address or URL, which is for logs: a server answering a remote
// caller should say something generic ("holder DID could not be
// resolved") and log the detail — Describe helps.
package netguard
