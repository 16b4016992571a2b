package ingest

import "bytes"

// scanLimits walks raw once, without allocating beyond a depth-sized stack,
// and refuses it as soon as nesting, the width of an object or array, the
// batch's event count or a string's length exceeds lim. It runs before any
// decoding so that hostile shapes (10,000-deep nesting, millions of tiny
// keys) cost one linear pass over at most MaxBatchBytes bytes.
//
// It checks shape only, not grammar: json.Unmarshal validates afterwards, on
// input the scan has proven shallow and narrow. An array directly inside
// the frame object (depth 2, i.e. the batch) is bounded by
// MaxEventsPerBatch; every other container by MaxKeys.
//
// It returns the most entries such an array may hold (a size hint), and
// whether raw may hold a number beyond a float64 (checkNumbers): false
// when no number literal in raw has an exponent or could be over 308
// bytes long, unless raw is but a number.
func scanLimits(raw []byte, lim Limits) (entries int, hugeNumbers bool, _ *Error) {
	// width[d] counts the commas seen in the container at depth d.
	var widthBuf [scanStack]int
	var isBatchBuf [scanStack]bool
	width, isBatch := widthBuf[:], isBatchBuf[:]
	if lim.MaxJSONDepth >= scanStack {
		width = make([]int, lim.MaxJSONDepth+1)
		isBatch = make([]bool, lim.MaxJSONDepth+1)
	}
	depth := 0
	// sep is where the last string or structural character ended: a
	// number lies between two of them.
	sep := -1
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '"':
			j := closingQuote(raw, i+1)
			if n := j - i - 1; n > lim.MaxStringBytes {
				return 0, false, refuse(CodeTooLarge, "string longer than %d bytes", lim.MaxStringBytes)
			}
			i, sep = j, j
		case 'e', 'E':
			if i > 0 {
				if c := raw[i-1]; c >= '0' && c <= '9' || c == '.' {
					hugeNumbers = true
				}
			}
		case ':':
			sep = i
		case '{', '[':
			sep = i
			depth++
			if depth > lim.MaxJSONDepth {
				return 0, false, refuse(CodeTooLarge, "nesting deeper than %d", lim.MaxJSONDepth)
			}
			width[depth] = 0
			isBatch[depth] = depth == 2 && raw[i] == '['
			if isBatch[depth] {
				entries = max(entries, 1)
			}
		case '}', ']':
			hugeNumbers = hugeNumbers || i-sep > maxNumberBytes
			sep = i
			if depth == 0 {
				return 0, false, refuse(CodeMalformed, "unbalanced %q at byte %d", raw[i], i)
			}
			depth--
		case ',':
			hugeNumbers = hugeNumbers || i-sep > maxNumberBytes
			sep = i
			if depth == 0 {
				continue // a grammar error; json.Unmarshal reports it
			}
			width[depth]++
			n := width[depth] + 1
			if isBatch[depth] {
				entries = max(entries, n)
				if n > lim.MaxEventsPerBatch {
					return 0, false, refuse(CodeTooLarge, "more than %d events in the batch", lim.MaxEventsPerBatch)
				}
			} else if n > lim.MaxKeys {
				return 0, false, refuse(CodeTooLarge, "object or array with more than %d entries", lim.MaxKeys)
			}
		}
	}
	return entries, hugeNumbers || sep < len(raw)-1-maxNumberBytes, nil
}

// scanStack is the depth scanLimits tracks without allocating.
const scanStack = 64

// closingQuote returns the index of the quote ending the string whose text
// starts at raw[j]: the first quote after an even run of backslashes (each
// backslash escapes the next byte). Without one it returns the end of raw
// (one past it when raw ends in an escaping backslash).
func closingQuote(raw []byte, j int) int {
	for {
		q := bytes.IndexByte(raw[j:], '"')
		if q < 0 {
			break
		}
		q += j
		k := q // raw[j-1] is a quote, never part of the run
		for k > j && raw[k-1] == '\\' {
			k--
		}
		if (q-k)%2 == 0 {
			return q
		}
		j = q + 1
	}
	for j < len(raw) { // no closing quote: where the byte loop would stop
		if raw[j] == '\\' {
			j += 2
			continue
		}
		j++
	}
	return j
}
