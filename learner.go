package credshare

import (
	"strconv"

	"github.com/credshare/credshare/credential"
)

// LearnerFromTree finds the learner in an Open edX event payload tree (the
// shape of attrs.asdict(payload)): the first object, breadth first, that
// looks like UserData — an "id" and a "pii" object — as Open edX's
// get_user_data does. ok is false when the payload carries no learner.
func LearnerFromTree(tree map[string]any) (credential.Learner, bool) {
	queue := []map[string]any{tree}
	for len(queue) > 0 {
		m := queue[0]
		queue = queue[1:]
		if l, ok := userDataFromMap(m); ok {
			return l, true
		}
		for _, k := range sortedKeys(m) {
			if child, ok := m[k].(map[string]any); ok {
				queue = append(queue, child)
			}
		}
	}
	return credential.Learner{}, false
}

func userDataFromMap(m map[string]any) (credential.Learner, bool) {
	pii, ok := m["pii"].(map[string]any)
	if !ok {
		return credential.Learner{}, false
	}
	id, ok := asInt64(m["id"])
	if !ok {
		return credential.Learner{}, false
	}
	l := credential.Learner{UserID: id, IsActive: true}
	if b, ok := m["is_active"].(bool); ok {
		l.IsActive = b
	}
	l.Username, _ = pii["username"].(string)
	l.Email, _ = pii["email"].(string)
	l.FullName, _ = pii["name"].(string)
	return l, true
}

func asInt64(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case float64:
		if n == float64(int64(n)) {
			return int64(n), true
		}
	case string:
		i, err := strconv.ParseInt(n, 10, 64)
		return i, err == nil
	case interface{ Int64() (int64, error) }:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	// Small maps: insertion sort keeps this allocation-light and deterministic.
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}
