package accredible_test

import "strconv"

func badgeID(id int64) string { return strconv.FormatInt(id, 10) }
