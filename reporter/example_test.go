package reporter_test

import (
	"os"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/reporter"
)

// Render hand-built blocks as PyPCAPKit's tree text. Real reports build
// their blocks with BuildHeader and Builder.Frame.
func ExampleNewWriter() {
	w := reporter.NewWriter(os.Stdout, reporter.Text)
	var t decoder.Tree
	t.Object("ethernet")
	t.MAC("src", []byte{2, 0, 0, 0, 0, 1})
	t.Enum("type", 0x0800, "IPv4")
	t.Object("ipv4")
	t.IPv4("dst", []byte{192, 0, 2, 1})
	t.Bytes("payload", []byte("a payload longer than sixteen bytes"))
	t.Close()
	t.Close()
	t.String("protocols", "Ethernet:IPv4")
	w.Block("Frame 1", &t)
	w.Close()
	// Output:
	// Frame 1
	//   |-- ethernet
	//   |     |-- src -> 02:00:00:00:00:01
	//   |     |-- type -> IPv4 [2048]
	//   |     |-- ipv4
	//   |           |-- dst -> 192.0.2.1
	//   |           |-- payload
	//   |                 |--> 61 20 70 61 79 6c 6f 61 64 20 6c 6f 6e 67 65 72
	//   |                      20 74 68 61 6e 20 73 69 78 74 65 65 6e 20 62 79
	//   |                      74 65 73
	//   |-- protocols -> Ethernet:IPv4
}

// The same block as JSON.
func ExampleNewWriter_json() {
	w := reporter.NewWriter(os.Stdout, reporter.JSON)
	var t decoder.Tree
	t.Time("time", 1700000000, 123456000, 6)
	t.Bytes("payload", []byte{0xde, 0xad})
	t.Null("error")
	w.Block("Frame 1", &t)
	w.Close()
	// Output:
	// {
	// 	"Frame 1": {
	// 		"time": "2023-11-14T22:13:20.123456Z",
	// 		"payload": "dead",
	// 		"error": null
	// 	}
	// }
}
