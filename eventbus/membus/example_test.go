package membus_test

import (
	"context"
	"fmt"
	"log"

	"github.com/credshare/credshare/credential/retry"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/eventbus/membus"
)

func Example() {
	bus := membus.New(membus.Config{})
	defer bus.Close()
	e := eventbus.CertificateEvent(eventbus.TypeCertificateCreated, eventbus.CertificateData{
		User:   eventbus.UserData{ID: 7, IsActive: true, PII: eventbus.UserPersonalData{Username: "ada", Email: "ada@example.org"}},
		Course: eventbus.CourseData{CourseKey: "course-v1:edX+DemoX+Demo_Course"},
		Mode:   "verified",
	})
	if err := bus.Publish(context.Background(), eventbus.TopicCertificateLifecycle, e); err != nil {
		log.Fatal(err)
	}
	src, err := bus.NewSource(membus.SourceConfig{Group: "credshare", Topics: []string{eventbus.TopicCertificateLifecycle}})
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()
	ctx, cancel := context.WithCancel(context.Background())
	err = src.Receive(ctx, func(ctx context.Context, e eventbus.Event) error {
		c, err := e.Certificate()
		if err != nil {
			return retry.Permanent(err)
		}
		fmt.Println(e.Type, c.User.PII.Email, c.Course.CourseKey)
		cancel()
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output: org.openedx.learning.certificate.created.v1 ada@example.org course-v1:edX+DemoX+Demo_Course
}
