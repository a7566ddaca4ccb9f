# Conveniences; everything here is also a plain go command.
.PHONY: build test ci proto devnet bench

build:
	go build -o bin/lazchain ./cmd/lazchain

test:
	go test ./...

ci:
	bash .ci/run

# Regenerate the protobuf Go code (committed) from proto/ with pinned buf and protoc-gen-go.
proto:
	go run github.com/bufbuild/buf/cmd/buf@v1.50.0 lint
	go run github.com/bufbuild/buf/cmd/buf@v1.50.0 generate

devnet:
	go run ./cmd/lazchain devnet

bench:
	go run ./cmd/lazchain bench transfers
