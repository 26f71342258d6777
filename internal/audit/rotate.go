package audit

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// rotatedFile is one rotated log: path.N.
type rotatedFile struct {
	index int
	path  string
}

// rotated lists the rotated files of the log at path, newest (lowest
// index) first.
func rotated(path string) ([]rotatedFile, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []rotatedFile
	for _, e := range entries {
		suffix, ok := strings.CutPrefix(e.Name(), base+".")
		if !ok || e.IsDir() {
			continue
		}
		n, err := strconv.Atoi(suffix)
		if err != nil || n < 1 || strconv.Itoa(n) != suffix {
			continue
		}
		files = append(files, rotatedFile{n, filepath.Join(dir, e.Name())})
	}
	slices.SortFunc(files, func(a, b rotatedFile) int { return a.index - b.index })
	return files, nil
}

// logFiles lists the log's files oldest first: the rotated files from the
// highest index down, then the live file. Files that do not exist are left
// out.
func logFiles(path string) ([]string, error) {
	rot, err := rotated(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	var files []string
	for _, r := range slices.Backward(rot) {
		files = append(files, r.path)
	}
	if _, err := os.Stat(path); err == nil {
		files = append(files, path)
	}
	return files, nil
}

// rotateLocked closes the live file, shifts the rotated files up by one
// (deleting those beyond maxFiles), renames the live file to path.1 and
// opens a new live file. The rotation happens between two records, under
// the lock, so every record is in exactly one file. If a rename fails the
// log goes on appending to whatever file is at path, and says so in the
// logger: a failed rotation loses no record.
func (l *Log) rotateLocked() error {
	if err := l.syncLocked(); err != nil {
		return err
	}
	if err := l.f.Close(); err != nil {
		l.log.Error("audit log close before rotation failed", "path", l.path, "err", err)
	}
	l.f = nil
	if err := shift(l.path, l.maxFiles); err != nil {
		l.log.Error("audit log rotation failed", "path", l.path, "err", err)
	}
	return l.openLocked()
}

// shift renames path.N to path.N+1 for every rotated file, highest first,
// deleting those that would pass keep (when keep > 0), then path to
// path.1, and syncs the directory so the renames survive a crash.
func shift(path string, keep int) error {
	rot, err := rotated(path)
	if err != nil {
		return err
	}
	for _, r := range slices.Backward(rot) {
		if keep > 0 && r.index >= keep {
			err = errors.Join(err, os.Remove(r.path))
			continue
		}
		if rerr := os.Rename(r.path, fmt.Sprintf("%s.%d", path, r.index+1)); rerr != nil {
			return errors.Join(err, rerr)
		}
	}
	if rerr := os.Rename(path, path+".1"); rerr != nil {
		return errors.Join(err, rerr)
	}
	d, derr := os.Open(filepath.Dir(path))
	if derr != nil {
		return errors.Join(err, derr)
	}
	defer d.Close()
	return errors.Join(err, d.Sync())
}
