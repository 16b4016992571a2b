package controlplane

import "encoding/json"

// Records are stored as JSON; credentials inside are sealed with the
// master key (see seal), bound to the record's key.

func (s *store) decodeSite(key string, raw []byte) (siteEntry, error) {
	var st storedSite
	if err := json.Unmarshal(raw, &st); err != nil {
		return siteEntry{}, err
	}
	if st.Sealed != "" {
		pt, err := s.box.Open(st.Sealed, []byte(key))
		if err != nil {
			return siteEntry{}, err
		}
		st.PopinAPIKey = string(pt)
	}
	return siteEntry{rec: st.siteRecord, hash: st.ConfigHash}, nil
}

func (s *store) encodeSite(rec siteRecord, hash string) []byte {
	st := storedSite{siteRecord: rec, ConfigHash: hash}
	if rec.PopinAPIKey != "" {
		st.Sealed = s.box.Seal([]byte(rec.PopinAPIKey), []byte(sitePrefix+rec.ID))
		st.PopinAPIKey = ""
	}
	b, _ := json.Marshal(st)
	return b
}

func (s *store) decodeEndpoint(key string, raw []byte) (endpointEntry, error) {
	var st storedEndpoint
	if err := json.Unmarshal(raw, &st); err != nil {
		return endpointEntry{}, err
	}
	ep := st.Endpoint
	// Ignore plaintext secrets that should not be there. Header values of
	// records written before they were sealed stay as stored (the next
	// write seals them); sealed ones take precedence.
	ep.Secret, ep.Token, ep.AccessToken, ep.APISecret, ep.PreviousSecrets = "", "", "", "", nil
	if ep.SecretURL() {
		ep.URL = ""
	}
	clearEgressSecrets(&ep)
	if st.Sealed != "" {
		pt, err := s.box.Open(st.Sealed, []byte(key))
		if err != nil {
			return endpointEntry{}, err
		}
		var c credentials
		if err := json.Unmarshal(pt, &c); err != nil {
			return endpointEntry{}, err
		}
		putCredentials(&ep, c)
	}
	return endpointEntry{ep: ep, hash: st.ConfigHash}, nil
}

func (s *store) encodeEndpoint(ep Endpoint, hash string) []byte {
	ep = ep.Clone()
	c := takeCredentials(&ep)
	st := storedEndpoint{Endpoint: ep, ConfigHash: hash}
	if c.hasCredentials() {
		pt, _ := json.Marshal(c)
		st.Sealed = s.box.Seal(pt, []byte(endpointPrefix+ep.ID))
	}
	b, _ := json.Marshal(st)
	return b
}
