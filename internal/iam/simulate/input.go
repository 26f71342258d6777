package simulate

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Input is a SimulateCustomPolicy request. The field names are AWS's, so
// that the request decodes from the aws CLI's --cli-input-json and from the
// Query API as it is.
type Input struct {
	// PolicyInputList holds the identity-based policies, as JSON text.
	// Required.
	PolicyInputList []string `json:"PolicyInputList"`
	// PermissionsBoundaryPolicyInputList holds at most one permissions
	// boundary.
	PermissionsBoundaryPolicyInputList []string `json:"PermissionsBoundaryPolicyInputList,omitempty"`
	// ActionNames are the actions to evaluate, such as ssm:StartSession,
	// without wildcards. Required.
	ActionNames []string `json:"ActionNames"`
	// ResourceArns are the resources each action is evaluated on; none
	// means "*".
	ResourceArns []string `json:"ResourceArns,omitempty"`
	// ResourcePolicy is attached to every simulated resource.
	ResourcePolicy string `json:"ResourcePolicy,omitempty"`
	// ResourceOwner is the account (arn:aws:iam::ACCOUNT:root, or the bare
	// id) owning resources whose ARN names no account, and the resource
	// policy. It defaults to the caller's account.
	ResourceOwner string `json:"ResourceOwner,omitempty"`
	// CallerArn is the IAM user the simulation runs as. It is required
	// with a ResourcePolicy, whose Principal needs someone to match.
	CallerArn string `json:"CallerArn,omitempty"`
	// ContextEntries are the request's condition keys.
	ContextEntries []ContextEntry `json:"ContextEntries,omitempty"`
	// ResourceHandlingOption names an EC2 scenario whose resources
	// ResourceArns must all hold (EC2-VPC-InstanceStore, ...).
	ResourceHandlingOption string `json:"ResourceHandlingOption,omitempty"`
	// MaxItems is the page size, 1 to 1000; nil means 100.
	MaxItems *int `json:"MaxItems,omitempty"`
	// Marker continues a truncated response (Output.Marker).
	Marker string `json:"Marker,omitempty"`
}

// ContextEntry is one condition key of the request and its values.
type ContextEntry struct {
	ContextKeyName   string   `json:"ContextKeyName"`
	ContextKeyValues []string `json:"ContextKeyValues"`
	ContextKeyType   KeyType  `json:"ContextKeyType"`
}

// KeyType is the type of a context key's values. The List types make the
// key multivalued (for ForAnyValue: and ForAllValues: operators).
type KeyType string

const (
	KeyString      KeyType = "string"
	KeyStringList  KeyType = "stringList"
	KeyNumeric     KeyType = "numeric"
	KeyNumericList KeyType = "numericList"
	KeyBoolean     KeyType = "boolean"
	KeyBooleanList KeyType = "booleanList"
	KeyIP          KeyType = "ip"
	KeyIPList      KeyType = "ipList"
	KeyBinary      KeyType = "binary"
	KeyBinaryList  KeyType = "binaryList"
	KeyDate        KeyType = "date"
	KeyDateList    KeyType = "dateList"
)

// KeyTypes lists every KeyType, in AWS's order.
var KeyTypes = []KeyType{KeyString, KeyStringList, KeyNumeric, KeyNumericList, KeyBoolean, KeyBooleanList,
	KeyIP, KeyIPList, KeyBinary, KeyBinaryList, KeyDate, KeyDateList}

// Valid reports whether t is one of KeyTypes.
func (t KeyType) Valid() bool {
	for _, k := range KeyTypes {
		if t == k {
			return true
		}
	}
	return false
}

// List reports whether t is a list type.
func (t KeyType) List() bool { return strings.HasSuffix(string(t), "List") }

// base returns the element type of a list type.
func (t KeyType) base() KeyType { return KeyType(strings.TrimSuffix(string(t), "List")) }

// The API's limits (SimulateCustomPolicy's request shapes).
const (
	maxPolicyLength   = 131072
	maxARNLength      = 2048
	minActionLength   = 3
	maxActionLength   = 128
	minKeyNameLength  = 5
	maxKeyNameLength  = 256
	maxOptionLength   = 64
	maxMarkerLength   = 320
	maxItemsLimit     = 1000
	defaultItems      = 100
	maxBoundaryInputs = 1
)

// resourceHandlingOptions maps each scenario to the EC2 resource types its
// ResourceArns must hold.
var resourceHandlingOptions = map[string][]string{
	"EC2-VPC-InstanceStore":        {"instance", "image", "security-group", "network-interface"},
	"EC2-VPC-InstanceStore-Subnet": {"instance", "image", "security-group", "network-interface", "subnet"},
	"EC2-VPC-EBS":                  {"instance", "image", "security-group", "network-interface", "volume"},
	"EC2-VPC-EBS-Subnet":           {"instance", "image", "security-group", "network-interface", "subnet", "volume"},
}

// validate checks the request against the API's constraints, in the order
// of the request's members.
func (in *Input) validate() *Error {
	if in.PolicyInputList == nil {
		return validation(nil, "policyInputList", "Member must not be null")
	}
	for i, p := range in.PolicyInputList {
		if err := checkLength(p, fmt.Sprintf("policyInputList.%d.member", i+1), 1, maxPolicyLength); err != nil {
			return err
		}
	}
	if len(in.PermissionsBoundaryPolicyInputList) > maxBoundaryInputs {
		return invalidInput("The list of Permissions Boundary policies cannot exceed %d items.", maxBoundaryInputs)
	}
	for i, p := range in.PermissionsBoundaryPolicyInputList {
		if err := checkLength(p, fmt.Sprintf("permissionsBoundaryPolicyInputList.%d.member", i+1), 1, maxPolicyLength); err != nil {
			return err
		}
	}
	if in.ActionNames == nil {
		return validation(nil, "actionNames", "Member must not be null")
	}
	for i, a := range in.ActionNames {
		if err := checkLength(a, fmt.Sprintf("actionNames.%d.member", i+1), minActionLength, maxActionLength); err != nil {
			return err
		}
		if err := checkAction(a); err != nil {
			return err
		}
	}
	for i, r := range in.ResourceArns {
		if err := checkLength(r, fmt.Sprintf("resourceArns.%d.member", i+1), 1, maxARNLength); err != nil {
			return err
		}
	}
	if err := checkLength(in.ResourcePolicy, "resourcePolicy", 0, maxPolicyLength); err != nil {
		return err
	}
	if err := checkLength(in.ResourceOwner, "resourceOwner", 0, maxARNLength); err != nil {
		return err
	}
	if err := checkLength(in.CallerArn, "callerArn", 0, maxARNLength); err != nil {
		return err
	}
	for i, e := range in.ContextEntries {
		at := fmt.Sprintf("contextEntries.%d.member", i+1)
		if err := checkLength(e.ContextKeyName, at+".contextKeyName", minKeyNameLength, maxKeyNameLength); err != nil {
			return err
		}
		if e.ContextKeyType != "" && !e.ContextKeyType.Valid() {
			names := make([]string, len(KeyTypes))
			for j, k := range KeyTypes {
				names[j] = string(k)
			}
			return validation(e.ContextKeyType, at+".contextKeyType", "Member must satisfy enum value set: ["+strings.Join(names, ", ")+"]")
		}
	}
	if err := checkLength(in.ResourceHandlingOption, "resourceHandlingOption", 0, maxOptionLength); err != nil {
		return err
	}
	if m := in.MaxItems; m != nil && (*m < 1 || *m > maxItemsLimit) {
		c := "Member must have value greater than or equal to 1"
		if *m > maxItemsLimit {
			c = fmt.Sprintf("Member must have value less than or equal to %d", maxItemsLimit)
		}
		return validation(*m, "maxItems", c)
	}
	return checkLength(in.Marker, "marker", 0, maxMarkerLength)
}

// checkLength checks a string member's length in characters. min 0 means
// optional: the empty string is its absence.
func checkLength(s, at string, min, max int) *Error {
	n := utf8.RuneCountInString(s)
	switch {
	case n == 0 && min == 0:
		return nil
	case n < min:
		return validation(s, at, fmt.Sprintf("Member must have length greater than or equal to %d", min))
	case n > max:
		return validation(s, at, fmt.Sprintf("Member must have length less than or equal to %d", max))
	}
	return nil
}

// checkAction refuses what is not one action of one service: the
// simulation takes no wildcards.
func checkAction(a string) *Error {
	if strings.ContainsAny(a, "*?") {
		return invalidInput("Action %s is invalid: the simulation does not support wildcards (*, ?) in an action name.", a)
	}
	svc, name, ok := strings.Cut(a, ":")
	if !ok || svc == "" || name == "" || strings.ContainsAny(a, " \t\r\n") {
		return invalidInput("Action %s is invalid: write service:Action, such as ssm:StartSession.", a)
	}
	return nil
}

// checkResourceHandling checks that the resources hold every EC2 resource
// type the scenario needs.
func (in *Input) checkResourceHandling() *Error {
	if in.ResourceHandlingOption == "" {
		return nil
	}
	need, ok := resourceHandlingOptions[in.ResourceHandlingOption]
	if !ok {
		return invalidInput("Invalid ResourceHandlingOption %s: use EC2-VPC-InstanceStore, EC2-VPC-InstanceStore-Subnet, EC2-VPC-EBS or EC2-VPC-EBS-Subnet.", in.ResourceHandlingOption)
	}
	have := map[string]bool{}
	for _, r := range in.ResourceArns {
		parts := strings.SplitN(r, ":", 6)
		if len(parts) == 6 && parts[2] == "ec2" {
			kind, _, _ := strings.Cut(parts[5], "/")
			have[kind] = true
		}
	}
	for _, kind := range need {
		if !have[kind] {
			return invalidInput("ResourceHandlingOption %s needs a resource of type %s (arn:aws:ec2:REGION:ACCOUNT:%s/ID) in ResourceArns.", in.ResourceHandlingOption, kind, kind)
		}
	}
	return nil
}
