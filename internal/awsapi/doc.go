// Package awsapi speaks the two AWS wire protocols sesame serves: JSON 1.1
// (SSM: POST /, X-Amz-Target: AmazonSSM.<Operation>, a JSON body) and the
// Query protocol (IAM and STS: form-encoded Action=<Operation>&..., XML
// responses). It decodes requests strictly, encodes responses and errors in
// the shapes the AWS CLI and SDKs parse, and is the one place where errors
// become AWS wire errors (Error, WriteError).
package awsapi
