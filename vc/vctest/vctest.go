// Package vctest builds sample credentials and keys for tests, examples
// and benchmarks of the vc packages (and of packages built on them).
package vctest

import (
	"crypto/ed25519"
	"time"

	"github.com/credshare/credshare/credential"
	"github.com/credshare/credshare/vc"
	"github.com/google/uuid"
)

// Seed is the fixed seed of Key, so test output is reproducible.
var Seed = []byte("credshare-vc-test-issuer-seed-01")

// Key returns a fixed Ed25519 key.
func Key() ed25519.PrivateKey { return ed25519.NewKeyFromSeed(Seed) }

// Award returns a course-certificate award.
func Award() credential.Award {
	return credential.Award{
		UUID:        uuid.MustParse("0b7c1f5e-3c8a-4a57-9d1e-2f4b6a8c0d12"),
		LearnerID:   42,
		Achievement: credential.CourseCertificate("course-v1:edX+DemoX+Demo_Course"),
		Status:      credential.StatusAwarded,
		AwardedAt:   time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC),
		Evidence:    map[string]string{"grade": "0.92", "mode": "verified"},
		Times:       1,
	}
}

// Request returns a ComposeRequest for a ~2 KB OBv3 credential of issuer
// (a DID) for holder (a DID), in data model version v.
func Request(issuer, holder string, v vc.Version) vc.ComposeRequest {
	return vc.ComposeRequest{
		Award:   Award(),
		Learner: credential.Learner{UserID: 42, Username: "ada", Email: "ada@example.edu", FullName: "Ada Lovelace"},
		Issuer: vc.Profile{ID: issuer, Name: "Example University", URL: "https://example.edu",
			Email: "registrar@example.edu", Image: &vc.Image{ID: "https://example.edu/logo.png", Type: "Image"}},
		Achievement: vc.Achievement{
			Name:        "Demonstration Course",
			Description: "A course that shows how the platform works: navigation, graded problems, discussions and certificates.",
			Criteria:    &vc.Criteria{Narrative: "Earn a passing grade (at least 70%) on the graded problems and the final exam of Demonstration Course."},
			Image:       &vc.Image{ID: "https://example.edu/courses/demo/badge.png", Type: "Image", Caption: "Demo course badge"},
			Alignment: []vc.Alignment{{Type: vc.Types{"Alignment"}, TargetName: "Digital literacy",
				TargetURL: "https://example.edu/frameworks/digital-literacy", TargetFramework: "Example Framework", TargetCode: "DL-1"}},
			Tag: []string{"demo", "edX", "course"},
		},
		HolderID:     holder,
		IncludeName:  true,
		CredentialID: "urn:uuid:5f1c2b8e-9a3d-4c6e-8b7a-1d2e3f4a5b6c",
		Version:      v,
		ValidUntil:   time.Date(2031, 3, 14, 0, 0, 0, 0, time.UTC),
		Status: []vc.StatusEntry{{
			ID: "https://example.edu/status/1#94567", Type: vc.StatusBitstring, StatusPurpose: vc.PurposeRevocation,
			StatusListIndex: "94567", StatusListCredential: "https://example.edu/status/1",
		}},
		Schema: true,
	}
}
