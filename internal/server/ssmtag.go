package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/sesame-sh/sesame/internal/awsapi"
	"github.com/sesame-sh/sesame/internal/iam"
	"github.com/sesame-sh/sesame/internal/store"
)

// The ResourceType values of SSM's tagging operations; sesame has nodes
// and documents.
var taggingTypes = []string{"Document", "ManagedInstance", "MaintenanceWindow", "Parameter", "PatchBaseline", "OpsItem", "OpsMetadata", "Automation", "Association"}

// taggable is a resource named by a tagging request: its store name, ARN
// and tags (nil when it does not exist).
type taggable struct {
	res    store.Resource
	arn    string
	tags   []store.Tag
	exists bool
	amazon bool // an AWS-owned document: read-only
}

// checkTaggable validates ResourceType and ResourceId.
func checkTaggable(v *violations, typ, id *string) {
	if v.required("resourceType", typ != nil) {
		v.enum("resourceType", typ, taggingTypes...)
	}
	v.required("resourceId", id != nil)
}

// findTaggable resolves a tagging request's resource. sesame tags
// ManagedInstance ids (mi-...), and also its EC2 instances (i-...), whose
// tags AWS keeps in EC2, since sesame has no EC2 API.
func (s *Server) findTaggable(ctx context.Context, typ, id string) (*taggable, error) {
	switch typ {
	case "ManagedInstance":
		if !patInstanceID.re.MatchString(id) {
			return nil, awsapi.Errorf(http.StatusBadRequest, "InvalidResourceId", "The resource ID %s is not valid. Specify a managed node ID such as mi-0123456789abcdef0.", id)
		}
		t := &taggable{res: store.Resource{Type: store.ResourceNode, ID: id}, arn: s.nodeARN(id)}
		n, err := s.cfg.Store.GetNode(ctx, id)
		if err == nil {
			t.tags, t.exists = n.Tags, true
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		return t, nil
	case "Document":
		name := id
		if strings.HasPrefix(id, "arn:") {
			name = s.documentNameOfARN(id)
		}
		if !patDocumentName.re.MatchString(name) {
			return nil, awsapi.Errorf(http.StatusBadRequest, "InvalidResourceId", "The resource ID %s is not valid. Specify the name of a document.", id)
		}
		t := &taggable{res: store.Resource{Type: store.ResourceDocument, ID: name}, arn: s.documentARN(name)}
		d, err := s.loadDocument(ctx, name, "")
		if err == nil {
			t.tags, t.exists, t.amazon = d.Tags, true, d.Owner != s.cfg.Account
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		return t, nil
	}
	return nil, awsapi.Errorf(http.StatusBadRequest, "InvalidResourceType", "The resource type %s is not supported by sesame. Use ManagedInstance or Document.", typ)
}

// writable returns the error for a change to a resource that does not
// exist or that the account does not own.
func (t *taggable) writable() error {
	switch {
	case !t.exists:
		return t.missing()
	case t.amazon:
		return awsapi.Errorf(http.StatusBadRequest, "InvalidResourceId", "Document %s is owned by Amazon; you can tag only your own documents.", t.res.ID)
	}
	return nil
}

func (t *taggable) missing() error {
	return storeError(store.ErrNotFound, entity{kTagsResource, t.res.ID})
}

type addTagsInput struct {
	ResourceType *string  `json:"ResourceType"`
	ResourceID   *string  `json:"ResourceId"`
	Tags         []ssmTag `json:"Tags"`
}

// addTagsToResource is AddTagsToResource.
func (s *Server) addTagsToResource(ctx context.Context, c *call) (any, error) {
	var in addTagsInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	var v violations
	checkTaggable(&v, in.ResourceType, in.ResourceID)
	if v.required("tags", in.Tags != nil) {
		v.tags("tags", in.Tags, ssmMaxTags)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	tags := fromSSMTags(in.Tags)
	if err := ssmReservedTags(tags); err != nil {
		return nil, err
	}
	t, err := s.findTaggable(ctx, *in.ResourceType, *in.ResourceID)
	if err != nil {
		return nil, err
	}
	if err := c.authorize(ssmResource(t.arn, t.tags, ssmRequestTags(tags))); err != nil {
		return nil, err
	}
	if err := t.writable(); err != nil {
		return nil, err
	}
	if err := s.cfg.Store.AddTags(ctx, t.res, tags); err != nil {
		return nil, storeError(err, entity{kTagsResource, t.res.ID})
	}
	return struct{}{}, nil
}

type removeTagsInput struct {
	ResourceType *string  `json:"ResourceType"`
	ResourceID   *string  `json:"ResourceId"`
	TagKeys      []string `json:"TagKeys"`
}

// removeTagsFromResource is RemoveTagsFromResource; keys the resource
// does not have are ignored.
func (s *Server) removeTagsFromResource(ctx context.Context, c *call) (any, error) {
	var in removeTagsInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	var v violations
	checkTaggable(&v, in.ResourceType, in.ResourceID)
	if v.required("tagKeys", in.TagKeys != nil) {
		for i := range in.TagKeys {
			v.str(fmt.Sprintf("tagKeys.%d.member", i+1), &in.TagKeys[i], 1, 128, patTag)
		}
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	t, err := s.findTaggable(ctx, *in.ResourceType, *in.ResourceID)
	if err != nil {
		return nil, err
	}
	keys := &iam.Context{}
	keys.SetMulti("aws:TagKeys", in.TagKeys)
	if err := c.authorize(ssmResource(t.arn, t.tags, keys)); err != nil {
		return nil, err
	}
	if err := t.writable(); err != nil {
		return nil, err
	}
	if err := s.cfg.Store.RemoveTags(ctx, t.res, in.TagKeys); err != nil {
		return nil, storeError(err, entity{kTagsResource, t.res.ID})
	}
	return struct{}{}, nil
}

type listTagsInput struct {
	ResourceType *string `json:"ResourceType"`
	ResourceID   *string `json:"ResourceId"`
}

type listTagsOutput struct {
	TagList []ssmTagOut `json:"TagList"`
}

// listTagsForResource is ListTagsForResource.
func (s *Server) listTagsForResource(ctx context.Context, c *call) (any, error) {
	var in listTagsInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	var v violations
	checkTaggable(&v, in.ResourceType, in.ResourceID)
	if err := v.err(); err != nil {
		return nil, err
	}
	t, err := s.findTaggable(ctx, *in.ResourceType, *in.ResourceID)
	if err != nil {
		return nil, err
	}
	if err := c.authorize(ssmResource(t.arn, t.tags, nil)); err != nil {
		return nil, err
	}
	if !t.exists {
		return nil, t.missing()
	}
	return &listTagsOutput{TagList: toSSMTags(t.tags)}, nil
}
