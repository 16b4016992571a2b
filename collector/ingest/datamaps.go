package ingest

import "sync"

// dataMaps recycles the maps parseFast decodes event data into when it
// keeps only the properties a schema can constrain (so at most a schema's
// few keys each). validate hands a map back once the default validator,
// which keeps no reference to what it checked, is done with it.
var dataMaps = sync.Pool{New: func() any { return make(map[string]any, 8) }}

func getDataMap() map[string]any { return dataMaps.Get().(map[string]any) }

// putDataMap recycles m; nothing may refer to it any more.
func putDataMap(m map[string]any) {
	clear(m)
	dataMaps.Put(m)
}
