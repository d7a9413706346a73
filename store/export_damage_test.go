package store

import "os"

// MetaInfo is what tests need of the meta page bbolt uses, to damage the
// pages it points at.
type MetaInfo struct {
	PageSize                  int64
	Root, Freelist, HighWater uint64
}

func ReadMetaInfo(path string) (MetaInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return MetaInfo{}, err
	}
	defer f.Close()
	m, err := currentMeta(f)
	return MetaInfo{PageSize: int64(m.pageSize), Root: m.root, Freelist: m.freelist, HighWater: m.hwm}, err
}
