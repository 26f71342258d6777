package iam

import (
	"fmt"
	"strings"
)

// DocumentCheck selects how StartSession authorizes the session document
// when the caller names none.
type DocumentCheck uint8

const (
	// CheckDefaultDocument authorizes the default document
	// SSM-SessionManagerRunShell on every call, as AWS accounts were seen
	// to do in 2024 and 2025. sesame's default.
	CheckDefaultDocument DocumentCheck = iota
	// ExemptDefaultDocument is AWS's documented exemption: without a named
	// document only the target is authorized, with
	// ssm:SessionDocumentAccessCheck set to false.
	ExemptDefaultDocument
)

// DefaultSessionDocument is the document StartSession uses when none is
// named; it also holds the account's session preferences.
const DefaultSessionDocument = "SSM-SessionManagerRunShell"

// DocumentARN returns a session document's ARN. Documents owned by AWS
// (names starting with AWS-) have an empty account field.
func DocumentARN(partition, region, account, name string) string {
	if strings.HasPrefix(name, "AWS-") {
		account = ""
	}
	return "arn:" + partition + ":ssm:" + region + ":" + account + ":document/" + name
}

// TargetARN returns the ARN of a session target: an EC2 instance (i-...),
// a managed instance (mi-...), or an ECS task (ecs:CLUSTER_TASK_CONTAINER).
func TargetARN(partition, region, account, target string) (string, error) {
	switch {
	case strings.HasPrefix(target, "arn:"):
		if _, err := ParseARN(target); err != nil {
			return "", err
		}
		return target, nil
	case strings.HasPrefix(target, "i-"):
		return "arn:" + partition + ":ec2:" + region + ":" + account + ":instance/" + target, nil
	case strings.HasPrefix(target, "mi-"):
		return "arn:" + partition + ":ssm:" + region + ":" + account + ":managed-instance/" + target, nil
	case strings.HasPrefix(target, "ecs:"):
		parts := strings.Split(strings.TrimPrefix(target, "ecs:"), "_")
		if len(parts) != 3 {
			return "", fmt.Errorf("invalid ECS target %q: expected ecs:CLUSTER_TASK_CONTAINER", target)
		}
		return "arn:" + partition + ":ecs:" + region + ":" + account + ":task/" + parts[0] + "/" + parts[1], nil
	}
	return "", fmt.Errorf("invalid target %q: expected an instance id (i-...), a managed instance id (mi-...) or an ARN", target)
}

// StartSession describes one ssm:StartSession call.
type StartSession struct {
	Principal *Principal
	Partition string // default "aws"
	Region    string
	Account   string
	Target    string            // instance id, managed instance id or ARN
	Tags      map[string]string // the target's tags
	// Document is the named session document; empty means none was named
	// and the default document applies.
	Document     string
	DocumentTags map[string]string
	Check        DocumentCheck
	Context      *Context // the request's global keys
}

// Call returns the resources StartSession authorizes, in AWS's order:
// the target first, then the session document.
func (s *StartSession) Call() (*Call, error) {
	part := s.Partition
	if part == "" {
		part = "aws"
	}
	target, err := TargetARN(part, s.Region, s.Account, s.Target)
	if err != nil {
		return nil, err
	}
	tctx := &Context{}
	tctx.SetResourceTags(s.Tags, !strings.Contains(target, ":ecs:"))
	c := &Call{Principal: s.Principal, Action: "ssm:StartSession", Context: s.Context,
		Resources: make([]Resource, 1, 2)}
	c.Resources[0] = Resource{ARN: target, Context: tctx}
	doc := s.Document
	if doc == "" {
		if s.Check == ExemptDefaultDocument {
			tctx.Set("ssm:SessionDocumentAccessCheck", "false")
			return c, nil
		}
		doc = DefaultSessionDocument
	}
	dctx := &Context{}
	dctx.SetResourceTags(s.DocumentTags, true)
	c.Resources = append(c.Resources, Resource{ARN: DocumentARN(part, s.Region, s.Account, doc), Context: dctx})
	return c, nil
}
