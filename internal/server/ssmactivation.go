package server

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/sesame-sh/sesame/internal/awsapi"
	"github.com/sesame-sh/sesame/internal/iam"
	"github.com/sesame-sh/sesame/internal/store"
)

// Activation defaults and limits, AWS's.
const (
	activationTTL        = 24 * time.Hour      // without an ExpirationDate
	activationMaxTTL     = 30 * 24 * time.Hour // the latest ExpirationDate
	activationCodeLength = 20
)

type createActivationInput struct {
	Description          *string        `json:"Description"`
	DefaultInstanceName  *string        `json:"DefaultInstanceName"`
	IamRole              *string        `json:"IamRole"`
	RegistrationLimit    *int32         `json:"RegistrationLimit"`
	ExpirationDate       *epoch         `json:"ExpirationDate"`
	Tags                 []ssmTag       `json:"Tags"`
	RegistrationMetadata []ssmMetaEntry `json:"RegistrationMetadata"`
}

type ssmMetaEntry struct {
	Key   *string `json:"Key"`
	Value *string `json:"Value"`
}

type createActivationOutput struct {
	ActivationID   string `json:"ActivationId"`
	ActivationCode string `json:"ActivationCode"`
}

func (in *createActivationInput) validate() error {
	var v violations
	v.str("description", in.Description, 0, 256, nil)
	v.str("defaultInstanceName", in.DefaultInstanceName, 0, 256, patDefaultName)
	if v.required("iamRole", in.IamRole != nil) {
		v.str("iamRole", in.IamRole, 0, 64, nil)
	}
	v.intRange("registrationLimit", in.RegistrationLimit, 1, 1000)
	v.tags("tags", in.Tags, ssmMaxTags)
	return v.err()
}

// createActivation is CreateActivation: a new activation whose code is
// shown once, in the response, and kept only as a hash.
func (s *Server) createActivation(ctx context.Context, c *call) (any, error) {
	var in createActivationInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	now := s.cfg.Clock().UTC()
	expires := now.Add(activationTTL)
	if in.ExpirationDate != nil {
		expires = in.ExpirationDate.when()
		switch {
		case !expires.After(now):
			return nil, awsapi.Errorf(http.StatusBadRequest, "InvalidParameters", "ExpirationDate %s is in the past. Specify a date in the future, at most 30 days from now.", expires.Format(time.RFC3339))
		case expires.Sub(now) > activationMaxTTL:
			return nil, awsapi.Errorf(http.StatusBadRequest, "InvalidParameters", "ExpirationDate %s is more than 30 days from now.", expires.Format(time.RFC3339))
		}
	}
	if len(in.RegistrationMetadata) > 0 {
		return nil, awsapi.Errorf(http.StatusBadRequest, "InvalidParameters", "RegistrationMetadata is not supported by sesame.")
	}
	tags := fromSSMTags(in.Tags)
	if err := ssmReservedTags(tags); err != nil {
		return nil, err
	}
	if len(tags) > store.MaxTagsPerResource {
		return nil, awsapi.Errorf(http.StatusBadRequest, "InvalidParameters", "An activation can have at most %d tags.", store.MaxTagsPerResource)
	}
	// AWS authorizes the call, and passing the role to the nodes.
	if err := c.authorize(iam.Resource{ARN: "*", Context: ssmRequestTags(tags)}); err != nil {
		return nil, err
	}
	if err := c.authorizeAction("iam:PassRole", iam.Resource{ARN: s.passedRoleARN(*in.IamRole)}); err != nil {
		return nil, err
	}
	code := s.activationCode()
	a := store.Activation{
		ID:                  s.newUUID(),
		CodeHash:            activationCodeHash(code),
		Description:         orEmpty(in.Description),
		DefaultInstanceName: orEmpty(in.DefaultInstanceName),
		IAMRole:             *in.IamRole,
		RegistrationLimit:   1,
		ExpiresAt:           expires,
		CreatedAt:           now,
		Tags:                tags,
	}
	if in.RegistrationLimit != nil {
		a.RegistrationLimit = int(*in.RegistrationLimit)
	}
	if err := s.cfg.Store.CreateActivation(ctx, a); err != nil {
		return nil, storeError(err, entity{kActivation, a.ID})
	}
	return &createActivationOutput{ActivationID: a.ID, ActivationCode: code}, nil
}

// passedRoleARN is the ARN of the role an activation gives its nodes:
// IamRole is a role name, a path and name, or an ARN.
func (s *Server) passedRoleARN(role string) string {
	if strings.HasPrefix(role, "arn:") {
		return role
	}
	return fmt.Sprintf("arn:%s:iam::%s:role/%s", s.cfg.Partition, s.cfg.Account, strings.TrimPrefix(role, "/"))
}

type describeActivationsInput struct {
	Filters []struct {
		FilterKey    *string  `json:"FilterKey"`
		FilterValues []string `json:"FilterValues"`
	} `json:"Filters"`
	MaxResults *int32  `json:"MaxResults"`
	NextToken  *string `json:"NextToken"`
}

type activationOut struct {
	ActivationID        string      `json:"ActivationId"`
	Description         string      `json:"Description,omitempty"`
	DefaultInstanceName string      `json:"DefaultInstanceName,omitempty"`
	IamRole             string      `json:"IamRole"`
	RegistrationLimit   int         `json:"RegistrationLimit"`
	RegistrationsCount  int         `json:"RegistrationsCount"`
	ExpirationDate      epoch       `json:"ExpirationDate"`
	Expired             bool        `json:"Expired"`
	CreatedDate         epoch       `json:"CreatedDate"`
	Tags                []ssmTagOut `json:"Tags,omitempty"`
}

type describeActivationsOutput struct {
	ActivationList []activationOut `json:"ActivationList"`
	NextToken      string          `json:"NextToken,omitempty"`
}

// describeActivations is DescribeActivations. The filters apply to each
// page the store returns, so a page may hold fewer than MaxResults
// activations and still have a NextToken, as AWS's pages do.
func (s *Server) describeActivations(ctx context.Context, c *call) (any, error) {
	var in describeActivationsInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	var v violations
	for i, f := range in.Filters {
		v.enum(fmt.Sprintf("filters.%d.member.filterKey", i+1), f.FilterKey, "ActivationIds", "DefaultInstanceName", "IamRole")
	}
	v.intRange("maxResults", in.MaxResults, 1, 50)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := c.authorize(); err != nil {
		return nil, err
	}
	match := func(a store.Activation) bool {
		for _, f := range in.Filters {
			if f.FilterKey == nil {
				continue
			}
			var got string
			switch *f.FilterKey {
			case "ActivationIds":
				got = a.ID
			case "DefaultInstanceName":
				got = a.DefaultInstanceName
			case "IamRole":
				got = a.IAMRole
			}
			if len(f.FilterValues) > 0 && !slices.Contains(f.FilterValues, got) {
				return false
			}
		}
		return true
	}
	page, err := s.cfg.Store.ListActivations(ctx, store.ListOptions{Limit: maxResults(in.MaxResults, 50), Token: orEmpty(in.NextToken)})
	if err != nil {
		return nil, storeError(err, entity{kActivation, ""})
	}
	now := s.cfg.Clock()
	out := &describeActivationsOutput{ActivationList: []activationOut{}, NextToken: page.NextToken}
	for _, a := range page.Items {
		if !match(a) {
			continue
		}
		out.ActivationList = append(out.ActivationList, activationOut{
			ActivationID: a.ID, Description: a.Description, DefaultInstanceName: a.DefaultInstanceName,
			IamRole: a.IAMRole, RegistrationLimit: a.RegistrationLimit, RegistrationsCount: a.RegistrationCount,
			ExpirationDate: epoch(a.ExpiresAt), Expired: a.Expired(now), CreatedDate: epoch(a.CreatedAt),
			Tags: toSSMTags(a.Tags),
		})
	}
	return out, nil
}

type deleteActivationInput struct {
	ActivationID *string `json:"ActivationId"`
}

// deleteActivation is DeleteActivation; the nodes registered with the
// activation stay.
func (s *Server) deleteActivation(ctx context.Context, c *call) (any, error) {
	var in deleteActivationInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	var v violations
	if v.required("activationId", in.ActivationID != nil) {
		v.str("activationId", in.ActivationID, 0, -1, patActivationID)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := c.authorize(); err != nil {
		return nil, err
	}
	if err := s.cfg.Store.DeleteActivation(ctx, *in.ActivationID); err != nil {
		return nil, storeError(err, entity{kActivation, *in.ActivationID})
	}
	return struct{}{}, nil
}

// activationCode returns a new activation code: 20 characters of
// [A-Za-z0-9] (about 119 bits), drawn without modulo bias.
func (s *Server) activationCode() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	const limit = 256 - 256%len(alphabet)
	out := make([]byte, 0, activationCodeLength)
	buf := make([]byte, 32)
	for len(out) < activationCodeLength {
		if _, err := io.ReadFull(s.cfg.Rand, buf); err != nil {
			panic("server: random source failed: " + err.Error())
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < activationCodeLength {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out)
}

// activationCodeHash is what the store keeps of an activation code. The
// code is random enough (119 bits) that a fast hash is safe.
func activationCodeHash(code string) []byte {
	h := sha256.Sum256([]byte("sesame activation code\x00" + code))
	return h[:]
}

// newUUID returns a random (version 4) UUID, lowercase.
func (s *Server) newUUID() string {
	var b [16]byte
	if _, err := io.ReadFull(s.cfg.Rand, b[:]); err != nil {
		panic("server: random source failed: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func orEmpty(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
