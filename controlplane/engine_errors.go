package controlplane

// Refused is what an Engine or History returns for a request it will not
// carry out as asked; the API answers 409 with code and message.
func Refused(code, message string) error { return conflict(code, "%s", message) }

// Unavailable is what an Engine or History returns while a dependency (e.g.
// ClickHouse) is not reachable; the API answers 503 with Retry-After.
func Unavailable(what string) error { return unavailable(what) }
