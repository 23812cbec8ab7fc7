//go:build amd64 || arm64 || ppc64 || ppc64le || riscv64 || loong64 || mips64 || mips64le || s390x

package tracer

import "unsafe"

// The size of a flow stays a multiple of 64 bytes where pointers are 8
// bytes (its size class then starts every object on a cache line; the
// padding of flow is laid out for that).
var _ = [1]int{}[unsafe.Sizeof(flow{})%64]
