package server

import (
	"context"
	"errors"
	"regexp"

	"github.com/sesame-sh/sesame/internal/awsapi"
	"github.com/sesame-sh/sesame/internal/iam"
	"github.com/sesame-sh/sesame/internal/store"
)

// Access keys. UserName is optional in every operation: without it the
// operation is about the caller, who must then be an IAM user.

type keyInput struct {
	UserName    string
	AccessKeyId string
	Status      string
}

// keyOwner returns the user an access key operation is about, checked
// and authorized.
func keyOwner(c *call, name string) (store.Entity, error) {
	if name == "" {
		if c.caller.entity.Kind != store.EntityUser {
			return store.Entity{}, awsapi.Validation(awsapi.Query, "Must specify userName when calling with non-User credentials")
		}
		name = c.caller.entity.Name
	}
	e := store.Entity{Kind: store.EntityUser, Name: name}
	if err := checkEntityName(name, "UserName", 128); err != nil {
		return e, err
	}
	return e, nil
}

var keyIDPattern = regexp.MustCompile(`^\w+$`)

func checkKeyID(id string) error {
	if id == "" {
		return awsapi.MissingParameter(awsapi.Query, "AccessKeyId")
	}
	if err := checkMemberLength(id, "accessKeyId", 16, 128); err != nil {
		return err
	}
	if !keyIDPattern.MatchString(id) {
		return invalidMember(id, "accessKeyId", `Member must satisfy regular expression pattern: [\w]+`)
	}
	return nil
}

type accessKeyXML struct {
	UserName        string
	AccessKeyId     string
	Status          string
	SecretAccessKey string
	CreateDate      string
}

type createKeyResult struct {
	AccessKey accessKeyXML
}

// createAccessKey returns the secret: the only time anyone sees it.
func (s *Server) createAccessKey(ctx context.Context, c *call) (any, error) {
	var in keyInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	e, err := keyOwner(c, in.UserName)
	if err != nil {
		return nil, err
	}
	if err := s.authorizeEntity(ctx, c, e, nil); err != nil {
		return nil, err
	}
	u, err := s.cfg.Store.GetUser(ctx, e.Name)
	if err != nil {
		return nil, storeError(err, entity{kUser, e.Name})
	}
	k := store.AccessKey{ID: s.newID("AKIA", 20), UserName: u.Name, Secret: s.newSecret(),
		Status: store.AccessKeyActive, CreatedAt: s.cfg.Clock().UTC()}
	if err := s.cfg.Store.CreateAccessKey(ctx, k); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, storeError(err, entity{kUser, e.Name})
		}
		return nil, storeError(err, entity{kAccessKey, k.ID})
	}
	return &createKeyResult{AccessKey: accessKeyXML{UserName: k.UserName, AccessKeyId: k.ID, Status: string(k.Status),
		SecretAccessKey: k.Secret, CreateDate: isoDate(k.CreatedAt)}}, nil
}

type keyMetadataXML struct {
	UserName    string
	AccessKeyId string
	Status      string
	CreateDate  string
}

type listKeysResult struct {
	AccessKeyMetadata members[keyMetadataXML]
	listPage
}

func (s *Server) listAccessKeys(ctx context.Context, c *call) (any, error) {
	var in keyInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	e, err := keyOwner(c, in.UserName)
	if err != nil {
		return nil, err
	}
	opts, err := iamListOptions(c)
	if err != nil {
		return nil, err
	}
	if err := s.authorizeEntity(ctx, c, e, nil); err != nil {
		return nil, err
	}
	p, err := s.cfg.Store.ListAccessKeys(ctx, e.Name, opts)
	if err != nil {
		return nil, storeError(err, entity{kUser, e.Name})
	}
	out := &listKeysResult{AccessKeyMetadata: members[keyMetadataXML]{}, listPage: listPageOf(p.NextToken)}
	for _, k := range p.Items {
		out.AccessKeyMetadata = append(out.AccessKeyMetadata, keyMetadataXML{UserName: k.UserName, AccessKeyId: k.ID,
			Status: string(k.Status), CreateDate: isoDate(k.CreatedAt)})
	}
	return out, nil
}

func (s *Server) updateAccessKey(ctx context.Context, c *call) (any, error) {
	var in keyInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := checkKeyID(in.AccessKeyId); err != nil {
		return nil, err
	}
	switch store.AccessKeyStatus(in.Status) {
	case store.AccessKeyActive, store.AccessKeyInactive:
	case "":
		return nil, awsapi.MissingParameter(awsapi.Query, "Status")
	default:
		return nil, invalidMember(in.Status, "status", "Member must satisfy enum value set: [Active, Inactive]")
	}
	e, err := keyOwner(c, in.UserName)
	if err != nil {
		return nil, err
	}
	if err := s.authorizeEntity(ctx, c, e, nil); err != nil {
		return nil, err
	}
	if err := s.cfg.Store.SetAccessKeyStatus(ctx, e.Name, in.AccessKeyId, store.AccessKeyStatus(in.Status)); err != nil {
		return nil, storeError(err, entity{kAccessKey, in.AccessKeyId})
	}
	return nil, nil
}

func (s *Server) deleteAccessKey(ctx context.Context, c *call) (any, error) {
	var in keyInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := checkKeyID(in.AccessKeyId); err != nil {
		return nil, err
	}
	e, err := keyOwner(c, in.UserName)
	if err != nil {
		return nil, err
	}
	if err := s.authorizeEntity(ctx, c, e, nil); err != nil {
		return nil, err
	}
	if err := s.cfg.Store.DeleteAccessKey(ctx, e.Name, in.AccessKeyId); err != nil {
		return nil, storeError(err, entity{kAccessKey, in.AccessKeyId})
	}
	return nil, nil
}

type keyLastUsedXML struct {
	LastUsedDate string `xml:",omitempty"`
	ServiceName  string
	Region       string
}

type keyLastUsedResult struct {
	UserName          string
	AccessKeyLastUsed keyLastUsedXML
}

// getAccessKeyLastUsed is authorized on the key's user, which only the
// key names: the key is read to name the resource, and an unknown key is
// authorized on "*" before it is reported missing.
func (s *Server) getAccessKeyLastUsed(ctx context.Context, c *call) (any, error) {
	var in keyInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := checkKeyID(in.AccessKeyId); err != nil {
		return nil, err
	}
	k, err := s.cfg.Store.GetAccessKey(ctx, in.AccessKeyId)
	found := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	res := iam.Resource{ARN: "*"}
	if found {
		if res, _, err = s.entityResource(ctx, store.EntityUser, k.UserName); err != nil {
			return nil, err
		}
	}
	if err := c.authorize(res); err != nil {
		return nil, err
	}
	if !found {
		return nil, storeError(store.ErrNotFound, entity{kAccessKey, in.AccessKeyId})
	}
	out := &keyLastUsedResult{UserName: k.UserName, AccessKeyLastUsed: keyLastUsedXML{ServiceName: "N/A", Region: "N/A"}}
	if u := k.LastUsed; !u.At.IsZero() {
		out.AccessKeyLastUsed = keyLastUsedXML{LastUsedDate: isoDate(u.At), ServiceName: u.Service, Region: u.Region}
	}
	return out, nil
}
