module github.com/credshare/credshare/eventbus/internal/oeavro

go 1.26.0

require (
	github.com/credshare/credshare v0.0.0-00010101000000-000000000000
	github.com/hamba/avro/v2 v2.31.0
)

require (
	github.com/go-viper/mapstructure/v2 v2.4.0 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/json-iterator/go v1.1.12 // indirect
	github.com/modern-go/concurrent v0.0.0-20180306012644-bacd9c7ef1dd // indirect
	github.com/modern-go/reflect2 v1.0.2 // indirect
)

replace github.com/credshare/credshare => ../../..
