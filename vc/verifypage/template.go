package verifypage

import (
	"html/template"
	"time"
)

// Funcs returns the functions the built-in template uses, for a
// replacement template: img turns a View image (already checked to be
// https or a raster data: URI) into a URL html/template keeps, and date
// formats a time as "7 December 2026, 12:37 UTC".
func Funcs() template.FuncMap {
	return template.FuncMap{
		"img": func(s string) template.URL {
			// Checked again (https or a raster data: URI only): a
			// replacement template may pass anything.
			return template.URL(imageURL(s))
		},
		"date": func(t time.Time) string { return t.UTC().Format("2 January 2006, 15:04 MST") },
	}
}

var defaultTemplate = template.Must(template.New("page").Funcs(Funcs()).Parse(pageHTML))

const pageHTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.Result.Label}}: {{with .Achievement}}{{.Name}}{{else}}credential{{end}}</title>
<link rel="alternate" type="application/json" href="{{.JSONURL}}">
<style nonce="{{.Nonce}}">{{.Style}}</style>
</head>
<body>
<main>
<section id="result" class="result {{.Result.State}}" data-state="{{.Result.State}}">
<h1 id="verdict">{{.Result.Label}}</h1>
{{with .Result.Purpose}}<p id="purpose">Status purpose: {{.}}</p>{{end}}
<p>{{.Result.Summary}}</p>
<p class="small">Checked {{date .Result.CheckedAt}}{{with .Result.Reasons}} · reasons: {{range $i, $r := .}}{{if $i}}, {{end}}{{$r}}{{end}}{{end}}</p>
</section>
{{with .Achievement}}
<section id="achievement">
{{with img .Image}}<img src="{{.}}" alt="{{with $.Achievement.ImageCaption}}{{.}}{{else}}Badge image{{end}}" width="160">{{end}}
<h2>{{.Name}}</h2>
{{with .Type}}<p class="small">{{.}}</p>{{end}}
{{with .Description}}<p>{{.}}</p>{{end}}
{{if or .Criteria .CriteriaURL}}<h3>Criteria</h3>
{{with .Criteria}}<p class="pre">{{.}}</p>{{end}}
{{with .CriteriaURL}}<p><a href="{{.}}" rel="noopener noreferrer">Criteria page</a></p>{{end}}{{end}}
</section>
{{end}}
<dl>
{{with .Name}}<dt>Credential</dt><dd>{{.}}</dd>{{end}}
{{with .Recipient}}<dt>Awarded to</dt><dd>{{with .Name}}{{.}}{{else}}(name not disclosed){{end}}{{with .ID}}<br><code>{{.}}</code>{{end}}</dd>{{end}}
{{with .Issuer}}<dt>Issued by</dt><dd>{{with img .Image}}<img src="{{.}}" alt="" width="32" height="32"> {{end}}{{if .URL}}<a href="{{.URL}}" rel="noopener noreferrer">{{or .Name .URL}}</a>{{else}}{{or .Name "(no name)"}}{{end}}<br><code>{{.ID}}</code></dd>{{end}}
{{if not .AwardedAt.IsZero}}<dt>Awarded</dt><dd>{{date .AwardedAt}}</dd>{{end}}
{{if not .ValidFrom.IsZero}}<dt>Valid from</dt><dd>{{date .ValidFrom}}</dd>{{end}}
{{if not .ValidUntil.IsZero}}<dt>{{if eq .Result.State "expired"}}Expired{{else}}Valid until{{end}}</dt><dd>{{date .ValidUntil}}</dd>{{end}}
{{with .StatusEntries}}<dt>Status entries</dt><dd><ul>{{range .}}<li>{{.Purpose}}: {{.State}}{{with .Message}} ({{.}}){{end}}</li>{{end}}</ul></dd>{{end}}
<dt>Credential id</dt><dd><code id="credential-id">{{.CredentialID}}</code></dd>
</dl>
<p class="small"><a href="{{.JSONURL}}">This result as JSON</a></p>
</main>
</body>
</html>
`

const defaultStyle = `body{font-family:system-ui,sans-serif;margin:0;background:#f6f6f4;color:#1d1d1b}
main{max-width:42rem;margin:2rem auto;padding:0 1rem}
.result{border-radius:.5rem;padding:1rem 1.25rem;margin-bottom:1.5rem;border:2px solid}
.result h1{margin:0 0 .25rem;font-size:2rem}
.valid{background:#e7f6ea;border-color:#1f7a35}
.revoked,.invalid{background:#fbe9e7;border-color:#b3261e}
.suspended,.expired,.unknown{background:#fff4e0;border-color:#9a5b00}
#achievement img{float:right;margin:0 0 1rem 1rem;max-width:10rem;height:auto}
dt{font-weight:600;margin-top:.75rem}
dd{margin:0}
code{word-break:break-all}
.small{font-size:.85rem;color:#555}
.pre{white-space:pre-wrap}
`
