package protocol_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sesame-sh/sesame/internal/protocol"
)

func ExampleMessage_MarshalBinary() {
	m := protocol.Message{
		MessageType:    protocol.TypeOutputStreamData,
		SchemaVersion:  protocol.SchemaVersion,
		CreatedDate:    uint64(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC).UnixMilli()),
		SequenceNumber: 0,
		Flags:          protocol.SYN,
		PayloadType:    protocol.PayloadOutput,
		Payload:        []byte("$ "),
	}
	frame, err := m.MarshalBinary()
	if err != nil {
		panic(err)
	}
	fmt.Println(len(frame), "bytes")

	var back protocol.Message
	if err := protocol.Unmarshal(frame, &back); err != nil {
		panic(err)
	}
	fmt.Printf("%s %d %s %s %q\n", back.MessageType, back.HeaderLength, back.PayloadType, back.Flags, back.Payload)

	frame[len(frame)-1] = '#' // corrupt the payload
	err = protocol.Unmarshal(frame, &back)
	fmt.Println(errors.Is(err, protocol.ErrDigest), err)
	// Output:
	// 122 bytes
	// output_stream_data 116 Output SYN "$ "
	// true protocol: payload digest mismatch: PayloadDigest: does not match the 2-byte payload
}

// Two Streams wired back to back: each one's Send is the other's
// Receive. In sesame the frames travel over WebSockets through the
// server, and each side calls Receive from its reader goroutine.
func ExampleStream() {
	ctx := context.Background()
	var client, agent *protocol.Stream
	agent, _ = protocol.NewStream(protocol.Config{
		Role: protocol.RoleAgent,
		Send: func(f []byte) error { _, err := client.Receive(f); return err },
	})
	client, _ = protocol.NewStream(protocol.Config{
		Role: protocol.RoleClient,
		Send: func(f []byte) error { _, err := agent.Receive(f); return err },
	})
	defer agent.Close()
	defer client.Close()

	// The agent starts the handshake; the client reads it from ReadMessage.
	act, _ := protocol.SessionTypeAction(protocol.SessionStandardStream, nil)
	req, _ := json.Marshal(protocol.HandshakeRequest{AgentVersion: "3.3.1.0", RequestedClientActions: []protocol.RequestedClientAction{act}})
	agent.WriteMessage(ctx, protocol.PayloadHandshakeRequest, req)
	d, _ := client.ReadMessage(ctx)
	var hr protocol.HandshakeRequest
	json.Unmarshal(d.Payload, &hr)
	st, _ := hr.RequestedClientActions[0].SessionType()
	fmt.Println(d.PayloadType, hr.AgentVersion, st.SessionType)

	// Shell output is plain bytes on Read.
	agent.Write([]byte("$ "))
	buf := make([]byte, 16)
	n, _ := client.Read(buf)
	fmt.Printf("%q\n", buf[:n])

	// Everything written has been acknowledged.
	fmt.Println(agent.Flush(ctx), agent.Stats().Acked)
	// Output:
	// HandshakeRequest 3.3.1.0 Standard_Stream
	// "$ "
	// <nil> 2
}
