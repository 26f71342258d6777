// Package server is sesame's control plane: one HTTP(S) listener that
// serves the AWS APIs sesame implements, so that the aws CLI and the AWS
// SDKs work against it with --endpoint-url.
//
// Every request goes through the same pipeline:
//
//	HTTP ──▶ read body (≤1 MiB) ──▶ protocol: X-Amz-Target ⇒ JSON 1.1 (ssm),
//	                                          else Query (iam, sts)
//	     ──▶ SigV4 (internal/sigv4) ──▶ caller: user or role session,
//	                                    its policies (compiled once, cached)
//	     ──▶ operation handler ──▶ call.authorize(resources...) through
//	                                the IAM engine (internal/iam)
//	     ──▶ response, or the error in the protocol's shape (internal/awsapi)
//	     ──▶ audit record (internal/audit), allowed or denied
//
// A handler must authorize before it reads or changes anything; the
// pipeline refuses to answer a call whose handler did not authorize
// (fail closed). The denial reason goes to the audit log, never to the
// caller beyond AWS's text.
package server
