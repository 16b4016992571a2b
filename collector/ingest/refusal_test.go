package ingest

// errorBody is the refusal answer {"error":{"code","message"}} as tests read it.
type errorBody struct {
	Error struct {
		Code    Code   `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}
