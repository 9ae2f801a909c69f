package filebus

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/credshare/credshare/credential/retry"
	"github.com/credshare/credshare/eventbus"
	"github.com/credshare/credshare/eventbus/internal/lifecycle"
)

// Line is the JSON form of one event: the CloudEvents attributes, the key
// and the data.
type Line struct {
	ID              string         `json:"id"`
	Type            string         `json:"type"`
	Source          string         `json:"source,omitempty"`
	SpecVersion     string         `json:"specversion,omitempty"`
	Time            string         `json:"time,omitempty"`
	MinorVersion    int            `json:"minorversion,omitempty"`
	SourceHost      string         `json:"sourcehost,omitempty"`
	SourceLib       string         `json:"sourcelib,omitempty"`
	DataContentType string         `json:"datacontenttype,omitempty"`
	Key             string         `json:"key,omitempty"`
	Data            map[string]any `json:"data"`
}

// Encode returns e as one JSON line (with the trailing newline).
func Encode(e eventbus.Event) ([]byte, error) {
	l := Line{ID: e.ID, Type: e.Type, Source: e.Source, SpecVersion: e.SpecVersion, MinorVersion: e.MinorVersion,
		SourceHost: e.SourceHost, SourceLib: e.SourceLib, DataContentType: e.DataContentType, Key: e.Key, Data: e.Data}
	if !e.Time.IsZero() {
		l.Time = eventbus.FormatTime(e.Time.UTC())
	}
	b, err := json.Marshal(l)
	if err != nil {
		return nil, fmt.Errorf("filebus: %w", err)
	}
	return append(b, '\n'), nil
}

// Decode parses one JSON line into an event. Errors match eventbus.ErrDecode.
func Decode(line []byte) (eventbus.Event, error) {
	var l Line
	d := json.NewDecoder(bytes.NewReader(line))
	d.UseNumber()
	if err := d.Decode(&l); err != nil {
		return eventbus.Event{}, eventbus.DecodeError("json: %v", err)
	}
	e := eventbus.Event{ID: l.ID, Type: l.Type, Source: l.Source, SpecVersion: l.SpecVersion, MinorVersion: l.MinorVersion,
		SourceHost: l.SourceHost, SourceLib: l.SourceLib, DataContentType: l.DataContentType, Key: l.Key}
	if l.Data != nil {
		e.Data = eventbus.NormalizeJSON(l.Data).(map[string]any)
	}
	if l.Time != "" {
		t, err := eventbus.ParseTime(l.Time)
		if err != nil {
			return e, eventbus.DecodeError("bad time %q", l.Time)
		}
		e.Time = t
	}
	if err := e.Validate(); err != nil {
		return e, eventbus.DecodeError("%v", err)
	}
	if e.SpecVersion == "" {
		e.SpecVersion = eventbus.SpecVersion
	}
	if e.DataContentType == "" {
		e.DataContentType = eventbus.ContentTypeJSON
	}
	if e.Key == "" {
		if info, ok := eventbus.LookupType(e.Type); ok {
			if v, ok := e.Lookup(info.KeyField); ok && v != nil {
				e.Key = fmt.Sprint(v)
			}
		}
	}
	return e, nil
}

// Writer appends events as JSON lines; it implements eventbus.Publisher
// (the topic is ignored) so a backfill file can be produced with the same
// code that publishes to a bus.
type Writer struct {
	mu sync.Mutex
	w  io.Writer
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Publish writes e as one line.
func (w *Writer) Publish(_ context.Context, _ string, e eventbus.Event) error {
	if err := e.Validate(); err != nil {
		return err
	}
	b, err := Encode(e)
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	_, err = w.w.Write(b)
	return err
}

// Close closes the underlying writer when it is an io.Closer.
func (w *Writer) Close() error {
	if c, ok := w.w.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// SourceConfig configures a Source.
type SourceConfig struct {
	// Path is the JSON-lines file to replay. Required.
	Path string
	// Checkpoint, when set, is a file holding the number of lines already
	// handled; Receive starts after them and updates it after every
	// handled (or dead-lettered) line, so an interrupted replay resumes
	// where it stopped.
	Checkpoint string
	// DeadLetter receives unusable lines and events whose handler failed
	// permanently; default a FileDeadLetterer on Path + ".dlq".
	DeadLetter eventbus.DeadLetterer
	// RetryBackoff is the pause before a line whose handler returned a
	// retryable error is handled again; 0 means 1s.
	RetryBackoff time.Duration
	// MaxLineBytes bounds a line; longer lines are dead-lettered. 0 means
	// 16 MiB.
	MaxLineBytes int
}

// Source replays a JSON-lines file, one event per line, in order.
type Source struct {
	cfg SourceConfig

	life lifecycle.Guard
}

// NewSource validates cfg.
func NewSource(cfg SourceConfig) (*Source, error) {
	if cfg.Path == "" {
		return nil, errors.New("filebus: SourceConfig.Path is required")
	}
	if cfg.RetryBackoff <= 0 {
		cfg.RetryBackoff = time.Second
	}
	if cfg.MaxLineBytes <= 0 {
		cfg.MaxLineBytes = 16 << 20
	}
	if cfg.DeadLetter == nil {
		cfg.DeadLetter = &FileDeadLetterer{Path: cfg.Path + ".dlq"}
	}
	return &Source{cfg: cfg}, nil
}

// Receive delivers the file's events to h in order and returns nil at the
// end of the file (or when ctx is done). A retryable handler error delivers
// the same line again after RetryBackoff; a permanent one, or a line that
// is not a valid event, goes to the dead-letter queue.
func (s *Source) Receive(ctx context.Context, h eventbus.Handler) error {
	finished, err := s.life.Start("filebus")
	if err != nil {
		return err
	}
	defer finished()
	f, err := os.Open(s.cfg.Path)
	if err != nil {
		return fmt.Errorf("filebus: %w", err)
	}
	defer f.Close()
	done, err := s.readCheckpoint()
	if err != nil {
		return err
	}
	r := bufio.NewReaderSize(f, 64<<10)
	for n := int64(1); ; n++ {
		line, err := readLine(r, s.cfg.MaxLineBytes)
		if err == io.EOF {
			return nil
		}
		if err != nil && !errors.Is(err, errLineTooLong) {
			return fmt.Errorf("filebus: %s line %d: %w", s.cfg.Path, n, err)
		}
		if n <= done {
			continue
		}
		if len(bytes.TrimSpace(line)) == 0 && err == nil {
			if cerr := s.writeCheckpoint(n); cerr != nil {
				return cerr
			}
			continue
		}
		msg := &eventbus.Message{Transport: "file", Topic: s.cfg.Path, Offset: n, StreamID: strconv.FormatInt(n, 10), Value: line}
		var e eventbus.Event
		if err != nil {
			e, err = eventbus.Event{}, eventbus.DecodeError("line of more than %d bytes", s.cfg.MaxLineBytes)
		} else {
			e, err = Decode(line)
		}
		e.Msg = msg
		for {
			if ctx.Err() != nil {
				return nil
			}
			herr := err
			if herr == nil {
				herr = call(ctx, h, e)
			}
			if herr == nil {
				break
			}
			if retry.IsPermanent(herr) {
				if s.cfg.DeadLetter.DeadLetter(ctx, e, herr) == nil {
					break
				}
			}
			t := time.NewTimer(s.cfg.RetryBackoff)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil
			case <-t.C:
			}
		}
		if err := s.writeCheckpoint(n); err != nil {
			return err
		}
	}
}

var errLineTooLong = errors.New("line too long")

// readLine returns the next line without its newline; a line longer than
// max is consumed and reported with errLineTooLong.
func readLine(r *bufio.Reader, max int) ([]byte, error) {
	var buf []byte
	tooLong := false
	for {
		chunk, err := r.ReadSlice('\n')
		if !tooLong {
			if len(buf)+len(chunk) > max+1 {
				tooLong = true
				buf = append(buf[:0], chunk[:min(len(chunk), 64)]...)
			} else {
				buf = append(buf, chunk...)
			}
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && len(buf) == 0 && !tooLong:
			return nil, io.EOF
		case err != nil && err != io.EOF:
			return nil, err
		}
		buf = bytes.TrimRight(buf, "\r\n")
		if tooLong {
			return buf, errLineTooLong
		}
		return buf, nil
	}
}

func call(ctx context.Context, h eventbus.Handler, e eventbus.Event) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &eventbus.PanicError{Value: v}
		}
	}()
	return h(ctx, e)
}

func (s *Source) readCheckpoint() (int64, error) {
	if s.cfg.Checkpoint == "" {
		return 0, nil
	}
	b, err := os.ReadFile(s.cfg.Checkpoint)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("filebus: checkpoint: %w", err)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("filebus: checkpoint %s: %w", s.cfg.Checkpoint, err)
	}
	return n, nil
}

// writeCheckpoint records that n lines are done (write to a temporary file,
// then rename, so a crash never leaves a torn checkpoint).
func (s *Source) writeCheckpoint(n int64) error {
	if s.cfg.Checkpoint == "" {
		return nil
	}
	tmp := s.cfg.Checkpoint + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.FormatInt(n, 10)+"\n"), 0o644); err != nil {
		return fmt.Errorf("filebus: checkpoint: %w", err)
	}
	if err := os.Rename(tmp, s.cfg.Checkpoint); err != nil {
		return fmt.Errorf("filebus: checkpoint: %w", err)
	}
	return nil
}

// Close stops future Receive calls.
func (s *Source) Close() error {
	s.life.Close()
	return nil
}

// DeadLetter sends e to the source's dead-letter queue.
func (s *Source) DeadLetter(ctx context.Context, e eventbus.Event, reason error) error {
	return s.cfg.DeadLetter.DeadLetter(ctx, e, reason)
}

// FileDeadLetterer appends dead letters to a JSON-lines file: one object
// per line with the reason, the origin (file and line, or topic and
// offset) and the original line or event.
type FileDeadLetterer struct {
	// Path of the dead-letter file; it is created when missing.
	Path string
	mu   sync.Mutex
}

// DeadLetterRecord is one line of a FileDeadLetterer's file.
type DeadLetterRecord struct {
	Reason string `json:"reason"`
	Origin string `json:"origin,omitempty"`
	// Original is the original line (file) or value (other transports).
	Original string `json:"original,omitempty"`
	// Event is the decoded event, when there is one.
	Event *Line     `json:"event,omitempty"`
	At    time.Time `json:"at"`
}

// DeadLetter implements eventbus.DeadLetterer.
func (d *FileDeadLetterer) DeadLetter(_ context.Context, e eventbus.Event, reason error) error {
	rec := DeadLetterRecord{Reason: "unknown", At: time.Now().UTC()}
	if reason != nil {
		rec.Reason = reason.Error()
	}
	if m := e.Msg; m != nil {
		rec.Origin = fmt.Sprintf("%s:%s", m.Topic, m.StreamID)
		if m.Transport == "kafka" {
			rec.Origin = fmt.Sprintf("%s/%d@%d", m.Topic, m.Partition, m.Offset)
		}
		rec.Original = string(m.Value)
	}
	if e.ID != "" {
		line := Line{ID: e.ID, Type: e.Type, Source: e.Source, Key: e.Key, Data: e.Data}
		rec.Event = &line
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("filebus: %w", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	f, err := os.OpenFile(d.Path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("filebus: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("filebus: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("filebus: %w", err)
	}
	return f.Close()
}
