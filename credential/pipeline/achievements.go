package pipeline

import (
	"context"
	"fmt"
	"strings"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/vc"
)

// AchievementSource returns the achievement metadata credentials are
// composed with, from what the store knows: badge templates (name,
// description, image, criteria from the rule set's requirements), and the
// course and program names the certificate events carried (kept as award
// evidence). org names the organisation shown as the achievement's
// creator's name in narratives; it may be empty.
//
// The result has the shape of vc/wallet.AchievementFunc: it reads through
// repos (the issuance transaction's) when given, and through st otherwise.
func AchievementSource(st store.Store, org string) func(ctx context.Context, repos store.Repos, aw credential.Award) (vc.Achievement, error) {
	return func(ctx context.Context, repos store.Repos, aw credential.Award) (vc.Achievement, error) {
		if repos == nil {
			repos = st
		}
		var a vc.Achievement
		switch aw.Achievement.Kind {
		case credential.KindBadge:
			id, err := parseUUID(aw.Achievement.ID)
			if err != nil {
				return a, err
			}
			t, err := repos.Config().GetTemplate(ctx, id)
			if err != nil {
				return a, fmt.Errorf("badge template %s: %w", id, err)
			}
			a.Name = t.Name
			a.Description = t.Description
			if t.ImageURL != "" {
				a.Image = &vc.Image{ID: t.ImageURL, Type: "Image"}
			}
			narrative := t.Description
			if narrative == "" {
				narrative = "Earned the " + t.Name + " badge."
			}
			a.Criteria = &vc.Criteria{Narrative: narrative}
		case credential.KindCourseCertificate:
			name := aw.Evidence["course_name"]
			if name == "" {
				name = aw.Achievement.ID
			}
			a.Name = name
			a.Description = fmt.Sprintf("Certificate of achievement for the course %s%s.", name, byOrg(org))
			narrative := "Passed the course " + name
			if m := aw.Evidence["mode"]; m != "" {
				narrative += " in the " + m + " track"
			}
			a.Criteria = &vc.Criteria{Narrative: narrative + "."}
			a.HumanCode = aw.Achievement.ID
		case credential.KindProgramCertificate:
			name := aw.Evidence["program_title"]
			if name == "" {
				name = "program " + aw.Achievement.ID
			}
			a.Name = name
			kind := aw.Evidence["program_type"]
			if kind == "" {
				kind = "program"
			}
			a.Description = fmt.Sprintf("Certificate of completion of the %s %s%s.", kind, name, byOrg(org))
			a.Criteria = &vc.Criteria{Narrative: "Completed every course of the " + strings.TrimSpace(kind+" "+name) + "."}
		default:
			return a, credential.Invalid("award.achievement.kind", string(aw.Achievement.Kind))
		}
		return a, nil
	}
}

func byOrg(org string) string {
	if org == "" {
		return ""
	}
	return " offered by " + org
}
