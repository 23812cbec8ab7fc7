package bus

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// AppendJSON appends the msgpack value in data as JSON, keeping the order
// of maps: bin values become hex strings, a report timestamp (ext 1)
// becomes {"sec":S,"nsec":N,"digits":D}. It is what `pcapflow subscribe`
// prints, and a reference for subscribers in other languages.
//
// A message whose lengths or nesting CheckMessage refuses is an error:
// the msgpack Decoder would allocate the lengths its headers claim.
func AppendJSON(b []byte, data []byte) ([]byte, error) {
	if err := CheckMessage(data); err != nil {
		return b, err
	}
	d := msgpack.NewDecoder(bytes.NewReader(data))
	return appendJSONValue(b, d, 0)
}

func appendJSONValue(b []byte, d *msgpack.Decoder, depth int) ([]byte, error) {
	if depth > 100 {
		return b, errors.New("msgpack nested too deeply")
	}
	c, err := d.PeekCode()
	if err != nil {
		return b, err
	}
	switch {
	case msgpcode.IsFixedMap(c) || c == msgpcode.Map16 || c == msgpcode.Map32:
		n, err := d.DecodeMapLen()
		if err != nil {
			return b, err
		}
		b = append(b, '{')
		for i := 0; i < n; i++ {
			if i > 0 {
				b = append(b, ',')
			}
			kc, err := d.PeekCode()
			if err != nil {
				return b, err
			}
			if msgpcode.IsString(kc) {
				k, err := d.DecodeString()
				if err != nil {
					return b, err
				}
				b = appendJSONStr(b, k)
			} else {
				// A key in JSON is a string: a scalar key is printed as its
				// JSON text, quoted. A map or array key is refused: quoted
				// again at each level, keys nested n deep took 2^n bytes.
				if msgpcode.IsFixedMap(kc) || kc == msgpcode.Map16 || kc == msgpcode.Map32 ||
					msgpcode.IsFixedArray(kc) || kc == msgpcode.Array16 || kc == msgpcode.Array32 {
					return b, fmt.Errorf("msgpack map key is a map or array (code 0x%02x)", kc)
				}
				v, err := appendJSONValue(nil, d, depth+1)
				if err != nil {
					return b, err
				}
				b = appendJSONStr(b, string(v))
			}
			b = append(b, ':')
			if b, err = appendJSONValue(b, d, depth+1); err != nil {
				return b, err
			}
		}
		return append(b, '}'), nil
	case msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32:
		n, err := d.DecodeArrayLen()
		if err != nil {
			return b, err
		}
		b = append(b, '[')
		for i := 0; i < n; i++ {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendJSONValue(b, d, depth+1); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	case c == msgpcode.Nil:
		return append(b, "null"...), d.DecodeNil()
	case c == msgpcode.False || c == msgpcode.True:
		v, err := d.DecodeBool()
		return strconv.AppendBool(b, v), err
	case c <= msgpcode.PosFixedNumHigh || (c >= msgpcode.Uint8 && c <= msgpcode.Uint64):
		v, err := d.DecodeUint64()
		return strconv.AppendUint(b, v, 10), err
	case c >= msgpcode.NegFixedNumLow || (c >= msgpcode.Int8 && c <= msgpcode.Int64):
		v, err := d.DecodeInt64()
		return strconv.AppendInt(b, v, 10), err
	case c == msgpcode.Float || c == msgpcode.Double:
		v, err := d.DecodeFloat64()
		return strconv.AppendFloat(b, v, 'g', -1, 64), err
	case msgpcode.IsString(c):
		v, err := d.DecodeString()
		return appendJSONStr(b, v), err
	case msgpcode.IsBin(c):
		v, err := d.DecodeBytes()
		b = append(b, '"')
		b = appendHex(b, v, 0)
		return append(b, '"'), err
	case msgpcode.IsExt(c):
		id, n, err := d.DecodeExtHeader()
		if err != nil {
			return b, err
		}
		if n < 0 || n > 1<<20 {
			return b, fmt.Errorf("msgpack extension of %d bytes", n)
		}
		raw := make([]byte, n)
		if err := d.ReadFull(raw); err != nil {
			return b, err
		}
		if id == ExtTime && n == extTimeLen {
			b = append(b, `{"sec":`...)
			b = strconv.AppendInt(b, int64(binary.BigEndian.Uint64(raw[0:8])), 10)
			b = append(b, `,"nsec":`...)
			b = strconv.AppendUint(b, uint64(binary.BigEndian.Uint32(raw[8:12])), 10)
			b = append(b, `,"digits":`...)
			b = strconv.AppendUint(b, uint64(raw[12]), 10)
			return append(b, '}'), nil
		}
		b = append(b, `{"ext":`...)
		b = strconv.AppendInt(b, int64(id), 10)
		b = append(b, `,"data":"`...)
		b = appendHex(b, raw, 0)
		return append(b, `"}`...), nil
	}
	return b, fmt.Errorf("unsupported msgpack code 0x%02x", c)
}

func appendJSONStr(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}
