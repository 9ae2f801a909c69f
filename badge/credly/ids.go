package credly

import "errors"

// Errors about ids and the objects the API returns for them. Errors
// returned for these reasons are *badge.Error values that also match these
// sentinels.
var (
	// ErrInvalidID reports an id that is not in Credly's id format (see
	// ValidID). No request is sent for such an id. Errors matching it also
	// match badge.ErrInvalid.
	ErrInvalidID = errors.New("credly: id is not in Credly's id format (a lowercase UUID)")
	// ErrWrongObject reports a response that carries an object other than
	// the one asked for (another id, another organisation, another type).
	// Nothing in such a response is used.
	ErrWrongObject = errors.New("credly: response is not the object asked for")
)

// ValidID reports whether s is in the format of Credly's ids: event,
// organisation, badge and badge-template ids are UUIDs written in the
// canonical 8-4-4-4-12 form with lowercase hexadecimal digits, as in
// "ba92621f-f22c-41e5-9157-c2dc274e3cf0". Nothing else (no braces, no
// "urn:uuid:" prefix, no uppercase, no percent-encoding) is accepted, so a
// valid id is always a single, literal URL path segment.
func ValidID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
				return false
			}
		}
	}
	return true
}

// safeSegment reports whether s can be a URL path segment of a request
// once escaped: url.PathEscape escapes '/', '?', '#' and '%', so what is
// left to refuse is the empty segment and the dot segments, which URL
// resolution would remove or turn into a step up the path.
func safeSegment(s string) bool {
	return s != "" && s != "." && s != ".."
}
