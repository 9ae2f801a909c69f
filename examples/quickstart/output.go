package main

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/status"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/vc"
	"github.com/credshare/credshare/vc/wallet"
)

// writeOutput writes every issued credential and status list credential
// into the output folder, verifies each credential through the status list
// endpoint, and makes a wallet deep link for every awarded credential.
func (a *app) writeOutput(ctx context.Context) error {
	credDir := filepath.Join(a.o.out, "credentials")
	listDir := filepath.Join(a.o.out, "status-lists")
	walletDir := filepath.Join(a.o.out, "wallet")
	for _, d := range []string{credDir, listDir, walletDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(a.o.out, "issuer-did.json"), a.didDoc, 0o644); err != nil {
		return err
	}
	awards, err := a.st.Awards().List(ctx, store.AwardFilter{Limit: 1000})
	if err != nil {
		return err
	}
	for _, aw := range awards {
		who := a.learnerName(ctx, aw.LearnerID)
		what := achievementName(ctx, a.st, aw)
		line := fmt.Sprintf("%-18s %-32s %s", who, what, kindLabel(aw.Achievement.Kind))
		if aw.Status == credential.StatusRevoked {
			a.summary.revoked = append(a.summary.revoked, line+"  ("+aw.Revoked.Reason+")")
		} else {
			a.summary.granted = append(a.summary.granted, line)
		}
		recs, err := a.st.Issuance().ListByAward(ctx, aw.UUID)
		if err != nil {
			return err
		}
		for _, r := range recs {
			if r.State != store.IssuanceIssued {
				continue
			}
			name := fileName(who, what) + ".json"
			var pretty []byte
			var v any
			if json.Unmarshal(r.Credential, &v) == nil {
				pretty, _ = json.MarshalIndent(v, "", "  ")
			} else {
				pretty = r.Credential
			}
			if err := os.WriteFile(filepath.Join(credDir, name), append(pretty, '\n'), 0o644); err != nil {
				return err
			}
			res := a.verify.VerifyCredential(ctx, r.Credential)
			verdict := string(res.Verdict)
			if len(res.Reasons) > 0 && res.Verdict != vc.VerdictValid && res.Verdict != vc.VerdictRevoked {
				verdict += ": " + res.Reasons[0].Message
			}
			a.summary.credentials = append(a.summary.credentials, writtenCredential{
				file: filepath.Join(credDir, name), learner: who, achievement: what, verdict: verdict, page: a.page.URL(r.ID)})
		}
		if aw.Status == credential.StatusAwarded {
			offer, err := a.lcw.Offer(ctx, wallet.OfferRequest{LearnerID: aw.LearnerID, AwardUUID: aw.UUID})
			if err != nil {
				return fmt.Errorf("wallet offer for %s: %w", aw.UUID, err)
			}
			png := filepath.Join(walletDir, fileName(who, what)+".png")
			if err := os.WriteFile(png, offer.QRCodePNG, 0o644); err != nil {
				return err
			}
			a.summary.links = append(a.summary.links, fmt.Sprintf("%s — %s: %s", who, what, offer.DeepLink))
		}
	}
	sort.Strings(a.summary.granted)
	sort.Strings(a.summary.revoked)
	sort.Slice(a.summary.credentials, func(i, j int) bool { return a.summary.credentials[i].file < a.summary.credentials[j].file })
	sort.Strings(a.summary.links)
	if err := os.WriteFile(filepath.Join(walletDir, "links.txt"), []byte(strings.Join(a.summary.links, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	lists, err := a.st.StatusLists().List(ctx, a.did)
	if err != nil {
		return err
	}
	for _, l := range lists {
		for _, f := range []status.Format{status.FormatBitstring, status.FormatStatusList2021} {
			doc, err := a.lists.Document(ctx, l.ID, f)
			if err != nil {
				return fmt.Errorf("status list %s: %w", l.ID, err)
			}
			var v any
			pretty := doc.Body
			if json.Unmarshal(doc.Body, &v) == nil {
				pretty, _ = json.MarshalIndent(v, "", "  ")
			}
			name := fmt.Sprintf("%s-%s-%s.json", l.Purpose, l.ID, f)
			if err := os.WriteFile(filepath.Join(listDir, name), append(pretty, '\n'), 0o644); err != nil {
				return err
			}
		}
		entries, _, err := a.st.StatusLists().Entries(ctx, l.ID)
		if err != nil {
			return err
		}
		a.summary.lists = append(a.summary.lists, fmt.Sprintf("%s list %s: %d entries, %d in use, %d set  %s",
			l.Purpose, l.ID, l.Size, l.Next, len(entries), a.status.ListURL(l.ID, status.FormatBitstring)))
	}
	return nil
}

func kindLabel(k credential.Kind) string {
	switch k {
	case credential.KindBadge:
		return "badge"
	case credential.KindCourseCertificate:
		return "course certificate"
	case credential.KindProgramCertificate:
		return "program certificate"
	}
	return string(k)
}

// fileName makes "ada-lovelace--python-pioneer" from a learner and an achievement.
func fileName(parts ...string) string {
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteString("--")
		}
		dash := false
		for _, r := range strings.ToLower(p) {
			if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
				b.WriteRune(r)
				dash = false
			} else if !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
		}
	}
	return strings.Trim(b.String(), "-")
}

func (a *app) printSummary(w io.Writer) {
	s := a.summary
	fmt.Fprintf(w, "credshare quickstart — issuer %s\n\n", a.did)
	fmt.Fprintf(w, "Events: %d delivered, %d applied, %d duplicates ignored, %d dead-lettered\n",
		s.events, s.applied, s.duplicates, s.deadLettered)
	fmt.Fprintf(w, "Published back to the bus: %d badge.awarded / badge.revoked / program certificate events\n\n", s.published)
	fmt.Fprintf(w, "Awarded (%d):\n", len(s.granted))
	for _, g := range s.granted {
		fmt.Fprintln(w, "  "+g)
	}
	fmt.Fprintf(w, "\nRevoked (%d):\n", len(s.revoked))
	for _, r := range s.revoked {
		fmt.Fprintln(w, "  "+r)
	}
	fmt.Fprintf(w, "\nCredentials issued and verified (%d):\n", len(s.credentials))
	for _, c := range s.credentials {
		fmt.Fprintf(w, "  %-8s %s\n", c.verdict, c.file)
	}
	if a.o.serve != "" {
		fmt.Fprintf(w, "\nVerification pages (HTML; JSON with .json), while serving:\n")
		for _, c := range s.credentials {
			fmt.Fprintf(w, "  %-8s %s\n", c.verdict, c.page)
		}
	}
	fmt.Fprintf(w, "\nStatus lists:\n")
	for _, l := range s.lists {
		fmt.Fprintln(w, "  "+l)
	}
	fmt.Fprintf(w, "\nLearner Credential Wallet: %d deep links and QR codes in %s, e.g.\n", len(s.links), filepath.Join(a.o.out, "wallet"))
	if len(s.links) > 0 {
		fmt.Fprintln(w, "  "+s.links[0])
	}
	fmt.Fprintf(w, "\nEverything is in %s/ (credentials/, status-lists/, wallet/, issuer-did.json).\n", a.o.out)
}

var indexPage = template.Must(template.New("index").Parse(`<!doctype html>
<title>credshare quickstart</title>
<h1>credshare quickstart</h1>
<p>Issuer: <code>{{.DID}}</code> — <a href="/issuer/did.json">DID document</a></p>
<h2>Status lists</h2>
<ul>{{range .Lists}}<li><a href="{{.}}">{{.}}</a></li>{{end}}</ul>
<h2>Verification pages</h2>
<ul>{{range .Pages}}<li><a href="{{.URL}}">{{.Name}}</a></li>{{end}}</ul>
<h2>Wallet links</h2>
<ul>{{range .Links}}<li><code>{{.}}</code></li>{{end}}</ul>
`))

func (a *app) index(w http.ResponseWriter, r *http.Request) {
	lists, _ := a.st.StatusLists().List(r.Context(), a.did)
	var urls []string
	for _, l := range lists {
		urls = append(urls, a.status.ListURL(l.ID, status.FormatBitstring), a.status.ListURL(l.ID, status.FormatStatusList2021))
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	type page struct{ Name, URL string }
	var pages []page
	for _, c := range a.summary.credentials {
		pages = append(pages, page{c.learner + " — " + c.achievement, c.page})
	}
	_ = indexPage.Execute(w, map[string]any{"DID": a.did, "Lists": urls, "Pages": pages, "Links": a.summary.links})
}
