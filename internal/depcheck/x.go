package main
import (
 _ "github.com/nats-io/nats.go"
 _ "github.com/nats-io/nats.go/jetstream"
 _ "github.com/nats-io/nats-server/v2/server"
 _ "github.com/vmihailenco/msgpack/v5"
 _ "howett.net/plist"
 _ "github.com/gopacket/gopacket/layers"
 _ "golang.org/x/sync/errgroup"
 _ "golang.org/x/term"
)
func main(){}
