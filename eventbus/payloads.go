package eventbus

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/credshare/credshare/credential"
)

// The payload types mirror the attrs classes of openedx-events
// (openedx_events/learning/data.py) field for field. Optional fields that
// Open edX sends as an Avro ["null", …] union are plain strings here, with
// "" standing for null; Tree turns "" back into nil.

// UserPersonalData is Open edX's UserPersonalData.
type UserPersonalData struct {
	Username string `json:"username"`
	Email    string `json:"email"`
	Name     string `json:"name"`
}

// UserData is Open edX's UserData (UserNonPersonalData + pii).
type UserData struct {
	// ID is the LMS user id.
	ID       int64            `json:"id"`
	IsActive bool             `json:"is_active"`
	PII      UserPersonalData `json:"pii"`
}

// CourseData is Open edX's CourseData.
type CourseData struct {
	CourseKey   string `json:"course_key"`
	DisplayName string `json:"display_name"`
	// Start and End are ISO datetimes, "" for null.
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}

// CcxCourseData is Open edX's CcxCourseData.
type CcxCourseData struct {
	CcxCourseKey    string `json:"ccx_course_key"`
	MasterCourseKey string `json:"master_course_key"`
	DisplayName     string `json:"display_name"`
	CoachEmail      string `json:"coach_email"`
	// Start and End are ISO datetimes, "" for null.
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
	// MaxStudentsAllowed is nil for null.
	MaxStudentsAllowed *int64 `json:"max_students_allowed,omitempty"`
}

// CoursePassingStatusData is the payload of
// TypeCoursePassingStatusUpdated.
type CoursePassingStatusData struct {
	IsPassing bool       `json:"is_passing"`
	Course    CourseData `json:"course"`
	User      UserData   `json:"user"`
}

// CcxCoursePassingStatusData is the payload of
// TypeCcxCoursePassingStatusUpdated. (Its Avro field order is is_passing,
// user, course, because the attrs subclass redefines course.)
type CcxCoursePassingStatusData struct {
	IsPassing bool          `json:"is_passing"`
	User      UserData      `json:"user"`
	Course    CcxCourseData `json:"course"`
}

// CertificateData is the payload of the certificate events.
type CertificateData struct {
	User           UserData   `json:"user"`
	Course         CourseData `json:"course"`
	Mode           string     `json:"mode"`
	Grade          string     `json:"grade"`
	DownloadURL    string     `json:"download_url"`
	Name           string     `json:"name"`
	CurrentStatus  string     `json:"current_status"`
	PreviousStatus string     `json:"previous_status"`
}

// BadgeTemplateData is Open edX's BadgeTemplateData.
type BadgeTemplateData struct {
	UUID string `json:"uuid"`
	// Origin is "credly", "accredible", "openedx", … .
	Origin string `json:"origin"`
	// Name, Description and ImageURL are "" for null.
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	ImageURL    string `json:"image_url,omitempty"`
}

// BadgeData is the payload of the badge events.
type BadgeData struct {
	// UUID is the awarded badge's (user credential's) UUID; it is the
	// message key.
	UUID     string            `json:"uuid"`
	User     UserData          `json:"user"`
	Template BadgeTemplateData `json:"template"`
}

// ProgramData is Open edX's ProgramData.
type ProgramData struct {
	UUID        string `json:"uuid"`
	Title       string `json:"title"`
	ProgramType string `json:"program_type"`
}

// ProgramCertificateData is the payload of the program certificate events.
type ProgramCertificateData struct {
	User    UserData    `json:"user"`
	Program ProgramData `json:"program"`
	UUID    string      `json:"uuid"`
	Status  string      `json:"status"`
	URL     string      `json:"url"`
	// CertificateAvailableDate is an ISO datetime, "" for null.
	CertificateAvailableDate string `json:"certificate_available_date,omitempty"`
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Tree returns u as attrs.asdict would.
func (u UserData) Tree() map[string]any {
	return map[string]any{
		"id":        u.ID,
		"is_active": u.IsActive,
		"pii": map[string]any{
			"username": u.PII.Username,
			"email":    u.PII.Email,
			"name":     u.PII.Name,
		},
	}
}

// Tree returns c as attrs.asdict would.
func (c CourseData) Tree() map[string]any {
	return map[string]any{
		"course_key":   c.CourseKey,
		"display_name": c.DisplayName,
		"start":        nullable(c.Start),
		"end":          nullable(c.End),
	}
}

// Tree returns c as attrs.asdict would.
func (c CcxCourseData) Tree() map[string]any {
	var maxStudents any
	if c.MaxStudentsAllowed != nil {
		maxStudents = *c.MaxStudentsAllowed
	}
	return map[string]any{
		"ccx_course_key":       c.CcxCourseKey,
		"master_course_key":    c.MasterCourseKey,
		"display_name":         c.DisplayName,
		"coach_email":          c.CoachEmail,
		"start":                nullable(c.Start),
		"end":                  nullable(c.End),
		"max_students_allowed": maxStudents,
	}
}

// Tree returns p as attrs.asdict would.
func (p CoursePassingStatusData) Tree() map[string]any {
	return map[string]any{"is_passing": p.IsPassing, "course": p.Course.Tree(), "user": p.User.Tree()}
}

// Tree returns p as attrs.asdict would.
func (p CcxCoursePassingStatusData) Tree() map[string]any {
	return map[string]any{"is_passing": p.IsPassing, "user": p.User.Tree(), "course": p.Course.Tree()}
}

// Tree returns c as attrs.asdict would.
func (c CertificateData) Tree() map[string]any {
	return map[string]any{
		"user":            c.User.Tree(),
		"course":          c.Course.Tree(),
		"mode":            c.Mode,
		"grade":           c.Grade,
		"download_url":    c.DownloadURL,
		"name":            c.Name,
		"current_status":  c.CurrentStatus,
		"previous_status": c.PreviousStatus,
	}
}

// Tree returns t as attrs.asdict would.
func (t BadgeTemplateData) Tree() map[string]any {
	return map[string]any{
		"uuid":        t.UUID,
		"origin":      t.Origin,
		"name":        nullable(t.Name),
		"description": nullable(t.Description),
		"image_url":   nullable(t.ImageURL),
	}
}

// Tree returns b as attrs.asdict would.
func (b BadgeData) Tree() map[string]any {
	return map[string]any{"uuid": b.UUID, "user": b.User.Tree(), "template": b.Template.Tree()}
}

// Tree returns p as attrs.asdict would.
func (p ProgramData) Tree() map[string]any {
	return map[string]any{"uuid": p.UUID, "title": p.Title, "program_type": p.ProgramType}
}

// Tree returns p as attrs.asdict would.
func (p ProgramCertificateData) Tree() map[string]any {
	return map[string]any{
		"user":                       p.User.Tree(),
		"program":                    p.Program.Tree(),
		"uuid":                       p.UUID,
		"status":                     p.Status,
		"url":                        p.URL,
		"certificate_available_date": nullable(p.CertificateAvailableDate),
	}
}

// Event constructors. Each returns NewEvent(typ, {dataKey: payload.Tree()}).

// CoursePassingStatusEvent returns a TypeCoursePassingStatusUpdated event.
func CoursePassingStatusEvent(p CoursePassingStatusData) Event {
	return NewEvent(TypeCoursePassingStatusUpdated, map[string]any{"course_passing_status": p.Tree()})
}

// CcxCoursePassingStatusEvent returns a TypeCcxCoursePassingStatusUpdated event.
func CcxCoursePassingStatusEvent(p CcxCoursePassingStatusData) Event {
	return NewEvent(TypeCcxCoursePassingStatusUpdated, map[string]any{"course_passing_status": p.Tree()})
}

// CertificateEvent returns a certificate event of type typ
// (TypeCertificateCreated, TypeCertificateChanged or TypeCertificateRevoked).
func CertificateEvent(typ string, c CertificateData) Event {
	return NewEvent(typ, map[string]any{"certificate": c.Tree()})
}

// BadgeEvent returns a badge event of type typ (TypeBadgeAwarded or
// TypeBadgeRevoked); its key is b.UUID.
func BadgeEvent(typ string, b BadgeData) Event {
	return NewEvent(typ, map[string]any{"badge": b.Tree()})
}

// ProgramCertificateEvent returns a program certificate event of type typ
// (TypeProgramCertificateAwarded or TypeProgramCertificateRevoked).
func ProgramCertificateEvent(typ string, p ProgramCertificateData) Event {
	return NewEvent(typ, map[string]any{"program_certificate": p.Tree()})
}

// Typed accessors.

// CoursePassingStatus returns the payload of a
// TypeCoursePassingStatusUpdated event.
func (e Event) CoursePassingStatus() (CoursePassingStatusData, error) {
	var p CoursePassingStatusData
	d, err := e.record(TypeCoursePassingStatusUpdated, "course_passing_status")
	if err != nil {
		return p, err
	}
	r := reader{path: "course_passing_status"}
	p.IsPassing = r.boolean(d, "is_passing")
	p.Course = r.course(r.rec(d, "course"))
	p.User = r.user(r.rec(d, "user"))
	return p, r.err
}

// CcxCoursePassingStatus returns the payload of a
// TypeCcxCoursePassingStatusUpdated event.
func (e Event) CcxCoursePassingStatus() (CcxCoursePassingStatusData, error) {
	var p CcxCoursePassingStatusData
	d, err := e.record(TypeCcxCoursePassingStatusUpdated, "course_passing_status")
	if err != nil {
		return p, err
	}
	r := reader{path: "course_passing_status"}
	p.IsPassing = r.boolean(d, "is_passing")
	p.User = r.user(r.rec(d, "user"))
	c := r.rec(d, "course")
	p.Course = CcxCourseData{
		CcxCourseKey:    r.str(c, "ccx_course_key"),
		MasterCourseKey: r.str(c, "master_course_key"),
		DisplayName:     r.optStr(c, "display_name"),
		CoachEmail:      r.optStr(c, "coach_email"),
		Start:           r.optStr(c, "start"),
		End:             r.optStr(c, "end"),
	}
	if v, ok := c["max_students_allowed"]; ok && v != nil {
		n := r.long(c, "max_students_allowed")
		p.Course.MaxStudentsAllowed = &n
	}
	return p, r.err
}

// Certificate returns the payload of a certificate event.
func (e Event) Certificate() (CertificateData, error) {
	var c CertificateData
	d, err := e.record("", "certificate")
	if err != nil {
		return c, err
	}
	r := reader{path: "certificate"}
	c.User = r.user(r.rec(d, "user"))
	c.Course = r.course(r.rec(d, "course"))
	c.Mode = r.str(d, "mode")
	c.Grade = r.optStr(d, "grade")
	c.DownloadURL = r.optStr(d, "download_url")
	c.Name = r.optStr(d, "name")
	c.CurrentStatus = r.optStr(d, "current_status")
	c.PreviousStatus = r.optStr(d, "previous_status")
	return c, r.err
}

// Badge returns the payload of a badge event.
func (e Event) Badge() (BadgeData, error) {
	var b BadgeData
	d, err := e.record("", "badge")
	if err != nil {
		return b, err
	}
	r := reader{path: "badge"}
	b.UUID = r.str(d, "uuid")
	b.User = r.user(r.rec(d, "user"))
	t := r.rec(d, "template")
	b.Template = BadgeTemplateData{
		UUID:        r.str(t, "uuid"),
		Origin:      r.optStr(t, "origin"),
		Name:        r.optStr(t, "name"),
		Description: r.optStr(t, "description"),
		ImageURL:    r.optStr(t, "image_url"),
	}
	return b, r.err
}

// ProgramCertificate returns the payload of a program certificate event.
func (e Event) ProgramCertificate() (ProgramCertificateData, error) {
	var p ProgramCertificateData
	d, err := e.record("", "program_certificate")
	if err != nil {
		return p, err
	}
	r := reader{path: "program_certificate"}
	p.User = r.user(r.rec(d, "user"))
	pr := r.rec(d, "program")
	p.Program = ProgramData{UUID: r.str(pr, "uuid"), Title: r.optStr(pr, "title"), ProgramType: r.optStr(pr, "program_type")}
	p.UUID = r.optStr(d, "uuid")
	p.Status = r.optStr(d, "status")
	p.URL = r.optStr(d, "url")
	p.CertificateAvailableDate = r.optStr(d, "certificate_available_date")
	return p, r.err
}

// User returns the learner the event is about: the first UserData found in
// the payload (see Event.Learner for the search order), read strictly (an
// ErrInvalidEvent names the first field of the wrong type).
func (e Event) User() (UserData, error) {
	m := findUser(e.Tree(), 0)
	if m == nil {
		return UserData{}, fmt.Errorf("%w: event %s (%s) carries no user", ErrInvalidEvent, e.ID, e.Type)
	}
	r := reader{path: "user"}
	u := r.user(m)
	return u, r.err
}

// Learner returns the learner the event is about as a credential.Learner.
// It finds the same UserData as User, the way Open edX's get_user_data
// walks an attrs payload: the members of each record in name order, depth
// first, a member that is a UserData (an "id" and a "pii" record) before
// the records nested in it. So in {"enrollment": {"user": A}, "reviewer":
// B} the learner is A, although B is nearer the top.
//
// Learner reads the record leniently, as a producer other than the LMS may
// write it: an id may be a decimal string, a missing is_active means active,
// personal data of the wrong type is left empty. ok is false when the
// payload has no UserData or its id is not an integer.
func (e Event) Learner() (l credential.Learner, ok bool) {
	m := findUser(e.Tree(), 0)
	if m == nil {
		return l, false
	}
	if l.UserID, ok = toInt64(m["id"]); !ok {
		if s, isStr := m["id"].(string); isStr {
			var err error
			l.UserID, err = strconv.ParseInt(s, 10, 64)
			ok = err == nil
		}
		if !ok {
			return credential.Learner{}, false
		}
	}
	l.IsActive = true
	if b, isBool := m["is_active"].(bool); isBool {
		l.IsActive = b
	}
	pii, _ := m["pii"].(map[string]any)
	l.Username, _ = pii["username"].(string)
	l.Email, _ = pii["email"].(string)
	l.FullName, _ = pii["name"].(string)
	return l, true
}

func isUser(m map[string]any) bool {
	_, id := m["id"]
	_, pii := m["pii"].(map[string]any)
	return id && pii
}

// findUser is Open edX's get_user_data over a tree: members in name order,
// depth first, a UserData member returned before recursing into records.
func findUser(m map[string]any, depth int) map[string]any {
	if m == nil || depth > 8 {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortStrings(keys)
	for _, k := range keys {
		if sub, ok := m[k].(map[string]any); ok {
			if isUser(sub) {
				return sub
			}
			if u := findUser(sub, depth+1); u != nil {
				return u
			}
		}
	}
	return nil
}

func (e Event) record(wantType, key string) (map[string]any, error) {
	if wantType != "" && e.Type != wantType {
		return nil, fmt.Errorf("%w: event %s is %s, not %s", ErrInvalidEvent, e.ID, e.Type, wantType)
	}
	d, ok := e.Data[key].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: event %s (%s) has no %q record", ErrInvalidEvent, e.ID, e.Type, key)
	}
	return d, nil
}

// reader converts a generic tree to typed values, remembering the first
// mismatch.
type reader struct {
	path string
	err  error
}

func (r *reader) fail(key, want string, v any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s.%s: want %s, got %T", ErrInvalidEvent, r.path, key, want, v)
	}
}

func (r *reader) rec(m map[string]any, key string) map[string]any {
	v, ok := m[key]
	if !ok || v == nil {
		r.fail(key, "record", v)
		return nil
	}
	sub, ok := v.(map[string]any)
	if !ok {
		r.fail(key, "record", v)
	}
	return sub
}

func (r *reader) str(m map[string]any, key string) string {
	v, ok := m[key]
	s, isStr := v.(string)
	if !ok || !isStr {
		r.fail(key, "string", v)
	}
	return s
}

func (r *reader) optStr(m map[string]any, key string) string {
	v := m[key]
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	r.fail(key, "string or null", v)
	return ""
}

func (r *reader) boolean(m map[string]any, key string) bool {
	b, ok := m[key].(bool)
	if !ok {
		r.fail(key, "boolean", m[key])
	}
	return b
}

func (r *reader) long(m map[string]any, key string) int64 {
	n, ok := toInt64(m[key])
	if !ok {
		r.fail(key, "long", m[key])
	}
	return n
}

// toInt64 converts the integral number types a tree may hold.
func toInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case int32:
		return int64(x), true
	case float64:
		if x == math.Trunc(x) {
			return int64(x), true
		}
	case json.Number:
		if n, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return n, true
		}
	}
	return 0, false
}

func (r *reader) user(m map[string]any) UserData {
	if m == nil {
		return UserData{}
	}
	u := UserData{ID: r.long(m, "id"), IsActive: r.boolean(m, "is_active")}
	p := r.rec(m, "pii")
	if p != nil {
		u.PII = UserPersonalData{Username: r.str(p, "username"), Email: r.optStr(p, "email"), Name: r.optStr(p, "name")}
	}
	return u
}

func (r *reader) course(m map[string]any) CourseData {
	if m == nil {
		return CourseData{}
	}
	return CourseData{
		CourseKey:   r.str(m, "course_key"),
		DisplayName: r.optStr(m, "display_name"),
		Start:       r.optStr(m, "start"),
		End:         r.optStr(m, "end"),
	}
}

// NormalizeJSON converts a value decoded by encoding/json (with or without
// UseNumber) to the tree value types of Event.Data: integral numbers become
// int64, other numbers float64; maps and slices are converted recursively.
func NormalizeJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, sub := range x {
			x[k] = NormalizeJSON(sub)
		}
		return x
	case []any:
		for i, sub := range x {
			x[i] = NormalizeJSON(sub)
		}
		return x
	case json.Number:
		if n, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return n
		}
		f, _ := strconv.ParseFloat(string(x), 64)
		return f
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x)
		}
		return x
	default:
		return v
	}
}
