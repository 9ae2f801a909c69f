package filebus_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/credshare/credshare/credential/retry"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/eventbus/filebus"
)

func Example() {
	dir, err := os.MkdirTemp("", "filebus")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "backfill.jsonl")
	line := `{"id":"6f1c","type":"org.openedx.learning.course.passing.status.updated.v1","data":{"course_passing_status":` +
		`{"is_passing":true,"course":{"course_key":"course-v1:edX+DemoX+Demo","display_name":"Demo","start":null,"end":null},` +
		`"user":{"id":7,"is_active":true,"pii":{"username":"ada","email":"ada@example.org","name":"Ada"}}}}}` + "\n"
	if err := os.WriteFile(path, []byte(line), 0o644); err != nil {
		log.Fatal(err)
	}
	src, err := filebus.NewSource(filebus.SourceConfig{Path: path})
	if err != nil {
		log.Fatal(err)
	}
	err = src.Receive(context.Background(), func(_ context.Context, e eventbus.Event) error {
		p, err := e.CoursePassingStatus()
		if err != nil {
			return retry.Permanent(err)
		}
		fmt.Println(e.Key, p.IsPassing, p.User.ID)
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output: course-v1:edX+DemoX+Demo true 7
}
