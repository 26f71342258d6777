package server

// registerSSM registers the SSM operations (JSON 1.1, AmazonSSM.*).
func (s *Server) registerSSM() {
}
