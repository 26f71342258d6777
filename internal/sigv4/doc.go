// Package sigv4 verifies and creates AWS Signature Version 4 signatures,
// so the aws CLI, boto3 and the AWS SDK for Go v2 can call sesame with
// their own signing code.
//
// A Verifier (New, Config) checks both forms AWS accepts: the
// Authorization header (with X-Amz-Date or Date, X-Amz-Content-Sha256
// including UNSIGNED-PAYLOAD, X-Amz-Security-Token) and the presigned query
// (X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders,
// -Signature, -Security-Token). Sign and Presign produce them for sesame's
// own clients and for tests.
//
//	request ─▶ parse header or query ─▶ credential scope ─▶ clock (±MaxSkew, X-Amz-Expires)
//	        ─▶ Keys.LookupKey(access key id) ─▶ session token, expiry
//	        ─▶ canonical request(s) ─▶ HMAC compare (constant time) ─▶ *Result
//
// The canonical request is AWS's: the path is normalized (dot segments and
// repeated slashes removed) and URI-encoded once more than it travelled on
// the wire, except for S3, which signs the wire path as is; the query is
// decoded, re-encoded (RFC 3986 unreserved set, %20 for space) and sorted
// by encoded name then value; header names are lowercased and values
// trimmed with inner whitespace collapsed, repeated headers joined with
// commas; host must be signed. Clients disagree in three corners, and a
// request is accepted when any of the forms verifies: the AWS SDK for Go v2
// does not normalize the path, a '+' in a query may have meant a space or
// a plus, and botocore collapses tabs in header values where the Go SDK
// collapses only spaces.
//
// # Errors
//
// Every failure is an *Error whose Kind maps to AWS's code and HTTP status
// for each protocol family (Kind.Code, Kind.HTTPStatus): JSON (SSM) or
// Query (IAM, STS). Messages are AWS's own text, and never include a
// secret, a session token or a computed signature.
//
//	Kind                        JSON code / status                      Query code / status
//	MissingAuthenticationToken  MissingAuthenticationTokenException 400 MissingAuthenticationToken 403
//	IncompleteSignature         IncompleteSignatureException 400        IncompleteSignature 400
//	InvalidClientTokenID        UnrecognizedClientException 400         InvalidClientTokenId 403
//	ExpiredToken                ExpiredTokenException 400               ExpiredToken 403
//	SignatureDoesNotMatch       InvalidSignatureException 400           SignatureDoesNotMatch 403
//	RequestExpired              RequestExpired 400                      RequestExpired 400
//
// Where each message was seen:
//
//   - "Request is missing Authentication Token": STS's XML error body and
//     DynamoDB's MissingAuthenticationTokenException, quoted in GitHub
//     issues (amzn/selling-partner-api-docs#3081,
//     amazon-archives/aws-dynamodb-session-tomcat#42). API Gateway's
//     "Missing Authentication Token" is a different service.
//   - "The security token included in the request is invalid." (with the
//     period) and "The security token included in the request is expired"
//     (without): aws CLI and SDK output in many issues
//     (99designs/aws-vault#15, cfn-sphere/cfn-sphere#55).
//   - "The request signature we calculated does not match ...": boto/boto3#756.
//   - "Signature expired: X is now earlier than Y (Z - 5 min.)" and
//     "Signature not yet current: X is still later than Y (Z + 5 min.)":
//     aws/aws-sdk-js#254, s12v/awsbeats#48; the same text comes as
//     SignatureDoesNotMatch from STS (devsecops/bootcamp#101).
//   - "Credential should be scoped to a valid region, not 'R'. " (trailing
//     space included): cognitect-labs/aws-api#27, aws/aws-sdk-ruby#508.
//   - "Authorization header requires 'Credential' parameter. ...
//     Authorization=<header>", "'T' not a valid key=value pair
//     (missing equal-sign) in Authorization header: '<header>'.",
//     "'Host' or ':authority' must be a 'SignedHeader' in the AWS
//     Authorization." and "Date must be in ISO-8601 'basic format'. Got
//     'D'. See http://en.wikipedia.org/wiki/ISO_8601": AWS responses quoted
//     in aws/chalice#828, iann0036/cloud9-sync#10, aws/aws-sdk-php#2469,
//     brendanhay/amazonka#5.
//   - "Request has expired." (RequestExpired): EC2 output in
//     99designs/aws-vault#394; AWS's Common Errors pages name RequestExpired
//     for requests past a presigned URL's expiry.
//   - The presigned-query texts are S3's: "Query-string authentication
//     version 4 requires ..." (kaliber-scala/play-s3#73), "Only one auth
//     mechanism allowed; ..." (catalyst/moodle-tool_objectfs#303),
//     "X-Amz-Expires should be a number" (minio/minio-js#1312), "... must
//     be non-negative" (fog/fog#3528), "... must be less than a week ..."
//     (aws/aws-cli#5464), "X-Amz-Algorithm only supports ..."
//     (versity/versitygw#1540). The credential-format, terminator and
//     scope-date texts follow AWS's wording as reimplemented by
//     dacut/python-aws-sig. "Unsupported AWS 'algorithm'" and the
//     x-amz-content-sha256 text are sesame's own.
//
// Any other error from Verify comes from Keys (a database failure, say):
// the request is refused and the server answers 500.
package sigv4
