package audit

import (
	"encoding/hex"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"
)

// EventVersion is the CloudTrail record format version sesame writes.
const EventVersion = "1.08"

// The identity types of UserIdentity.Type, as CloudTrail names them.
const (
	IAMUser     = "IAMUser"
	AssumedRole = "AssumedRole"
	Root        = "Root"
	AWSService  = "AWSService"
	Unknown     = "Unknown" // the caller could not be authenticated
)

// The decisions of EventData.Decision, spelt as iam.Decision.String and
// AWS's SimulateCustomPolicy spell them.
const (
	Allowed      = "allowed"
	ImplicitDeny = "implicitDeny"
	ExplicitDeny = "explicitDeny"
)

// Record is one audited API call in CloudTrail's record shape (event
// version 1.08), plus sesame's authorization decision and its reason in
// AdditionalEventData. Field names and JSON keys are CloudTrail's, so tools
// that read CloudTrail records read these.
type Record struct {
	EventVersion    string       `json:"eventVersion"`
	UserIdentity    UserIdentity `json:"userIdentity"`
	EventTime       time.Time    `json:"eventTime"` // UTC, whole seconds
	EventSource     string       `json:"eventSource"`
	EventName       string       `json:"eventName"`
	AWSRegion       string       `json:"awsRegion"`
	SourceIPAddress string       `json:"sourceIPAddress"`
	UserAgent       string       `json:"userAgent"`
	ErrorCode       string       `json:"errorCode,omitempty"`
	ErrorMessage    string       `json:"errorMessage,omitempty"` // the text the caller got
	// RequestParameters and ResponseElements are JSON objects (any value
	// encoding/json can marshal); Write redacts their secrets. CloudTrail
	// writes null when there are none.
	RequestParameters   any         `json:"requestParameters"`
	ResponseElements    any         `json:"responseElements"`
	AdditionalEventData *EventData  `json:"additionalEventData,omitempty"`
	RequestID           string      `json:"requestID"`
	EventID             string      `json:"eventID"`
	ReadOnly            bool        `json:"readOnly"`
	Resources           []Resource  `json:"resources,omitempty"`
	EventType           string      `json:"eventType"` // AwsApiCall
	ManagementEvent     bool        `json:"managementEvent"`
	RecipientAccountID  string      `json:"recipientAccountId"`
	EventCategory       string      `json:"eventCategory"` // Management
	TLSDetails          *TLSDetails `json:"tlsDetails,omitempty"`
}

// UserIdentity is the caller. An unauthenticated call has Type Unknown and
// at most the access key id it claimed.
type UserIdentity struct {
	Type           string          `json:"type"`
	PrincipalID    string          `json:"principalId,omitempty"` // AIDA..., AROA...:session
	ARN            string          `json:"arn,omitempty"`
	AccountID      string          `json:"accountId,omitempty"`
	AccessKeyID    string          `json:"accessKeyId,omitempty"`
	UserName       string          `json:"userName,omitempty"`
	SessionContext *SessionContext `json:"sessionContext,omitempty"` // temporary credentials
	InvokedBy      string          `json:"invokedBy,omitempty"`
}

// SessionContext describes the temporary credentials a call was signed
// with: the role (or user) that issued them and when.
type SessionContext struct {
	SessionIssuer  *SessionIssuer    `json:"sessionIssuer,omitempty"`
	Attributes     SessionAttributes `json:"attributes"`
	SourceIdentity string            `json:"sourceIdentity,omitempty"`
}

// SessionIssuer is the identity whose credentials were assumed.
type SessionIssuer struct {
	Type        string `json:"type"` // Role, IAMUser, Root
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	UserName    string `json:"userName"`
}

// SessionAttributes are the session's creation time (RFC 3339, UTC) and
// whether it was authenticated with MFA ("true" or "false", strings as in
// CloudTrail).
type SessionAttributes struct {
	CreationDate     string `json:"creationDate"`
	MFAAuthenticated string `json:"mfaAuthenticated"`
}

// Resource is one resource the call touched (and was authorized on).
type Resource struct {
	ARN       string `json:"ARN"`
	AccountID string `json:"accountId,omitempty"`
	Type      string `json:"type,omitempty"` // AWS::EC2::Instance, ...
}

// EventData is the record's additionalEventData: the authorization
// decision and, for a denial, which resource was denied and why, in the
// policy engine's words (the statement that denied or nearly matched).
// Callers only ever see AWS's AccessDenied text; the reason is for the
// audit log.
type EventData struct {
	Decision       string `json:"decision,omitempty"` // Allowed, ImplicitDeny, ExplicitDeny
	DeniedResource string `json:"deniedResource,omitempty"`
	Reason         string `json:"reason,omitempty"`
}

// TLSDetails is the connection's TLS version and cipher suite, and the
// host the client asked for.
type TLSDetails struct {
	TLSVersion               string `json:"tlsVersion"`
	CipherSuite              string `json:"cipherSuite"`
	ClientProvidedHostHeader string `json:"clientProvidedHostHeader"`
}

// Decision returns the record's authorization decision, or "" when the
// call was never authorized (it failed authentication or validation
// first).
func (r *Record) Decision() string {
	if r.AdditionalEventData == nil {
		return ""
	}
	return r.AdditionalEventData.Decision
}

// PathIn returns the audit log's path in a sesame data directory:
// DIR/audit/audit.log.
func PathIn(dataDir string) string {
	return filepath.Join(dataDir, "audit", "audit.log")
}

// resourceTypes maps an ARN's service and resource type to CloudTrail's
// resource type name.
var resourceTypes = map[string]string{
	"ec2:instance":         "AWS::EC2::Instance",
	"ssm:managed-instance": "AWS::SSM::ManagedInstance",
	"ssm:document":         "AWS::SSM::Document",
	"ssm:session":          "AWS::SSM::Session",
	"ssm:activation":       "AWS::SSM::Activation",
	"iam:user":             "AWS::IAM::User",
	"iam:group":            "AWS::IAM::Group",
	"iam:role":             "AWS::IAM::Role",
	"iam:policy":           "AWS::IAM::Policy",
	"iam:instance-profile": "AWS::IAM::InstanceProfile",
	"sts:assumed-role":     "AWS::STS::AssumedRole",
}

// ResourceOf returns the Resource for an ARN, with the account and the
// CloudTrail resource type the ARN implies (empty when sesame does not know
// the type).
func ResourceOf(arn string) Resource {
	r := Resource{ARN: arn}
	// arn:partition:service:region:account:resource, cut without
	// allocating: ResourceOf runs for every resource of every call.
	rest, ok := strings.CutPrefix(arn, "arn:")
	_, rest, ok2 := strings.Cut(rest, ":")
	service, rest, ok3 := strings.Cut(rest, ":")
	_, rest, ok4 := strings.Cut(rest, ":")
	account, resource, ok5 := strings.Cut(rest, ":")
	if !ok || !ok2 || !ok3 || !ok4 || !ok5 {
		return r
	}
	r.AccountID = account
	kind, _, _ := strings.Cut(resource, "/")
	r.Type = resourceTypes[service+":"+kind]
	return r
}

// newEventID reads a version 4 UUID from rand into b.
func newEventID(rand io.Reader, b *[16]byte) (string, error) {
	if _, err := io.ReadFull(rand, b[:]); err != nil {
		return "", fmt.Errorf("event id: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:36], b[10:16])
	return string(s[:]), nil
}
