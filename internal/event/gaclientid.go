package event

// MaxGAClientIDLen bounds Context.GAClientID: two decimal numbers of at
// most 20 digits each and a dot.
const MaxGAClientIDLen = 41

// ValidGAClientID reports whether s has the shape of a Google Analytics
// client id as the _ga cookie holds it after its "GA1.1." prefix: two
// non-empty runs of ASCII digits joined by one dot, at most
// MaxGAClientIDLen bytes ("1234567890.1763920000").
func ValidGAClientID(s string) bool {
	if len(s) == 0 || len(s) > MaxGAClientIDLen {
		return false
	}
	dots, run := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			run++
		case c == '.' && run > 0 && dots == 0:
			dots, run = 1, 0
		default:
			return false
		}
	}
	return dots == 1 && run > 0
}
