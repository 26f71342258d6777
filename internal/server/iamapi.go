package server

// registerIAM registers the IAM operations (Query protocol).
func (s *Server) registerIAM() {
}
