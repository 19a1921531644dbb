package serve

// usage reports the bytes and files currently stored.
func (s *uploadStore) usage() (bytes int64, files int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.used, len(s.files)
}
