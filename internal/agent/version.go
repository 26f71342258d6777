package agent

// Version is the version sesame-agent reports in its hello, its
// registration and the handshake of every session. AWS's plugin reads
// it: it must be a 4-part number, above 3.0.196.0 for multiplexed port
// forwarding and above 3.1.1511.0 for that without smux keep-alives
// (protocol.md §3.3). sesame-agent counts its releases in the third part.
const Version = "3.3.1.0"
