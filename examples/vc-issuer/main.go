package main

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/credshare/credshare/badge/obv3"
	"github.com/credshare/credshare/internal/keyfile"
	"github.com/credshare/credshare/internal/storeurl"
	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/status/statusproof"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/did"
	"github.com/credshare/credshare/vc/issuer"
	"github.com/credshare/credshare/vc/netguard"
	"github.com/credshare/credshare/vc/verify"
	"github.com/credshare/credshare/vc/verifypage"
	"github.com/credshare/credshare/vc/wallet"
	"github.com/credshare/credshare/vc/wallet/lcw"
	"github.com/credshare/credshare/vc/wallet/oid4vci"
	"github.com/credshare/credshare/vc/wallet/vcapi"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil)
	switch {
	case errors.Is(err, flag.ErrHelp):
	case errors.As(err, new(configError)):
		fmt.Fprintln(os.Stderr, "vc-issuer:", err)
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "vc-issuer:", err)
		os.Exit(1)
	}
}

// config holds the settings.
type config struct {
	listen, publicURL, db, didWeb, keys, tokens, tlsCert, tlsKey string
	name, url, image, email                                      string
	demo                                                         bool
	// requestTimeout bounds one wallet request (wallet.Config.RequestTimeout);
	// shutdownGrace is how long SIGINT/SIGTERM wait for in-flight requests
	// before cancelling them.
	requestTimeout, shutdownGrace time.Duration
	// pageCache is how long a verification page's outcome, and a status
	// list it read, are reused (0: verified on every request).
	pageCache time.Duration
	// pageRate is the verification page's per-client request rate (0:
	// no limit); trustedProxies are the proxies whose X-Forwarded-For it
	// reads.
	pageRate       float64
	trustedProxies []netip.Prefix
	// fetchAllow lists hosts and CIDRs holders' did:web documents may be
	// fetched from although the default policy refuses them; fetchCA is a
	// PEM file of extra roots for such an internal https host.
	fetchAllow, fetchCA string
	// fetch is the netguard policy and TLS roots built from the above.
	fetch netguard.Config
}

// Server limits (see http.Server): a slow or huge request cannot hold a
// connection or memory for long.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	minWriteTimeout   = 60 * time.Second
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 64 << 10
	// maxRequestBody caps every request body; the wallet endpoints have
	// their own, smaller cap (wallet.DefaultMaxBody).
	maxRequestBody = 1 << 20
)

type configError struct{ problems []string }

func (e configError) Error() string {
	return "invalid configuration:\n  " + strings.Join(e.problems, "\n  ")
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func parse(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("vc-issuer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.listen, "listen", env("CREDSHARE_LISTEN", "127.0.0.1:8090"), "address to listen on")
	fs.StringVar(&c.publicURL, "public-url", env("CREDSHARE_PUBLIC_URL", ""), "URL wallets reach this server at (default http://LISTEN)")
	fs.StringVar(&c.db, "db", env("CREDSHARE_DB", "sqlite:vc-issuer.db"), "store: sqlite:PATH, mysql:DSN or mem:")
	fs.StringVar(&c.didWeb, "did-web", env("CREDSHARE_DID_WEB", ""), "be did:web:HOST[:PATH] and serve its DID document")
	fs.StringVar(&c.keys, "key", env("CREDSHARE_ISSUER_KEYS", ""), "comma-separated issuer key files, oldest first (the last signs)")
	fs.StringVar(&c.name, "issuer-name", env("CREDSHARE_ISSUER_NAME", "Example University"), "issuer name")
	fs.StringVar(&c.url, "issuer-url", env("CREDSHARE_ISSUER_URL", ""), "issuer web site")
	fs.StringVar(&c.image, "issuer-image", env("CREDSHARE_ISSUER_IMAGE", ""), "issuer logo URL")
	fs.StringVar(&c.email, "issuer-email", env("CREDSHARE_ISSUER_EMAIL", ""), "issuer contact e-mail")
	fs.StringVar(&c.tokens, "tokens", env("CREDSHARE_LEARNER_TOKENS", ""), `JSON file {"<bearer token>": <LMS user id>} (demo learner auth)`)
	fs.StringVar(&c.tlsCert, "tls-cert", env("CREDSHARE_TLS_CERT", ""), "TLS certificate (PEM) to serve HTTPS")
	fs.StringVar(&c.tlsKey, "tls-key", env("CREDSHARE_TLS_KEY", ""), "TLS key (PEM)")
	fs.BoolVar(&c.demo, "demo", false, "temporary store, generated key, a seeded learner with two awards")
	fs.StringVar(&c.fetchAllow, "fetch-allow", env("CREDSHARE_FETCH_ALLOW", ""), "comma-separated hosts (*.example.edu) and CIDRs holders' did:web documents may be fetched from although internal")
	fs.StringVar(&c.fetchCA, "fetch-ca", env("CREDSHARE_FETCH_CA", ""), "PEM file of extra CA certificates for fetching holders' did:web documents (an internal host)")
	requestTimeout := fs.String("request-timeout", env("CREDSHARE_REQUEST_TIMEOUT", wallet.DefaultRequestTimeout.String()), "deadline of one wallet request (503 after it)")
	pageCache := fs.String("page-cache", env("CREDSHARE_PAGE_CACHE", verifypage.DefaultCacheTTL.String()), "how long a verification page's result is reused (0: verify on every request)")
	pageRate := fs.String("page-rate", env("CREDSHARE_PAGE_RATE", strconv.Itoa(verifypage.DefaultRate)), "verification page requests per second per client (0: no limit)")
	trustedProxies := fs.String("trusted-proxies", env("CREDSHARE_TRUSTED_PROXIES", ""), "comma-separated CIDRs of reverse proxies whose X-Forwarded-For names the page's client")
	shutdownGrace := fs.String("shutdown-grace", env("CREDSHARE_SHUTDOWN_GRACE", "15s"), "how long SIGINT/SIGTERM wait for in-flight requests before cancelling them")
	// -help prints each default; one taken from CREDSHARE_DB may hold a
	// password, so the help shows it redacted.
	fs.Lookup("db").DefValue = storeurl.Redact(c.db)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	var problems []string
	if fs.NArg() > 0 {
		problems = append(problems, fmt.Sprintf("unexpected arguments %q", fs.Args()))
	}
	if _, _, err := net.SplitHostPort(c.listen); err != nil {
		problems = append(problems, fmt.Sprintf("-listen / CREDSHARE_LISTEN: %q is not host:port", c.listen))
	}
	if c.publicURL != "" {
		if u, err := url.Parse(c.publicURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			problems = append(problems, fmt.Sprintf("-public-url / CREDSHARE_PUBLIC_URL: %q is not an absolute http(s) URL", c.publicURL))
		}
	}
	if (c.tlsCert == "") != (c.tlsKey == "") {
		problems = append(problems, "-tls-cert and -tls-key go together")
	}
	if c.didWeb != "" && c.keys == "" && !c.demo {
		problems = append(problems, "-did-web needs -key (the did:web's keys must survive restarts)")
	}
	if c.name == "" {
		problems = append(problems, "-issuer-name / CREDSHARE_ISSUER_NAME must not be empty")
	}
	var err error
	if c.requestTimeout, err = time.ParseDuration(*requestTimeout); err != nil || c.requestTimeout <= 0 {
		problems = append(problems, fmt.Sprintf("-request-timeout / CREDSHARE_REQUEST_TIMEOUT: %q is not a positive duration", *requestTimeout))
	}
	if c.shutdownGrace, err = time.ParseDuration(*shutdownGrace); err != nil || c.shutdownGrace < 0 {
		problems = append(problems, fmt.Sprintf("-shutdown-grace / CREDSHARE_SHUTDOWN_GRACE: %q is not a duration", *shutdownGrace))
	}
	if c.pageCache, err = time.ParseDuration(*pageCache); err != nil || c.pageCache < 0 {
		problems = append(problems, fmt.Sprintf("-page-cache / CREDSHARE_PAGE_CACHE: %q is not a duration", *pageCache))
	}
	if c.pageRate, err = strconv.ParseFloat(*pageRate, 64); err != nil || c.pageRate < 0 || math.IsInf(c.pageRate, 0) {
		problems = append(problems, fmt.Sprintf("-page-rate / CREDSHARE_PAGE_RATE: %q is not a rate (requests per second, 0 for none)", *pageRate))
	}
	for _, p := range strings.Split(*trustedProxies, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		pfx, err := netip.ParsePrefix(p)
		if err != nil {
			a, aerr := netip.ParseAddr(p)
			if aerr != nil {
				problems = append(problems, fmt.Sprintf("-trusted-proxies / CREDSHARE_TRUSTED_PROXIES: %q is not a CIDR or address", p))
				continue
			}
			pfx = netip.PrefixFrom(a, a.BitLen())
		}
		c.trustedProxies = append(c.trustedProxies, pfx.Masked())
	}
	var fetchProblems []string
	c.fetch, fetchProblems = fetchConfig(c.fetchAllow, c.fetchCA, c.demo)
	problems = append(problems, fetchProblems...)
	if len(problems) > 0 {
		return c, configError{problems}
	}
	return c, nil
}

// server is the assembled issuer.
type server struct {
	st       store.Store
	issuer   string
	svc      *wallet.Service
	registry *wallet.Registry
	lcw      *lcw.Wallet
	mux      *http.ServeMux
	verifier *verify.Verifier
	auth     *bearerAuth
	statuses *status.Service
	doc      *did.Document
	// resolver resolves holders' DIDs; did:web documents are fetched
	// through a netguard client (fetchConfig).
	resolver *did.Resolver
	// page serves the public verification pages, /credentials/{id}.
	page *verifypage.Handler
	// httpSrv is the server run serves with (its limits: newHTTPServer).
	httpSrv *http.Server
	log     *slog.Logger
}

// fetchConfig builds the netguard configuration of the client that fetches
// holders' did:web documents: the default policy (https, public addresses
// only), plus the hosts and CIDRs of allow, plus loopback and plain http
// under -demo only; caFile adds roots to the system's. It returns the
// problems found in the flags.
func fetchConfig(allow, caFile string, demo bool) (netguard.Config, []string) {
	var cfg netguard.Config
	var problems []string
	if demo {
		cfg.Policy = netguard.Localhost()
	}
	for _, a := range strings.Split(allow, ",") {
		if a = strings.TrimSpace(a); a == "" {
			continue
		}
		if strings.Contains(a, "/") {
			pr, err := netip.ParsePrefix(a)
			if err != nil {
				problems = append(problems, fmt.Sprintf("-fetch-allow / CREDSHARE_FETCH_ALLOW: %q is not a CIDR", a))
				continue
			}
			cfg.Policy.AllowPrefixes = append(cfg.Policy.AllowPrefixes, pr)
			continue
		}
		cfg.Policy.AllowHosts = append(cfg.Policy.AllowHosts, a)
	}
	if _, err := netguard.New(netguard.Config{Policy: cfg.Policy}); err != nil {
		problems = append(problems, "-fetch-allow / CREDSHARE_FETCH_ALLOW: "+strings.TrimPrefix(err.Error(), "netguard: Policy.AllowHosts: "))
	}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			problems = append(problems, fmt.Sprintf("-fetch-ca / CREDSHARE_FETCH_CA: %v", err))
			return cfg, problems
		}
		roots, err := x509.SystemCertPool()
		if err != nil || roots == nil {
			roots = x509.NewCertPool()
		}
		if !roots.AppendCertsFromPEM(pem) {
			problems = append(problems, fmt.Sprintf("-fetch-ca / CREDSHARE_FETCH_CA: %s holds no PEM certificate", caFile))
			return cfg, problems
		}
		cfg.TLS = &tls.Config{RootCAs: roots}
	}
	return cfg, problems
}

// identity loads the issuer keys and builds its DID document.
func identity(c config, stderr io.Writer) (issuerDID string, signer vc.Signer, doc *did.Document, err error) {
	var keys []keyfile.Key
	for _, p := range strings.Split(c.keys, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		var want string
		if c.didWeb != "" {
			want = didWebID(c.didWeb)
		}
		k, err := keyfile.Load(p, want)
		if err != nil {
			return "", nil, nil, configError{[]string{err.Error()}}
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		priv, didKey, vm, err := did.GenerateKey()
		if err != nil {
			return "", nil, nil, err
		}
		if c.didWeb == "" {
			fmt.Fprintln(stderr, "vc-issuer: no -key: using a did:key generated for this run only")
		}
		keys = append(keys, keyfile.Key{DID: didKey, Method: vm, Private: priv})
	}
	last := keys[len(keys)-1]
	if c.didWeb == "" {
		if doc, err = did.KeyDocument(last.DID); err != nil {
			return "", nil, nil, err
		}
		s, err := vc.NewSigner(last.Private, last.Method)
		return last.DID, s, doc, err
	}
	issuerDID = didWebID(c.didWeb)
	pubs := make([]ed25519.PublicKey, len(keys))
	for i, k := range keys {
		pubs[i] = k.Private.Public().(ed25519.PublicKey)
	}
	if doc, err = did.NewDocument(issuerDID, pubs); err != nil {
		return "", nil, nil, err
	}
	s, err := vc.NewSigner(last.Private, fmt.Sprintf("%s#key-%d", issuerDID, len(keys)))
	return issuerDID, s, doc, err
}

// didWebID turns "host[:path…]" into did:web:host[:path…].
func didWebID(spec string) string {
	host, path, _ := strings.Cut(spec, ":")
	if path == "" {
		return did.WebDID(host)
	}
	return did.WebDID(host, strings.Split(path, ":")...)
}

// assemble builds the issuer on st, reachable at public.
func assemble(st store.Store, c config, public string, stderr io.Writer, log *slog.Logger) (*server, error) {
	issuerDID, key, doc, err := identity(c, stderr)
	if err != nil {
		return nil, err
	}
	signer, err := issuer.New(issuer.Config{Signer: key})
	if err != nil {
		return nil, err
	}
	statusBase := public + "/status"
	statuses, err := status.New(status.Config{BaseURL: statusBase})
	if err != nil {
		return nil, configError{[]string{"-public-url: " + err.Error()}}
	}
	listSigner, err := statusproof.NewSigner(key, statusproof.SignerConfig{})
	if err != nil {
		return nil, err
	}
	lists, err := status.NewPublisher(status.PublisherConfig{Store: st, BaseURL: statusBase, Signers: []status.ListSigner{listSigner}, Logger: log})
	if err != nil {
		return nil, err
	}
	// The issuer's own document is known locally; other DIDs (holders)
	// resolve as usual (did:key offline, did:web over HTTPS), every fetch
	// through the guarded client.
	fetch, err := netguard.New(c.fetch)
	if err != nil {
		return nil, configError{[]string{"-fetch-allow: " + err.Error()}}
	}
	resolver := did.NewResolver(did.WithDocument(doc), did.WithHTTPClient(fetch))
	ver, err := verify.New(verify.Config{Resolver: resolver})
	if err != nil {
		return nil, err
	}
	profile := vc.Profile{ID: issuerDID, Type: vc.Types{"Profile"}, Name: c.name, URL: c.url, Email: c.email}
	if c.image != "" {
		profile.Image = &vc.Image{ID: c.image, Type: "Image"}
	}
	vci, err := wallet.NewVCIssuer(wallet.VCIssuerConfig{Profile: profile, Signer: signer,
		Achievement: wallet.StoreAchievements(c.name, nil), Status: statuses.Entry})
	if err != nil {
		return nil, err
	}
	svc, err := wallet.NewService(wallet.Config{Store: st, Issuer: vci, Status: statuses, Verifier: ver,
		Resolver: resolver, IssuerID: issuerDID, Logger: log, RequestTimeout: c.requestTimeout})
	if err != nil {
		return nil, err
	}
	base := public + "/wallet"
	l, err := lcw.New(lcw.Config{Service: svc, BaseURL: base + "/lcw"})
	if err != nil {
		return nil, err
	}
	x, err := vcapi.New(vcapi.Config{Service: svc, BaseURL: base + "/vcapi"})
	if err != nil {
		return nil, err
	}
	o, err := oid4vci.New(oid4vci.Config{Service: svc, BaseURL: base + "/oid4vci", Keys: oid4vci.KeysFrom(resolver), IssuerName: c.name})
	if err != nil {
		return nil, err
	}
	reg, err := wallet.NewRegistry([]wallet.Protocol{l, x, o}, wallet.WithAlias(lcw.OpenEdXID, lcw.ID),
		wallet.WithRequestTimeout(c.requestTimeout), wallet.WithLogger(log))
	if err != nil {
		return nil, err
	}
	auth, err := tokenAuth(c.tokens)
	if err != nil {
		return nil, configError{[]string{err.Error()}}
	}
	s := &server{st: st, issuer: issuerDID, svc: svc, registry: reg, lcw: l, mux: http.NewServeMux(), verifier: ver, auth: auth,
		statuses: statuses, doc: doc, resolver: resolver, log: log}
	s.mux.Handle("/wallet/", http.StripPrefix("/wallet", reg.Handler(auth)))
	s.mux.Handle("GET /.well-known/openid-credential-issuer", o.MetadataHandler())
	s.mux.Handle("/status/", lists)
	page, err := verificationPage(st, c, public, resolver, log)
	if err != nil {
		return nil, err
	}
	s.page = page
	s.mux.Handle("/credentials/", http.StripPrefix("/credentials", page))
	if c.didWeb != "" {
		wh, err := did.NewWebHandler(doc)
		if err != nil {
			return nil, err
		}
		docURL, err := did.WebURL(issuerDID)
		if err != nil {
			return nil, configError{[]string{"-did-web: " + err.Error()}}
		}
		u, _ := url.Parse(docURL)
		s.mux.Handle("GET "+u.Path, wh) // /.well-known/did.json, or /<path>/did.json
	}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	s.mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if _, err := st.Outbox().Stats(ctx); err != nil {
			// The store's error may name a host, a path or a user: log it,
			// answer generically.
			log.ErrorContext(ctx, "readiness check failed: the store does not answer", "err", err)
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	return s, nil
}

// verificationPage builds the public verification pages of the issued
// credentials, /credentials/{issuance record id}[.json]. Each request
// verifies the stored credential as an outside verifier would: the proof
// against the issuer's DID document, and every status entry by fetching
// and verifying the list this server publishes at public + "/status". The
// lists are fetched through a netguard client with -fetch-allow's policy,
// plus the public URL's host whatever address it resolves to (behind a
// load balancer, an internal one) and, when -public-url is plain http,
// http: the status checker only follows list URLs of credentials whose
// proof this issuer's key made.
func verificationPage(st store.Store, c config, public string, resolver vc.Resolver, log *slog.Logger) (*verifypage.Handler, error) {
	u, err := url.Parse(public)
	if err != nil {
		return nil, configError{[]string{"-public-url: " + err.Error()}}
	}
	policy := c.fetch.Policy
	policy.AllowHosts = append(append([]string(nil), policy.AllowHosts...), u.Hostname())
	policy.AllowHTTP = policy.AllowHTTP || u.Scheme == "http"
	ttl := c.pageCache
	if ttl == 0 {
		ttl = -1 // verifypage: negative turns its cache off
	}
	checker, err := statusproof.NewChecker(resolver, status.WithNetPolicy(policy), status.WithTLSConfig(c.fetch.TLS),
		status.WithMaxCacheTTL(c.pageCache))
	if err != nil {
		return nil, err
	}
	ver, err := verify.New(verify.Config{Resolver: resolver, Status: checker})
	if err != nil {
		return nil, err
	}
	rl := verifypage.RateLimit{Rate: c.pageRate, TrustedProxies: c.trustedProxies}
	if rl.Rate == 0 {
		rl.Rate = -1 // verifypage: negative turns the limit off
	}
	return verifypage.New(verifypage.Config{Store: st, Verifier: ver, Status: checker, BaseURL: public + "/credentials",
		CacheTTL: ttl, RateLimit: rl, Logger: log, Public: obv3.PublicRecord})
}

// tokenAuth is the demo learner authentication: a bearer token per learner
// from a JSON file. A real host plugs in its own session or SSO check.
func tokenAuth(path string) (*bearerAuth, error) {
	tokens := map[string]int64{}
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("-tokens: %w", err)
		}
		if err := json.Unmarshal(b, &tokens); err != nil {
			return nil, fmt.Errorf(`-tokens %s: want {"<token>": <user id>}: %w`, path, err)
		}
	}
	return &bearerAuth{tokens: tokens}, nil
}

type bearerAuth struct{ tokens map[string]int64 }

// Learner implements wallet.LearnerAuth.
func (a *bearerAuth) Learner(r *http.Request) (int64, error) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return 0, wallet.ErrUnauthenticated
	}
	for t, id := range a.tokens {
		if wallet.EqualToken(t, tok) {
			return id, nil
		}
	}
	return 0, wallet.ErrUnauthenticated
}

// run starts the server; ready, when set, receives its public URL once it
// listens (tests use it).
func run(ctx context.Context, args []string, stdout, stderr io.Writer, ready func(s *server, public, token string)) error {
	c, err := parse(args, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ln, err := net.Listen("tcp", c.listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.listen, err)
	}
	defer ln.Close()
	public := strings.TrimRight(c.publicURL, "/")
	if public == "" {
		scheme := "http"
		if c.tlsCert != "" {
			scheme = "https"
		}
		public = scheme + "://" + ln.Addr().String()
	}
	dbSpec := c.db
	if c.demo {
		dir, err := os.MkdirTemp("", "vc-issuer-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dbSpec = "sqlite:" + dir + "/demo.db"
	}
	st, err := storeurl.Open(ctx, dbSpec)
	if err != nil {
		return err
	}
	defer st.Close()
	s, err := assemble(st, c, public, stderr, log)
	if err != nil {
		return err
	}
	token := ""
	if c.demo {
		if token, err = s.seed(ctx, stdout, public); err != nil {
			return err
		}
	}
	// Every request's context derives from base: cancelling it ends the
	// requests still running when the shutdown grace has passed.
	base, cancelBase := context.WithCancel(context.Background())
	defer cancelBase()
	srv := newHTTPServer(s.mux, c.requestTimeout, base)
	s.httpSrv = srv
	errc := make(chan error, 1)
	go func() {
		if c.tlsCert != "" {
			errc <- srv.ServeTLS(ln, c.tlsCert, c.tlsKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	fmt.Fprintf(stdout, "vc-issuer: %s serving at %s\n", s.issuer, public)
	if ready != nil {
		ready(s, public, token)
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	return shutdown(srv, cancelBase, c.shutdownGrace, log)
}

// newHTTPServer returns the server of h with its limits: header and body
// read deadlines, a write deadline beyond the wallet request timeout, an
// idle timeout, a header size cap, request bodies capped at
// maxRequestBody, and base as every request's parent context.
func newHTTPServer(h http.Handler, requestTimeout time.Duration, base context.Context) *http.Server {
	return &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
			h.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      max(minWriteTimeout, requestTimeout+readTimeout),
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		BaseContext:       func(net.Listener) context.Context { return base },
	}
}

// stuckWait bounds the wait for requests after their context was
// cancelled at the end of the shutdown grace.
const stuckWait = 5 * time.Second

// shutdown stops srv: no new connections, in-flight requests get grace to
// finish; then the requests still running are cancelled (cancelBase: their
// wallet requests answer 503) and get stuckWait to return before their
// connections are closed.
func shutdown(srv *http.Server, cancelBase context.CancelFunc, grace time.Duration, log *slog.Logger) error {
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if err == nil {
		return nil
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	log.Warn("shutdown: requests still running after the grace period; cancelling them", "grace", grace.String())
	cancelBase()
	wctx, wcancel := context.WithTimeout(context.Background(), stuckWait)
	defer wcancel()
	if err := srv.Shutdown(wctx); err != nil {
		log.Error("shutdown: requests did not return after cancellation; closing their connections", "err", err)
		return srv.Close()
	}
	return nil
}
