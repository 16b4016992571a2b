package controlplane

// Refused is what an Engine or History returns for a request it will not
// carry out as asked; the API answers 409 with code and message.
func Refused(code, message string) error { return conflict(code, "%s", message) }

// Unavailable is what an Engine or History returns while a dependency (e.g.
// ClickHouse) is not reachable; the API answers 503 with Retry-After.
func Unavailable(what string) error { return unavailable(what) }

// Invalid is what an Engine returns when a request cannot be carried out
// because of one of its fields (e.g. a test event the endpoint does not
// take); the API answers 422 naming the field.
func Invalid(field, message string) error { return invalid(field, "%s", message) }
