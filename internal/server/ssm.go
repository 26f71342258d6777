package server

import (
	"context"
	"net/http"
	"sort"
	"strings"

	"github.com/sesame-sh/sesame/internal/awsapi"
	"github.com/sesame-sh/sesame/internal/iam"
	"github.com/sesame-sh/sesame/internal/store"
)

// registerSSM registers the SSM operations (JSON 1.1, AmazonSSM.*). Each
// handler validates its request, authorizes ssm:<Op> on the resources
// AWS authorizes for it (the Service Authorization Reference), and only
// then reads or changes state:
//
//	activations                  *
//	DescribeInstanceInformation  *
//	DescribeInstanceProperties   *
//	GetConnectionStatus          the target, with its tags
//	Add/RemoveTags, ListTags     the node or document, with its tags
//	documents                    arn:...:document/NAME (AWS-*: no account)
//	ListDocuments                *
//	StartSession                 the target, then the session document
//	Resume/TerminateSession      arn:...:session/ID, with its two tags
//	DescribeSessions             *
func (s *Server) registerSSM() {
	ops := []struct {
		name     string
		readOnly bool
		h        func(context.Context, *call) (any, error)
	}{
		{"CreateActivation", false, s.createActivation},
		{"DescribeActivations", true, s.describeActivations},
		{"DeleteActivation", false, s.deleteActivation},
		{"DescribeInstanceInformation", true, s.describeInstanceInformation},
		{"DescribeInstanceProperties", true, s.describeInstanceProperties},
		{"GetConnectionStatus", true, s.getConnectionStatus},
		{"AddTagsToResource", false, s.addTagsToResource},
		{"RemoveTagsFromResource", false, s.removeTagsFromResource},
		{"ListTagsForResource", true, s.listTagsForResource},
		{"CreateDocument", false, s.createDocument},
		{"GetDocument", true, s.getDocument},
		{"DescribeDocument", true, s.describeDocument},
		{"UpdateDocument", false, s.updateDocument},
		{"UpdateDocumentDefaultVersion", false, s.updateDocumentDefaultVersion},
		{"ListDocuments", true, s.listDocuments},
		{"DeleteDocument", false, s.deleteDocument},
		{"StartSession", false, s.startSession},
		{"ResumeSession", false, s.resumeSession},
		{"TerminateSession", false, s.terminateSession},
		{"DescribeSessions", true, s.describeSessions},
	}
	for _, op := range ops {
		s.register("ssm", op.name, op.readOnly, op.h)
	}
}

// nodeARN is the ARN of a node: an EC2 instance for i-..., a managed
// instance for mi-....
func (s *Server) nodeARN(id string) string {
	arn, err := iam.TargetARN(s.cfg.Partition, s.cfg.Region, s.cfg.Account, id)
	if err != nil {
		return "arn:" + s.cfg.Partition + ":ssm:" + s.cfg.Region + ":" + s.cfg.Account + ":managed-instance/" + id
	}
	return arn
}

// documentARN is the ARN of a document; AWS's own have no account.
func (s *Server) documentARN(name string) string {
	return iam.DocumentARN(s.cfg.Partition, s.cfg.Region, s.cfg.Account, name)
}

func (s *Server) sessionARN(id string) string {
	return "arn:" + s.cfg.Partition + ":ssm:" + s.cfg.Region + ":" + s.cfg.Account + ":session/" + id
}

// ssmResource is an iam.Resource with the tags of the resource (as
// aws:ResourceTag/K and ssm:resourceTag/K) and extra keys of the request
// (such as aws:RequestTag/K).
func ssmResource(arn string, tags []store.Tag, extra *iam.Context) iam.Resource {
	ctx := extra.Clone()
	ctx.SetResourceTags(tagMap(tags), true)
	return iam.Resource{ARN: arn, Context: ctx}
}

// ssmRequestTags returns the condition keys of tags in a request:
// aws:RequestTag/K and aws:TagKeys.
func ssmRequestTags(tags []store.Tag) *iam.Context {
	ctx := &iam.Context{}
	keys := make([]string, 0, len(tags))
	for _, t := range tags {
		ctx.Set("aws:RequestTag/"+t.Key, t.Value)
		keys = append(keys, t.Key)
	}
	ctx.SetMulti("aws:TagKeys", keys)
	return ctx
}

// fromSSMTags converts validated request tags. A key given twice keeps its
// last value.
func fromSSMTags(tags []ssmTag) []store.Tag {
	out := make([]store.Tag, 0, len(tags))
	seen := map[string]int{}
	for _, t := range tags {
		if i, ok := seen[*t.Key]; ok {
			out[i].Value = *t.Value
			continue
		}
		seen[*t.Key] = len(out)
		out = append(out, store.Tag{Key: *t.Key, Value: *t.Value})
	}
	return out
}

// toSSMTags converts stored tags for a response, ordered by key.
func toSSMTags(tags []store.Tag) []ssmTagOut {
	out := make([]ssmTagOut, 0, len(tags))
	for _, t := range tags {
		out = append(out, ssmTagOut{Key: t.Key, Value: t.Value})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// ssmTagOut is a Tag in a response.
type ssmTagOut struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// ssmReservedTags rejects tag keys that start with aws:, which AWS keeps
// for its own tags (such as a session's aws:ssmmessages:session-id).
func ssmReservedTags(tags []store.Tag) error {
	for _, t := range tags {
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return awsapi.Errorf(http.StatusBadRequest, "InvalidParameters", "Tag keys that start with aws: are reserved for AWS use: %s.", t.Key)
		}
	}
	return nil
}

// ssmMaxTags is how many tags AWS accepts in one request.
const ssmMaxTags = 1000
