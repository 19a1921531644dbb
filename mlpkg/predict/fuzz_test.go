package predict

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"testing"
)

// Fuzz targets for the JSON the CLI writes (FileResult, Prediction) and
// reads back. Their seeds run with go test; to fuzz one:
//
//	go test -run '^$' -fuzz '^FuzzFileResultJSON$' -fuzztime 3m ./mlpkg/predict/

// FuzzFileResultJSON checks that any JSON decodes into a FileResult without
// panicking, and that what decodes is written and read back the same: a
// result with an error keeps its text and no prediction, any other its
// prediction. TopK of the prediction read is sorted, most probable first.
func FuzzFileResultJSON(f *testing.F) {
	for _, s := range []string{
		`{"path":"a.jpg","prediction":{"class":"crow","probability":0.7,"probabilities":[0.1,0.2,0.7],"classes":["monkey","boar","crow"]}}`,
		`{"path":"b.txt","error":"not an image"}`,
		`{"path":"c","error":"","prediction":{"class":"x"}}`,
		`{"path":"d","error":null,"prediction":{"probabilities":[1e39]}}`,
		`{"PATH":"e","Prediction":{"probabilities":[],"classes":null}}`,
		`{"path":"\ud800\u0000","error":"a","error":null}`,
		`{"prediction":{"probabilities":[0.5,0.5,-0],"classes":["a"]}}`,
		`[]`, `null`, `{"path":1}`, `{`,
	} {
		f.Add([]byte(s), 2)
	}
	f.Fuzz(func(t *testing.T, data []byte, k int) {
		var r FileResult
		if err := json.Unmarshal(data, &r); err != nil {
			return
		}
		if r.Err != nil && !reflect.DeepEqual(r.Prediction, Prediction{}) {
			t.Fatalf("%s: an error and a prediction %+v", data, r.Prediction)
		}
		out, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("%s decoded to %+v, which does not encode: %v", data, r, err)
		}
		var back FileResult
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("%s does not decode: %v", out, err)
		}
		if back.Path != r.Path || (back.Err == nil) != (r.Err == nil) || (r.Err != nil && back.Err.Error() != r.Err.Error()) ||
			!reflect.DeepEqual(back.Prediction, r.Prediction) {
			t.Fatalf("decoded %+v, written %s, read back %+v", r, out, back)
		}
		top := r.Prediction.TopK(k)
		if want := len(r.Prediction.Probabilities); len(top) != want && (k <= 0 || k > want || len(top) != k) {
			t.Fatalf("TopK(%d) of %d: %d", k, want, len(top))
		}
		for i := 1; i < len(top); i++ {
			if top[i].Probability > top[i-1].Probability {
				t.Fatalf("TopK(%d) not sorted: %+v", k, top)
			}
		}
	})
}

// FuzzPredictionJSON checks that a Prediction of any probabilities encodes
// and reads back exactly (float32 values included), and that the only
// values that do not encode are NaN and the infinities, with an error.
func FuzzPredictionJSON(f *testing.F) {
	f.Add("crow", []byte{0, 0, 0, 0, 0, 0, 128, 63}, "monkey")
	f.Add("", []byte{0, 0, 192, 127}, "") // NaN
	f.Add("\xff", []byte{0, 0, 128, 255, 1, 0, 0, 0}, "a\u2028b")
	f.Fuzz(func(t *testing.T, class string, raw []byte, other string) {
		p := Prediction{Class: class, Classes: []string{class, other}}
		for i := 0; i+4 <= len(raw); i += 4 {
			p.Probabilities = append(p.Probabilities, math.Float32frombits(binary.LittleEndian.Uint32(raw[i:])))
		}
		if len(p.Probabilities) > 0 {
			p.Probability = p.Probabilities[0]
		}
		finite := !math.IsNaN(float64(p.Probability)) && !math.IsInf(float64(p.Probability), 0)
		for _, v := range p.Probabilities {
			finite = finite && !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0)
		}
		b, err := json.Marshal(p)
		var unsupported *json.UnsupportedValueError
		switch {
		case !finite && !errors.As(err, &unsupported):
			t.Fatalf("%+v: %s, %v; want an UnsupportedValueError", p, b, err)
		case !finite:
			return
		case err != nil:
			t.Fatalf("%+v: %v", p, err)
		}
		var back Prediction
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if back.Probability != p.Probability || len(back.Probabilities) != len(p.Probabilities) {
			t.Fatalf("wrote %+v, read back %+v", p, back)
		}
		for i, v := range p.Probabilities {
			if back.Probabilities[i] != v || math.Signbit(float64(back.Probabilities[i])) != math.Signbit(float64(v)) {
				t.Fatalf("probability %d: wrote %v, read back %v", i, v, back.Probabilities[i])
			}
		}
		if back.Class != jsonString(class) || back.Classes[1] != jsonString(other) {
			t.Fatalf("wrote %q %q, read back %q %q", class, other, back.Class, back.Classes[1])
		}
	})
}

// jsonString is s as encoding/json reads it back: invalid UTF-8 bytes
// become U+FFFD.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	var out string
	_ = json.Unmarshal(b, &out)
	return out
}
