package server

import (
	"context"
	"net/http"
	"regexp"

	"github.com/sesame-sh/sesame/internal/awsapi"
	"github.com/sesame-sh/sesame/internal/iam"
	"github.com/sesame-sh/sesame/internal/store"
)

// managedQuota is AWS's error text for a managed policy over its size
// quota.
const managedQuota = "Cannot exceed quota for PolicySize: 6144"

// policyXML is IAM's Policy.
type policyXML struct {
	PolicyName                    string
	PolicyId                      string
	Arn                           string
	Path                          string
	DefaultVersionId              string
	AttachmentCount               int
	PermissionsBoundaryUsageCount int
	IsAttachable                  bool
	Description                   string `xml:",omitempty"`
	CreateDate                    string
	UpdateDate                    string
}

func (s *Server) policyXML(p store.Policy) policyXML {
	return policyXML{PolicyName: p.Name, PolicyId: p.ID, Arn: s.policyARN(p), Path: pathOf(p.Path),
		DefaultVersionId: p.DefaultVersion, AttachmentCount: p.AttachmentCount, PermissionsBoundaryUsageCount: p.BoundaryCount,
		IsAttachable: true, Description: p.Description, CreateDate: isoDate(p.CreatedAt), UpdateDate: isoDate(p.UpdatedAt)}
}

type policyResult struct {
	Policy policyXML
}

type createPolicyInput struct {
	PolicyName     string
	Path           string
	PolicyDocument string
	Description    string
	Tags           []tagXML
}

func (s *Server) createPolicy(ctx context.Context, c *call) (any, error) {
	var in createPolicyInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := checkEntityName(in.PolicyName, "PolicyName", 128); err != nil {
		return nil, err
	}
	if err := checkPolicyPath(in.Path); err != nil {
		return nil, err
	}
	if in.PolicyDocument == "" {
		return nil, awsapi.MissingParameter(awsapi.Query, "PolicyDocument")
	}
	if err := checkMemberLength(in.Description, "description", 0, 1000); err != nil {
		return nil, err
	}
	if err := checkIAMTags(in.Tags); err != nil {
		return nil, err
	}
	res := iam.Resource{ARN: s.iamARN("policy", in.Path, in.PolicyName), Context: &iam.Context{}}
	requestTagKeys(res.Context, in.Tags)
	if err := c.authorize(res); err != nil {
		return nil, err
	}
	if len(in.Tags) > 0 {
		// The store keeps no tags on policies; refusing beats dropping them.
		return nil, awsapi.Errorf(http.StatusBadRequest, "InvalidInput", "sesame does not support tags on managed policies.")
	}
	if _, err := checkPolicyDocument(in.PolicyDocument, "PolicyDocument", iam.Identity, iam.Identity.MaxSize(), managedQuota); err != nil {
		return nil, err
	}
	now := s.cfg.Clock().UTC()
	p := store.Policy{ID: s.newID("ANPA", 21), Name: in.PolicyName, Path: pathOf(in.Path), Description: in.Description,
		Document: in.PolicyDocument, DefaultVersion: "v1", CreatedAt: now, UpdatedAt: now}
	if err := s.cfg.Store.CreatePolicy(ctx, p); err != nil {
		return nil, storeError(err, entity{kPolicy, in.PolicyName})
	}
	return &policyResult{Policy: s.policyXML(p)}, nil
}

type policyArnInput struct {
	PolicyArn string
}

// authorizePolicy decodes PolicyArn, authorizes the call on it and
// returns the policy it names.
func (s *Server) authorizePolicy(ctx context.Context, c *call) (store.Policy, string, error) {
	var in policyArnInput
	if err := c.decode(&in); err != nil {
		return store.Policy{}, "", err
	}
	if in.PolicyArn == "" {
		return store.Policy{}, "", awsapi.MissingParameter(awsapi.Query, "PolicyArn")
	}
	if err := checkMemberLength(in.PolicyArn, "policyArn", 20, 2048); err != nil {
		return store.Policy{}, "", err
	}
	if _, _, err := s.policyName(in.PolicyArn); err != nil {
		return store.Policy{}, "", err
	}
	if err := c.authorize(iam.Resource{ARN: in.PolicyArn}); err != nil {
		return store.Policy{}, "", err
	}
	p, err := s.managedPolicy(ctx, in.PolicyArn)
	return p, in.PolicyArn, err
}

func (s *Server) getPolicy(ctx context.Context, c *call) (any, error) {
	p, _, err := s.authorizePolicy(ctx, c)
	if err != nil {
		return nil, err
	}
	return &policyResult{Policy: s.policyXML(p)}, nil
}

type listPoliciesInput struct {
	Scope             string
	OnlyAttached      bool
	PathPrefix        string
	PolicyUsageFilter string
}

type listPoliciesResult struct {
	Policies members[policyXML]
	listPage
}

// listPolicies lists the account's customer managed policies: Scope AWS
// lists none, since sesame has no AWS managed policies.
func (s *Server) listPolicies(ctx context.Context, c *call) (any, error) {
	var in listPoliciesInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	switch in.Scope {
	case "", "All", "AWS", "Local":
	default:
		return nil, invalidMember(in.Scope, "scope", "Member must satisfy enum value set: [All, AWS, Local]")
	}
	switch in.PolicyUsageFilter {
	case "", "PermissionsPolicy", "PermissionsBoundary":
	default:
		return nil, invalidMember(in.PolicyUsageFilter, "policyUsageFilter", "Member must satisfy enum value set: [PermissionsPolicy, PermissionsBoundary]")
	}
	if err := checkPolicyPath(in.PathPrefix); err != nil {
		return nil, err
	}
	opts, err := iamListOptions(c)
	if err != nil {
		return nil, err
	}
	if err := c.authorize(); err != nil {
		return nil, err
	}
	out := &listPoliciesResult{Policies: members[policyXML]{}}
	if in.Scope == "AWS" {
		return out, nil
	}
	p, err := s.cfg.Store.ListPolicies(ctx, in.PathPrefix, opts)
	if err != nil {
		return nil, storeError(err, entity{kPolicy, ""})
	}
	if in.OnlyAttached || in.PolicyUsageFilter != "" {
		var used []store.Policy
		for _, pol := range p.Items {
			if inUse(pol, in.PolicyUsageFilter) {
				used = append(used, pol)
			}
		}
		p.Items = used
	}
	out.Policies, out.listPage = pageOf(p, s.policyXML)
	return out, nil
}

// inUse reports whether a policy is attached as PolicyUsageFilter asks:
// as a permissions policy, as a permissions boundary, or ("") as either.
func inUse(p store.Policy, usage string) bool {
	switch usage {
	case "PermissionsPolicy":
		return p.AttachmentCount > 0
	case "PermissionsBoundary":
		return p.BoundaryCount > 0
	}
	return p.AttachmentCount > 0 || p.BoundaryCount > 0
}

func (s *Server) deletePolicy(ctx context.Context, c *call) (any, error) {
	p, arn, err := s.authorizePolicy(ctx, c)
	if err != nil {
		return nil, err
	}
	versions, err := s.cfg.Store.ListPolicyVersions(ctx, p.Name)
	if err != nil {
		return nil, storeError(err, entity{kPolicy, arn})
	}
	if len(versions) > 1 {
		return nil, awsapi.Errorf(http.StatusConflict, "DeleteConflict", "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
	}
	if err := s.cfg.Store.DeletePolicy(ctx, p.Name); err != nil {
		return nil, storeError(err, entity{kPolicy, arn})
	}
	return nil, nil
}

// Versions.

// versionXML is IAM's PolicyVersion; Document (URL-encoded) only in
// GetPolicyVersion.
type versionXML struct {
	Document         string `xml:",omitempty"`
	VersionId        string
	IsDefaultVersion bool
	CreateDate       string
}

func versionOf(v store.PolicyVersion) versionXML {
	return versionXML{VersionId: v.Version, IsDefaultVersion: v.Default, CreateDate: isoDate(v.CreatedAt)}
}

type versionResult struct {
	PolicyVersion versionXML
}

type createPolicyVersionInput struct {
	PolicyDocument string
	SetAsDefault   bool
}

func (s *Server) createPolicyVersion(ctx context.Context, c *call) (any, error) {
	var in createPolicyVersionInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if in.PolicyDocument == "" {
		return nil, awsapi.MissingParameter(awsapi.Query, "PolicyDocument")
	}
	p, arn, err := s.authorizePolicy(ctx, c)
	if err != nil {
		return nil, err
	}
	if _, err := checkPolicyDocument(in.PolicyDocument, "PolicyDocument", iam.Identity, iam.Identity.MaxSize(), managedQuota); err != nil {
		return nil, err
	}
	v, err := s.cfg.Store.CreatePolicyVersion(ctx, p.Name, in.PolicyDocument, in.SetAsDefault)
	if err != nil {
		return nil, storeError(err, entity{kPolicyVersion, arn})
	}
	return &versionResult{PolicyVersion: versionOf(v)}, nil
}

var versionPattern = regexp.MustCompile(`^v[1-9][0-9]*(\.[A-Za-z0-9-]*)?$`)

type versionIdInput struct {
	VersionId string
}

// authorizeVersion decodes PolicyArn and VersionId and authorizes the
// call on the policy.
func (s *Server) authorizeVersion(ctx context.Context, c *call) (p store.Policy, version, arn string, err error) {
	var in versionIdInput
	if err := c.decode(&in); err != nil {
		return p, "", "", err
	}
	if in.VersionId == "" {
		return p, "", "", awsapi.MissingParameter(awsapi.Query, "VersionId")
	}
	if !versionPattern.MatchString(in.VersionId) {
		return p, "", "", invalidMember(in.VersionId, "versionId", `Member must satisfy regular expression pattern: v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`)
	}
	p, arn, err = s.authorizePolicy(ctx, c)
	return p, in.VersionId, arn, err
}

func versionMissing(arn, version string) entity {
	return entity{kPolicyVersion, arn + " version " + version}
}

func (s *Server) getPolicyVersion(ctx context.Context, c *call) (any, error) {
	p, version, arn, err := s.authorizeVersion(ctx, c)
	if err != nil {
		return nil, err
	}
	v, err := s.cfg.Store.GetPolicyVersion(ctx, p.Name, version)
	if err != nil {
		return nil, storeError(err, versionMissing(arn, version))
	}
	out := &versionResult{PolicyVersion: versionOf(v)}
	out.PolicyVersion.Document = encodeDocument(v.Document)
	return out, nil
}

type listVersionsResult struct {
	Versions members[versionXML]
	listPage
}

func (s *Server) listPolicyVersions(ctx context.Context, c *call) (any, error) {
	opts, err := iamListOptions(c)
	if err != nil {
		return nil, err
	}
	p, arn, err := s.authorizePolicy(ctx, c)
	if err != nil {
		return nil, err
	}
	vs, err := s.cfg.Store.ListPolicyVersions(ctx, p.Name)
	if err != nil {
		return nil, storeError(err, entity{kPolicy, arn})
	}
	// AWS lists the newest version first.
	for i, j := 0, len(vs)-1; i < j; i, j = i+1, j-1 {
		vs[i], vs[j] = vs[j], vs[i]
	}
	page, err := pageSlice(vs, func(v store.PolicyVersion) string { return v.Version }, opts, entity{kPolicy, arn})
	if err != nil {
		return nil, err
	}
	out := &listVersionsResult{}
	out.Versions, out.listPage = pageOf(page, versionOf)
	return out, nil
}

func (s *Server) deletePolicyVersion(ctx context.Context, c *call) (any, error) {
	p, version, arn, err := s.authorizeVersion(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Store.DeletePolicyVersion(ctx, p.Name, version); err != nil {
		return nil, storeError(err, versionMissing(arn, version))
	}
	return nil, nil
}

func (s *Server) setDefaultPolicyVersion(ctx context.Context, c *call) (any, error) {
	p, version, arn, err := s.authorizeVersion(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Store.SetDefaultPolicyVersion(ctx, p.Name, version); err != nil {
		return nil, storeError(err, versionMissing(arn, version))
	}
	return nil, nil
}
