package mysqlstore_test

import (
	"testing"

	"github.com/credshare/credshare/store"
	"github.com/credshare/credshare/store/internal/sqltest"
	"github.com/credshare/credshare/store/mysqlstore/mysqltest"
	"github.com/credshare/credshare/store/storetest"
)

func TestConformance(t *testing.T) {
	mysqltest.BaseDSN(t)
	storetest.Run(t, func(t *testing.T) store.Store { return mysqltest.Open(t) }, sqltest.SuiteOptions()...)
}

func BenchmarkHotTx(b *testing.B) { sqltest.BenchHotTx(b, mysqltest.Open(b)) }

func BenchmarkHotTxParallel(b *testing.B) { sqltest.BenchHotTxParallel(b, mysqltest.Open(b), 4) }

func BenchmarkClaim10(b *testing.B) { sqltest.BenchClaim(b, mysqltest.Open(b), 10) }
