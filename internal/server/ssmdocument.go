package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/sesame-sh/sesame/internal/awsapi"
	"github.com/sesame-sh/sesame/internal/iam"
	"github.com/sesame-sh/sesame/internal/store"
)

// documentRef is the document a request names, read (at its default
// version) for authorization: doc is nil when there is no such document.
type documentRef struct {
	name string // empty when an ARN names another account's or region's document
	arn  string
	doc  *store.Document
}

func (r *documentRef) tags() []store.Tag {
	if r.doc == nil {
		return nil
	}
	return r.doc.Tags
}

// missing is the error for a document that does not exist.
func (r *documentRef) missing(given string) error {
	return storeError(store.ErrNotFound, entity{kDocument, given})
}

// amazonOwned reports whether the account does not own the document.
func (s *Server) amazonOwned(d *store.Document) bool { return d.Owner != s.cfg.Account }

// findDocument resolves a document name or ARN and reads the document.
func (s *Server) findDocument(ctx context.Context, nameOrARN string) (*documentRef, error) {
	name := nameOrARN
	if strings.HasPrefix(nameOrARN, "arn:") {
		name = s.documentNameOfARN(nameOrARN)
		if name == "" {
			return &documentRef{arn: nameOrARN}, nil
		}
	}
	ref := &documentRef{name: name, arn: s.documentARN(name)}
	d, err := s.loadDocument(ctx, name, "")
	switch {
	case err == nil:
		ref.doc = &d
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	return ref, nil
}

// documentNameOfARN returns the name of a document ARN of this server's
// region, owned by its account or by AWS; "" otherwise.
func (s *Server) documentNameOfARN(arn string) string {
	a, err := iam.ParseARN(arn)
	if err != nil || a.Partition != s.cfg.Partition || a.Service != "ssm" || a.Region != s.cfg.Region {
		return ""
	}
	kind, name, _ := strings.Cut(a.Resource, "/")
	if kind != "document" || !patDocumentName.re.MatchString(name) {
		return ""
	}
	if a.Account != s.cfg.Account && !(a.Account == "" && strings.HasPrefix(name, "AWS-")) {
		return ""
	}
	return name
}

// documentVersion reads the version a request selects by number
// ($LATEST, $DEFAULT) and/or version name; both must agree.
func (s *Server) documentVersion(ctx context.Context, name, version, versionName string) (store.Document, error) {
	if versionName != "" {
		v, err := s.versionNamed(ctx, name, versionName)
		if err != nil {
			return store.Document{}, err
		}
		if version != "" && version != store.VersionDefault && version != store.VersionLatest && version != v {
			return store.Document{}, awsapi.Errorf(http.StatusBadRequest, "InvalidDocumentVersion", "Version %s of document %s is not named %s.", version, name, versionName)
		}
		version = v
	}
	d, err := s.loadDocument(ctx, name, version)
	if errors.Is(err, store.ErrNotFound) {
		return d, awsapi.Errorf(http.StatusBadRequest, "InvalidDocumentVersion", "Document %s has no version %s.", name, version)
	}
	return d, err
}

// versionNamed returns the number of the version with a version name.
func (s *Server) versionNamed(ctx context.Context, name, versionName string) (string, error) {
	token := ""
	for {
		page, err := s.cfg.Store.ListDocumentVersions(ctx, name, store.ListOptions{Limit: store.MaxPageSize, Token: token})
		if err != nil {
			return "", storeError(err, entity{kDocument, name})
		}
		for _, v := range page.Items {
			if v.VersionName == versionName {
				return v.Version, nil
			}
		}
		if token = page.NextToken; token == "" {
			return "", awsapi.Errorf(http.StatusBadRequest, "InvalidDocumentVersion", "Document %s has no version named %s.", name, versionName)
		}
	}
}

// documentParameter is a DocumentParameter of a DocumentDescription.
type documentParameter struct {
	Name         string `json:"Name"`
	Type         string `json:"Type"`
	Description  string `json:"Description,omitempty"`
	DefaultValue string `json:"DefaultValue,omitempty"`
}

// documentDescription is SSM's DocumentDescription.
type documentDescription struct {
	Hash            string              `json:"Hash"`
	HashType        string              `json:"HashType"`
	Name            string              `json:"Name"`
	VersionName     string              `json:"VersionName,omitempty"`
	Owner           string              `json:"Owner"`
	CreatedDate     epoch               `json:"CreatedDate"`
	Status          string              `json:"Status"`
	DocumentVersion string              `json:"DocumentVersion"`
	Description     string              `json:"Description,omitempty"`
	Parameters      []documentParameter `json:"Parameters,omitempty"`
	PlatformTypes   []string            `json:"PlatformTypes"`
	DocumentType    string              `json:"DocumentType"`
	SchemaVersion   string              `json:"SchemaVersion"`
	LatestVersion   string              `json:"LatestVersion"`
	DefaultVersion  string              `json:"DefaultVersion"`
	DocumentFormat  string              `json:"DocumentFormat"`
	Tags            []ssmTagOut         `json:"Tags"`
}

// sessionPlatforms are the platforms every session document serves.
var sessionPlatforms = []string{"Windows", "Linux", "MacOS"}

func describeDoc(d *store.Document) documentDescription {
	sum := sha256.Sum256([]byte(d.Content))
	out := documentDescription{
		Hash: hex.EncodeToString(sum[:]), HashType: "Sha256", Name: d.Name, VersionName: d.VersionName,
		Owner: d.Owner, CreatedDate: epoch(d.CreatedAt), Status: "Active", DocumentVersion: d.Version,
		Description: d.Description, PlatformTypes: sessionPlatforms, DocumentType: d.DocumentType,
		LatestVersion: d.LatestVersion, DefaultVersion: d.DefaultVersion, DocumentFormat: d.Format, Tags: toSSMTags(d.Tags),
	}
	// Stored documents were checked when written.
	if sd, err := parseSessionDocument(d.Content); err == nil {
		out.Description, out.SchemaVersion = sd.Description, sd.SchemaVersion
		for _, p := range sd.Parameters {
			out.Parameters = append(out.Parameters, documentParameter{Name: p.Name, Type: p.Type, Description: p.Description, DefaultValue: p.DefaultString()})
		}
	}
	return out
}

// checkDocumentKind accepts the session documents sesame keeps: type
// Session, format JSON.
func checkDocumentKind(docType, format *string) error {
	if docType == nil || *docType != "Session" {
		t := "Command"
		if docType != nil {
			t = *docType
		}
		return invalidContent("sesame keeps session documents only, and this one is of type %s. Set DocumentType to Session.", t)
	}
	if format != nil && *format != "JSON" {
		return invalidContent("sesame accepts session documents in JSON, not %s. Set DocumentFormat to JSON.", *format)
	}
	return nil
}

var documentTypes = []string{"Command", "Policy", "Automation", "Session", "Package", "ApplicationConfiguration", "ApplicationConfigurationSchema", "DeploymentStrategy", "ChangeCalendar", "Automation.ChangeTemplate", "ProblemAnalysis", "ProblemAnalysisTemplate", "CloudFormation", "ConformancePackTemplate", "QuickSetup", "ManualApprovalPolicy", "AutoApprovalPolicy"}

var documentFormats = []string{"YAML", "JSON", "TEXT"}

// reservedDocumentName reports names AWS keeps for its own documents.
func reservedDocumentName(name string) bool {
	l := strings.ToLower(name)
	return strings.HasPrefix(l, "aws") || strings.HasPrefix(l, "amazon") || strings.HasPrefix(l, "amzn")
}

type createDocumentInput struct {
	Content        *string    `json:"Content"`
	Requires       []struct{} `json:"Requires"`
	Attachments    []struct{} `json:"Attachments"`
	Name           *string    `json:"Name"`
	DisplayName    *string    `json:"DisplayName"`
	VersionName    *string    `json:"VersionName"`
	DocumentType   *string    `json:"DocumentType"`
	DocumentFormat *string    `json:"DocumentFormat"`
	TargetType     *string    `json:"TargetType"`
	Tags           []ssmTag   `json:"Tags"`
}

func (in *createDocumentInput) validate() error {
	var v violations
	if v.required("content", in.Content != nil) {
		v.str("content", in.Content, 1, -1, nil)
	}
	if v.required("name", in.Name != nil) {
		v.str("name", in.Name, 0, -1, patDocumentName)
	}
	v.str("displayName", in.DisplayName, 0, 1024, patDisplayName)
	v.str("versionName", in.VersionName, 0, -1, patVersionName)
	v.enum("documentType", in.DocumentType, documentTypes...)
	v.enum("documentFormat", in.DocumentFormat, documentFormats...)
	v.str("targetType", in.TargetType, 0, 200, patTargetType)
	v.tags("tags", in.Tags, ssmMaxTags)
	return v.err()
}

// unsupportedDocumentMembers rejects members of document requests that
// sesame has no use for, rather than ignore them.
func unsupportedDocumentMembers(members map[string]bool) error {
	for _, m := range []string{"Requires", "Attachments", "DisplayName", "TargetType"} {
		if members[m] {
			return awsapi.Errorf(http.StatusBadRequest, "ValidationException", "sesame does not support %s on session documents; leave it out.", m)
		}
	}
	return nil
}

type documentDescriptionOutput struct {
	DocumentDescription documentDescription `json:"DocumentDescription"`
}

// createDocument is CreateDocument: a session document, version 1.
func (s *Server) createDocument(ctx context.Context, c *call) (any, error) {
	var in createDocumentInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	if err := unsupportedDocumentMembers(map[string]bool{"Requires": in.Requires != nil, "Attachments": in.Attachments != nil,
		"DisplayName": in.DisplayName != nil, "TargetType": in.TargetType != nil}); err != nil {
		return nil, err
	}
	name := *in.Name
	if reservedDocumentName(name) {
		return nil, awsapi.Errorf(http.StatusBadRequest, "ValidationException", "Document name %s is not allowed: names that start with aws, amazon or amzn (in any case) are reserved for AWS.", name)
	}
	if err := checkDocumentKind(in.DocumentType, in.DocumentFormat); err != nil {
		return nil, err
	}
	sd, err := parseSessionDocument(*in.Content)
	if err != nil {
		return nil, err
	}
	tags := fromSSMTags(in.Tags)
	if err := ssmReservedTags(tags); err != nil {
		return nil, err
	}
	if len(tags) > store.MaxTagsPerResource {
		return nil, storeError(store.ErrLimitExceeded, entity{kTagsResource, name})
	}
	if err := c.authorize(ssmResource(s.documentARN(name), nil, ssmRequestTags(tags))); err != nil {
		return nil, err
	}
	// The default document exists from the start: creating it fails.
	if _, err := s.ensureBuiltin(ctx, name); err != nil {
		return nil, err
	}
	d := store.Document{Name: name, Owner: s.cfg.Account, DocumentType: "Session", Format: "JSON", Description: sd.Description,
		Content: *in.Content, VersionName: orEmpty(in.VersionName), CreatedAt: s.cfg.Clock().UTC(), Tags: tags}
	if err := s.cfg.Store.CreateDocument(ctx, d); err != nil {
		return nil, storeError(err, entity{kDocument, name})
	}
	d, err = s.cfg.Store.GetDocument(ctx, name, "")
	if err != nil {
		return nil, storeError(err, entity{kDocument, name})
	}
	return &documentDescriptionOutput{DocumentDescription: describeDoc(&d)}, nil
}

type getDocumentInput struct {
	Name            *string `json:"Name"`
	VersionName     *string `json:"VersionName"`
	DocumentVersion *string `json:"DocumentVersion"`
	DocumentFormat  *string `json:"DocumentFormat"`
}

type getDocumentOutput struct {
	Name            string `json:"Name"`
	CreatedDate     epoch  `json:"CreatedDate"`
	VersionName     string `json:"VersionName,omitempty"`
	DocumentVersion string `json:"DocumentVersion"`
	Status          string `json:"Status"`
	Content         string `json:"Content"`
	DocumentType    string `json:"DocumentType"`
	DocumentFormat  string `json:"DocumentFormat"`
}

// readDocument validates a request that reads one version of a document
// (by name or ARN), authorizes it, and reads it.
func (s *Server) readDocument(ctx context.Context, c *call, name, version, versionName *string) (store.Document, error) {
	var v violations
	if v.required("name", name != nil) {
		v.str("name", name, 0, -1, patDocumentARN)
	}
	v.str("documentVersion", version, 0, -1, patDocVersion)
	v.str("versionName", versionName, 0, -1, patVersionName)
	if err := v.err(); err != nil {
		return store.Document{}, err
	}
	ref, err := s.findDocument(ctx, *name)
	if err != nil {
		return store.Document{}, err
	}
	if err := c.authorize(ssmResource(ref.arn, ref.tags(), nil)); err != nil {
		return store.Document{}, err
	}
	if ref.doc == nil {
		return store.Document{}, ref.missing(*name)
	}
	if orEmpty(version) == "" && orEmpty(versionName) == "" {
		return *ref.doc, nil
	}
	return s.documentVersion(ctx, ref.name, orEmpty(version), orEmpty(versionName))
}

// getDocument is GetDocument.
func (s *Server) getDocument(ctx context.Context, c *call) (any, error) {
	var in getDocumentInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	var v violations
	v.enum("documentFormat", in.DocumentFormat, documentFormats...)
	if err := v.err(); err != nil {
		return nil, err
	}
	d, err := s.readDocument(ctx, c, in.Name, in.DocumentVersion, in.VersionName)
	if err != nil {
		return nil, err
	}
	if in.DocumentFormat != nil && *in.DocumentFormat != d.Format {
		return nil, invalidContent("sesame keeps document %s in %s and does not convert it to %s. Ask for DocumentFormat %s.", d.Name, d.Format, *in.DocumentFormat, d.Format)
	}
	return &getDocumentOutput{Name: d.Name, CreatedDate: epoch(d.CreatedAt), VersionName: d.VersionName, DocumentVersion: d.Version,
		Status: "Active", Content: d.Content, DocumentType: d.DocumentType, DocumentFormat: d.Format}, nil
}

type describeDocumentInput struct {
	Name            *string `json:"Name"`
	DocumentVersion *string `json:"DocumentVersion"`
	VersionName     *string `json:"VersionName"`
}

type describeDocumentOutput struct {
	Document documentDescription `json:"Document"`
}

// describeDocument is DescribeDocument.
func (s *Server) describeDocument(ctx context.Context, c *call) (any, error) {
	var in describeDocumentInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	d, err := s.readDocument(ctx, c, in.Name, in.DocumentVersion, in.VersionName)
	if err != nil {
		return nil, err
	}
	return &describeDocumentOutput{Document: describeDoc(&d)}, nil
}

type updateDocumentInput struct {
	Content         *string    `json:"Content"`
	Attachments     []struct{} `json:"Attachments"`
	Name            *string    `json:"Name"`
	DisplayName     *string    `json:"DisplayName"`
	VersionName     *string    `json:"VersionName"`
	DocumentVersion *string    `json:"DocumentVersion"`
	DocumentFormat  *string    `json:"DocumentFormat"`
	TargetType      *string    `json:"TargetType"`
}

// ownDocument finds a document the caller changes, authorizes the change
// and checks that the document exists and that the account owns it.
func (s *Server) ownDocument(ctx context.Context, c *call, name string) (*store.Document, error) {
	ref, err := s.findDocument(ctx, name)
	if err != nil {
		return nil, err
	}
	if err := c.authorize(ssmResource(ref.arn, ref.tags(), nil)); err != nil {
		return nil, err
	}
	if ref.doc == nil {
		return nil, ref.missing(name)
	}
	if s.amazonOwned(ref.doc) {
		return nil, awsapi.Errorf(http.StatusBadRequest, "InvalidDocumentOperation", "Document %s is owned by Amazon; you can change only your own documents.", name)
	}
	return ref.doc, nil
}

// updateDocument is UpdateDocument: a new version, which becomes the
// default only through UpdateDocumentDefaultVersion, as in AWS.
func (s *Server) updateDocument(ctx context.Context, c *call) (any, error) {
	var in updateDocumentInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	var v violations
	if v.required("content", in.Content != nil) {
		v.str("content", in.Content, 1, -1, nil)
	}
	if v.required("name", in.Name != nil) {
		v.str("name", in.Name, 0, -1, patDocumentName)
	}
	v.str("displayName", in.DisplayName, 0, 1024, patDisplayName)
	v.str("versionName", in.VersionName, 0, -1, patVersionName)
	v.str("documentVersion", in.DocumentVersion, 0, -1, patDocVersion)
	v.enum("documentFormat", in.DocumentFormat, documentFormats...)
	v.str("targetType", in.TargetType, 0, 200, patTargetType)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := unsupportedDocumentMembers(map[string]bool{"Attachments": in.Attachments != nil,
		"DisplayName": in.DisplayName != nil, "TargetType": in.TargetType != nil}); err != nil {
		return nil, err
	}
	session := "Session"
	if err := checkDocumentKind(&session, in.DocumentFormat); err != nil {
		return nil, err
	}
	if _, err := parseSessionDocument(*in.Content); err != nil {
		return nil, err
	}
	name := *in.Name
	if _, err := s.ownDocument(ctx, c, name); err != nil {
		return nil, err
	}
	latest, err := s.loadDocument(ctx, name, store.VersionLatest)
	if err != nil {
		return nil, storeError(err, entity{kDocument, name})
	}
	if dv := orEmpty(in.DocumentVersion); dv != "" && dv != store.VersionLatest && dv != latest.Version {
		return nil, awsapi.Errorf(http.StatusBadRequest, "InvalidDocumentVersion", "Only the latest version of document %s, %s, can be updated. Specify $LATEST or %s.", name, latest.Version, latest.Version)
	}
	if latest.Content == *in.Content {
		return nil, awsapi.Errorf(http.StatusBadRequest, "DuplicateDocumentContent", "The content of the document matches its latest version (%s). Change the content of the document and try again.", latest.Version)
	}
	d, err := s.cfg.Store.UpdateDocument(ctx, name, store.DocumentUpdate{Content: *in.Content, VersionName: orEmpty(in.VersionName)})
	switch {
	case errors.Is(err, store.ErrExists):
		return nil, awsapi.Errorf(http.StatusBadRequest, "DuplicateDocumentVersionName", "The version name %s has already been used in this document. Specify a different version name, and then try again.", orEmpty(in.VersionName))
	case err != nil:
		return nil, storeError(err, entity{kDocVersion, name})
	}
	return &documentDescriptionOutput{DocumentDescription: describeDoc(&d)}, nil
}

type updateDefaultVersionInput struct {
	Name            *string `json:"Name"`
	DocumentVersion *string `json:"DocumentVersion"`
}

type updateDefaultVersionOutput struct {
	Description struct {
		Name               string `json:"Name"`
		DefaultVersion     string `json:"DefaultVersion"`
		DefaultVersionName string `json:"DefaultVersionName,omitempty"`
	} `json:"Description"`
}

// updateDocumentDefaultVersion is UpdateDocumentDefaultVersion.
func (s *Server) updateDocumentDefaultVersion(ctx context.Context, c *call) (any, error) {
	var in updateDefaultVersionInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	var v violations
	if v.required("name", in.Name != nil) {
		v.str("name", in.Name, 0, -1, patDocumentName)
	}
	if v.required("documentVersion", in.DocumentVersion != nil) {
		v.str("documentVersion", in.DocumentVersion, 0, -1, patDocVersionNum)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	name, version := *in.Name, *in.DocumentVersion
	if _, err := s.ownDocument(ctx, c, name); err != nil {
		return nil, err
	}
	err := s.cfg.Store.SetDefaultDocumentVersion(ctx, name, version)
	if errors.Is(err, store.ErrNotFound) {
		return nil, awsapi.Errorf(http.StatusBadRequest, "InvalidDocumentVersion", "Document %s has no version %s.", name, version)
	}
	if err != nil {
		return nil, storeError(err, entity{kDocument, name})
	}
	d, err := s.loadDocument(ctx, name, version)
	if err != nil {
		return nil, storeError(err, entity{kDocVersion, version})
	}
	var out updateDefaultVersionOutput
	out.Description.Name, out.Description.DefaultVersion, out.Description.DefaultVersionName = d.Name, d.Version, d.VersionName
	return &out, nil
}

type listDocumentsInput struct {
	DocumentFilterList []struct {
		Key   *string `json:"key"`
		Value *string `json:"value"`
	} `json:"DocumentFilterList"`
	Filters []struct {
		Key    *string  `json:"Key"`
		Values []string `json:"Values"`
	} `json:"Filters"`
	MaxResults *int32  `json:"MaxResults"`
	NextToken  *string `json:"NextToken"`
}

type documentIdentifier struct {
	Name            string      `json:"Name"`
	CreatedDate     epoch       `json:"CreatedDate"`
	Owner           string      `json:"Owner"`
	VersionName     string      `json:"VersionName,omitempty"`
	PlatformTypes   []string    `json:"PlatformTypes"`
	DocumentVersion string      `json:"DocumentVersion"`
	DocumentType    string      `json:"DocumentType"`
	SchemaVersion   string      `json:"SchemaVersion"`
	DocumentFormat  string      `json:"DocumentFormat"`
	Tags            []ssmTagOut `json:"Tags"`
}

type listDocumentsOutput struct {
	DocumentIdentifiers []documentIdentifier `json:"DocumentIdentifiers"`
	NextToken           string               `json:"NextToken,omitempty"`
}

// docFilter is one ListDocuments filter: a key and the values any of
// which a document must have.
type docFilter struct {
	key    string
	values []string
}

var documentFilterKeys = []string{"Name", "Owner", "PlatformTypes", "DocumentType", "SearchKeyword", "TargetType", "tag-key"}

func (in *listDocumentsInput) filters() ([]docFilter, error) {
	var v violations
	var fs []docFilter
	if in.DocumentFilterList != nil {
		v.count("documentFilterList", len(in.DocumentFilterList), 1, -1)
	}
	for i, f := range in.DocumentFilterList {
		p := fmt.Sprintf("documentFilterList.%d.member", i+1)
		if v.required(p+".key", f.Key != nil) {
			v.enum(p+".key", f.Key, "Name", "Owner", "PlatformTypes", "DocumentType")
		}
		if v.required(p+".value", f.Value != nil) {
			v.str(p+".value", f.Value, 1, -1, nil)
		}
		fs = append(fs, docFilter{key: orEmpty(f.Key), values: []string{orEmpty(f.Value)}})
	}
	v.count("filters", len(in.Filters), 0, 6)
	for i, f := range in.Filters {
		p := fmt.Sprintf("filters.%d.member", i+1)
		v.str(p+".key", f.Key, 1, 128, nil)
		for j := range f.Values {
			v.str(fmt.Sprintf("%s.values.%d.member", p, j+1), &f.Values[j], 1, 256, nil)
		}
		fs = append(fs, docFilter{key: orEmpty(f.Key), values: f.Values})
	}
	v.intRange("maxResults", in.MaxResults, 1, 50)
	if err := v.err(); err != nil {
		return nil, err
	}
	for _, f := range fs {
		if !slices.Contains(documentFilterKeys, f.key) && !(strings.HasPrefix(f.key, "tag:") && len(f.key) > 4) {
			return nil, awsapi.Errorf(http.StatusBadRequest, "InvalidFilterKey", "The filter key %s is not valid. Valid keys are %s and tag:<key>.", f.key, strings.Join(documentFilterKeys, ", "))
		}
	}
	return fs, nil
}

// docOwners maps an Owner filter value to the stored owners it selects.
func (s *Server) docOwners(v string) []string {
	switch v {
	case "Self", "Private":
		return []string{s.cfg.Account}
	case "Amazon", "Public":
		return []string{"Amazon"}
	case "All":
		return []string{s.cfg.Account, "Amazon"}
	}
	return []string{v}
}

// matchDocument reports whether a document passes every filter.
func (s *Server) matchDocument(d *store.Document, fs []docFilter) bool {
	for _, f := range fs {
		ok := len(f.values) == 0
		for _, want := range f.values {
			switch {
			case f.key == "Name":
				ok = ok || strings.HasPrefix(d.Name, want)
			case f.key == "SearchKeyword":
				ok = ok || strings.Contains(strings.ToLower(d.Name), strings.ToLower(want))
			case f.key == "Owner":
				ok = ok || slices.Contains(s.docOwners(want), d.Owner)
			case f.key == "DocumentType":
				ok = ok || d.DocumentType == want
			case f.key == "PlatformTypes":
				ok = ok || slices.Contains(sessionPlatforms, want)
			case f.key == "TargetType":
				ok = false // session documents have none
			case f.key == "tag-key":
				ok = ok || slices.ContainsFunc(d.Tags, func(t store.Tag) bool { return t.Key == want })
			case strings.HasPrefix(f.key, "tag:"):
				ok = ok || slices.Contains(d.Tags, store.Tag{Key: f.key[4:], Value: want})
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// listDocuments is ListDocuments. Filters apply to each page the store
// returns (a page may be short and still have a NextToken).
func (s *Server) listDocuments(ctx context.Context, c *call) (any, error) {
	var in listDocumentsInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	fs, err := in.filters()
	if err != nil {
		return nil, err
	}
	if err := c.authorize(); err != nil {
		return nil, err
	}
	if orEmpty(in.NextToken) == "" {
		if err := s.ensureBuiltins(ctx); err != nil {
			return nil, err
		}
	}
	var sf store.DocumentFilter
	for _, f := range fs {
		if f.key == "DocumentType" && len(f.values) == 1 {
			sf.DocumentType = f.values[0]
		}
		if f.key == "Owner" && len(f.values) == 1 && len(s.docOwners(f.values[0])) == 1 {
			sf.Owner = s.docOwners(f.values[0])[0]
		}
	}
	page, err := s.cfg.Store.ListDocuments(ctx, sf, store.ListOptions{Limit: maxResults(in.MaxResults, 50), Token: orEmpty(in.NextToken)})
	if err != nil {
		return nil, storeError(err, entity{kDocument, ""})
	}
	out := &listDocumentsOutput{DocumentIdentifiers: []documentIdentifier{}, NextToken: page.NextToken}
	for i := range page.Items {
		d := &page.Items[i]
		if !s.matchDocument(d, fs) {
			continue
		}
		out.DocumentIdentifiers = append(out.DocumentIdentifiers, documentIdentifier{
			Name: d.Name, CreatedDate: epoch(d.CreatedAt), Owner: d.Owner, VersionName: d.VersionName,
			PlatformTypes: sessionPlatforms, DocumentVersion: d.Version, DocumentType: d.DocumentType,
			SchemaVersion: "1.0", DocumentFormat: d.Format, Tags: toSSMTags(d.Tags),
		})
	}
	return out, nil
}

type deleteDocumentInput struct {
	Name            *string `json:"Name"`
	DocumentVersion *string `json:"DocumentVersion"`
	VersionName     *string `json:"VersionName"`
	Force           *bool   `json:"Force"`
}

// deleteDocument is DeleteDocument of a whole document. (Force, which
// concerns associations, changes nothing: sesame has none.)
func (s *Server) deleteDocument(ctx context.Context, c *call) (any, error) {
	var in deleteDocumentInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	var v violations
	if v.required("name", in.Name != nil) {
		v.str("name", in.Name, 0, -1, patDocumentName)
	}
	v.str("documentVersion", in.DocumentVersion, 0, -1, patDocVersion)
	v.str("versionName", in.VersionName, 0, -1, patVersionName)
	if err := v.err(); err != nil {
		return nil, err
	}
	name := *in.Name
	if _, err := s.ownDocument(ctx, c, name); err != nil {
		return nil, err
	}
	if in.DocumentVersion != nil || in.VersionName != nil {
		return nil, awsapi.Errorf(http.StatusBadRequest, "InvalidDocumentOperation", "sesame deletes whole documents only: leave out DocumentVersion and VersionName to delete %s.", name)
	}
	if err := s.cfg.Store.DeleteDocument(ctx, name); err != nil {
		return nil, storeError(err, entity{kDocument, name})
	}
	return struct{}{}, nil
}
