package loadtest

// executable is the sesame binary the tests start the server with.
var executable string

// SetExecutable tells the tests where TestMain (main_test.go, in package
// loadtest_test, which may import internal/cli) built sesame.
func SetExecutable(path string) { executable = path }
