package eventbus_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/credshare/credshare/credential/retry"
	"github.com/credshare/credshare/eventbus"
)

func ExampleEvent_Lookup() {
	e := eventbus.CoursePassingStatusEvent(eventbus.CoursePassingStatusData{
		IsPassing: true,
		Course:    eventbus.CourseData{CourseKey: "course-v1:edX+DemoX+Demo_Course", DisplayName: "Demo"},
		User:      eventbus.UserData{ID: 7, IsActive: true, PII: eventbus.UserPersonalData{Username: "ada", Email: "ada@example.org"}},
	})
	for _, path := range []string{"is_passing", "course.course_key", "user.pii.email"} {
		v, _ := e.LookupString(path)
		fmt.Printf("%s = %s\n", path, v)
	}
	// Output:
	// is_passing = True
	// course.course_key = course-v1:edX+DemoX+Demo_Course
	// user.pii.email = ada@example.org
}

func ExampleChain() {
	apply := func(ctx context.Context, e eventbus.Event) error {
		if _, err := e.Certificate(); err != nil {
			return retry.Permanent(err) // bad data: straight to the DLQ
		}
		return nil
	}
	h := eventbus.Chain(apply,
		eventbus.Retry(eventbus.RetryPolicy{MaxAttempts: 3, Initial: time.Millisecond}),
		eventbus.Recover(),
		eventbus.Timeout(time.Second),
	)
	err := h(context.Background(), eventbus.NewEvent(eventbus.TypeCertificateCreated, map[string]any{}))
	fmt.Println(retry.IsPermanent(err), errors.Is(err, eventbus.ErrInvalidEvent))
	// Output: true true
}
