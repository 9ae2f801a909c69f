package mysqlstore_test

import (
	"testing"

	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/mysqlstore/mysqltest"
	"github.com/credshare/credshare/store/storetest"
)

func TestConformance(t *testing.T) {
	mysqltest.BaseDSN(t)
	storetest.Run(t, func(t *testing.T) store.Store { return mysqltest.Open(t) })
}
