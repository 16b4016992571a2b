package schemas

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"
)

// benchPayload is a realistic ~500-byte popin_user_captured webhook body.
var benchPayload = json.RawMessage(`{"event":"popin_user_captured","user_id":"3ab7634bb5f3a7544fd16ca0e5107b07","email":null,` +
	`"country_code":"+91","phone_number":"9792521396","full_phone_number":"+919792521396","timestamp":"2026-02-27 21:05:11",` +
	`"properties":{"customer_name":"Asha Rao","customer_email":"asha@example.com","customer_country_code":"+91",` +
	`"customer_phone_number":"9792521396","url":"https://www.acme.com/products/teak-sofa?ref=home",` +
	`"product":{"name":"Teak Sofa","url":"https://www.acme.com/p/1","price":4599900},` +
	`"meta":{"utm_source":"facebook","utm_medium":"cpc","utm_campaign":"spring_sale","partner_id":"p-17"}}}`)

func BenchmarkValidate(b *testing.B) {
	if _, err := Validate(ps, "popin_user_captured", benchPayload); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(benchPayload)))
	b.ReportAllocs()
	for b.Loop() {
		_, _ = Validate(ps, "popin_user_captured", benchPayload)
	}
}

// BenchmarkValidateValue validates the payload already decoded, as ingest
// does (it decodes each event's data once, while parsing the batch).
func BenchmarkValidateValue(b *testing.B) {
	v, err := decode(benchPayload)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_, _ = ValidateValue(ps, "popin_user_captured", v)
	}
}

// BenchmarkDecodeOnly is the baseline: decoding the same payload into any
// with encoding/json (UseNumber), the plain way to read it.
func BenchmarkDecodeOnly(b *testing.B) {
	b.SetBytes(int64(len(benchPayload)))
	b.ReportAllocs()
	for b.Loop() {
		_, _ = decodeStd(benchPayload)
	}
}

// Validation's cost as a multiple of the baseline, decoding the payload with
// encoding/json: ValidateValue (the ingest path, payload decoded once by the
// caller) measured 0.67-0.77, Validate (decoding included) about 1.9.
const (
	maxValidateValueRatio = 1.5
	maxValidateRatio      = 3.0
)

// TestBenchValidate measures Validate and ValidateValue against the baseline
// of merely decoding the payload, in the same run, and fails above the
// maximum ratios. It runs only under `make bench` (BRIDGE_BENCH=1).
func TestBenchValidate(t *testing.T) {
	if os.Getenv("BRIDGE_BENCH") != "1" {
		t.Skip("set BRIDGE_BENCH=1 to run")
	}
	base := testing.Benchmark(BenchmarkDecodeOnly)
	val := testing.Benchmark(BenchmarkValidate)
	vv := testing.Benchmark(BenchmarkValidateValue)
	valRatio := float64(val.NsPerOp()) / float64(base.NsPerOp())
	vvRatio := float64(vv.NsPerOp()) / float64(base.NsPerOp())
	fmt.Printf("BENCH schemas.Validate %d bytes: %d ns/op, %d allocs/op; encoding/json decode-only baseline %d ns/op; ratio %.2fx (target <= %.1f)\n",
		len(benchPayload), val.NsPerOp(), val.AllocsPerOp(), base.NsPerOp(), valRatio, maxValidateRatio)
	fmt.Printf("BENCH schemas.ValidateValue (decoded once by the caller): %d ns/op, %d allocs/op; ratio %.2fx (target <= %.1f)\n",
		vv.NsPerOp(), vv.AllocsPerOp(), vvRatio, maxValidateValueRatio)
	if valRatio > maxValidateRatio {
		t.Errorf("Validate costs %.2f times a plain decode, want <= %.1f", valRatio, maxValidateRatio)
	}
	if vvRatio > maxValidateValueRatio {
		t.Errorf("ValidateValue costs %.2f times a plain decode, want <= %.1f", vvRatio, maxValidateValueRatio)
	}
}
