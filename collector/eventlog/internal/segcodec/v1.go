package segcodec

import (
	"encoding/json"

	"github.com/popinbridge/bridge/internal/event"
)

// decodeJSON decodes a version 1 body: encoding/json of event.Event. Kept only
// to read segments written before version 2; nothing writes it any more.
func decodeJSON(e *event.Event, body []byte) error {
	return json.Unmarshal(body, e)
}
