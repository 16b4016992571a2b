package erasure

import (
	"context"
	"fmt"
	"strings"

	"github.com/popinbridge/bridge/internal/chdb"
	"github.com/popinbridge/bridge/internal/piicrypt"
	"github.com/popinbridge/bridge/internal/piinorm"
)

// found is the person's rows: event ids and the uids they carry.
type found struct {
	ids  map[string]bool
	uids map[string]bool
}

func (f *found) add(id, uid string) {
	f.ids[id] = true
	if uid != "" {
		f.uids[uid] = true
	}
}

// errTooMany is a person with more than MaxRows events.
type errTooMany struct{ max int }

func (e errTooMany) Error() string {
	return fmt.Sprintf("too many rows: more than %d events match; nothing was deleted", e.max)
}

// find collects the person's rows on site: by the identifier, then, for an
// e-mail or phone, every row of the uids those rows carry.
func (s *Service) find(ctx context.Context, db *chdb.DB, siteID, kind, value, norm string) (found, error) {
	f := found{ids: map[string]bool{}, uids: map[string]bool{}}
	var cond string
	switch kind {
	case KindUID:
		cond = "uid = " + quote(value)
	case KindAID:
		cond = "aid = " + quote(value)
	default:
		cond = strings.Join(dataConds(kind, value, norm), " OR ")
	}
	if err := s.collect(ctx, db, siteID, cond, &f); err != nil {
		return f, err
	}
	if kind == KindEmail || kind == KindPhone {
		if err := s.scanSealed(ctx, db, siteID, kind, value, norm, &f); err != nil {
			return f, err
		}
		if len(f.uids) > 0 {
			if err := s.collect(ctx, db, siteID, "uid IN ("+quoteList(keys(f.uids))+")", &f); err != nil {
				return f, err
			}
		}
	}
	return f, nil
}

// dataConds are the SQL conditions matching an e-mail or phone in data in
// each stored form: hashed, or as a JSON string as given or normalised.
func dataConds(kind, value, norm string) []string {
	conds := []string{"position(data, " + quote(`"`+piinorm.Hash(norm)+`"`) + ") > 0"}
	if kind == KindEmail {
		return append(conds, "positionCaseInsensitive(data, "+quote(`"`+norm+`"`)+") > 0")
	}
	for _, v := range []string{value, norm, "+" + norm} {
		conds = append(conds, "position(data, "+quote(`"`+v+`"`)+") > 0")
	}
	return conds
}

// collect adds the rows of site matching cond.
func (s *Service) collect(ctx context.Context, db *chdb.DB, siteID, cond string, f *found) error {
	rows, err := db.Conn().Query(ctx, fmt.Sprintf("SELECT event_id, uid FROM %s WHERE site_id = %s AND (%s) LIMIT %d",
		db.Table("events"), quote(siteID), cond, s.cfg.MaxRows+1))
	if err != nil {
		return fmt.Errorf("find rows: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, uid string
		if err := rows.Scan(&id, &uid); err != nil {
			return fmt.Errorf("find rows: %w", err)
		}
		f.add(id, uid)
		if len(f.ids) > s.cfg.MaxRows {
			return errTooMany{s.cfg.MaxRows}
		}
	}
	return rows.Err()
}

// scanSealed opens the site's rows holding sealed values (pii: encrypt)
// and adds those whose plaintext holds the e-mail or phone.
func (s *Service) scanSealed(ctx context.Context, db *chdb.DB, siteID, kind, value, norm string, f *found) error {
	if s.set.Box == nil {
		return nil
	}
	rows, err := db.Conn().Query(ctx, fmt.Sprintf("SELECT event_id, uid, data FROM %s WHERE site_id = %s AND position(data, %s) > 0",
		db.Table("events"), quote(siteID), quote(piicrypt.Prefix)))
	if err != nil {
		return fmt.Errorf("scan sealed rows: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, uid, data string
		if err := rows.Scan(&id, &uid, &data); err != nil {
			return fmt.Errorf("scan sealed rows: %w", err)
		}
		open, _, err := s.set.Box.OpenJSON([]byte(data))
		if err != nil {
			continue
		}
		if holds(string(open), kind, value, norm) {
			f.add(id, uid)
			if len(f.ids) > s.cfg.MaxRows {
				return errTooMany{s.cfg.MaxRows}
			}
		}
	}
	return rows.Err()
}

// holds reports whether an opened payload holds the e-mail or phone.
func holds(doc, kind, value, norm string) bool {
	if kind == KindEmail {
		return strings.Contains(strings.ToLower(doc), `"`+norm+`"`)
	}
	for _, v := range []string{value, norm, "+" + norm} {
		if strings.Contains(doc, `"`+v+`"`) {
			return true
		}
	}
	return false
}

// quote is a ClickHouse string literal.
func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func quoteList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = quote(v)
	}
	return strings.Join(q, ", ")
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
