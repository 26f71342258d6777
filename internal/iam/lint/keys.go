package lint

import "strings"

// What the linter knows about condition keys and actions, from the
// Service Authorization Reference (SAR) and the global condition key
// reference. It is deliberately small: a check that needs a fact not
// listed here stays silent rather than guess.

// multivaluedKeys are keys whose request value is a list (ArrayOf... in
// the SAR): under a plain operator they never match, so they need
// ForAllValues: or ForAnyValue:. Lower case.
var multivaluedKeys = map[string]bool{
	"aws:tagkeys":                        true,
	"aws:calledvia":                      true,
	"aws:principalservicenameslist":      true,
	"aws:principalorgpaths":              true,
	"aws:resourceorgpaths":               true,
	"aws:sourceorgpaths":                 true,
	"aws:vpceorgpaths":                   true,
	"sts:transitivetagkeys":              true,
	"kms:grantoperations":                true,
	"dynamodb:attributes":                true,
	"dynamodb:leadingkeys":               true,
	"cognito-identity.amazonaws.com:amr": true,
}

func isMultivalued(lower string) bool { return multivaluedKeys[lower] }

// isSingleValued reports whether a key is known to carry one value: every
// global aws: key but the multivalued ones, and the ssm keys of Session
// Manager. Keys of other services are unknown and get no finding.
func isSingleValued(lower string) bool {
	switch {
	case multivaluedKeys[lower]:
		return false
	case strings.HasPrefix(lower, "aws:"), strings.HasPrefix(lower, "ssm:resourcetag/"):
		return true
	}
	return lower == "ssm:sessiondocumentaccesscheck" || lower == "ssm:accessrequestid"
}

// keyTypes are the operator families each typed global key takes (Null
// always fits). Lower case.
var keyTypes = map[string][]string{
	"aws:currenttime":                {"Date"},
	"aws:tokenissuetime":             {"Date"},
	"aws:epochtime":                  {"Date", "Numeric"},
	"aws:multifactorauthage":         {"Numeric"},
	"aws:multifactorauthpresent":     {"Bool"},
	"aws:securetransport":            {"Bool"},
	"aws:viaawsservice":              {"Bool"},
	"aws:principalisawsservice":      {"Bool"},
	"ssm:sessiondocumentaccesscheck": {"Bool"},
	"aws:sourceip":                   {"IpAddress"},
	"aws:vpcsourceip":                {"IpAddress"},
	"aws:sourcearn":                  {"Arn", "String"},
	"aws:principalarn":               {"Arn", "String"},
	"aws:username":                   {"String"},
	"aws:userid":                     {"String"},
	"aws:principaltype":              {"String"},
	"aws:principalaccount":           {"String"},
	"aws:principalorgid":             {"String"},
	"aws:sourceaccount":              {"String"},
	"aws:resourceaccount":            {"String"},
	"aws:requestedregion":            {"String"},
	"aws:sourcevpc":                  {"String"},
	"aws:sourcevpce":                 {"String"},
	"aws:tagkeys":                    {"String"},
}

// tagKeyPrefixes are the keys that carry tags; a key must name the tag
// after the slash.
var tagKeyPrefixes = []string{"aws:resourcetag/", "aws:requesttag/", "aws:principaltag/", "ssm:resourcetag/"}

// keyFamilies returns the operator families a key takes, or nil when
// unknown.
func keyFamilies(lower string) []string {
	if t, ok := keyTypes[lower]; ok {
		return t
	}
	for _, p := range tagKeyPrefixes {
		if strings.HasPrefix(lower, p) {
			return []string{"String"}
		}
	}
	return nil
}

// resourceTagKey reports whether a key tests the tags of the resource
// being authorized (aws:ResourceTag/K or ssm:resourceTag/K).
func resourceTagKey(lower string) bool {
	return strings.HasPrefix(lower, "aws:resourcetag/") || strings.HasPrefix(lower, "ssm:resourcetag/")
}

// tagSupport is which resource-tag keys an action's requests carry.
type tagSupport uint8

const (
	resourceTags tagSupport = 1 << iota // aws:ResourceTag/K and ssm:resourceTag/K
	sessionTags                         // ssm:resourceTag/aws:ssmmessages:session-id and :target-id
)

// actionTags lists, for the Session Manager actions sesame serves and the
// calls its users pair with them, the resource-tag keys the SAR lists.
// Actions without resource types (List actions) carry none. Lower case.
var actionTags = map[string]tagSupport{
	"ssm:startsession":                resourceTags,
	"ssm:getconnectionstatus":         resourceTags,
	"ssm:sendcommand":                 resourceTags,
	"ssm:terminatesession":            sessionTags,
	"ssm:resumesession":               sessionTags,
	"ssm:describesessions":            0,
	"ssm:describeinstanceinformation": 0,
	"ec2:describeinstances":           0,
}

// supportsTagKey reports whether an action's requests carry a resource
// tag key, and whether the action is known at all.
func supportsTagKey(action, lowerKey string) (supported, known bool) {
	t, known := actionTags[strings.ToLower(action)]
	if !known {
		return false, false
	}
	switch lowerKey {
	case "ssm:resourcetag/aws:ssmmessages:session-id", "ssm:resourcetag/aws:ssmmessages:target-id":
		return t != 0, true
	}
	return t&resourceTags != 0, true
}
