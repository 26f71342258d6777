// Package awscli reads command-line parameters the way the aws CLI v1
// does, so that sesame's commands take the same command lines as their aws
// counterparts: argparse's option rules (ParseArgs), file:// and fileb://
// values (LoadParam), shorthand syntax (ParseShorthand, a port of
// awscli/shorthand.py), JSON values with their key order (DecodeJSON), and
// botocore's client-side checks of a request against the operation's input
// model (Validate, ApplyShorthand). Error texts are the aws CLI's, which is
// why some start with a capital letter.
//
// It lives beside the simulate package because simulate-custom-policy is
// its first user; nothing in it is specific to IAM.
package awscli
