package oeavro

import "github.com/credshare/credshare/eventbus"

// Go mirrors of the openedx-events records, used to decode known event
// types without building maps through reflection (several times faster).
// Each has tree(), giving exactly the generic tree a map decode would.

type pii struct {
	Username string `avro:"username"`
	Email    string `avro:"email"`
	Name     string `avro:"name"`
}

type userT struct {
	ID       int64 `avro:"id"`
	IsActive bool  `avro:"is_active"`
	PII      pii   `avro:"pii"`
}

func (u *userT) tree() map[string]any {
	return map[string]any{"id": u.ID, "is_active": u.IsActive,
		"pii": map[string]any{"username": u.PII.Username, "email": u.PII.Email, "name": u.PII.Name}}
}

func optS(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}

func optL(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

type courseT struct {
	CourseKey   string  `avro:"course_key"`
	DisplayName string  `avro:"display_name"`
	Start       *string `avro:"start"`
	End         *string `avro:"end"`
}

func (c *courseT) tree() map[string]any {
	return map[string]any{"course_key": c.CourseKey, "display_name": c.DisplayName, "start": optS(c.Start), "end": optS(c.End)}
}

type ccxCourseT struct {
	CcxCourseKey       string  `avro:"ccx_course_key"`
	MasterCourseKey    string  `avro:"master_course_key"`
	DisplayName        string  `avro:"display_name"`
	CoachEmail         string  `avro:"coach_email"`
	Start              *string `avro:"start"`
	End                *string `avro:"end"`
	MaxStudentsAllowed *int64  `avro:"max_students_allowed"`
}

func (c *ccxCourseT) tree() map[string]any {
	return map[string]any{"ccx_course_key": c.CcxCourseKey, "master_course_key": c.MasterCourseKey, "display_name": c.DisplayName,
		"coach_email": c.CoachEmail, "start": optS(c.Start), "end": optS(c.End), "max_students_allowed": optL(c.MaxStudentsAllowed)}
}

type passingT struct {
	IsPassing bool    `avro:"is_passing"`
	Course    courseT `avro:"course"`
	User      userT   `avro:"user"`
}

type passingEvent struct {
	P passingT `avro:"course_passing_status"`
}

func (e *passingEvent) tree() map[string]any {
	return map[string]any{"course_passing_status": map[string]any{"is_passing": e.P.IsPassing, "course": e.P.Course.tree(), "user": e.P.User.tree()}}
}

type ccxPassingT struct {
	IsPassing bool       `avro:"is_passing"`
	User      userT      `avro:"user"`
	Course    ccxCourseT `avro:"course"`
}

type ccxPassingEvent struct {
	P ccxPassingT `avro:"course_passing_status"`
}

func (e *ccxPassingEvent) tree() map[string]any {
	return map[string]any{"course_passing_status": map[string]any{"is_passing": e.P.IsPassing, "user": e.P.User.tree(), "course": e.P.Course.tree()}}
}

type certT struct {
	User           userT   `avro:"user"`
	Course         courseT `avro:"course"`
	Mode           string  `avro:"mode"`
	Grade          string  `avro:"grade"`
	DownloadURL    string  `avro:"download_url"`
	Name           string  `avro:"name"`
	CurrentStatus  string  `avro:"current_status"`
	PreviousStatus string  `avro:"previous_status"`
}

type certEvent struct {
	C certT `avro:"certificate"`
}

func (e *certEvent) tree() map[string]any {
	c := &e.C
	return map[string]any{"certificate": map[string]any{"user": c.User.tree(), "course": c.Course.tree(), "mode": c.Mode, "grade": c.Grade,
		"download_url": c.DownloadURL, "name": c.Name, "current_status": c.CurrentStatus, "previous_status": c.PreviousStatus}}
}

type badgeT struct {
	UUID     string `avro:"uuid"`
	User     userT  `avro:"user"`
	Template struct {
		UUID        string  `avro:"uuid"`
		Origin      string  `avro:"origin"`
		Name        *string `avro:"name"`
		Description *string `avro:"description"`
		ImageURL    *string `avro:"image_url"`
	} `avro:"template"`
}

type badgeEvent struct {
	B badgeT `avro:"badge"`
}

func (e *badgeEvent) tree() map[string]any {
	t := &e.B.Template
	return map[string]any{"badge": map[string]any{"uuid": e.B.UUID, "user": e.B.User.tree(), "template": map[string]any{
		"uuid": t.UUID, "origin": t.Origin, "name": optS(t.Name), "description": optS(t.Description), "image_url": optS(t.ImageURL)}}}
}

type programCertT struct {
	User    userT `avro:"user"`
	Program struct {
		UUID        string `avro:"uuid"`
		Title       string `avro:"title"`
		ProgramType string `avro:"program_type"`
	} `avro:"program"`
	UUID                     string  `avro:"uuid"`
	Status                   string  `avro:"status"`
	URL                      string  `avro:"url"`
	CertificateAvailableDate *string `avro:"certificate_available_date"`
}

type programCertEvent struct {
	P programCertT `avro:"program_certificate"`
}

func (e *programCertEvent) tree() map[string]any {
	p := &e.P
	return map[string]any{"program_certificate": map[string]any{"user": p.User.tree(),
		"program": map[string]any{"uuid": p.Program.UUID, "title": p.Program.Title, "program_type": p.Program.ProgramType},
		"uuid":    p.UUID, "status": p.Status, "url": p.URL, "certificate_available_date": optS(p.CertificateAvailableDate)}}
}

type treer interface{ tree() map[string]any }

// newTyped returns a fresh decode target for a known event type.
func newTyped(eventType string) treer {
	switch eventType {
	case eventbus.TypeCoursePassingStatusUpdated:
		return &passingEvent{}
	case eventbus.TypeCcxCoursePassingStatusUpdated:
		return &ccxPassingEvent{}
	case eventbus.TypeCertificateCreated, eventbus.TypeCertificateChanged, eventbus.TypeCertificateRevoked:
		return &certEvent{}
	case eventbus.TypeBadgeAwarded, eventbus.TypeBadgeRevoked:
		return &badgeEvent{}
	case eventbus.TypeProgramCertificateAwarded, eventbus.TypeProgramCertificateRevoked:
		return &programCertEvent{}
	}
	return nil
}
