// Package jsbus implements the bus contract of package bus on NATS
// JetStream: connecting with credentials and reconnection, declaring the
// streams, key-value buckets and object store, publishing with
// acknowledgement under deterministic message ids, and leases that give a
// partition or a capture one owner at a time.
package jsbus
